package tree

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// Editor builds a new tree as a set of changes to a base tree (possibly
// empty), copy-on-write: only directories on the path of a change are read
// and re-encoded, so the cost follows the size of the change, not the tree.
type Editor struct {
	r    *Reader
	p    Putter
	root *dirNode
}

type dirNode struct {
	base     ID    // zero: new, empty directory
	hasBase  bool  //
	baseTree *Tree // base, decoded on first use
	meta     *Entry
	changes  map[string]*change
	blobs    bool // a change has a blob
}

type change struct {
	entry *Entry   // new entry for a file or symlink; nil with dir == nil means delete
	dir   *dirNode // edited subdirectory
	blob  string   // entry's whole content, a single blob, when known (Tree.blobs)
}

// NewEditor starts editing base (the zero ID for an empty tree). It pins
// base in p, so every object reused from it survives a concurrent gc.
func NewEditor(r *Reader, p Putter, base ID) (*Editor, error) {
	root := &dirNode{changes: map[string]*change{}}
	if !base.IsZero() {
		if err := p.Reuse(base); err != nil {
			return nil, fmt.Errorf("tree: base %s: %w", base.Short(), err)
		}
		root.base, root.hasBase = base, true
	}
	return &Editor{r: r, p: p, root: root}, nil
}

// baseTree returns the decoded base tree of d, kept on the node: a state
// of many files looks it up once per file.
func (ed *Editor) baseTree(ctx context.Context, d *dirNode) (*Tree, error) {
	if d.baseTree == nil {
		t, err := ed.r.Tree(ctx, d.base)
		if err != nil {
			return nil, err
		}
		d.baseTree = t
	}
	return d.baseTree, nil
}

// baseEntry returns the entry name of the directory's base tree, if any.
func (ed *Editor) baseEntry(ctx context.Context, d *dirNode, name string) (*Entry, error) {
	if !d.hasBase {
		return nil, nil
	}
	t, err := ed.baseTree(ctx, d)
	if err != nil {
		return nil, err
	}
	e, ok := t.Find(name)
	if !ok {
		return nil, nil
	}
	return e, nil
}

// current returns what name is in d now (after changes): the entry and,
// for an edited directory, its node.
func (ed *Editor) current(ctx context.Context, d *dirNode, name string) (*Entry, *dirNode, error) {
	if c, ok := d.changes[name]; ok {
		if c.dir != nil {
			return c.dir.meta, c.dir, nil
		}
		return c.entry, nil, nil
	}
	e, err := ed.baseEntry(ctx, d, name)
	return e, nil, err
}

// dirFor returns the node of the directory holding the last component of
// parts, creating directories (and replacing non-directories) on the way.
func (ed *Editor) dirFor(ctx context.Context, parts []string, create bool) (*dirNode, error) {
	d := ed.root
	for _, name := range parts[:len(parts)-1] {
		e, node, err := ed.current(ctx, d, name)
		if err != nil {
			return nil, err
		}
		switch {
		case node != nil:
			d = node
			continue
		case e != nil && e.Type == TypeDir:
			node = &dirNode{base: e.Tree, hasBase: true, meta: cloneDirMeta(e), changes: map[string]*change{}}
		case !create:
			return nil, nil
		default:
			node = &dirNode{meta: &Entry{Name: name, Type: TypeDir, Mode: 0o755}, changes: map[string]*change{}}
		}
		d.changes[name] = &change{dir: node}
		d = node
	}
	return d, nil
}

func cloneDirMeta(e *Entry) *Entry {
	c := *e
	return &c
}

// Put sets the file at path p to data with the given mode and mtime
// (0 = unrecorded), creating parent directories (mode 0755).
func (ed *Editor) Put(ctx context.Context, p string, data []byte, mode uint32, mtime int64) error {
	id, blob := ed.r.memo.blob(data)
	return ed.put(ctx, p, data, id, blob, mode, mtime)
}

// put is Put with the blob id of data and the memo's copy of it
// (idMemo.blob) already computed.
func (ed *Editor) put(ctx context.Context, p string, data []byte, id ID, blob string, mode uint32, mtime int64) error {
	parts, err := SplitPath(p)
	if err != nil {
		return err
	}
	d, err := ed.dirFor(ctx, parts, true)
	if err != nil {
		return err
	}
	name := parts[len(parts)-1]
	cur, _, err := ed.current(ctx, d, name)
	if err != nil {
		return err
	}
	if sameFile(cur, data, id, mode, mtime) {
		return nil
	}
	return ed.putIn(d, name, data, id, blob, mode, mtime)
}

// sameFile reports whether entry cur (nil: none) is the file data with
// blob id id (idMemo.blobID), mode and mtime. Chunked contents are never
// known to be the same without chunking them.
func sameFile(cur *Entry, data []byte, id ID, mode uint32, mtime int64) bool {
	return cur != nil && cur.Type == TypeFile && cur.Mode == mode && cur.ModTime == mtime &&
		cur.Size == uint64(len(data)) && len(data) < SingleBlobMax &&
		(len(data) == 0 || cur.Chunks[0].ID == id)
}

// putIn stores data and sets name in directory d to that file; blob is
// data as a string when the caller has one (see Tree.blobs), else "".
func (ed *Editor) putIn(d *dirNode, name string, data []byte, id ID, blob string, mode uint32, mtime int64) error {
	var chunks []Chunk
	var err error
	switch {
	case len(data) == 0:
	case !id.IsZero():
		if err := ed.p.PutWithID(id, pebblestore.KindBlob, data); err != nil {
			return err
		}
		chunks = []Chunk{{ID: id, Size: uint64(len(data))}}
	default:
		if chunks, err = PutBytes(ed.p, data); err != nil {
			return err
		}
	}
	e := &Entry{Name: name, Type: TypeFile, Mode: mode, ModTime: mtime, Size: uint64(len(data)), Chunks: chunks}
	c := &change{entry: e}
	if len(chunks) == 1 && chunks[0].ID == id {
		c.blob = blob
		d.blobs = d.blobs || blob != ""
	}
	d.changes[name] = c
	return nil
}

// PutEntry places an existing entry (a file, symlink or directory whose
// objects are in the store) at path p.
func (ed *Editor) PutEntry(ctx context.Context, p string, e Entry) error {
	parts, err := SplitPath(p)
	if err != nil {
		return err
	}
	d, err := ed.dirFor(ctx, parts, true)
	if err != nil {
		return err
	}
	e.Name = parts[len(parts)-1]
	if err := checkEntry(&e); err != nil {
		return err
	}
	if e.Type == TypeDir {
		d.changes[e.Name] = &change{dir: &dirNode{base: e.Tree, hasBase: true, meta: &e, changes: map[string]*change{}}}
		return nil
	}
	d.changes[e.Name] = &change{entry: &e}
	return nil
}

// Delete removes path p (a whole subtree for a directory). Deleting a
// missing path is not an error.
func (ed *Editor) Delete(ctx context.Context, p string) error {
	parts, err := SplitPath(p)
	if err != nil {
		return err
	}
	d, err := ed.dirFor(ctx, parts, false)
	if err != nil || d == nil {
		return err
	}
	name := parts[len(parts)-1]
	cur, _, err := ed.current(ctx, d, name)
	if err != nil || cur == nil {
		return err
	}
	d.changes[name] = &change{}
	return nil
}

// SetState makes the tree hold exactly the files of state (keys are
// slash-separated paths) with the given mode: files are put, and every
// path of the base that state does not have is deleted.
func (ed *Editor) SetState(ctx context.Context, state map[string][]byte, mode uint32) error {
	if done, err := ed.setFlatState(ctx, state, mode); done || err != nil {
		return err
	}
	dirs := map[string]bool{}
	for k, v := range state {
		// Hashing in parallel was measured slower: the values are small
		// and waking a second thread costs more than it saves.
		if err := ed.Put(ctx, k, v, mode, 0); err != nil {
			return err
		}
		for i := strings.IndexByte(k, '/'); i >= 0; {
			dirs[k[:i]] = true
			j := strings.IndexByte(k[i+1:], '/')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	if !ed.root.hasBase {
		return nil
	}
	var drop []string
	err := ed.r.Walk(ctx, ed.root.base, func(p string, e *Entry) error {
		if e.Type == TypeDir {
			if _, isFile := state[p]; !dirs[p] && !isFile {
				drop = append(drop, p)
			}
			if !dirs[p] {
				return SkipDir
			}
			return nil
		}
		if _, ok := state[p]; !ok {
			drop = append(drop, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range drop {
		if _, ok := state[p]; ok {
			continue // a directory replaced by a file: Put did it
		}
		if err := ed.Delete(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// setFlatState is SetState for an unedited base whose root holds files
// only (the common shape of a key/value state): one pass over the base's
// entries looks each name up in state, which finds both the unchanged
// files and the deleted ones, and a second pass, only when state has
// names the base lacks, adds those. done is false when the base has
// another shape; SetState then does it the general way.
func (ed *Editor) setFlatState(ctx context.Context, state map[string][]byte, mode uint32) (done bool, err error) {
	root := ed.root
	if !root.hasBase || len(root.changes) > 0 {
		return false, nil
	}
	t, err := ed.baseTree(ctx, root)
	if err != nil {
		return false, err
	}
	for i := range t.Entries {
		if t.Entries[i].Type != TypeFile {
			return false, nil
		}
	}
	found := 0
	for i := range t.Entries {
		e := &t.Entries[i]
		data, ok := state[e.Name]
		if !ok {
			root.changes[e.Name] = &change{} // deleted
			continue
		}
		found++
		if t.blobs != nil && len(data) > 0 && t.blobs[i] == string(data) && e.Mode == mode && e.ModTime == 0 {
			continue // e's very content (Tree.blobs)
		}
		id, blob := ed.r.memo.blob(data)
		if sameFile(e, data, id, mode, 0) {
			continue
		}
		if err := ed.putIn(root, e.Name, data, id, blob, mode, 0); err != nil {
			return true, err
		}
	}
	if found == len(state) {
		return true, nil
	}
	for k, data := range state {
		if _, ok := t.Find(k); ok {
			continue
		}
		if err := ed.Put(ctx, k, data, mode, 0); err != nil { // validates k
			return true, err
		}
	}
	return true, nil
}

// Commit writes every changed directory, bottom-up, and returns the root
// tree id and the totals of the new tree.
func (ed *Editor) Commit(ctx context.Context) (ID, Summary, error) {
	e, err := ed.commitDir(ctx, ed.root)
	if err != nil {
		return ID{}, Summary{}, err
	}
	return e.Tree, e.Sub, nil
}

func (ed *Editor) commitDir(ctx context.Context, d *dirNode) (Entry, error) {
	var out Entry
	if d.meta != nil {
		out = *d.meta
	}
	out.Type, out.Size = TypeDir, 0
	if len(d.changes) == 0 && d.hasBase {
		if d.meta != nil {
			return out, nil // untouched subtree: reuse its id and summary
		}
		t, err := ed.baseTree(ctx, d)
		if err != nil {
			return out, err
		}
		out.Tree, out.Sub = d.base, t.Summary()
		return out, nil
	}
	bt := &Tree{}
	if d.hasBase {
		var err error
		if bt, err = ed.baseTree(ctx, d); err != nil {
			return out, err
		}
	}
	names := make([]string, 0, len(d.changes))
	for name := range d.changes {
		names = append(names, name)
	}
	sort.Strings(names)
	// Merge the sorted base entries with the sorted changes into an edit:
	// runs of base entries kept, and new entries. The new tree's entries
	// are only materialised when it is read (Tree.materialize): a large
	// directory with one change is not copied for a tree nobody reads.
	base := bt.Entries
	e := &edit{base: bt, spans: make([]span, 0, 2*len(names)+1),
		blobs: bt.blobs != nil || d.blobs}
	i := 0
	for _, name := range names {
		j := i + sort.Search(len(base)-i, func(k int) bool { return base[i+k].Name >= name })
		e.keep(i, j) // the unchanged run before name
		i = j
		if i < len(base) && base[i].Name == name {
			i++ // replaced or deleted
		}
		c := d.changes[name]
		switch {
		case c.dir != nil:
			sub, err := ed.commitDir(ctx, c.dir)
			if err != nil {
				return out, err
			}
			sub.Name = name
			e.add(sub, "")
		case c.entry != nil:
			e.add(*c.entry, c.blob)
		}
	}
	e.keep(i, len(base))
	t := &Tree{lazy: &lazyTree{e: e}}
	b, err := encodeEdited(t, e)
	if err != nil {
		return out, err
	}
	id := pebblestore.Hash(pebblestore.KindTree, b)
	if err := ed.p.PutWithID(id, pebblestore.KindTree, b); err != nil {
		return out, err
	}
	sum, cost := e.summary(t)
	ed.r.trees.add(id, t, cost)
	out.Tree, out.Sub = id, sum
	return out, nil
}
