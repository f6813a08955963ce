package tree

import (
	"context"
	"fmt"
	"sort"
)

// Op is the kind of a change between two trees (SPEC §6).
type Op byte

// Change kinds.
const (
	Added    Op = 'A'
	Deleted  Op = 'D'
	Modified Op = 'M' // content or mode
	TypeChg  Op = 'T' // file, directory or symlink became another type
)

// Change is one changed path.
type Change struct {
	Op   Op
	Path string
	// Old and New are the entries on each side (nil when absent).
	Old, New *Entry
}

func (c Change) String() string { return fmt.Sprintf("%c %s", c.Op, c.Path) }

// Diff calls fn for every path that differs between trees a and b, sorted
// bytewise by path. An added or deleted directory is reported, followed by
// every path inside it; a directory present on both sides is never
// reported itself. Subtrees with equal ids are skipped without being read.
func Diff(ctx context.Context, r *Reader, a, b ID, fn func(Change) error) error {
	return diffTrees(ctx, r, a, b, "", fn)
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// diffTrees compares two trees; a zero id is an empty tree. Within one
// level, a directory's contents sort as name+"/", so the output is in
// bytewise path order ("a", "a.b", "a/x").
func diffTrees(ctx context.Context, r *Reader, a, b ID, dir string, fn func(Change) error) error {
	if a == b {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ta, err := r.treeOrEmpty(ctx, a)
	if err != nil {
		return err
	}
	tb, err := r.treeOrEmpty(ctx, b)
	if err != nil {
		return err
	}
	type event struct {
		key      string
		ea, eb   *Entry
		children bool
	}
	var evs []event
	add := func(ea, eb *Entry) {
		name := entryName(ea, eb)
		evs = append(evs, event{key: name, ea: ea, eb: eb})
		if ea != nil && ea.Type == TypeDir || eb != nil && eb.Type == TypeDir {
			evs = append(evs, event{key: name + "/", ea: ea, eb: eb, children: true})
		}
	}
	i, j := 0, 0
	for i < len(ta.Entries) || j < len(tb.Entries) {
		switch {
		case j >= len(tb.Entries) || i < len(ta.Entries) && ta.Entries[i].Name < tb.Entries[j].Name:
			add(&ta.Entries[i], nil)
			i++
		case i >= len(ta.Entries) || tb.Entries[j].Name < ta.Entries[i].Name:
			add(nil, &tb.Entries[j])
			j++
		default:
			add(&ta.Entries[i], &tb.Entries[j])
			i++
			j++
		}
	}
	sort.SliceStable(evs, func(x, y int) bool { return evs[x].key < evs[y].key })
	for _, ev := range evs {
		p := join(dir, entryName(ev.ea, ev.eb))
		var err error
		if ev.children {
			err = diffTrees(ctx, r, dirID(ev.ea), dirID(ev.eb), p, fn)
		} else if op, ok := selfChange(ev.ea, ev.eb); ok {
			err = fn(Change{Op: op, Path: p, Old: ev.ea, New: ev.eb})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func entryName(ea, eb *Entry) string {
	if ea != nil {
		return ea.Name
	}
	return eb.Name
}

// dirID is the tree of a directory entry, or the empty tree.
func dirID(e *Entry) ID {
	if e != nil && e.Type == TypeDir {
		return e.Tree
	}
	return ID{}
}

// selfChange classifies the change of one name, leaving out directories
// present on both sides (only their contents can differ).
func selfChange(ea, eb *Entry) (Op, bool) {
	switch {
	case eb == nil:
		return Deleted, true
	case ea == nil:
		return Added, true
	case ea.Type != eb.Type:
		return TypeChg, true
	case ea.Type == TypeDir:
		return 0, false
	case !ea.SameContent(eb):
		return Modified, true
	}
	return 0, false
}

func (r *Reader) treeOrEmpty(ctx context.Context, id ID) (*Tree, error) {
	if id.IsZero() {
		return &Tree{}, nil
	}
	return r.Tree(ctx, id)
}
