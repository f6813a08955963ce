package ckptfs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs/merge"
	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// ErrMergeConflict: a merge with the fail strategy met conflicts (the
// mount answers EBUSY). The error is a *MergeConflictError.
var ErrMergeConflict = errors.New("ckptfs: merge conflict")

// MergeConflictError lists the conflicting paths of a failed merge.
type MergeConflictError struct {
	Paths []string // sorted bytewise
}

// Error returns "conflict: N paths: P1, P2, …" (SPEC §7).
func (e *MergeConflictError) Error() string {
	return "conflict: " + strconv.Itoa(len(e.Paths)) + " paths: " + strings.Join(e.Paths, ", ")
}

// Is makes errors.Is(err, ErrMergeConflict) true.
func (e *MergeConflictError) Is(target error) bool { return target == ErrMergeConflict }

// MergeOptions describe a merge (SPEC §3 `merge`).
type MergeOptions struct {
	Session string
	// Source is merged: a branch of the session or a checkpoint id prefix.
	Source string
	// Into is the target branch (default "main"); it must exist.
	Into string
	// Strategy: "fail" (default when ""), "ours", "theirs" or "recursive".
	Strategy string
	// Message of the merge checkpoint (default "merge SOURCE into INTO").
	Message string
}

// MergeResult is the outcome of Merge.
type MergeResult struct {
	// ID is the new merge checkpoint; the target's head when UpToDate;
	// Source's checkpoint when FastForward.
	ID ID
	// Conflicts are the conflicting paths, sorted bytewise (listed in
	// the merge checkpoint's metadata too).
	Conflicts []string
	// UpToDate: Source is already an ancestor of the target; nothing
	// was created.
	UpToDate bool
	// FastForward: the target's head was an ancestor of Source; the
	// branch now points at Source, and no checkpoint was created.
	FastForward bool
}

// String is the result as SPEC §3 and §7 print it after "ok ":
// "ID conflicts=N", plus " up-to-date" or " fast-forward".
func (r MergeResult) String() string {
	out := r.ID.String() + " conflicts=" + strconv.Itoa(len(r.Conflicts))
	switch {
	case r.UpToDate:
		out += " up-to-date"
	case r.FastForward:
		out += " fast-forward"
	}
	return out
}

// Merge merges Source into branch Into three ways (SPEC §7, package
// merge): the new checkpoint has parents [Into's head, Source] and is made
// on Into, whose head moves by compare-and-swap, so a checkpoint made on
// Into meanwhile makes Merge fail with ErrConflict and nothing is lost or
// created. Under the fail strategy conflicts create nothing and return a
// *MergeConflictError (errors.Is ErrMergeConflict) listing them; the
// other strategies record them in the checkpoint's Merge.Conflicts.
func (s *Store) Merge(ctx context.Context, o MergeOptions) (MergeResult, error) {
	start := time.Now()
	if o.Into == "" {
		o.Into = DefaultBranch
	}
	strategy, err := merge.ParseStrategy(o.Strategy)
	if err != nil {
		return MergeResult{}, fmt.Errorf("%w: merge strategy %q (want fail, ours, theirs or recursive)", ErrInvalidArgument, o.Strategy)
	}
	if err := s.requireSession(o.Session); err != nil {
		return MergeResult{}, err
	}
	if err := ValidateName("branch", o.Into); err != nil {
		return MergeResult{}, err
	}
	if o.Source == "" {
		return MergeResult{}, fmt.Errorf("%w: no merge source", ErrInvalidArgument)
	}
	head, err := s.st.Head(o.Session, o.Into)
	if err != nil {
		return MergeResult{}, err
	}
	src, err := s.ResolveRef(ctx, o.Session, o.Source)
	if err != nil {
		return MergeResult{}, err
	}
	ob := s.st.NewObjectBatch()
	defer ob.Close()
	h := history{s: s, session: o.Session}
	res, err := merge.Checkpoints(ctx, h, s.r, ob, head, src, merge.Options{Strategy: strategy})
	if err != nil {
		return MergeResult{}, err
	}
	paths := merge.Paths(res.Conflicts)
	switch {
	case res.UpToDate:
		return MergeResult{ID: head, UpToDate: true}, nil
	case res.FastForward:
		if err := s.fastForward(ctx, o, head, src); err != nil {
			return MergeResult{}, err
		}
		return MergeResult{ID: src, FastForward: true}, nil
	case len(paths) > 0 && strategy == merge.Fail:
		return MergeResult{Conflicts: paths}, &MergeConflictError{Paths: paths}
	}
	msg := o.Message
	if msg == "" {
		msg = "merge " + o.Source + " into " + o.Into
	}
	w := ob.Written()
	ck := &tree.Checkpoint{
		Root: res.Root, Parents: []ID{head, src}, Session: o.Session, Branch: o.Into,
		Time: s.now().UTC(), Message: msg,
		Stats: tree.Stats{Files: res.Summary.Files, Dirs: res.Summary.Dirs, Bytes: res.Summary.Bytes,
			NewBytes: w.RawBytes, StoredBytes: w.StoredBytes, Duration: time.Since(start)},
		Merge: &tree.MergeInfo{Base: res.Base, Strategy: strategy.String(), Conflicts: paths},
	}
	id, err := s.commitCheckpoint(ctx, ob, ck, nil, true, head)
	if errors.Is(err, ErrConflict) {
		return MergeResult{}, fmt.Errorf("merge into %q: %w", o.Into, err)
	}
	if err != nil {
		return MergeResult{}, err
	}
	return MergeResult{ID: id, Conflicts: paths}, nil
}

// fastForward moves branch o.Into from head to src, failing with
// ErrConflict if it moved meanwhile.
func (s *Store) fastForward(ctx context.Context, o MergeOptions, head, src ID) error {
	err := s.st.Update(ctx, func(tx *pebblestore.Tx) error {
		cur, err := tx.Head(o.Session, o.Into)
		if err != nil {
			return err
		}
		if cur != head {
			return fmt.Errorf("merge into %q: %w", o.Into, ErrConflict)
		}
		if _, err := tx.Record(o.Session, src); err != nil {
			return err // deleted meanwhile
		}
		tx.SetHead(o.Session, o.Into, src)
		return nil
	})
	if err != nil {
		return err
	}
	s.notify(Event{Kind: BranchCreated, Session: o.Session, Branch: o.Into, IDs: []ID{src}})
	return nil
}

// history is the parent graph of one session, for package merge: parents
// and times from the catalog, roots from the checkpoint objects.
type history struct {
	s       *Store
	session string
}

func (h history) Node(_ context.Context, id ID) (merge.Node, error) {
	rec, err := h.s.st.Record(h.session, id)
	if err != nil {
		return merge.Node{}, err
	}
	return merge.Node{Parents: rec.Parents, Time: rec.Time}, nil
}

func (h history) Root(ctx context.Context, id ID) (ID, error) {
	ck, err := h.s.r.Checkpoint(ctx, id)
	if err != nil {
		return ID{}, err
	}
	return ck.Root, nil
}
