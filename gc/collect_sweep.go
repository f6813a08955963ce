package gc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/cockroachdb/pebble/v2"
)

// Sweep is what a sweep deleted.
type Sweep struct {
	Freed
	// IDs are the deleted objects in id order.
	IDs []ID
}

// Sweep deletes, in tx, every object that nothing live reaches. It must
// run inside Store.Update (the commit lock is held, so no checkpoint can
// commit until tx is applied), after the mark phase. Besides what was
// marked it keeps, marking them now:
//
//   - every checkpoint that has a catalog record in tx's view (created since
//     the mark phase, or not marked for any other reason), unless deleted
//     says it is deleted in this same transaction;
//   - the closure of every id pinned by a checkpoint still being written
//     (objects it wrote or found present). A writer that pins an object
//     after this look and finds it still stored is caught when it commits:
//     the store re-checks what it relied on whenever objects were deleted
//     since (pebblestore's deletion sequence), and the writer rebuilds. So
//     pins only spare writers that retry; correctness does not hang on
//     them.
//
// Everything else in the object index is deleted, including objects that
// appeared after the mark phase without a record or pin (left by a
// checkpoint that failed): the deleted set is exactly the complement of a
// closed marked set, so no surviving tree ever points at a deleted object.
//
// A live object that cannot be read while marking (missing, corrupt)
// makes Sweep fail without deleting anything.
func (c *Collector) Sweep(ctx context.Context, tx *pebblestore.Tx, deleted map[ID]struct{}) (*Sweep, error) {
	if c.broken != nil {
		return nil, fmt.Errorf("gc: marking failed earlier: %w", c.broken)
	}
	// Under the commit lock the store's object set cannot change, so the
	// index scanned now is every object: marked ones and cand.
	var cand []pebblestore.ObjectInfo
	n := 0
	err := c.st.Objects(ctx, func(o pebblestore.ObjectInfo) error {
		if n++; n%4096 == 0 {
			c.report("sweep", n, 0)
		}
		if !c.Marked(o) {
			cand = append(cand, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range cand {
		if o.Kind != pebblestore.KindCheckpoint || c.Marked(o) {
			continue
		}
		if _, gone := deleted[o.ID]; gone {
			continue
		}
		live, err := liveCheckpoint(c.st, tx, o.ID)
		if err != nil {
			return nil, err
		}
		if live {
			if err := c.MarkCheckpoint(ctx, o.ID); err != nil {
				return nil, err
			}
		}
	}
	looked := make(map[ID]struct{})
	if err := c.markPinned(ctx, tx.Pinned(), cand, looked); err != nil {
		return nil, err
	}
	sw := &Sweep{}
	for _, o := range cand {
		if c.Marked(o) {
			continue
		}
		if err := tx.DeleteObject(o.ID); err != nil {
			return nil, err
		}
		sw.add(o)
		sw.IDs = append(sw.IDs, o.ID)
	}
	c.report("sweep", n, n)
	return sw, nil
}

func cmpID(a, b ID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// markPinned marks the closure of each pinned id not looked at yet. Under
// the commit lock every stored object is either marked or in cand (sorted
// by id), so a pin that is in neither is a marked blob or an object still
// pending in its writer's batch; the writer pinned that object's
// references itself.
func (c *Collector) markPinned(ctx context.Context, pins []ID, cand []pebblestore.ObjectInfo, looked map[ID]struct{}) error {
	for _, p := range pins {
		if _, ok := looked[p]; ok {
			continue
		}
		looked[p] = struct{}{}
		if _, ok := c.visited[p]; ok {
			continue
		}
		i, found := slices.BinarySearchFunc(cand, p, func(o pebblestore.ObjectInfo, id ID) int { return cmpID(o.ID, id) })
		if !found {
			continue
		}
		if err := c.MarkObject(ctx, p, cand[i].Kind); err != nil {
			return err
		}
	}
	return nil
}

// liveCheckpoint reports whether checkpoint id has a record in tx's view.
func liveCheckpoint(st *pebblestore.Store, tx *pebblestore.Tx, id ID) (bool, error) {
	session, err := st.SessionOf(id)
	if errors.Is(err, pebblestore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = tx.Record(session, id)
	if errors.Is(err, pebblestore.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Object key prefixes (docs/FORMAT.md): o/<id> holds an object, x/<id>
// its index entry.
var objectPrefixes = [...]string{"o/", "x/"}

// ReclaimMin is the smallest sweep, in stored bytes, worth a Reclaim: a
// compaction rewrites the live objects of the range it covers, which costs
// far more than a few hundred KiB of tombstoned values that Pebble's own
// compactions drop in time anyway.
const ReclaimMin = 1 << 20

// Reclaim compacts the key ranges a sweep deleted from, so that the disk
// space returns now instead of whenever Pebble's own heuristics get to
// the tombstones. Its cost is a rewrite of the live objects whose keys
// fall between the first and last deleted id (ids are hashes, so usually
// the whole object range): see docs/GC.md.
func Reclaim(ctx context.Context, db *pebble.DB, sw *Sweep) error {
	if sw == nil || len(sw.IDs) == 0 {
		return nil
	}
	first, last := sw.IDs[0], sw.IDs[len(sw.IDs)-1]
	for _, p := range objectPrefixes {
		start := append([]byte(p), first[:]...)
		end := append(append([]byte(p), last[:]...), 0) // just past last
		if err := db.Compact(ctx, start, end, true); err != nil {
			return fmt.Errorf("gc: compact %s range: %w", p, err)
		}
	}
	// Pebble removes the replaced files in the background; wait (briefly)
	// so that the space is back when gc returns: on a full disk the next
	// checkpoint needs it.
	deadline := time.Now().Add(3 * time.Second)
	for db.Metrics().Table.ObsoleteCount > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
