package bench

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// env is what a workload function gets: its selected rows, the options,
// fresh stores, and the recorder of its figures.
type env struct {
	ctx     context.Context
	o       Options
	rows    []rowSpec // selected rows of this workload, in report order
	out     []Row
	started map[string]bool
}

// count scales one of the seed's counts (at least min).
func (e *env) count(n, min int) int {
	return max(min, int(math.Round(float64(n)*e.o.Scale)))
}

// start announces row r (once) before any work for it.
func (e *env) start(r rowSpec) {
	if e.started[r.name] {
		return
	}
	e.started[r.name] = true
	if e.o.Progress != nil {
		e.o.Progress(r.name)
	}
}

// settle collects garbage left by setup and writes back the page cache
// earlier work dirtied (stores of previous rows, since deleted), so that
// neither is paid inside a timed loop: on two cores the kernel's
// writeback competes with the loop, and a timed loop of small
// checkpoints lasts about a millisecond.
func (e *env) settle() {
	runtime.GC()
	unix.Sync()
}

// record stores the figure of row r.
func (e *env) record(r rowSpec, v float64) {
	e.start(r)
	e.out = append(e.out, r.row(v))
}

// complete checks that every selected row was recorded once, with a
// positive, finite value.
func (e *env) complete() error {
	if len(e.out) != len(e.rows) {
		return fmt.Errorf("recorded %d rows, want %d", len(e.out), len(e.rows))
	}
	for i, r := range e.out {
		if r.Name != e.rows[i].name {
			return fmt.Errorf("row %d is %s, want %s", i, r.Name, e.rows[i].name)
		}
		if !(r.Value > 0) || math.IsInf(r.Value, 0) {
			return fmt.Errorf("%s = %v: not a positive finite figure", r.Name, r.Value)
		}
	}
	return nil
}

// withStore runs fn on a fresh store with the options' durability, then
// closes and removes it.
func (e *env) withStore(fn func(s *ckptfs.Store) error) error {
	return withStore(e.o.TempDir, e.o.Durability, fn)
}

func withStore(tempDir string, d ckptfs.Durability, fn func(s *ckptfs.Store) error) (err error) {
	dir, err := os.MkdirTemp(tempDir, "ckptfs-bench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	s, err := ckptfs.Open(filepath.Join(dir, "store"), ckptfs.Options{Durability: d})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return fn(s)
}

// sampler sums the durations of timed operations.
type sampler struct {
	total time.Duration
	n     int
}

// time runs op once and adds its duration.
func (sm *sampler) time(ctx context.Context, op func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.Now()
	err := op()
	sm.total += time.Since(t)
	sm.n++
	return err
}

// seconds is the total in seconds (never 0, so that rates stay finite).
func (sm *sampler) seconds() float64 { return max(sm.total, time.Nanosecond).Seconds() }

// mean is the mean duration in seconds.
func (sm *sampler) mean() float64 { return sm.seconds() / float64(max(sm.n, 1)) }

// throughput turns n operations in sm into row r's unit: per_s, or
// MB_per_s of r.n nominal bytes each (1 MB = 1,048,576 B, as benchgen).
func throughput(r rowSpec, sm *sampler) float64 {
	if r.unit == unitMBPerS {
		return float64(sm.n) * float64(r.n) / benchgen.MB / sm.seconds()
	}
	return float64(sm.n) / sm.seconds()
}

// milliseconds is the mean of sm in ms.
func milliseconds(sm *sampler) float64 { return sm.mean() * 1000 }
