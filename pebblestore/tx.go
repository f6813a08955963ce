package pebblestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Tx is a read-write transaction over the catalog, run by Commit or Update
// while no other transaction runs. Reads see the transaction's own writes.
type Tx struct {
	s       *Store
	b       *pebble.Batch // indexed
	delta   statsDelta
	deletes bool // the transaction deletes objects

	newObjs      map[ID]struct{}     // written by PutObject, absent before
	sessionsSeen map[string]struct{} // found or created: known once applied
	sessionsGone map[string]struct{} // deleted: forgotten once applied
}

type statsDelta struct {
	Sessions, Checkpoints, Objects, RawBytes, StoredBytes, LogicalBytes int64
}

func (d statsDelta) apply(s *Stats) {
	add := func(p *uint64, v int64) {
		if v < 0 && uint64(-v) > *p {
			*p = 0
			return
		}
		*p = uint64(int64(*p) + v)
	}
	add(&s.Sessions, d.Sessions)
	add(&s.Checkpoints, d.Checkpoints)
	add(&s.Objects, d.Objects)
	add(&s.RawBytes, d.RawBytes)
	add(&s.StoredBytes, d.StoredBytes)
	add(&s.LogicalBytes, d.LogicalBytes)
}

func (d *statsDelta) add(o statsDelta) {
	d.Sessions += o.Sessions
	d.Checkpoints += o.Checkpoints
	d.Objects += o.Objects
	d.RawBytes += o.RawBytes
	d.StoredBytes += o.StoredBytes
	d.LogicalBytes += o.LogicalBytes
}

// Update runs fn in a transaction and commits what it wrote durably (per
// the store's Durability). When fn returns an error nothing is written.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.Commit(ctx, nil, fn)
}

// Commit applies the objects of ob (may be nil) and the catalog changes of
// fn in one atomic batch. Objects are written before the records that
// reference them become visible; a crash leaves either all or none of it.
// fn runs with the commit lock held: it must be quick and must not call
// back into Commit or Update.
func (s *Store) Commit(ctx context.Context, ob *ObjectBatch, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ob != nil {
		ob.mu.Lock()
		defer ob.mu.Unlock()
		if err := ob.prepareLocked(); err != nil {
			return err
		}
	}
	batch, err := s.commitLocked(ob, fn)
	if batch == nil || err != nil {
		return err
	}
	defer batch.Close()
	if err := batch.SyncWait(); err != nil {
		return fmt.Errorf("pebblestore: sync: %w", mapIOError(err))
	}
	if ob != nil {
		ob.settle()
	}
	return nil
}

// commitLocked applies the batch under commitMu. It returns the applied
// batch when its WAL sync is still to be waited for; the caller closes it.
func (s *Store) commitLocked(ob *ObjectBatch, fn func(tx *Tx) error) (*pebble.Batch, error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	tx := &Tx{s: s, b: s.db.NewIndexedBatch()}
	txOwned := false // tx.b handed to the caller
	defer func() {
		if !txOwned {
			tx.b.Close()
		}
	}()
	if fn != nil {
		if err := fn(tx); err != nil {
			return nil, err
		}
	}
	out := tx.b
	if ob != nil {
		if err := ob.recheckLocked(); err != nil {
			return nil, err
		}
		tx.delta.add(ob.accountLocked())
		if err := ob.b.Apply(tx.b, nil); err != nil {
			return nil, fmt.Errorf("pebblestore: build batch: %w", err)
		}
		out = ob.b
	}
	next := s.stats
	tx.delta.apply(&next)
	out.Set(keyStats, next.encode(), nil)
	// Only a commit that adds to the store must leave the reserve free:
	// deleting (gc, delete) must work on a full disk.
	grows := tx.delta.Objects > 0 || tx.delta.Checkpoints > 0
	if err := s.checkSpace(out.Len(), grows); err != nil {
		return nil, err
	}
	var err error
	if s.wo.Sync {
		err = s.db.ApplyNoSyncWait(out, s.wo)
	} else {
		err = s.db.Apply(out, s.wo)
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: commit: %w", mapIOError(err))
	}
	s.stats = next
	for name := range tx.sessionsSeen {
		s.sessions[name] = struct{}{}
	}
	for name := range tx.sessionsGone {
		delete(s.sessions, name)
	}
	s.seq.Add(1)
	if tx.deletes {
		s.delSeq.Add(1)
	}
	if ob != nil {
		ob.b = s.db.NewBatch()
	}
	if !s.wo.Sync {
		if ob != nil {
			ob.settle()
			out.Close()
		}
		return nil, nil
	}
	txOwned = out == tx.b
	return out, nil
}

func (tx *Tx) get(key []byte) ([]byte, error) {
	v, closer, err := tx.b.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: get: %w", mapIOError(err))
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

func (tx *Tx) set(key, val []byte) {
	tx.b.Set(key, val, nil)
}

func (tx *Tx) del(key []byte) {
	tx.b.Delete(key, nil)
}

// DeleteObject removes an object (garbage collection only: the caller
// guarantees nothing live reaches it and it is not pinned).
func (tx *Tx) DeleteObject(id ID) error {
	v, err := tx.get(objIndexKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := decodeObjInfo(v)
	if err != nil {
		return fmt.Errorf("object %s: %w", id, err)
	}
	tx.del(objectKey(id))
	tx.del(objIndexKey(id))
	tx.deletes = true
	tx.delta.Objects--
	tx.delta.RawBytes -= int64(info.Raw)
	tx.delta.StoredBytes -= int64(info.Stored)
	return nil
}

// Pinned is Store.Pinned, for collectors running inside a transaction.
func (tx *Tx) Pinned() []ID { return tx.s.Pinned() }

// Reader returns a reader of the transaction's view, for scans.
func (tx *Tx) Reader() pebble.Reader { return tx.b }
