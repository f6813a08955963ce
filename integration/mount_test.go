package integration

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sourceTree builds a directory with the cases a checkpoint must keep:
// a file over 1 MiB, an empty file, modes, mtimes, nested directories,
// relative, absolute and dangling symlinks, two files with equal content.
func sourceTree(t *testing.T) string {
	t.Helper()
	dir := testtree.New(t, map[string]string{
		"a.txt":           "hello\n",
		"same1":           "identical",
		"same2":           "identical",
		"empty":           "",
		"d/e/deep.txt":    "deep",
		"d/rel":           "->../a.txt",
		"abs":             "->/etc/hostname",
		"dangling":        "->nowhere",
		"emptydir/":       "",
		"name with space": "spaces",
	})
	big := make([]byte, 3<<20+12345)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "d/big.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "a.txt"), 0o755)
	mt := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	os.Chtimes(filepath.Join(dir, "same1"), mt, mt)
	return dir
}

func TestLayout(t *testing.T) {
	m := startMount(t, newStore(t))
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"ctl", "sessions", "stats.json"}) {
		t.Fatalf("root lists %v", names)
	}
	if err := os.Mkdir(m.path("sessions", "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := sourceTree(t)
	id := checkpoint(t, m, "s", src, "message='first one'", "tag=t1", "branch=main")
	short := id[:12]
	for dir, want := range map[string][]string{
		"sessions/s":             {"branches", "checkpoints", "ctl", "diff", "tags"},
		"sessions/s/checkpoints": {short, short + ".json"},
		"sessions/s/branches":    {"main"},
		"sessions/s/tags/t1":     {short},
	} {
		if got := listNames(t, m.path(dir)); !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", dir, got, want)
		}
	}
	if got := listNames(t, m.path("sessions/s/branches/main")); len(got) != 3 || !slices.Contains(got, "HEAD") ||
		!slices.Contains(got, "log") || !slices.Contains(got, short) {
		t.Errorf("branches/main lists %v", got)
	}
	ck := m.path("sessions/s/checkpoints", short)
	// diff -r compares content, symlink targets and the tree shape.
	if out, err := sh(fmt.Sprintf("diff -r --no-dereference %q %q", src, ck)); err != nil {
		t.Fatalf("diff -r: %v\n%s", err, out)
	}
	// Byte-exact reads, large and empty.
	for _, p := range []string{"d/big.bin", "empty", "a.txt", "name with space"} {
		want, _ := os.ReadFile(filepath.Join(src, p))
		got, err := os.ReadFile(filepath.Join(ck, p))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes vs %d, err %v", p, len(got), len(want), err)
		}
	}
	// Recorded mode, size, mtime; directories show the checkpoint's time.
	for _, p := range []string{"a.txt", "d/big.bin", "same1", "empty"} {
		var s1, s2 syscall.Stat_t
		syscall.Lstat(filepath.Join(src, p), &s1)
		syscall.Lstat(filepath.Join(ck, p), &s2)
		if s1.Mode != s2.Mode || s1.Size != s2.Size || s1.Mtim != s2.Mtim {
			t.Errorf("%s: mode %o/%o size %d/%d mtime %v/%v", p, s1.Mode, s2.Mode, s1.Size, s2.Size, s1.Mtim, s2.Mtim)
		}
	}
	info, _ := os.Stat(filepath.Join(ck, "d"))
	ckTime, _ := getxattr(ck, "user.ckptfs.time")
	if want, _ := time.Parse(time.RFC3339Nano, ckTime); !info.ModTime().Equal(want) {
		t.Errorf("dir mtime %v, checkpoint time %v", info.ModTime(), want)
	}
	// Symlinks.
	for p, want := range map[string]string{"d/rel": "../a.txt", "abs": "/etc/hostname", "dangling": "nowhere"} {
		if got, err := os.Readlink(filepath.Join(ck, p)); err != nil || got != want {
			t.Errorf("readlink %s = %q %v", p, got, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ck, "d/rel")); string(b) != "hello\n" {
		t.Errorf("through relative symlink: %q", b)
	}
	// Distinct inode numbers, equal content included.
	var i1, i2 syscall.Stat_t
	syscall.Stat(filepath.Join(ck, "same1"), &i1)
	syscall.Stat(filepath.Join(ck, "same2"), &i2)
	if i1.Ino == i2.Ino {
		t.Error("files with equal content share an inode number")
	}
	// Xattrs on the root.
	want := map[string]string{"user.ckptfs.id": id, "user.ckptfs.parents": "", "user.ckptfs.branch": "main",
		"user.ckptfs.message": "first one"}
	for k, v := range want {
		if got, err := getxattr(ck, k); err != nil || got != v {
			t.Errorf("xattr %s = %q %v, want %q", k, got, err, v)
		}
	}
	buf := make([]byte, 1024)
	n, err := syscall.Listxattr(ck, buf)
	if err != nil || strings.Count(string(buf[:n]), "user.ckptfs.") != 5 {
		t.Errorf("listxattr = %q %v", buf[:n], err)
	}
	if _, err := getxattr(ck, "user.other"); errnoOf(err) != syscall.ENODATA {
		t.Errorf("unknown xattr: %v", err)
	}
	// HEAD, log, tags, ID.json, stats.json.
	if tgt, _ := os.Readlink(m.path("sessions/s/branches/main/HEAD")); tgt != id {
		t.Errorf("HEAD -> %q", tgt)
	}
	if b, _ := os.ReadFile(m.path("sessions/s/branches/main/HEAD/a.txt")); string(b) != "hello\n" {
		t.Errorf("through HEAD: %q", b)
	}
	if b, _ := os.ReadFile(m.path("sessions/s/branches/main/log")); !strings.HasPrefix(string(b), short+" ") || !strings.HasSuffix(string(b), " first one\n") {
		t.Errorf("log = %q", b)
	}
	if tgt, _ := os.Readlink(m.path("sessions/s/tags/t1", short)); tgt != "../../checkpoints/"+id {
		t.Errorf("tag link -> %q", tgt)
	}
	if b, _ := os.ReadFile(m.path("sessions/s/tags/t1", short, "a.txt")); string(b) != "hello\n" {
		t.Errorf("through tag link: %q", b)
	}
	js, _ := os.ReadFile(m.path("sessions/s/checkpoints", short+".json"))
	st, _ := os.Stat(m.path("sessions/s/checkpoints", short+".json"))
	if !bytes.Contains(js, []byte(`"id": "`+id)) || st.Size() != int64(len(js)) {
		t.Errorf("ID.json (size %d) = %s", st.Size(), js)
	}
	stats, _ := os.ReadFile(m.path("stats.json"))
	if !bytes.Contains(stats, []byte(`"checkpoints": 1`)) {
		t.Errorf("stats.json = %s", stats)
	}
	// df shows real figures.
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(m.dir, &sfs); err != nil || sfs.Blocks == 0 || sfs.Bfree == 0 || sfs.Blocks <= sfs.Bfree {
		t.Errorf("statfs = %+v %v", sfs, err)
	}
}

func getxattr(path, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := syscall.Getxattr(path, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func TestReadOnly(t *testing.T) {
	m := startMount(t, newStore(t))
	os.Mkdir(m.path("sessions", "s"), 0o755)
	id := checkpoint(t, m, "s", testtree.New(t, map[string]string{"f": "x", "d/g": "y"}))
	ck := m.path("sessions/s/checkpoints", id[:12])
	f := filepath.Join(ck, "f")
	ops := map[string]func() error{
		"open for writing": func() error { _, err := os.OpenFile(f, os.O_WRONLY, 0); return err },
		"open O_TRUNC":     func() error { _, err := os.OpenFile(f, os.O_RDONLY|os.O_TRUNC, 0); return err },
		"create":           func() error { _, err := os.Create(filepath.Join(ck, "new")); return err },
		"unlink":           func() error { return os.Remove(f) },
		"rename":           func() error { return os.Rename(f, filepath.Join(ck, "g")) },
		"mkdir":            func() error { return os.Mkdir(filepath.Join(ck, "x"), 0o755) },
		"rmdir":            func() error { return syscall.Rmdir(filepath.Join(ck, "d")) },
		"chmod":            func() error { return os.Chmod(f, 0o777) },
		"truncate":         func() error { return os.Truncate(f, 0) },
		"utimes":           func() error { return os.Chtimes(f, time.Now(), time.Now()) },
		"symlink":          func() error { return os.Symlink("x", filepath.Join(ck, "l")) },
		"link":             func() error { return os.Link(f, filepath.Join(ck, "h")) },
		"setxattr":         func() error { return syscall.Setxattr(f, "user.x", []byte("1"), 0) },
		"removexattr":      func() error { return syscall.Removexattr(ck, "user.ckptfs.id") },
		"access W_OK":      func() error { return syscall.Access(f, 2) },
		"write stats.json": func() error { return os.WriteFile(m.path("stats.json"), []byte("x"), 0o644) },
		"rm stats.json":    func() error { return os.Remove(m.path("stats.json")) },
		"create in root":   func() error { _, err := os.Create(m.path("x")); return err },
		"mkdir in branches": func() error {
			return os.Mkdir(m.path("sessions/s/branches/new"), 0o755)
		},
		"rmdir a checkpoint": func() error { return syscall.Rmdir(ck) },
		"write the log": func() error {
			_, err := os.OpenFile(m.path("sessions/s/branches/main/log"), os.O_WRONLY, 0)
			return err
		},
		"unlink ctl": func() error { return os.Remove(m.path("sessions/s/ctl")) },
	}
	for name, op := range ops {
		if err := op(); errnoOf(err) != syscall.EROFS {
			t.Errorf("%s: %v, want EROFS", name, err)
		}
	}
	if b, _ := os.ReadFile(f); string(b) != "x" {
		t.Fatalf("content changed: %q", b)
	}
}

// TestControlErrnos checks each errno of SPEC §3 that a command can get
// today (EBUSY belongs to merge; EIO and ENOSPC need a failing disk), and
// that a failing command changes nothing.
func TestControlErrnos(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "x"})
	id := checkpoint(t, m, "s", src)
	sctl := m.path("sessions/s/ctl")
	cases := []struct {
		file, line string
		want       syscall.Errno
	}{
		{sctl, "chekpoint from=" + src, syscall.EINVAL},                 // unknown verb
		{sctl, "checkpoint from=" + src + " color=red", syscall.EINVAL}, // unknown key
		{sctl, "checkpoint from='" + src, syscall.EINVAL},               // unbalanced quote
		{sctl, `checkpoint from="` + src, syscall.EINVAL},               // unbalanced quote
		{sctl, "checkpoint from=relative/dir", syscall.EINVAL},          // relative path
		{sctl, "checkpoint", syscall.EINVAL},                            // missing from=
		{sctl, "checkpoint from=" + src + " exclude=[", syscall.EINVAL}, // bad pattern
		{sctl, "checkpoint from=" + src + " branch=bad/name", syscall.EINVAL},
		{sctl, "checkpoint from=" + src + " time=noon", syscall.EINVAL},
		{sctl, "checkpoint from=/does/not/exist", syscall.ENOENT},
		{sctl, "tag deadbeef t", syscall.ENOENT},
		{sctl, "delete " + id[:8] + " deadbeef", syscall.ENOENT},
		{sctl, "branch main", syscall.EEXIST},
		{m.path("ctl"), "session s", syscall.EEXIST},
		{m.path("ctl"), "session bad/name", syscall.EINVAL},
		{sctl, "tag " + id[:8] + " 'two words'", syscall.EINVAL},
		{sctl, "checkpoint from=/a\x00b", syscall.EINVAL}, // NUL byte
		{sctl, "merge nosuchbranch", syscall.ENOENT},
		{sctl, "merge main strategy=best", syscall.EINVAL},
	}
	for _, c := range cases {
		res, errno := ctl(t, c.file, c.line)
		if errno != c.want || !strings.HasPrefix(res, "error: ") {
			t.Errorf("%q: %q errno %v, want %v", c.line, res, errno, c.want)
		}
	}
	// The shell sees the errno.
	out, err := sh("echo 'bogus' > " + sctl)
	if err == nil || !strings.Contains(out, "Invalid argument") {
		t.Errorf("echo bogus > ctl: %v %s", err, out)
	}
	out, err = sh("echo 'tag ffff x' > " + sctl + "; cat " + sctl)
	if !strings.Contains(out, "No such file or directory") || !strings.Contains(out, "error: no checkpoint ffff") {
		t.Errorf("echo tag ffff > ctl: %v %s", err, out)
	}
	// Nothing changed.
	if got := listNames(t, m.path("sessions/s/checkpoints")); len(got) != 2 {
		t.Errorf("checkpoints after failures: %v", got)
	}
	if got := listNames(t, m.path("sessions/s/branches")); !slices.Equal(got, []string{"main"}) {
		t.Errorf("branches after failures: %v", got)
	}
	if got := listNames(t, m.path("sessions/s/tags")); len(got) != 0 {
		t.Errorf("tags after failures: %v", got)
	}
	// Unknown session: its ctl does not exist.
	if _, err := os.Stat(m.path("sessions/nope/ctl")); errnoOf(err) != syscall.ENOENT {
		t.Errorf("sessions/nope/ctl: %v", err)
	}
}

func listNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestBadInput: a 1 MiB line, NUL bytes, malformed lines, invalid names
// via mkdir, comments and blank lines.
func TestBadInput(t *testing.T) {
	m := startMount(t, newStore(t))
	sessions := m.path("sessions")
	for _, name := range []string{"a b", ".hidden", "-x", strings.Repeat("n", 129), "a:b", "é"} {
		if err := os.Mkdir(filepath.Join(sessions, name), 0o755); errnoOf(err) != syscall.EINVAL {
			t.Errorf("mkdir sessions/%q: %v, want EINVAL", name, err)
		}
	}
	if err := os.Mkdir(filepath.Join(sessions, "ok_name-1.2+x@y"), 0o755); err != nil {
		t.Fatalf("valid name: %v", err)
	}
	if err := os.Mkdir(filepath.Join(sessions, "ok_name-1.2+x@y"), 0o755); errnoOf(err) != syscall.EEXIST {
		t.Errorf("mkdir existing: %v", err)
	}
	sctl := m.path("sessions/ok_name-1.2+x@y/ctl")
	// A line over 1 MiB, written in pieces: EINVAL, then the handle works.
	f, err := os.OpenFile(sctl, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	long := []byte("checkpoint from=/ message=" + strings.Repeat("m", 1<<20) + "\n")
	var werr error
	for off := 0; off < len(long) && werr == nil; off += 256 << 10 {
		_, werr = f.Write(long[off:min(off+256<<10, len(long))])
	}
	if errnoOf(werr) != syscall.EINVAL {
		t.Errorf("1 MiB line: %v", werr)
	}
	if _, err := f.Write([]byte("# a comment\n\n   \nbranch x\n")); errnoOf(err) != syscall.ENOENT {
		// "branch x" needs a head of main, which does not exist yet.
		t.Errorf("after long line: %v", err)
	}
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	if res := string(buf[:n]); !strings.Contains(res, "error: line too long") || strings.Count(res, "\n") != 2 {
		t.Errorf("results = %q", res)
	}
	// NUL bytes in a write.
	if _, errno := ctl(t, sctl, "tag\x00x y"); errno != syscall.EINVAL {
		t.Errorf("NUL: %v", errno)
	}
	// A final line without newline runs on close.
	src := testtree.New(t, map[string]string{"f": "x"})
	if out, err := sh(fmt.Sprintf("printf 'checkpoint from=%s' > %q && cat %q", src, sctl, sctl)); err != nil || !strings.HasPrefix(out, "ok ") {
		t.Errorf("line without newline: %v %q", err, out)
	}
}

// TestExecProtocol: the two usages of SPEC §3 from bash.
func TestExecProtocol(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "x"})
	sctl := m.path("sessions/s/ctl")
	out := mustSh(t, fmt.Sprintf(`exec 3<>%[1]q
echo "checkpoint from=%[2]s message=one" >&3; read r1 <&3
echo "checkpoint from=%[2]s if-changed=yes" >&3; read r2 <&3
echo "tag nothing x" >&3 || echo "rc=$?"; read r3 <&3
echo "branch b" >&3; echo "branch c" >&3; read r4 <&3; read r5 <&3
exec 3>&-
echo "[$r1][$r2][$r3][$r4][$r5]"
echo "checkpoint from=%[2]s" > %[1]q; echo "fresh=[$(cat %[1]q)]"`, sctl, src))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	got := lines[len(lines)-2]
	f := strings.FieldsFunc(got, func(r rune) bool { return r == '[' || r == ']' })
	if len(f) != 5 || !strings.HasPrefix(f[0], "ok ") || f[1] != "unchanged "+strings.TrimPrefix(f[0], "ok ") ||
		!strings.HasPrefix(f[2], "error: ") || !strings.HasPrefix(f[3], "ok b ") || !strings.HasPrefix(f[4], "ok c ") {
		t.Fatalf("exec protocol: %q", out)
	}
	if !strings.Contains(out, "rc=1") || !strings.HasPrefix(lines[len(lines)-1], "fresh=[ok ") {
		t.Fatalf("exec protocol: %q", out)
	}
}

// sharedPrefix returns a prefix of n digits that two of ids share, or "".
func sharedPrefix(ids []string, n int) string {
	seen := map[string]string{}
	for _, id := range ids {
		if other, ok := seen[id[:n]]; ok && other != id {
			return id[:n]
		}
		seen[id[:n]] = id
	}
	return ""
}

func TestPrefixLookups(t *testing.T) {
	store := newStore(t)
	// Some ids must share 4 hex digits: 600 random ids do with
	// probability 0.94, so add more until they do.
	ids := populate(t, store, "s", 600, nil)
	amb := sharedPrefix(ids, 4)
	for try := 0; amb == "" && try < 10; try++ {
		ids = append(ids, populate(t, store, "s", 300, nil)...)
		amb = sharedPrefix(ids, 4)
	}
	if amb == "" {
		t.Fatal("no two of the ids share 4 digits")
	}
	m := startMount(t, store)
	cps := m.path("sessions/s/checkpoints")
	id := ids[0]
	for _, n := range []int{6, 12, 20, 64} {
		if _, err := os.Stat(filepath.Join(cps, id[:n])); err != nil {
			t.Errorf("prefix of %d: %v", n, err)
		}
		if _, err := os.Stat(filepath.Join(cps, id[:n]+".json")); err != nil {
			t.Errorf("json by prefix of %d: %v", n, err)
		}
	}
	for name, want := range map[string]syscall.Errno{"abc": syscall.ENOENT, "ABCD": syscall.ENOENT,
		"not-an-id": syscall.ENOENT, id[:20] + "x": syscall.ENOENT} {
		if _, err := os.Stat(filepath.Join(cps, name)); errnoOf(err) != want {
			t.Errorf("%q: %v, want %v", name, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(cps, amb)); errnoOf(err) != syscall.EINVAL {
		t.Errorf("ambiguous prefix %s: %v, want EINVAL", amb, err)
	}
	if res, errno := ctl(t, m.path("sessions/s/ctl"), "tag "+amb+" t"); errno != syscall.EINVAL || !strings.Contains(res, "ambiguous") {
		t.Errorf("ambiguous prefix in a command: %q %v", res, errno)
	}
	// A deleted checkpoint disappears even under a cached prefix.
	p := filepath.Join(cps, ids[1][:10])
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, m.path("sessions/s/ctl"), "delete "+ids[1])
	if _, err := os.Stat(p); errnoOf(err) != syscall.ENOENT {
		t.Errorf("deleted checkpoint by cached prefix: %v", err)
	}
	// Listing names are unique prefixes of at least 12 digits.
	names := listNames(t, m.path("sessions/s/branches/main"))
	if want := len(ids) - 1 + 2; len(names) != want { // all but the deleted one, HEAD, log
		t.Fatalf("branch lists %d, want %d", len(names), want)
	}
	for _, n := range names {
		if n != "HEAD" && n != "log" && len(n) < 12 {
			t.Fatalf("short name %q", n)
		}
	}
}

// TestVisibility: changes made by another process show in the next ls and
// cat, with no remount, including names the kernel has cached.
func TestVisibility(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "v1"})
	id1 := checkpoint(t, m, "s", src, "tag=keep")
	cps, mainDir := m.path("sessions/s/checkpoints"), m.path("sessions/s/branches/main")
	before := listNames(t, cps)
	logBefore, _ := os.ReadFile(filepath.Join(mainDir, "log"))
	os.Readlink(filepath.Join(mainDir, "HEAD"))
	os.Stat(m.path("sessions/s/branches/feature"))    // a failed lookup
	os.Stat(m.path("sessions/s/tags/keep", id1[:12])) // cached tag link

	os.WriteFile(filepath.Join(src, "f"), []byte("v2"), 0o644)
	// Another process: a shell writing the control file.
	out := mustSh(t, fmt.Sprintf("echo 'checkpoint from=%s branch=feature' > %s; echo 'checkpoint from=%s' > %s; cat %s",
		src, m.path("sessions/s/ctl"), src, m.path("sessions/s/ctl"), m.path("sessions/s/ctl")))
	id2 := strings.TrimSpace(strings.TrimPrefix(out, "ok ")) // the last result: main's
	if after := listNames(t, cps); len(after) != len(before)+4 {
		t.Errorf("checkpoints/ before %v after %v", before, after)
	}
	if tgt, _ := os.Readlink(filepath.Join(mainDir, "HEAD")); tgt != id2 {
		t.Errorf("HEAD -> %s, want %s", tgt, id2)
	}
	if b, _ := os.ReadFile(filepath.Join(mainDir, "HEAD/f")); string(b) != "v2" {
		t.Errorf("HEAD/f = %q", b)
	}
	if logAfter, _ := os.ReadFile(filepath.Join(mainDir, "log")); len(bytes.Split(logAfter, []byte("\n"))) != len(bytes.Split(logBefore, []byte("\n")))+1 {
		t.Errorf("log before %q after %q", logBefore, logAfter)
	}
	if _, err := os.Stat(m.path("sessions/s/branches/feature")); err != nil {
		t.Errorf("new branch: %v", err)
	}
	// Through the CLI and the control socket.
	stdout, stderr, err := cli(m.store, "checkpoint", "--session", "s", "--tag", "cli", src)
	if err != nil {
		t.Fatalf("ckptfs checkpoint while mounted: %v %s", err, stderr)
	}
	id3 := strings.TrimSpace(stdout)
	if _, err := os.Stat(filepath.Join(cps, id3[:12])); err != nil {
		t.Errorf("checkpoint made through the socket: %v", err)
	}
	if got := listNames(t, m.path("sessions/s/tags")); !slices.Equal(got, []string{"cli", "keep"}) {
		t.Errorf("tags = %v", got)
	}
	// Untag and delete through the control file: cached names go.
	mustCtl(t, m.path("sessions/s/ctl"), "untag "+id1[:12]+" keep")
	if _, err := os.Stat(m.path("sessions/s/tags/keep")); errnoOf(err) != syscall.ENOENT {
		t.Errorf("tags/keep after untag: %v", err)
	}
	mustCtl(t, m.path("sessions/s/ctl"), "delete "+id1[:12])
	if _, err := os.Stat(filepath.Join(cps, id1[:12])); errnoOf(err) != syscall.ENOENT {
		t.Errorf("deleted checkpoint still visible: %v", err)
	}
	if _, err := os.Stat(filepath.Join(mainDir, id1[:12])); errnoOf(err) != syscall.ENOENT {
		t.Errorf("deleted checkpoint still in the branch: %v", err)
	}
	// Delete through the CLI: the branch loses its only checkpoint.
	featureHead, _ := os.Readlink(m.path("sessions/s/branches/feature/HEAD"))
	if _, stderr, err := cli(m.store, "delete", "--session", "s", featureHead); err != nil {
		t.Fatalf("ckptfs delete: %v %s", err, stderr)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(m.path("sessions/s/branches/feature"))
		return errnoOf(err) == syscall.ENOENT
	}, "branch feature to disappear after its only checkpoint was deleted")
}

// waitFor polls cond for up to 2 s (changes made through the control
// socket are invalidated asynchronously, within milliseconds).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Errorf("timed out waiting for %s", what)
}

// TestCorruptionEIO: a damaged object reads as EIO (never as wrong bytes),
// and the rest of the checkpoint stays readable.
func TestCorruptionEIO(t *testing.T) {
	store := newStore(t)
	src := testtree.New(t, map[string]string{"bad": strings.Repeat("damaged ", 1000), "good": "fine"})
	id := corruptFile(t, store, "s", src, "bad")
	m := startMount(t, store)
	ck := m.path("sessions/s/checkpoints", id[:12])
	if _, err := os.ReadFile(filepath.Join(ck, "bad")); errnoOf(err) != syscall.EIO {
		t.Errorf("reading a corrupt file: %v, want EIO", err)
	}
	if b, err := os.ReadFile(filepath.Join(ck, "good")); err != nil || string(b) != "fine" {
		t.Errorf("good file: %q %v", b, err)
	}
}

// TestXattrNamespaces: names outside user.* are not supported (ENOTSUP,
// which lets ls -l stop asking for ACLs and SELinux labels); unknown
// user.* names are ENODATA.
func TestXattrNamespaces(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	id := checkpoint(t, m, "s", testtree.New(t, map[string]string{"f": "x"}))
	for _, p := range []string{m.path("sessions", "s", "checkpoints", id), m.path("sessions", "s", "checkpoints", id, "f"), m.path("ctl")} {
		if _, err := getxattr(p, "security.selinux"); errnoOf(err) != syscall.ENOTSUP {
			t.Errorf("%s: security.selinux: %v, want ENOTSUP", p, err)
		}
		if _, err := getxattr(p, "system.posix_acl_access"); errnoOf(err) != syscall.ENOTSUP {
			t.Errorf("%s: system.posix_acl_access: %v, want ENOTSUP", p, err)
		}
		if _, err := getxattr(p, "user.nothing"); errnoOf(err) != syscall.ENODATA {
			t.Errorf("%s: user.nothing: %v, want ENODATA", p, err)
		}
	}
	if v, err := getxattr(m.path("sessions", "s", "checkpoints", id), "user.ckptfs.id"); err != nil || v != id {
		t.Fatalf("user.ckptfs.id = %q, %v", v, err)
	}
}

// TestBranchHeadMoveInvalidates: a checkpoint reachable under branches/B
// only as B's head disappears from there once B moves on, even if the
// kernel cached it.
func TestBranchHeadMoveInvalidates(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "one"})
	id1 := checkpoint(t, m, "s", src)
	mustCtl(t, m.path("sessions", "s", "ctl"), "branch b")
	old := m.path("sessions", "s", "branches", "b", id1[:12])
	if _, err := os.Stat(old); err != nil { // now in the kernel's cache
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "f"), []byte("two"), 0o644)
	checkpoint(t, m, "s", src, "branch=b")
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("stat %s after b moved on: %v, want ENOENT", old, err)
	}
}
