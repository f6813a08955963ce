package bench

import (
	"fmt"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/gc"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// runGC measures gc/aggressive, gc/normal and gc/conservative: per row, a
// fresh store holding the seed's 1,000 checkpoints (GCItems: sessions
// gc-session-0…9, state {data: checkpoint-i}, dated now − 1…90 whole days,
// created oldest index first so each session's last item is its branch
// head; setup untimed), then one timed GC with keep-within n days and tags
// kept (the default). Every row gets an identical fresh store, so none
// sees what an earlier one deleted. A GC that deletes other than the
// checkpoints at least n days old that are not branch heads is a wrong
// result. Rate: checkpoints deleted per second of the GC call, which
// includes listing, marking, the sweep in one synced batch and, when it
// frees at least gc.ReclaimMin bytes, the compaction.
func runGC(e *env) error {
	items := benchgen.GCItems(seed, e.count(1000, 50)) // at least 5 per session
	for _, r := range e.rows {
		e.start(r)
		keep := time.Duration(r.n) * 24 * time.Hour
		var sm sampler
		err := e.withStore(func(s *ckptfs.Store) error {
			now := time.Now()
			heads := map[string]int{} // session → index of its newest item
			for i, it := range items {
				if _, err := s.CheckpointState(e.ctx, it.State, ckptfs.CheckpointOptions{
					Session: it.Session, Time: now.Add(-it.Age)}); err != nil {
					return err
				}
				heads[it.Session] = i
			}
			want := 0
			for i, it := range items {
				if it.Age >= keep && heads[it.Session] != i {
					want++
				}
			}
			e.settle()
			var res ckptfs.GCResult
			if err := sm.time(e.ctx, func() error {
				var err error
				res, err = s.GC(e.ctx, ckptfs.GCOptions{Policy: gc.Policy{KeepWithin: keep}})
				return err
			}); err != nil {
				return err
			}
			if res.Deleted != want || res.Kept != len(items)-want {
				return fmt.Errorf("%w: %s deleted %d and kept %d checkpoints, want %d and %d",
					errWrongResult, r.name, res.Deleted, res.Kept, want, len(items)-want)
			}
			sm.n = res.Deleted // the rate counts deletions, not GC calls
			return nil
		})
		if err != nil {
			return err
		}
		e.record(r, throughput(r, &sm))
	}
	return nil
}
