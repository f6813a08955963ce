package ckptfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

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
	o.source = &tree.Source{Path: dir, Excludes: ex.Patterns()}
	var update *tree.StatCacheUpdate
	res, err := s.create(ctx, o, func(ctx context.Context, _ *tree.Editor, ob *pebblestore.ObjectBatch) (ID, tree.Summary, error) {
		io := o.Import
		io.Excluder, io.Cache = ex, s.statCache(ctx, dir)
		r, err := tree.Import(ctx, ob, dir, io)
		if err != nil {
			return ID{}, tree.Summary{}, err
		}
		update = r.CacheUpdate
		return r.Root, r.Summary, nil
	})
	if err == nil && update != nil {
		// After the commit: the cache refers to a tree a checkpoint holds.
		if perr := s.statCaches.update(dir, *update, func() error { return s.st.UpdateStatCache(dir, *update) }); perr != nil {
			s.log.Warn("stat cache not saved", "dir", dir, "err", perr)
		}
	}
	return res, err
}

// statCache returns the stat cache of dir, or nil: from the memo of
// recently used ones, else read in one scan.
func (s *Store) statCache(ctx context.Context, dir string) *tree.StatCache {
	c, gen := s.statCaches.get(dir)
	if c == nil {
		header, err := s.st.StatCacheHeader(dir)
		if err != nil {
			return nil
		}
		recs, err := s.st.StatCacheRecords(ctx, dir)
		if err != nil {
			s.log.Warn("stat cache ignored", "dir", dir, "err", err)
			return nil
		}
		c = &statCacheRecords{header: header, recs: recs}
		s.statCaches.put(dir, gen, c)
	}
	sc, err := tree.DecodeStatCache(c.header, func(rel string) []byte {
		return c.recs[rel] // missing: that directory is read again
	})
	if err != nil {
		s.log.Warn("stat cache ignored", "dir", dir, "err", err)
		return nil
	}
	return sc
}

// protection returns what restore and live diff leave alone in dir: the
// exclude patterns recorded in checkpoint ck (a directory checkpoint), or
// else those of the last checkpoint of dir (its stat cache c), or else
// DefaultExcludes unless noDefaults; then extra. For restore, protect also
// covers what the stat cache's patterns exclude when they differ from the
// checkpoint's, so that nothing excluded by either walk is deleted.
func protection(ck *tree.Checkpoint, c *tree.StatCache, extra []string, noDefaults bool) (ex *tree.Excluder, protect func(rel string, dir bool) bool, err error) {
	var base []string
	switch {
	case ck.Source != nil:
		base, noDefaults = ck.Source.Excludes, true
	case c != nil:
		base, noDefaults = c.Excludes, true
	}
	if ex, err = excluder(append(append([]string(nil), base...), extra...), noDefaults); err != nil {
		return nil, nil, err
	}
	if ck.Source != nil && c != nil && !slices.Equal(ck.Source.Excludes, c.Excludes) {
		if cex, cerr := tree.NewExcluder(c.Excludes); cerr == nil {
			protect = cex.Excluded
		}
	}
	return ex, protect, nil
}
