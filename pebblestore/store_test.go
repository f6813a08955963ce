package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func openMem(t *testing.T) *Store {
	t.Helper()
	s, err := Open("/store", Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func putObjects(t *testing.T, s *Store, kind Kind, datas ...[]byte) []ID {
	t.Helper()
	ob := s.NewObjectBatch()
	defer ob.Close()
	var ids []ID
	for _, d := range datas {
		id, err := ob.Put(kind, d)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.Commit(context.Background(), ob, nil); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestPutGetRoundTrip(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	text := bytes.Repeat([]byte("hello world "), 1000) // compresses
	small := []byte("tiny")                            // stored raw
	ids := putObjects(t, s, KindBlob, text, small, nil)
	for i, want := range [][]byte{text, small, nil} {
		kind, got, err := s.Get(ctx, ids[i])
		if err != nil || kind != KindBlob || !bytes.Equal(got, want) {
			t.Fatalf("object %d: kind %v err %v equal %v", i, kind, err, bytes.Equal(got, want))
		}
	}
	info, err := s.Stat(ids[0])
	if err != nil || info.Raw != uint64(len(text)) || info.Stored >= info.Raw {
		t.Fatalf("stat %+v %v: want compressed", info, err)
	}
	st := s.Stats()
	if st.Objects != 3 || st.RawBytes != uint64(len(text)+len(small)) {
		t.Fatalf("stats %+v", st)
	}
	// Putting the same objects again adds nothing.
	putObjects(t, s, KindBlob, text, small)
	if st2 := s.Stats(); st2 != st {
		t.Fatalf("stats after re-put %+v, want %+v", st2, st)
	}
	if _, _, err := s.Get(ctx, Hash(KindBlob, []byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
}

// rewrite replaces the stored value of id, as disk corruption would.
func rewrite(t *testing.T, s *Store, id ID, val []byte) {
	t.Helper()
	if err := s.db.Set(objectKey(id), val, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptObjects(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	text := bytes.Repeat([]byte("corruption is detected "), 500)
	ids := putObjects(t, s, KindBlob, text, []byte("raw object"))
	orig, err := s.RawObject(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.RawObject(ids[1])
	cases := []struct {
		name string
		id   ID
		val  []byte
		want error
	}{
		{"flipped compressed byte", ids[0], flip(orig, len(orig)-3), ErrCorrupt},
		{"flipped raw byte", ids[1], flip(raw, len(raw)-1), ErrCorrupt},
		{"truncated", ids[0], orig[:len(orig)/2], ErrCorrupt},
		{"header only", ids[0], orig[:3], ErrCorrupt},
		{"empty value", ids[0], nil, ErrCorrupt},
		{"unknown kind", ids[1], append([]byte{ObjectFormat, 9}, raw[2:]...), ErrCorrupt},
		{"unknown encoding", ids[1], append([]byte{ObjectFormat, byte(KindBlob), 7}, raw[3:]...), ErrCorrupt},
		{"kind swapped", ids[1], append([]byte{ObjectFormat, byte(KindTree)}, raw[2:]...), ErrCorrupt},
		{"newer format", ids[1], append([]byte{ObjectFormat + 1}, raw[1:]...), ErrFormatVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rewrite(t, s, c.id, c.val)
			_, got, err := s.Get(ctx, c.id)
			if !errors.Is(err, c.want) || got != nil {
				t.Fatalf("Get = %d bytes, %v; want %v and no data", len(got), err, c.want)
			}
			oc, err := s.CheckObjects(ctx, nil)
			if err != nil || len(oc.Faults) == 0 {
				t.Fatalf("CheckObjects faults %v err %v: want a fault", oc.Faults, err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

func TestNewerStoreFormatRefused(t *testing.T) {
	fs := vfs.NewMem()
	s, err := Open("/st", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(keyFormat, []byte{StoreFormat + 1}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open("/st", Options{FS: fs})
	if !errors.Is(err, ErrFormatVersion) {
		t.Fatalf("open newer store: %v", err)
	}
}

func TestSecondOpenInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open in process: %v", err)
	}
	// From another process.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOpenStore$")
	cmd.Env = append(os.Environ(), "CKPTFS_HELPER_STORE="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("store is in use")) {
		t.Fatalf("helper output %q: want 'store is in use'", out)
	}
}

// TestHelperOpenStore runs in a child process of TestSecondOpenInUse.
func TestHelperOpenStore(t *testing.T) {
	dir := os.Getenv("CKPTFS_HELPER_STORE")
	if dir == "" {
		t.Skip("helper process only")
	}
	_, err := Open(dir, Options{})
	if err == nil {
		t.Fatal("opened a store in use")
	}
	os.Stdout.WriteString(err.Error() + "\n")
}

// fullFS reports the free space it is told and counts the readings.
type fullFS struct {
	vfs.FS
	avail    uint64
	readings int
}

func (f *fullFS) GetDiskUsage(string) (vfs.DiskUsage, error) {
	f.readings++
	return vfs.DiskUsage{AvailBytes: f.avail, TotalBytes: 1 << 41, UsedBytes: 1<<41 - f.avail}, nil
}

// fill makes the disk of s have avail bytes free, and lets spaceTTL pass:
// a disk that filled at once, by a faster writer than any real one,
// would only be seen after it (TestSpaceReadings).
func (f *fullFS) fill(s *Store, avail uint64) {
	f.avail = avail
	s.now = func() time.Time { return time.Now().Add(spaceTTL) }
}

// TestSpaceReadings: a free-space reading is reused for spaceTTL while
// more than spaceSlack beyond a commit's need was free and not used up by
// the commits since; otherwise every commit reads it.
func TestSpaceReadings(t *testing.T) {
	ffs := &fullFS{FS: vfs.NewMem(), avail: 1 << 40}
	s, err := Open("/st", Options{FS: ffs, ReserveBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clock := time.Unix(1e9, 0)
	s.now = func() time.Time { return clock }
	check := func(what string, n int, wantReadings int, wantErr error) {
		t.Helper()
		ffs.readings = 0
		if err := s.checkSpace(n, true); !errors.Is(err, wantErr) {
			t.Fatalf("%s: %v, want %v", what, err, wantErr)
		}
		if ffs.readings != wantReadings {
			t.Fatalf("%s: %d statfs calls, want %d", what, ffs.readings, wantReadings)
		}
	}
	check("first commit", 1000, 1, nil)
	check("next commit, plenty free", 1000, 0, nil)
	clock = clock.Add(spaceTTL - time.Millisecond)
	check("just within the TTL", 1000, 0, nil)
	clock = clock.Add(time.Millisecond)
	check("TTL over", 1000, 1, nil)

	// Commits since the reading count against it.
	ffs.avail = spaceSlack + 4<<20
	clock = clock.Add(spaceTTL)
	check("reading with 4 MiB beyond the slack", 1000, 1, nil)
	check("1 MiB reserve + 2 KB within it", 1000, 0, nil)
	check("a 1 MiB commit (2 MiB written) still fits", 1<<20, 0, nil)
	check("the next would eat into the slack: read again", 1<<20, 1, nil)

	// Below the slack every commit reads, and a full disk is seen at once.
	ffs.avail = spaceSlack / 2
	clock = clock.Add(spaceTTL)
	check("small disk", 1000, 1, nil)
	check("small disk again", 1000, 1, nil)
	ffs.avail = 1 << 20
	check("disk filled", 1000, 1, ErrNoSpace)
	check("still full", 1000, 1, ErrNoSpace)
}

func TestDiskFullFailsCleanly(t *testing.T) {
	ffs := &fullFS{FS: vfs.NewMem(), avail: 1 << 40}
	s, err := Open("/st", Options{FS: ffs, ReserveBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	putObjects(t, s, KindBlob, []byte("before the disk filled up"))
	before := s.Stats()
	ffs.fill(s, 1<<20) // below reserve + batch
	ob := s.NewObjectBatch()
	if _, err := ob.Put(KindBlob, bytes.Repeat([]byte{1}, 4096)); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, ob, func(tx *Tx) error { return tx.CreateSession("s", timeZero) })
	ob.Close()
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("commit on a full disk: %v", err)
	}
	if s.Stats() != before {
		t.Fatalf("stats changed by a failed commit")
	}
	if ok, _ := s.HasSession("s"); ok {
		t.Fatal("failed commit left a session")
	}
	ffs.avail = 1 << 40
	putObjects(t, s, KindBlob, []byte("after space came back"))
	oc, err := s.CheckObjects(ctx, nil)
	if err != nil || len(oc.Faults) != 0 || oc.Recount.Objects != 2 {
		t.Fatalf("check: %+v %v", oc, err)
	}
}

func TestResolvePrefix(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	ids := []ID{{0xab, 0xcd, 0x01}, {0xab, 0xcd, 0x02}, {0x12, 0x34}}
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.CreateSession("s", timeZero); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.AddCheckpoint(CheckpointRecord{ID: id, Session: "s", Branch: "main"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prefix string
		want   ID
		err    error
	}{
		{"abcd01", ids[0], nil},
		{"abcd0", ID{}, ErrAmbiguous},
		{"abcd", ID{}, ErrAmbiguous},
		{"1234", ids[2], nil},
		{ids[2].String(), ids[2], nil},
		{"ffff", ID{}, ErrNotFound},
		{"abc", ID{}, ErrInvalidID},
		{"ABCD", ID{}, ErrInvalidID},
		{"zzzz", ID{}, ErrInvalidID},
	} {
		for _, sess := range []string{"s", ""} {
			got, _, err := s.Resolve(ctx, sess, c.prefix)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Errorf("Resolve(%q, %q) err %v, want %v", sess, c.prefix, err, c.err)
				}
				continue
			}
			if err != nil || got != c.want {
				t.Errorf("Resolve(%q, %q) = %v, %v", sess, c.prefix, got, err)
			}
		}
	}
}

// TestCollectedWhileBuilding: a writer that found an object stored (and so
// did not write it) must not commit a reference to it if a collector
// deleted it meanwhile: the commit fails with ErrRefConflict and the
// writer rebuilds.
func TestCollectedWhileBuilding(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	shared := []byte("content both the old and the new checkpoint use")
	id := putObjects(t, s, KindBlob, shared)[0]

	for _, reuse := range []bool{false, true} {
		ob := s.NewObjectBatch()
		var err error
		if reuse {
			err = ob.Reuse(id)
		} else {
			_, err = ob.Put(KindBlob, shared)
			if err == nil {
				err = ob.Prepare() // finds it stored: not written
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		// A collector that did not see the pin deletes the object.
		if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteObject(id) }); err != nil {
			t.Fatal(err)
		}
		err = s.Commit(ctx, ob, func(tx *Tx) error { return nil })
		ob.Close()
		if !errors.Is(err, ErrRefConflict) {
			t.Fatalf("reuse=%v: commit after the object was collected: %v", reuse, err)
		}
		// The rebuild writes the object again.
		putObjects(t, s, KindBlob, shared)
		if has, _ := s.Has(id); !has {
			t.Fatal("rebuild did not restore the object")
		}
	}
}

func TestDeletesWorkOnAFullDisk(t *testing.T) {
	ffs := &fullFS{FS: vfs.NewMem(), avail: 1 << 40}
	s, err := Open("/st", Options{FS: ffs, ReserveBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	id := putObjects(t, s, KindBlob, []byte("garbage to collect"))[0]
	ffs.fill(s, 1<<20) // far below the reserve
	if err := s.Update(ctx, func(tx *Tx) error { return tx.CreateSession("s", timeZero) }); err != nil {
		t.Fatalf("a tiny catalog change on a full disk: %v", err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.DeleteObject(id) }); err != nil {
		t.Fatalf("deleting on a full disk: %v", err)
	}
	ob := s.NewObjectBatch()
	defer ob.Close()
	ob.Put(KindBlob, []byte("new data"))
	if err := s.Commit(ctx, ob, nil); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("adding on a full disk: %v", err)
	}
}

// TestReuseOfMissingObjectThenPut: a failed Reuse (the object was
// collected) must not keep a later Put of the same id from writing it.
func TestReuseOfMissingObjectThenPut(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	data := []byte("a tree that gc removed")
	id := Hash(KindTree, data)
	ob := s.NewObjectBatch()
	defer ob.Close()
	if err := ob.Reuse(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reuse of a missing object: %v", err)
	}
	if err := ob.PutWithID(id, KindTree, data); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, ob, nil); err != nil {
		t.Fatal(err)
	}
	if _, got, err := s.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object after put: %q %v", got, err)
	}
}

// Objects stored raw are written straight into the batch (setRaw): the
// stored value must be exactly what codec.encode returns, and the index's
// stored size its length, for every kind and around the varint and
// compression thresholds.
func TestRawValuesMatchEncode(t *testing.T) {
	s := openMem(t)
	kinds := []Kind{KindBlob, KindTree, KindCheckpoint}
	var objs []struct {
		kind Kind
		data []byte
	}
	for _, k := range kinds {
		for _, n := range []int{0, 1, 63, 64, 127, 128, 300, 16 << 10, 1 << 20} {
			d := make([]byte, n)
			for i := range d {
				d[i] = byte(i*7 + int(k)) // compressible for blobs
			}
			objs = append(objs, struct {
				kind Kind
				data []byte
			}{k, d})
		}
	}
	for _, o := range objs {
		id := putObjects(t, s, o.kind, o.data)[0]
		v, closer, err := s.db.Get(objectKey(id))
		if err != nil {
			t.Fatal(err)
		}
		want := s.codec.encode(o.kind, o.data)
		if !bytes.Equal(v, want) {
			t.Errorf("kind %v, %d bytes: stored value differs from encode (%d vs %d bytes)", o.kind, len(o.data), len(v), len(want))
		}
		closer.Close()
		info, err := s.Stat(id)
		if err != nil || info.Stored != uint64(len(want)) || info.Raw != uint64(len(o.data)) {
			t.Errorf("kind %v, %d bytes: stat %+v %v, want stored %d", o.kind, len(o.data), info, err, len(want))
		}
		kind, got, err := s.Get(context.Background(), id)
		if err != nil || kind != o.kind || !bytes.Equal(got, o.data) {
			t.Errorf("kind %v, %d bytes: round trip: %v", o.kind, len(o.data), err)
		}
	}
}

// logs lists the write-ahead logs in dir, sorted, and sums their sizes.
func logs(t *testing.T, fs vfs.FS, dir string) (names []string, size int64) {
	t.Helper()
	ls, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ls {
		if strings.HasSuffix(f, ".log") {
			fi, err := fs.Stat(fs.PathJoin(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, f)
			size += fi.Size()
		}
	}
	slices.Sort(names)
	return names, size
}

// A store that wrote tens of MiB leaves Pebble's recycled logs on disk at
// Close, unless TrimLogsOnClose; trimmed, it reopens with every object.
func TestTrimLogsOnClose(t *testing.T) {
	fill := func(t *testing.T, s *Store) []ID {
		var ids []ID
		for i := range 12 {
			data := make([]byte, 4<<20) // incompressible: stored raw-sized
			rand.NewChaCha8([32]byte{byte(i)}).Read(data)
			ids = append(ids, putObjects(t, s, KindBlob, data)...)
		}
		return ids
	}
	var kept int64
	for _, trim := range []bool{false, true} {
		dir := t.TempDir()
		s, err := Open(dir, Options{TrimLogsOnClose: trim})
		if err != nil {
			t.Fatal(err)
		}
		ids := fill(t, s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		names, size := logs(t, vfs.Default, dir)
		n := len(names)
		t.Logf("trim=%v: %d logs, %d bytes", trim, n, size)
		if !trim {
			kept = size
			continue
		}
		if size >= 1<<20 || kept < 16<<20 {
			t.Errorf("logs after a trimmed close: %d bytes in %d files (untrimmed: %d bytes)", size, n, kept)
		}
		s, err = Open(dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if has, err := s.Has(id); err != nil || !has {
				t.Fatalf("object %s after a trimmed close: %v %v", id.Short(), has, err)
			}
		}
		s.Close()
	}
}

// On a disk without the reserve free, a close does not trim (the second
// open would flush the last log) and still succeeds; the store is intact.
func TestTrimLogsSkippedOnFullDisk(t *testing.T) {
	ffs := &fullFS{FS: vfs.NewMem(), avail: 1 << 40}
	s, err := Open("/st", Options{FS: ffs, ReserveBytes: 1 << 20, TrimLogsOnClose: true})
	if err != nil {
		t.Fatal(err)
	}
	id := putObjects(t, s, KindBlob, []byte("kept through a close on a full disk"))[0]
	ffs.fill(s, 1<<10)
	before, _ := logs(t, ffs, "/st")
	if err := s.Close(); err != nil {
		t.Fatalf("close on a full disk: %v", err)
	}
	// A second open would have flushed the log and started a new one.
	if after, _ := logs(t, ffs, "/st"); !slices.Equal(after, before) {
		t.Errorf("a trim ran on a full disk: logs %q, then %q", before, after)
	}
	ffs.avail = 1 << 40
	s, err = Open("/st", Options{FS: ffs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if has, err := s.Has(id); err != nil || !has {
		t.Fatalf("object after the close: %v %v", has, err)
	}
}
