package fusefs

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// notifier runs kernel cache invalidations on its own goroutine: the
// store's event callback must not block, and a FUSE handler must never
// call Notify* itself (the kernel may hold a lock the notification
// needs). Control-file commands wait, with a bound, until the
// notifications their changes caused are done, so that the writer's next
// ls already sees them.
type notifier struct {
	log *slog.Logger
	run func(ckptfs.Event)

	mu       sync.Mutex
	queue    []ckptfs.Event
	queued   uint64 // events pushed so far
	done     uint64 // events processed so far
	progress chan struct{}
	wake     chan struct{}
	closed   bool
	started  bool
	exited   chan struct{}
}

func (q *notifier) init(log *slog.Logger, run func(ckptfs.Event)) {
	q.log, q.run = log, run
	q.progress = make(chan struct{})
	q.wake = make(chan struct{}, 1)
	q.exited = make(chan struct{})
}

// start runs the worker goroutine.
func (q *notifier) start() {
	q.mu.Lock()
	q.started = true
	q.mu.Unlock()
	go q.loop()
}

// push queues ev. It never blocks.
func (q *notifier) push(ev ckptfs.Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.queue = append(q.queue, ev)
	q.queued++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *notifier) loop() {
	defer close(q.exited)
	for {
		q.mu.Lock()
		for len(q.queue) == 0 && !q.closed {
			q.mu.Unlock()
			<-q.wake
			q.mu.Lock()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		evs := q.queue
		q.queue = nil
		q.mu.Unlock()
		for _, ev := range evs {
			q.run(ev)
		}
		q.mu.Lock()
		q.done += uint64(len(evs))
		close(q.progress)
		q.progress = make(chan struct{})
		q.mu.Unlock()
	}
}

// wait blocks until every event pushed before the call is processed, or
// for at most d.
func (q *notifier) wait(d time.Duration) {
	q.mu.Lock()
	target := q.queued
	q.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		q.mu.Lock()
		if q.done >= target || q.closed {
			q.mu.Unlock()
			return
		}
		ch := q.progress
		q.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			q.log.Warn("kernel cache invalidation is slow; continuing")
			return
		}
	}
}

// close stops the worker after the event in progress.
func (q *notifier) close() {
	q.mu.Lock()
	already, started := q.closed, q.started
	q.closed = true
	q.mu.Unlock()
	if already || !started {
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.exited
}

// staler is a node whose name may vanish from its directory.
type staler interface {
	stale(cat *catalog, name string) bool
}

// invalidate tells the kernel to drop the cached names that ev made
// wrong. Only names the kernel holds are visited (go-fuse's tree of live
// inodes); new names need nothing, since lookups that fail are not
// cached.
func (f *fsys) invalidate(ev ckptfs.Event) {
	if ev.Kind == ckptfs.SessionRemoved {
		if ss := f.root.GetChild("sessions"); ss != nil {
			f.notifyEntry(ss, ev.Session)
		}
		return
	}
	sess := f.sessionInode(ev.Session)
	if sess == nil {
		return
	}
	var dirs []*gofs.Inode // directories whose children name checkpoints
	var owners []*gofs.Inode
	if d := sess.GetChild("checkpoints"); d != nil {
		dirs = append(dirs, d)
	}
	if br := sess.GetChild("branches"); br != nil {
		owners = append(owners, br)
		for _, b := range br.Children() {
			dirs = append(dirs, b)
		}
	}
	if tg := sess.GetChild("tags"); tg != nil {
		owners = append(owners, tg)
		for _, t := range tg.Children() {
			dirs = append(dirs, t)
		}
	}
	if ev.Kind == ckptfs.CheckpointCreated || ev.Kind == ckptfs.BranchCreated {
		// Only names that were unique prefixes may have become
		// ambiguous.
		for _, d := range dirs {
			for name := range d.Children() {
				if isAmbiguated(strings.TrimSuffix(name, ".json"), ev.IDs) {
					f.notifyEntry(d, name)
				}
			}
		}
		// The event moved ev.Branch's head: names under branches/B that
		// were only reachable as the old head may have left the branch.
		var b *gofs.Inode
		if br := sess.GetChild("branches"); br != nil && ev.Branch != "" {
			b = br.GetChild(ev.Branch)
		}
		if b == nil {
			return
		}
		owners, dirs = nil, []*gofs.Inode{b}
	}
	// Deletions, tag changes and a moved head: check the live names
	// against a fresh catalog.
	if len(dirs) == 0 && len(owners) == 0 {
		return
	}
	cat, err := f.cats.get(context.Background(), ev.Session)
	if err != nil {
		f.log.Warn("invalidate: reading the catalog", "session", ev.Session, "err", err)
		return
	}
	for _, d := range append(owners, dirs...) {
		for name, ch := range d.Children() {
			if s, ok := ch.Operations().(staler); ok && s.stale(cat, name) {
				f.notifyEntry(d, name)
			}
		}
	}
}

// isAmbiguated reports whether name is a proper prefix of one of ids.
func isAmbiguated(name string, ids []ckptfs.ID) bool {
	if !pebblestore.IsIDPrefix(name) || len(name) == 64 {
		return false
	}
	for _, id := range ids {
		if strings.HasPrefix(id.String(), name) {
			return true
		}
	}
	return false
}

func (f *fsys) notifyEntry(dir *gofs.Inode, name string) {
	if errno := dir.NotifyEntry(name); errno != 0 {
		f.log.Debug("NotifyEntry", "name", name, "errno", errno)
	}
}
