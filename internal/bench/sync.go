package bench

import (
	"context"
	"slices"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// syncSamples is how many synced empty commits sync_ms is the median of.
const syncSamples = 50

// measureSync returns the median duration in ms of one synced empty commit
// on a fresh Synced store, whatever the benchmark's durability: an Update
// whose transaction writes nothing, so that the batch holds only the
// store's stats key and the cost is the WAL write and its fsync. One
// unmeasured commit goes first.
func measureSync(ctx context.Context, tempDir string) (float64, error) {
	var ms []float64
	err := withStore(tempDir, ckptfs.Synced, func(s *ckptfs.Store) error {
		empty := func(*pebblestore.Tx) error { return nil }
		if err := s.Objects().Update(ctx, empty); err != nil {
			return err
		}
		for range syncSamples {
			t := time.Now()
			if err := s.Objects().Update(ctx, empty); err != nil {
				return err
			}
			ms = append(ms, float64(time.Since(t))/float64(time.Millisecond))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.Sort(ms)
	return max(ms[len(ms)/2], 1e-6), nil
}
