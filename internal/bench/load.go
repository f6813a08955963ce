package bench

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// runLoad measures load/*: per row, on a fresh store, one checkpoint of
// large_state(n), then 20 LoadState calls, each after ClearCache (the
// decoded-object caches; Pebble's block cache and the OS page cache stay
// warm, as the seed's did). One untimed load first checks that the state
// reads back byte for byte. Rate = loads (or nominal MB) over the summed
// load times; ClearCache is not timed.
func runLoad(e *env) error {
	runs := e.count(20, 1)
	for _, r := range e.rows {
		e.start(r)
		state := benchgen.LargeState(seed, r.n, e.o.Shape)
		var sm sampler
		err := e.withStore(func(s *ckptfs.Store) error {
			res, err := s.CheckpointState(e.ctx, state, ckptfs.CheckpointOptions{Session: "bench-load"})
			if err != nil {
				return err
			}
			s.ClearCache()
			if err := checkLoad(e.ctx, s, res.ID, state); err != nil {
				return err
			}
			e.settle()
			for range runs {
				s.ClearCache()
				if err := sm.time(e.ctx, func() error {
					_, err := s.LoadState(e.ctx, res.ID)
					return err
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		e.record(r, throughput(r, &sm))
	}
	return nil
}

// checkLoad loads checkpoint id and compares it with want.
func checkLoad(ctx context.Context, s *ckptfs.Store, id ckptfs.ID, want map[string][]byte) error {
	got, err := s.LoadState(ctx, id)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("%w: loaded %d files, want %d", errWrongResult, len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			return fmt.Errorf("%w: loaded %s differs (%d bytes, want %d)", errWrongResult, k, len(got[k]), len(v))
		}
	}
	return nil
}
