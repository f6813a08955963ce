package fusefs

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// branchesDir is sessions/S/branches/: one directory per branch.
type branchesDir struct {
	node
	session string
}

func (d *branchesDir) mode() uint32 { return syscall.S_IFDIR }

func (d *branchesDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *branchesDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *branchesDir) newChild(branch string) *branchDir {
	b := &branchDir{session: d.session, branch: branch}
	b.id = mountIdent("sessions/" + d.session + "/branches/" + branch)
	return b
}

func (d *branchesDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if ckptfs.ValidateName("branch", name) != nil {
		return nil, syscall.ENOENT
	}
	if _, err := d.fsys.st.Head(d.session, name); err != nil {
		return nil, d.errno(err)
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(name), out)
}

func (d *branchesDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *branchesDir) list(ctx context.Context) (listing, syscall.Errno) {
	heads, err := d.fsys.st.Branches(ctx, d.session)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := make([]fuse.DirEntry, len(heads))
	for i, h := range heads {
		ents[i] = fuse.DirEntry{Name: h.Name, Mode: syscall.S_IFDIR, Ino: d.newChild(h.Name).id.ino}
	}
	return listing{ents: ents, plus: lookupIndex(ents, d.Lookup)}, 0
}

var (
	_ gofs.NodeLookuper       = (*branchesDir)(nil)
	_ gofs.NodeOpendirHandler = (*branchesDir)(nil)
	_ gofs.NodeGetattrer      = (*branchesDir)(nil)
)

// branchDir is sessions/S/branches/B/: HEAD, log and the checkpoints
// recorded on B. Lookups also accept B's head when it was recorded on
// another branch (a branch made with `branch B from=…`), so HEAD always
// resolves.
type branchDir struct {
	node
	session, branch string
}

func (d *branchDir) mode() uint32 { return syscall.S_IFDIR }

func (d *branchDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *branchDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *branchDir) path(name string) string {
	return "sessions/" + d.session + "/branches/" + d.branch + "/" + name
}

func (d *branchDir) headLink() child {
	h := &headLink{session: d.session, branch: d.branch}
	h.id = mountIdent(d.path("HEAD"))
	return h
}

func (d *branchDir) logFile() child {
	g := &genFile{}
	g.id = mountIdent(d.path("log"))
	g.content = func(ctx context.Context) ([]byte, time.Time, error) {
		cat, err := g.fsys.cats.get(ctx, d.session)
		if err != nil {
			return nil, time.Time{}, err
		}
		mtime := g.fsys.started
		for i := range cat.list {
			if cat.list[i].Branch == d.branch {
				mtime = cat.list[i].Time
				break
			}
		}
		return cat.log(d.branch), mtime, nil
	}
	return g
}

func (d *branchDir) ckptRoot(sum ckptfs.Summary, name string) child {
	return newCkptRoot(sum, d.branch, d.path(name))
}

// onBranch reports whether sum belongs in this directory.
func (d *branchDir) onBranch(sum ckptfs.Summary) (bool, error) {
	if sum.Branch == d.branch {
		return true, nil
	}
	head, err := d.fsys.st.Head(d.session, d.branch)
	if errors.Is(err, ckptfs.ErrNotFound) {
		return false, nil
	}
	return head == sum.ID, err
}

func (d *branchDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	switch name {
	case "HEAD":
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.headLink(), out)
	case "log":
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.logFile(), out)
	}
	if !pebblestore.IsIDPrefix(name) {
		return nil, syscall.ENOENT
	}
	sum, err := d.fsys.lookupCkpt(ctx, d.session, name)
	if err != nil {
		return nil, d.errno(err)
	}
	if ok, err := d.onBranch(sum); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("checkpoint %s is not on branch %q: %w", sum.ID.Short(), d.branch, ckptfs.ErrNotFound)
		}
		return nil, d.errno(err)
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.ckptRoot(sum, name), out)
}

func (d *branchDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *branchDir) list(ctx context.Context) (listing, syscall.Errno) {
	cat, err := d.fsys.cats.get(ctx, d.session)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := []fuse.DirEntry{
		{Name: "HEAD", Mode: syscall.S_IFLNK, Ino: mountIdent(d.path("HEAD")).ino},
		{Name: "log", Mode: syscall.S_IFREG, Ino: mountIdent(d.path("log")).ino},
	}
	var idx []int
	for i := range cat.list {
		if cat.list[i].Branch == d.branch {
			root, _ := hashParts("c", cat.list[i].ID.String(), "")
			ents = append(ents, fuse.DirEntry{Name: cat.names[i], Mode: syscall.S_IFDIR, Ino: fixIno(root)})
			idx = append(idx, i)
		}
	}
	plus := func(ctx context.Context, k int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		var c child
		switch k {
		case 0:
			c = d.headLink()
		case 1:
			c = d.logFile()
		default:
			i := idx[k-2]
			c = d.ckptRoot(cat.list[i], cat.names[i])
		}
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), c, out)
	}
	return listing{ents: ents, plus: plus}, 0
}

// stale: the branch is gone.
func (d *branchDir) stale(cat *catalog, name string) bool {
	_, ok := cat.head(d.branch)
	return !ok
}

var (
	_ gofs.NodeLookuper       = (*branchDir)(nil)
	_ gofs.NodeOpendirHandler = (*branchDir)(nil)
	_ gofs.NodeGetattrer      = (*branchDir)(nil)
	_ staler                  = (*branchDir)(nil)
)

// headLink is branches/B/HEAD, a symlink to the head's id (a sibling
// entry). Its target is read at every readlink: the kernel does not cache
// symlink targets of this mount.
type headLink struct {
	node
	session, branch string
}

func (h *headLink) mode() uint32 { return syscall.S_IFLNK }

func (h *headLink) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	if _, err := h.fsys.st.Head(h.session, h.branch); err != nil {
		return 0, 0, h.errno(err)
	}
	h.fsys.setCommon(out, modeLink, 64, h.fsys.started)
	return longTimeout, noTimeout, 0
}

func (h *headLink) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, h, out)
}

func (h *headLink) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	id, err := h.fsys.st.Head(h.session, h.branch)
	if err != nil {
		return nil, h.errno(err)
	}
	return []byte(id.String()), 0
}

var (
	_ gofs.NodeGetattrer  = (*headLink)(nil)
	_ gofs.NodeReadlinker = (*headLink)(nil)
)
