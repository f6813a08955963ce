package bench

import (
	"strconv"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// runCreate measures create/*: per row, on a fresh store, 10 checkpoints of
// the same large_state(n) (generated once, untimed), each in its own
// session bench-session-{i} as the seed did. The first writes everything;
// the others find every object already stored (identical states in
// different sessions deduplicate), so the figure is mostly the cost of
// hashing the state and committing the catalog. Rate = checkpoints (or
// nominal MB) over the summed checkpoint times.
func runCreate(e *env) error {
	reps := e.count(10, 1)
	for _, r := range e.rows {
		e.start(r)
		state := benchgen.LargeState(seed, r.n, e.o.Shape)
		var sm sampler
		err := e.withStore(func(s *ckptfs.Store) error {
			e.settle()
			for i := range reps {
				o := ckptfs.CheckpointOptions{Session: "bench-session-" + strconv.Itoa(i)}
				if err := sm.time(e.ctx, func() error {
					_, err := s.CheckpointState(e.ctx, state, o)
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
