package bench

import (
	"fmt"
	"strconv"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// runMerge measures merge/*: per row, 10 runs on one fresh store, each in
// its own session: an untimed root checkpoint of checkpoint_state(200,
// 10) and one checkpoint per side from it, branch1 and branch2 of
// benchgen.MergeSides with n overlapping files; then the timed merge of
// branch1 into branch2 with strategy recursive. A run whose merge does not
// report exactly n conflicting paths is a wrong result. per_s rows: runs
// over the summed merge times; ms rows: the mean merge time.
func runMerge(e *env) error {
	base := benchgen.CheckpointState(seed, 200, 10)
	runs := e.count(10, 1)
	for _, r := range e.rows {
		e.start(r)
		side1, side2 := benchgen.MergeSides(base, r.n)
		var sm sampler
		err := e.withStore(func(s *ckptfs.Store) error {
			for i := range runs {
				session := "merge-" + strconv.Itoa(r.n) + "-" + strconv.Itoa(i)
				if err := mergeSetup(e, s, session, base, side1, side2); err != nil {
					return err
				}
				e.settle()
				var res ckptfs.MergeResult
				if err := sm.time(e.ctx, func() error {
					var err error
					res, err = s.Merge(e.ctx, ckptfs.MergeOptions{Session: session, Source: "branch1",
						Into: "branch2", Strategy: "recursive"})
					return err
				}); err != nil {
					return err
				}
				if len(res.Conflicts) != r.n || res.UpToDate || res.FastForward {
					return fmt.Errorf("%w: %s: %d conflicts, want %d", errWrongResult, r.name, len(res.Conflicts), r.n)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if r.unit == unitMS {
			e.record(r, milliseconds(&sm))
		} else {
			e.record(r, throughput(r, &sm))
		}
	}
	return nil
}

// mergeSetup creates the base on main and the two sides on branch1 and
// branch2, both children of the base.
func mergeSetup(e *env, s *ckptfs.Store, session string, base, side1, side2 map[string][]byte) error {
	root, err := s.CheckpointState(e.ctx, base, ckptfs.CheckpointOptions{Session: session})
	if err != nil {
		return err
	}
	for branch, st := range map[string]map[string][]byte{"branch1": side1, "branch2": side2} {
		if _, err := s.CheckpointState(e.ctx, st, ckptfs.CheckpointOptions{
			Session: session, Branch: branch, Parent: root.ID}); err != nil {
			return err
		}
	}
	return nil
}
