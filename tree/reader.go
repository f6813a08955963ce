package tree

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// Getter reads verified objects (a *pebblestore.Store).
type Getter interface {
	Get(ctx context.Context, id ID) (pebblestore.Kind, []byte, error)
}

// Reader reads trees, files and checkpoints, caching decoded trees and
// chunks in bounded LRUs. Safe for concurrent use.
type Reader struct {
	st          Getter
	trees       *lru[*Tree]
	chunks      *lru[[]byte]
	checkpoints *lru[*Checkpoint]
	memo        idMemo // blob ids of small contents recently put
}

// NewReader returns a Reader with caches of the given total size in bytes
// (split between trees and file chunks); 0 picks 64 MiB.
func NewReader(st Getter, cacheBytes int) *Reader {
	if cacheBytes <= 0 {
		cacheBytes = 64 << 20
	}
	return &Reader{st: st, trees: newLRU[*Tree](cacheBytes / 4), chunks: newLRU[[]byte](cacheBytes - cacheBytes/4),
		checkpoints: newLRU[*Checkpoint](4 << 20)}
}

// ClearCache drops every cached object.
func (r *Reader) ClearCache() {
	r.trees.clear()
	r.chunks.clear()
	r.checkpoints.clear()
}

func (r *Reader) object(ctx context.Context, id ID, want pebblestore.Kind) ([]byte, error) {
	kind, b, err := r.st.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if kind != want {
		return nil, fmt.Errorf("%w: object %s is a %s, want %s", pebblestore.ErrCorrupt, id.Short(), kind, want)
	}
	return b, nil
}

// Tree returns the decoded tree id. The result is shared: do not modify.
func (r *Reader) Tree(ctx context.Context, id ID) (*Tree, error) {
	if t, ok := r.trees.get(id); ok {
		t.materialize()
		return t, nil
	}
	b, err := r.object(ctx, id, pebblestore.KindTree)
	if err != nil {
		return nil, err
	}
	t, err := decodeTree(b, true)
	if err != nil {
		return nil, fmt.Errorf("%w: tree %s: %w", pebblestore.ErrCorrupt, id.Short(), err)
	}
	r.trees.add(id, t, treeCost(t))
	return t, nil
}

// Checkpoint returns the decoded checkpoint object id. The result is
// shared: do not modify.
func (r *Reader) Checkpoint(ctx context.Context, id ID) (*Checkpoint, error) {
	if c, ok := r.checkpoints.get(id); ok {
		return c, nil
	}
	b, err := r.object(ctx, id, pebblestore.KindCheckpoint)
	if err != nil {
		return nil, err
	}
	c, err := DecodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint %s: %w", pebblestore.ErrCorrupt, id.Short(), err)
	}
	r.checkpoints.add(id, c, 128+len(b)*2)
	return c, nil
}

// RootEntry returns a directory entry standing for the tree root.
func RootEntry(root ID, sum Summary) Entry {
	return Entry{Type: TypeDir, Mode: 0o755, Tree: root, Sub: sum}
}

// Lookup returns the entry at the slash-separated path p below root ("" is
// the root itself).
func (r *Reader) Lookup(ctx context.Context, root ID, p string) (Entry, error) {
	e := RootEntry(root, Summary{})
	if p == "" {
		return e, nil
	}
	parts, err := SplitPath(p)
	if err != nil {
		return Entry{}, err
	}
	for i, name := range parts {
		if e.Type != TypeDir {
			return Entry{}, fmt.Errorf("%s: %w", path.Join(parts[:i]...), ErrNotDir)
		}
		t, err := r.Tree(ctx, e.Tree)
		if err != nil {
			return Entry{}, err
		}
		found, ok := t.Find(name)
		if !ok {
			return Entry{}, fmt.Errorf("%s: %w", p, pebblestore.ErrNotFound)
		}
		e = *found
	}
	return e, nil
}

// chunk returns the verified bytes of one chunk, cached.
func (r *Reader) chunk(ctx context.Context, c Chunk) ([]byte, error) {
	if b, ok := r.chunks.get(c.ID); ok {
		return b, nil
	}
	b, err := r.object(ctx, c.ID, pebblestore.KindBlob)
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != c.Size {
		return nil, fmt.Errorf("%w: chunk %s has %d bytes, tree says %d", pebblestore.ErrCorrupt, c.ID.Short(), len(b), c.Size)
	}
	r.chunks.add(c.ID, b, len(b))
	return b, nil
}

// ReadFile returns the whole content of a file entry.
func (r *Reader) ReadFile(ctx context.Context, e *Entry) ([]byte, error) {
	return r.readFile(ctx, e, true)
}

// ReadFileOnce is ReadFile for one-shot whole reads (loading a state):
// the chunks bypass the cache, which saves a copy and keeps the cache for
// data that is read again.
func (r *Reader) ReadFileOnce(ctx context.Context, e *Entry) ([]byte, error) {
	return r.readFile(ctx, e, false)
}

func (r *Reader) uncachedChunk(ctx context.Context, c Chunk) ([]byte, error) {
	if b, ok := r.chunks.get(c.ID); ok {
		return append([]byte(nil), b...), nil
	}
	b, err := r.object(ctx, c.ID, pebblestore.KindBlob)
	if err == nil && uint64(len(b)) != c.Size {
		err = fmt.Errorf("%w: chunk %s has %d bytes, tree says %d", pebblestore.ErrCorrupt, c.ID.Short(), len(b), c.Size)
	}
	return b, err
}

func (r *Reader) readFile(ctx context.Context, e *Entry, cache bool) ([]byte, error) {
	if e.Type != TypeFile {
		if e.Type == TypeDir {
			return nil, ErrIsDir
		}
		return nil, fmt.Errorf("tree: %q is a %s", e.Name, e.Type)
	}
	if len(e.Chunks) == 1 {
		if !cache {
			return r.uncachedChunk(ctx, e.Chunks[0])
		}
		b, err := r.chunk(ctx, e.Chunks[0])
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), b...), nil
	}
	out := make([]byte, 0, e.Size)
	for _, c := range e.Chunks {
		b, err := r.chunk(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// ReadAt reads len(p) bytes of file entry e at offset off, like io.ReaderAt.
func (r *Reader) ReadAt(ctx context.Context, e *Entry, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("tree: negative offset")
	}
	if uint64(off) >= e.Size {
		return 0, io.EOF
	}
	n := 0
	var start uint64
	for _, c := range e.Chunks {
		end := start + c.Size
		if uint64(off) < end && n < len(p) {
			b, err := r.chunk(ctx, c)
			if err != nil {
				return n, err
			}
			n += copy(p[n:], b[uint64(off)+uint64(n)-start:])
		}
		start = end
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

// WalkFunc is called for every entry below a root, parents before
// children, names in order; p is the slash-separated path. Returning
// SkipDir from a directory skips its contents.
type WalkFunc func(p string, e *Entry) error

// SkipDir tells Walk to skip a directory's contents (io/fs's sentinel).
var SkipDir = iofs.SkipDir

// Walk visits every entry below root.
func (r *Reader) Walk(ctx context.Context, root ID, fn WalkFunc) error {
	return r.walk(ctx, root, "", fn)
}

func (r *Reader) walk(ctx context.Context, id ID, dir string, fn WalkFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := r.Tree(ctx, id)
	if err != nil {
		return err
	}
	for i := range t.Entries {
		e := &t.Entries[i]
		p := e.Name
		if dir != "" {
			p = dir + "/" + e.Name
		}
		err := fn(p, e)
		if errors.Is(err, SkipDir) {
			continue
		}
		if err != nil {
			return err
		}
		if e.Type == TypeDir {
			if err := r.walk(ctx, e.Tree, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReadChunk returns the verified bytes of one chunk (shared: do not
// modify).
func (r *Reader) ReadChunk(ctx context.Context, c Chunk) ([]byte, error) { return r.chunk(ctx, c) }

// treeCost is what the cache counts for t: the entries, decoded (about
// twice the encoding), plus the encoding, offsets and contents kept
// beside them.
func treeCost(t *Tree) int {
	n := 0
	for _, b := range t.blobs {
		n += len(b) // often shared with the memo and other trees: counted anyway
	}
	return costOf(t, len(t.blobs), n)
}

// costOf is treeCost for a tree with nblobs contents (Tree.blobs) of
// blobBytes bytes in all, beside its encoding and offsets.
func costOf(t *Tree, nblobs, blobBytes int) int {
	return 64 + len(t.enc)*3 + len(t.offs)*4 + nblobs*16 + blobBytes
}
