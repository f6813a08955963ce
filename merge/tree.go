package merge

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// ID is an object or checkpoint id.
type ID = pebblestore.ID

// ErrStrategy: an unknown strategy name.
var ErrStrategy = errors.New("merge: unknown strategy")

// Options configure a merge. The zero value is the Fail strategy.
type Options struct {
	Strategy Strategy
	// Diff3 adds the "||||||| base" section with the base's lines to
	// conflict markers (Recursive only).
	Diff3 bool
}

// Result is the outcome of a merge.
type Result struct {
	// Root is the merged tree. It is zero when the strategy is Fail and
	// there are conflicts (nothing was written then, or only objects no
	// tree references), and on the fast paths of Checkpoints.
	Root ID
	// Summary totals the merged tree.
	Summary tree.Summary
	// Conflicts are sorted by path, then kind, whatever the strategy.
	Conflicts []Conflict

	// The fields below are set by Checkpoints only.

	// Bases are the lowest common ancestors, newest first; Base is the
	// first of them (zero for unrelated histories): the one the merge
	// used, unless Virtual.
	Bases []ID
	Base  ID
	// Virtual: Recursive merged the several Bases into a virtual base
	// first; it was never stored.
	Virtual bool
	// UpToDate: theirs is an ancestor of ours (or ours itself): there
	// is nothing to merge. FastForward: ours is an ancestor of theirs,
	// whose tree is the result. Neither reads a tree or writes anything.
	UpToDate, FastForward bool
}

// Trees merges the trees ours and theirs, both descended from base (a
// zero id is an empty tree), writing new files and trees to p. Equal
// subtrees are never read: the cost follows the size of the changes.
// Ours and theirs are pinned in p (Reuse), since the result shares their
// subtrees and files.
func Trees(ctx context.Context, r Reader, p tree.Putter, base, ours, theirs ID, o Options) (Result, error) {
	if o.Strategy < Fail || o.Strategy > Recursive {
		return Result{}, fmt.Errorf("%w %v", ErrStrategy, o.Strategy)
	}
	for _, id := range []ID{ours, theirs} {
		if !id.IsZero() {
			if err := p.Reuse(id); err != nil {
				return Result{}, fmt.Errorf("merge: %w", err)
			}
		}
	}
	m := &merger{r: r, p: p, o: o}
	root, err := m.run(ctx, base, ours, theirs)
	if err != nil {
		return Result{}, err
	}
	sortConflicts(m.conflicts)
	res := Result{Conflicts: m.conflicts}
	if !m.failed() {
		res.Root, res.Summary = root.id, root.sum
	}
	return res, nil
}

// merger is the state of one tree merge.
type merger struct {
	r         Reader
	p         tree.Putter
	o         Options
	conflicts []Conflict
}

// dirRef is one side's directory: its tree (zero: absent, empty) and,
// when known, its totals.
type dirRef struct {
	id    ID
	sum   tree.Summary
	known bool // sum is set
}

// emptyTree is the id of a directory with no entries.
var emptyTree = func() ID {
	b, _ := tree.EncodeTree(&tree.Tree{})
	return pebblestore.Hash(pebblestore.KindTree, b)
}()

// run merges the root trees and returns the result with its totals.
func (m *merger) run(ctx context.Context, base, ours, theirs ID) (dirRef, error) {
	res, _, err := m.dir(ctx, "", base, dirRef{id: ours}, dirRef{id: theirs})
	if err != nil || m.failed() {
		return dirRef{}, err
	}
	if res.id.IsZero() { // both sides empty
		res, err = m.writeTree(&tree.Tree{})
		if err != nil {
			return dirRef{}, err
		}
	}
	if !res.known {
		t, err := m.r.Tree(ctx, res.id)
		if err != nil {
			return dirRef{}, err
		}
		res.sum, res.known = t.Summary(), true
	}
	return res, nil
}

// failed reports whether a Fail merge has met a conflict: from then on
// nothing is written, and the walk only collects the other conflicts.
func (m *merger) failed() bool { return m.o.Strategy == Fail && len(m.conflicts) > 0 }

// conflict records a conflict at p.
func (m *merger) conflict(k ConflictKind, p string, b, o, t *tree.Entry) {
	m.conflicts = append(m.conflicts, Conflict{Path: p, Kind: k, Base: clone(b), Ours: clone(o), Theirs: clone(t)})
}

func clone(e *tree.Entry) *tree.Entry {
	if e == nil {
		return nil
	}
	c := *e
	c.Chunks = slices.Clone(e.Chunks)
	return &c
}

// pick returns what a conflict resolves to: ours or theirs under those
// strategies, rec under Recursive (and Fail, whose result is dropped).
func pick[T any](m *merger, ours, theirs, rec T) T {
	switch m.o.Strategy {
	case Ours:
		return ours
	case Theirs:
		return theirs
	}
	return rec
}

// dir merges one directory given its tree in base and on each side. It
// returns the merged tree and whether it is empty. Equal trees are never
// read.
func (m *merger) dir(ctx context.Context, p string, b ID, o, t dirRef) (dirRef, bool, error) {
	switch {
	case o.id == t.id, b == t.id:
		return o, isEmpty(o.id), nil
	case b == o.id:
		return t, isEmpty(t.id), nil
	}
	if err := ctx.Err(); err != nil {
		return dirRef{}, false, err
	}
	tb, err := m.tree(ctx, b)
	if err != nil {
		return dirRef{}, false, err
	}
	to, err := m.tree(ctx, o.id)
	if err != nil {
		return dirRef{}, false, err
	}
	tt, err := m.tree(ctx, t.id)
	if err != nil {
		return dirRef{}, false, err
	}
	out := make([]tree.Entry, 0, max(len(to.Entries), len(tt.Entries)))
	eb, eo, et := tb.Entries, to.Entries, tt.Entries
	for len(eb) > 0 || len(eo) > 0 || len(et) > 0 {
		name := minName(eb, eo, et)
		var xb, xo, xt *tree.Entry
		xb, eb = take(eb, name)
		xo, eo = take(eo, name)
		xt, et = take(et, name)
		e, err := m.entry(ctx, join(p, name), xb, xo, xt)
		if err != nil {
			return dirRef{}, false, err
		}
		if e != nil {
			out = append(out, *e)
		}
	}
	if m.failed() {
		return dirRef{}, false, nil
	}
	res, err := m.writeTree(&tree.Tree{Entries: out})
	return res, len(out) == 0, err
}

// writeTree stores a merged directory.
func (m *merger) writeTree(t *tree.Tree) (dirRef, error) {
	b, err := tree.EncodeTree(t)
	if err != nil {
		return dirRef{}, fmt.Errorf("merge: %w", err)
	}
	id := pebblestore.Hash(pebblestore.KindTree, b)
	if err := m.p.PutWithID(id, pebblestore.KindTree, b); err != nil {
		return dirRef{}, err
	}
	return dirRef{id: id, sum: t.Summary(), known: true}, nil
}

func (m *merger) tree(ctx context.Context, id ID) (*tree.Tree, error) {
	if id.IsZero() {
		return &tree.Tree{}, nil
	}
	return m.r.Tree(ctx, id)
}

func isEmpty(id ID) bool { return id.IsZero() || id == emptyTree }

// minName returns the smallest name at the head of the three lists.
func minName(b, o, t []tree.Entry) string {
	var name string
	first := true
	for _, es := range [3][]tree.Entry{b, o, t} {
		if len(es) > 0 && (first || es[0].Name < name) {
			name, first = es[0].Name, false
		}
	}
	return name
}

// take returns the head of es if it is named name, and the rest.
func take(es []tree.Entry, name string) (*tree.Entry, []tree.Entry) {
	if len(es) > 0 && es[0].Name == name {
		return &es[0], es[1:]
	}
	return nil, es
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
