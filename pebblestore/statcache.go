package pebblestore

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Stat caches: one per checkpointed directory, keyed by its absolute path
// (docs/FORMAT.md, docs/WORKDIR.md):
//
//	k/<absolute directory path> → stat cache (tree package encoding)
//
// A stat cache is a cache: it is written unsynced after the checkpoint
// that it describes is committed, and losing it (crash) or dropping it
// only costs the next checkpoint of that directory a full read. It refers
// to objects through the root tree it records, which its user pins (and
// checks) before trusting it, so a stat cache never keeps objects alive
// and gc needs no knowledge of it.
const pfxStatCache = "k/"

func statCacheKey(dir string) []byte { return cat([]byte(pfxStatCache), []byte(dir)) }

// StatCache returns the stat cache stored for directory dir, or
// ErrNotFound.
func (s *Store) StatCache(dir string) ([]byte, error) {
	return s.getValue(statCacheKey(dir))
}

// PutStatCache stores the stat cache of directory dir, replacing any
// earlier one. The write is not synced.
func (s *Store) PutStatCache(dir string, val []byte) error {
	if s.opts.ReadOnly {
		return nil
	}
	if err := s.db.Set(statCacheKey(dir), val, pebble.NoSync); err != nil {
		return fmt.Errorf("pebblestore: write stat cache: %w", mapIOError(err))
	}
	return nil
}

// DeleteStatCache drops the stat cache of directory dir.
func (s *Store) DeleteStatCache(dir string) error {
	if err := s.db.Delete(statCacheKey(dir), pebble.NoSync); err != nil {
		return fmt.Errorf("pebblestore: delete stat cache: %w", mapIOError(err))
	}
	return nil
}

// StatCaches calls fn with the directory and size of every stored stat
// cache, in key order.
func (s *Store) StatCaches(ctx context.Context, fn func(dir string, size int) error) error {
	return s.scan(ctx, []byte(pfxStatCache), func(k, v []byte) error {
		return fn(string(k[len(pfxStatCache):]), len(v))
	})
}
