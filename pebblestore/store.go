package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs/internal/wire"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// StoreFormat is the store-level format version kept under m/format. A
// store with a higher number is refused.
const StoreFormat = 1

// Durability says when a commit returns.
type Durability int

const (
	// Synced commits return after the WAL is synced to disk (default).
	// Concurrent commits share one sync.
	Synced Durability = iota
	// Relaxed commits return before the sync: a crash may lose the newest
	// checkpoints, never consistency. For bulk imports and benchmarks.
	Relaxed
)

// Options configure Open. The zero value is the default.
type Options struct {
	// FS is the filesystem under the store; nil is the OS. Tests use
	// vfs.NewMem and errorfs.
	FS vfs.FS
	// Durability of commits.
	Durability Durability
	// CacheSize is the Pebble block cache in bytes (default 256 MiB).
	CacheSize int64
	// Logger receives Pebble's messages; nil discards them.
	Logger *slog.Logger
	// ReadOnly opens the store without writing (fsck of a store in use
	// is not possible: Pebble's lock is exclusive).
	ReadOnly bool
	// ReserveBytes is the free space a commit leaves on the store's
	// filesystem (default 32 MiB: two memtable flushes). A commit that would
	// eat into it fails with ErrNoSpace before anything is written:
	// Pebble treats a failed WAL write as fatal, so a full disk must be
	// caught before the write.
	ReserveBytes int64
	// TrimLogsOnClose makes Close open the database once more after
	// closing it, so that Pebble deletes the write-ahead logs it keeps for
	// reuse while open (up to three, each as large as the memtable got:
	// up to 16 MiB) instead of leaving them on disk until the next open.
	// For long-lived servers (mount, serve); a short command would pay a
	// second open to save little.
	TrimLogsOnClose bool
}

// Store is a content-addressed object store with the checkpoint catalog,
// on one Pebble database. It is safe for concurrent use.
type Store struct {
	db    *pebble.DB
	lock  *pebble.Lock
	codec *codec
	opts  Options
	wo    *pebble.WriteOptions
	pins  pinSet

	// commitMu serialises the application of batches, so that branch head
	// compare-and-swaps, tag updates and the running stats are exact. The
	// WAL sync happens after it is released, so concurrent commits share
	// syncs.
	commitMu sync.Mutex
	stats    Stats // guarded by commitMu
	// sessions are sessions known to exist (guarded by commitMu): a
	// checkpoint commit checks its session without a lookup.
	sessions map[string]struct{}
	// seq counts applied batches (incremented under commitMu), so a writer
	// knows whether an object it found missing may have appeared since.
	seq atomic.Uint64
	// delSeq counts applied batches that deleted objects (gc).
	delSeq atomic.Uint64

	fs  vfs.FS
	dir string
	// space is the last free-space reading, see checkSpace.
	space struct {
		mu    sync.Mutex
		at    time.Time // zero: no usable reading
		avail uint64    // free then, less what commits since may write
	}
	now func() time.Time // time.Now; tests move it

	closeOnce sync.Once
}

// A free-space reading is reused for up to spaceTTL as long as, after the
// bytes committed since, at least spaceSlack more than a commit needs
// remains: statfs took 7 µs of a 150 µs incremental checkpoint. Another
// process would have to write spaceSlack within spaceTTL to slip past;
// a small or nearly full disk is read before every commit.
const (
	spaceTTL   = 100 * time.Millisecond
	spaceSlack = 1 << 30
)

// checkSpace fails with ErrNoSpace when writing n more bytes would leave
// less than the reserve free. Filesystems that cannot report usage (the
// in-memory one) are not checked.
func (s *Store) checkSpace(n int, reserve bool) error {
	// The WAL and a later flush each write the bytes once.
	writes := 2 * uint64(n)
	need := writes
	if reserve {
		need += uint64(s.opts.ReserveBytes)
	}
	sp := &s.space
	sp.mu.Lock()
	defer sp.mu.Unlock()
	now := s.now()
	if !sp.at.IsZero() && now.Sub(sp.at) < spaceTTL && sp.avail >= need+spaceSlack {
		sp.avail -= writes
		return nil
	}
	sp.at = time.Time{}
	du, err := s.fs.GetDiskUsage(s.dir)
	if err != nil {
		return nil
	}
	if du.AvailBytes < need {
		return fmt.Errorf("%w: %d bytes free in %s, a commit of %d bytes needs %d (with the %d-byte reserve)",
			ErrNoSpace, du.AvailBytes, s.dir, n, need, s.opts.ReserveBytes)
	}
	sp.at, sp.avail = now, du.AvailBytes-writes
	return nil
}

// Open opens or creates the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	if !opts.ReadOnly {
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("pebblestore: create %s: %w", dir, mapIOError(err))
		}
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) ||
			errors.Is(err, syscall.EACCES) || isHeldByProcess(err) {
			return nil, fmt.Errorf("%w: %s (a running `ckptfs mount` holds it: use its control files, or stop it)", ErrInUse, dir)
		}
		return nil, fmt.Errorf("pebblestore: lock %s: %w", dir, mapIOError(err))
	}
	s, err := open(dir, fs, lock, opts)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// pebbleOptions are the Pebble settings of a store.
func pebbleOptions(fs vfs.FS, lock *pebble.Lock, cache *pebble.Cache, opts Options) *pebble.Options {
	po := &pebble.Options{
		FS:       fs,
		Cache:    cache,
		Lock:     lock,
		ReadOnly: opts.ReadOnly,
		// 16 MiB: large enough for 8 MiB chunks, small enough that dedup
		// lookups in the memtable skiplist stay cheap (64 MiB measured 45 %
		// slower on the incremental benchmark).
		MemTableSize:       16 << 20,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             quietLogger{opts.Logger},
	}
	po.CompactionConcurrencyRange = func() (int, int) { return 1, 2 }
	// A store takes many small commits from short-lived CLI processes;
	// with Pebble's default of compacting at 4 L0 files, every few
	// commands rewrite the whole bottom level (measured: an unchanged CLI
	// checkpoint of a 12k-file tree 130 → 72 ms with these). Bloom
	// filters keep lookups across more L0 files cheap.
	po.L0CompactionThreshold = 16
	po.L0CompactionFileThreshold = 1000
	po.L0StopWritesThreshold = 64
	// Object ids are hashes, so every flush overlaps the whole bottom
	// level, and Pebble splits a flush wherever its output would overlap
	// more than 10 × TargetFileSizes[0] of it: with the default 2 MiB, a
	// 1 %-changed checkpoint of a 127 MiB tree flushed into 3 files, each
	// created and synced by the next command's Open. 16 MiB keeps it one
	// file for stores up to ~160 MiB of bottom level (measured, the
	// unchanged checkpoint after it: 87 → 78 ms and 82 → 80 ms, medians of
	// two A/B runs of 10 and 12 rounds; 32 → 18 sstables after 12 rounds).
	// The other levels keep Pebble's defaults (4 MiB doubling per level).
	po.TargetFileSizes[0] = 16 << 20
	for i := 1; i < len(po.TargetFileSizes); i++ {
		po.TargetFileSizes[i] = 4 << 20 << (i - 1)
	}
	// Dedup looks up ids that are usually absent: bloom filters let a
	// miss skip every sstable.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	// Object values are zstd frames already; compressing blocks again
	// costs CPU for nothing.
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	return po
}

func isHeldByProcess(err error) bool {
	return err != nil && (errors.Is(err, os.ErrExist) || strings.Contains(err.Error(), "lock held by current process"))
}

func open(dir string, fs vfs.FS, lock *pebble.Lock, opts Options) (*Store, error) {
	cacheSize := opts.CacheSize
	if cacheSize <= 0 {
		cacheSize = 256 << 20
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref()
	po := pebbleOptions(fs, lock, cache, opts)
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open %s: %w", dir, mapIOError(err))
	}
	c, err := newCodec()
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, lock: lock, codec: c, opts: opts, wo: pebble.Sync, fs: fs, dir: dir, sessions: map[string]struct{}{}, now: time.Now}
	if s.opts.ReserveBytes <= 0 {
		s.opts.ReserveBytes = 32 << 20
	}
	s.pins.init()
	if opts.Durability == Relaxed {
		s.wo = pebble.NoSync
	}
	if err := s.checkFormat(); err != nil {
		db.Close()
		c.close()
		return nil, err // Open releases the lock
	}
	return s, nil
}

func (s *Store) checkFormat() error {
	v, err := s.getValue(keyFormat)
	switch {
	case errors.Is(err, ErrNotFound):
		if s.opts.ReadOnly {
			return nil
		}
		st := Stats{}
		b := s.db.NewBatch()
		defer b.Close()
		b.Set(keyFormat, wire.AppendUvarint(nil, StoreFormat), nil)
		b.Set(keyStats, st.encode(), nil)
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("pebblestore: initialise store: %w", mapIOError(err))
		}
		return nil
	case err != nil:
		return err
	}
	rd := wire.NewReader(v)
	f := rd.Uvarint()
	if rd.Done() != nil {
		return fmt.Errorf("%w: format marker unreadable", ErrCorrupt)
	}
	if f > StoreFormat {
		return fmt.Errorf("%w: the store has format %d, this ckptfs supports up to %d: upgrade ckptfs", ErrFormatVersion, f, StoreFormat)
	}
	sv, err := s.getValue(keyStats)
	if err != nil {
		return fmt.Errorf("pebblestore: read stats: %w", err)
	}
	st, err := decodeStats(sv)
	if err != nil {
		return err
	}
	s.stats = st
	return nil
}

// Close closes the store. It is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.closeDB() })
	return err
}

func (s *Store) closeDB() error {
	// The second open flushes the last log: like a commit, it must leave
	// the reserve free (a full disk keeps the logs for the next open).
	trim := s.opts.TrimLogsOnClose && !s.opts.ReadOnly && s.checkSpace(0, true) == nil
	err := s.db.Close()
	if err == nil && trim {
		if terr := s.trimLogs(); terr != nil && s.opts.Logger != nil {
			// The store is intact; only the space waits for the next open.
			s.opts.Logger.Warn("old write-ahead logs not deleted", "dir", s.dir, "err", terr)
		}
	}
	s.codec.close()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("pebblestore: close: %w", err)
	}
	return nil
}

// trimLogs opens the closed database once more (with the lock still
// held): Pebble's Open flushes what the last log holds and deletes every
// older log, those it had kept for reuse included; Close waits for that.
// A failure leaves the logs for the next open.
func (s *Store) trimLogs() error {
	cache := pebble.NewCache(1 << 20)
	defer cache.Unref()
	db, err := pebble.Open(s.dir, pebbleOptions(s.fs, s.lock, cache, s.opts))
	if err != nil {
		return fmt.Errorf("reopen: %w", mapIOError(err))
	}
	return db.Close()
}

// DB exposes the Pebble database for maintenance (compaction, metrics).
func (s *Store) DB() *pebble.DB { return s.db }

// Stats returns the running store-wide totals.
func (s *Store) Stats() Stats {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	return s.stats
}

// getValue returns a copy of the value at key, or ErrNotFound.
func (s *Store) getValue(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: get: %w", mapIOError(err))
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// Get returns the kind and verified, uncompressed bytes of object id.
func (s *Store) Get(ctx context.Context, id ID) (Kind, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	v, closer, err := s.db.Get(objectKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil, fmt.Errorf("object %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("pebblestore: get object %s: %w", id, mapIOError(err))
	}
	defer closer.Close()
	return s.codec.decode(id, v)
}

// Has reports whether object id is stored.
func (s *Store) Has(id ID) (bool, error) {
	_, closer, err := s.db.Get(objIndexKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pebblestore: has %s: %w", id, mapIOError(err))
	}
	closer.Close()
	return true, nil
}

// ObjectInfo describes a stored object without reading it.
type ObjectInfo struct {
	ID     ID
	Kind   Kind
	Raw    uint64
	Stored uint64
}

// Stat returns an object's index entry.
func (s *Store) Stat(id ID) (ObjectInfo, error) {
	v, err := s.getValue(objIndexKey(id))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ObjectInfo{}, fmt.Errorf("object %s: %w", id, ErrNotFound)
		}
		return ObjectInfo{}, err
	}
	o, err := decodeObjInfo(v)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object %s: %w", id, err)
	}
	return ObjectInfo{ID: id, Kind: o.Kind, Raw: o.Raw, Stored: o.Stored}, nil
}

// Objects calls fn for every object in the index, in id order.
func (s *Store) Objects(ctx context.Context, fn func(ObjectInfo) error) error {
	return s.scan(ctx, []byte(pfxObjIndex), func(k, v []byte) error {
		o, err := decodeObjInfo(v)
		id := idFromKeyTail(k)
		if err != nil {
			return fmt.Errorf("object %s: %w", id, err)
		}
		return fn(ObjectInfo{ID: id, Kind: o.Kind, Raw: o.Raw, Stored: o.Stored})
	})
}

// RawObject returns the stored value of id without verification (fsck and
// tests use it).
func (s *Store) RawObject(id ID) ([]byte, error) { return s.getValue(objectKey(id)) }

// scan calls fn for each key with the prefix, in key order.
func (s *Store) scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return scanReader(ctx, s.db, prefix, fn)
}

func scanReader(ctx context.Context, r pebble.Reader, prefix []byte, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("pebblestore: iterate: %w", mapIOError(err))
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				it.Close()
				return err
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("pebblestore: iterate: %w", mapIOError(err))
		}
		if err := fn(it.Key(), v); err != nil {
			it.Close()
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("pebblestore: iterate: %w", mapIOError(err))
	}
	return nil
}

// errStop ends a scan early without error.
var errStop = errors.New("stop")

// mapIOError turns ENOSPC into ErrNoSpace, keeping the cause.
func mapIOError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Infof(format string, args ...any) {
	if q.l != nil {
		q.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (q quietLogger) Errorf(format string, args ...any) {
	if q.l != nil {
		q.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (q quietLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if q.l != nil {
		q.l.Error(msg, "component", "pebble")
	}
	panic("pebble: " + msg)
}

var _ io.Closer = (*Store)(nil)
