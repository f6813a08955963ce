package merge

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/ckptfs/ckptfs/merge/textmerge"
	"github.com/ckptfs/ckptfs/tree"
)

// same reports whether two entries (nil: absent) have the same type, mode
// and content.
func same(x, y *tree.Entry) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.SameContent(y)
}

// entry merges one name: b, o and t are its entries in base, ours and
// theirs (nil when absent). It returns the merged entry, nil for none.
func (m *merger) entry(ctx context.Context, p string, b, o, t *tree.Entry) (*tree.Entry, error) {
	switch {
	case same(o, t), same(b, t):
		return o, nil
	case same(b, o):
		return t, nil
	case o == nil || t == nil:
		return m.modifyDelete(ctx, p, b, o, t)
	case o.Type != t.Type:
		m.conflict(FileDir, p, b, o, t)
		return pick(m, o, t, o), nil
	case o.Type == tree.TypeDir:
		return m.dirEntry(ctx, p, b, o, t)
	case o.Type == tree.TypeFile:
		return m.file(ctx, p, b, o, t)
	}
	return m.symlink(p, b, o, t), nil
}

// modifyDelete handles a name that one side deleted and the other
// changed (b is not nil). A directory is merged path by path, the deleted
// side standing for an empty directory: only what the other side changed
// inside conflicts, and the directory goes if nothing is left in it.
// Anything else is a modify/delete conflict, which Recursive resolves to
// the changed side, so that no work is lost.
func (m *merger) modifyDelete(ctx context.Context, p string, b, o, t *tree.Entry) (*tree.Entry, error) {
	x := o
	if x == nil {
		x = t
	}
	if b.Type == tree.TypeDir && x.Type == tree.TypeDir {
		res, empty, err := m.dir(ctx, p, b.Tree, refOf(o), refOf(t))
		if err != nil || empty || m.failed() {
			return nil, err
		}
		e := *x
		e.Tree, e.Sub = res.id, res.sum
		return &e, nil
	}
	m.conflict(ModifyDelete, p, b, o, t)
	return pick(m, o, t, x), nil
}

// refOf returns the directory of a directory entry (nil: absent).
func refOf(e *tree.Entry) dirRef {
	if e == nil {
		return dirRef{known: true}
	}
	return dirRef{id: e.Tree, sum: e.Sub, known: true}
}

// sameType returns b if it has type typ, else nil: the base an entry of
// that type is merged against.
func sameType(b *tree.Entry, typ tree.Type) *tree.Entry {
	if b != nil && b.Type == typ {
		return b
	}
	return nil
}

// dirEntry merges two directories.
func (m *merger) dirEntry(ctx context.Context, p string, b, o, t *tree.Entry) (*tree.Entry, error) {
	bd := sameType(b, tree.TypeDir)
	var bt ID
	if bd != nil {
		bt = bd.Tree
	}
	mode := m.mode(p, bd, o, t)
	res, _, err := m.dir(ctx, p, bt, refOf(o), refOf(t))
	if err != nil || m.failed() {
		return nil, err
	}
	e := *o
	e.Mode, e.Tree, e.Sub = mode, res.id, res.sum
	if bd != nil && o.ModTime == bd.ModTime {
		e.ModTime = t.ModTime
	}
	return &e, nil
}

// mode merges the permission bits of two entries of one type; b is the
// base entry of that type, or nil.
func (m *merger) mode(p string, b, o, t *tree.Entry) uint32 {
	switch {
	case o.Mode == t.Mode, b != nil && b.Mode == t.Mode:
		return o.Mode
	case b != nil && b.Mode == o.Mode:
		return t.Mode
	}
	m.conflict(Mode, p, b, o, t)
	return pick(m, o.Mode, t.Mode, o.Mode)
}

// withMode returns e with permission bits mode (e itself if they are
// its own).
func withMode(e *tree.Entry, mode uint32) *tree.Entry {
	if e.Mode == mode {
		return e
	}
	c := *e
	c.Mode = mode
	return &c
}

// contentKind is the kind of a content conflict: add/add when the base
// had nothing of that type.
func contentKind(base *tree.Entry) ConflictKind {
	if base == nil {
		return AddAdd
	}
	return BothModified
}

// symlink merges two symlinks: targets cannot be merged, only taken.
func (m *merger) symlink(p string, b, o, t *tree.Entry) *tree.Entry {
	bl := sameType(b, tree.TypeSymlink)
	mode := m.mode(p, bl, o, t)
	content := o
	switch {
	case o.Target == t.Target, bl != nil && bl.Target == t.Target:
	case bl != nil && bl.Target == o.Target:
		content = t
	default:
		m.conflict(contentKind(bl), p, b, o, t)
		content = pick(m, o, t, o)
	}
	return withMode(content, mode)
}

// sameData reports whether two file entries have the same content.
func sameData(x, y *tree.Entry) bool {
	return x.Size == y.Size && slices.Equal(x.Chunks, y.Chunks)
}

// file merges two files: mode and content separately, the content line
// by line when both sides changed it.
func (m *merger) file(ctx context.Context, p string, b, o, t *tree.Entry) (*tree.Entry, error) {
	bf := sameType(b, tree.TypeFile)
	mode := m.mode(p, bf, o, t)
	switch {
	case sameData(o, t), bf != nil && sameData(bf, t):
		return withMode(o, mode), nil
	case bf != nil && sameData(bf, o):
		return withMode(t, mode), nil
	}
	return m.text(ctx, p, b, o, t, mode)
}

// textStrategy maps a merge strategy to the line merge's.
var textStrategy = [...]textmerge.Strategy{Fail: textmerge.Report, Ours: textmerge.Ours,
	Theirs: textmerge.Theirs, Recursive: textmerge.Markers}

// text merges the contents of two files that both changed. Binary files
// are not merged: they conflict, and Recursive keeps ours.
func (m *merger) text(ctx context.Context, p string, b, o, t *tree.Entry, mode uint32) (*tree.Entry, error) {
	bf := sameType(b, tree.TypeFile)
	var base []byte
	if bf != nil {
		var err error
		if base, err = m.read(ctx, p, bf); err != nil {
			return nil, err
		}
	}
	ours, err := m.read(ctx, p, o)
	if err != nil {
		return nil, err
	}
	theirs, err := m.read(ctx, p, t)
	if err != nil {
		return nil, err
	}
	kind := contentKind(bf)
	if textmerge.IsBinary(base) || textmerge.IsBinary(ours) || textmerge.IsBinary(theirs) {
		m.conflict(kind, p, b, o, t)
		return withMode(pick(m, o, t, o), mode), nil
	}
	res := textmerge.Merge(base, ours, theirs, textmerge.Options{Strategy: textStrategy[m.o.Strategy], Base: m.o.Diff3})
	if res.Conflicts > 0 {
		m.conflict(kind, p, b, o, t)
	}
	switch {
	case m.failed():
		return nil, nil
	case bytes.Equal(res.Merged, ours):
		return withMode(o, mode), nil
	case bytes.Equal(res.Merged, theirs):
		return withMode(t, mode), nil
	}
	chunks, err := tree.PutBytes(m.p, res.Merged)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", p, err)
	}
	return &tree.Entry{Name: o.Name, Type: tree.TypeFile, Mode: mode, ModTime: max(o.ModTime, t.ModTime),
		Size: uint64(len(res.Merged)), Chunks: chunks}, nil
}

func (m *merger) read(ctx context.Context, p string, e *tree.Entry) ([]byte, error) {
	b, err := m.r.ReadFile(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("merge: read %s: %w", p, err)
	}
	return b, nil
}
