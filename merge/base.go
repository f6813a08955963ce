package merge

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// Node is what the merge needs of one checkpoint in the parent graph.
type Node struct {
	Parents []ID
	// Time orders the walk (newest first); the results do not depend on
	// it, only the cost does.
	Time time.Time
}

// Graph is the parent graph of checkpoints (the store's catalog).
type Graph interface {
	// Node returns the parents and time of checkpoint id, or an error
	// matching pebblestore.ErrNotFound if there is no such checkpoint.
	Node(ctx context.Context, id ID) (Node, error)
}

// Flags of the walk in bases.
const (
	fromA  uint8 = 1 << iota // reachable from a
	fromB                    // reachable from b
	stale                    // a strict ancestor of a common ancestor found
	result                   // recorded as a candidate
)

// Bases returns the lowest common ancestors of checkpoints a and b: the
// common ancestors (a checkpoint is its own ancestor) that are not
// ancestors of another common ancestor. Usually there is one; there are
// several after criss-cross merges, and none for unrelated histories.
// They are ordered newest first, ties by id. Parents that no longer exist
// (deleted checkpoints) end the walk there.
func Bases(ctx context.Context, g Graph, a, b ID) ([]ID, error) {
	return basesOf(ctx, g, []ID{a}, []ID{b})
}

// IsAncestor reports whether a is an ancestor of b or b itself.
func IsAncestor(ctx context.Context, g Graph, a, b ID) (bool, error) {
	bs, err := Bases(ctx, g, a, b)
	return len(bs) == 1 && bs[0] == a, err
}

// basesOf returns the lowest common ancestors of the set as and the set
// bs (a node is common when it is an ancestor of one of as and of one of
// bs).
//
// It is git's paint_down_to_common: walk from both sets at once, newest
// first, painting each checkpoint with the sides it is reachable from; a
// checkpoint painted by both is a candidate, and everything below it is
// stale. The walk stops when only stale checkpoints are queued. A
// checkpoint that gains a side after it was walked is walked again, so
// the painting is exact whatever the times are: times that do not
// decrease along parent edges (backdated checkpoints) only cost extra
// steps, and removeRedundant drops the candidates that turn out to be
// ancestors of others.
func basesOf(ctx context.Context, g Graph, as, bs []ID) ([]ID, error) {
	w := &walk{g: g, flags: map[ID]uint8{}, done: map[ID]uint8{}, nodes: map[ID]Node{}}
	for _, id := range as {
		if err := w.paint(ctx, id, fromA, true); err != nil {
			return nil, err
		}
	}
	for _, id := range bs {
		if err := w.paint(ctx, id, fromB, true); err != nil {
			return nil, err
		}
	}
	var cands []ID
	for w.q.Len() > 0 && w.hasNonStale() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := heap.Pop(&w.q).(item).id
		f := w.flags[id]
		if w.done[id] == f {
			continue // walked with these flags already
		}
		w.done[id] = f
		pass := f & (fromA | fromB | stale)
		if f&(fromA|fromB) == fromA|fromB {
			if f&(result|stale) == 0 {
				w.flags[id] |= result
				cands = append(cands, id)
			}
			pass |= stale
		}
		for _, p := range w.nodes[id].Parents {
			if err := w.paint(ctx, p, pass, false); err != nil {
				return nil, err
			}
		}
	}
	cands = slices.DeleteFunc(cands, func(id ID) bool { return w.flags[id]&stale != 0 })
	cands, err := w.removeRedundant(ctx, cands)
	if err != nil {
		return nil, err
	}
	w.sortNewestFirst(cands)
	return cands, nil
}

// walk is the state of one basesOf.
type walk struct {
	g     Graph
	flags map[ID]uint8 // current paint
	done  map[ID]uint8 // paint a checkpoint had when last walked
	nodes map[ID]Node
	q     queue
}

// node returns the graph node of id (cached); ok is false for a
// checkpoint that does not exist.
func (w *walk) node(ctx context.Context, id ID) (Node, bool, error) {
	if n, ok := w.nodes[id]; ok {
		return n, true, nil
	}
	n, err := w.g.Node(ctx, id)
	if errors.Is(err, pebblestore.ErrNotFound) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("merge base: %s: %w", id.Short(), err)
	}
	w.nodes[id] = n
	return n, true, nil
}

// paint adds flags f to id and queues it when that is new paint. A
// missing start point is an error; a missing parent is skipped.
func (w *walk) paint(ctx context.Context, id ID, f uint8, start bool) error {
	if w.flags[id]&f == f {
		return nil
	}
	n, ok, err := w.node(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		if start {
			return fmt.Errorf("merge base: checkpoint %s: %w", id.Short(), pebblestore.ErrNotFound)
		}
		return nil
	}
	w.flags[id] |= f
	heap.Push(&w.q, item{id: id, t: n.Time})
	return nil
}

// hasNonStale reports whether a queued checkpoint is not stale.
func (w *walk) hasNonStale() bool {
	for _, it := range w.q {
		if w.flags[it.id]&stale == 0 {
			return true
		}
	}
	return false
}

// removeRedundant drops the candidates that are ancestors of another
// candidate, walking every ancestor of the candidates' parents (only
// needed with two or more candidates: criss-cross histories).
func (w *walk) removeRedundant(ctx context.Context, cands []ID) ([]ID, error) {
	if len(cands) < 2 {
		return cands, nil
	}
	seen := map[ID]bool{}
	var stack []ID
	for _, c := range cands {
		stack = append(stack, w.nodes[c].Parents...)
	}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		n, ok, err := w.node(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			stack = append(stack, n.Parents...)
		}
	}
	return slices.DeleteFunc(cands, func(id ID) bool { return seen[id] }), nil
}

// sortNewestFirst orders ids by time, newest first, then by id.
func (w *walk) sortNewestFirst(ids []ID) {
	slices.SortFunc(ids, func(a, b ID) int {
		return cmp.Or(w.nodes[b].Time.Compare(w.nodes[a].Time), bytes.Compare(a[:], b[:]))
	})
}

// item is one queued checkpoint.
type item struct {
	id ID
	t  time.Time
}

// queue is a max-heap on time (newest first), ties by id.
type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if c := q[i].t.Compare(q[j].t); c != 0 {
		return c > 0
	}
	return bytes.Compare(q[i].id[:], q[j].id[:]) < 0
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
