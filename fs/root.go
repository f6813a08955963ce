package fusefs

import (
	"context"
	"encoding/json"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// rootNode is the mount's root: exactly ctl, sessions/ and stats.json,
// persistent nodes made in OnAdd.
type rootNode struct{ node }

var rootNames = []string{"ctl", "sessions", "stats.json"}

func (r *rootNode) OnAdd(ctx context.Context) {
	f := r.fsys
	add := func(name string, c child) {
		b := c.base()
		b.fsys = f
		b.id = mountIdent(name)
		r.AddChild(name, r.NewPersistentInode(ctx, c, gofs.StableAttr{Mode: c.mode(), Ino: b.id.ino}), false)
	}
	add("ctl", &ctlNode{})
	add("sessions", &sessionsDir{})
	add("stats.json", &genFile{content: f.statsJSON})
}

func (r *rootNode) mode() uint32 { return syscall.S_IFDIR }

func (r *rootNode) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	r.fsys.setCommon(out, modeDir, 0, r.fsys.started)
	return longTimeout, longTimeout, 0
}

func (r *rootNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, r, out)
}

func (r *rootNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ch := r.GetChild(name)
	if ch == nil {
		return nil, syscall.ENOENT
	}
	c := ch.Operations().(child)
	entryTTL, attrTTL, errno := c.attr(ctx, &out.Attr)
	if errno != 0 {
		return nil, errno
	}
	out.SetEntryTimeout(entryTTL)
	out.SetAttrTimeout(attrTTL)
	return ch, 0
}

func (r *rootNode) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, r)
}

func (r *rootNode) list(ctx context.Context) (listing, syscall.Errno) {
	var ents []fuse.DirEntry
	for _, name := range rootNames {
		ch := r.GetChild(name)
		ents = append(ents, fuse.DirEntry{Name: name, Mode: ch.Mode(), Ino: ch.StableAttr().Ino})
	}
	return listing{ents: ents, plus: lookupIndex(ents, r.Lookup)}, 0
}

var (
	_ gofs.NodeOnAdder        = (*rootNode)(nil)
	_ gofs.NodeLookuper       = (*rootNode)(nil)
	_ gofs.NodeOpendirHandler = (*rootNode)(nil)
	_ gofs.NodeGetattrer      = (*rootNode)(nil)
	_ gofs.NodeStatfser       = (*rootNode)(nil)
)

// statsJSON is the content of stats.json.
func (f *fsys) statsJSON(ctx context.Context) ([]byte, time.Time, error) {
	b, err := json.MarshalIndent(f.st.Stats(), "", "  ")
	return append(b, '\n'), time.Now(), err
}

// genFile is a read-only file whose content is generated (stats.json,
// log, ID.json). Its size is exact at every stat (attributes are not
// cached); an open handle reads the content as of the open, with
// DIRECT_IO so the page cache never serves an older version.
type genFile struct {
	node
	content func(ctx context.Context) ([]byte, time.Time, error)
	// entryTTL is how long the name may be cached (the file exists as
	// long as its directory's subject).
	entryTTL time.Duration
}

func (g *genFile) mode() uint32 { return syscall.S_IFREG }

func (g *genFile) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	b, mtime, err := g.content(ctx)
	if err != nil {
		return 0, 0, g.errno(err)
	}
	g.fsys.setCommon(out, modeFile, uint64(len(b)), mtime)
	ttl := g.entryTTL
	if ttl == 0 {
		ttl = longTimeout
	}
	return ttl, noTimeout, 0
}

func (g *genFile) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, g, out)
}

func (g *genFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if errno := readOnlyOpen(flags); errno != 0 {
		return nil, 0, errno
	}
	b, _, err := g.content(ctx)
	if err != nil {
		return nil, 0, g.errno(err)
	}
	return &bytesHandle{b: b}, fuse.FOPEN_DIRECT_IO, 0
}

var (
	_ gofs.NodeGetattrer = (*genFile)(nil)
	_ gofs.NodeOpener    = (*genFile)(nil)
)

// bytesHandle reads a fixed byte slice.
type bytesHandle struct{ b []byte }

func (h *bytesHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off >= int64(len(h.b)) {
		return fuse.ReadResultData(nil), 0
	}
	end := min(off+int64(len(dest)), int64(len(h.b)))
	return fuse.ReadResultData(h.b[off:end]), 0
}

var _ gofs.FileReader = (*bytesHandle)(nil)
