package gc

import (
	"context"
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// bigStore builds nCk checkpoint objects, each with a root tree of files
// unique blobs (16 bytes each): nCk × (files + 2) objects.
func bigStore(tb testing.TB, dir string, nCk, files int) (*pebblestore.Store, []ID) {
	tb.Helper()
	ctx := context.Background()
	st, err := pebblestore.Open(dir, pebblestore.Options{Durability: pebblestore.Relaxed})
	if err != nil {
		tb.Fatal(err)
	}
	cks := make([]ID, nCk)
	for c := range nCk {
		ob := st.NewObjectBatch()
		entries := make([]tree.Entry, files)
		for i := range files {
			b := make([]byte, 16)
			binary.LittleEndian.PutUint64(b, uint64(c))
			binary.LittleEndian.PutUint64(b[8:], uint64(i))
			id, err := ob.Put(pebblestore.KindBlob, b)
			if err != nil {
				tb.Fatal(err)
			}
			entries[i] = tree.Entry{Name: "f" + strconv.Itoa(1_000_000+i), Type: tree.TypeFile, Mode: 0o644,
				Size: 16, Chunks: []tree.Chunk{{ID: id, Size: 16}}}
		}
		enc, err := tree.EncodeTree(&tree.Tree{Entries: entries})
		if err != nil {
			tb.Fatal(err)
		}
		root, err := ob.Put(pebblestore.KindTree, enc)
		if err != nil {
			tb.Fatal(err)
		}
		cks[c], err = ob.Put(pebblestore.KindCheckpoint, tree.EncodeCheckpoint(&tree.Checkpoint{
			Root: root, Session: "s", Branch: "main", Time: time.Unix(int64(c), 0).UTC()}))
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.Commit(ctx, ob, nil); err != nil {
			tb.Fatal(err)
		}
		ob.Close()
	}
	if err := st.DB().Flush(); err != nil {
		tb.Fatal(err)
	}
	return st, cks
}

// heapPeak samples the Go heap in use until stop is called and returns
// the peak.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// collectHalf marks half of the checkpoints and sweeps the other half,
// reporting times and the Go heap.
func collectHalf(tb testing.TB, st *pebblestore.Store, cks []ID) {
	ctx := context.Background()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := heapPeak()
	t0 := time.Now()
	c := NewCollector(st)
	if err := c.MarkCheckpoints(ctx, cks[len(cks)/2:]); err != nil {
		tb.Fatal(err)
	}
	mark := time.Since(t0)
	runtime.GC()
	var marked runtime.MemStats
	runtime.ReadMemStats(&marked)
	t1 := time.Now()
	var sw *Sweep
	err := st.Update(ctx, func(tx *pebblestore.Tx) error {
		var err error
		sw, err = c.Sweep(ctx, tx, nil)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	sweep := time.Since(t1)
	peak := stop()
	total := st.Stats()
	live := c.Stats()
	liveN := live.Nodes + live.Blobs
	tb.Logf("objects: %d live, %d swept (%d left in the store)", liveN, sw.Objects, total.Objects)
	tb.Logf("mark: %v (%.0f ns per live object); sweep under the commit lock (scan %d index entries, queue %d deletes, apply): %v (%.0f ns per object scanned)",
		mark, float64(mark.Nanoseconds())/float64(liveN), liveN+sw.Objects, sw.Objects, sweep,
		float64(sweep.Nanoseconds())/float64(liveN+sw.Objects))
	tb.Logf("Go heap: %.1f MiB before, marks retained %.1f MiB (%.1f B per live object), peak %.1f MiB during mark+sweep",
		mib(base.HeapAlloc), mib(marked.HeapAlloc-base.HeapAlloc), float64(marked.HeapAlloc-base.HeapAlloc)/float64(liveN), mib(peak))
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// TestCollect1M measures gc on a store of about 1M objects (1,000
// checkpoints of 1,000 unique blobs): half marked, half swept. Slow: set
// CKPTFS_GC_1M=1.
func TestCollect1M(t *testing.T) {
	if os.Getenv("CKPTFS_GC_1M") == "" {
		t.Skip("set CKPTFS_GC_1M=1 (builds a store of 1M objects)")
	}
	t0 := time.Now()
	st, cks := bigStore(t, t.TempDir(), 1000, 1000)
	defer st.Close()
	t.Logf("built %d objects in %v", st.Stats().Objects, time.Since(t0))
	collectHalf(t, st, cks)
}

// BenchmarkCollect100k: mark 50 of 100 checkpoints of 1,000 blobs and
// sweep the rest (100k objects).
func BenchmarkCollect100k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		st, cks := bigStore(b, b.TempDir(), 100, 1000)
		b.StartTimer()
		collectHalf(b, st, cks)
		b.StopTimer()
		st.Close()
	}
}
