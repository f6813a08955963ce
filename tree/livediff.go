package tree

import (
	"context"
	"sync"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// DiffDir calls fn for every path that differs between the tree root and
// the live directory dir (root on the A side, dir on the B side), in the
// order and with the meaning of Diff. The directory is walked as Import
// walks it (same exclusions; with a stat cache, unchanged files are not
// read) but nothing is stored: the trees of dir are kept in memory and
// file contents are only hashed.
func DiffDir(ctx context.Context, r *Reader, root ID, dir string, o ImportOptions, fn func(Change) error) error {
	mem := &memTrees{trees: map[ID][]byte{}}
	if h, ok := r.st.(interface{ Has(ID) (bool, error) }); ok {
		mem.has = h.Has
	}
	res, err := Import(ctx, mem, dir, o)
	if err != nil {
		return err
	}
	return Diff(ctx, NewReader(overlay{mem: mem, st: r.st}, 16<<20), root, res.Root, fn)
}

// memTrees is a Putter that keeps trees in memory and drops file contents.
type memTrees struct {
	mu    sync.Mutex
	trees map[ID][]byte
	has   func(ID) (bool, error)
}

func (m *memTrees) PutWithID(id ID, kind pebblestore.Kind, data []byte) error {
	if kind != pebblestore.KindTree {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.trees[id]; !ok {
		m.trees[id] = append([]byte(nil), data...)
	}
	return nil
}

// Reuse checks that a tree taken from a stat cache still exists.
func (m *memTrees) Reuse(id ID) error {
	if m.has == nil {
		return nil
	}
	ok, err := m.has(id)
	if err == nil && !ok {
		return pebblestore.ErrNotFound
	}
	return err
}

// overlay reads the in-memory trees first, then the store.
type overlay struct {
	mem *memTrees
	st  Getter
}

func (o overlay) Get(ctx context.Context, id ID) (pebblestore.Kind, []byte, error) {
	o.mem.mu.Lock()
	b, ok := o.mem.trees[id]
	o.mem.mu.Unlock()
	if ok {
		return pebblestore.KindTree, b, nil
	}
	return o.st.Get(ctx, id)
}
