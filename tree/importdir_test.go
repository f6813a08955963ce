package tree_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// warnings collects the Warn callbacks of a walk.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) add(rel string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, fmt.Sprintf("%q: %v", rel, err))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := append([]string(nil), w.list...)
	sort.Strings(s)
	return strings.Join(s, "\n")
}

// importInto imports dir into s and commits it.
func importInto(t *testing.T, s *pebblestore.Store, dir string, o tree.ImportOptions) *tree.ImportResult {
	t.Helper()
	ctx := context.Background()
	ob := s.NewObjectBatch()
	defer ob.Close()
	res, err := tree.Import(ctx, ob, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, ob, nil); err != nil {
		t.Fatal(err)
	}
	return res
}

// later is a clock far enough ahead that nothing written by a test is
// racy against it.
func later() time.Time { return time.Now().Add(time.Hour) }

// writeFiles creates files (content by path; a path ending in "/" is a
// directory, "->" makes a symlink: "l -> target").
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		switch {
		case strings.HasSuffix(p, "/"):
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		case strings.Contains(p, " -> "):
			name, target, _ := strings.Cut(p, " -> ")
			full = filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.Remove(full)
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dirListing renders a live directory like listing renders a tree, with
// modes and mtimes: what a restore must reproduce.
func dirListing(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		mt := fi.ModTime().UnixNano()
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			lines = append(lines, fmt.Sprintf("%q l %s %d", rel, target, mt))
		case fi.IsDir():
			lines = append(lines, fmt.Sprintf("%q d %o %d", rel, fi.Mode()&07777|fi.Mode()&os.ModeSetuid, mt))
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			lines = append(lines, fmt.Sprintf("%q f %v %d %x", rel, fi.Mode(), mt, pebblestore.Hash(pebblestore.KindBlob, data).Short()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestImportKinds(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	long := strings.Repeat("n", 255)
	writeFiles(t, dir, map[string]string{
		"a.txt": "hello", "empty": "", "sub/deep/x": "x", "emptydir/": "",
		"line\nbreak": "nl", "bad\xff\xfeutf8": "bin", long: "long",
		"link -> a.txt": "", "dangling -> /nonexistent/x": "", "out -> ../../etc": "",
	})
	if err := syscall.Chmod(filepath.Join(dir, "a.txt"), 0o4755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var w warnings
	res := importInto(t, s, dir, tree.ImportOptions{Warn: w.add})
	if got, want := w.String(), "\"fifo\": tree: special file skipped\n\"sock\": tree: special file skipped"; got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
	r := tree.NewReader(s, 0)
	got := listing(t, r, res.Root)
	for _, want := range []string{
		"a.txt f 4755 \"hello\"\n", "empty f 644 \"\"\n", "sub d\n", "sub/deep/x f 644 \"x\"\n", "emptydir d\n",
		"line\nbreak f 644 \"nl\"\n", "bad\xff\xfeutf8 f 644 \"bin\"\n", long + " f 644 \"long\"\n",
		"link l a.txt\n", "dangling l /nonexistent/x\n", "out l ../../etc\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("listing lacks %q:\n%s", want, got)
		}
	}
	if res.Summary.Files != 6 || res.Summary.Dirs != 3 {
		t.Errorf("summary %+v", res.Summary)
	}
}

func TestImportBigFile(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	big := make([]byte, 3<<20) // chunked
	rand.NewChaCha8([32]byte{1}).Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	var last tree.Progress
	res := importInto(t, s, dir, tree.ImportOptions{Progress: func(p tree.Progress) { last = p }})
	if last.Bytes != int64(len(big)) || last.TotalBytes != int64(len(big)) || last.Files != 1 {
		t.Errorf("last progress %+v", last)
	}
	r := tree.NewReader(s, 0)
	e, err := r.Lookup(context.Background(), res.Root, "big")
	if err != nil || len(e.Chunks) < 2 || e.Size != uint64(len(big)) || e.Mode != 0o600 {
		t.Fatalf("big: %d chunks, size %d, mode %o, %v", len(e.Chunks), e.Size, e.Mode, err)
	}
	data, _ := r.ReadFile(context.Background(), &e)
	if !bytes.Equal(data, big) {
		t.Fatal("big file content differs")
	}
}

// Several chunked files imported at once: the walk reads them on
// parallel goroutines, each with its own chunker (under -race this caught
// upstream fastcdc-go's NewChunker writing a shared table).
func TestImportBigFilesInParallel(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	bigs := make([][]byte, 4)
	for i := range bigs {
		bigs[i] = make([]byte, 2<<20+i)
		rand.NewChaCha8([32]byte{byte(i + 2)}).Read(bigs[i])
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("big%d", i)), bigs[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := importInto(t, s, dir, tree.ImportOptions{Workers: 4})
	r := tree.NewReader(s, 0)
	for i, big := range bigs {
		e, err := r.Lookup(context.Background(), res.Root, fmt.Sprintf("big%d", i))
		if err != nil || len(e.Chunks) < 2 {
			t.Fatalf("big%d: %d chunks, %v", i, len(e.Chunks), err)
		}
		if data, _ := r.ReadFile(context.Background(), &e); !bytes.Equal(data, big) {
			t.Fatalf("big%d: content differs", i)
		}
	}
}

func TestImportNotDir(t *testing.T) {
	s := memStore(t)
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	ob := s.NewObjectBatch()
	defer ob.Close()
	if _, err := tree.Import(context.Background(), ob, f, tree.ImportOptions{}); !errors.Is(err, tree.ErrNotDir) {
		t.Fatalf("import of a file: %v", err)
	}
	if _, err := tree.Import(context.Background(), ob, f+"-missing", tree.ImportOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("import of a missing path: %v", err)
	}
}

func TestImportStatCache(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "aaa", "b/c": "ccc", "b/d/e": "eee", "l -> a": "", "f/g": "g"})
	first := importInto(t, s, dir, tree.ImportOptions{Now: later})
	if first.Read != 4 || first.CacheUpdate == nil || len(first.CacheUpdate.Put) != 4 {
		t.Fatalf("first import: %+v", first)
	}
	// Round trip through the encoding, as the store keeps it.
	cache, err := tree.DecodeStatCache(first.Cache.Encode(), first.Cache.Record)
	if err != nil {
		t.Fatal(err)
	}
	second := importInto(t, s, dir, tree.ImportOptions{Cache: cache, Now: later})
	if second.Root != first.Root || second.Read != 0 || second.Reused != 5 || second.CacheUpdate != nil || second.ReusedDirs != 4 {
		t.Fatalf("unchanged import: %+v", second)
	}

	// Same size, mtime put back: the ctime still tells.
	p := filepath.Join(dir, "b/d/e")
	fi, _ := os.Stat(p)
	os.WriteFile(p, []byte("EEE"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	third := importInto(t, s, dir, tree.ImportOptions{Cache: cache, Now: later})
	if third.Root == first.Root || third.Read != 1 || third.CacheUpdate == nil || len(third.CacheUpdate.Put) != 3 /* root, b, b/d */ || third.ReusedDirs != 1 /* f */ {
		t.Fatalf("import after a change: %+v", third)
	}
	r := tree.NewReader(s, 0)
	if got := listing(t, r, third.Root); !strings.Contains(got, `b/d/e f 644 "EEE"`) {
		t.Fatalf("listing:\n%s", got)
	}
	// A cache that does not match the directory's device is ignored.
	cache.Dev++
	fourth := importInto(t, s, dir, tree.ImportOptions{Cache: cache, Now: later})
	if fourth.Root != third.Root || fourth.Reused != 0 {
		t.Fatalf("cache of another device used: %+v", fourth)
	}
}

func TestImportRacyFilesAreRead(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "1", "b": "2"})
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "b"), &st)
	justAfter := func() time.Time { return time.Unix(st.Ctim.Unix()).Add(time.Millisecond) }
	first := importInto(t, s, dir, tree.ImportOptions{Now: justAfter}) // files as new as the walk
	second := importInto(t, s, dir, tree.ImportOptions{Cache: first.Cache})
	if second.Read != 2 || second.Root != first.Root || second.CacheUpdate != nil {
		t.Fatalf("racy files were trusted, or an unchanged tree rewrote the cache: %+v", second)
	}
	// The next real change records them again, now long after they
	// changed: clean from then on.
	writeFiles(t, dir, map[string]string{"c": "3"})
	third := importInto(t, s, dir, tree.ImportOptions{Cache: first.Cache, Now: later})
	fourth := importInto(t, s, dir, tree.ImportOptions{Cache: third.Cache, Now: later})
	if third.Read != 3 || fourth.Read != 0 {
		t.Fatalf("read %d then %d files", third.Read, fourth.Read)
	}
}

func TestImportVanishingFiles(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a", "b": "b", "c/x": "x", "d": "d"})
	var w warnings
	res := importInto(t, s, dir, tree.ImportOptions{Warn: w.add, Workers: 1,
		Exclude: func(rel string, isDir bool) bool {
			switch rel {
			case "a": // seen; b vanishes before it is looked at
				os.Remove(filepath.Join(dir, "b"))
			case "d": // looked at, then vanishes before it is read
				os.Remove(filepath.Join(dir, "d"))
			case "c": // a directory that vanishes before it is listed
				os.RemoveAll(filepath.Join(dir, "c"))
			}
			return false
		}})
	want := "\"b\": no such file or directory\n\"c\": no such file or directory\n\"d\": no such file or directory"
	if got := w.String(); got != want {
		t.Errorf("warnings:\n%s\nwant\n%s", got, want)
	}
	if got := listing(t, tree.NewReader(s, 0), res.Root); got != "a f 644 \"a\"\n" {
		t.Errorf("listing:\n%s", got)
	}
}

func TestImportFileChangingWhileRead(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"grow": "start", "calm": "calm"})
	tree.SetTestHookAfterRead(func(rel string) {
		if rel == "grow" {
			f, _ := os.OpenFile(filepath.Join(dir, "grow"), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("+more")
			f.Close()
		}
	})
	defer tree.SetTestHookAfterRead(nil)
	var w warnings
	res := importInto(t, s, dir, tree.ImportOptions{Warn: w.add, Now: later})
	if got := w.String(); got != `"grow": tree: changed while being read; recorded as read` {
		t.Errorf("warnings: %s", got)
	}
	r := tree.NewReader(s, 0)
	e, err := r.Lookup(context.Background(), res.Root, "grow")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.ReadFile(context.Background(), &e)
	if !strings.HasPrefix(string(data), "start") || e.Size != uint64(len(data)) {
		t.Fatalf("grow recorded as %q (size %d)", data, e.Size)
	}
	// Its stat is never trusted: the next import reads it again.
	tree.SetTestHookAfterRead(nil)
	next := importInto(t, s, dir, tree.ImportOptions{Cache: res.Cache, Now: later})
	if next.Read != 1 || next.Reused != 1 {
		t.Fatalf("next import: %+v", next)
	}
}

func TestImportCancel(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a", "b/c": "c"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ob := s.NewObjectBatch()
	defer ob.Close()
	if _, err := tree.Import(ctx, ob, dir, tree.ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled import: %v", err)
	}
}

func TestImportExcludes(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{".git/config": "c", "src/a.go": "a", "src/a.log": "l",
		"node_modules/x/y": "y", "build/out": "o", "src/build/keep": "k"})
	ex, err := tree.NewExcluder([]string{".git/", "node_modules/", "*.log", "/build/"})
	if err != nil {
		t.Fatal(err)
	}
	res := importInto(t, s, dir, tree.ImportOptions{Excluder: ex})
	want := "src d\nsrc/a.go f 644 \"a\"\nsrc/build d\nsrc/build/keep f 644 \"k\"\n"
	if got := listing(t, tree.NewReader(s, 0), res.Root); got != want {
		t.Fatalf("listing:\n%s\nwant:\n%s", got, want)
	}
	if got := strings.Join(res.Cache.Excludes, " "); got != ".git/ node_modules/ *.log /build/" {
		t.Fatalf("cache records excludes %q", got)
	}
}

// An unchanged directory's names come from the stat cache: it is not
// listed again. Any change of its names, of the exclude patterns, or an
// Exclude function makes the walk list it.
func TestImportNamesFromCache(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a", "b/c": "c", "b/x.log": "l", "b/d/e": "e", "f/g": "g"})
	logs, _ := tree.NewExcluder([]string{"*.log"})
	first := importInto(t, s, dir, tree.ImportOptions{Now: later, Excluder: logs})
	if first.Listed != 4 {
		t.Fatalf("first import listed %d directories, want 4", first.Listed)
	}
	second := importInto(t, s, dir, tree.ImportOptions{Cache: first.Cache, Now: later, Excluder: logs})
	if second.Listed != 1 || second.Root != first.Root {
		t.Fatalf("unchanged import listed %d directories (want only the root): %+v", second.Listed, second)
	}
	// A file content change does not change its directory's names; the
	// file's own stat tells.
	writeFiles(t, dir, map[string]string{"b/d/e": "E2"})
	third := importInto(t, s, dir, tree.ImportOptions{Cache: second.Cache, Now: later, Excluder: logs})
	if third.Listed != 1 || third.Read != 1 {
		t.Fatalf("content change: listed %d, read %d", third.Listed, third.Read)
	}
	// A new name (even an excluded one) changes the directory's mtime and
	// ctime: it is listed.
	writeFiles(t, dir, map[string]string{"b/d/new": "n", "f/y.log": "l"})
	fourth := importInto(t, s, dir, tree.ImportOptions{Cache: third.Cache, Now: later, Excluder: logs})
	r := tree.NewReader(s, 0)
	got := listing(t, r, fourth.Root)
	if fourth.Listed != 3 /* root, b/d, f */ || !strings.Contains(got, "b/d/new") || strings.Contains(got, ".log") {
		t.Fatalf("new names: listed %d\n%s", fourth.Listed, got)
	}
	// Removing a name too.
	os.Remove(filepath.Join(dir, "b/c"))
	fifth := importInto(t, s, dir, tree.ImportOptions{Cache: fourth.Cache, Now: later, Excluder: logs})
	if got := listing(t, r, fifth.Root); strings.Contains(got, "b/c ") {
		t.Fatalf("removed file still there:\n%s", got)
	}
	// Other patterns: the names the record lacks may be wanted now.
	sixth := importInto(t, s, dir, tree.ImportOptions{Cache: fifth.Cache, Now: later})
	if got := listing(t, r, sixth.Root); !strings.Contains(got, "b/x.log") || !strings.Contains(got, "f/y.log") || sixth.Listed != 4 {
		t.Fatalf("patterns changed: listed %d\n%s", sixth.Listed, got)
	}
	// An Exclude function may change its mind between walks: always list.
	seventh := importInto(t, s, dir, tree.ImportOptions{Cache: sixth.Cache, Now: later,
		Exclude: func(string, bool) bool { return false }})
	if seventh.Listed != 4 || seventh.Root != sixth.Root {
		t.Fatalf("with an Exclude function: listed %d", seventh.Listed)
	}
}

// A directory whose ctime is as new as the walk that recorded it may
// change again without its stat changing: it is listed next time.
func TestImportRacyDirIsListed(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d/a": "1"})
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "d"), &st)
	justAfter := func() time.Time { return time.Unix(st.Ctim.Unix()).Add(time.Millisecond) }
	first := importInto(t, s, dir, tree.ImportOptions{Now: justAfter})
	second := importInto(t, s, dir, tree.ImportOptions{Cache: first.Cache})
	if second.Listed != 2 {
		t.Fatalf("racy directory not listed: listed %d", second.Listed)
	}
}
