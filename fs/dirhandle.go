package fusefs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// plusLimit is the largest listing whose READDIRPLUS entries get inodes.
// go-fuse looks up every entry of a READDIRPLUS reply, which for
// checkpoints/ of a large session would instantiate one node per
// checkpoint (and make the kernel hold them). Above the limit, entries are
// sent without attributes and the kernel looks names up only when a
// program stats them (ls -l does, plain ls does not).
const plusLimit = 1024

// listing is the content of a directory, fixed when the directory is
// opened: a directory stream is deterministic (go-fuse requires it) even
// while checkpoints come and go.
type listing struct {
	ents []fuse.DirEntry
	// plus instantiates entry i for READDIRPLUS; nil, or a listing
	// longer than plusLimit, sends names only.
	plus func(ctx context.Context, i int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno)
	// cache lets the kernel keep the listing (FOPEN_CACHE_DIR): only for
	// directories that never change (inside checkpoints).
	cache bool
}

// dirHandle serves a listing. go-fuse serialises calls on one handle.
type dirHandle struct {
	l    listing
	next int // index of the next entry to return
}

func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if h.next >= len(h.l.ents) {
		return nil, 0
	}
	e := h.l.ents[h.next]
	h.next++
	e.Off = uint64(h.next)
	return &e, 0
}

func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	if off > uint64(len(h.l.ents)) {
		return syscall.EINVAL
	}
	h.next = int(off)
	return 0
}

// Lookup serves READDIRPLUS: name is the entry Readdirent returned last.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	i := h.next - 1
	if h.l.plus == nil || len(h.l.ents) > plusLimit || i < 0 || h.l.ents[i].Name != name {
		return nil, syscall.ENOENT // the kernel gets the name without attributes
	}
	return h.l.plus(ctx, i, out)
}

var (
	_ gofs.FileReaddirenter = (*dirHandle)(nil)
	_ gofs.FileSeekdirer    = (*dirHandle)(nil)
	_ gofs.FileLookuper     = (*dirHandle)(nil)
)

// lister is a directory whose content is computed on opendir.
type lister interface {
	list(ctx context.Context) (listing, syscall.Errno)
}

// openList is the OpendirHandle of every directory node.
func openList(ctx context.Context, l lister) (gofs.FileHandle, uint32, syscall.Errno) {
	ls, errno := l.list(ctx)
	if errno != 0 {
		return nil, 0, errno
	}
	var flags uint32
	if ls.cache {
		flags = fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE
	}
	return &dirHandle{l: ls}, flags, 0
}

// lookupIndex is a plus function for listings whose entries the directory's
// Lookup can resolve by name.
func lookupIndex(ents []fuse.DirEntry, lookup func(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno)) func(context.Context, int, *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return func(ctx context.Context, i int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		return lookup(ctx, ents[i].Name, out)
	}
}
