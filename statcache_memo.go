package ckptfs

import (
	"slices"
	"sync"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// statCacheMemoDirs bounds how many directories' stat caches a Store keeps
// in memory.
const statCacheMemoDirs = 8

// statCacheMemo keeps the stat-cache records of the directories checkpointed
// last, as they are in the store, so that a long-lived process (a mount,
// `ckptfs serve`) does not scan them out of Pebble for every checkpoint,
// restore or diff of the same directory (a 12k-file tree: ~1 MB in 1,300
// records, a scan of ~8 ms of CPU; measured through `ckptfs serve` on Go's
// tree, medians of 10 interleaved rounds: 1 %-changed checkpoint 64 → 60
// ms, unchanged 46 → 44 ms). Updates go through it, so it never disagrees
// with the store: only this process writes the stat caches.
type statCacheMemo struct {
	mu    sync.Mutex
	dirs  map[string]*statCacheRecords
	order []string          // memoised dirs, least recently loaded first
	gen   map[string]uint64 // updates per dir: a load that raced one is not kept
}

// statCacheRecords is one directory's stat cache: header and records by
// relative directory path. It is never modified once memoised (updates
// make a new one), so callers may read it without the lock.
type statCacheRecords struct {
	header []byte
	recs   map[string][]byte
}

// get returns dir's memoised records, and the generation to pass to put
// after loading them from the store.
func (m *statCacheMemo) get(dir string) (*statCacheRecords, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dirs[dir], m.gen[dir]
}

// put memoises records loaded from the store, unless dir was updated since
// get returned gen.
func (m *statCacheMemo) put(dir string, gen uint64, c *statCacheRecords) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen[dir] != gen {
		return
	}
	if m.dirs == nil {
		m.dirs, m.gen = map[string]*statCacheRecords{}, map[string]uint64{}
	}
	if _, ok := m.dirs[dir]; !ok && len(m.dirs) >= statCacheMemoDirs {
		oldest := m.order[0]
		m.order = m.order[1:]
		delete(m.dirs, oldest)
	}
	m.order = append(slices.DeleteFunc(m.order, func(d string) bool { return d == dir }), dir)
	m.dirs[dir] = c
}

// update writes w to the store with write and applies it to the memoised
// records of dir, under the lock, so that the memo follows the store's
// order of updates. A failed write forgets dir.
func (m *statCacheMemo) update(dir string, w pebblestore.StatCacheWrite, write func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen == nil {
		m.gen = map[string]uint64{}
	}
	m.gen[dir]++
	old := m.dirs[dir]
	if err := write(); err != nil || old == nil {
		if old != nil {
			delete(m.dirs, dir)
			m.order = slices.DeleteFunc(m.order, func(d string) bool { return d == dir })
		}
		return err
	}
	recs := w.Apply(old.recs)
	m.dirs[dir] = &statCacheRecords{header: w.Header, recs: recs}
	return nil
}
