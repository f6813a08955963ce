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
	cur, prev map[string]ID
	curBytes  int
}

// blobID returns the id of data stored as one blob, or the zero id when
// data is empty (no blob) or large enough to be chunked.
func (m *idMemo) blobID(data []byte) ID {
	if len(data) == 0 || len(data) >= SingleBlobMax {
		return ID{}
	}
	if len(data) > memoMaxValue {
		return pebblestore.Hash(pebblestore.KindBlob, data)
	}
	m.mu.Lock()
	id, ok := m.cur[string(data)]
	if !ok {
		if id, ok = m.prev[string(data)]; ok {
			m.addLocked(string(data), id)
		}
	}
	m.mu.Unlock()
	if ok {
		return id
	}
	id = pebblestore.Hash(pebblestore.KindBlob, data)
	m.mu.Lock()
	m.addLocked(string(data), id)
	m.mu.Unlock()
	return id
}

func (m *idMemo) addLocked(k string, id ID) {
	if m.curBytes+len(k) > memoBytes || m.cur == nil {
		m.prev, m.cur, m.curBytes = m.cur, make(map[string]ID), 0
	}
	m.cur[k] = id
	m.curBytes += len(k) + 64 // map overhead, roughly
}
