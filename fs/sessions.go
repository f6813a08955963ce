package fusefs

import (
	"context"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// sessionsDir is sessions/: one directory per session; mkdir creates a
// session, rmdir removes an empty one.
type sessionsDir struct{ node }

func (d *sessionsDir) mode() uint32 { return syscall.S_IFDIR }

func (d *sessionsDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	// Writable by all, sticky like /tmp: with --allow-other the kernel
	// checks permissions, and any user may create a session.
	d.fsys.setCommon(out, syscall.S_IFDIR|0o1777, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *sessionsDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *sessionsDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if ckptfs.ValidateName("session", name) != nil {
		return nil, syscall.ENOENT
	}
	ok, err := d.fsys.st.HasSession(name)
	if err != nil {
		return nil, d.errno(err)
	}
	if !ok {
		return nil, syscall.ENOENT
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), newSessionDir(name), out)
}

func (d *sessionsDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *sessionsDir) list(ctx context.Context) (listing, syscall.Errno) {
	names, err := d.fsys.st.Sessions(ctx)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := make([]fuse.DirEntry, len(names))
	for i, n := range names {
		ents[i] = fuse.DirEntry{Name: n, Mode: syscall.S_IFDIR, Ino: mountIdent("sessions/" + n).ino}
	}
	return listing{ents: ents, plus: lookupIndex(ents, d.Lookup)}, 0
}

// Mkdir creates a session.
func (d *sessionsDir) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if err := d.fsys.st.CreateSession(ctx, name); err != nil {
		return nil, d.errno(err)
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), newSessionDir(name), out)
}

// Rmdir removes a session that has no checkpoints (ENOTEMPTY otherwise).
func (d *sessionsDir) Rmdir(ctx context.Context, name string) syscall.Errno {
	if ckptfs.ValidateName("session", name) != nil {
		return syscall.ENOENT
	}
	return d.errno(d.fsys.st.RemoveSession(ctx, name))
}

func (d *sessionsDir) Access(ctx context.Context, mask uint32) syscall.Errno { return 0 }

var (
	_ gofs.NodeLookuper       = (*sessionsDir)(nil)
	_ gofs.NodeOpendirHandler = (*sessionsDir)(nil)
	_ gofs.NodeMkdirer        = (*sessionsDir)(nil)
	_ gofs.NodeRmdirer        = (*sessionsDir)(nil)
	_ gofs.NodeGetattrer      = (*sessionsDir)(nil)
)

// sessionDir is sessions/S/.
type sessionDir struct {
	node
	session string
}

func newSessionDir(session string) *sessionDir {
	d := &sessionDir{session: session}
	d.id = mountIdent("sessions/" + session)
	return d
}

// sessionNames are the entries of a session directory. diff/ is listed
// but lists nothing itself.
var sessionNames = []string{"branches", "checkpoints", "ctl", "diff", "tags"}

func (d *sessionDir) mode() uint32 { return syscall.S_IFDIR }

func (d *sessionDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *sessionDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

// path is the mount path of a child of the session directory.
func (d *sessionDir) path(name string) string { return "sessions/" + d.session + "/" + name }

func (d *sessionDir) newChild(name string) child {
	var c child
	switch name {
	case "ctl":
		c = &ctlNode{session: d.session}
	case "branches":
		c = &branchesDir{session: d.session}
	case "checkpoints":
		c = &checkpointsDir{session: d.session}
	case "tags":
		c = &tagsDir{session: d.session}
	case "diff":
		c = &diffDir{session: d.session}
	default:
		return nil
	}
	c.base().id = mountIdent(d.path(name))
	return c
}

func (d *sessionDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	c := d.newChild(name)
	if c == nil {
		return nil, syscall.ENOENT
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), c, out)
}

func (d *sessionDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *sessionDir) list(ctx context.Context) (listing, syscall.Errno) {
	ents := make([]fuse.DirEntry, len(sessionNames))
	for i, name := range sessionNames {
		c := d.newChild(name)
		ents[i] = fuse.DirEntry{Name: name, Mode: c.mode(), Ino: c.base().id.ino}
	}
	return listing{ents: ents, plus: lookupIndex(ents, d.Lookup)}, 0
}

var (
	_ gofs.NodeLookuper       = (*sessionDir)(nil)
	_ gofs.NodeOpendirHandler = (*sessionDir)(nil)
	_ gofs.NodeGetattrer      = (*sessionDir)(nil)
)
