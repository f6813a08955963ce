package fusefs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// lookupCkpt resolves an id prefix in a session. It uses the session's
// catalog when an up-to-date one is cached (listings build it), else asks
// the store directly, so following HEAD in a session of 100,000
// checkpoints does not list them all.
func (f *fsys) lookupCkpt(ctx context.Context, session, prefix string) (ckptfs.Summary, error) {
	if !pebblestore.IsIDPrefix(prefix) {
		return ckptfs.Summary{}, fmt.Errorf("%w: %q is not an id prefix", ckptfs.ErrNotFound, prefix)
	}
	if cat := f.cats.cached(session); cat != nil {
		i, err := cat.resolve(prefix)
		if err != nil {
			return ckptfs.Summary{}, err
		}
		return cat.list[i], nil
	}
	id, _, err := f.st.Resolve(ctx, session, prefix)
	if err != nil {
		return ckptfs.Summary{}, err
	}
	r, err := f.st.Objects().Record(session, id)
	if err != nil {
		return ckptfs.Summary{}, err
	}
	return ckptfs.Summary{ID: r.ID, Session: r.Session, Branch: r.Branch, Time: r.Time,
		Message: r.Message, Parents: r.Parents, Tags: r.Tags}, nil
}

// checkpointsDir is sessions/S/checkpoints/: ID/ and ID.json for every
// checkpoint of the session, listed by the shortest unique prefix of at
// least 12 digits; any unique prefix of 4 or more digits looks up.
type checkpointsDir struct {
	node
	session string
}

func (d *checkpointsDir) mode() uint32 { return syscall.S_IFDIR }

func (d *checkpointsDir) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	d.fsys.setCommon(out, modeDir, 0, d.fsys.started)
	return longTimeout, longTimeout, 0
}

func (d *checkpointsDir) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, d, out)
}

func (d *checkpointsDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	prefix, isJSON := strings.CutSuffix(name, ".json")
	if !pebblestore.IsIDPrefix(prefix) {
		return nil, syscall.ENOENT
	}
	sum, err := d.fsys.lookupCkpt(ctx, d.session, prefix)
	if err != nil {
		return nil, d.errno(err)
	}
	return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(sum, prefix, isJSON), out)
}

func (d *checkpointsDir) newChild(sum ckptfs.Summary, name string, isJSON bool) child {
	if isJSON {
		return newInfoFile(d.session, sum)
	}
	return newCkptRoot(sum, "", "sessions/"+d.session+"/checkpoints/"+name)
}

func (d *checkpointsDir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openList(ctx, d)
}

func (d *checkpointsDir) list(ctx context.Context) (listing, syscall.Errno) {
	cat, err := d.fsys.cats.get(ctx, d.session)
	if err != nil {
		return listing{}, d.errno(err)
	}
	ents := make([]fuse.DirEntry, 0, 2*len(cat.list))
	for i := range cat.list {
		id := cat.list[i].ID.String()
		root, _ := hashParts("c", id, "")
		ents = append(ents,
			fuse.DirEntry{Name: cat.names[i], Mode: syscall.S_IFDIR, Ino: fixIno(root)},
			fuse.DirEntry{Name: cat.names[i] + ".json", Mode: syscall.S_IFREG, Ino: infoIdent(d.session, id).ino})
	}
	plus := func(ctx context.Context, k int, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
		if k%2 == 1 {
			// ID.json: its size needs the checkpoint object; leave it
			// to a real lookup (as listings above plusLimit do).
			return nil, syscall.ENOENT
		}
		return d.fsys.instantiate(ctx, d.EmbeddedInode(), d.newChild(cat.list[k/2], cat.names[k/2], false), out)
	}
	return listing{ents: ents, plus: plus}, 0
}

var (
	_ gofs.NodeLookuper       = (*checkpointsDir)(nil)
	_ gofs.NodeOpendirHandler = (*checkpointsDir)(nil)
	_ gofs.NodeGetattrer      = (*checkpointsDir)(nil)
)

// infoIdent is the identity of checkpoints/ID.json: one node whatever
// prefix names it.
func infoIdent(session, id string) ident {
	return mountIdent("sessions/" + session + "/checkpoints/" + id + ".json")
}

// infoFile is checkpoints/ID.json, the checkpoint's metadata (SPEC §5).
// Tags can change, so its content is generated at each stat and open.
type infoFile struct {
	genFile
	sum ckptfs.Summary
}

func newInfoFile(session string, sum ckptfs.Summary) *infoFile {
	f := &infoFile{sum: sum}
	f.id = infoIdent(session, sum.ID.String())
	f.content = func(ctx context.Context) ([]byte, time.Time, error) {
		in, err := f.fsys.st.Info(ctx, sum.ID)
		if err != nil {
			return nil, time.Time{}, err
		}
		b, err := json.MarshalIndent(in, "", "  ")
		return append(b, '\n'), sum.Time, err
	}
	return f
}

func (f *infoFile) stale(cat *catalog, name string) bool {
	i, err := cat.resolve(strings.TrimSuffix(name, ".json"))
	return err != nil || cat.list[i].ID != f.sum.ID
}

var _ staler = (*infoFile)(nil)
