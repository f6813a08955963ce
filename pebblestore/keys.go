package pebblestore

import (
	"encoding/binary"
	"time"
)

// Key prefixes. Every key starts with one ASCII letter and '/'. Names
// (session, branch, tag) never contain NUL, so NUL separates them. Ids are
// stored as 32 raw bytes. See docs/FORMAT.md.
const (
	pfxMeta       = "m/" // m/format, m/stats
	pfxObject     = "o/" // o/<id> → object value
	pfxObjIndex   = "x/" // x/<id> → kind, raw size, stored size
	pfxSession    = "s/" // s/<session> → created time
	pfxCheckpoint = "c/" // c/<session>\0<id> → checkpoint record
	pfxSessTime   = "t/" // t/<session>\0<inv time><id> → ""
	pfxTime       = "T/" // T/<inv time><id> → session
	pfxHead       = "b/" // b/<session>\0<branch> → head id
	pfxBranchLog  = "h/" // h/<session>\0<branch>\0<inv time><id> → ""
	pfxTag        = "g/" // g/<session>\0<tag>\0<inv time><id> → ""
	pfxTagAll     = "G/" // G/<tag>\0<inv time><id> → session
	pfxIDIndex    = "i/" // i/<id> → session
)

var (
	keyFormat = []byte("m/format")
	keyStats  = []byte("m/stats")
)

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func nameSep(s string) []byte { return append([]byte(s), 0) }

// invTime encodes t so that newer times sort first.
func invTime(t time.Time) []byte {
	u := uint64(t.UnixNano()) ^ (1 << 63)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ^u)
	return b[:]
}

func objectKey(id ID) []byte   { return cat([]byte(pfxObject), id[:]) }
func objIndexKey(id ID) []byte { return cat([]byte(pfxObjIndex), id[:]) }
func sessionKey(s string) []byte {
	return cat([]byte(pfxSession), []byte(s))
}
func checkpointPrefix(s string) []byte { return cat([]byte(pfxCheckpoint), nameSep(s)) }
func checkpointKey(s string, id ID) []byte {
	return cat(checkpointPrefix(s), id[:])
}
func sessTimePrefix(s string) []byte { return cat([]byte(pfxSessTime), nameSep(s)) }
func sessTimeKey(s string, t time.Time, id ID) []byte {
	return cat(sessTimePrefix(s), invTime(t), id[:])
}
func timeKey(t time.Time, id ID) []byte { return cat([]byte(pfxTime), invTime(t), id[:]) }
func headPrefix(s string) []byte        { return cat([]byte(pfxHead), nameSep(s)) }
func headKey(s, branch string) []byte   { return cat(headPrefix(s), []byte(branch)) }
func branchLogPrefix(s, branch string) []byte {
	return cat([]byte(pfxBranchLog), nameSep(s), nameSep(branch))
}
func branchLogKey(s, branch string, t time.Time, id ID) []byte {
	return cat(branchLogPrefix(s, branch), invTime(t), id[:])
}
func tagSessionPrefix(s string) []byte { return cat([]byte(pfxTag), nameSep(s)) }
func tagPrefix(s, tag string) []byte   { return cat(tagSessionPrefix(s), nameSep(tag)) }
func tagKey(s, tag string, t time.Time, id ID) []byte {
	return cat(tagPrefix(s, tag), invTime(t), id[:])
}
func tagAllPrefix(tag string) []byte { return cat([]byte(pfxTagAll), nameSep(tag)) }
func tagAllKey(tag string, t time.Time, id ID) []byte {
	return cat(tagAllPrefix(tag), invTime(t), id[:])
}
func idIndexKey(id ID) []byte { return cat([]byte(pfxIDIndex), id[:]) }

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// idFromKeyTail returns the id stored in the last 32 bytes of k.
func idFromKeyTail(k []byte) ID {
	var id ID
	copy(id[:], k[len(k)-IDSize:])
	return id
}
