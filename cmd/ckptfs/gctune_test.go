package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestTuneGC: GOGC starts high and comes back to 100 once the live heap
// passes smallHeap.
func TestTuneGC(t *testing.T) {
	t.Setenv("GOGC", "") // LookupEnv sees it set: left alone
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	tuneGC()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Fatalf("GOGC set in the environment was overridden: %d", p)
	}

	// Without GOGC in the environment (t.Setenv cannot unset it): the
	// parts tuneGC runs.
	debug.SetGCPercent(startGCPercent)
	armHeapWatch()
	runtime.GC()
	time.Sleep(10 * time.Millisecond) // let the finalizer run
	if p := debug.SetGCPercent(startGCPercent); p != startGCPercent {
		t.Fatalf("small heap: GOGC %d, want %d", p, startGCPercent)
	}
	big := make([][]byte, 0, 64)
	for range 64 {
		big = append(big, make([]byte, 1<<20)) // 64 MiB live
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		p := debug.SetGCPercent(startGCPercent)
		if p == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d with %d MiB live", p, len(big))
		}
	}
	runtime.KeepAlive(big)
}
