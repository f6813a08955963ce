package tree_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// build commits edits on base and returns the new root.
func build(t *testing.T, s *pebblestore.Store, r *tree.Reader, base pebblestore.ID, edit func(ed *tree.Editor) error) pebblestore.ID {
	t.Helper()
	ctx := context.Background()
	ob := s.NewObjectBatch()
	defer ob.Close()
	ed, err := tree.NewEditor(r, ob, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := edit(ed); err != nil {
		t.Fatal(err)
	}
	root, _, err := ed.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, ob, nil); err != nil {
		t.Fatal(err)
	}
	return root
}

// listing renders a tree as sorted "path type content" lines.
func listing(t *testing.T, r *tree.Reader, root pebblestore.ID) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	err := r.Walk(ctx, root, func(p string, e *tree.Entry) error {
		switch e.Type {
		case tree.TypeFile:
			data, err := r.ReadFile(ctx, e)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s f %o %q\n", p, e.Mode, data)
		case tree.TypeDir:
			fmt.Fprintf(&b, "%s d\n", p)
		case tree.TypeSymlink:
			fmt.Fprintf(&b, "%s l %s\n", p, e.Target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEditor(t *testing.T) {
	s := memStore(t)
	r := tree.NewReader(s, 0)
	ctx := context.Background()
	root1 := build(t, s, r, pebblestore.ID{}, func(ed *tree.Editor) error {
		return ed.SetState(ctx, map[string][]byte{"a": []byte("1"), "d/x": []byte("2"), "d/e/y": []byte("3"), "files.f.content": nil}, 0o644)
	})
	want1 := "a f 644 \"1\"\nd d\nd/e d\nd/e/y f 644 \"3\"\nd/x f 644 \"2\"\nfiles.f.content f 644 \"\"\n"
	if got := listing(t, r, root1); got != want1 {
		t.Fatalf("state:\n%s\nwant\n%s", got, want1)
	}
	// Same state, built again on the base: same root, nothing changed.
	if again := build(t, s, r, root1, func(ed *tree.Editor) error {
		return ed.SetState(ctx, map[string][]byte{"a": []byte("1"), "d/x": []byte("2"), "d/e/y": []byte("3"), "files.f.content": nil}, 0o644)
	}); again != root1 {
		t.Fatal("unchanged state made a new root")
	}
	// Delta: replace a dir by a file, a file by a dir, delete, add.
	root2 := build(t, s, r, root1, func(ed *tree.Editor) error {
		if err := ed.Delete(ctx, "d/e"); err != nil {
			return err
		}
		if err := ed.Put(ctx, "a/inner", []byte("4"), 0o600, 0); err != nil {
			return err
		}
		if err := ed.Delete(ctx, "missing/path"); err != nil {
			return err
		}
		return ed.PutEntry(ctx, "d/link", tree.Entry{Type: tree.TypeSymlink, Mode: 0o777, Target: "x", Size: 1})
	})
	want2 := "a d\na/inner f 600 \"4\"\nd d\nd/link l x\nd/x f 644 \"2\"\nfiles.f.content f 644 \"\"\n"
	if got := listing(t, r, root2); got != want2 {
		t.Fatalf("delta:\n%s\nwant\n%s", got, want2)
	}
	// SetState with fewer keys deletes the rest.
	root3 := build(t, s, r, root2, func(ed *tree.Editor) error {
		return ed.SetState(ctx, map[string][]byte{"d/x": []byte("2")}, 0o644)
	})
	if got, want := listing(t, r, root3), "d d\nd/x f 644 \"2\"\n"; got != want {
		t.Fatalf("shrunk state:\n%s\nwant\n%s", got, want)
	}
	// Diff root1 → root2 in SPEC §6 order.
	var diff []string
	if err := tree.Diff(ctx, r, root1, root2, func(c tree.Change) error { diff = append(diff, c.String()); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(diff, "\n"), "T a\nA a/inner\nD d/e\nD d/e/y\nA d/link"; got != want {
		t.Fatalf("diff:\n%s\nwant\n%s", got, want)
	}
	// Invalid paths are rejected.
	ob := s.NewObjectBatch()
	defer ob.Close()
	ed, _ := tree.NewEditor(r, ob, root1)
	for _, p := range []string{"", "/abs", "a//b", "../x", "a/./b", "a/", "nul\x00"} {
		if err := ed.Put(ctx, p, nil, 0o644, 0); err == nil {
			t.Errorf("Put(%q) accepted", p)
		}
	}
}

func TestDiffOrderIsBytewise(t *testing.T) {
	s := memStore(t)
	r := tree.NewReader(s, 0)
	ctx := context.Background()
	root := build(t, s, r, pebblestore.ID{}, func(ed *tree.Editor) error {
		return ed.SetState(ctx, map[string][]byte{"a/x": nil, "a.b": nil, "a0": nil}, 0o644)
	})
	var got []string
	tree.Diff(ctx, r, pebblestore.ID{}, root, func(c tree.Change) error { got = append(got, c.String()); return nil })
	if strings.Join(got, ",") != "A a,A a.b,A a/x,A a0" {
		t.Fatalf("order %v", got)
	}
}

// SetState on any base gives the tree SetState gives on an empty one:
// random flat and nested states, each applied on top of the one before
// (the flat bases take setFlatState's path), with unchanged, changed,
// deleted and added keys, large (chunked) and empty values, files
// turning into directories and back, and changes of mode alone. The
// trees are built in one Reader, so bases carry the contents they were
// built from (Tree.blobs) and setFlatState compares against those.
func TestSetStateMatchesFromScratch(t *testing.T) {
	s := memStore(t)
	r := tree.NewReader(s, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	big := strings.Repeat("0123456789abcdef", tree.SingleBlobMax/16+1)
	values := []string{"", "v1", "v2", "v3", big}
	state := func(nested bool) map[string][]byte {
		st := map[string][]byte{}
		for range 1 + rng.IntN(12) {
			k := fmt.Sprintf("k%d", rng.IntN(10))
			if nested && rng.IntN(3) == 0 {
				k = fmt.Sprintf("k%d/x%d", rng.IntN(10), rng.IntN(3))
			}
			st[k] = []byte(values[rng.IntN(len(values))])
		}
		// Drop keys that are both a file and a directory: no tree holds both.
		for k := range st {
			if dir, _, ok := strings.Cut(k, "/"); ok {
				delete(st, dir)
			}
		}
		return st
	}
	var base pebblestore.ID
	for i := range 300 {
		st := state(i%3 == 0)
		mode := uint32(0o644)
		if rng.IntN(5) == 0 {
			mode = 0o600 // every file changes, contents unchanged
		}
		want := build(t, s, r, pebblestore.ID{}, func(ed *tree.Editor) error { return ed.SetState(context.Background(), st, mode) })
		got := build(t, s, r, base, func(ed *tree.Editor) error { return ed.SetState(context.Background(), st, mode) })
		if got != want {
			t.Fatalf("round %d: SetState on a base gave\n%s\nwant\n%s", i, listing(t, r, got), listing(t, r, want))
		}
		base = got
	}
	// An invalid key is refused on a flat base too.
	for _, k := range []string{"", "..", "a\x00b", "/abs", "a//b"} {
		ob := s.NewObjectBatch()
		ed, err := tree.NewEditor(r, ob, base)
		if err != nil {
			t.Fatal(err)
		}
		if err := ed.SetState(context.Background(), map[string][]byte{"k1": nil, k: nil}, 0o644); err == nil {
			t.Errorf("SetState accepted key %q", k)
		}
		ob.Close()
	}
}

// Trees the Editor builds keep their entries unmaterialised until read:
// many readers at once (under -race) must all see the tree a fresh
// decode of its stored encoding gives, blobs included (a state
// checkpoint on it compares bytes with them).
func TestEditedTreeReadConcurrently(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	r := tree.NewReader(s, 0)
	base := build(t, s, r, pebblestore.ID{}, func(ed *tree.Editor) error {
		for i := range 300 {
			if err := ed.Put(ctx, fmt.Sprintf("f%03d", i), []byte(fmt.Sprint("content ", i)), 0o644, 0); err != nil {
				return err
			}
		}
		return nil
	})
	edited := build(t, s, r, base, func(ed *tree.Editor) error {
		if err := ed.Put(ctx, "f150", []byte("changed"), 0o600, 0); err != nil {
			return err
		}
		if err := ed.Delete(ctx, "f007"); err != nil {
			return err
		}
		return ed.Put(ctx, "g/new", []byte("new"), 0o644, 0)
	})
	want := listing(t, tree.NewReader(s, 0), edited) // a cold reader decodes
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			tr, err := r.Tree(ctx, edited)
			if err == nil && len(tr.Entries) != 300 {
				err = fmt.Errorf("%d entries, want 300", len(tr.Entries))
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := listing(t, r, edited); got != want {
		t.Fatalf("the edited tree read back differs from a decode:\n%s\nwant:\n%s", got, want)
	}
	// A state checkpoint on it (the blobs are compared) changes one file.
	again := build(t, s, r, edited, func(ed *tree.Editor) error {
		st := map[string][]byte{}
		for i := range 300 {
			if i != 7 && i != 150 {
				st[fmt.Sprintf("f%03d", i)] = []byte(fmt.Sprint("content ", i))
			}
		}
		st["f150"] = []byte("changed again")
		return ed.SetState(ctx, st, 0o644)
	})
	if got := listing(t, tree.NewReader(s, 0), again); !strings.Contains(got, "f150 f 644 \"changed again\"") || strings.Contains(got, "g/new") {
		t.Fatalf("state checkpoint on the edited tree:\n%s", got)
	}
}
