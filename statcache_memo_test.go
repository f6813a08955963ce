package ckptfs

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// The memoised stat caches always equal what the store holds: after
// checkpoints that add, change and remove directories (records put,
// subtrees deleted), after excludes change (the cache is reset), and for
// more directories than the memo keeps.
func TestStatCacheMemoFollowsStore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(dir, rel, content string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, dir string) {
		t.Helper()
		c, _ := s.statCaches.get(dir)
		if c == nil {
			return // not memoised (evicted): nothing to disagree
		}
		header, err := s.st.StatCacheHeader(dir)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := s.st.StatCacheRecords(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if string(header) != string(c.header) || !maps.EqualFunc(recs, c.recs, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("%s: memo of %s differs from the store: %d records memoised, %d stored", step, dir, len(c.recs), len(recs))
		}
	}
	checkpoint := func(step, dir string, excludes ...string) {
		t.Helper()
		if _, err := s.CheckpointDir(ctx, dir, CheckpointOptions{Session: "s", Branch: "b" + filepath.Base(dir), Excludes: excludes}); err != nil {
			t.Fatal(err)
		}
		check(step, dir)
		s.statCache(ctx, dir) // load (memoises it if it was not)
		check(step+", loaded", dir)
	}
	base := t.TempDir()
	var dirs []string
	for i := range statCacheMemoDirs + 2 {
		d := filepath.Join(base, fmt.Sprint(i))
		dirs = append(dirs, d)
		write(d, "a/x", "x")
		write(d, "a/b/y", "y")
		write(d, "c/z", "z")
		checkpoint("first", d)
	}
	if n := len(s.statCaches.dirs); n != statCacheMemoDirs {
		t.Errorf("%d dirs memoised, want %d", n, statCacheMemoDirs)
	}
	d := dirs[len(dirs)-1]
	write(d, "a/b/y", "changed")
	checkpoint("changed file", d)
	write(d, "new/deep/w", "w")
	checkpoint("new directories", d)
	os.RemoveAll(filepath.Join(d, "a"))
	checkpoint("removed subtree", d)
	checkpoint("other excludes", d, "c/")
	write(d, "c/z2", "z2")
	checkpoint("excluded change", d, "c/")
	checkpoint("excludes dropped", d)
	// The cached tree collected: the next walk starts afresh (Reset).
	e := filepath.Join(base, "gone")
	write(e, "a/x", "x")
	write(e, "b/y", "y")
	checkpoint("first", e)
	ids, err := s.List(ctx, ListOptions{Session: "s", Branch: "b" + filepath.Base(e)})
	if err != nil || len(ids) != 1 {
		t.Fatal(ids, err)
	}
	if _, err := s.Delete(ctx, "s", ids[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx, GCOptions{}); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(e, "b"))
	checkpoint("after gc", e)
}
