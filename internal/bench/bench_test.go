package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// openBench opens a fresh store for a Go benchmark: Relaxed unless
// CKPTFS_BENCH_DURABILITY=synced, so that profiles show CPU, not fsync.
func openBench(b *testing.B) *ckptfs.Store {
	b.Helper()
	d := ckptfs.Relaxed
	if v := os.Getenv("CKPTFS_BENCH_DURABILITY"); v != "" {
		var err error
		if d, err = ParseDurability(v); err != nil {
			b.Fatal(err)
		}
	}
	s, err := ckptfs.Open(b.TempDir(), ckptfs.Options{Durability: d})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkCheckpointState10KB: a root checkpoint of large_state(10 KB).
// "new" writes a state never seen (generated untimed), "dedup" the same
// state each time in a new session (as 9 of create/10KB's 10 do).
func BenchmarkCheckpointState10KB(b *testing.B) {
	ctx := context.Background()
	b.Run("new", func(b *testing.B) {
		s := openBench(b)
		b.SetBytes(10 * benchgen.KB)
		i := uint64(0)
		for b.Loop() {
			b.StopTimer()
			i++
			state := benchgen.LargeState(seed+i, 10*benchgen.KB, benchgen.Text)
			b.StartTimer()
			if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "bench", NoParent: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dedup", func(b *testing.B) {
		s := openBench(b)
		b.SetBytes(10 * benchgen.KB)
		state := benchgen.LargeState(seed, 10*benchgen.KB, benchgen.Text)
		i := 0
		for b.Loop() {
			i++
			o := ckptfs.CheckpointOptions{Session: "bench-session-" + strconv.Itoa(i)}
			if _, err := s.CheckpointState(ctx, state, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadState: LoadState of large_state(10 KB) and (1 MB) after
// ClearCache (untimed), as load/10KB and load/1MB do.
func BenchmarkLoadState(b *testing.B) {
	for _, n := range []int{10 * benchgen.KB, benchgen.MB} {
		b.Run(strconv.Itoa(n/benchgen.KB)+"KB", func(b *testing.B) {
			ctx := context.Background()
			s := openBench(b)
			res, err := s.CheckpointState(ctx, benchgen.LargeState(seed, n, benchgen.Text), ckptfs.CheckpointOptions{Session: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				b.StopTimer()
				s.ClearCache()
				b.StartTimer()
				if _, err := s.LoadState(ctx, res.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIncremental1pct: a checkpoint changing 1 of the 100 files of
// checkpoint_state(100, 50) against it, through CheckpointState with the
// full modified state ("state", what incremental/1pct times) and through
// CheckpointDelta with the one changed file ("delta"); "full" is a root
// checkpoint of a new 100-file state, the speedup's numerator.
func BenchmarkIncremental1pct(b *testing.B) {
	ctx := context.Background()
	base := benchgen.CheckpointState(seed, 100, 50)
	setup := func(b *testing.B) (*ckptfs.Store, ckptfs.CheckpointOptions) {
		s := openBench(b)
		res, err := s.CheckpointState(ctx, base, ckptfs.CheckpointOptions{Session: "bench", NoParent: true})
		if err != nil {
			b.Fatal(err)
		}
		return s, ckptfs.CheckpointOptions{Session: "bench", Branch: "inc", Parent: res.ID}
	}
	b.Run("full", func(b *testing.B) { // the speedup's numerator
		s, _ := setup(b)
		i := uint64(0)
		for b.Loop() {
			b.StopTimer()
			i++
			st := benchgen.CheckpointState(seed+i, 100, 50)
			b.StartTimer()
			if _, err := s.CheckpointState(ctx, st, ckptfs.CheckpointOptions{Session: "bench", Branch: "full", NoParent: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("state", func(b *testing.B) {
		s, o := setup(b)
		run := 0
		for b.Loop() {
			run++
			st := benchgen.Incremental(base, run, 1)
			if _, err := s.CheckpointState(ctx, st, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("delta", func(b *testing.B) {
		s, o := setup(b)
		run := 0
		for b.Loop() {
			run++
			puts := map[string][]byte{"files.file_0.content": []byte("Modified content " + strconv.Itoa(run) + "-0")}
			if _, err := s.CheckpointDelta(ctx, puts, nil, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSearch1000: Search "test-5" over the query workload's 1,000
// checkpoints (caches warm, as query/search after its first run).
func BenchmarkSearch1000(b *testing.B) {
	ctx := context.Background()
	s := openBench(b)
	if err := populateQuery(ctx, s, benchgen.QueryItems(1000), time.Now()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		hits, err := s.Search(ctx, queryNeedle, ckptfs.SearchOptions{})
		if err != nil || len(hits) != 111 {
			b.Fatalf("Search = %d hits, %v; want 111", len(hits), err)
		}
	}
}
