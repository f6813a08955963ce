package fusefs

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ckView is one entry point into a checkpoint's tree: checkpoints/NAME or
// branches/B/NAME. Every node below it shares it.
type ckView struct {
	sum    ckptfs.Summary // catalog record: id, time, branch, message, parents
	branch string         // "" for checkpoints/NAME, else B of branches/B/NAME
	view   string         // mount path of the view's root (its Gen)
	idHex  string

	mu   sync.Mutex
	root ckptfs.ID // root tree, read on first use
}

// rootTree returns the checkpoint's root tree id, reading the checkpoint
// object the first time (listing checkpoints never does).
func (v *ckView) rootTree(ctx context.Context, f *fsys) (ckptfs.ID, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.root.IsZero() {
		ck, err := f.st.Reader().Checkpoint(ctx, v.sum.ID)
		if err != nil {
			return ckptfs.ID{}, err
		}
		v.root = ck.Root
	}
	return v.root, nil
}

// newCkptRoot returns the root node of a view of checkpoint sum.
func newCkptRoot(sum ckptfs.Summary, branch, view string) *ckDir {
	v := &ckView{sum: sum, branch: branch, view: view, idHex: sum.ID.String()}
	d := &ckDir{v: v, entry: tree.RootEntry(ckptfs.ID{}, tree.Summary{})}
	d.id = ckptIdent(v.idHex, "", view)
	return d
}

// ckDir is a directory of a checkpoint (the root when path is "").
type ckDir struct {
	node
	v     *ckView
	path  string
	entry tree.Entry // Tree is zero for the root until read
}

func (d *ckDir) mode() uint32 { return syscall.S_IFDIR }

func (d *ckDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	// Directories show the checkpoint's time (SPEC §2).
	d.fsys.setCommon(out, syscall.S_IFDIR|d.entry.Mode&0o7777, 4096, d.v.sum.Time)
	return longTimeout, longTimeout, 0
}

func (d *ckDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

// tree returns the directory's decoded tree (shared: do not modify).
func (d *ckDir) tree(ctx context.Context) (*tree.Tree, error) {
	id := d.entry.Tree
	if d.path == "" {
		var err error
		if id, err = d.v.rootTree(ctx, d.fsys); err != nil {
			return nil, err
		}
	}
	return d.fsys.st.Reader().Tree(ctx, id)
}

func (d *ckDir) childPath(name string) string {
	if d.path == "" {
		return name
	}
	return d.path + "/" + name
}

// newChild returns the node for entry e of this directory.
func (d *ckDir) newChild(e *tree.Entry) child {
	p := d.childPath(e.Name)
	var c child
	switch e.Type {
	case tree.TypeDir:
		c = &ckDir{v: d.v, path: p, entry: *e}
	case tree.TypeSymlink:
		c = &ckLink{v: d.v, entry: *e}
	default:
		c = newCkFile(d.v, *e)
	}
	c.base().id = ckptIdent(d.v.idHex, p, d.v.view)
	return c
}

func (d *ckDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	t, err := d.tree(ctx)
	if err != nil {
		return nil, d.errno(err)
	}
	e, ok := t.Find(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(e), out)
}

func (d *ckDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *ckDir) list(ctx context.Context) (listing, syscall.Errno) {
	t, err := d.tree(ctx)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := make([]fuse.DirEntry, len(t.Entries))
	for i := range t.Entries {
		e := &t.Entries[i]
		ino, _ := hashParts("c", d.v.idHex, d.childPath(e.Name))
		ents[i] = fuse.DirEntry{Name: e.Name, Mode: typeMode(e.Type), Ino: fixIno(ino)}
	}
	plus := func(ctx context.Context, i int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(&t.Entries[i]), out)
	}
	return listing{ents: ents, plus: plus, cache: true}, 0
}

// Xattrs: the checkpoint root carries user.ckptfs.{id,parents,branch,
// message,time}.

var ckptXattrs = []string{"user.ckptfs.id", "user.ckptfs.parents", "user.ckptfs.branch", "user.ckptfs.message", "user.ckptfs.time"}

func (d *ckDir) xattr(name string) (string, bool) {
	s := d.v.sum
	switch name {
	case "user.ckptfs.id":
		return d.v.idHex, true
	case "user.ckptfs.parents":
		ps := make([]string, len(s.Parents))
		for i, p := range s.Parents {
			ps[i] = p.String()
		}
		return strings.Join(ps, " "), true
	case "user.ckptfs.branch":
		return s.Branch, true
	case "user.ckptfs.message":
		return s.Message, true
	case "user.ckptfs.time":
		return s.Time.UTC().Format(time.RFC3339Nano), true
	}
	return "", false
}

func (d *ckDir) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	if d.path != "" {
		return 0, noXattr(attr)
	}
	v, ok := d.xattr(attr)
	if !ok {
		return 0, noXattr(attr)
	}
	return copyXattr(dest, v)
}

func (d *ckDir) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	if d.path != "" {
		return 0, 0
	}
	return copyXattr(dest, strings.Join(ckptXattrs, "\x00")+"\x00")
}

// copyXattr copies v into dest, or reports its size with ERANGE when dest
// is too short (go-fuse turns that into the size answer for a size-0
// query).
func copyXattr(dest []byte, v string) (uint32, syscall.Errno) {
	if len(dest) < len(v) {
		return uint32(len(v)), syscall.ERANGE
	}
	return uint32(copy(dest, v)), 0
}

// stale reports whether the view's name no longer leads to its checkpoint
// (deleted, the prefix became ambiguous, or it left the branch).
func (d *ckDir) stale(cat *catalog, name string) bool {
	if d.path != "" {
		return false
	}
	i, err := cat.resolve(name)
	if err != nil || cat.list[i].ID != d.v.sum.ID {
		return true
	}
	return d.v.branch != "" && !cat.onBranch(i, d.v.branch)
}

var (
	_ gofs.NodeLookuper       = (*ckDir)(nil)
	_ gofs.NodeOpendirHandler = (*ckDir)(nil)
	_ gofs.NodeGetattrer      = (*ckDir)(nil)
	_ gofs.NodeGetxattrer     = (*ckDir)(nil)
	_ gofs.NodeListxattrer    = (*ckDir)(nil)
	_ staler                  = (*ckDir)(nil)
)

func typeMode(t tree.Type) uint32 {
	switch t {
	case tree.TypeDir:
		return syscall.S_IFDIR
	case tree.TypeSymlink:
		return syscall.S_IFLNK
	}
	return syscall.S_IFREG
}

// ckFile is a regular file of a checkpoint. Its content is immutable:
// the kernel keeps it in the page cache across opens (FOPEN_KEEP_CACHE).
type ckFile struct {
	node
	v     *ckView
	entry tree.Entry
	ends  []uint64 // ends[i] is the file offset where chunk i ends
	// lastEnd is where the previous read ended (sequential detection).
	lastEnd atomic.Int64
}

func newCkFile(v *ckView, e tree.Entry) *ckFile {
	f := &ckFile{v: v, entry: e, ends: make([]uint64, len(e.Chunks))}
	var off uint64
	for i, c := range e.Chunks {
		off += c.Size
		f.ends[i] = off
	}
	return f
}

func (f *ckFile) mode() uint32 { return syscall.S_IFREG }

func (f *ckFile) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	f.fsys.setCommon(out, syscall.S_IFREG|f.entry.Mode&0o7777, f.entry.Size, f.entry.Time(f.v.sum.Time))
	return longTimeout, longTimeout, 0
}

func (f *ckFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, f, out)
}

func (f *ckFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if errno := readOnlyOpen(flags); errno != 0 {
		return nil, 0, errno
	}
	return nil, fuse.FOPEN_KEEP_CACHE, 0
}

func (f *ckFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, err := f.readAt(ctx, dest, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, f.errno(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// readAt reads the chunks covering [off, off+len(p)), each loaded once
// however many readers want it at the same time. A read that continues
// where the previous one ended prefetches the next chunks, so that
// decompression runs ahead of a sequential reader on every core.
func (f *ckFile) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if uint64(off) >= f.entry.Size {
		return 0, io.EOF
	}
	i := sort.Search(len(f.ends), func(i int) bool { return f.ends[i] > uint64(off) })
	sequential := f.lastEnd.Swap(off+int64(len(p))) == off
	n := 0
	for ; i < len(f.entry.Chunks) && n < len(p); i++ {
		b, err := f.chunk(ctx, i)
		if err != nil {
			return n, err
		}
		start := f.ends[i] - f.entry.Chunks[i].Size
		n += copy(p[n:], b[uint64(off)+uint64(n)-start:])
	}
	if sequential || off == 0 {
		for k := i; k < min(i+prefetchChunks, len(f.entry.Chunks)); k++ {
			f.fsys.prefetch(func() { f.chunk(context.Background(), k) })
		}
	}
	return n, nil
}

// prefetchChunks is how many chunks a sequential reader loads ahead.
const prefetchChunks = 2

// chunk returns chunk i's bytes, loading it at most once at a time.
func (f *ckFile) chunk(ctx context.Context, i int) ([]byte, error) {
	c := f.entry.Chunks[i]
	return f.fsys.chunks.do(c.ID, func() ([]byte, error) {
		// Shared by every reader waiting: one reader's interrupt
		// must not fail the others.
		return f.fsys.st.Reader().ReadChunk(context.WithoutCancel(ctx), c)
	})
}

var (
	_ gofs.NodeGetattrer = (*ckFile)(nil)
	_ gofs.NodeOpener    = (*ckFile)(nil)
	_ gofs.NodeReader    = (*ckFile)(nil)
)

// ckLink is a symlink of a checkpoint.
type ckLink struct {
	node
	v     *ckView
	entry tree.Entry
}

func (l *ckLink) mode() uint32 { return syscall.S_IFLNK }

func (l *ckLink) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	l.fsys.setCommon(out, modeLink, uint64(len(l.entry.Target)), l.entry.Time(l.v.sum.Time))
	return longTimeout, longTimeout, 0
}

func (l *ckLink) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, l, out)
}

func (l *ckLink) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	return []byte(l.entry.Target), 0
}

var (
	_ gofs.NodeGetattrer  = (*ckLink)(nil)
	_ gofs.NodeReadlinker = (*ckLink)(nil)
)
