package ckptfs

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/ckptfs/ckptfs/tree"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Delete removes the paths the checkpoint lacks (callers default it
	// to true; `--no-delete` and `delete=no` clear it). Paths matched by
	// the exclude patterns are never removed.
	Delete bool
	// Excludes add patterns of paths never removed to those recorded in
	// the checkpoint (a directory checkpoint), or else to those of the
	// last checkpoint of the directory, or else to DefaultExcludes unless
	// NoDefaultExcludes. What the last checkpoint of the directory
	// excluded is never removed either.
	Excludes          []string
	NoDefaultExcludes bool
	// Progress is called about every 100 ms and at the end.
	Progress func(tree.Progress)
	// Warn receives paths that could not be removed.
	Warn func(path string, err error)
}

// RestoreResult counts what Restore did (see tree.RestoreResult).
type RestoreResult struct {
	Written, Removed, Unchanged int
}

// Restore makes the directory dir (absolute; created when missing) equal
// to checkpoint id, writing only what differs, never following a symlink
// found in dir and never writing outside it; files are replaced through a
// temporary file and a rename (SPEC §3 restore, docs/WORKDIR.md).
func (s *Store) Restore(ctx context.Context, id ID, dir string, o RestoreOptions) (RestoreResult, error) {
	if !filepath.IsAbs(dir) {
		return RestoreResult{}, fmt.Errorf("%w: %q is not an absolute path", ErrInvalidArgument, dir)
	}
	dir = filepath.Clean(dir)
	ck, err := s.r.Checkpoint(ctx, id)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("checkpoint %s: %w", id.Short(), err)
	}
	cache := s.statCache(ctx, dir)
	ex, protect, err := protection(ck, cache, o.Excludes, o.NoDefaultExcludes)
	if err != nil {
		return RestoreResult{}, err
	}
	r, err := tree.Restore(ctx, s.r, ck.Root, dir, tree.RestoreOptions{
		Delete: o.Delete, Excluder: ex, Protect: protect, Cache: cache, Progress: o.Progress, Warn: o.Warn})
	return RestoreResult(r), err
}
