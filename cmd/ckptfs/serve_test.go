package main

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The idle clock stops while any command runs and restarts when the last
// one ends; stop is called once the server has been idle that long.
func TestIdleWatch(t *testing.T) {
	var stopped atomic.Int32
	w := newIdleWatch(50*time.Millisecond, func() { stopped.Add(1) })
	defer w.close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				w.begin()
				time.Sleep(5 * time.Millisecond)
				w.end()
			}
		}()
	}
	w.begin() // a long command outlives the idle time
	time.Sleep(150 * time.Millisecond)
	if stopped.Load() != 0 {
		t.Fatal("stopped while a command ran")
	}
	w.end()
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for stopped.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if stopped.Load() != 1 {
		t.Fatalf("stop called %d times after the idle time", stopped.Load())
	}
	if newIdleWatch(0, func() { t.Fatal("no idle exit asked") }) != nil {
		t.Fatal("idle watch without a duration")
	}
	var nilWatch *idleWatch
	nilWatch.begin()
	nilWatch.end()
	nilWatch.close()
}
