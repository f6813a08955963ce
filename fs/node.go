package fusefs

import (
	"context"
	"strings"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Kernel cache lifetimes. Immutable things (checkpoint contents, and names
// whose removal the notifier announces) are cached long; attributes that
// change (sizes of log, stats.json, ID.json; HEAD's target) not at all.
const (
	longTimeout = time.Hour
	noTimeout   = 0
)

// node is embedded in every node type. It implements every mutating
// operation as EROFS (go-fuse's defaults are ENOTSUP, or silent success
// for unlink and rmdir), no xattrs, statfs and access. Types override
// what they allow (sessions/ takes mkdir and rmdir, ctl takes truncation).
type node struct {
	gofs.Inode
	fsys *fsys
	id   ident
}

// child is what a directory hands to instantiate: the new node's
// operations, its file type and its attributes.
type child interface {
	gofs.InodeEmbedder
	base() *node
	// mode is the file type (S_IFDIR, S_IFREG, S_IFLNK).
	mode() uint32
	// attr fills the attributes and returns how long the kernel may
	// cache the entry (the name) and the attributes.
	attr(ctx context.Context, out *fuse.Attr) (entry, attr time.Duration, errno syscall.Errno)
}

func (n *node) base() *node { return n }

// instantiate creates (or finds the live) inode for c below parent and
// fills out for a LOOKUP reply.
func (f *fsys) instantiate(ctx context.Context, parent *gofs.Inode, c child, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	b := c.base()
	b.fsys = f
	entryTTL, attrTTL, errno := c.attr(ctx, &out.Attr)
	if errno != 0 {
		return nil, errno
	}
	b.id.gen = f.inos.claim(b.id)
	in := parent.NewInode(ctx, c, gofs.StableAttr{Mode: c.mode(), Ino: b.id.ino, Gen: b.id.gen})
	if live, ok := in.Operations().(child); ok {
		f.inos.own(live.base())
	}
	out.Attr.Ino = b.id.ino // go-fuse sets it too; tests read it here
	out.SetEntryTimeout(entryTTL)
	out.SetAttrTimeout(attrTTL)
	return in, 0
}

// getattr is the Getattr of every node type: the same attributes its
// lookup reported.
func getattr(ctx context.Context, c child, out *fuse.AttrOut) syscall.Errno {
	_, attrTTL, errno := c.attr(ctx, &out.Attr)
	if errno == 0 {
		out.Ino = c.base().id.ino
		out.SetTimeout(attrTTL)
	}
	return errno
}

// OnForget drops the node's inode-number claim.
func (n *node) OnForget() {
	if n.fsys != nil {
		n.fsys.inos.release(n)
	}
}

// errno maps err (see toErrno).
func (n *node) errno(err error) syscall.Errno { return toErrno(n.fsys.log, err) }

func (n *node) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EROFS
}
func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}
func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno  { return syscall.EROFS }
func (n *node) Unlink(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }
func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EROFS
}
func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}
func (n *node) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}
func (n *node) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	return syscall.EROFS
}
func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}
func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EROFS
}
func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno { return syscall.EROFS }
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, noXattr(attr)
}

// noXattr is the answer for an extended attribute the tree does not have:
// ENODATA in the user namespace, ENOTSUP in the others (security.*,
// system.*, trusted.*), which ckptfs never records. ENOTSUP lets tools
// stop asking: GNU ls remembers it per file system and skips its
// SELinux-label and ACL lookups for every other file, two FUSE round trips
// per file of `ls -l` (the kernel does not cache getxattr answers).
func noXattr(attr string) syscall.Errno {
	if strings.HasPrefix(attr, "user.") {
		return syscall.ENODATA
	}
	return syscall.ENOTSUP
}
func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) { return 0, 0 }
func (n *node) Fsync(ctx context.Context, f gofs.FileHandle, flags uint32) syscall.Errno {
	return 0
}

// Access answers access(2): everything may be read and searched; only
// writable nodes (ctl files, sessions/) may be written.
func (n *node) Access(ctx context.Context, mask uint32) syscall.Errno {
	if mask&2 != 0 { // W_OK
		return syscall.EROFS
	}
	return 0
}

// Statfs reports the store's figures wherever it is asked.
func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	n.fsys.statfs(out)
	return 0
}

var (
	_ gofs.NodeSetattrer     = (*node)(nil)
	_ gofs.NodeMkdirer       = (*node)(nil)
	_ gofs.NodeRmdirer       = (*node)(nil)
	_ gofs.NodeUnlinker      = (*node)(nil)
	_ gofs.NodeCreater       = (*node)(nil)
	_ gofs.NodeSymlinker     = (*node)(nil)
	_ gofs.NodeLinker        = (*node)(nil)
	_ gofs.NodeRenamer       = (*node)(nil)
	_ gofs.NodeMknoder       = (*node)(nil)
	_ gofs.NodeSetxattrer    = (*node)(nil)
	_ gofs.NodeRemovexattrer = (*node)(nil)
	_ gofs.NodeGetxattrer    = (*node)(nil)
	_ gofs.NodeListxattrer   = (*node)(nil)
	_ gofs.NodeFsyncer       = (*node)(nil)
	_ gofs.NodeAccesser      = (*node)(nil)
	_ gofs.NodeStatfser      = (*node)(nil)
	_ gofs.NodeOnForgetter   = (*node)(nil)
)

// Attribute helpers.

const (
	modeDir  = syscall.S_IFDIR | 0o555
	modeFile = syscall.S_IFREG | 0o444
	modeLink = syscall.S_IFLNK | 0o777
)

// setCommon fills owner, link count, block counts and times.
func (f *fsys) setCommon(out *fuse.Attr, mode uint32, size uint64, mtime time.Time) {
	out.Mode = mode
	out.Size = size
	out.Nlink = 1
	out.Owner = fuse.Owner{Uid: f.uid, Gid: f.gid}
	out.Blksize = 4096
	out.Blocks = (size + 511) / 512
	out.SetTimes(&mtime, &mtime, &mtime)
}

// readOnlyOpen checks open flags of a read-only file.
func readOnlyOpen(flags uint32) syscall.Errno {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0 {
		return syscall.EROFS
	}
	return 0
}
