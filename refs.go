package ckptfs

import (
	"context"
	"fmt"
	"slices"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// CreateSession creates an empty session (ErrExists if it exists).
func (s *Store) CreateSession(ctx context.Context, name string) error {
	if err := ValidateName("session", name); err != nil {
		return err
	}
	err := s.st.Update(ctx, func(tx *pebblestore.Tx) error { return tx.CreateSession(name, s.now()) })
	if err == nil {
		s.notify(Event{Kind: SessionCreated, Session: name})
	}
	return err
}

// RemoveSession removes a session without checkpoints (ErrNotEmpty
// otherwise).
func (s *Store) RemoveSession(ctx context.Context, name string) error {
	if err := ValidateName("session", name); err != nil {
		return err
	}
	err := s.st.Update(ctx, func(tx *pebblestore.Tx) error { return tx.DeleteSession(ctx, name) })
	if err == nil {
		s.notify(Event{Kind: SessionRemoved, Session: name})
	}
	return err
}

// Sessions lists session names in order.
func (s *Store) Sessions(ctx context.Context) ([]string, error) {
	infos, err := s.st.Sessions(ctx)
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names, err
}

// HasSession reports whether a session exists.
func (s *Store) HasSession(name string) (bool, error) { return s.st.HasSession(name) }

// Branches lists a session's branches with their heads.
func (s *Store) Branches(ctx context.Context, session string) ([]pebblestore.Branch, error) {
	if err := s.requireSession(session); err != nil {
		return nil, err
	}
	return s.st.Branches(ctx, session)
}

// Head returns a branch's head.
func (s *Store) Head(session, branch string) (ID, error) { return s.st.Head(session, branch) }

// Tags lists the tag names used in a session.
func (s *Store) Tags(ctx context.Context, session string) ([]string, error) {
	if err := s.requireSession(session); err != nil {
		return nil, err
	}
	return s.st.Tags(ctx, session)
}

// ResolveRef resolves "from" for branch creation: a branch name of the
// session, else a checkpoint id prefix in the session; "" is main's head.
func (s *Store) ResolveRef(ctx context.Context, session, ref string) (ID, error) {
	if ref == "" {
		ref = DefaultBranch
	}
	if ValidateName("branch", ref) == nil {
		id, err := s.st.Head(session, ref)
		if err == nil {
			return id, nil
		}
		if !isNotFound(err) {
			return ID{}, err
		}
	}
	if !pebblestore.IsIDPrefix(ref) {
		return ID{}, fmt.Errorf("no branch %q in session %q: %w", ref, session, ErrNotFound)
	}
	id, _, err := s.st.Resolve(ctx, session, ref)
	if err != nil {
		return ID{}, fmt.Errorf("%q is neither a branch nor a checkpoint of session %q: %w", ref, session, err)
	}
	return id, nil
}

// CreateBranch creates branch name whose head is from (a branch or id
// prefix; "" = head of main). It returns the head.
func (s *Store) CreateBranch(ctx context.Context, session, name, from string) (ID, error) {
	if err := s.requireSession(session); err != nil {
		return ID{}, err
	}
	if err := ValidateName("branch", name); err != nil {
		return ID{}, err
	}
	id, err := s.ResolveRef(ctx, session, from)
	if err != nil {
		return ID{}, err
	}
	err = s.st.Update(ctx, func(tx *pebblestore.Tx) error {
		if _, err := tx.Head(session, name); err == nil {
			return fmt.Errorf("branch %q of session %q: %w", name, session, ErrExists)
		} else if !isNotFound(err) {
			return err
		}
		if _, err := tx.Record(session, id); err != nil {
			return err // deleted meanwhile
		}
		tx.SetHead(session, name, id)
		return nil
	})
	if err == nil {
		s.notify(Event{Kind: BranchCreated, Session: session, Branch: name, IDs: []ID{id}})
	}
	return id, err
}

// Tag adds tags to checkpoint id of a session.
func (s *Store) Tag(ctx context.Context, session string, id ID, tags ...string) error {
	return s.retag(ctx, session, id, tags, func(cur []string) []string { return append(cur, tags...) })
}

// Untag removes tags from checkpoint id of a session (absent tags are
// ignored).
func (s *Store) Untag(ctx context.Context, session string, id ID, tags ...string) error {
	return s.retag(ctx, session, id, tags, func(cur []string) []string {
		return slices.DeleteFunc(slices.Clone(cur), func(t string) bool { return slices.Contains(tags, t) })
	})
}

func (s *Store) retag(ctx context.Context, session string, id ID, tags []string, edit func([]string) []string) error {
	if err := s.requireSession(session); err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("%w: no tag given", ErrInvalidArgument)
	}
	for _, t := range tags {
		if err := ValidateName("tag", t); err != nil {
			return err
		}
	}
	err := s.st.Update(ctx, func(tx *pebblestore.Tx) error {
		rec, err := tx.Record(session, id)
		if err != nil {
			return err
		}
		tx.SetTags(rec, edit(rec.Tags))
		return nil
	})
	if err == nil {
		s.notify(Event{Kind: TagsChanged, Session: session, IDs: []ID{id}})
	}
	return err
}

// Delete removes checkpoints of a session and returns how many. A deleted
// branch head moves to the first parent that still exists (looking through
// parents deleted in the same call), or the branch is removed. The objects
// stay until garbage collection. Unknown ids fail the whole call.
func (s *Store) Delete(ctx context.Context, session string, ids ...ID) (int, error) {
	if err := s.requireSession(session); err != nil {
		return 0, err
	}
	n := 0
	err := s.st.Update(ctx, func(tx *pebblestore.Tx) error {
		n = 0
		return deleteInTx(ctx, tx, session, ids, &n)
	})
	if err == nil {
		s.notify(Event{Kind: CheckpointsDeleted, Session: session, IDs: ids})
	}
	return n, err
}

func deleteInTx(ctx context.Context, tx *pebblestore.Tx, session string, ids []ID, n *int) error {
	gone := map[ID]pebblestore.CheckpointRecord{}
	for _, id := range ids {
		if _, dup := gone[id]; dup {
			continue
		}
		rec, err := tx.Record(session, id)
		if err != nil {
			return err
		}
		gone[id] = rec
	}
	branches, err := tx.Branches(ctx, session)
	if err != nil {
		return err
	}
	for _, b := range branches {
		if _, hit := gone[b.Head]; !hit {
			continue
		}
		next, err := survivingParent(tx, session, b.Head, gone)
		if err != nil {
			return err
		}
		if next.IsZero() {
			tx.DeleteHead(session, b.Name)
		} else {
			tx.SetHead(session, b.Name, next)
		}
	}
	for _, rec := range gone {
		tx.RemoveCheckpoint(rec)
	}
	*n = len(gone)
	return nil
}

// survivingParent walks parents (first parent first) from a deleted
// checkpoint to the first one that is not being deleted and still exists.
func survivingParent(tx *pebblestore.Tx, session string, from ID, gone map[ID]pebblestore.CheckpointRecord) (ID, error) {
	queue := slices.Clone(gone[from].Parents)
	seen := map[ID]bool{from: true}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		if rec, deleted := gone[id]; deleted {
			queue = append(queue, rec.Parents...)
			continue
		}
		if _, err := tx.Record(session, id); err == nil {
			return id, nil
		} else if !isNotFound(err) {
			return ID{}, err
		}
	}
	return ID{}, nil
}
