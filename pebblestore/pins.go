package pebblestore

import "sync"

// pinSet records the objects that checkpoints still being written have
// created or decided to reuse. Garbage collection treats every pinned id
// (and everything it reaches) as live, which closes the dedup race: a
// writer pins an id before it checks that the id exists, so either gc sees
// the pin, or the writer sees the object gone and writes it again.
type pinSet struct {
	mu   sync.Mutex
	refs map[ID]int
}

func (p *pinSet) init() { p.refs = make(map[ID]int) }

func (p *pinSet) pin(id ID) {
	p.mu.Lock()
	p.refs[id]++
	p.mu.Unlock()
}

func (p *pinSet) unpin(ids []ID) {
	p.mu.Lock()
	for _, id := range ids {
		if n := p.refs[id]; n <= 1 {
			delete(p.refs, id)
		} else {
			p.refs[id] = n - 1
		}
	}
	p.mu.Unlock()
}

// Pinned returns the ids pinned by in-flight writers. Collectors call it
// while holding the commit lock (inside Update), so no new checkpoint can be
// committed between the snapshot and the sweep.
func (s *Store) Pinned() []ID {
	s.pins.mu.Lock()
	defer s.pins.mu.Unlock()
	ids := make([]ID, 0, len(s.pins.refs))
	for id := range s.pins.refs {
		ids = append(ids, id)
	}
	return ids
}
