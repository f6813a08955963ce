package tree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Excluder leaves paths out (gitignore-like patterns); its patterns
	// are recorded in the stat cache, where restore finds them.
	Excluder *Excluder
	// Exclude reports whether the slash-separated relative path (a
	// directory when dir is true) is left out, in addition to Excluder.
	// It is called from several goroutines at once.
	Exclude func(rel string, dir bool) bool
	// Warn receives paths that were left out or recorded as read: special
	// files, unreadable files, files that vanished or changed during the
	// walk. It may be called from several goroutines, never at once.
	Warn func(rel string, err error)
	// Cache is the stat cache of an earlier import of the same directory:
	// files whose stat is unchanged reuse its entries without being read,
	// directories whose entries are all unchanged reuse its tree ids.
	Cache *StatCache
	// Progress is called about every 100 ms, and once at the end, from one
	// goroutine.
	Progress func(Progress)
	// Workers bounds the goroutines that walk and read (default
	// 2×GOMAXPROCS).
	Workers int
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Progress of an import or restore. Totals are what is known so far.
type Progress struct {
	Files, Bytes           int64
	TotalFiles, TotalBytes int64
}

// ImportResult is what Import built.
type ImportResult struct {
	Root    ID
	Summary Summary
	// Cache describes this import, for the next one. CacheUpdate is what
	// changed from the cache given in the options (nil: nothing), to be
	// stored.
	Cache       *StatCache
	CacheUpdate *StatCacheUpdate
	// Read counts the files that were read and hashed, Reused the files
	// taken unchanged from the cache, ReusedDirs the directories whose tree
	// was reused without being encoded, Listed the directories whose
	// entries were read (the others' names came from the cache).
	Read, Reused, ReusedDirs, Listed int
}

// maxBigReads bounds the files of SingleBlobMax or more read at once.
const maxBigReads = 2

// Errors passed to Warn.
var (
	// ErrSpecialFile: sockets, devices and fifos are skipped.
	ErrSpecialFile = errors.New("tree: special file skipped")
	// ErrChangedType: the path changed type during the walk; skipped.
	ErrChangedType = errors.New("tree: changed type during the walk; skipped")
	// ErrChangedWhileRead: the file kept changing while it was read; the
	// checkpoint holds the bytes as read.
	ErrChangedWhileRead = errors.New("tree: changed while being read; recorded as read")
)

// Import stores the directory tree at dir (symlinks below it are recorded,
// never followed) and returns its root tree id, totals and stat cache.
// Regular files, directories and symlinks are kept with their mode and
// mtime; special files, and files that cannot be read or vanish while the
// walk runs, are left out with a warning. The walk and the reading of
// files run in parallel; the result does not depend on their order.
func Import(ctx context.Context, p Putter, dir string, o ImportOptions) (*ImportResult, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	root, rootSt, err := openRootDir(dir)
	if err != nil {
		return nil, fmt.Errorf("tree: import %s: %w", dir, err)
	}
	defer unix.Close(root)
	im := &importer{p: p, root: root, o: &o, start: now().UnixNano(), bigSem: make(chan struct{}, maxBigReads)}
	top := &walkDir{}
	if top.cache, err = im.usableCache(o.Cache, rootSt.dev); err != nil {
		return nil, err
	}
	stop := startProgress(o.Progress, im.progress)
	err = im.run(ctx, top)
	stop()
	if err != nil {
		return nil, err
	}
	b, err := im.build(top)
	if err != nil {
		return nil, err
	}
	// b.same: the root is the cache's root, which usableCache pinned.
	res := &ImportResult{Root: b.id, Summary: b.sum, Read: int(im.read.Load()), Listed: int(im.listed.Load()),
		Reused: int(im.reused.Load()), ReusedDirs: im.reusedDirs, Cache: o.Cache}
	old := o.Cache
	im.update.Reset = old != nil && top.cache == nil // unusable: start afresh
	// An unchanged tree leaves the cache as it is, even when racy files
	// were read again: rewriting their records would cost more (every
	// write is flushed when the store is next opened) than reading them
	// again until the next real change rewrites them.
	if old == nil || old.Root != b.id || old.Dev != rootSt.dev || !slices.Equal(old.Excludes, im.patterns()) {
		nc := &StatCache{Time: im.start, Root: b.id, Dev: rootSt.dev, Excludes: im.patterns()}
		im.update.Header = nc.header()
		res.CacheUpdate = &im.update
		if res.Cache, err = old.apply(&im.update); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// openRootDir opens the directory to walk (following a symlink given as
// the directory itself, as cd does).
func openRootDir(dir string) (int, fileStat, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == unix.ENOTDIR {
		return -1, fileStat{}, ErrNotDir
	}
	if err != nil {
		return -1, fileStat{}, err
	}
	st, err := fstatFD(fd)
	if err != nil {
		unix.Close(fd)
		return -1, fileStat{}, err
	}
	return fd, st, nil
}

type importer struct {
	p     Putter
	root  int // fd of the walked directory
	o     *ImportOptions
	start int64 // walk start, ns

	ctx    context.Context
	g      *errgroup.Group
	warnMu sync.Mutex

	files, bytes, totalBytes atomic.Int64 // progress
	read, reused, listed     atomic.Int64
	cache                    *StatCache // the usable cache, or nil
	// namesCached: the cache's records list every name the walk keeps
	// (same exclude patterns, no Exclude function), so an unchanged
	// directory's names can come from them.
	namesCached bool
	bigSem      chan struct{}

	// build phase only
	reusedDirs int
	update     StatCacheUpdate
}

// walkDir is one directory met by the walk.
type walkDir struct {
	rel   string
	kids  []walkNode // sorted by name
	cache *cacheDir  // what the cache knew of it (nil: nothing)
	// sameNames: its stat says its names are the cache's; it is not read.
	sameNames bool
	// unclean: a name in it was left out with a warning (unreadable,
	// special, vanished, invalid); its recorded stat is smudged so that
	// the next walk lists it and tries again.
	unclean atomic.Bool
}

// walkNode is one entry of a walked directory.
type walkNode struct {
	name   string
	st     fileStat
	entry  *Entry      // the tree entry of a miss (set by the walk, or build for dirs)
	cached *cacheEntry // the cache's entry of the same name
	dir    *walkDir    // directories
	hit    bool        // taken unchanged from the cache
	skip   bool        // left out after all
	smudge bool        // changed while read: never trust its stat
}

func (im *importer) warn(rel string, err error) {
	if im.o.Warn == nil {
		return
	}
	im.warnMu.Lock()
	defer im.warnMu.Unlock()
	im.o.Warn(rel, err)
}

func (im *importer) patterns() []string { return im.o.Excluder.Patterns() }

func (im *importer) excluded(rel string, dir bool) bool {
	return im.o.Excluder.Excluded(rel, dir) || im.o.Exclude != nil && im.o.Exclude(rel, dir)
}

func (im *importer) progress() Progress {
	return Progress{Files: im.files.Load(), Bytes: im.bytes.Load(), TotalBytes: im.totalBytes.Load()}
}

// usableCache pins the cache's root so that everything the cache refers to
// survives until the checkpoint is committed, and returns the cached view
// of the root. A cache of another device, or whose objects are gone, is
// ignored.
func (im *importer) usableCache(c *StatCache, dev uint64) (*cacheDir, error) {
	if c == nil || c.Dev != dev {
		return nil, nil
	}
	if err := im.p.Reuse(c.Root); err != nil {
		if errors.Is(err, pebblestore.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	im.cache = c
	im.namesCached = im.o.Exclude == nil && slices.Equal(c.Excludes, im.patterns())
	return c.dir("", c.Root), nil
}

func workers(n int) int {
	if n > 0 {
		return n
	}
	return 2 * runtime.GOMAXPROCS(0)
}

// run walks the tree from top, reading what must be read, in parallel.
func (im *importer) run(ctx context.Context, top *walkDir) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers(im.o.Workers))
	im.ctx, im.g = gctx, g
	err := im.walk(top)
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// spawn runs f on another goroutine when one is free, else inline: a
// walker never waits for a slot, so the pool cannot deadlock.
func (im *importer) spawn(f func() error) error {
	if im.g.TryGo(f) {
		return nil
	}
	return f()
}

// walk lists directory d and stats its entries; subdirectories and files
// to read are handed to spawn.
func (im *importer) walk(d *walkDir) error {
	if err := im.ctx.Err(); err != nil {
		return err
	}
	fd, err := openBeneath(im.root, d.rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var names []string
	if d.sameNames {
		names = make([]string, len(d.cache.entries))
		for i := range d.cache.entries {
			names[i] = d.cache.entries[i].Name
		}
	} else {
		im.listed.Add(1)
		if names, err = readDirNames(fd); err != nil {
			return err
		}
	}
	d.kids = make([]walkNode, 0, len(names))
	var cached []cacheEntry // names and cached entries are both sorted: merge
	if d.cache != nil {
		cached = d.cache.entries
	}
	for _, name := range names {
		for len(cached) > 0 && cached[0].Name < name {
			cached = cached[1:]
		}
		var c *cacheEntry
		if len(cached) > 0 && cached[0].Name == name {
			c = &cached[0]
		}
		if n, ok, err := im.stat(d, fd, name, c); err != nil {
			return err
		} else if ok {
			d.kids = append(d.kids, n)
		}
	}
	im.files.Add(int64(len(d.kids)))
	for i := range d.kids {
		k := &d.kids[i]
		var err error
		switch {
		case k.dir != nil:
			err = im.spawn(func() error { return im.walkSub(d, k) })
		case k.st.typ == TypeFile && !k.hit:
			im.totalBytes.Add(k.st.size)
			err = im.spawn(func() error { return im.readFile(d, k) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stat looks at one name of directory d (open as fd); cached is what the
// stat cache has under that name.
func (im *importer) stat(d *walkDir, fd int, name string, cached *cacheEntry) (walkNode, bool, error) {
	rel := join(d.rel, name)
	if err := ValidName(name); err != nil {
		d.unclean.Store(true)
		im.warn(rel, err)
		return walkNode{}, false, nil
	}
	st, err := lstatAt(fd, name)
	if err != nil {
		if skippable(err) {
			d.unclean.Store(true)
			im.warn(rel, err) // vanished since readdir
			return walkNode{}, false, nil
		}
		return walkNode{}, false, fmt.Errorf("tree: import %s: %w", rel, err)
	}
	if st.typ == 0 {
		if !im.excluded(rel, false) {
			d.unclean.Store(true)
			im.warn(rel, ErrSpecialFile)
		}
		return walkNode{}, false, nil
	}
	if im.excluded(rel, st.typ == TypeDir) {
		return walkNode{}, false, nil
	}
	n := walkNode{name: name, st: st, cached: cached}
	if n.cached != nil && n.cached.matches(&st, d.cache.time) {
		n.hit = true // the entry is the cached one
		im.reused.Add(1)
		return n, true, nil
	}
	switch st.typ {
	case TypeDir:
		n.dir = &walkDir{rel: rel, cache: im.cache.sub(n.cached, rel, st.dev)}
		n.dir.sameNames = im.namesCached && n.dir.cache != nil && n.cached.sameNames(&st, d.cache.time)
	case TypeSymlink:
		target, err := readlinkAt(fd, name)
		if err != nil && !skippable(err) {
			return walkNode{}, false, fmt.Errorf("tree: import %s: %w", rel, err)
		}
		if err != nil || target == "" { // vanished, or replaced by another type
			d.unclean.Store(true)
			im.warn(rel, cmpErr(err, ErrChangedType))
			return walkNode{}, false, nil
		}
		n.entry = &Entry{Name: name, Type: TypeSymlink, Mode: st.mode, ModTime: st.mtime,
			Target: target, Size: uint64(len(target))}
	}
	return n, true, nil
}

// readlinkAt reads the target of symlink name in directory fd.
func readlinkAt(fd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// walkSub walks a subdirectory k of d; one that vanished or cannot be
// read is left out with a warning.
func (im *importer) walkSub(d *walkDir, k *walkNode) error {
	err := im.walk(k.dir)
	if err != nil && skippable(err) {
		d.unclean.Store(true)
		im.warn(k.dir.rel, err)
		k.skip = true
		return nil
	}
	return err
}

// readFile reads and stores one regular file. A file that changes while
// it is read is read again, up to three times, then recorded as read.
func (im *importer) readFile(d *walkDir, k *walkNode) error {
	if err := im.ctx.Err(); err != nil {
		return err
	}
	rel := join(d.rel, k.name)
	for attempt := 0; ; attempt++ {
		e, st, stable, err := im.readOnce(rel, k.name, k.cached)
		if err != nil {
			if skippable(err) || errors.Is(err, ErrChangedType) {
				d.unclean.Store(true)
				im.warn(rel, err)
				k.skip = true
				return nil
			}
			return fmt.Errorf("tree: import %s: %w", rel, err)
		}
		if stable || attempt == 2 {
			if !stable {
				im.warn(rel, ErrChangedWhileRead)
				k.smudge = true
			}
			k.entry, k.st = &e, st
			im.read.Add(1)
			return nil
		}
	}
}

// testHookAfterRead is called after a file is read, before it is checked
// for changes (tests).
var testHookAfterRead func(rel string)

// bufPool holds buffers for comparing files below SingleBlobMax (one byte
// more, to see a file that grew). Not for Putters: they keep what they
// are given.
var bufPool = sync.Pool{New: func() any { b := make([]byte, SingleBlobMax+1); return &b }}

// readOnce reads the file once; stable is false when its stat changed
// during the read.
func (im *importer) readOnce(rel, name string, cached *cacheEntry) (e Entry, st fileStat, stable bool, err error) {
	p := im.p
	if cached != nil && cached.Type == TypeFile && cached.nchunks > 0 {
		p = knownChunks{p, cached} // a racy file read again is usually unchanged
	}
	fd, err := openBeneath(im.root, rel, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return e, st, false, err
	}
	defer unix.Close(fd)
	if st, err = fstatFD(fd); err != nil {
		return e, st, false, err
	}
	if st.typ != TypeFile {
		return e, st, false, ErrChangedType
	}
	var chunks []Chunk
	var n int64
	if st.size < SingleBlobMax {
		buf := make([]byte, st.size+1) // the Putter keeps it
		m, err := readFull(fd, buf)
		if err != nil {
			return e, st, false, err
		}
		if int64(m) <= st.size {
			chunks, err = PutBytes(p, buf[:m:m])
		} else { // it grew: stream the rest
			chunks, err = PutReader(p, io.MultiReader(bytes.NewReader(buf[:m]), fdReader{fd}))
		}
		if err != nil {
			return e, st, false, err
		}
	} else {
		im.bigSem <- struct{}{} // bounds memory: the chunker buffers 16 MiB per file
		chunks, err = PutReader(p, fdReader{fd})
		<-im.bigSem
		if err != nil {
			return e, st, false, err
		}
	}
	n = int64(chunksSize(chunks))
	im.bytes.Add(n)
	if testHookAfterRead != nil {
		testHookAfterRead(rel)
	}
	after, err := fstatFD(fd)
	if err != nil {
		return e, st, false, err
	}
	stable = after.size == st.size && after.mtime == st.mtime && after.ctime == st.ctime && n == st.size
	e = Entry{Name: name, Type: TypeFile, Mode: st.mode, ModTime: st.mtime, Size: uint64(n), Chunks: chunks}
	return e, st, stable, nil
}

// knownChunks is a Putter that skips the chunks a cached entry already
// has: they are stored, and pinned with the cache's root.
type knownChunks struct {
	Putter
	c *cacheEntry
}

func (k knownChunks) PutWithID(id ID, kind pebblestore.Kind, data []byte) error {
	if k.c.hasChunk(id) {
		return nil
	}
	return k.Putter.PutWithID(id, kind, data)
}

// built is the result of building one directory's tree.
type built struct {
	id   ID
	sum  Summary
	same bool // equal to the cached directory: its tree id was reused
}

// build encodes the trees bottom-up (unchanged directories reuse their
// cached tree id and record) and the new stat cache records. Everything a
// reused id or entry refers to is reachable from the cache's root, which
// Import pinned before the walk.
func (im *importer) build(d *walkDir) (built, error) {
	im.dropVanished(d)
	same := d.cache != nil
	var sum Summary
	n := 0
	for i := range d.kids {
		k := &d.kids[i]
		if k.skip {
			same = false
			continue
		}
		n++
		if k.dir != nil {
			b, err := im.build(k.dir)
			if err != nil {
				return built{}, err
			}
			k.entry = &Entry{Name: k.name, Type: TypeDir, Mode: k.st.mode, ModTime: k.st.mtime, Tree: b.id, Sub: b.sum}
			c := k.cached
			if !b.same || c == nil || c.Type != TypeDir || c.Mode != k.st.mode || c.ModTime != k.st.mtime {
				same = false
			}
		} else if !k.hit {
			same = false
		}
		if k.hit {
			sum.Add(&k.cached.Entry)
		} else {
			sum.Add(k.entry)
		}
	}
	if same && n == len(d.cache.entries) {
		im.reusedDirs++
		return built{id: d.cache.tree, sum: sum, same: true}, nil
	}
	entries := make([]Entry, 0, n)
	for i := range d.kids {
		switch k := &d.kids[i]; {
		case k.skip:
		case k.hit:
			entries = append(entries, k.cached.entry()) // with its chunks
		default:
			entries = append(entries, *k.entry)
		}
	}
	enc, err := EncodeTree(&Tree{Entries: entries})
	if err != nil {
		return built{}, err
	}
	id := pebblestore.Hash(pebblestore.KindTree, enc)
	if d.cache == nil || id != d.cache.tree { // else stored, and pinned with the cache's root
		if err := im.p.PutWithID(id, pebblestore.KindTree, enc); err != nil {
			return built{}, err
		}
	}
	if im.update.Put == nil {
		im.update.Put = map[string][]byte{}
	}
	im.update.Put[d.rel] = im.record(d, id, entries)
	return built{id: id, sum: sum}, nil
}

// dropVanished schedules the deletion of the records of d's cached
// subdirectories that are no longer directories of the walk (with
// everything below them).
func (im *importer) dropVanished(d *walkDir) {
	if d.cache == nil {
		return
	}
	kids := d.kids
	for i := range d.cache.entries {
		c := &d.cache.entries[i]
		if c.Type != TypeDir {
			continue
		}
		for len(kids) > 0 && kids[0].name < c.Name {
			kids = kids[1:]
		}
		if len(kids) > 0 && kids[0].name == c.Name && kids[0].dir != nil && !kids[0].skip {
			continue
		}
		im.update.DeleteTrees = append(im.update.DeleteTrees, join(d.rel, c.Name))
	}
}

// record encodes the stat cache record of a built directory with tree id
// and entries (those of its kids that were not skipped, in order).
func (im *importer) record(d *walkDir, id ID, entries []Entry) []byte {
	rec := newRecord(im.start, id, len(entries))
	j := 0
	for i := range d.kids {
		k := &d.kids[i]
		if k.skip {
			continue
		}
		e := &entries[j]
		j++
		if k.dir != nil {
			st := k.st
			if k.dir.unclean.Load() {
				st.ctime = -1 // never matches: list it again next time
			}
			rec = appendCacheDir(rec, e, &st)
			continue
		}
		st := k.st
		if k.smudge {
			st.ctime = -1 // never matches: read again next time
		}
		rec = appendCacheLeaf(rec, e, &st)
	}
	return seal(rec)
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// startProgress calls fn with get() every 100 ms until the returned stop
// function is called, which makes a last call.
func startProgress(fn func(Progress), get func() Progress) (stop func()) {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn(get())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		fn(get())
	}
}
