package tree_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
	"golang.org/x/sys/unix"
)

// sampleDir fills dir with a bit of everything a checkpoint keeps.
func sampleDir(t *testing.T, dir string) {
	t.Helper()
	big := make([]byte, 2<<20)
	rand.NewChaCha8([32]byte{7}).Read(big)
	writeFiles(t, dir, map[string]string{
		"a.txt": "hello", "empty": "", "sub/deep/x": "x", "sub/y": "y", "emptydir/": "",
		"line\nbreak": "nl", "bad\xffname": "b", strings.Repeat("n", 255): "long",
		"link -> a.txt": "", "sub/up -> ../a.txt": "", "dangling -> /nonexistent": "",
	})
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o640); err != nil {
		t.Fatal(err)
	}
	syscall.Chmod(filepath.Join(dir, "a.txt"), 0o4750)
	syscall.Chmod(filepath.Join(dir, "sub/deep"), 0o700)
	for i, p := range []string{"a.txt", "sub/deep/x", "sub/deep", "link", "emptydir", "sub"} {
		ts := []unix.Timespec{{Sec: 1_600_000_000 + int64(i), Nsec: 123456789}, {Sec: 1_600_000_000 + int64(i), Nsec: 123456789}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, p), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
}

// checkpointDir imports dir (with a clock that makes its files clean) and
// returns the root and the cache.
func checkpointDir(t *testing.T, s *pebblestore.Store, dir string) *tree.ImportResult {
	t.Helper()
	return importInto(t, s, dir, tree.ImportOptions{Now: later})
}

func restore(t *testing.T, s *pebblestore.Store, root pebblestore.ID, dir string, o tree.RestoreOptions) tree.RestoreResult {
	t.Helper()
	res, err := tree.Restore(context.Background(), tree.NewReader(s, 0), root, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRestoreIntoEmptyDir(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	sampleDir(t, src)
	ck := checkpointDir(t, s, src)
	dst := filepath.Join(t.TempDir(), "new", "dir") // created
	res := restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	if res.Written != 14 || res.Removed != 0 || res.Unchanged != 0 {
		t.Errorf("result %+v", res)
	}
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("restored tree differs:\n%s\nwant:\n%s", got, want)
	}
	// Again: nothing to do, and nothing read thanks to sizes and hashes.
	res = restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	if res.Written != 0 || res.Removed != 0 || res.Unchanged != 11 {
		t.Errorf("second restore %+v", res)
	}
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("second restore changed the tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestoreRollback(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	sampleDir(t, dir)
	ck := checkpointDir(t, s, dir)
	want := dirListing(t, dir)
	inode := func(p string) uint64 {
		var st syscall.Stat_t
		syscall.Lstat(filepath.Join(dir, p), &st)
		return st.Ino
	}
	keep := inode("sub/y")
	// Change content (same size), mode, mtime; add and remove files.
	writeFiles(t, dir, map[string]string{"a.txt": "HELLO", "extra/f": "e", "sub/new": "n", "node_modules/m": "m"})
	os.Remove(filepath.Join(dir, "sub/deep/x"))
	os.Chmod(filepath.Join(dir, "empty"), 0o600)
	ex, _ := tree.NewExcluder([]string{"node_modules/"})
	res := restore(t, s, ck.Root, dir, tree.RestoreOptions{Delete: true, Excluder: ex, Cache: ck.Cache})
	if res.Written != 3 || res.Removed != 3 || res.Unchanged != 8 {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/m")); err != nil {
		t.Fatal("a protected path was removed")
	}
	os.RemoveAll(filepath.Join(dir, "node_modules"))
	if got := dirListing(t, dir); got != want {
		t.Fatalf("rolled back tree differs:\n%s\nwant:\n%s", got, want)
	}
	if inode("sub/y") != keep {
		t.Error("an unchanged file was rewritten")
	}
}

func TestRestoreNoDelete(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a"})
	ck := checkpointDir(t, s, dir)
	writeFiles(t, dir, map[string]string{"b": "b", "a": "A"})
	res := restore(t, s, ck.Root, dir, tree.RestoreOptions{})
	if res.Written != 1 || res.Removed != 0 {
		t.Errorf("result %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b")); string(b) != "b" {
		t.Error("--no-delete removed an extra file")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "a" {
		t.Error("a not restored")
	}
}

func TestRestoreTypeChanges(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"was-dir": "now a file", "was-file/inner": "now a dir", "was-link/inner": "dir instead of link",
		"link-was-file -> target": "", "link-was-dir -> target": "", "file-was-link": "file",
	})
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	writeFiles(t, dst, map[string]string{
		"was-dir/sub/x": "x", "was-file": "f", "was-link -> ..": "",
		"link-was-file": "f", "link-was-dir/x": "x", "file-was-link -> /etc/passwd": "",
	})
	res := restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("after type changes:\n%s\nwant:\n%s", got, want)
	}
	if res.Written != 8 {
		t.Errorf("result %+v", res)
	}
}

// A symlink in the target pointing outside it is replaced, never written
// through, wherever it stands: where the tree has a directory, a file, or
// nothing.
func TestRestoreNeverWritesThroughSymlinks(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"sub/x": "inside", "f": "inside"})
	ck := checkpointDir(t, s, src)
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"x": "outside", "f": "outside", "keep/y": "outside"})
	before := dirListing(t, outside)
	dst := t.TempDir()
	writeFiles(t, dst, map[string]string{"sub -> " + outside: "", "f -> " + outside + "/f": "", "extra -> " + outside + "/keep": ""})
	restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	if after := dirListing(t, outside); after != before {
		t.Fatalf("restore wrote outside its directory:\n%s\nwas:\n%s", after, before)
	}
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestoreCancelLeavesNoTornFile(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		files[n] = strings.Repeat(n, 1000)
	}
	writeFiles(t, src, files)
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	for n := range files {
		files[n] = "old " + n
	}
	writeFiles(t, dst, files)
	restoreCanceledAt(t, s, ck.Root, dst, "c")
	names, _ := os.ReadDir(dst)
	if len(names) != 6 {
		t.Fatalf("%d entries left (temporary files?)", len(names))
	}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dst, n.Name()))
		if string(b) != "old "+n.Name() && string(b) != strings.Repeat(n.Name(), 1000) {
			t.Errorf("%s holds %q", n.Name(), b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "c")); string(b) != "old c" {
		t.Errorf("c was renamed into place after the cancel: %q", b)
	}
}

func TestDiffDir(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a", "b": "b", "d/x": "x", "t": "t", "same": "s"})
	ck := checkpointDir(t, s, dir)
	os.Remove(filepath.Join(dir, "t"))
	writeFiles(t, dir, map[string]string{"a": "A", "c": "c", "t/in": "i"})
	os.RemoveAll(filepath.Join(dir, "d"))
	os.Remove(filepath.Join(dir, "b"))
	os.Chtimes(filepath.Join(dir, "same"), later(), later()) // mtime alone is no change
	var got []string
	err := tree.DiffDir(context.Background(), tree.NewReader(s, 0), ck.Root, dir, tree.ImportOptions{Cache: ck.Cache},
		func(c tree.Change) error { got = append(got, c.String()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := "M a|D b|A c|D d|D d/x|T t|A t/in"
	if strings.Join(got, "|") != want {
		t.Fatalf("diff = %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestStatCacheRejectsCorruption(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "a", "d/b": "b"})
	res := checkpointDir(t, s, dir)
	header, recs := res.Cache.Encode(), res.CacheUpdate.Put
	flip := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		return c
	}
	for i := range header {
		if _, err := tree.DecodeStatCache(flip(header, i), nil); err == nil {
			t.Fatalf("flipping header byte %d went unnoticed", i)
		}
	}
	// A corrupt record is ignored: the next import reads that directory's
	// files again, and gets the same tree.
	for i := range recs["d"] {
		bad := map[string][]byte{"": recs[""], "d": flip(recs["d"], i)}
		c, err := tree.DecodeStatCache(header, func(rel string) []byte { return bad[rel] })
		if err != nil {
			t.Fatal(err)
		}
		next := importInto(t, s, dir, tree.ImportOptions{Cache: c, Now: later})
		if next.Root != res.Root || next.Read != 1 {
			t.Fatalf("byte %d of a record flipped: %+v", i, next)
		}
	}
}

// TestRestoreKeepsProtectedDirOverTypeChange: the checkpoint has a file
// where the directory now holds an excluded directory (a git worktree's
// .git file, later a real .git/): restore warns and leaves it alone.
func TestRestoreKeepsProtectedDirOverTypeChange(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{".git": "gitdir: /elsewhere", "a": "a"})
	ck := checkpointDir(t, s, dir)
	os.Remove(filepath.Join(dir, ".git"))
	writeFiles(t, dir, map[string]string{".git/HEAD": "ref: refs/heads/main", "a": "A"})
	ex, _ := tree.NewExcluder([]string{".git/"})
	var warned []string
	restore(t, s, ck.Root, dir, tree.RestoreOptions{Delete: true, Excluder: ex,
		Warn: func(rel string, err error) {
			if errors.Is(err, tree.ErrProtected) {
				warned = append(warned, rel)
			}
		}})
	if b, err := os.ReadFile(filepath.Join(dir, ".git/HEAD")); err != nil || string(b) != "ref: refs/heads/main" {
		t.Fatalf("the protected .git/ was touched: %q %v", b, err)
	}
	if len(warned) != 1 || warned[0] != ".git" {
		t.Fatalf("warnings %v", warned)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "a" {
		t.Fatal("a not restored")
	}
}

// A directory missing from the target is assembled under a temporary name
// and renamed into place when complete: a restore interrupted inside it
// leaves neither the directory nor its temporary name behind.
func TestRestoreCancelInNewDirLeavesNoPartialDir(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"top": "t", "d/e/x": "x", "d/e/y": "y", "d/z": "z"})
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	restoreCanceledAt(t, s, ck.Root, dst, "d/e/y")
	names, _ := os.ReadDir(dst)
	for _, n := range names {
		if n.Name() != "top" {
			t.Errorf("left in the target: %s", n.Name())
		}
	}
}

// Publishing a new directory never replaces what appeared under its name
// while the restore assembled it.
func TestRestoreNewDirNeverReplaces(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"d/x": "x"})
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	tree.SetTestHookBeforeRename(func(rel string) {
		if rel == "d/x" {
			writeFiles(t, dst, map[string]string{"d/mine": "precious"})
		}
	})
	defer tree.SetTestHookBeforeRename(nil)
	_, err := tree.Restore(context.Background(), tree.NewReader(s, 0), ck.Root, dst, tree.RestoreOptions{Delete: true})
	if err == nil {
		t.Fatal("restore replaced a directory that appeared meanwhile")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "d", "mine")); string(b) != "precious" {
		t.Errorf("d/mine = %q", b)
	}
	if got := dirListing(t, dst); strings.Contains(got, tree.TempPrefix) {
		t.Errorf("temporary names left:\n%s", got)
	}
}

// What a crash leaves (a directory under a temporary name) is a path the
// tree lacks: the next restore removes it. New directories keep their
// modes, read-only ones included, and their mtimes.
func TestRestoreRemovesCrashLeftovers(t *testing.T) {
	s := memStore(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"ro/in/x": "x", "ro/y": "y"})
	os.Chmod(filepath.Join(src, "ro"), 0o555)
	defer os.Chmod(filepath.Join(src, "ro"), 0o755)
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	writeFiles(t, dst, map[string]string{tree.TempPrefix + "1-2.tmp/in/x": "half", tree.TempPrefix + "1-3.tmp": "half"})
	restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	defer os.Chmod(filepath.Join(dst, "ro"), 0o755)
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
	}
}

// With a stat cache, a directory whose stat is the recorded one is not
// listed again: its names come from the record. Names the record's walk
// excluded are still looked at when the tree has them, and extras that
// appeared since change the directory's stat, so they are still found.
func TestRestoreUsesCachedNames(t *testing.T) {
	s := memStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"sub/a": "a", "sub/keep/f": "f", "other/b": "b"})
	full := checkpointDir(t, s, dir) // keeps sub/keep
	ex, err := tree.NewExcluder([]string{"keep/"})
	if err != nil {
		t.Fatal(err)
	}
	cached := importInto(t, s, dir, tree.ImportOptions{Now: later, Excluder: ex}) // its record of sub lacks keep
	// Damage what the full checkpoint has, without touching sub's names.
	writeFiles(t, dir, map[string]string{"sub/a": "changed", "sub/keep/f": "changed too"})
	// An extra name in other: its stat no longer matches the record.
	writeFiles(t, dir, map[string]string{"other/extra": "x"})
	res := restore(t, s, full.Root, dir, tree.RestoreOptions{Delete: true, Cache: cached.Cache})
	if res.Written != 2 || res.Removed != 1 {
		t.Errorf("result %+v, want 2 written, 1 removed", res)
	}
	for p, want := range map[string]string{"sub/a": "a", "sub/keep/f": "f", "other/b": "b"} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); string(b) != want {
			t.Errorf("%s = %q, %v", p, b, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "other/extra")); !os.IsNotExist(err) {
		t.Errorf("other/extra survived: %v", err)
	}
}

// Where the filesystem lacks RENAME_NOREPLACE, new directories are still
// published, and still never over a name that appeared meanwhile.
func TestRestoreWithoutRenameNoreplace(t *testing.T) {
	defer tree.WithoutRenameNoreplace()()
	s := memStore(t)
	src := t.TempDir()
	sampleDir(t, src)
	ck := checkpointDir(t, s, src)
	dst := t.TempDir()
	restore(t, s, ck.Root, dst, tree.RestoreOptions{Delete: true})
	if got, want := dirListing(t, dst), dirListing(t, src); got != want {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
	}
	dst = t.TempDir()
	tree.SetTestHookBeforeRename(func(rel string) {
		if rel == "sub/y" {
			writeFiles(t, dst, map[string]string{"sub/mine": "precious"})
		}
	})
	defer tree.SetTestHookBeforeRename(nil)
	if _, err := tree.Restore(context.Background(), tree.NewReader(s, 0), ck.Root, dst, tree.RestoreOptions{Delete: true}); err == nil {
		t.Fatal("restore replaced a directory that appeared meanwhile")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "sub", "mine")); string(b) != "precious" {
		t.Errorf("sub/mine = %q", b)
	}
}

// restoreCanceledAt restores root into dst on one worker, cancelling when
// the file rel has been written (before it is renamed into place), and
// checks that the restore reports the cancellation.
func restoreCanceledAt(t *testing.T, s *pebblestore.Store, root pebblestore.ID, dst, rel string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tree.SetTestHookBeforeRename(func(r string) {
		if r == rel {
			cancel()
		}
	})
	defer tree.SetTestHookBeforeRename(nil)
	_, err := tree.Restore(ctx, tree.NewReader(s, 0), root, dst, tree.RestoreOptions{Delete: true, Workers: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled restore: %v", err)
	}
}
