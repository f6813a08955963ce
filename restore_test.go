package ckptfs_test

import (
	"context"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
)

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func TestRestoreRollsBackAndProtectsExcludes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a": "a", "d/b": "b", ".git/HEAD": "main", "build/out": "o"})
	ck, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", Excludes: []string{"/build/"}})
	if err != nil {
		t.Fatal(err)
	}
	// The agent's turn: edits, new files, a deleted file, git and build
	// output.
	testtree.Write(t, dir, map[string]string{"a": "A!", "new": "n", ".git/HEAD": "other", "build/out": "O", "build/more": "m"})
	os.RemoveAll(filepath.Join(dir, "d"))
	res, err := s.Restore(ctx, ck.ID, dir, ckptfs.RestoreOptions{Delete: true})
	if err != nil {
		t.Fatal(err)
	}
	if res != (ckptfs.RestoreResult{Written: 3, Removed: 1, Unchanged: 0}) {
		t.Errorf("result %+v", res)
	}
	for p, want := range map[string]string{"a": "a", "d/b": "b", "new": "<open " + filepath.Join(dir, "new") + ": no such file or directory>",
		".git/HEAD": "other", "build/out": "O", "build/more": "m"} {
		if got := readFile(t, filepath.Join(dir, p)); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	// --exclude on restore protects more; --no-delete keeps everything.
	testtree.Write(t, dir, map[string]string{"keep.tmp": "k", "drop": "d"})
	res, err = s.Restore(ctx, ck.ID, dir, ckptfs.RestoreOptions{Delete: true, Excludes: []string{"*.tmp"}})
	if err != nil || res.Removed != 1 || readFile(t, filepath.Join(dir, "keep.tmp")) != "k" {
		t.Fatalf("restore with --exclude: %+v %v", res, err)
	}
	testtree.Write(t, dir, map[string]string{"drop": "d"})
	res, err = s.Restore(ctx, ck.ID, dir, ckptfs.RestoreOptions{})
	if err != nil || res.Removed != 0 || readFile(t, filepath.Join(dir, "drop")) != "d" {
		t.Fatalf("restore without delete: %+v %v", res, err)
	}
}

func TestRestoreIntoNewDirAndBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"x/y/z": strings.Repeat("z", 100), "e/": ""})
	ck, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "fork")
	res, err := s.Restore(ctx, ck.ID, dst, ckptfs.RestoreOptions{Delete: true})
	if err != nil || res.Written != 4 {
		t.Fatalf("restore into a new dir: %+v %v", res, err)
	}
	var lines []string
	if err := s.DiffDir(ctx, ck.ID, dst, func(c tree.Change) error { lines = append(lines, c.String()); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 0 {
		t.Fatalf("restored dir differs: %v", lines)
	}
}

// The patterns a directory checkpoint used are recorded in it: a restore
// protects what they exclude even where the stat cache does not know
// them (another directory, a lost cache), and also what the directory's
// last checkpoint excluded.
func TestRestoreUsesRecordedExcludes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"a": "a", "build/out": "o", "x.log": "l"})
	ck, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", Excludes: []string{"/build/", "*.log"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, ck.ID)
	if err != nil {
		t.Fatal(err)
	}
	if src := info.Source; src == nil || src.Dir != dir || !slices.Contains(src.Excludes, "/build/") || !slices.Contains(src.Excludes, ".git/") {
		t.Fatalf("source not recorded: %+v", src)
	}
	// A directory ckptfs has never seen: no stat cache.
	other := t.TempDir()
	testtree.Write(t, other, map[string]string{"build/out": "mine", "y.log": "y", ".git/HEAD": "h", "z": "z"})
	res, err := s.Restore(ctx, ck.ID, other, ckptfs.RestoreOptions{Delete: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 {
		t.Errorf("removed %d, want 1 (z)", res.Removed)
	}
	for p, want := range map[string]string{"a": "a", "build/out": "mine", "y.log": "y", ".git/HEAD": "h"} {
		if got := readFile(t, filepath.Join(other, p)); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	// A checkpoint made without the patterns, restored after a checkpoint
	// with them: the directory's last patterns still protect build/.
	dir2 := t.TempDir()
	testtree.Write(t, dir2, map[string]string{"a": "a"})
	first, err := s.CheckpointDir(ctx, dir2, ckptfs.CheckpointOptions{Session: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	testtree.Write(t, dir2, map[string]string{"build/out": "o"})
	if _, err := s.CheckpointDir(ctx, dir2, ckptfs.CheckpointOptions{Session: "s2", Excludes: []string{"/build/"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx, first.ID, dir2, ckptfs.RestoreOptions{Delete: true}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir2, "build/out")); got != "o" {
		t.Errorf("build/out = %q after restoring a checkpoint made before it was excluded", got)
	}
}
