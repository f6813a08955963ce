package fusefs

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// diffDir is sessions/S/diff/. It lists nothing; looking up "A..B", where
// A and B are each a branch of the session (its head) or an id prefix
// (a branch name wins, as for `branch NAME from=`), gives a file with
// the changes from A to B (SPEC §6).
type diffDir struct {
	node
	session string
}

func (d *diffDir) mode() uint32 { return syscall.S_IFDIR }

func (d *diffDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *diffDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

// resolve turns one side of A..B into a checkpoint id.
func (d *diffDir) resolve(ctx context.Context, ref string) (ckptfs.ID, syscall.Errno) {
	if ref == "" {
		return ckptfs.ID{}, syscall.ENOENT
	}
	id, err := d.fsys.st.ResolveRef(ctx, d.session, ref)
	return id, d.errno(err) // ENOENT, EINVAL when ambiguous
}

func (d *diffDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	as, bs, ok := strings.Cut(name, "..")
	if !ok {
		return nil, syscall.ENOENT
	}
	a, errno := d.resolve(ctx, as)
	if errno != 0 {
		return nil, errno
	}
	b, errno := d.resolve(ctx, bs)
	if errno != 0 {
		return nil, errno
	}
	content, err := d.fsys.diffs.get(ctx, d.fsys.st, a, b)
	if err != nil {
		return nil, d.errno(err)
	}
	f := &diffFile{content: content}
	f.id = mountIdent("sessions/" + d.session + "/diff/" + a.String() + ".." + b.String())
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), f, out)
}

func (d *diffDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *diffDir) list(ctx context.Context) (listing, syscall.Errno) { return listing{}, 0 }

var (
	_ gofs.NodeLookuper       = (*diffDir)(nil)
	_ gofs.NodeOpendirHandler = (*diffDir)(nil)
	_ gofs.NodeGetattrer      = (*diffDir)(nil)
)

// diffFile is diff/A..B. Its node is keyed by the two resolved ids, so
// its content never changes; the name is not cached (entry timeout 0),
// since the branches it names move.
type diffFile struct {
	node
	content []byte
}

func (f *diffFile) mode() uint32 { return syscall.S_IFREG }

func (f *diffFile) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	f.fsys.setCommon(out, modeFile, uint64(len(f.content)), f.fsys.started)
	return noTimeout, longTimeout, 0
}

func (f *diffFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, f, out)
}

func (f *diffFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if errno := readOnlyOpen(flags); errno != 0 {
		return nil, 0, errno
	}
	return &bytesHandle{b: f.content}, fuse.FOPEN_KEEP_CACHE, 0
}

var (
	_ gofs.NodeGetattrer = (*diffFile)(nil)
	_ gofs.NodeOpener    = (*diffFile)(nil)
)

// diffCache keeps recent diff outputs, bounded in bytes.
type diffCache struct {
	mu    sync.Mutex
	m     map[[2]ckptfs.ID][]byte
	order [][2]ckptfs.ID
	size  int
}

const (
	diffCacheBytes = 16 << 20
	diffCacheItem  = 4 << 20
)

func (c *diffCache) get(ctx context.Context, st *ckptfs.Store, a, b ckptfs.ID) ([]byte, error) {
	k := [2]ckptfs.ID{a, b}
	c.mu.Lock()
	if out, ok := c.m[k]; ok {
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	var buf bytes.Buffer
	err := st.Diff(ctx, a, b, func(ch tree.Change) error {
		_, err := fmt.Fprintf(&buf, "%c %s\n", ch.Op, ch.Path)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := buf.Bytes()
	if len(out) <= diffCacheItem {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.m == nil {
			c.m = map[[2]ckptfs.ID][]byte{}
		}
		if _, ok := c.m[k]; !ok {
			c.m[k] = out
			c.order = append(c.order, k)
			c.size += len(out)
			for c.size > diffCacheBytes && len(c.order) > 0 {
				old := c.order[0]
				c.order = c.order[1:]
				c.size -= len(c.m[old])
				delete(c.m, old)
			}
		}
	}
	return out, nil
}
