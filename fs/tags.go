package fusefs

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// tagsDir is sessions/S/tags/: one directory per tag in use.
type tagsDir struct {
	node
	session string
}

func (d *tagsDir) mode() uint32 { return syscall.S_IFDIR }

func (d *tagsDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *tagsDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *tagsDir) newChild(tag string) *tagDir {
	t := &tagDir{session: d.session, tag: tag}
	t.id = mountIdent("sessions/" + d.session + "/tags/" + tag)
	return t
}

func (d *tagsDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if ckptfs.ValidateName("tag", name) != nil {
		return nil, syscall.ENOENT
	}
	tags, err := d.fsys.st.Tags(ctx, d.session)
	if err != nil {
		return nil, d.errno(err)
	}
	if !slices.Contains(tags, name) {
		return nil, syscall.ENOENT
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(name), out)
}

func (d *tagsDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *tagsDir) list(ctx context.Context) (listing, syscall.Errno) {
	tags, err := d.fsys.st.Tags(ctx, d.session)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := make([]fuse.DirEntry, len(tags))
	for i, t := range tags {
		ents[i] = fuse.DirEntry{Name: t, Mode: syscall.S_IFDIR, Ino: d.newChild(t).id.ino}
	}
	return listing{ents: ents, plus: lookupIndex(ents, d.Lookup)}, 0
}

var (
	_ gofs.NodeLookuper       = (*tagsDir)(nil)
	_ gofs.NodeOpendirHandler = (*tagsDir)(nil)
	_ gofs.NodeGetattrer      = (*tagsDir)(nil)
)

// tagDir is sessions/S/tags/T/: a symlink per checkpoint carrying T.
type tagDir struct {
	node
	session, tag string
}

func (d *tagDir) mode() uint32 { return syscall.S_IFDIR }

func (d *tagDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *tagDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *tagDir) link(sum ckptfs.Summary) *tagLink {
	id := sum.ID.String()
	l := &tagLink{tag: d.tag, sum: sum, target: "../../checkpoints/" + id}
	l.id = mountIdent("sessions/" + d.session + "/tags/" + d.tag + "/" + id)
	return l
}

func (d *tagDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if !pebblestore.IsIDPrefix(name) {
		return nil, syscall.ENOENT
	}
	sum, err := d.fsys.lookupCkpt(ctx, d.session, name)
	if err != nil {
		return nil, d.errno(err)
	}
	if !slices.Contains(sum.Tags, d.tag) {
		return nil, d.errno(fmt.Errorf("checkpoint %s has no tag %q: %w", sum.ID.Short(), d.tag, ckptfs.ErrNotFound))
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.link(sum), out)
}

func (d *tagDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *tagDir) list(ctx context.Context) (listing, syscall.Errno) {
	cat, err := d.fsys.cats.get(ctx, d.session)
	if err != nil {
		return listing{}, d.errno(err)
	}
	var ents []fuse.DirEntry
	var idx []int
	for i := range cat.list {
		if cat.hasTag(i, d.tag) {
			ents = append(ents, fuse.DirEntry{Name: cat.names[i], Mode: syscall.S_IFLNK, Ino: d.link(cat.list[i]).id.ino})
			idx = append(idx, i)
		}
	}
	plus := func(ctx context.Context, k int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.link(cat.list[idx[k]]), out)
	}
	return listing{ents: ents, plus: plus}, 0
}

// stale: no checkpoint carries the tag any more.
func (d *tagDir) stale(cat *catalog, name string) bool { return !cat.tagExists(d.tag) }

var (
	_ gofs.NodeLookuper       = (*tagDir)(nil)
	_ gofs.NodeOpendirHandler = (*tagDir)(nil)
	_ gofs.NodeGetattrer      = (*tagDir)(nil)
	_ staler                  = (*tagDir)(nil)
)

// tagLink is tags/T/ID, a symlink to ../../checkpoints/ID (the full id).
type tagLink struct {
	node
	tag    string
	sum    ckptfs.Summary
	target string
}

func (l *tagLink) mode() uint32 { return syscall.S_IFLNK }

func (l *tagLink) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	l.fsys.setCommon(out, modeLink, uint64(len(l.target)), l.sum.Time)
	return longTimeout, longTimeout, 0
}

func (l *tagLink) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, l, out)
}

func (l *tagLink) Readlink(ctx context.Context) ([]byte, syscall.Errno) { return []byte(l.target), 0 }

// stale: the checkpoint is gone, lost the tag, or the name became
// ambiguous.
func (l *tagLink) stale(cat *catalog, name string) bool {
	i, err := cat.resolve(name)
	return err != nil || cat.list[i].ID != l.sum.ID || !cat.hasTag(i, l.tag)
}

var (
	_ gofs.NodeGetattrer  = (*tagLink)(nil)
	_ gofs.NodeReadlinker = (*tagLink)(nil)
	_ staler              = (*tagLink)(nil)
)
