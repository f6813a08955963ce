package ckptfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ID is a checkpoint or object id.
type ID = pebblestore.ID

// Durability of commits (see pebblestore).
type Durability = pebblestore.Durability

// Durability values.
const (
	Synced  = pebblestore.Synced
	Relaxed = pebblestore.Relaxed
)

// Options configure Open. The zero value is the default.
type Options struct {
	Durability Durability
	// CacheBytes sizes the decoded tree/chunk cache (default 64 MiB).
	CacheBytes int
	// BlockCacheBytes sizes Pebble's block cache (default 256 MiB). A
	// short-lived process that reads most blocks once (a restore, a
	// checkpoint) does better with a small one: it fills with blocks that
	// are never read again.
	BlockCacheBytes int64
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// FS replaces the OS filesystem under the store (tests).
	FS vfs.FS
	// Now replaces time.Now (tests).
	Now func() time.Time
	// ReadOnly opens an existing store for reading: nothing is written
	// (no log, no flush of the previous writer's log), so commands that
	// only read open faster; every write fails.
	ReadOnly bool
	// TrimLogsOnClose: Close also deletes the write-ahead logs Pebble kept
	// for reuse (up to ~48 MiB), which otherwise stay until the next open.
	// For long-lived processes such as a mount; costs a second open.
	TrimLogsOnClose bool
}

// Store is an open checkpoint store.
type Store struct {
	st  *pebblestore.Store
	r   *tree.Reader
	now func() time.Time
	log *slog.Logger
	ev  events

	branchLocks keyedLocks    // one checkpoint build per branch at a time
	statCaches  statCacheMemo // stat-cache records of recently checkpointed dirs

	gcMu   sync.Mutex // serialises GC runs
	gcHook func()     // tests: runs between a GC's plan and its execution
}

// DefaultDir returns the store directory used when none is given:
// $CKPTFS_STORE, else $XDG_DATA_HOME/ckptfs, else ~/.local/share/ckptfs.
func DefaultDir() (string, error) {
	if d := os.Getenv("CKPTFS_STORE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "ckptfs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ckptfs: no store directory: set CKPTFS_STORE or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "share", "ckptfs"), nil
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, o Options) (*Store, error) {
	st, err := pebblestore.Open(dir, pebblestore.Options{FS: o.FS, Durability: o.Durability, Logger: o.Logger, ReadOnly: o.ReadOnly,
		CacheSize: o.BlockCacheBytes, TrimLogsOnClose: o.TrimLogsOnClose})
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{st: st, r: tree.NewReader(st, o.CacheBytes), now: now, log: log}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.st.Close() }

// Objects exposes the object store (maintenance, gc, tests).
func (s *Store) Objects() *pebblestore.Store { return s.st }

// Reader exposes the tree reader with its caches.
func (s *Store) Reader() *tree.Reader { return s.r }

// ClearCache drops the decoded-object caches (benchmarks clear them before
// each load, as the seed did).
func (s *Store) ClearCache() { s.r.ClearCache() }

// StoreStats is the content of stats.json.
type StoreStats struct {
	Sessions         uint64  `json:"sessions"`
	Checkpoints      uint64  `json:"checkpoints"`
	Objects          uint64  `json:"objects"`
	RawBytes         uint64  `json:"raw_bytes"`
	StoredBytes      uint64  `json:"stored_bytes"`
	LogicalBytes     uint64  `json:"logical_bytes"`
	DedupRatio       float64 `json:"dedup_ratio"`
	CompressionRatio float64 `json:"compression_ratio"`
}

// Stats returns the store-wide totals. dedup_ratio is the file bytes of
// every checkpoint over the raw bytes stored; compression_ratio is raw over
// stored bytes.
func (s *Store) Stats() StoreStats {
	t := s.st.Stats()
	out := StoreStats{Sessions: t.Sessions, Checkpoints: t.Checkpoints, Objects: t.Objects,
		RawBytes: t.RawBytes, StoredBytes: t.StoredBytes, LogicalBytes: t.LogicalBytes, DedupRatio: 1, CompressionRatio: 1}
	if t.RawBytes > 0 {
		out.DedupRatio = float64(t.LogicalBytes) / float64(t.RawBytes)
	}
	if t.StoredBytes > 0 {
		out.CompressionRatio = float64(t.RawBytes) / float64(t.StoredBytes)
	}
	return out
}

func (s *Store) requireSession(session string) error {
	if err := ValidateName("session", session); err != nil {
		return err
	}
	ok, err := s.st.HasSession(session)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("session %q: %w", session, ErrNotFound)
	}
	return nil
}

// isNotFound is errors.Is(err, ErrNotFound).
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
