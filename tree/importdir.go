package tree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// ImportOptions tune ImportDir.
type ImportOptions struct {
	// Exclude reports whether the slash-separated relative path (a
	// directory when dir is true) is left out.
	Exclude func(rel string, dir bool) bool
	// Warn receives files that were skipped: special files, unreadable
	// files, files that vanished during the walk. nil ignores them.
	Warn func(rel string, err error)
}

// ErrSpecialFile is passed to Warn for sockets, devices and fifos.
var ErrSpecialFile = errors.New("tree: special file skipped")

// ImportDir stores the directory tree at dir and returns its root tree id
// and totals. Regular files, directories and symlinks are kept with their
// mode and mtime; special files, and files that cannot be read or vanish
// while the walk runs, are skipped with a warning.
func ImportDir(ctx context.Context, p Putter, dir string, o ImportOptions) (ID, Summary, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return ID{}, Summary{}, fmt.Errorf("tree: import %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return ID{}, Summary{}, fmt.Errorf("tree: import %s: %w", dir, ErrNotDir)
	}
	e, err := importDir(ctx, p, dir, "", &o)
	if err != nil {
		return ID{}, Summary{}, err
	}
	return e.Tree, e.Sub, nil
}

func (o *ImportOptions) warn(rel string, err error) {
	if o.Warn != nil {
		o.Warn(rel, err)
	}
}

func importDir(ctx context.Context, p Putter, abs, rel string, o *ImportOptions) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return Entry{}, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return Entry{}, err
	}
	sort.Strings(names)
	t := &Tree{Entries: make([]Entry, 0, len(names))}
	for _, name := range names {
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		if err := ValidName(name); err != nil {
			o.warn(childRel, err)
			continue
		}
		e, ok, err := importEntry(ctx, p, filepath.Join(abs, name), childRel, name, o)
		if err != nil {
			return Entry{}, err
		}
		if ok {
			t.Entries = append(t.Entries, e)
		}
	}
	b, err := EncodeTree(t)
	if err != nil {
		return Entry{}, err
	}
	id := pebblestore.Hash(pebblestore.KindTree, b)
	if err := p.PutWithID(id, pebblestore.KindTree, b); err != nil {
		return Entry{}, err
	}
	return Entry{Type: TypeDir, Tree: id, Sub: t.Summary()}, nil
}

// importEntry imports one directory entry; ok is false when it is skipped.
func importEntry(ctx context.Context, p Putter, abs, rel, name string, o *ImportOptions) (Entry, bool, error) {
	fi, err := os.Lstat(abs)
	if err != nil {
		o.warn(rel, err) // vanished since readdir
		return Entry{}, false, nil
	}
	isDir := fi.IsDir()
	if o.Exclude != nil && o.Exclude(rel, isDir) {
		return Entry{}, false, nil
	}
	e := Entry{Name: name, Mode: fileMode(fi), ModTime: fi.ModTime().UnixNano()}
	switch {
	case isDir:
		sub, err := importDir(ctx, p, abs, rel, o)
		if err != nil {
			if skippable(err) {
				o.warn(rel, err)
				return Entry{}, false, nil
			}
			return Entry{}, false, err
		}
		e.Type, e.Tree, e.Sub = TypeDir, sub.Tree, sub.Sub
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(abs)
		if err != nil || target == "" {
			o.warn(rel, err)
			return Entry{}, false, nil
		}
		e.Type, e.Target, e.Size = TypeSymlink, target, uint64(len(target))
	case fi.Mode().IsRegular():
		chunks, err := importFile(p, abs)
		if err != nil {
			if skippable(err) {
				o.warn(rel, err)
				return Entry{}, false, nil
			}
			return Entry{}, false, fmt.Errorf("tree: import %s: %w", rel, err)
		}
		e.Type, e.Chunks, e.Size = TypeFile, chunks, chunksSize(chunks)
	default:
		o.warn(rel, ErrSpecialFile)
		return Entry{}, false, nil
	}
	return e, true, nil
}

// importFile stores a regular file as read now (a file growing or
// shrinking during the read is recorded as read).
func importFile(p Putter, abs string) ([]Chunk, error) {
	f, err := os.OpenFile(abs, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return PutReader(p, f)
}

// skippable reports errors that skip one file rather than fail the
// checkpoint: it vanished, or it cannot be read.
func skippable(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR)
}

func fileMode(fi fs.FileInfo) uint32 {
	m := uint32(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}
