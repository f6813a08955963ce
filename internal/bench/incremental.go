package bench

import (
	"strconv"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// incrementalSession holds every checkpoint of the incremental workload.
const incrementalSession = "bench-incremental"

// runIncremental measures incremental/*, all rows on one fresh store.
//
// The numerator, a full checkpoint, is the mean time of 20 root
// checkpoints (no parent) of 100-file states checkpoint_state(100, 50)
// drawn with seeds seed, seed+1, …: each writes all of its 201 files, as
// the seed's first creation of the base did. (Checkpointing the same base
// again would find every object stored and measure only hashing.) The
// first of them is the base.
//
// Each timed loop starts after a garbage collection and a sync
// (env.settle) and one untimed checkpoint of its kind (a root checkpoint
// of another 100-file state; an incremental one of the row's pct at a run
// index no timed checkpoint uses). Without that warm-up the first timed
// checkpoint pays for the pools and caches the collection emptied:
// 300–600 µs against 120–200 µs for the next ones, a tenth of
// incremental/1pct's mean.
//
// The denominator, per row, is the mean time of 20 checkpoints of
// Incremental(base, run, pct) — the full modified state, as the seed
// passed it, diffed by the store — with the base as explicit parent.
// Speedup = full mean ÷ incremental mean.
func runIncremental(e *env) error {
	runs := e.count(20, 1)
	e.start(e.rows[0])
	return e.withStore(func(s *ckptfs.Store) error {
		base, full, err := measureFull(e, s, runs)
		if err != nil {
			return err
		}
		baseState := benchgen.CheckpointState(seed, 100, 50)
		for k, r := range e.rows {
			e.start(r)
			states := make([]map[string][]byte, runs)
			for i := range states {
				states[i] = benchgen.Incremental(baseState, i, r.n)
			}
			o := ckptfs.CheckpointOptions{Session: incrementalSession,
				Branch: "incremental-" + strconv.Itoa(r.n) + "pct", Parent: base}
			e.settle()
			// The warm-up: a run index no timed checkpoint uses.
			warm := benchgen.Incremental(baseState, runs+k, r.n)
			if _, err := s.CheckpointState(e.ctx, warm, ckptfs.CheckpointOptions{
				Session: incrementalSession, Branch: "warmup-incremental", Parent: base}); err != nil {
				return err
			}
			var inc sampler
			for _, st := range states {
				if err := inc.time(e.ctx, func() error {
					_, err := s.CheckpointState(e.ctx, st, o)
					return err
				}); err != nil {
					return err
				}
			}
			e.record(r, full.mean()/inc.mean())
		}
		return nil
	})
}

// measureFull times n root checkpoints of distinct 100-file states and
// returns the id of the first (the base) and the samples.
func measureFull(e *env, s *ckptfs.Store, n int) (ckptfs.ID, *sampler, error) {
	states := make([]map[string][]byte, n)
	for k := range states {
		states[k] = benchgen.CheckpointState(seed+uint64(k), 100, 50)
	}
	o := ckptfs.CheckpointOptions{Session: incrementalSession, Branch: "full", NoParent: true}
	e.settle()
	warm := benchgen.CheckpointState(seed+1000, 100, 50)
	if _, err := s.CheckpointState(e.ctx, warm, ckptfs.CheckpointOptions{
		Session: incrementalSession, Branch: "warmup", NoParent: true}); err != nil {
		return ckptfs.ID{}, nil, err
	}
	var full sampler
	var base ckptfs.ID
	for k, st := range states {
		if err := full.time(e.ctx, func() error {
			res, err := s.CheckpointState(e.ctx, st, o)
			if k == 0 {
				base = res.ID
			}
			return err
		}); err != nil {
			return ckptfs.ID{}, nil, err
		}
	}
	return base, &full, nil
}
