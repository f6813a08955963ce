package ckptfs_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/cockroachdb/pebble/v2"
)

func openTest(t *testing.T) *ckptfs.Store {
	t.Helper()
	return openTestWith(t, ckptfs.Options{})
}

// openTestWith opens a store in a temporary directory that is checked with
// fsck when the test ends.
func openTestWith(t *testing.T, o ckptfs.Options) *ckptfs.Store {
	t.Helper()
	s, err := ckptfs.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rep, err := s.Fsck(context.Background(), nil)
		if err != nil || !rep.OK() {
			t.Errorf("fsck after test: %v %v", err, rep.Faults)
		}
		s.Close()
	})
	return s
}

func TestStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	state := map[string][]byte{"files.file_1.content": []byte("hello"), "dir/sub/x": []byte("x"), "empty": nil}
	res, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s1", Message: "first", Tags: []string{"t1"}, Meta: map[string]string{"tool": "bash"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadState(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got["files.file_1.content"]) != "hello" || string(got["dir/sub/x"]) != "x" || len(got["empty"]) != 0 {
		t.Fatalf("LoadState = %q", got)
	}
	in, err := s.Info(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Session != "s1" || in.Branch != "main" || len(in.Parents) != 0 || in.Message != "first" ||
		in.Stats.Files != 3 || in.Stats.Dirs != 2 || in.Stats.Bytes != 6 || in.Tags[0] != "t1" || in.Meta["tool"] != "bash" {
		t.Fatalf("Info = %+v", in)
	}
	// Second checkpoint: delta, parent is the head.
	res2, err := s.CheckpointDelta(ctx, map[string][]byte{"new": []byte("n")}, []string{"dir"}, ckptfs.CheckpointOptions{Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	got2, _ := s.LoadState(ctx, res2.ID)
	want2 := map[string][]byte{"files.file_1.content": []byte("hello"), "empty": {}, "new": []byte("n")}
	if !maps.EqualFunc(got2, want2, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("delta state = %q", got2)
	}
	in2, _ := s.Info(ctx, res2.ID)
	if len(in2.Parents) != 1 || in2.Parents[0] != res.ID {
		t.Fatalf("parents = %v", in2.Parents)
	}
	// if-changed with the same state returns the head.
	res3, err := s.CheckpointState(ctx, got2, ckptfs.CheckpointOptions{Session: "s1", IfChanged: true})
	if err != nil || !res3.Unchanged || res3.ID != res2.ID {
		t.Fatalf("if-changed: %+v %v", res3, err)
	}
	list, err := s.List(ctx, ckptfs.ListOptions{Session: "s1"})
	if err != nil || len(list) != 2 || list[0].ID != res2.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	hits, err := s.Search(ctx, "hell", ckptfs.SearchOptions{})
	if err != nil || len(hits) != 2 {
		t.Fatalf("search: %v %v", hits, err)
	}
	// Prefix resolution.
	id, sess, err := s.Resolve(ctx, "", res.ID.String()[:10])
	if err != nil || id != res.ID || sess != "s1" {
		t.Fatalf("resolve: %v %v %v", id, sess, err)
	}
	// Delete the head: main moves to the parent.
	n, err := s.Delete(ctx, "s1", res2.ID)
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if h, _ := s.Head("s1", "main"); h != res.ID {
		t.Fatalf("head after delete = %v", h)
	}
	// The remaining checkpoint is intact.
	if _, err := s.LoadState(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Info(ctx, res2.ID); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("deleted info err = %v", err)
	}
	_ = time.Now
}

// TestLoadStateCorruptObject: LoadState reads a large state's files in
// batches on several goroutines; a damaged file anywhere — in the batch the
// caller reads or in a helper's — fails it with ErrCorrupt, not with the
// cancellation the failure causes in the others.
func TestLoadStateCorruptObject(t *testing.T) {
	ctx := context.Background()
	for _, victim := range []string{"f000", "f050", "f099"} {
		t.Run(victim, func(t *testing.T) {
			s, err := ckptfs.Open(t.TempDir(), ckptfs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			state := map[string][]byte{}
			for i := range 100 {
				state[fmt.Sprintf("f%03d", i)] = []byte(fmt.Sprintf("file %d of a state in seven batches", i))
			}
			res, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s"})
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.Lookup(ctx, res.ID, victim)
			if err != nil {
				t.Fatal(err)
			}
			id := e.Chunks[0].ID
			raw, err := s.Objects().RawObject(id)
			if err != nil {
				t.Fatal(err)
			}
			raw = append([]byte(nil), raw...)
			raw[len(raw)-1] ^= 0xff
			if err := s.Objects().DB().Set(append([]byte("o/"), id[:]...), raw, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			for range 20 { // helpers and the caller race for batches
				s.ClearCache()
				_, err := s.LoadState(ctx, res.ID)
				if !errors.Is(err, ckptfs.ErrCorrupt) {
					t.Fatalf("LoadState with %s damaged: %v, want ErrCorrupt", victim, err)
				}
			}
		})
	}
}

// BlockCacheBytes sizes Pebble's block cache: reading back 8 MiB of
// flushed objects leaves at most about that much cached.
func TestBlockCacheBytes(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int64{1 << 20, 0} {
		s := openTestWith(t, ckptfs.Options{BlockCacheBytes: limit, Durability: ckptfs.Relaxed})
		state := map[string][]byte{}
		for i := range 64 {
			b := make([]byte, 128<<10)
			rand.NewChaCha8([32]byte{byte(i)}).Read(b) // incompressible
			state[fmt.Sprint("f", i)] = b
		}
		res, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s"})
		if err != nil {
			t.Fatal(err)
		}
		db := s.Objects().DB()
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
		s.ClearCache()
		if _, err := s.LoadState(ctx, res.ID); err != nil {
			t.Fatal(err)
		}
		used := db.Metrics().BlockCache.Size
		t.Logf("BlockCacheBytes %d: %d bytes cached", limit, used)
		switch {
		case limit > 0 && used > limit+limit/4:
			t.Errorf("BlockCacheBytes %d: %d bytes cached", limit, used)
		case limit == 0 && used < 4<<20:
			t.Errorf("default cache: only %d bytes cached after reading 8 MiB", used)
		}
	}
}
