package tree

import (
	"sync"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// Limits of the id memo: contents up to memoMaxValue bytes, about
// memoBytes of them per generation (two generations are kept).
const (
	memoMaxValue = 16 << 10
	memoBytes    = 4 << 20
)

// idMemo remembers the blob ids of small contents recently put, keyed by
// the contents themselves. A state checkpoint receives every file again,
// most of them unchanged; the memo answers their ids with a map lookup,
// which compares the whole content, instead of hashing them (BLAKE3 of
// the 200 small values of the seed's incremental workload was a quarter
// of its time). It is exact, since ids depend on content alone, and it
// never goes stale: whether the object exists is checked separately.
//
// Two generations approximate an LRU cheaply: when the current one is
// full it becomes the previous one, and hits in the previous one move
// back. Safe for concurrent use.
type idMemo struct {
	mu        sync.Mutex
	cur, prev map[string]memoEntry
	curBytes  int
}

// blobID returns the id of data stored as one blob, or the zero id when
// data is empty (no blob) or large enough to be chunked.
func (m *idMemo) blobID(data []byte) ID {
	id, _ := m.blob(data)
	return id
}

// blob is blobID that also returns the memo's own copy of data, or ""
// when data is not memoized (empty, or larger than memoMaxValue).
func (m *idMemo) blob(data []byte) (ID, string) {
	if len(data) == 0 || len(data) >= SingleBlobMax {
		return ID{}, ""
	}
	if len(data) > memoMaxValue {
		return pebblestore.Hash(pebblestore.KindBlob, data), ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.cur[string(data)]; ok {
		return e.id, e.key
	}
	if e, ok := m.prev[string(data)]; ok {
		m.addLocked(e)
		return e.id, e.key
	}
	m.mu.Unlock() // hash without the lock
	e := memoEntry{pebblestore.Hash(pebblestore.KindBlob, data), string(data)}
	m.mu.Lock()
	m.addLocked(e)
	return e.id, e.key
}

// memoEntry is a memoized id with the key it is stored under, so that
// callers can keep the key (Tree.blobs) instead of copying data again.
type memoEntry struct {
	id  ID
	key string
}

func (m *idMemo) addLocked(e memoEntry) {
	if m.curBytes+len(e.key) > memoBytes || m.cur == nil {
		m.prev, m.cur, m.curBytes = m.cur, make(map[string]memoEntry), 0
	}
	m.cur[e.key] = e
	m.curBytes += len(e.key) + 80 // map overhead, roughly
}
