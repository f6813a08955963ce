package ckptfs

import "sync"

// EventKind says what changed in the store.
type EventKind int

// Event kinds.
const (
	CheckpointCreated EventKind = iota + 1
	CheckpointsDeleted
	BranchCreated
	TagsChanged
	SessionCreated
	SessionRemoved
)

// Event describes a committed change, for caches to invalidate (the mount
// tells the kernel). Session is always set; IDs and Branch when relevant.
type Event struct {
	Kind    EventKind
	Session string
	Branch  string
	IDs     []ID
}

// events fans committed changes out to subscribers.
type events struct {
	mu   sync.Mutex
	next int
	subs map[int]func(Event)
}

// Subscribe registers fn to be called after every committed change, on the
// goroutine that made it. fn must not block or call back into the Store;
// queue the work instead. The returned function unsubscribes.
func (s *Store) Subscribe(fn func(Event)) (cancel func()) {
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	if s.ev.subs == nil {
		s.ev.subs = map[int]func(Event){}
	}
	id := s.ev.next
	s.ev.next++
	s.ev.subs[id] = fn
	return func() {
		s.ev.mu.Lock()
		delete(s.ev.subs, id)
		s.ev.mu.Unlock()
	}
}

func (s *Store) notify(e Event) {
	s.ev.mu.Lock()
	fns := make([]func(Event), 0, len(s.ev.subs))
	for _, fn := range s.ev.subs {
		fns = append(fns, fn)
	}
	s.ev.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
}
