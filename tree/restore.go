package tree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Delete removes what the tree lacks (but never a protected path).
	Delete bool
	// Excluder and Protect name the paths that are never deleted, nor
	// anything inside them: what the checkpoint's walk left out.
	Excluder *Excluder
	Protect  func(rel string, dir bool) bool
	// Cache is the stat cache of dir: a file whose stat it knows (and that
	// is not racy) is compared by its cached chunk ids, without being read.
	Cache *StatCache
	// Warn receives problems that do not stop the restore (an extra path
	// that cannot be removed).
	Warn func(rel string, err error)
	// Progress is called about every 100 ms, and once at the end, from one
	// goroutine: files and bytes of the tree processed so far.
	Progress func(Progress)
	// Workers bounds the goroutines (default 2×GOMAXPROCS).
	Workers int
}

// RestoreResult counts what Restore did. Written: files, symlinks and
// directories created or replaced, and files or symlinks whose mode or
// mtime alone was fixed. Removed: paths deleted (each one inside a
// removed directory counts). Unchanged: files and symlinks already equal.
type RestoreResult struct {
	Written, Removed, Unchanged int
}

// TempPrefix starts the names of the temporary files a restore writes
// before renaming them into place.
const TempPrefix = ".ckptfs-"

// ErrProtected is passed to Warn for a path restore leaves alone because
// excludes protect it.
var ErrProtected = errors.New("tree: protected by an exclude")

// Restore makes directory dir equal to the tree root, writing only what
// differs: files are compared by size, then by the stat cache or by
// hashing their content. Files are written to a temporary name in their
// directory and renamed into place, with mode and mtime set first, so an
// interrupted restore never leaves a torn file. Nothing is followed or
// written through a symlink found below dir: everything is opened relative
// to directory descriptors with O_NOFOLLOW (openat2 RESOLVE_BENEATH where
// available), and a symlink where the tree has a directory is replaced.
// dir itself is created when missing.
func Restore(ctx context.Context, r *Reader, root ID, dir string, o RestoreOptions) (RestoreResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RestoreResult{}, fmt.Errorf("tree: restore into %s: %w", dir, err)
	}
	fd, rootSt, err := openRootDir(dir)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("tree: restore into %s: %w", dir, err)
	}
	defer unix.Close(fd)
	rs := &restorer{r: r, root: fd, o: &o, pid: os.Getpid(), bigSem: make(chan struct{}, maxBigReads)}
	t, err := r.Tree(ctx, root)
	if err != nil {
		return RestoreResult{}, err
	}
	sum := t.Summary()
	rs.totalFiles, rs.totalBytes = int64(sum.Files), int64(sum.Bytes)
	var cd *cacheDir
	if o.Cache != nil && o.Cache.Dev == rootSt.dev {
		rs.cache = o.Cache
		cd = o.Cache.dir("", o.Cache.Root)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers(o.Workers))
	rs.ctx, rs.g = gctx, g
	stop := startProgress(o.Progress, rs.progress)
	err = rs.restoreDir(&restoreDir{tree: root, cache: cd})
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	rs.ctx = ctx // gctx is done once Wait returns
	if err == nil {
		err = rs.fixDirs()
	}
	stop()
	res := RestoreResult{Written: int(rs.written.Load()), Removed: int(rs.removed.Load()), Unchanged: int(rs.unchanged.Load())}
	if err != nil {
		rs.dropUnpublished()
	}
	return res, err
}

type restorer struct {
	r      *Reader
	root   int
	o      *RestoreOptions
	cache  *StatCache // usable stat cache of the directory, or nil
	pid    int
	bigSem chan struct{}
	tmpSeq atomic.Uint64

	ctx context.Context
	g   *errgroup.Group

	written, removed, unchanged atomic.Int64
	files, bytes                atomic.Int64
	totalFiles, totalBytes      int64

	mu     sync.Mutex
	warnMu sync.Mutex
	dirs   []*restoreDir // guarded by mu: directories below the root
}

// restoreDir is one directory of the tree being restored.
//
// A directory that is missing from the target is assembled out of sight:
// it is created under a temporary name (publish holds its real name), its
// contents are written in place without temporary files — nothing inside
// it is visible at its final path yet — and it is renamed into place once
// complete, with its mode and mtime set. Restoring into an empty
// directory thus renames each top-level directory once instead of every
// file. Its contents, and directories created inside it, are fresh.
type restoreDir struct {
	rel     string // path in the tree, relative to the target
	path    string // where it is now: rel, or inside a temporary name
	publish string // non-empty: created as path, to be renamed to this name
	fresh   bool   // created by this restore and not yet visible: no temp files
	// sameNames: the directory still holds the names its stat-cache
	// record lists (cacheEntry.sameNames), besides names the record's
	// walk excluded, which restore leaves alone anyway: it is not read.
	sameNames bool
	depth     int
	tree      ID
	entry     *Entry    // its entry in the parent (nil for the root)
	cur       *fileStat // what was there before (nil: created)
	cache     *cacheDir
	protected bool        // inside a protected directory
	touched   atomic.Bool // entries were created, renamed or removed in it
}

func (rs *restorer) progress() Progress {
	return Progress{Files: rs.files.Load(), Bytes: rs.bytes.Load(), TotalFiles: rs.totalFiles, TotalBytes: rs.totalBytes}
}

func (rs *restorer) warn(rel string, err error) {
	if rs.o.Warn == nil {
		return
	}
	rs.warnMu.Lock()
	defer rs.warnMu.Unlock()
	rs.o.Warn(rel, err)
}

func (rs *restorer) protected(d *restoreDir, rel string, dir bool) bool {
	return d.protected || rs.o.Excluder.Excluded(rel, dir) || rs.o.Protect != nil && rs.o.Protect(rel, dir)
}

func (rs *restorer) spawn(f func() error) error {
	if rs.g.TryGo(f) {
		return nil
	}
	return f()
}

// fileOp is a file to compare with the tree or to write.
type fileOp struct {
	e     *Entry
	check bool // a regular file of the same size is there: compare first
}

// restoreDir brings one directory (which exists) to the tree: removes
// extras and type conflicts, creates subdirectories, handles symlinks and
// unchanged files inline, and hands the files to read or write to spawn.
func (rs *restorer) restoreDir(d *restoreDir) error {
	if err := rs.ctx.Err(); err != nil {
		return err
	}
	t, err := rs.tree(d)
	if err != nil {
		return err
	}
	fd, err := openBeneath(rs.root, d.path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("tree: restore %s: %w", d.rel, err)
	}
	defer unix.Close(fd)
	var names []string
	switch {
	case d.fresh: // empty: this restore just made it
	case d.sameNames:
		names = make([]string, len(d.cache.entries))
		for i := range d.cache.entries {
			names[i] = d.cache.entries[i].Name
		}
	default:
		if names, err = readDirNames(fd); err != nil {
			return fmt.Errorf("tree: restore %s: %w", d.rel, err)
		}
	}
	var ops []fileOp
	var subs []*restoreDir
	i, j := 0, 0
	for i < len(t.Entries) || j < len(names) {
		var e *Entry
		var name string
		exists := true
		switch {
		case j >= len(names) || i < len(t.Entries) && t.Entries[i].Name < names[j]:
			// Not listed. From the cache, a name its walk excluded may
			// still be there: look.
			e, name, exists = &t.Entries[i], t.Entries[i].Name, d.sameNames
			i++
		case i >= len(t.Entries) || names[j] < t.Entries[i].Name:
			name = names[j]
			j++
		default:
			e, name = &t.Entries[i], names[j]
			i++
			j++
		}
		op, sub, err := rs.entry(d, fd, name, e, exists)
		if err != nil {
			return err
		}
		if op != nil {
			ops = append(ops, *op)
		}
		if sub != nil {
			subs = append(subs, sub)
		}
	}
	if err := rs.spawnFiles(d, ops); err != nil {
		return err
	}
	for _, sub := range subs {
		if err := rs.spawn(func() error { return rs.restoreDir(sub) }); err != nil {
			return err
		}
	}
	return nil
}

// tree returns the tree of d: from the stat cache when its record is of
// that very tree (a rollback reads only the trees that changed), else
// from the store.
func (rs *restorer) tree(d *restoreDir) (*Tree, error) {
	if d.cache == nil || d.cache.tree != d.tree {
		return rs.r.Tree(rs.ctx, d.tree)
	}
	t := &Tree{Entries: make([]Entry, len(d.cache.entries))}
	for i := range d.cache.entries {
		t.Entries[i] = d.cache.entries[i].entry()
	}
	return t, nil
}

// entry handles one name of directory d: e is the tree's entry (nil when
// the tree lacks it), exists whether the directory has the name.
func (rs *restorer) entry(d *restoreDir, fd int, name string, e *Entry, exists bool) (*fileOp, *restoreDir, error) {
	rel := join(d.rel, name)
	var cur *fileStat
	if exists {
		st, err := lstatAt(fd, name)
		switch {
		case err == nil:
			cur = &st
		case err != unix.ENOENT:
			return nil, nil, fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	if e == nil {
		// Special files are never in a tree, so their absence says
		// nothing: they are left alone (a live socket stays usable).
		if cur != nil && cur.typ != 0 && rs.o.Delete && !rs.protected(d, rel, cur.typ == TypeDir) {
			return nil, nil, rs.removeExtra(d, fd, name, rel, cur)
		}
		return nil, nil, nil
	}
	if cur != nil && cur.typ != e.Type {
		// A type change: the tree's entry wins — except over a protected
		// directory (a .git/ where the checkpoint has a git worktree's
		// .git file), which is never removed.
		if cur.typ == TypeDir && rs.protected(d, rel, true) {
			rs.warn(rel, fmt.Errorf("%w: the checkpoint has a %s here, the protected directory is left alone", ErrProtected, e.Type))
			return nil, nil, nil
		}
		if err := rs.remove(d, fd, name, rel, cur, true); err != nil {
			return nil, nil, err
		}
		cur = nil
	}
	switch e.Type {
	case TypeDir:
		sub, err := rs.dir(d, fd, name, rel, e, cur)
		return nil, sub, err
	case TypeSymlink:
		return nil, nil, rs.symlink(d, fd, name, rel, e, cur)
	}
	rs.files.Add(1)
	if cur == nil {
		return &fileOp{e: e}, nil, nil
	}
	if uint64(cur.size) != e.Size {
		return &fileOp{e: e}, nil, nil
	}
	if c := d.cache.find(name); c != nil && c.matches(cur, d.cache.time) && c.sameChunks(e.Chunks) {
		rs.bytes.Add(int64(e.Size))
		return nil, nil, rs.fixMeta(d, fd, name, rel, e, cur)
	}
	return &fileOp{e: e, check: true}, nil, nil
}

// dir returns the job of subdirectory e (cur: what is there now, nil
// when it is missing), creating it when missing: under a temporary name,
// unless d itself is fresh (mode and mtime are set after its contents, by
// fixDirs, which also renames it into place).
func (rs *restorer) dir(d *restoreDir, fd int, name, rel string, e *Entry, cur *fileStat) (*restoreDir, error) {
	sub := &restoreDir{rel: rel, path: join(d.path, name), depth: d.depth + 1,
		tree: e.Tree, entry: e, cur: cur,
		protected: d.protected || rs.o.Excluder.Excluded(rel, true) || rs.o.Protect != nil && rs.o.Protect(rel, true)}
	if cur != nil {
		c := d.cache.find(name)
		sub.cache = rs.cache.sub(c, rel, cur.dev)
		sub.sameNames = sub.cache != nil && c.sameNames(cur, d.cache.time)
	} else {
		create := name
		if !d.fresh {
			create = rs.tmpName()
			sub.path, sub.publish = join(d.path, create), name
		}
		if err := unix.Mkdirat(fd, create, 0o700); err != nil {
			return nil, fmt.Errorf("tree: restore %s: %w", rel, err)
		}
		sub.fresh = true
		d.touched.Store(true)
		rs.written.Add(1)
	}
	rs.mu.Lock()
	rs.dirs = append(rs.dirs, sub)
	rs.mu.Unlock()
	return sub, nil
}

// spawnFiles hands the file operations of directory d to workers in
// groups of about 1 MiB, each opening the directory again.
func (rs *restorer) spawnFiles(d *restoreDir, ops []fileOp) error {
	const groupBytes, groupFiles = 1 << 20, 64
	for len(ops) > 0 {
		n, size := 0, uint64(0)
		for n < len(ops) && n < groupFiles && (n == 0 || size < groupBytes) {
			size += ops[n].e.Size
			n++
		}
		group := ops[:n]
		ops = ops[n:]
		if err := rs.spawn(func() error { return rs.doFiles(d, group) }); err != nil {
			return err
		}
	}
	return nil
}

// doFiles compares and writes a group of files of directory d.
func (rs *restorer) doFiles(d *restoreDir, ops []fileOp) error {
	fd, err := openBeneath(rs.root, d.path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("tree: restore %s: %w", d.rel, err)
	}
	defer unix.Close(fd)
	for _, op := range ops {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		rel := join(d.rel, op.e.Name)
		if op.check {
			if op.e.Size >= SingleBlobMax {
				rs.bigSem <- struct{}{} // the chunker buffers 16 MiB per file
			}
			cur, same, err := sameContent(fd, op.e)
			if op.e.Size >= SingleBlobMax {
				<-rs.bigSem
			}
			if err != nil && !skippable(err) {
				return fmt.Errorf("tree: restore %s: %w", rel, err)
			}
			if same {
				rs.bytes.Add(int64(op.e.Size))
				if err := rs.fixMeta(d, fd, op.e.Name, rel, op.e, &cur); err != nil {
					return err
				}
				continue
			}
		}
		if err := rs.writeFile(d, fd, rel, op.e); err != nil {
			return err
		}
	}
	return nil
}

// fixDirs sets the mode and mtime of the directories that were created,
// changed, or differ from the tree, deepest first (a parent's mode may
// forbid writing into it, and setting a child's mtime does not touch the
// parent's), and renames directories assembled under a temporary name
// into place (which changes the parent's mtime, set later).
func (rs *restorer) fixDirs() error {
	sort.Slice(rs.dirs, func(i, j int) bool {
		if rs.dirs[i].depth != rs.dirs[j].depth {
			return rs.dirs[i].depth > rs.dirs[j].depth
		}
		return rs.dirs[i].rel < rs.dirs[j].rel
	})
	for _, d := range rs.dirs {
		e := d.entry
		if d.cur != nil && !d.touched.Load() && d.cur.mode == e.Mode && (d.cur.mtime == e.ModTime || e.ModTime == 0) {
			continue
		}
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		if err := rs.fixDir(d, e); err != nil {
			return fmt.Errorf("tree: restore %s: %w", d.rel, err)
		}
		if d.publish != "" {
			if err := rs.publishDir(d); err != nil {
				return fmt.Errorf("tree: restore %s: %w", d.rel, err)
			}
		}
	}
	return nil
}

// publishDir renames directory d, complete, from its temporary name to
// its real one. The name must still be free: whatever appeared there
// since the restore looked is not replaced.
func (rs *restorer) publishDir(d *restoreDir) error {
	pfd, tmp, err := rs.openParent(d)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	err = renameat2(pfd, tmp, pfd, d.publish, unix.RENAME_NOREPLACE)
	if err == unix.EINVAL || err == unix.ENOSYS {
		// A filesystem without RENAME_NOREPLACE (some FUSE and network
		// ones): look first, then rename; replacing needs an empty
		// directory to appear under the name in between.
		if _, serr := lstatAt(pfd, d.publish); serr != unix.ENOENT {
			if serr == nil {
				serr = unix.EEXIST
			}
			return serr
		}
		err = unix.Renameat(pfd, tmp, pfd, d.publish)
	}
	if err != nil {
		return err
	}
	d.path, d.publish = d.rel, ""
	return nil
}

// openParent opens the directory that holds d where it is now (its
// temporary name, while unpublished) and returns that name in it.
func (rs *restorer) openParent(d *restoreDir) (fd int, name string, err error) {
	dir, name := path.Split(d.path)
	fd, err = openBeneath(rs.root, strings.TrimSuffix(dir, "/"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	return fd, name, err
}

// renameat2 is unix.Renameat2 (tests stand in a filesystem without it).
var renameat2 = unix.Renameat2

// dropUnpublished removes the directories a failed or interrupted restore
// assembled under temporary names (best effort: a crash leaves them, and
// the next restore deletes them as paths the tree lacks).
func (rs *restorer) dropUnpublished() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, d := range rs.dirs {
		if d.publish == "" {
			continue
		}
		pfd, name, err := rs.openParent(d)
		if err != nil {
			continue
		}
		if ok, _ := rs.removeContents(pfd, name, d.rel, true); ok {
			unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR)
		}
		unix.Close(pfd)
	}
}

func (rs *restorer) fixDir(d *restoreDir, e *Entry) error {
	fd, err := openBeneath(rs.root, d.path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if d.cur == nil || d.cur.mode != e.Mode {
		if err := unix.Fchmod(fd, e.Mode); err != nil {
			return err
		}
	}
	if e.ModTime == 0 {
		return nil
	}
	return futimens(fd, e.ModTime)
}
