package merge

import (
	"context"
	"fmt"
	"sync"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// Reader reads trees and file contents (a *tree.Reader).
type Reader interface {
	// Tree returns the decoded tree id; the result must not be modified.
	Tree(ctx context.Context, id ID) (*tree.Tree, error)
	// ReadFile returns the content of a file entry.
	ReadFile(ctx context.Context, e *tree.Entry) ([]byte, error)
}

var _ Reader = (*tree.Reader)(nil)

// memStore holds objects in memory. It is the Putter of virtual merge
// bases, which are never stored, and, in tests, a whole object store (it
// is a tree.Getter as well).
type memStore struct {
	mu      sync.Mutex
	objects map[ID]memObject
}

type memObject struct {
	kind pebblestore.Kind
	data []byte
	tree *tree.Tree // decoded, for trees
}

func newMemStore() *memStore { return &memStore{objects: map[ID]memObject{}} }

var (
	_ tree.Putter = (*memStore)(nil)
	_ tree.Getter = (*memStore)(nil)
)

// PutWithID stores an object (tree.Putter).
func (m *memStore) PutWithID(id ID, kind pebblestore.Kind, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[id]; !ok {
		m.objects[id] = memObject{kind: kind, data: append([]byte(nil), data...)}
	}
	return nil
}

// Reuse does nothing: a memStore is not garbage collected (tree.Putter).
func (m *memStore) Reuse(ID) error { return nil }

// Get returns an object (tree.Getter).
func (m *memStore) Get(_ context.Context, id ID) (pebblestore.Kind, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[id]
	if !ok {
		return 0, nil, fmt.Errorf("object %s: %w", id.Short(), pebblestore.ErrNotFound)
	}
	return o.kind, o.data, nil
}

// lookup returns an object if the store has it.
func (m *memStore) lookup(id ID) (memObject, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[id]
	return o, ok
}

// overlay reads from mem first, then from under: the reader of a merge
// whose base is virtual.
type overlay struct {
	mem   *memStore
	under Reader
}

func (o *overlay) Tree(ctx context.Context, id ID) (*tree.Tree, error) {
	obj, ok := o.mem.lookup(id)
	if !ok {
		return o.under.Tree(ctx, id)
	}
	if obj.kind != pebblestore.KindTree {
		return nil, fmt.Errorf("%w: object %s is a %s, want a tree", pebblestore.ErrCorrupt, id.Short(), obj.kind)
	}
	if obj.tree == nil {
		t, err := tree.DecodeTree(obj.data)
		if err != nil {
			return nil, err
		}
		obj.tree = t
		o.mem.mu.Lock()
		o.mem.objects[id] = obj
		o.mem.mu.Unlock()
	}
	return obj.tree, nil
}

func (o *overlay) ReadFile(ctx context.Context, e *tree.Entry) ([]byte, error) {
	out := make([]byte, 0, e.Size)
	for _, c := range e.Chunks {
		if obj, ok := o.mem.lookup(c.ID); ok {
			out = append(out, obj.data...)
			continue
		}
		one := *e
		one.Chunks, one.Size = []tree.Chunk{c}, c.Size
		b, err := o.under.ReadFile(ctx, &one)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
