package pebblestore

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cockroachdb/pebble/v2"
)

// flushThreshold is the batch size at which an ObjectBatch writes its
// objects early (unsynced), so that a huge checkpoint never holds more than
// this much in memory. Pinned objects survive gc until the batch closes.
// Below half the memtable size, Pebble takes the batch into the memtable
// instead of queueing it as a separate "large batch": checkpointing a
// 1 GiB file peaked at 726 MB RSS with 32 MiB, 330 MB with 4 MiB (and ran
// 20 % faster).
const flushThreshold = 4 << 20

// ObjectBatch collects the new objects of one checkpoint. Put is safe for
// concurrent use. Objects are checked against the store and compressed in
// bulk — sorted, with one iterator, on every core — when the batch is
// committed with Store.Commit or grows past flushThreshold; until Close
// every id put or reused is pinned against garbage collection.
type ObjectBatch struct {
	s *Store

	mu      sync.Mutex // guards the fields below
	b       *pebble.Batch
	seen    map[ID]struct{}
	queued  []rawObject // put, not yet checked against the store
	qbytes  int
	pending []pendingObject // in b, not yet applied
	pinned  []ID
	written Written
	// present are the ids the checkpoint relies on without writing them
	// (found stored, or reused); delSeq is the store's deletion sequence
	// before the first of those checks. If objects were deleted since,
	// Commit re-checks them: see Store.Commit.
	present   []ID
	delSeq    uint64
	delSeqSet bool
}

type rawObject struct {
	id   ID
	kind Kind
	data []byte
}

type pendingObject struct {
	id   ID
	info objInfo
	// seq is the store's commit sequence when the object was found
	// missing; if no batch was applied since, it is still missing.
	seq uint64
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
// returns its id. data must not be modified afterwards.
func (ob *ObjectBatch) Put(kind Kind, data []byte) (ID, error) {
	id := Hash(kind, data)
	return id, ob.PutWithID(id, kind, data)
}

// PutWithID is Put for a caller that already computed id = Hash(kind, data).
// The batch keeps data until it is written: do not modify it.
func (ob *ObjectBatch) PutWithID(id ID, kind Kind, data []byte) error {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if _, ok := ob.seen[id]; ok {
		return nil
	}
	ob.seen[id] = struct{}{}
	ob.pinned = append(ob.pinned, id)
	ob.s.pins.pin(id) // before the existence check: see pinSet
	ob.queued = append(ob.queued, rawObject{id, kind, data})
	ob.qbytes += len(data)
	if ob.qbytes+ob.b.Len() >= flushThreshold {
		if err := ob.prepareLocked(); err != nil {
			return err
		}
		return ob.flushLocked()
	}
	return nil
}

// prepareLocked checks the queued objects against the store with one
// sorted iterator pass and compresses the missing ones in parallel into
// the pebble batch.
func (ob *ObjectBatch) prepareLocked() error {
	q := ob.queued
	ob.queued, ob.qbytes = nil, 0
	if len(q) == 0 {
		return nil
	}
	slices.SortFunc(q, func(a, b rawObject) int { return bytes.Compare(a.id[:], b.id[:]) })
	seq := ob.s.seq.Load()
	ob.noteCheckLocked()
	missing, err := ob.s.missing(q)
	if err != nil {
		return err
	}
	ob.notePresentLocked(q, missing)
	vals := make([][]byte, len(missing))
	total := 0
	for _, o := range missing {
		total += len(o.data)
	}
	// vals[i] stays nil for an object stored raw: addMissing writes it
	// straight into the batch.
	encode := func(i int) {
		if o := missing[i]; compressible(o.kind, o.data) {
			vals[i] = ob.s.codec.encode(o.kind, o.data)
		}
	}
	if total < 256<<10 {
		// Too little to be worth waking other threads.
		for i := range missing {
			encode(i)
		}
		return ob.addMissing(missing, vals, seq)
	}
	g := new(errgroup.Group)
	g.SetLimit(runtime.GOMAXPROCS(0))
	const per = 8
	for lo := 0; lo < len(missing); lo += per {
		hi := min(lo+per, len(missing))
		g.Go(func() error {
			for i := lo; i < hi; i++ {
				encode(i)
			}
			return nil
		})
	}
	g.Wait()
	return ob.addMissing(missing, vals, seq)
}

// addMissing adds new objects to the pebble batch: vals[i] is the encoded
// value, or nil for an object stored raw.
func (ob *ObjectBatch) addMissing(missing []rawObject, vals [][]byte, seq uint64) error {
	for i, o := range missing {
		info := objInfo{Kind: o.kind, Raw: uint64(len(o.data))}
		if vals[i] != nil {
			info.Stored = uint64(len(vals[i]))
			ob.b.Set(objectKey(o.id), vals[i], nil)
		} else {
			n, err := setRaw(ob.b, objectKey(o.id), o.kind, o.data)
			if err != nil {
				return fmt.Errorf("pebblestore: build batch: %w", err)
			}
			info.Stored = uint64(n)
		}
		ob.b.Set(objIndexKey(o.id), info.encode(), nil)
		ob.pending = append(ob.pending, pendingObject{o.id, info, seq})
	}
	return nil
}

// noteCheckLocked records the deletion sequence before an existence check.
func (ob *ObjectBatch) noteCheckLocked() {
	if !ob.delSeqSet {
		ob.delSeq, ob.delSeqSet = ob.s.delSeq.Load(), true
	}
}

// notePresentLocked records the objects of q (sorted) that are not in
// missing (a sorted subsequence of q): the batch relies on them.
func (ob *ObjectBatch) notePresentLocked(q, missing []rawObject) {
	j := 0
	for _, o := range q {
		if j < len(missing) && missing[j].id == o.id {
			j++
			continue
		}
		ob.present = append(ob.present, o.id)
	}
}

// recheckLocked fails with ErrRefConflict when an object the batch relies
// on was deleted (by gc) after the batch found it: a writer could otherwise
// pin an id after gc looked at the pins, see the object still there, and
// commit a reference to it just after gc's deletion lands. Called under
// commitMu; costs nothing unless a deletion happened meanwhile.
func (ob *ObjectBatch) recheckLocked() error {
	if len(ob.present) == 0 || ob.delSeq == ob.s.delSeq.Load() {
		return nil
	}
	for _, id := range ob.present {
		has, err := ob.s.Has(id)
		if err != nil {
			return err
		}
		if !has {
			return fmt.Errorf("%w: object %s was collected while the checkpoint was being made", ErrRefConflict, id.Short())
		}
	}
	return nil
}

// missing returns the objects of q (sorted by id) that the store lacks.
func (s *Store) missing(q []rawObject) ([]rawObject, error) {
	if len(q) <= 8 {
		// A few point lookups are cheaper than setting up an iterator.
		out := q[:0:0]
		for _, o := range q {
			has, err := s.Has(o.id)
			if err != nil {
				return nil, err
			}
			if !has {
				out = append(out, o)
			}
		}
		return out, nil
	}
	lo, hi := objIndexKey(q[0].id), prefixEnd(objIndexKey(q[len(q)-1].id))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: iterate: %w", mapIOError(err))
	}
	out := q[:0:0]
	key := make([]byte, 0, len(pfxObjIndex)+IDSize)
	for _, o := range q {
		key = append(append(key[:0], pfxObjIndex...), o.id[:]...)
		if !it.SeekGE(key) || !bytes.Equal(it.Key(), key) {
			out = append(out, o)
		}
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("pebblestore: iterate: %w", mapIOError(err))
	}
	return out, nil
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
	ob.pinned = append(ob.pinned, id)
	ob.s.pins.pin(id) // before the existence check: see pinSet
	ob.noteCheckLocked()
	ob.mu.Unlock()
	has, err := ob.s.Has(id)
	if err != nil {
		return err
	}
	if !has {
		// Not marked seen: a later Put of the same id must write it.
		return fmt.Errorf("reuse object %s: %w", id, ErrNotFound)
	}
	ob.mu.Lock()
	ob.seen[id] = struct{}{}
	ob.present = append(ob.present, id)
	ob.mu.Unlock()
	return nil
}

// Written returns what the batch has written so far that was new (objects
// not yet checked count as new and uncompressed: call Prepare first for
// exact figures).
func (ob *ObjectBatch) Written() Written {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	w := ob.written
	for _, p := range ob.queued {
		w.Objects++
		w.RawBytes += uint64(len(p.data))
		w.StoredBytes += uint64(len(p.data))
	}
	for _, p := range ob.pending {
		w.Objects++
		w.RawBytes += p.info.Raw
		w.StoredBytes += p.info.Stored
	}
	return w
}

// Prepare checks the queued objects against the store and compresses the
// new ones, so that Written is exact and Commit's critical section short.
func (ob *ObjectBatch) Prepare() error {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return ob.prepareLocked()
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
	if err := s.checkSpace(ob.b.Len(), true); err != nil {
		return err
	}
	if err := s.db.Apply(ob.b, pebble.NoSync); err != nil {
		return fmt.Errorf("pebblestore: write objects: %w", mapIOError(err))
	}
	s.stats = next
	s.seq.Add(1)
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
	cur := ob.s.seq.Load()
	for _, p := range ob.pending {
		if p.seq != cur {
			if has, err := ob.s.Has(p.id); err == nil && has {
				continue // rewritten with identical bytes: harmless, not counted
			}
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
