package ckptfs_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/testtree"
)

// BenchmarkCheckpointDirCLI measures what one `ckptfs checkpoint
// --if-changed DIR` costs after process start: open the store, walk a copy
// of Go's source tree (CKPTFS_BENCH_DIR overrides it) with the stat cache,
// commit, close. "unchanged" changes nothing; "1pct" appends a line to 1 %
// of the files first (outside the timer).
func BenchmarkCheckpointDirCLI(b *testing.B) {
	src := testtree.BenchSource()
	dir := filepath.Join(b.TempDir(), "work")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		b.Fatalf("cp: %v %s", err, out)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	storeDir := b.TempDir()
	ctx := context.Background()
	checkpoint := func() {
		s, err := ckptfs.Open(storeDir, ckptfs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", IfChanged: true}); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	checkpoint()
	round := 0
	modify := func() {
		round++
		for i := round % 100; i < len(files); i += 100 {
			f, err := os.OpenFile(files[i], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(f, "// round %d\n", round)
			f.Close()
		}
	}
	b.Run("unchanged", func(b *testing.B) {
		checkpoint()
		for b.Loop() {
			checkpoint()
		}
	})
	b.Run("1pct", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			modify()
			b.StartTimer()
			checkpoint()
		}
	})
	// The same through a store kept open, as `ckptfs mount` serves
	// checkpoints made with `ckptfs checkpoint` while it runs.
	s, err := ckptfs.Open(storeDir, ckptfs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("1pct-open", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			modify()
			b.StartTimer()
			if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", IfChanged: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged-open", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: "s", IfChanged: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRestoreEmptyDir restores a checkpoint of Go's source tree
// (CKPTFS_BENCH_DIR overrides it) into a new, empty directory with a
// store that stays open; compare with `cp -a` of the same tree.
func BenchmarkRestoreEmptyDir(b *testing.B) {
	src := testtree.BenchSource()
	ctx := context.Background()
	s, err := ckptfs.Open(b.TempDir(), ckptfs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	res, err := s.CheckpointDir(ctx, src, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	n := 0
	for b.Loop() {
		n++
		if _, err := s.Restore(ctx, res.ID, filepath.Join(out, fmt.Sprint(n)), ckptfs.RestoreOptions{Delete: true}); err != nil {
			b.Fatal(err)
		}
	}
}
