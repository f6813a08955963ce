package gc

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// fixture builds objects directly in a pebblestore.Store: blobs, trees and
// checkpoint objects, without catalog records (so no checkpoint is live
// unless marked).
type fixture struct {
	t  *testing.T
	st *pebblestore.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := pebblestore.Open(t.TempDir(), pebblestore.Options{Durability: pebblestore.Relaxed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{t, st}
}

func (f *fixture) put(kind pebblestore.Kind, data []byte) ID {
	f.t.Helper()
	ob := f.st.NewObjectBatch()
	defer ob.Close()
	id, err := ob.Put(kind, data)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.Commit(context.Background(), ob, nil); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) blob(s string) (tree.Entry, ID) {
	id := f.put(pebblestore.KindBlob, []byte(s))
	return tree.Entry{Name: "f-" + s, Type: tree.TypeFile, Mode: 0o644, Size: uint64(len(s)),
		Chunks: []tree.Chunk{{ID: id, Size: uint64(len(s))}}}, id
}

func (f *fixture) tree(name string, entries ...tree.Entry) (tree.Entry, ID) {
	f.t.Helper()
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	t := &tree.Tree{Entries: entries}
	b, err := tree.EncodeTree(t)
	if err != nil {
		f.t.Fatal(err)
	}
	id := f.put(pebblestore.KindTree, b)
	return tree.Entry{Name: name, Type: tree.TypeDir, Mode: 0o755, Tree: id, Sub: t.Summary()}, id
}

func (f *fixture) checkpoint(root ID, msg string) ID {
	ck := &tree.Checkpoint{Root: root, Session: "s", Branch: "main", Time: time.Unix(1, 0).UTC(), Message: msg}
	return f.put(pebblestore.KindCheckpoint, tree.EncodeCheckpoint(ck))
}

func (f *fixture) has(id ID) bool {
	ok, err := f.st.Has(id)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

// sweep runs c.Sweep in an Update and returns what it freed.
func (f *fixture) sweep(c *Collector) (*Sweep, error) {
	var sw *Sweep
	err := f.st.Update(context.Background(), func(tx *pebblestore.Tx) error {
		var err error
		sw, err = c.Sweep(context.Background(), tx, nil)
		return err
	})
	return sw, err
}

// two builds checkpoints a and b sharing subtree "shared"; each also has a
// blob of its own.
func (f *fixture) two() (a, b ID, onlyA, onlyB, shared []ID) {
	s1, s1id := f.blob("shared blob")
	sd, sdid := f.tree("shared", s1)
	a1, a1id := f.blob("only a")
	_, aroot := f.tree("", sd, a1)
	b1, b1id := f.blob("only b")
	_, broot := f.tree("", sd, b1)
	a, b = f.checkpoint(aroot, "a"), f.checkpoint(broot, "b")
	return a, b, []ID{a, aroot, a1id}, []ID{b, broot, b1id}, []ID{sdid, s1id}
}

func TestCollectorMarkAndSweep(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, b, onlyA, onlyB, shared := f.two()
	c := NewCollector(f.st)
	if err := c.MarkCheckpoints(ctx, []ID{b}); err != nil {
		t.Fatal(err)
	}
	if ms := c.Stats(); ms.Nodes != 3 || ms.Blobs != 2 { // b, b's root, shared; two blobs
		t.Fatalf("marked %+v", ms)
	}
	dry, err := c.Garbage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := f.st.Stats()
	sw, err := f.sweep(c)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Objects != 3 || dry != sw.Freed {
		t.Fatalf("swept %+v (dry run said %+v), want a's checkpoint, root and blob", sw.Freed, dry)
	}
	if !slices.IsSortedFunc(sw.IDs, cmpID) || len(sw.IDs) != 3 {
		t.Fatalf("swept ids %v", sw.IDs)
	}
	for _, id := range onlyA {
		if f.has(id) {
			t.Errorf("%s survived", id.Short())
		}
	}
	for _, id := range append(onlyB, shared...) {
		if !f.has(id) {
			t.Errorf("%s swept", id.Short())
		}
	}
	after := f.st.Stats()
	if after.Objects != before.Objects-3 || int64(before.StoredBytes-after.StoredBytes) != sw.StoredBytes ||
		int64(before.RawBytes-after.RawBytes) != sw.RawBytes {
		t.Fatalf("stats %+v -> %+v for %+v", before, after, sw.Freed)
	}
}

func TestCollectorPinnedClosure(t *testing.T) {
	f := newFixture(t)
	a, _, onlyA, _, shared := f.two()
	c := NewCollector(f.st) // nothing marked: everything is garbage but pins
	ob := f.st.NewObjectBatch()
	defer ob.Close()
	if err := ob.Reuse(onlyA[1]); err != nil { // a's root tree
		t.Fatal(err)
	}
	sw, err := f.sweep(c)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: a's root and all below it. Swept: both checkpoint objects, b's
	// root and b's blob.
	if sw.Objects != 4 || f.has(a) || !f.has(onlyA[1]) || !f.has(onlyA[2]) || !f.has(shared[0]) || !f.has(shared[1]) {
		t.Fatalf("swept %+v", sw.Freed)
	}
}

func TestCollectorMissingLiveObject(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, sub := f.tree("sub")
	e, _ := f.blob("x")
	_, root := f.tree("", e, tree.Entry{Name: "sub", Type: tree.TypeDir, Mode: 0o755, Tree: sub})
	// Remove sub behind the collector's back.
	if err := f.st.Update(ctx, func(tx *pebblestore.Tx) error { return tx.DeleteObject(sub) }); err != nil {
		t.Fatal(err)
	}
	c := NewCollector(f.st)
	if err := c.MarkTree(ctx, root); !errors.Is(err, pebblestore.ErrNotFound) {
		t.Fatalf("mark: %v, want ErrNotFound", err)
	}
	if _, err := f.sweep(c); err == nil {
		t.Fatal("a collector that failed to mark swept")
	}
}
