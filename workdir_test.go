package ckptfs_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
)

// paths lists the files of checkpoint id.
func paths(t *testing.T, s *ckptfs.Store, id ckptfs.ID) string {
	t.Helper()
	st, err := s.LoadState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for p := range st {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return strings.Join(ps, " ")
}

func TestCheckpointDirBadPaths(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	o := ckptfs.CheckpointOptions{Session: "s"}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		dir  string
		want error
	}{
		{"relative/dir", ckptfs.ErrInvalidArgument},
		{"", ckptfs.ErrInvalidArgument},
		{file, ckptfs.ErrInvalidArgument},
		{file, tree.ErrNotDir},
		{filepath.Join(t.TempDir(), "missing"), ckptfs.ErrNotFound},
	} {
		if _, err := s.CheckpointDir(ctx, tc.dir, o); !errors.Is(err, tc.want) {
			t.Errorf("CheckpointDir(%q) = %v, want %v", tc.dir, err, tc.want)
		}
	}
	if _, err := s.Restore(ctx, ckptfs.ID{}, "relative", ckptfs.RestoreOptions{}); !errors.Is(err, ckptfs.ErrInvalidArgument) {
		t.Errorf("Restore into a relative path: %v", err)
	}
	if ok, _ := s.HasSession("s"); ok {
		t.Error("a failed checkpoint created its session")
	}
}

func TestCheckpointDirExcludes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{".git/HEAD": "ref", "node_modules/m/i.js": "m", "src/a.go": "a",
		"src/__pycache__/a.pyc": "c", "build/out": "o", "x.log": "l"})
	res, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(t, s, res.ID); got != "build/out src/a.go x.log" {
		t.Errorf("default excludes: %s", got)
	}
	res, err = s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", Excludes: []string{"*.log", "/build/", "!node_modules/"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(t, s, res.ID); got != "node_modules/m/i.js src/a.go" {
		t.Errorf("with --exclude: %s", got)
	}
	res, err = s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", NoDefaultExcludes: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(t, s, res.ID); got != ".git/HEAD build/out node_modules/m/i.js src/__pycache__/a.pyc src/a.go x.log" {
		t.Errorf("no default excludes: %s", got)
	}
	if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", Excludes: []string{"["}}); !errors.Is(err, ckptfs.ErrInvalidArgument) {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestCheckpointDirIfChangedAndStatCache(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a": "a", "d/b": "b"})
	first, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Objects().StatCacheHeader(dir); err != nil {
		t.Fatalf("no stat cache after a checkpoint: %v", err)
	}
	again, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", IfChanged: true})
	if err != nil || !again.Unchanged || again.ID != first.ID {
		t.Fatalf("if-changed on an unchanged dir: %+v %v", again, err)
	}
	testtree.Write(t, dir, map[string]string{"d/b": "B", "c": "c"})
	next, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", IfChanged: true})
	if err != nil || next.Unchanged {
		t.Fatalf("if-changed on a changed dir: %+v %v", next, err)
	}
	var lines []string
	s.Diff(ctx, first.ID, next.ID, func(c tree.Change) error { lines = append(lines, c.String()); return nil })
	if got := strings.Join(lines, "|"); got != "A c|M d/b" {
		t.Fatalf("diff %s", got)
	}
	// A live diff against the newest checkpoint is empty; against the
	// first it repeats the change.
	lines = nil
	s.DiffDir(ctx, next.ID, dir, func(c tree.Change) error { lines = append(lines, c.String()); return nil })
	if len(lines) != 0 {
		t.Fatalf("live diff against the head: %v", lines)
	}
	s.DiffDir(ctx, first.ID, dir, func(c tree.Change) error { lines = append(lines, c.String()); return nil })
	if got := strings.Join(lines, "|"); got != "A c|M d/b" {
		t.Fatalf("live diff %s", got)
	}
}

func TestCheckpointDirCanceled(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("d%d/f%d", i%10, i)] = strings.Repeat("x", i)
	}
	testtree.Write(t, dir, files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled checkpoint: %v", err)
	}
	// Canceled in the middle of the walk (Ctrl-C): nothing is committed.
	ctx, cancel = context.WithCancel(context.Background())
	o := ckptfs.CheckpointOptions{Session: "s"}
	var seen atomic.Int32
	o.Import.Exclude = func(string, bool) bool { // called from several goroutines
		if seen.Add(1) == 50 {
			cancel()
		}
		return false
	}
	o.Import.Workers = 1
	if _, err := s.CheckpointDir(ctx, dir, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("checkpoint canceled mid-walk: %v", err)
	}
	if list, _ := s.List(context.Background(), ckptfs.ListOptions{Session: "s"}); len(list) != 0 {
		t.Fatalf("a canceled checkpoint left %d checkpoints", len(list))
	}
}

func TestCheckpointDirWarnings(t *testing.T) {
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a": "a"})
	if err := mkfifo(filepath.Join(dir, "fifo")); err != nil {
		t.Fatal(err)
	}
	var warned []string
	o := ckptfs.CheckpointOptions{Session: "s"}
	o.Import.Warn = func(p string, err error) { warned = append(warned, p+": "+err.Error()) }
	res, err := s.CheckpointDir(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !errors.Is(tree.ErrSpecialFile, tree.ErrSpecialFile) || !strings.HasPrefix(warned[0], "fifo: ") {
		t.Fatalf("warnings %q", warned)
	}
	if got := paths(t, s, res.ID); got != "a" {
		t.Fatalf("paths %s", got)
	}
}

func TestStatCacheDropsVanishedDirectories(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a/b/c": "c", "a/x": "x", "keep/k": "k"})
	if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"", "a", "a/b", "keep"} {
		if _, err := s.Objects().StatCacheRecord(dir, rel); err != nil {
			t.Fatalf("record %q: %v", rel, err)
		}
	}
	os.RemoveAll(filepath.Join(dir, "a"))
	testtree.Write(t, dir, map[string]string{"ab": "file named like a record key neighbour"})
	if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"a", "a/b"} {
		if _, err := s.Objects().StatCacheRecord(dir, rel); !errors.Is(err, ckptfs.ErrNotFound) {
			t.Errorf("record %q of a removed directory: %v", rel, err)
		}
	}
	// The same names again, other content: read, not taken from old records.
	testtree.Write(t, dir, map[string]string{"a/b/c": "C!", "a/x": "X!"})
	res, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.LoadState(ctx, res.ID)
	if string(got["a/b/c"]) != "C!" || string(got["a/x"]) != "X!" || string(got["keep/k"]) != "k" {
		t.Fatalf("state %q", got)
	}
}

// TestCheckpointDirAfterGC: the stat cache names a root tree that gc has
// since collected (its only checkpoint was deleted); an unchanged directory
// must still get a checkpoint whose tree is stored.
func TestCheckpointDirAfterGC(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a": "1", "d/b": "2"})
	r1, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "one", r1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx, ckptfs.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	r2, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "two"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("fsck: %v %v", err, rep.Faults)
	}
	if got, err := s.ReadFile(ctx, r2.ID, "d/b"); err != nil || string(got) != "2" {
		t.Fatalf("read: %q %v", got, err)
	}
}
