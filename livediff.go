package ckptfs

import (
	"context"
	"fmt"

	"github.com/ckptfs/ckptfs/tree"
)

// DiffDirOptions tune DiffDirWith.
type DiffDirOptions struct {
	// Excludes add patterns of paths left out to those recorded in the
	// checkpoint (a directory checkpoint), or else to those of the last
	// checkpoint of the directory, or else to DefaultExcludes unless
	// NoDefaultExcludes.
	Excludes          []string
	NoDefaultExcludes bool
	// Warn receives paths left out of the walk (special files, …).
	Warn func(path string, err error)
}

// DiffDir calls fn for every path that differs from checkpoint id to the
// live directory dir (SPEC §6 order and meaning: "A path" exists only in
// dir). Files whose stat is unchanged since the last checkpoint of dir
// are not read; nothing is written to the store.
func (s *Store) DiffDir(ctx context.Context, id ID, dir string, fn func(tree.Change) error) error {
	return s.DiffDirWith(ctx, id, dir, DiffDirOptions{}, fn)
}

// DiffDirWith is DiffDir with options.
func (s *Store) DiffDirWith(ctx context.Context, id ID, dir string, o DiffDirOptions, fn func(tree.Change) error) error {
	dir, err := workDir(dir)
	if err != nil {
		return err
	}
	ck, err := s.r.Checkpoint(ctx, id)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", id.Short(), err)
	}
	cache := s.statCache(ctx, dir)
	ex, _, err := protection(ck, cache, o.Excludes, o.NoDefaultExcludes)
	if err != nil {
		return err
	}
	return tree.DiffDir(ctx, s.r, ck.Root, dir, tree.ImportOptions{Excluder: ex, Cache: cache, Warn: o.Warn}, fn)
}
