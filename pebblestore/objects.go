package pebblestore

import (
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// flushThreshold is the batch size at which an ObjectBatch writes its
// objects early (unsynced), so that a huge checkpoint never holds more than
// this much in memory. Pinned objects survive gc until the batch closes.
const flushThreshold = 32 << 20

// ObjectBatch collects the new objects of one checkpoint. Put is safe for
// concurrent use. Objects become visible when the batch is committed with
// Store.Commit (or flushed early); until Close every id put or reused is
// pinned against garbage collection.
type ObjectBatch struct {
	s *Store

	mu      sync.Mutex // guards the fields below
	b       *pebble.Batch
	seen    map[ID]struct{}
	pending []pendingObject // in b, not yet applied
	pinned  []ID
	written Written
}

type pendingObject struct {
	id   ID
	info objInfo
}

// Written totals the objects a batch wrote that were new to the store.
type Written struct {
	Objects     uint64
	RawBytes    uint64
	StoredBytes uint64
}

// NewObjectBatch starts a batch of objects.
func (s *Store) NewObjectBatch() *ObjectBatch {
	return &ObjectBatch{s: s, b: s.db.NewBatch(), seen: make(map[ID]struct{})}
}

// Put stores an object unless the store or this batch already has it and
// returns its id.
func (ob *ObjectBatch) Put(kind Kind, data []byte) (ID, error) {
	id := Hash(kind, data)
	return id, ob.PutWithID(id, kind, data)
}

// PutWithID is Put for a caller that already computed id = Hash(kind, data).
func (ob *ObjectBatch) PutWithID(id ID, kind Kind, data []byte) error {
	ob.mu.Lock()
	if _, ok := ob.seen[id]; ok {
		ob.mu.Unlock()
		return nil
	}
	ob.seen[id] = struct{}{}
	ob.pinned = append(ob.pinned, id)
	ob.mu.Unlock()
	ob.s.pins.pin(id) // before Has: see pinSet
	has, err := ob.s.Has(id)
	if err != nil || has {
		return err
	}
	val := ob.s.codec.encode(kind, data)
	info := objInfo{Kind: kind, Raw: uint64(len(data)), Stored: uint64(len(val))}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.b.Set(objectKey(id), val, nil)
	ob.b.Set(objIndexKey(id), info.encode(), nil)
	ob.pending = append(ob.pending, pendingObject{id, info})
	if ob.b.Len() >= flushThreshold {
		return ob.flushLocked()
	}
	return nil
}

// Reuse pins an object that the new checkpoint references without writing
// it (an unchanged subtree or file of the parent) and checks that it still
// exists. Pinning a tree protects everything it reaches.
func (ob *ObjectBatch) Reuse(id ID) error {
	ob.mu.Lock()
	if _, ok := ob.seen[id]; ok {
		ob.mu.Unlock()
		return nil
	}
	ob.seen[id] = struct{}{}
	ob.pinned = append(ob.pinned, id)
	ob.mu.Unlock()
	ob.s.pins.pin(id)
	has, err := ob.s.Has(id)
	if err != nil {
		return err
	}
	if !has {
		return fmt.Errorf("reuse object %s: %w", id, ErrNotFound)
	}
	return nil
}

// Written returns what the batch has written so far that was new.
func (ob *ObjectBatch) Written() Written {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	w := ob.written
	for _, p := range ob.pending {
		w.Objects++
		w.RawBytes += p.info.Raw
		w.StoredBytes += p.info.Stored
	}
	return w
}

// flushLocked writes the pending objects unsynced: a later synced commit
// makes them durable (the WAL is ordered).
func (ob *ObjectBatch) flushLocked() error {
	s := ob.s
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	d := ob.accountLocked()
	next := s.stats
	d.apply(&next)
	ob.b.Set(keyStats, next.encode(), nil)
	if err := s.checkSpace(ob.b.Len()); err != nil {
		return err
	}
	if err := s.db.Apply(ob.b, pebble.NoSync); err != nil {
		return fmt.Errorf("pebblestore: write objects: %w", mapIOError(err))
	}
	s.stats = next
	ob.settle()
	ob.b.Close()
	ob.b = s.db.NewBatch()
	return nil
}

// accountLocked counts the pending objects that are not yet in the store
// (another writer may have committed the same object meanwhile). Called
// with s.commitMu held and ob.mu held.
func (ob *ObjectBatch) accountLocked() statsDelta {
	var d statsDelta
	kept := ob.pending[:0]
	for _, p := range ob.pending {
		if has, err := ob.s.Has(p.id); err == nil && has {
			continue // rewritten with identical bytes: harmless, not counted
		}
		d.Objects++
		d.RawBytes += int64(p.info.Raw)
		d.StoredBytes += int64(p.info.Stored)
		kept = append(kept, p)
	}
	ob.pending = kept
	return d
}

// settle moves the pending objects into the written totals after a
// successful apply.
func (ob *ObjectBatch) settle() {
	for _, p := range ob.pending {
		ob.written.Objects++
		ob.written.RawBytes += p.info.Raw
		ob.written.StoredBytes += p.info.Stored
	}
	ob.pending = ob.pending[:0]
}

// Close releases the pins and the batch. Objects not committed are dropped.
func (ob *ObjectBatch) Close() {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if ob.b != nil {
		ob.b.Close()
		ob.b = nil
	}
	ob.s.pins.unpin(ob.pinned)
	ob.pinned = nil
}
