package integration

import (
	"context"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptfs/ckptfs"
)

// Benchmarks of the mount (issue 4). Run:
//
//	go test ./integration -run '^$' -bench . -benchtime 3x
//
// Each pairs an operation through the mount with the same on the source
// directory or the Go API. They report; they never assert timings.

// pseudoText writes n bytes of seeded pseudo-text (compresses about 3:1).
func pseudoText(t testing.TB, path string, n int) {
	t.Helper()
	words := strings.Fields("the quick brown fox jumps over a lazy dog while checkpoints of file trees " +
		"keep every version deduplicated compressed and mounted as a filesystem for agents and people")
	r := rand.New(rand.NewPCG(1, 2))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 0, 1<<20)
	for written := 0; written < n; {
		buf = buf[:0]
		for len(buf) < cap(buf)-64 {
			buf = append(buf, words[r.IntN(len(words))]...)
			if r.IntN(12) == 0 {
				buf = fmt.Appendf(buf, " %d\n", r.Int64())
			} else {
				buf = append(buf, ' ')
			}
		}
		k := min(len(buf), n-written)
		f.Write(buf[:k])
		written += k
	}
}

func catNull(b *testing.B, path string) {
	b.Helper()
	if err := exec.Command("/bin/sh", "-c", "cat "+path+" > /dev/null").Run(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCat256MiB: cat of a 256 MiB file; cold = a fresh mount (empty
// chunk cache, no page cache for the file; the store's own files are in
// the OS page cache), warm = the second cat through the same mount.
func BenchmarkCat256MiB(pb *testing.B) {
	b := pb
	const size = 256 << 20
	src := b.TempDir()
	pseudoText(b, filepath.Join(src, "big"), size)
	store := newStore(b)
	m := startMount(b, store)
	mustCtl(b, m.path("ctl"), "session s")
	id := checkpoint(b, m, "s", src)
	file := m.path("sessions/s/checkpoints", id[:12], "big")
	b.Run("source", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			catNull(b, filepath.Join(src, "big"))
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			b.StopTimer()
			m.stop()
			m = startMountAt(pb, store, m.dir) // stopped when the parent ends
			b.StartTimer()
			catNull(b, file)
		}
	})
	b.Run("warm", func(b *testing.B) {
		catNull(b, file)
		b.SetBytes(size)
		for b.Loop() {
			catNull(b, file)
		}
	})
}

// BenchmarkLsLR: ls -lR over a checkpoint of 12,000 files in 120
// directories, against the same on the source tree.
func BenchmarkLsLR(pb *testing.B) {
	b := pb
	src := b.TempDir()
	for d := range 120 {
		dir := filepath.Join(src, fmt.Sprintf("dir%03d", d))
		os.MkdirAll(dir, 0o755)
		for f := range 100 {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%03d.txt", f)), []byte(fmt.Sprint(d, f)), 0o644)
		}
	}
	store := newStore(b)
	m := startMount(b, store)
	mustCtl(b, m.path("ctl"), "session s")
	id := checkpoint(b, m, "s", src)
	ck := m.path("sessions/s/checkpoints", id[:12])
	ls := func(b *testing.B, dir string) {
		if err := exec.Command("/bin/sh", "-c", "ls -lR "+dir+" > /dev/null").Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("source", func(b *testing.B) {
		for b.Loop() {
			ls(b, src)
		}
	})
	b.Run("mount-cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			m.stop()
			m = startMountAt(pb, store, m.dir)
			b.StartTimer()
			ls(b, ck)
		}
	})
	b.Run("mount-warm", func(b *testing.B) {
		ls(b, ck)
		for b.Loop() {
			ls(b, ck)
		}
	})
	b.Run("find-mount-warm", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/sh", "-c", "find "+ck+" > /dev/null").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("find-source", func(b *testing.B) {
		for b.Loop() {
			exec.Command("/bin/sh", "-c", "find "+src+" > /dev/null").Run()
		}
	})
}

// BenchmarkLsBranch: ls of a branch with 10,000 checkpoints (first: the
// session catalog is built; then: it is cached and only rebuilt after a
// change), and of checkpoints/ with 100,000 when CKPTFS_BENCH_100K=1.
func BenchmarkLsBranch(pb *testing.B) {
	b := pb
	counts := []int{10_000}
	if os.Getenv("CKPTFS_BENCH_100K") == "1" {
		counts = append(counts, 100_000)
	}
	for _, n := range counts {
		store := newStore(b)
		populate(b, store, "s", n, nil)
		m := startMount(b, store)
		dir := m.path("sessions/s/branches/main")
		ls := func(b *testing.B) {
			out, err := exec.Command("ls", dir).Output()
			if err != nil || strings.Count(string(out), "\n") != n+2 {
				b.Fatalf("ls: %v, %d lines", err, strings.Count(string(out), "\n"))
			}
		}
		b.Run(fmt.Sprintf("%d/first", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				m.stop()
				m = startMountAt(pb, store, m.dir)
				b.StartTimer()
				ls(b)
			}
		})
		b.Run(fmt.Sprintf("%d/cached", n), func(b *testing.B) {
			ls(b)
			for b.Loop() {
				ls(b)
			}
		})
		b.Run(fmt.Sprintf("%d/ls-l", n), func(b *testing.B) {
			for b.Loop() {
				if err := exec.Command("/bin/sh", "-c", "ls -l "+dir+" > /dev/null").Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
		m.stop()
	}
}

// BenchmarkCheckpointCtl: a checkpoint of a 20-file directory through the
// control file (an open handle, one write and one read per command)
// against the same through the Go API on a store of its own.
func BenchmarkCheckpointCtl(b *testing.B) {
	files := map[string]string{}
	for i := range 20 {
		files[fmt.Sprintf("f%02d", i)] = strings.Repeat(fmt.Sprint(i), 200)
	}
	src := testtree.New(b, files)
	b.Run("api", func(b *testing.B) {
		st, err := ckptfs.Open(newStore(b), ckptfs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			if _, err := st.CheckpointDir(ctx, src, ckptfs.CheckpointOptions{Session: "s", Message: fmt.Sprint(i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ctl", func(b *testing.B) {
		m := startMount(b, newStore(b))
		mustCtl(b, m.path("ctl"), "session s")
		f, err := os.OpenFile(m.path("sessions/s/ctl"), os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 256)
		i := 0
		for b.Loop() {
			i++
			if _, err := fmt.Fprintf(f, "checkpoint from=%s message=%d\n", src, i); err != nil {
				b.Fatal(err)
			}
			if n, _ := f.Read(buf); n == 0 || string(buf[:2]) != "ok" {
				b.Fatalf("result %q", buf[:n])
			}
		}
	})
}
