package fusefs

import (
	"context"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/pebblestore"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// TestListingReadsNoTrees deletes every checkpoint object and root tree
// from the store: listing checkpoints/, a branch, the log, looking names
// up (also through READDIRPLUS) and reading the roots' xattrs must still
// work, since they only use the catalog.
func TestListingReadsNoTrees(t *testing.T) {
	tf := newTestFS(t, Options{})
	const n = 300
	var ids []ckptfs.ID
	for i := range n {
		res, err := tf.st.CheckpointDelta(bg, map[string][]byte{fmt.Sprintf("f%d", i): []byte("x")}, nil,
			ckptfs.CheckpointOptions{Session: "big", Message: fmt.Sprintf("m%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	var doomed []ckptfs.ID
	for _, id := range ids {
		in, err := tf.st.Info(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		doomed = append(doomed, id, in.Root)
	}
	err := tf.st.Objects().Update(bg, func(tx *pebblestore.Tx) error {
		for _, id := range doomed {
			if err := tx.DeleteObject(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tf.st.ClearCache()

	names := tf.names("sessions/big/checkpoints")
	if len(names) != 2*n {
		t.Fatalf("%d names", len(names))
	}
	if got := tf.names("sessions/big/branches/main"); len(got) != n+2 {
		t.Fatalf("branch lists %d", len(got))
	}
	logb, errno := tf.readFile("sessions/big/branches/main/log")
	if errno != 0 || strings.Count(string(logb), "\n") != n || !strings.Contains(string(logb), " m299\n") {
		t.Fatalf("log: %v %q…", errno, logb[:min(80, len(logb))])
	}
	// READDIRPLUS through the handle, then lookups, getattr, xattrs.
	cps, _ := tf.mustLookup("sessions/big/checkpoints")
	fh, _, _ := cps.Operations().(gofs.NodeOpendirHandler).OpendirHandle(bg, 0)
	h := fh.(*dirHandle)
	for {
		de, _ := h.Readdirent(bg)
		if de == nil {
			break
		}
		var out fuse.EntryOut
		if strings.HasSuffix(de.Name, ".json") {
			continue // its size needs the checkpoint object
		}
		in, errno := h.Lookup(bg, de.Name, &out)
		if errno != 0 || out.Attr.Ino != de.Ino {
			t.Fatalf("plus %s: %v ino %d vs %d", de.Name, errno, out.Attr.Ino, de.Ino)
		}
		buf := make([]byte, 100)
		if _, errno := in.Operations().(gofs.NodeGetxattrer).Getxattr(bg, "user.ckptfs.branch", buf); errno != 0 {
			t.Fatalf("xattr: %v", errno)
		}
	}
	// Content is what is gone.
	in, _ := tf.mustLookup("sessions/big/checkpoints/" + names[0])
	if _, _, errno := in.Operations().(gofs.NodeOpendirHandler).OpendirHandle(bg, 0); errno == 0 {
		t.Fatal("listing a checkpoint without its objects worked")
	}
}

func TestShortNames(t *testing.T) {
	mk := func(hexes ...string) []ckptfs.Summary {
		var out []ckptfs.Summary
		for _, h := range hexes {
			h += strings.Repeat("0", 64-len(h))
			id, err := pebblestore.ParseID(h)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ckptfs.Summary{ID: id})
		}
		return out
	}
	c := &catalog{session: "s", list: mk("abcdef0123451", "abcdef0123452", "1234", "ffff")}
	c.byID = []int32{0, 1, 2, 3}
	slices.SortFunc(c.byID, func(a, b int32) int { return strings.Compare(c.list[a].ID.String(), c.list[b].ID.String()) })
	// Reuse the naming code of buildCatalog.
	c2, names := c, make([]string, 4)
	for k, i := range c2.byID {
		n := shortNameLen
		if k > 0 {
			n = max(n, commonHex(c.list[i].ID, c.list[c.byID[k-1]].ID)+1)
		}
		if k+1 < len(c.byID) {
			n = max(n, commonHex(c.list[i].ID, c.list[c.byID[k+1]].ID)+1)
		}
		names[i] = c.list[i].ID.String()[:n]
	}
	if names[0] != "abcdef0123451" || names[1] != "abcdef0123452" || names[2] != "123400000000" {
		t.Fatalf("names = %v", names)
	}
	if _, err := c.resolve("abcdef012345"); err == nil || toErrno(nil, err) != syscall.EINVAL {
		t.Fatalf("ambiguous: %v", err)
	}
	if i, err := c.resolve("abcdef0123452"); err != nil || i != 1 {
		t.Fatalf("resolve: %d %v", i, err)
	}
	if _, err := c.resolve("abcd0"); toErrno(nil, err) != syscall.ENOENT {
		t.Fatalf("missing: %v", err)
	}
	if _, err := c.resolve("zz"); toErrno(nil, err) != syscall.ENOENT {
		t.Fatalf("not hex: %v", err)
	}
}

// TestBuildCatalogNames checks that listing names are unique prefixes
// that look up to their checkpoint.
func TestBuildCatalogNames(t *testing.T) {
	tf := newTestFS(t, Options{})
	for i := range 50 {
		tf.st.CheckpointState(bg, map[string][]byte{"f": []byte(fmt.Sprint(i))}, ckptfs.CheckpointOptions{Session: "s"})
	}
	c, err := buildCatalog(context.Background(), tf.st, "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range c.names {
		if len(name) < 12 {
			t.Fatalf("name %q too short", name)
		}
		j, err := c.resolve(name)
		if err != nil || j != i {
			t.Fatalf("resolve %s = %d %v", name, j, err)
		}
	}
}

func TestInoTable(t *testing.T) {
	var tab inoTable
	a := ident{ino: 7, gen: 3, check: 1}
	b := ident{ino: 7, gen: 3, check: 2} // same number, other identity
	if g := tab.claim(a); g != 3 {
		t.Fatalf("a gen %d", g)
	}
	na := &node{id: a}
	tab.own(na)
	if g := tab.claim(a); g != 3 {
		t.Fatalf("a again gen %d", g)
	}
	gb := tab.claim(b)
	if gb == 3 {
		t.Fatal("collision not detected")
	}
	nb := &node{id: ident{ino: 7, gen: gb, check: 2}}
	tab.own(nb)
	if live, coll := tab.size(); live != 2 || coll != 1 {
		t.Fatalf("live %d collisions %d", live, coll)
	}
	tab.release(na)
	tab.release(nb)
	if live, _ := tab.size(); live != 0 {
		t.Fatalf("live after release %d", live)
	}
	// Identities are pure functions of (id, path, view).
	x, y := ckptIdent("aa", "p", "v1"), ckptIdent("aa", "p", "v2")
	if x.ino != y.ino || x.gen == y.gen || x.check == y.check {
		t.Fatalf("views: %+v %+v", x, y)
	}
	if ckptIdent("aa", "p", "v1") != x || ckptIdent("aa", "q", "v1").ino == x.ino || ckptIdent("bb", "p", "v1").ino == x.ino {
		t.Fatal("identity not a function of (id, path)")
	}
}

// TestViewsAndInodes: the same path has the same st_ino in every view and
// prefix, and separate inodes (Gen) per view.
func TestViewsAndInodes(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	res, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+testtree.New(t, map[string]string{"d/f": "x", "g": "x"}))
	id := strings.TrimPrefix(res, "ok ")
	a, oa := tf.mustLookup("sessions/s/checkpoints/" + id[:12] + "/d/f")
	b, ob := tf.mustLookup("sessions/s/branches/main/" + id[:8] + "/d/f")
	_, og := tf.mustLookup("sessions/s/checkpoints/" + id[:12] + "/g")
	if oa.Attr.Ino != ob.Attr.Ino || a == b || a.StableAttr().Gen == b.StableAttr().Gen {
		t.Fatalf("views: ino %d/%d, same inode %v", oa.Attr.Ino, ob.Attr.Ino, a == b)
	}
	if og.Attr.Ino == oa.Attr.Ino {
		t.Fatal("equal content, equal inode number")
	}
	if oa.Attr.Ino != ckptIdent(id, "d/f", "").ino {
		t.Fatal("st_ino is not the documented hash")
	}
}

func TestDiff(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	r1, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+testtree.New(t, map[string]string{"a": "1", "b": "2", "d/x": "3"}))
	r2, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+testtree.New(t, map[string]string{"a": "1", "b": "changed", "c": "new"}))
	tf.ctl("sessions/s/ctl", "branch old from="+strings.TrimPrefix(r1, "ok ")[:10])
	b, errno := tf.readFile("sessions/s/diff/old..main")
	if want := "M b\nA c\nD d\nD d/x\n"; errno != 0 || string(b) != want {
		t.Fatalf("diff = %q %v, want %q", b, errno, want)
	}
	b2, _ := tf.readFile("sessions/s/diff/" + strings.TrimPrefix(r1, "ok ")[:6] + ".." + strings.TrimPrefix(r2, "ok "))
	if string(b2) != string(b) {
		t.Fatalf("diff by ids = %q", b2)
	}
	for name, want := range map[string]syscall.Errno{"main": syscall.ENOENT, "nope..main": syscall.ENOENT,
		"main..": syscall.ENOENT, "..main": syscall.ENOENT, "main..ffff": syscall.ENOENT, "main..ABCD": syscall.ENOENT} {
		if _, _, errno := tf.lookup("sessions/s/diff/" + name); errno != want {
			t.Errorf("diff/%s: %v, want %v", name, errno, want)
		}
	}
	if got := tf.names("sessions/s/diff"); len(got) != 0 {
		t.Fatalf("diff lists %v", got)
	}
}

// TestStale checks which cached names the notifier would invalidate.
func TestStale(t *testing.T) {
	tf := newTestFS(t, Options{})
	tf.ctl("ctl", "session s")
	src := testtree.New(t, map[string]string{"f": "x"})
	r1, _ := tf.ctl("sessions/s/ctl", "checkpoint from="+src+" tag=t")
	id1 := strings.TrimPrefix(r1, "ok ")
	tf.ctl("sessions/s/ctl", "branch b")
	root, _ := tf.mustLookup("sessions/s/checkpoints/" + id1[:12])
	js, _ := tf.mustLookup("sessions/s/checkpoints/" + id1[:12] + ".json")
	bdir, _ := tf.mustLookup("sessions/s/branches/b")
	tdir, _ := tf.mustLookup("sessions/s/tags/t")
	link, _ := tf.mustLookup("sessions/s/tags/t/" + id1[:12])
	fresh := func() *catalog {
		c, err := tf.f.cats.get(bg, "s")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	named := map[string]staler{id1[:12]: root.Operations().(staler), id1[:12] + ".json": js.Operations().(staler),
		"b": bdir.Operations().(staler), "t": tdir.Operations().(staler)}
	for name, s := range named {
		if s.stale(fresh(), name) {
			t.Fatalf("%T %s stale before any change", s, name)
		}
	}
	if link.Operations().(staler).stale(fresh(), id1[:12]) {
		t.Fatal("tag link stale before any change")
	}
	tf.ctl("sessions/s/ctl", "untag "+id1[:8]+" t")
	if !link.Operations().(staler).stale(fresh(), id1[:12]) || !tdir.Operations().(staler).stale(fresh(), "t") {
		t.Fatal("untag: tag dir and link not stale")
	}
	tf.ctl("sessions/s/ctl", "delete "+id1[:8])
	c := fresh()
	if !root.Operations().(staler).stale(c, id1[:12]) || !js.Operations().(staler).stale(c, id1[:12]+".json") ||
		!bdir.Operations().(staler).stale(c, "b") {
		t.Fatal("delete: root, json or branch not stale")
	}
	if !isAmbiguated("abcd", []ckptfs.ID{mustID(t, "abcd"+strings.Repeat("0", 60))}) ||
		isAmbiguated("abce", []ckptfs.ID{mustID(t, "abcd"+strings.Repeat("0", 60))}) {
		t.Fatal("isAmbiguated")
	}
}

func TestStatfs(t *testing.T) {
	tf := newTestFS(t, Options{StoreDir: t.TempDir()})
	tf.ctl("ctl", "session s")
	tf.ctl("sessions/s/ctl", "checkpoint from="+testtree.New(t, map[string]string{"f": strings.Repeat("x", 100000)}))
	var out fuse.StatfsOut
	tf.f.root.Statfs(bg, &out)
	if out.Bsize != 4096 || out.Blocks <= out.Bfree || out.Bfree == 0 || out.Files == 0 {
		t.Fatalf("statfs = %+v", out)
	}
}
