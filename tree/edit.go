package tree

import "sync"

// span is a piece of an edited tree's entries: the run [lo, hi) of the
// base tree's entries, unchanged, or (lo < 0) the next new entry.
type span struct{ lo, hi int }

// edit describes the entries of a tree the Editor builds from a base tree:
// runs of the base's entries, kept, and new entries, in name order. The
// new tree is encoded from it (encodeEdited) without its entries being
// copied; they are materialised only when the tree is read.
type edit struct {
	base  *Tree
	spans []span
	added []Entry
	// blobs: the new tree has Tree.blobs (the base has them, or a new
	// entry's content is known); addedBlobs[i] is added[i]'s.
	blobs      bool
	addedBlobs []string
}

// keep adds the run [lo, hi) of the base's entries.
func (e *edit) keep(lo, hi int) {
	if lo < hi {
		e.spans = append(e.spans, span{lo, hi})
	}
}

// add adds a new entry; blob is its whole content when known, else "".
func (e *edit) add(en Entry, blob string) {
	e.spans = append(e.spans, span{-1, -1})
	e.added = append(e.added, en)
	if e.blobs {
		e.addedBlobs = append(e.addedBlobs, blob)
	}
}

// len is the number of entries of the edited tree.
func (e *edit) len() int {
	n := len(e.added)
	for _, sp := range e.spans {
		if sp.lo >= 0 {
			n += sp.hi - sp.lo
		}
	}
	return n
}

// build materialises the edited tree's entries and Tree.blobs.
func (e *edit) build() ([]Entry, []string) {
	n := e.len()
	entries := make([]Entry, 0, n)
	var blobs []string
	if e.blobs {
		blobs = make([]string, 0, n)
	}
	k := 0
	for _, sp := range e.spans {
		if sp.lo >= 0 {
			entries = append(entries, e.base.Entries[sp.lo:sp.hi]...)
			if blobs != nil {
				if e.base.blobs != nil {
					blobs = append(blobs, e.base.blobs[sp.lo:sp.hi]...)
				} else {
					blobs = blobs[:len(blobs)+sp.hi-sp.lo] // unknown: ""
				}
			}
			continue
		}
		entries = append(entries, e.added[k])
		if blobs != nil {
			blobs = append(blobs, e.addedBlobs[k])
		}
		k++
	}
	return entries, blobs
}

// summary returns the totals of the edited tree and what t, the tree
// encoded from it, costs in the tree cache once materialised (treeCost),
// without materialising it.
func (e *edit) summary(t *Tree) (Summary, int) {
	var s Summary
	n, blobBytes, k := 0, 0, 0
	for _, sp := range e.spans {
		if sp.lo >= 0 {
			for i := sp.lo; i < sp.hi; i++ {
				s.Add(&e.base.Entries[i])
			}
			if e.base.blobs != nil {
				for _, b := range e.base.blobs[sp.lo:sp.hi] {
					blobBytes += len(b)
				}
			}
			n += sp.hi - sp.lo
			continue
		}
		s.Add(&e.added[k])
		if e.blobs {
			blobBytes += len(e.addedBlobs[k])
		}
		n++
		k++
	}
	if !e.blobs {
		n = 0 // no Tree.blobs
	}
	return s, costOf(t, n, blobBytes)
}

// lazyTree is what a tree the Editor built is made of until its entries
// are first needed. Until then it holds on to its base tree (always a
// materialised one: the Editor reads its bases through the Reader), so a
// cached lazy tree may keep one tree alive beyond the cache's budget.
type lazyTree struct {
	once sync.Once
	e    *edit
}

// materialize builds the entries of a tree built lazily (a no-op for any
// other). Safe for concurrent use; the Reader materialises every tree it
// hands out.
func (t *Tree) materialize() {
	if l := t.lazy; l != nil {
		l.once.Do(func() {
			t.Entries, t.blobs = l.e.build()
			l.e = nil // the base tree may go
		})
	}
}
