package gc

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// ID is an object id.
type ID = pebblestore.ID

// Progress receives the stage of a collection ("mark", "sweep", …) and
// how far it is (total 0: unknown).
type Progress func(stage string, done, total int)

// Collector marks the objects that live checkpoints reach and sweeps the
// others. Mark first (MarkCheckpoint, without any lock), then Sweep inside
// Store.Update. A Collector is not safe for concurrent use, and its marks
// only grow: marking more than needed keeps garbage for one more round,
// never loses data.
type Collector struct {
	st *pebblestore.Store

	// visited holds the trees and checkpoint objects whose references
	// have been marked. It is exact: a tree in it has had all its entries
	// marked, so a shared subtree is read once.
	visited map[ID]struct{}
	// blobs holds marked blobs by the first 8 bytes of their id. A
	// collision only keeps a garbage blob alive; it never frees a live one.
	blobs map[uint64]struct{}

	progress Progress
	// Trees and checkpoint objects read while marking.
	read int
	// broken is the first marking error: a tree may then be in visited
	// before everything below it is marked, so Sweep refuses to run.
	broken error
}

// NewCollector returns a collector over st with nothing marked.
func NewCollector(st *pebblestore.Store) *Collector {
	return &Collector{st: st, visited: make(map[ID]struct{}), blobs: make(map[uint64]struct{})}
}

// SetProgress sets the progress callback (nil: none).
func (c *Collector) SetProgress(p Progress) { c.progress = p }

func (c *Collector) report(stage string, done, total int) {
	if c.progress != nil {
		c.progress(stage, done, total)
	}
}

func blobKey(id ID) uint64 { return binary.LittleEndian.Uint64(id[:8]) }

// Marked reports whether the object is marked live.
func (c *Collector) Marked(o pebblestore.ObjectInfo) bool {
	if o.Kind == pebblestore.KindBlob {
		_, ok := c.blobs[blobKey(o.ID)]
		return ok
	}
	_, ok := c.visited[o.ID]
	return ok
}

// MarkStats counts what the collector has marked.
type MarkStats struct {
	// Nodes is the number of trees and checkpoint objects marked (each
	// was read and decoded once).
	Nodes int
	// Blobs is the number of distinct blobs marked.
	Blobs int
}

// Stats returns what has been marked so far.
func (c *Collector) Stats() MarkStats {
	return MarkStats{Nodes: len(c.visited), Blobs: len(c.blobs)}
}

// MarkCheckpoints marks every checkpoint of ids (see MarkCheckpoint),
// reporting progress as stage "mark".
func (c *Collector) MarkCheckpoints(ctx context.Context, ids []ID) error {
	for i, id := range ids {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			c.report("mark", i, len(ids))
		}
		if err := c.MarkCheckpoint(ctx, id); err != nil {
			return err
		}
	}
	c.report("mark", len(ids), len(ids))
	return nil
}

// MarkCheckpoint marks checkpoint object id, its root tree and everything
// below it. Parents are not followed: a checkpoint reaches all its bytes
// through its own root. A missing or undecodable object is an error — a
// collector that cannot see what a live checkpoint reaches must not sweep.
func (c *Collector) MarkCheckpoint(ctx context.Context, id ID) error {
	if _, ok := c.visited[id]; ok {
		return nil
	}
	b, err := c.get(ctx, id, pebblestore.KindCheckpoint)
	if err != nil {
		return err
	}
	ck, err := tree.DecodeCheckpoint(b)
	if err != nil {
		return fmt.Errorf("gc: checkpoint %s: %w: %w", id.Short(), pebblestore.ErrCorrupt, err)
	}
	if err := c.MarkTree(ctx, ck.Root); err != nil {
		return fmt.Errorf("gc: checkpoint %s: %w", id.Short(), err)
	}
	c.visited[id] = struct{}{}
	return nil
}

// fail records a marking error (see broken) and returns it.
func (c *Collector) fail(err error) error {
	if c.broken == nil {
		c.broken = err
	}
	return err
}

// MarkTree marks tree id and everything below it, reading each tree not
// yet marked once.
func (c *Collector) MarkTree(ctx context.Context, id ID) error {
	if _, ok := c.visited[id]; ok {
		return nil
	}
	stack := []ID{id}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := c.visited[id]; ok {
			continue // reached twice before it was read
		}
		b, err := c.get(ctx, id, pebblestore.KindTree)
		if err != nil {
			return c.fail(err)
		}
		t, err := tree.DecodeTree(b)
		if err != nil {
			return c.fail(fmt.Errorf("gc: tree %s: %w: %w", id.Short(), pebblestore.ErrCorrupt, err))
		}
		for i := range t.Entries {
			e := &t.Entries[i]
			switch e.Type {
			case tree.TypeDir:
				if _, ok := c.visited[e.Tree]; !ok {
					stack = append(stack, e.Tree)
				}
			case tree.TypeFile:
				for _, ch := range e.Chunks {
					c.blobs[blobKey(ch.ID)] = struct{}{}
				}
			}
		}
		// Its children are marked or on the stack: if reading one of them
		// fails, the collector is broken (see fail).
		c.visited[id] = struct{}{}
	}
	return nil
}

// MarkObject marks an object of any kind and what it reaches.
func (c *Collector) MarkObject(ctx context.Context, id ID, kind pebblestore.Kind) error {
	switch kind {
	case pebblestore.KindBlob:
		c.blobs[blobKey(id)] = struct{}{}
		return nil
	case pebblestore.KindTree:
		return c.MarkTree(ctx, id)
	case pebblestore.KindCheckpoint:
		return c.MarkCheckpoint(ctx, id)
	}
	return fmt.Errorf("gc: object %s: %w: unknown kind %d", id.Short(), pebblestore.ErrCorrupt, kind)
}

func (c *Collector) get(ctx context.Context, id ID, want pebblestore.Kind) ([]byte, error) {
	if c.read%256 == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	c.read++
	kind, b, err := c.st.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("gc: mark %s %s: %w", want, id.Short(), err)
	}
	if kind != want {
		return nil, fmt.Errorf("gc: mark %s: %w: it is a %s, want a %s", id.Short(), pebblestore.ErrCorrupt, kind, want)
	}
	return b, nil
}

// Freed totals the objects a sweep frees (or would free).
type Freed struct {
	Objects     int
	RawBytes    int64
	StoredBytes int64
}

func (f *Freed) add(o pebblestore.ObjectInfo) {
	f.Objects++
	f.RawBytes += int64(o.Raw)
	f.StoredBytes += int64(o.Stored)
}

// Garbage scans the object index, without any lock, and totals the
// objects not marked: what a sweep would free if nothing changed meanwhile
// (pins and checkpoints created concurrently are not considered). It
// changes nothing; dry runs use it.
func (c *Collector) Garbage(ctx context.Context) (Freed, error) {
	var f Freed
	err := c.st.Objects(ctx, func(o pebblestore.ObjectInfo) error {
		if !c.Marked(o) {
			f.add(o)
		}
		return nil
	})
	return f, err
}
