package tree_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func memStore(t testing.TB) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open("/s", pebblestore.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleTree() *tree.Tree {
	return &tree.Tree{Entries: []tree.Entry{
		{Name: "a.txt", Type: tree.TypeFile, Mode: 0o644, ModTime: 1700000000123456789, Size: 3, Chunks: []tree.Chunk{{ID: pebblestore.ID{1}, Size: 3}}},
		{Name: "bin", Type: tree.TypeDir, Mode: 0o755, Tree: pebblestore.ID{2}, Sub: tree.Summary{Files: 4, Dirs: 1, Bytes: 99}},
		{Name: "empty", Type: tree.TypeFile, Mode: 0o600},
		{Name: "link", Type: tree.TypeSymlink, Mode: 0o777, Target: "../x", Size: 4},
		{Name: "setuid", Type: tree.TypeFile, Mode: 0o4755, ModTime: -5, Size: 10, Chunks: []tree.Chunk{{ID: pebblestore.ID{3}, Size: 4}, {ID: pebblestore.ID{4}, Size: 6}}},
	}}
}

func TestTreeRoundTrip(t *testing.T) {
	tr := sampleTree()
	b, err := tree.EncodeTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tree.DecodeTree(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tr) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, tr)
	}
	if s := tr.Summary(); s != (tree.Summary{Files: 7, Dirs: 2, Bytes: 112}) {
		t.Fatalf("summary %+v", s)
	}
}

func TestEncodeTreeRejects(t *testing.T) {
	bad := map[string][]tree.Entry{
		"unsorted":      {{Name: "b", Type: tree.TypeFile}, {Name: "a", Type: tree.TypeFile}},
		"duplicate":     {{Name: "a", Type: tree.TypeFile}, {Name: "a", Type: tree.TypeFile}},
		"slash":         {{Name: "a/b", Type: tree.TypeFile}},
		"dotdot":        {{Name: "..", Type: tree.TypeFile}},
		"nul":           {{Name: "a\x00", Type: tree.TypeFile}},
		"empty name":    {{Name: "", Type: tree.TypeFile}},
		"long name":     {{Name: string(bytes.Repeat([]byte("n"), 256)), Type: tree.TypeFile}},
		"size mismatch": {{Name: "a", Type: tree.TypeFile, Size: 5, Chunks: []tree.Chunk{{Size: 4}}}},
		"bad mode":      {{Name: "a", Type: tree.TypeFile, Mode: 0o10000}},
		"bad type":      {{Name: "a", Type: 9}},
		"empty link":    {{Name: "a", Type: tree.TypeSymlink}},
	}
	for name, entries := range bad {
		if _, err := tree.EncodeTree(&tree.Tree{Entries: entries}); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
	if _, err := tree.EncodeTree(&tree.Tree{Entries: []tree.Entry{{Name: string(bytes.Repeat([]byte("n"), 255)), Type: tree.TypeFile}}}); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
}

func TestDecodeTreeRejectsTruncation(t *testing.T) {
	b, _ := tree.EncodeTree(sampleTree())
	for i := 0; i < len(b); i++ {
		if _, err := tree.DecodeTree(b[:i]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", i)
		}
	}
	if _, err := tree.DecodeTree(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func sampleCheckpoint() *tree.Checkpoint {
	return &tree.Checkpoint{Root: pebblestore.ID{9}, Parents: []pebblestore.ID{{1}, {2}}, Session: "s", Branch: "main",
		Time: time.Unix(1764776057, 123456789).UTC(), Message: "msg\nline2", Meta: map[string]string{"b": "2", "a": "1"},
		Stats:  tree.Stats{Files: 1, Dirs: 2, Bytes: 3, NewBytes: 4, StoredBytes: 5, Duration: 6 * time.Millisecond},
		Merge:  &tree.MergeInfo{Base: pebblestore.ID{7}, Strategy: "recursive", Conflicts: []string{"x", "y/z"}},
		Source: &tree.Source{Path: "/work/dir", Excludes: []string{".git/", "!keep.log", "*.log"}}}
}

func TestCheckpointRoundTrip(t *testing.T) {
	for _, c := range []*tree.Checkpoint{sampleCheckpoint(), {Root: pebblestore.ID{1}, Session: "s", Branch: "b", Time: time.Unix(0, 0).UTC()}} {
		b := tree.EncodeCheckpoint(c)
		got, err := tree.DecodeCheckpoint(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
		}
		if !bytes.Equal(tree.EncodeCheckpoint(got), b) {
			t.Fatal("encoding not canonical")
		}
	}
}

func TestChunkedFileRoundTrip(t *testing.T) {
	s := memStore(t)
	ctx := context.Background()
	r := tree.NewReader(s, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5<<20+12345)
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	ob := s.NewObjectBatch()
	defer ob.Close()
	chunks, err := tree.PutBytes(ob, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("a 5 MiB file made %d chunks", len(chunks))
	}
	if err := s.Commit(ctx, ob, nil); err != nil {
		t.Fatal(err)
	}
	e := tree.Entry{Name: "big", Type: tree.TypeFile, Size: uint64(len(data)), Chunks: chunks}
	got, err := r.ReadFile(ctx, &e)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFile: %v equal=%v", err, bytes.Equal(got, data))
	}
	// ReadAt across chunk boundaries.
	for _, off := range []int64{0, int64(chunks[0].Size) - 10, int64(len(data)) - 5} {
		p := make([]byte, 100)
		n, err := r.ReadAt(ctx, &e, p, off)
		want := data[off:min(int(off)+100, len(data))]
		if n != len(want) || !bytes.Equal(p[:n], want) || (n < 100) != (err != nil) {
			t.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
		}
	}
	// An edit in the middle changes few chunks (content-defined chunking).
	data2 := append([]byte(nil), data...)
	copy(data2[3<<20:], "an edit in the middle")
	ob2 := s.NewObjectBatch()
	defer ob2.Close()
	chunks2, err := tree.PutBytes(ob2, data2)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for _, c := range chunks2 {
		for _, o := range chunks {
			if c == o {
				same++
			}
		}
	}
	if same < len(chunks)-2 {
		t.Fatalf("only %d of %d chunks shared after a small edit", same, len(chunks))
	}
}

func TestReadDetectsWrongKind(t *testing.T) {
	s := memStore(t)
	ctx := context.Background()
	ob := s.NewObjectBatch()
	id, _ := ob.Put(pebblestore.KindBlob, []byte("not a tree"))
	if err := s.Commit(ctx, ob, nil); err != nil {
		t.Fatal(err)
	}
	ob.Close()
	if _, err := tree.NewReader(s, 0).Tree(ctx, id); !errors.Is(err, pebblestore.ErrCorrupt) {
		t.Fatalf("blob read as tree: %v", err)
	}
}

// TestFormatWorkedExample checks the ids and bytes of the worked example
// in docs/FORMAT.md.
func TestFormatWorkedExample(t *testing.T) {
	mtime := time.Date(2025, 12, 3, 15, 34, 17, 0, time.UTC)
	blob := pebblestore.Hash(pebblestore.KindBlob, []byte("hello\n"))
	if got := blob.String(); got != "60200926b98f21cddd0dc4fb5c05e6a4d7ab691b9c8b01295ebefe1daca3bbe5" {
		t.Errorf("blob id %s", got)
	}
	enc, err := tree.EncodeTree(&tree.Tree{Entries: []tree.Entry{{Name: "hello.txt", Type: tree.TypeFile, Mode: 0o644,
		ModTime: mtime.UnixNano(), Size: 6, Chunks: []tree.Chunk{{ID: blob, Size: 6}}}}})
	if err != nil {
		t.Fatal(err)
	}
	root := pebblestore.Hash(pebblestore.KindTree, enc)
	if got := root.String(); got != "532b7b5e3c2d43337c06216267c73acaa1aac9b04c5a0af4ba69b5e3c1a8b2b0" {
		t.Errorf("tree id %s", got)
	}
	ck := tree.EncodeCheckpoint(&tree.Checkpoint{Root: root, Session: "demo", Branch: "main", Time: mtime, Message: "first",
		Stats: tree.Stats{Files: 1, Bytes: 6, NewBytes: 6, StoredBytes: 16, Duration: 1500 * time.Microsecond}})
	if got := pebblestore.Hash(pebblestore.KindCheckpoint, ck).String(); got != "8c27cff5bae06de20e9669732e7414ce51c97fe12b7be770e00fb0ca711cb165" {
		t.Errorf("checkpoint id %s (% x)", got, ck)
	}
}
