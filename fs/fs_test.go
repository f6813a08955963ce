package fusefs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func TestLayout(t *testing.T) {
	tf := newTestFS(t, Options{})
	if got := tf.names("sessions"); len(got) != 0 {
		t.Fatalf("sessions = %v", got)
	}
	if res, errno := tf.ctl("ctl", "session s1"); errno != 0 || res != "ok s1" {
		t.Fatalf("session: %q %v", res, errno)
	}
	if got := tf.names("sessions/s1"); !slices.Equal(got, sessionNames) {
		t.Fatalf("session dir = %v", got)
	}
	src := testtree.New(t, map[string]string{"a.txt": "hello", "d/b": "bee", "l": "->a.txt", "empty": ""})
	res, errno := tf.ctl("sessions/s1/ctl", "checkpoint from="+src+" message='m 1' tag=t1")
	if errno != 0 || !strings.HasPrefix(res, "ok ") {
		t.Fatalf("checkpoint: %q %v", res, errno)
	}
	id := strings.TrimPrefix(res, "ok ")
	short := id[:12]
	if got := tf.names("sessions/s1/checkpoints"); !slices.Equal(got, []string{short, short + ".json"}) {
		t.Fatalf("checkpoints = %v", got)
	}
	if got := tf.names("sessions/s1/branches/main"); !slices.Equal(got, []string{"HEAD", "log", short}) {
		t.Fatalf("branch = %v", got)
	}
	if got := tf.names("sessions/s1/checkpoints/" + short); !slices.Equal(got, []string{"a.txt", "d", "empty", "l"}) {
		t.Fatalf("root = %v", got)
	}
	if b, errno := tf.readFile("sessions/s1/checkpoints/" + id[:6] + "/d/b"); errno != 0 || string(b) != "bee" {
		t.Fatalf("read d/b = %q %v", b, errno)
	}
	if b, errno := tf.readFile("sessions/s1/branches/main/" + id + "/empty"); errno != 0 || len(b) != 0 {
		t.Fatalf("read empty = %q %v", b, errno)
	}
	l, _ := tf.mustLookup("sessions/s1/checkpoints/" + short + "/l")
	if tgt, _ := l.Operations().(gofs.NodeReadlinker).Readlink(bg); string(tgt) != "a.txt" {
		t.Fatalf("symlink = %q", tgt)
	}
	head, _ := tf.mustLookup("sessions/s1/branches/main/HEAD")
	if tgt, _ := head.Operations().(gofs.NodeReadlinker).Readlink(bg); string(tgt) != id {
		t.Fatalf("HEAD = %q", tgt)
	}
	logb, _ := tf.readFile("sessions/s1/branches/main/log")
	if !strings.HasPrefix(string(logb), short+" ") || !strings.HasSuffix(string(logb), " m 1\n") {
		t.Fatalf("log = %q", logb)
	}
	tl, _ := tf.mustLookup("sessions/s1/tags/t1/" + short)
	if tgt, _ := tl.Operations().(gofs.NodeReadlinker).Readlink(bg); string(tgt) != "../../checkpoints/"+id {
		t.Fatalf("tag link = %q", tgt)
	}
	js, _ := tf.readFile("sessions/s1/checkpoints/" + short + ".json")
	if !bytes.Contains(js, []byte(`"id": "`+id+`"`)) || !bytes.Contains(js, []byte(`"tags": [`)) {
		t.Fatalf("json = %s", js)
	}
	// Attributes: recorded size and mode; the root carries the xattrs.
	_, out := tf.mustLookup("sessions/s1/checkpoints/" + short + "/a.txt")
	if out.Attr.Size != 5 || out.Attr.Mode != syscall.S_IFREG|0o644 || out.EntryValid == 0 {
		t.Fatalf("a.txt attr = %+v", out.Attr)
	}
	root, _ := tf.mustLookup("sessions/s1/checkpoints/" + short)
	buf := make([]byte, 100)
	n, errno := root.Operations().(gofs.NodeGetxattrer).Getxattr(bg, "user.ckptfs.message", buf)
	if errno != 0 || string(buf[:n]) != "m 1" {
		t.Fatalf("xattr = %q %v", buf[:n], errno)
	}
	if n, errno := root.Operations().(gofs.NodeGetxattrer).Getxattr(bg, "user.ckptfs.id", nil); errno != syscall.ERANGE || n != 64 {
		t.Fatalf("xattr size query = %d %v", n, errno)
	}
}

func TestReadOnly(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	res, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+testtree.New(t, map[string]string{"f": "x", "d/": ""}))
	ck := "sessions/s/checkpoints/" + strings.TrimPrefix(res, "ok ")[:12]
	dir, _ := tf.mustLookup(ck)
	file, _ := tf.mustLookup(ck + "/f")
	d := dir.Operations()
	var out fuse.EntryOut
	checks := map[string]syscall.Errno{}
	_, checks["mkdir"] = d.(gofs.NodeMkdirer).Mkdir(bg, "x", 0o755, &out)
	checks["rmdir"] = d.(gofs.NodeRmdirer).Rmdir(bg, "d")
	checks["unlink"] = d.(gofs.NodeUnlinker).Unlink(bg, "f")
	_, _, _, checks["create"] = d.(gofs.NodeCreater).Create(bg, "n", 0, 0o644, &out)
	_, checks["symlink"] = d.(gofs.NodeSymlinker).Symlink(bg, "t", "n", &out)
	checks["rename"] = d.(gofs.NodeRenamer).Rename(bg, "f", d, "g", 0)
	_, checks["mknod"] = d.(gofs.NodeMknoder).Mknod(bg, "n", 0, 0, &out)
	checks["setattr"] = file.Operations().(gofs.NodeSetattrer).Setattr(bg, nil, &fuse.SetAttrIn{}, &fuse.AttrOut{})
	checks["setxattr"] = file.Operations().(gofs.NodeSetxattrer).Setxattr(bg, "user.x", nil, 0)
	_, _, checks["open-write"] = file.Operations().(gofs.NodeOpener).Open(bg, syscall.O_WRONLY)
	_, _, checks["open-trunc"] = file.Operations().(gofs.NodeOpener).Open(bg, syscall.O_RDONLY|syscall.O_TRUNC)
	checks["access-w"] = file.Operations().(gofs.NodeAccesser).Access(bg, 2)
	// Skeleton directories are read-only too; sessions/ is not.
	br, _ := tf.mustLookup("sessions/s/branches")
	_, checks["mkdir-branches"] = br.Operations().(gofs.NodeMkdirer).Mkdir(bg, "b", 0o755, &out)
	checks["unlink-ctl"] = tf.f.root.Unlink(bg, "ctl")
	for op, errno := range checks {
		if errno != syscall.EROFS {
			t.Errorf("%s: errno %v, want EROFS", op, errno)
		}
	}
}

func TestSessionsMkdirRmdir(t *testing.T) {
	tf := newTestFS(t, Options{})
	ss, _ := tf.mustLookup("sessions")
	d := ss.Operations().(*sessionsDir)
	var out fuse.EntryOut
	if _, errno := d.Mkdir(bg, "new", 0o755, &out); errno != 0 || out.Attr.Mode&syscall.S_IFDIR == 0 {
		t.Fatalf("mkdir: %v", errno)
	}
	for name, want := range map[string]syscall.Errno{"new": syscall.EEXIST, "a b": syscall.EINVAL, ".x": syscall.EINVAL,
		"-x": syscall.EINVAL, strings.Repeat("x", 129): syscall.EINVAL, "a\\b": syscall.EINVAL} {
		if _, errno := d.Mkdir(bg, name, 0o755, &out); errno != want {
			t.Errorf("mkdir %q: %v, want %v", name, errno, want)
		}
	}
	tf.ctl("sessions/new/ctl", "checkpoint from="+testtree.New(t, map[string]string{"f": "x"}))
	if errno := d.Rmdir(bg, "new"); errno != syscall.ENOTEMPTY {
		t.Fatalf("rmdir non-empty: %v", errno)
	}
	if errno := d.Rmdir(bg, "nope"); errno != syscall.ENOENT {
		t.Fatalf("rmdir missing: %v", errno)
	}
	d.Mkdir(bg, "empty", 0o755, &out)
	if errno := d.Rmdir(bg, "empty"); errno != 0 {
		t.Fatalf("rmdir: %v", errno)
	}
	if got := tf.names("sessions"); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("sessions = %v", got)
	}
}

func TestControlErrors(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	src := testtree.New(t, map[string]string{"f": "x"})
	res, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+src)
	id := strings.TrimPrefix(res, "ok ")
	cases := []struct {
		file, line string
		want       syscall.Errno
		prefix     string
	}{
		{"ctl", "session s", syscall.EEXIST, "error: "},
		{"ctl", "session 'a b'", syscall.EINVAL, "error: invalid name"},
		{"ctl", "gc keep-last=x", syscall.EINVAL, "error: "},
		{"ctl", "gc keep-within=3x", syscall.EINVAL, "error: "},
		{"ctl", "gc session=nobody", syscall.ENOENT, "error: "},
		{"ctl", "gc dry-run=maybe", syscall.EINVAL, "error: "},
		{"ctl", "checkpoint from=/", syscall.EINVAL, `error: unknown verb "checkpoint"`},
		{"sessions/s/ctl", "bogus x", syscall.EINVAL, `error: unknown verb "bogus"`},
		{"sessions/s/ctl", "checkpoint from=" + src + " colour=red", syscall.EINVAL, `error: unknown key "colour"`},
		{"sessions/s/ctl", "checkpoint from='" + src, syscall.EINVAL, "error: unterminated single quote"},
		{"sessions/s/ctl", "checkpoint from=rel/dir", syscall.EINVAL, "error: invalid argument: from=rel/dir is not an absolute path"},
		{"sessions/s/ctl", "checkpoint from=", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "checkpoint message=x", syscall.EINVAL, "error: checkpoint needs from=PATH"},
		{"sessions/s/ctl", "checkpoint from=/nonexistent/x", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "checkpoint from=" + src + "/f", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "checkpoint from=" + src + " exclude=[", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "restore " + id[:8], syscall.EINVAL, "error: restore needs to=PATH"},
		{"sessions/s/ctl", "restore " + id[:8] + " to=rel", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "restore ffff to=/tmp/x", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "restore " + id[:8] + " to=/tmp/x delete=maybe", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "checkpoint from=" + src + " time=yesterday", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "checkpoint from=" + src + " branch=a/b", syscall.EINVAL, "error: invalid name"},
		{"sessions/s/ctl", "checkpoint from=" + src + " parent=ffffff", syscall.ENOENT, "error: parent=ffffff"},
		{"sessions/s/ctl", "checkpoint from=" + src + " parent=xyz", syscall.EINVAL, "error: parent=xyz"},
		{"sessions/s/ctl", "checkpoint from=" + src + " tag=bad/tag", syscall.EINVAL, "error: invalid name"},
		{"sessions/s/ctl", "checkpoint from=" + src + " if-changed=true", syscall.EINVAL, "error: invalid if-changed"},
		{"sessions/s/ctl", "branch main", syscall.EEXIST, "error: "},
		{"sessions/s/ctl", "branch x from=nothing", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "branch x from=ffff", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "tag ffff t", syscall.ENOENT, "error: no checkpoint ffff"},
		{"sessions/s/ctl", "tag " + id[:8] + " 'a b'", syscall.EINVAL, "error: invalid name"},
		{"sessions/s/ctl", "delete " + id[:8] + " ffff", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "merge nothing", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "merge main strategy=best", syscall.EINVAL, "error: "},
		{"sessions/s/ctl", "merge main into=nobranch", syscall.ENOENT, "error: "},
		{"sessions/s/ctl", "checkpoint from=/a\x00b", syscall.EINVAL, "error: NUL byte"},
		{"sessions/s/ctl", "tag abc t", syscall.EINVAL, "error: invalid id"},
	}
	for _, c := range cases {
		res, errno := tf.ctl(c.file, c.line)
		if errno != c.want || !strings.HasPrefix(res, c.prefix) {
			t.Errorf("%s: %q → %q %v, want %q… %v", c.file, c.line, res, errno, c.prefix, c.want)
		}
	}
	// Nothing changed: one checkpoint, one branch, no tags.
	list, _ := tf.st.List(bg, ckptfs.ListOptions{Session: "s"})
	br, _ := tf.st.Branches(bg, "s")
	tags, _ := tf.st.Tags(bg, "s")
	if len(list) != 1 || len(br) != 1 || len(tags) != 0 {
		t.Fatalf("after failures: %d checkpoints, %d branches, tags %v", len(list), len(br), tags)
	}
}

func TestControlVerbs(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	src := testtree.New(t, map[string]string{"f": "x"})
	res, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+src+" time=2020-01-02T03:04:05Z meta.tool=bash meta.k='v w' tag=a tag=b")
	id1 := strings.TrimPrefix(res, "ok ")
	in, err := tf.st.Info(bg, mustID(t, id1))
	if err != nil || in.Time.Year() != 2020 || in.Meta["k"] != "v w" || !slices.Equal(in.Tags, []string{"a", "b"}) {
		t.Fatalf("info = %+v %v", in, err)
	}
	if res, errno := tf.ctl("sessions/s/ctl", "checkpoint from="+src+" if-changed=yes"); errno != 0 || res != "unchanged "+id1 {
		t.Fatalf("if-changed: %q %v", res, errno)
	}
	res, _ = tf.ctl("sessions/s/ctl", "checkpoint from="+src+" branch=feat parent=none")
	id2 := strings.TrimPrefix(res, "ok ")
	if res, errno := tf.ctl("sessions/s/ctl", "branch b2 from=feat"); errno != 0 || res != "ok b2 "+id2 {
		t.Fatalf("branch: %q %v", res, errno)
	}
	if res, errno := tf.ctl("sessions/s/ctl", "untag "+id1[:5]+" a"); errno != 0 || res != "ok" {
		t.Fatalf("untag: %q %v", res, errno)
	}
	if got := tf.names("sessions/s/tags"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("tags = %v", got)
	}
	// b2's head was recorded on feat: branches/b2 lists it not, but HEAD
	// resolves.
	if _, _, errno := tf.lookup("sessions/s/branches/b2/" + id2); errno != 0 {
		t.Fatalf("head of b2 by id: %v", errno)
	}
	if _, _, errno := tf.lookup("sessions/s/branches/b2/" + id1); errno != syscall.ENOENT {
		t.Fatalf("other checkpoint in b2: %v", errno)
	}
	if res, errno := tf.ctl("sessions/s/ctl", "delete "+id1[:6]+" "+id2); errno != 0 || res != "ok deleted=2" {
		t.Fatalf("delete: %q %v", res, errno)
	}
	if got := tf.names("sessions/s/checkpoints"); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
}

func mustID(t *testing.T, s string) ckptfs.ID {
	t.Helper()
	id, err := pebblestore.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestCtlHandle checks the per-handle protocol: results in order, the
// last result on a fresh open, a failing line skipping the rest of its
// write, a final line run on flush, and a too-long line.
func TestCtlHandle(t *testing.T) {
	tf := newTestFS(t, Options{})
	in, _ := tf.mustLookup("ctl")
	open := func(flags uint32) *ctlHandle {
		fh, fl, errno := in.Operations().(gofs.NodeOpener).Open(bg, flags)
		if errno != 0 || fl&fuse.FOPEN_DIRECT_IO == 0 || fl&fuse.FOPEN_NONSEEKABLE == 0 {
			t.Fatalf("open: %v %x", errno, fl)
		}
		return fh.(*ctlHandle)
	}
	read := func(h *ctlHandle) string {
		buf := make([]byte, 4096)
		res, _ := h.Read(bg, buf, 12345)
		b, _ := res.Bytes(buf)
		return string(b)
	}
	h := open(syscall.O_RDWR)
	if got := read(h); got != "" {
		t.Fatalf("fresh ctl = %q", got)
	}
	if n, errno := h.Write(bg, []byte("session a\n# comment\n\nsession b\nsess"), 0); errno != 0 || n != 35 {
		t.Fatalf("write: %d %v", n, errno)
	}
	if got := read(h); got != "ok a\nok b\n" {
		t.Fatalf("results = %q", got)
	}
	if _, errno := h.Write(bg, []byte("ion c"), 0); errno != 0 {
		t.Fatal(errno)
	}
	if errno := h.Flush(bg); errno != 0 {
		t.Fatal(errno)
	}
	if got := read(h); got != "ok c\n" {
		t.Fatalf("flushed = %q", got)
	}
	h2 := open(syscall.O_RDONLY)
	if got := read(h2); got != "ok c\n" {
		t.Fatalf("last result = %q", got)
	}
	// A failing line fails the write; later lines of that write are not
	// run.
	if _, errno := h.Write(bg, []byte("session d\nsession a\nsession e\n"), 0); errno != syscall.EEXIST {
		t.Fatalf("write with failure: %v", errno)
	}
	got := read(h)
	if want := "ok d\nerror: "; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, skipped+"\n") {
		t.Fatalf("results = %q", got)
	}
	if ok, _ := tf.st.HasSession("e"); ok {
		t.Fatal("line after a failure ran")
	}
	// A line longer than 1 MiB is refused; the handle works afterwards.
	long := bytes.Repeat([]byte("x"), ctlparse.MaxLineLen+1)
	if _, errno := h.Write(bg, long, 0); errno != syscall.EINVAL {
		t.Fatalf("long line: %v", errno)
	}
	if _, errno := h.Write(bg, []byte("yy\nsession f\n"), 0); errno != 0 {
		t.Fatalf("after long line: %v", errno)
	}
	if got := read(h); !strings.Contains(got, "line too long") || !strings.HasSuffix(got, "ok f\n") {
		t.Fatalf("results = %q", got)
	}
	// Truncation as `echo > ctl` sends it is accepted; a size is not.
	var ao fuse.AttrOut
	in0 := &fuse.SetAttrIn{}
	in0.Valid = fuse.FATTR_SIZE
	if errno := in.Operations().(gofs.NodeSetattrer).Setattr(bg, nil, in0, &ao); errno != 0 {
		t.Fatalf("truncate: %v", errno)
	}
	in0.Size = 3
	if errno := in.Operations().(gofs.NodeSetattrer).Setattr(bg, nil, in0, &ao); errno != syscall.EINVAL {
		t.Fatalf("resize: %v", errno)
	}
}

func TestErrno(t *testing.T) {
	cases := []struct {
		err  error
		want syscall.Errno
	}{
		{fmt.Errorf("x: %w", ckptfs.ErrInvalidName), syscall.EINVAL},
		{ckptfs.ErrInvalidArgument, syscall.EINVAL},
		{ckptfs.ErrInvalidID, syscall.EINVAL},
		{ckptfs.ErrInvalidPath, syscall.EINVAL},
		{ckptfs.ErrAmbiguous, syscall.EINVAL},
		{&ctlparse.Error{Msg: "x"}, syscall.EINVAL},
		{fmt.Errorf("a: %w", ckptfs.ErrNotFound), syscall.ENOENT},
		{ckptfs.ErrExists, syscall.EEXIST},
		{ckptfs.ErrNotEmpty, syscall.ENOTEMPTY},
		{ckptfs.ErrNoSpace, syscall.ENOSPC},
		{ckptfs.ErrCorrupt, syscall.EIO},
		{fmt.Errorf("%w: %w", ckptfs.ErrCorrupt, syscall.ENOENT), syscall.EIO},
		{errors.New("what"), syscall.EIO},
		{context.Canceled, syscall.EINTR},
		{fmt.Errorf("conflict: %w", syscall.EBUSY), syscall.EBUSY},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, syscall.ENOENT},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, syscall.EACCES},
		{tree.ErrNotDir, syscall.ENOTDIR},
		{nil, 0},
	}
	for _, c := range cases {
		if got := toErrno(nil, c.err); got != c.want {
			t.Errorf("toErrno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestAllowOtherAccess runs checkpoint commands as another user (as the
// FUSE request context would carry it): from= must be readable by the
// caller, and files the caller cannot read are left out.
func TestAllowOtherAccess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create files another user cannot read")
	}
	tf := newTestFS(t, Options{AllowOther: true})
	tf.ctl("ctl", "session s")
	src := testtree.New(t, map[string]string{"open": "o", "secret": "s", "sub/x": "x", "closed/y": "y"})
	os.Chmod(src, 0o755)
	os.Chmod(src+"/..", 0o755)
	os.Chmod(src+"/secret", 0o600)
	os.Chmod(src+"/closed", 0o700)
	private := src + "/closed" // 0700
	nobody := &fuse.Context{Caller: fuse.Caller{Owner: fuse.Owner{Uid: 65534, Gid: 65534}}}
	in, _ := tf.mustLookup("sessions/s/ctl")
	run := func(ctx context.Context, line string) (string, syscall.Errno) {
		fh, _, _ := in.Operations().(gofs.NodeOpener).Open(ctx, syscall.O_RDWR)
		h := fh.(*ctlHandle)
		_, errno := h.Write(ctx, []byte(line+"\n"), 0)
		buf := make([]byte, 4096)
		res, _ := h.Read(ctx, buf, 0)
		b, _ := res.Bytes(buf)
		return strings.TrimSpace(string(b)), errno
	}
	if res, errno := run(nobody, "checkpoint from="+private); errno != syscall.EACCES {
		t.Fatalf("private dir: %q %v", res, errno)
	}
	res, errno := run(nobody, "checkpoint from="+src)
	if errno != 0 {
		t.Fatalf("checkpoint as nobody: %q %v", res, errno)
	}
	id := strings.TrimPrefix(res, "ok ")
	if got := tf.names("sessions/s/checkpoints/" + id[:12]); !slices.Equal(got, []string{"open", "sub"}) {
		t.Fatalf("nobody's checkpoint has %v", got)
	}
	// Root (the mount's owner) gets everything.
	rootCtx := &fuse.Context{}
	res, _ = run(rootCtx, "checkpoint from="+src)
	id = strings.TrimPrefix(res, "ok ")
	if got := tf.names("sessions/s/checkpoints/" + id[:12]); len(got) != 4 {
		t.Fatalf("root's checkpoint has %v", got)
	}
}

// TestControlMergeAndGC drives merge and gc through the control files:
// a conflicting merge under strategy=fail is EBUSY and creates nothing,
// recursive records the conflicts, gc answers with its counts.
func TestControlMergeAndGC(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	base := testtree.New(t, map[string]string{"f": "a\nb\nc\n"})
	if res, errno := tf.ctl("sessions/s/ctl", "checkpoint from="+base); errno != 0 {
		t.Fatal(res)
	}
	if res, errno := tf.ctl("sessions/s/ctl", "branch other"); errno != 0 {
		t.Fatal(res)
	}
	ours := testtree.New(t, map[string]string{"f": "a\nOURS\nc\n"})
	theirs := testtree.New(t, map[string]string{"f": "a\nTHEIRS\nc\n"})
	tf.ctl("sessions/s/ctl", "checkpoint from="+ours)
	tf.ctl("sessions/s/ctl", "checkpoint from="+theirs+" branch=other")
	res, errno := tf.ctl("sessions/s/ctl", "merge other")
	if errno != syscall.EBUSY || res != "error: conflict: 1 paths: f" {
		t.Fatalf("conflicting merge: %q %v", res, errno)
	}
	res, errno = tf.ctl("sessions/s/ctl", "merge other strategy=recursive message='merged by ctl'")
	if errno != 0 || !strings.HasPrefix(res, "ok ") || !strings.HasSuffix(res, " conflicts=1") {
		t.Fatalf("recursive merge: %q %v", res, errno)
	}
	res, errno = tf.ctl("sessions/s/ctl", "merge other")
	if errno != 0 || !strings.HasSuffix(res, "conflicts=0 up-to-date") {
		t.Fatalf("merge again: %q %v", res, errno)
	}
	res, errno = tf.ctl("ctl", "gc keep-last=1 dry-run=yes")
	if errno != 0 || !strings.HasPrefix(res, "ok deleted=") {
		t.Fatalf("gc dry run: %q %v", res, errno)
	}
	res, errno = tf.ctl("ctl", "gc keep-within=1h session=s")
	if errno != 0 || !strings.HasPrefix(res, "ok deleted=0 kept=4 ") {
		t.Fatalf("gc: %q %v", res, errno)
	}
}

// TestControlRestoreAndExclude: exclude= leaves paths out of a checkpoint;
// restore makes a directory equal to a checkpoint (delete=no keeps extras).
func TestControlRestoreAndExclude(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	src := testtree.New(t, map[string]string{"keep.go": "package x\n", "build/out.o": "obj", "sub/b": "b"})
	res, errno := tf.ctl("sessions/s/ctl", "checkpoint from="+src+" exclude=build/ exclude='*.o'")
	if errno != 0 {
		t.Fatal(res)
	}
	id := strings.TrimPrefix(res, "ok ")
	dst := testtree.New(t, map[string]string{"extra": "x", "keep.go": "old"})
	res, errno = tf.ctl("sessions/s/ctl", "restore "+id[:10]+" to="+dst+" delete=no")
	if errno != 0 || res != "ok written=3 removed=0 unchanged=0" {
		t.Fatalf("restore delete=no: %q %v", res, errno)
	}
	if _, err := os.Stat(filepath.Join(dst, "extra")); err != nil {
		t.Fatal("delete=no removed a file")
	}
	if _, err := os.Stat(filepath.Join(dst, "build")); err == nil {
		t.Fatal("an excluded directory was checkpointed")
	}
	res, errno = tf.ctl("sessions/s/ctl", "restore "+id[:10]+" to="+dst)
	if errno != 0 || res != "ok written=0 removed=1 unchanged=2" {
		t.Fatalf("restore: %q %v", res, errno)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "keep.go"))
	if string(got) != "package x\n" {
		t.Fatalf("restored content %q", got)
	}
}
