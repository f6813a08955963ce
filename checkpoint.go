package ckptfs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// CheckpointOptions describe a checkpoint to create.
type CheckpointOptions struct {
	Session string
	// Branch the checkpoint is made on (default "main"); an unknown branch
	// is created.
	Branch string
	// Parent overrides the parent (default: the branch head). NoParent
	// makes a root checkpoint.
	Parent   ID
	NoParent bool
	Message  string
	Tags     []string
	Meta     map[string]string
	// Time backdates the checkpoint (zero: now).
	Time time.Time
	// IfChanged returns the parent instead of creating a checkpoint whose
	// tree equals the parent's.
	IfChanged bool
	// Mode of files created from in-memory states (default 0644).
	Mode uint32
	// Excludes are gitignore-like patterns of paths a directory checkpoint
	// leaves out, after DefaultExcludes unless NoDefaultExcludes
	// (docs/WORKDIR.md).
	Excludes          []string
	NoDefaultExcludes bool
	// Import tunes directory checkpoints (Warn, Progress, Workers; the
	// stat cache and the excluder are set by CheckpointDir).
	Import tree.ImportOptions

	source *tree.Source // set by CheckpointDir, recorded in the checkpoint
}

// Result of creating a checkpoint.
type Result struct {
	ID ID
	// Unchanged: IfChanged found nothing new; ID is the parent.
	Unchanged bool
}

// DefaultBranch is the branch used when none is given.
const DefaultBranch = "main"

// maxAttempts bounds retries when the branch head moves concurrently.
const maxAttempts = 8

// builder produces the root tree of a new checkpoint, given an editor on
// the parent's tree (or an empty one).
type builder func(ctx context.Context, ed *tree.Editor, ob *pebblestore.ObjectBatch) (ID, tree.Summary, error)

// CheckpointState snapshots an in-memory state: keys are file paths
// (slash-separated; dots are never split), values their contents.
func (s *Store) CheckpointState(ctx context.Context, state map[string][]byte, o CheckpointOptions) (Result, error) {
	mode := o.Mode
	if mode == 0 {
		mode = 0o644
	}
	return s.create(ctx, o, func(ctx context.Context, ed *tree.Editor, _ *pebblestore.ObjectBatch) (ID, tree.Summary, error) {
		if err := ed.SetState(ctx, state, mode); err != nil {
			return ID{}, tree.Summary{}, err
		}
		return ed.Commit(ctx)
	})
}

// CheckpointDelta creates a checkpoint that differs from its parent (the
// branch head, or o.Parent) by puts and deletes. Its cost follows the size
// of the delta, not of the tree.
func (s *Store) CheckpointDelta(ctx context.Context, puts map[string][]byte, deletes []string, o CheckpointOptions) (Result, error) {
	mode := o.Mode
	if mode == 0 {
		mode = 0o644
	}
	return s.create(ctx, o, func(ctx context.Context, ed *tree.Editor, _ *pebblestore.ObjectBatch) (ID, tree.Summary, error) {
		for _, p := range deletes {
			if err := ed.Delete(ctx, p); err != nil {
				return ID{}, tree.Summary{}, err
			}
		}
		for p, b := range puts {
			if err := ed.Put(ctx, p, b, mode, 0); err != nil {
				return ID{}, tree.Summary{}, err
			}
		}
		return ed.Commit(ctx)
	})
}

func (s *Store) validateCheckpointOptions(o *CheckpointOptions) error {
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if err := ValidateName("session", o.Session); err != nil {
		return err
	}
	if err := ValidateName("branch", o.Branch); err != nil {
		return err
	}
	for _, t := range o.Tags {
		if err := ValidateName("tag", t); err != nil {
			return err
		}
	}
	for k := range o.Meta {
		if k == "" {
			return fmt.Errorf("%w: empty meta key", ErrInvalidArgument)
		}
	}
	if o.NoParent && !o.Parent.IsZero() {
		return fmt.Errorf("%w: both a parent and no parent", ErrInvalidArgument)
	}
	return nil
}

// parentFor returns the parent of a new checkpoint and whether it follows
// the branch head (then the head is compare-and-swapped).
func (s *Store) parentFor(o *CheckpointOptions) (parent ID, followHead bool, err error) {
	switch {
	case o.NoParent:
		return ID{}, false, nil
	case !o.Parent.IsZero():
		if _, err := s.st.Record(o.Session, o.Parent); err != nil {
			return ID{}, false, fmt.Errorf("parent: %w", err)
		}
		return o.Parent, false, nil
	}
	head, err := s.st.Head(o.Session, o.Branch)
	if isNotFound(err) {
		return ID{}, true, nil
	}
	return head, true, err
}

func (s *Store) create(ctx context.Context, o CheckpointOptions, build builder) (Result, error) {
	start := time.Now()
	if err := s.validateCheckpointOptions(&o); err != nil {
		return Result{}, err
	}
	// Checkpoints on one branch are built one at a time: each builds on
	// the previous head, so running them in parallel would only make all
	// but one rebuild. The head's compare-and-swap still guards against
	// other changes (merge, delete, another process's branch ops).
	defer s.branchLocks.lock(o.Session + "\x00" + o.Branch)()
	for attempt := 0; ; attempt++ {
		res, err := s.createOnce(ctx, &o, start, build)
		if !errors.Is(err, ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
	}
}

func (s *Store) createOnce(ctx context.Context, o *CheckpointOptions, start time.Time, build builder) (Result, error) {
	parent, followHead, err := s.parentFor(o)
	if err != nil {
		return Result{}, err
	}
	ob := s.st.NewObjectBatch()
	defer ob.Close()
	var parentRoot ID
	var parents []ID
	if !parent.IsZero() {
		pc, err := s.r.Checkpoint(ctx, parent)
		if err != nil {
			return Result{}, fmt.Errorf("parent %s: %w", parent.Short(), err)
		}
		parentRoot, parents = pc.Root, []ID{parent}
	}
	ed, err := tree.NewEditor(s.r, ob, parentRoot)
	if err != nil {
		return Result{}, err
	}
	root, sum, err := build(ctx, ed, ob)
	if err != nil {
		return Result{}, err
	}
	if o.IfChanged && !parent.IsZero() && root == parentRoot {
		return Result{ID: parent, Unchanged: true}, nil
	}
	t := o.Time
	if t.IsZero() {
		t = s.now()
	}
	if err := ob.Prepare(); err != nil {
		return Result{}, err
	}
	w := ob.Written()
	ck := &tree.Checkpoint{
		Root: root, Parents: parents, Session: o.Session, Branch: o.Branch,
		Time: t.UTC(), Message: o.Message, Meta: maps.Clone(o.Meta),
		Stats: tree.Stats{Files: sum.Files, Dirs: sum.Dirs, Bytes: sum.Bytes,
			NewBytes: w.RawBytes, StoredBytes: w.StoredBytes, Duration: time.Since(start)},
		Source: o.source,
	}
	id, err := s.commitCheckpoint(ctx, ob, ck, o.Tags, followHead, parent)
	return Result{ID: id}, err
}

// commitCheckpoint writes the checkpoint object, its catalog record and
// indexes, and moves the branch head, in one batch with ob's objects.
func (s *Store) commitCheckpoint(ctx context.Context, ob *pebblestore.ObjectBatch, ck *tree.Checkpoint, tags []string, followHead bool, expectHead ID) (ID, error) {
	enc := tree.EncodeCheckpoint(ck)
	id := pebblestore.Hash(pebblestore.KindCheckpoint, enc)
	rec := pebblestore.CheckpointRecord{ID: id, Session: ck.Session, Branch: ck.Branch, Time: ck.Time,
		Message: ck.Message, Parents: ck.Parents, Tags: tags, Bytes: ck.Stats.Bytes}
	err := s.st.Commit(ctx, ob, func(tx *pebblestore.Tx) error {
		ok, err := tx.HasSession(ck.Session)
		if err != nil {
			return err
		}
		if !ok {
			if err := tx.CreateSession(ck.Session, s.now()); err != nil {
				return err
			}
		}
		if followHead {
			head, err := tx.Head(ck.Session, ck.Branch)
			if err != nil && !isNotFound(err) {
				return err
			}
			if head != expectHead {
				return ErrConflict
			}
		}
		if _, err := tx.PutObject(pebblestore.KindCheckpoint, enc); err != nil {
			return err
		}
		if err := tx.AddCheckpoint(rec); err != nil {
			return err
		}
		tx.SetHead(ck.Session, ck.Branch, id)
		return nil
	})
	if err != nil {
		return ID{}, err
	}
	s.notify(Event{Kind: CheckpointCreated, Session: ck.Session, Branch: ck.Branch, IDs: []ID{id}})
	return id, nil
}
