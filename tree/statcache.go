package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/ckptfs/ckptfs/internal/wire"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// StatCache is what an import saw of a directory: for every file its
// size, mtime, ctime, inode and mode next to the entry it became (chunk
// ids, tree ids of directories). The next import of the same directory
// reuses an entry without reading the file when the file's stat is
// unchanged, and reuses a whole tree id when every entry of a directory is
// unchanged; restore and live diff use it to skip hashing unchanged files
// (docs/WORKDIR.md, docs/FORMAT.md).
//
// It is kept as a header and one record per directory, so that an import
// rewrites only the records of the directories that changed.
//
// Racy entries: a file whose ctime is within the timestamp granularity of
// the walk that recorded it could have changed again in the same clock
// tick without changing its stat, so it is never trusted ("racy git"):
// it is read again, and only a later walk can record it as clean.
//
// A StatCache refers to objects reachable from Root only; whoever uses it
// to build a checkpoint pins Root first.
type StatCache struct {
	// Time is the start of the last walk that updated the cache (ns).
	Time int64
	// Root is the tree the cache describes.
	Root ID
	// Dev is the device of the walked directory.
	Dev uint64
	// Excludes are the exclude patterns of that walk, in order.
	Excludes []string

	// load returns the record of the directory at a path ("" = the
	// root), or nil. Records are loaded as the walk reaches them.
	load func(rel string) []byte
}

// StatCacheUpdate is what an import changed in a stat cache: a new
// header, the records to write (by directory path), and the directories
// whose records, and those of everything below them, go. Reset drops
// every record first. It is what the store writes.
type StatCacheUpdate = pebblestore.StatCacheWrite

// ErrBadStatCache is wrapped by DecodeStatCache.
var ErrBadStatCache = errors.New("tree: unreadable stat cache")

const statCacheVersion = 2

// Racy margins: files whose ctime is this close to (or after) the start
// of the walk that recorded them are read again next time. A change
// after the walk looked at a file gets a ctime later than one tick of the
// kernel's timestamp clock before the walk started (the clock ticks every
// 1–10 ms, HZ=1000…100), so twice the longest tick covers it; filesystems
// with whole-second timestamps (mtime and ctime without nanoseconds) get
// the wider margin.
const (
	racyMargin       = int64(20 * time.Millisecond)
	racyMarginCoarse = int64(2 * time.Second)
)

// checksumSize is the length of the xxhash64 that guards each part
// against bugs (Pebble checksums what it stores).
const checksumSize = 8

// Encoding (docs/FORMAT.md):
//
//	header = byte(1) hash[8] varint(time) id[32](root) uvarint(dev)
//	         uvarint(n) string(pattern)*n
//	record = byte(1) hash[8] varint(time) id[32](tree) uvarint(n) entry*n
//	         hash = xxhash64 (big-endian) of everything after it;
//	         time = start of the walk that wrote the record; entries
//	         sorted bytewise by name
//	entry  = string(name) byte(type) uvarint(mode) varint(mtime)
//	  file:    varint(ctime) uvarint(ino) uvarint(size) uvarint(k) (id[32] uvarint(size))*k
//	  symlink: varint(ctime) uvarint(ino) string(target)
//	  dir:     uvarint(dev) id[32](tree) uvarint(files) uvarint(dirs) uvarint(bytes)
//	           varint(ctime) uvarint(ino)

// sealed prefixes b (which starts with 1+checksumSize placeholder bytes)
// with its version and checksum.
func seal(b []byte) []byte {
	b[0] = statCacheVersion
	binary.BigEndian.PutUint64(b[1:1+checksumSize], xxhash.Sum64(b[1+checksumSize:]))
	return b
}

// unseal checks the version and checksum and returns the payload.
func unseal(b []byte) ([]byte, error) {
	if len(b) < 1+checksumSize || b[0] != statCacheVersion {
		return nil, fmt.Errorf("%w: unknown version", ErrBadStatCache)
	}
	if binary.BigEndian.Uint64(b[1:1+checksumSize]) != xxhash.Sum64(b[1+checksumSize:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadStatCache)
	}
	return b[1+checksumSize:], nil
}

// DecodeStatCache decodes a stat cache from its header; load returns the
// record of a directory by path (nil when there is none), as
// StatCacheUpdate wrote them. Records are checked when a walk reaches them.
func DecodeStatCache(header []byte, load func(rel string) []byte) (*StatCache, error) {
	b, err := unseal(header)
	if err != nil {
		return nil, err
	}
	r := wire.NewReader(b)
	c := &StatCache{Time: r.Varint(), load: load}
	copy(c.Root[:], r.Bytes(pebblestore.IDSize))
	c.Dev = r.Uvarint()
	n := r.Count(1)
	for i := 0; i < n; i++ {
		c.Excludes = append(c.Excludes, r.String())
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadStatCache, err)
	}
	return c, nil
}

// Encode returns the header of c.
func (c *StatCache) Encode() []byte { return c.header() }

// Record returns the stored record of the directory at rel, or nil.
func (c *StatCache) Record(rel string) []byte {
	if c == nil || c.load == nil {
		return nil
	}
	return c.load(rel)
}

func (c *StatCache) header() []byte {
	b := make([]byte, 1+checksumSize, 64)
	b = wire.AppendVarint(b, c.Time)
	b = append(b, c.Root[:]...)
	b = wire.AppendUvarint(b, c.Dev)
	b = wire.AppendUvarint(b, uint64(len(c.Excludes)))
	for _, p := range c.Excludes {
		b = wire.AppendString(b, p)
	}
	return seal(b)
}

// apply returns the cache that results from an update of c (nil: none).
func (c *StatCache) apply(u *StatCacheUpdate) (*StatCache, error) {
	return DecodeStatCache(u.Header, func(rel string) []byte { return u.Record(rel, c.Record) })
}

// fileStat is the part of a stat(2) result the cache compares.
type fileStat struct {
	typ   Type // 0: a special file
	mode  uint32
	size  int64
	mtime int64
	ctime int64
	ino   uint64
	dev   uint64
}

// cacheEntry is one decoded entry of a cached directory record. Its name
// aliases the cache's bytes, and a file's chunks stay encoded until
// entry() needs them: most entries are only compared.
type cacheEntry struct {
	Entry     // without Chunks
	ctime     int64
	ino       uint64
	dev       uint64 // directories
	nchunks   int
	rawChunks []byte // files: (id[32] uvarint(size))*nchunks
}

// entry returns the tree entry, chunks decoded.
func (c *cacheEntry) entry() Entry {
	e := c.Entry
	if c.nchunks > 0 {
		e.Chunks = make([]Chunk, c.nchunks)
		r := wire.NewReader(c.rawChunks)
		for j := range e.Chunks {
			copy(e.Chunks[j].ID[:], r.Bytes(pebblestore.IDSize))
			e.Chunks[j].Size = r.Uvarint()
		}
	}
	return e
}

// hasChunk reports whether id is one of the cached file's chunks.
func (c *cacheEntry) hasChunk(id ID) bool {
	r := wire.NewReader(c.rawChunks)
	for j := 0; j < c.nchunks; j++ {
		if bytes.Equal(r.Bytes(pebblestore.IDSize), id[:]) {
			return true
		}
		r.Uvarint()
	}
	return false
}

// sameChunks reports whether the cached file has exactly chunks cs.
func (c *cacheEntry) sameChunks(cs []Chunk) bool {
	if c.nchunks != len(cs) {
		return false
	}
	r := wire.NewReader(c.rawChunks)
	for _, ch := range cs {
		if !bytes.Equal(r.Bytes(pebblestore.IDSize), ch.ID[:]) || r.Uvarint() != ch.Size {
			return false
		}
	}
	return true
}

// matches reports whether a file or symlink with stat st can reuse the
// cached entry without being read, given the time its record was made.
func (c *cacheEntry) matches(st *fileStat, cacheTime int64) bool {
	if c.Type != st.typ || c.Type == TypeDir || c.Mode != st.mode || c.ModTime != st.mtime ||
		c.ctime != st.ctime || c.ino != st.ino || int64(c.Size) != st.size {
		return false
	}
	return !racy(st, cacheTime)
}

// sameNames reports whether a directory with stat st still holds the
// names its cached record lists, so that the walk need not read it: its
// mode, mtime, ctime, inode and device are those recorded and were not
// racy. Creating, removing or renaming a name in a directory sets its
// mtime and ctime; ctime cannot be set back. (Names the record lacks —
// excluded, special or invalid ones — are only lacking again if the
// exclusion is the same: the caller checks that.)
func (c *cacheEntry) sameNames(st *fileStat, cacheTime int64) bool {
	return c.Type == TypeDir && st.typ == TypeDir && c.Mode == st.mode && c.ModTime == st.mtime &&
		c.ctime == st.ctime && c.ino == st.ino && c.dev == st.dev && !racy(st, cacheTime)
}

// racy reports whether st is too close to the time t of a walk to be
// trusted. Only ctime counts: every change of content or mode sets it to
// the current time, and no one can set it back (mtime can be set freely).
func racy(st *fileStat, t int64) bool {
	m := racyMargin
	if st.ctime%int64(time.Second) == 0 && st.mtime%int64(time.Second) == 0 {
		m = racyMarginCoarse
	}
	return st.ctime >= t-m
}

// decodeCacheRecord decodes one directory record. The checksum vouches
// for its content; decoding only guards against reading out of bounds.
func decodeCacheRecord(rec []byte) (*cacheDir, error) {
	b, err := unseal(rec)
	if err != nil {
		return nil, err
	}
	r := wire.NewReader(b)
	d := &cacheDir{time: r.Varint()}
	copy(d.tree[:], r.Bytes(pebblestore.IDSize))
	n := r.Count(4)
	d.entries = make([]cacheEntry, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		c := &d.entries[i]
		if nb := r.Bytes(int(r.Uvarint())); len(nb) > 0 {
			c.Name = unsafe.String(&nb[0], len(nb))
		}
		c.Type = Type(r.Byte())
		mode := r.Uvarint()
		if mode > 0o7777 {
			return nil, fmt.Errorf("%w: mode %o", ErrBadStatCache, mode)
		}
		c.Mode = uint32(mode)
		c.ModTime = r.Varint()
		switch c.Type {
		case TypeFile:
			c.ctime, c.ino, c.Size = r.Varint(), r.Uvarint(), r.Uvarint()
			c.nchunks = r.Count(pebblestore.IDSize + 1)
			start := r.Len()
			for j := 0; j < c.nchunks; j++ {
				r.Bytes(pebblestore.IDSize)
				r.Uvarint()
			}
			c.rawChunks = b[len(b)-start : len(b)-r.Len()]
		case TypeSymlink:
			c.ctime, c.ino = r.Varint(), r.Uvarint()
			c.Target = r.String()
			c.Size = uint64(len(c.Target))
		case TypeDir:
			c.dev = r.Uvarint()
			copy(c.Tree[:], r.Bytes(pebblestore.IDSize))
			c.Sub = Summary{Files: r.Uvarint(), Dirs: r.Uvarint(), Bytes: r.Uvarint()}
			c.ctime, c.ino = r.Varint(), r.Uvarint()
		default:
			return nil, fmt.Errorf("%w: entry type %d", ErrBadStatCache, c.Type)
		}
		if c.Name == "" || i > 0 && d.entries[i-1].Name >= c.Name {
			return nil, fmt.Errorf("%w: entries not sorted", ErrBadStatCache)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadStatCache, err)
	}
	return d, nil
}

// newRecord starts the record of a directory with n entries.
func newRecord(t int64, tree ID, n int) []byte {
	b := make([]byte, 1+checksumSize, 64+n*80)
	b = wire.AppendVarint(b, t)
	b = append(b, tree[:]...)
	return wire.AppendUvarint(b, uint64(n))
}

// appendCacheLeaf appends the record entry of a file or symlink.
func appendCacheLeaf(b []byte, e *Entry, st *fileStat) []byte {
	b = wire.AppendString(b, e.Name)
	b = append(b, byte(e.Type))
	b = wire.AppendUvarint(b, uint64(e.Mode))
	b = wire.AppendVarint(b, e.ModTime)
	b = wire.AppendVarint(b, st.ctime)
	b = wire.AppendUvarint(b, st.ino)
	if e.Type == TypeSymlink {
		return wire.AppendString(b, e.Target)
	}
	b = wire.AppendUvarint(b, e.Size)
	b = wire.AppendUvarint(b, uint64(len(e.Chunks)))
	for _, c := range e.Chunks {
		b = append(b, c.ID[:]...)
		b = wire.AppendUvarint(b, c.Size)
	}
	return b
}

// appendCacheDir appends the record entry of a directory with stat st.
func appendCacheDir(b []byte, e *Entry, st *fileStat) []byte {
	b = wire.AppendString(b, e.Name)
	b = append(b, byte(TypeDir))
	b = wire.AppendUvarint(b, uint64(e.Mode))
	b = wire.AppendVarint(b, e.ModTime)
	b = wire.AppendUvarint(b, st.dev)
	b = append(b, e.Tree[:]...)
	b = wire.AppendUvarint(b, e.Sub.Files)
	b = wire.AppendUvarint(b, e.Sub.Dirs)
	b = wire.AppendUvarint(b, e.Sub.Bytes)
	b = wire.AppendVarint(b, st.ctime)
	return wire.AppendUvarint(b, st.ino)
}

// cacheDir is the cached view of one directory during a walk.
type cacheDir struct {
	entries []cacheEntry
	tree    ID    // the directory's tree id when it was cached
	time    int64 // start of the walk that wrote the record
}

// dir returns the cached view of the directory at rel ("" is the root),
// provided it describes tree: a record that does not agree with its
// parent's entry, or is unreadable, counts as absent.
func (c *StatCache) dir(rel string, tree ID) *cacheDir {
	if c == nil {
		return nil
	}
	rec := c.Record(rel)
	if rec == nil {
		return nil
	}
	d, err := decodeCacheRecord(rec)
	if err != nil || d.tree != tree {
		return nil
	}
	return d
}

// sub returns the cached view of subdirectory e at rel, now on device dev.
func (c *StatCache) sub(e *cacheEntry, rel string, dev uint64) *cacheDir {
	if e == nil || e.Type != TypeDir || e.dev != dev {
		return nil
	}
	return c.dir(rel, e.Tree)
}

// find returns the cached entry name (entries are sorted).
func (d *cacheDir) find(name string) *cacheEntry {
	if d == nil {
		return nil
	}
	lo, hi := 0, len(d.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.entries[m].Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.entries) && d.entries[lo].Name == name {
		return &d.entries[lo]
	}
	return nil
}
