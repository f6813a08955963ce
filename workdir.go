package ckptfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// DefaultExcludes are left out of directory checkpoints unless
// CheckpointOptions.NoDefaultExcludes is set: version-control metadata
// and regenerable dependency and bytecode caches, which agents' users do
// not expect a rollback to touch (docs/WORKDIR.md). A later "!pattern"
// re-includes one of them.
var DefaultExcludes = []string{".git/", ".hg/", ".svn/", ".jj/", "node_modules/", "__pycache__/"}

// excluder compiles the exclude patterns of a walk.
func excluder(patterns []string, noDefaults bool) (*tree.Excluder, error) {
	var all []string
	if !noDefaults {
		all = append(all, DefaultExcludes...)
	}
	ex, err := tree.NewExcluder(append(all, patterns...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return ex, nil
}

// workDir checks that dir is an absolute path to a directory and returns
// it cleaned.
func workDir(dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%w: %q is not an absolute path", ErrInvalidArgument, dir)
	}
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%w: %s: no such file or directory", ErrNotFound, dir)
	case err != nil:
		return "", err
	case !fi.IsDir():
		return "", fmt.Errorf("%w: %s: %w", ErrInvalidArgument, dir, tree.ErrNotDir)
	}
	return dir, nil
}

// CheckpointDir snapshots the directory dir (absolute path). Files whose
// stat is unchanged since the last checkpoint of dir are not read again
// (the stat cache, docs/WORKDIR.md); paths matched by DefaultExcludes and
// o.Excludes are left out; special files and files that vanish or cannot
// be read are left out and reported to o.Import.Warn.
func (s *Store) CheckpointDir(ctx context.Context, dir string, o CheckpointOptions) (Result, error) {
	dir, err := workDir(dir)
	if err != nil {
		return Result{}, err
	}
	ex, err := excluder(o.Excludes, o.NoDefaultExcludes)
	if err != nil {
		return Result{}, err
	}
	var update *tree.StatCacheUpdate
	res, err := s.create(ctx, o, func(ctx context.Context, _ *tree.Editor, ob *pebblestore.ObjectBatch) (ID, tree.Summary, error) {
		io := o.Import
		io.Excluder, io.Cache = ex, s.statCache(dir)
		r, err := tree.Import(ctx, ob, dir, io)
		if err != nil {
			return ID{}, tree.Summary{}, err
		}
		update = r.CacheUpdate
		return r.Root, r.Summary, nil
	})
	if err == nil && update != nil {
		// After the commit: the cache refers to a tree a checkpoint holds.
		if perr := s.st.UpdateStatCache(dir, *update); perr != nil {
			s.log.Warn("stat cache not saved", "dir", dir, "err", perr)
		}
	}
	return res, err
}

// statCache returns the stat cache of dir, or nil.
func (s *Store) statCache(dir string) *tree.StatCache {
	header, err := s.st.StatCacheHeader(dir)
	if err != nil {
		return nil
	}
	c, err := tree.DecodeStatCache(header, func(rel string) []byte {
		v, err := s.st.StatCacheRecord(dir, rel)
		if err != nil {
			return nil // missing or unreadable: that directory is read again
		}
		return v
	})
	if err != nil {
		s.log.Warn("stat cache ignored", "dir", dir, "err", err)
		return nil
	}
	return c
}

// protection returns what restore and live diff leave alone in dir: the
// patterns of the last checkpoint of dir (from its stat cache), or the
// defaults when there is none, then extra.
func protection(c *tree.StatCache, extra []string, noDefaults bool) (*tree.Excluder, error) {
	if c == nil {
		return excluder(extra, noDefaults)
	}
	return excluder(append(append([]string(nil), c.Excludes...), extra...), true)
}
