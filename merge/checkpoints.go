package merge

import (
	"context"
	"fmt"
	"slices"

	"github.com/ckptfs/ckptfs/tree"
)

// History is the parent graph plus the root tree of each checkpoint.
type History interface {
	Graph
	// Root returns the root tree of checkpoint id.
	Root(ctx context.Context, id ID) (ID, error)
}

// Checkpoints merges checkpoint theirs into checkpoint ours.
//
// The base is the lowest common ancestor (Bases). When theirs is an
// ancestor of ours the result is UpToDate, when ours is an ancestor of
// theirs it is FastForward; neither reads a tree. Otherwise the trees are
// merged (Trees) against the base's tree, or against an empty tree for
// unrelated histories. With several lowest common ancestors (criss-cross
// history), Recursive merges them into a virtual base first, as git's
// recursive strategy does: oldest first, each pair against its own merge
// base (itself virtual if need be), conflicts left as markers in the
// virtual base's files and never reported; the virtual base lives in
// memory only. The other strategies use the newest of the bases (ties
// broken by id), which Result.Base names in every case.
func Checkpoints(ctx context.Context, h History, r Reader, p tree.Putter, ours, theirs ID, o Options) (Result, error) {
	bases, err := Bases(ctx, h, ours, theirs)
	if err != nil {
		return Result{}, err
	}
	res := Result{Bases: bases}
	if len(bases) > 0 {
		res.Base = bases[0]
	}
	if len(bases) == 1 && bases[0] == theirs {
		res.UpToDate = true
		return res, nil
	}
	if len(bases) == 1 && bases[0] == ours {
		res.FastForward = true
		return res, nil
	}
	oursRoot, err := root(ctx, h, ours)
	if err != nil {
		return Result{}, err
	}
	theirsRoot, err := root(ctx, h, theirs)
	if err != nil {
		return Result{}, err
	}
	var baseRoot ID
	switch {
	case len(bases) == 0:
	case len(bases) == 1 || o.Strategy != Recursive:
		if baseRoot, err = root(ctx, h, bases[0]); err != nil {
			return Result{}, err
		}
	default:
		ov := &overlay{mem: newMemStore(), under: r}
		if baseRoot, err = virtualBase(ctx, h, ov, bases); err != nil {
			return Result{}, err
		}
		r, res.Virtual = ov, true
	}
	tr, err := Trees(ctx, r, p, baseRoot, oursRoot, theirsRoot, o)
	if err != nil {
		return Result{}, err
	}
	res.Root, res.Summary, res.Conflicts = tr.Root, tr.Summary, tr.Conflicts
	return res, nil
}

func root(ctx context.Context, h History, id ID) (ID, error) {
	r, err := h.Root(ctx, id)
	if err != nil {
		return ID{}, fmt.Errorf("merge: checkpoint %s: %w", id.Short(), err)
	}
	return r, nil
}

// virtualBase merges bases (newest first) into one tree stored in ov's
// memory and returns its id.
func virtualBase(ctx context.Context, h History, ov *overlay, bases []ID) (ID, error) {
	order := slices.Clone(bases)
	slices.Reverse(order) // oldest first, as git does
	cur, err := root(ctx, h, order[0])
	if err != nil {
		return ID{}, err
	}
	merged := order[:1]
	for _, next := range order[1:] {
		sub, err := basesOf(ctx, h, merged, []ID{next})
		if err != nil {
			return ID{}, err
		}
		var subRoot ID
		switch len(sub) {
		case 0:
		case 1:
			subRoot, err = root(ctx, h, sub[0])
		default:
			subRoot, err = virtualBase(ctx, h, ov, sub)
		}
		if err != nil {
			return ID{}, err
		}
		nextRoot, err := root(ctx, h, next)
		if err != nil {
			return ID{}, err
		}
		m := &merger{r: ov, p: ov.mem, o: Options{Strategy: Recursive}}
		res, err := m.run(ctx, subRoot, cur, nextRoot)
		if err != nil {
			return ID{}, err
		}
		cur = res.id
		merged = order[:len(merged)+1]
	}
	return cur, nil
}
