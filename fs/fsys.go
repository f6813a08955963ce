package fusefs

import (
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Options configure a mounted store.
type Options struct {
	// StoreDir is the store's directory; statfs reports the free space
	// of the disk holding it. Empty: only the store's own figures.
	StoreDir string
	// AllowOther lets other users use the mount. Paths in from= and to=
	// are then checked against the calling process's uid and gids, as
	// access(2) would, before the daemon reads or writes them.
	AllowOther bool
	// Debug logs every FUSE request (go-fuse's debug output) to Logger.
	Debug bool
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// NotifyWait bounds how long a control command waits, after it
	// changed the store, for the kernel's caches to be invalidated
	// (default 2s). See docs/MOUNT.md "Caching".
	NotifyWait time.Duration
}

// fsys is the state shared by every node of one mount.
type fsys struct {
	st      *ckptfs.Store
	log     *slog.Logger
	opts    Options
	uid     uint32
	gid     uint32
	started time.Time

	inos   inoTable
	cats   catalogs
	notify notifier
	diffs  diffCache
	chunks flight
	// prefetching bounds background chunk loads.
	prefetching chan struct{}
	results     lastResults

	sessionGrammar, rootGrammar ctlparse.Grammar
	sessionVerbs, rootVerbs     map[string]Handler

	root *rootNode
}

func newFsys(st *ckptfs.Store, o Options) *fsys {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.NotifyWait == 0 {
		o.NotifyWait = 2 * time.Second
	}
	f := &fsys{st: st, log: log, opts: o, uid: uint32(os.Getuid()), gid: uint32(os.Getgid()),
		started: time.Now()}
	f.prefetching = make(chan struct{}, maxPrefetch)
	f.inos.log = log
	f.cats.st = st
	f.notify.init(log, f.invalidate)
	f.sessionGrammar, f.rootGrammar = ctlparse.SessionGrammar(), ctlparse.RootGrammar()
	f.sessionVerbs = sessionVerbs()
	f.rootVerbs = rootVerbs()
	f.root = &rootNode{}
	f.root.fsys = f
	f.root.id = ident{ino: 1}
	return f
}

// onEvent is the store's event callback. It runs on the committing
// goroutine, so it only marks the session's catalog stale and queues the
// kernel notifications.
func (f *fsys) onEvent(ev ckptfs.Event) {
	f.cats.bump(ev.Session)
	if ev.Kind == ckptfs.SessionRemoved {
		f.results.forget(ev.Session)
	}
	f.notify.push(ev)
}

// statfs fills figures for df: the blocks in use are the store's stored
// bytes, the free blocks those of the disk holding the store.
func (f *fsys) statfs(out *fuse.StatfsOut) {
	const bsize = 4096
	s := f.st.Stats()
	used := (s.StoredBytes + bsize - 1) / bsize
	var free uint64
	if f.opts.StoreDir != "" {
		var sfs syscall.Statfs_t
		if syscall.Statfs(f.opts.StoreDir, &sfs) == nil {
			free = sfs.Bavail * uint64(sfs.Bsize) / bsize
		}
	}
	*out = fuse.StatfsOut{}
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = used + free
	out.Bfree = free
	out.Bavail = free
	out.Files = s.Objects + s.Checkpoints
	out.Ffree = 0
	out.NameLen = 255
}

// sessionInode returns the live inode of sessions/S, or nil.
func (f *fsys) sessionInode(session string) *gofs.Inode {
	ss := f.root.GetChild("sessions")
	if ss == nil {
		return nil
	}
	return ss.GetChild(session)
}

// maxPrefetch bounds the chunk loads running ahead of readers.
const maxPrefetch = 4

// prefetch runs fn in the background unless maxPrefetch loads already
// run (a prefetch is only a hint).
func (f *fsys) prefetch(fn func()) {
	select {
	case f.prefetching <- struct{}{}:
		go func() {
			defer func() { <-f.prefetching }()
			fn()
		}()
	default:
	}
}

// flight makes concurrent readers of one chunk share a single load (the
// kernel's readahead sends many reads of one chunk at once).
type flight struct {
	mu sync.Mutex
	m  map[ckptfs.ID]*flightCall
}

type flightCall struct {
	done chan struct{}
	b    []byte
	err  error
}

func (fl *flight) do(id ckptfs.ID, fn func() ([]byte, error)) ([]byte, error) {
	fl.mu.Lock()
	if c, ok := fl.m[id]; ok {
		fl.mu.Unlock()
		<-c.done
		return c.b, c.err
	}
	if fl.m == nil {
		fl.m = map[ckptfs.ID]*flightCall{}
	}
	c := &flightCall{done: make(chan struct{})}
	fl.m[id] = c
	fl.mu.Unlock()
	c.b, c.err = fn()
	fl.mu.Lock()
	delete(fl.m, id)
	fl.mu.Unlock()
	close(c.done)
	return c.b, c.err
}

// lastResults keeps the result of the most recent command of each control
// file ("" = the root ctl), for a fresh open to read.
type lastResults struct {
	mu sync.Mutex
	m  map[string]string
}

func (l *lastResults) get(session string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[session]
}

func (l *lastResults) set(session, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]string{}
	}
	l.m[session] = line
}

func (l *lastResults) forget(session string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, session)
}
