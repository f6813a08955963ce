package fusefs

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// These tests call node methods directly: go-fuse's NodeFS bridge is
// built (so NewInode works) but nothing is mounted and no kernel is
// involved, as restic's internal/fuse tests do.

type testFS struct {
	t  *testing.T
	f  *fsys
	st *ckptfs.Store
}

func newTestFS(t *testing.T, o Options) *testFS {
	t.Helper()
	st, err := ckptfs.Open(t.TempDir(), ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFsys(st, o)
	unsub := st.Subscribe(f.onEvent)
	f.notify.start()
	gofs.NewNodeFS(f.root, &gofs.Options{})
	t.Cleanup(func() {
		f.notify.close()
		unsub()
		st.Close()
	})
	return &testFS{t: t, f: f, st: st}
}

var bg = context.Background()

// lookup walks a slash-separated path from the root and returns the
// inode and its entry attributes.
func (tf *testFS) lookup(p string) (*gofs.Inode, fuse.EntryOut, syscall.Errno) {
	tf.t.Helper()
	cur := tf.f.root.EmbeddedInode()
	var out fuse.EntryOut
	for _, name := range strings.Split(p, "/") {
		lk, ok := cur.Operations().(gofs.NodeLookuper)
		if !ok {
			return nil, out, syscall.ENOTDIR
		}
		out = fuse.EntryOut{}
		next, errno := lk.Lookup(bg, name, &out)
		if errno != 0 {
			return nil, out, errno
		}
		cur = next
	}
	return cur, out, 0
}

func (tf *testFS) mustLookup(p string) (*gofs.Inode, fuse.EntryOut) {
	tf.t.Helper()
	in, out, errno := tf.lookup(p)
	if errno != 0 {
		tf.t.Fatalf("lookup %s: %v", p, errno)
	}
	return in, out
}

// names lists a directory through its dir handle.
func (tf *testFS) names(p string) []string {
	tf.t.Helper()
	in, _ := tf.mustLookup(p)
	return tf.namesOf(in)
}

func (tf *testFS) namesOf(in *gofs.Inode) []string {
	tf.t.Helper()
	fh, _, errno := in.Operations().(gofs.NodeOpendirHandler).OpendirHandle(bg, 0)
	if errno != 0 {
		tf.t.Fatalf("opendir: %v", errno)
	}
	var names []string
	for {
		de, errno := fh.(gofs.FileReaddirenter).Readdirent(bg)
		if errno != 0 {
			tf.t.Fatalf("readdir: %v", errno)
		}
		if de == nil {
			return names
		}
		names = append(names, de.Name)
	}
}

// readFile opens and reads a whole file node.
func (tf *testFS) readFile(p string) ([]byte, syscall.Errno) {
	tf.t.Helper()
	in, _, errno := tf.lookup(p)
	if errno != 0 {
		return nil, errno
	}
	fh, _, errno := in.Operations().(gofs.NodeOpener).Open(bg, syscall.O_RDONLY)
	if errno != 0 {
		return nil, errno
	}
	var out []byte
	buf := make([]byte, 100<<10)
	for {
		var res fuse.ReadResult
		if r, ok := in.Operations().(gofs.NodeReader); ok {
			res, errno = r.Read(bg, fh, buf, int64(len(out)))
		} else {
			res, errno = fh.(gofs.FileReader).Read(bg, buf, int64(len(out)))
		}
		if errno != 0 {
			return out, errno
		}
		b, _ := res.Bytes(buf)
		if len(b) == 0 {
			return out, 0
		}
		out = append(out, b...)
	}
}

// ctl runs one line through a control file and returns the result line
// and the write's errno.
func (tf *testFS) ctl(p, line string) (string, syscall.Errno) {
	tf.t.Helper()
	in, _ := tf.mustLookup(p)
	fh, _, errno := in.Operations().(gofs.NodeOpener).Open(bg, syscall.O_RDWR)
	if errno != 0 {
		tf.t.Fatalf("open %s: %v", p, errno)
	}
	h := fh.(*ctlHandle)
	_, werr := h.Write(bg, []byte(line+"\n"), 0)
	buf := make([]byte, 4096)
	res, _ := h.Read(bg, buf, 0)
	b, _ := res.Bytes(buf)
	return strings.TrimSuffix(string(b), "\n"), werr
}
