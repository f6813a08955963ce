package merge

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
	"pgregory.net/rapid"
)

func TestBasesSimple(t *testing.T) {
	ctx := context.Background()
	g := &testGraph{}
	//  A - B - C        (main)
	//       \- D - E    (feature)
	//  F                (unrelated)
	a := g.add("A", ID{})
	b := g.add("B", ID{}, "A")
	c := g.add("C", ID{}, "B")
	d := g.add("D", ID{}, "B")
	e := g.add("E", ID{}, "D")
	f := g.add("F", ID{})
	for _, tc := range []struct {
		x, y ID
		want string
	}{
		{c, e, "B"}, {e, c, "B"}, {c, a, "A"}, {a, c, "A"}, {c, c, "C"}, {e, d, "D"}, {a, f, ""},
	} {
		got, err := Bases(ctx, g, tc.x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		if g.namesOf(got) != tc.want {
			t.Errorf("Bases(%s, %s) = %q, want %q", g.names[tc.x], g.names[tc.y], g.namesOf(got), tc.want)
		}
	}
	if ok, _ := IsAncestor(ctx, g, b, e); !ok {
		t.Error("B is an ancestor of E")
	}
	if ok, _ := IsAncestor(ctx, g, e, b); ok {
		t.Error("E is not an ancestor of B")
	}
	if _, err := Bases(ctx, g, nameID("nope"), a); !errors.Is(err, pebblestore.ErrNotFound) {
		t.Errorf("unknown start: %v", err)
	}
}

func TestBasesDeletedParent(t *testing.T) {
	g := &testGraph{}
	g.add("A", ID{})
	b := g.add("B", ID{}, "A")
	c := g.add("C", ID{}, "A")
	delete(g.nodes, nameID("A")) // deleted: the walk ends there
	got, err := Bases(context.Background(), g, b, c)
	if err != nil || len(got) != 0 {
		t.Fatalf("Bases = %v, %v; want none", g.namesOf(got), err)
	}
}

// TestBasesThree: three lowest common ancestors, newest first.
func TestBasesThree(t *testing.T) {
	g := &testGraph{}
	g.add("A", ID{})
	g.add("B", ID{}, "A")
	g.add("C", ID{}, "A")
	g.add("D", ID{}, "A")
	x := g.add("X", ID{}, "B", "C", "D")
	y := g.add("Y", ID{}, "D", "C", "B")
	got, err := Bases(context.Background(), g, x, y)
	if err != nil || g.namesOf(got) != "D C B" {
		t.Fatalf("Bases = %q, %v", g.namesOf(got), err)
	}
}

// TestBasesProperty compares Bases with the definition on random
// graphs whose times are random too (backdated checkpoints), some of
// whose checkpoints are deleted.
func TestBasesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 14).Draw(t, "n")
		g := &testGraph{nodes: map[ID]Node{}, roots: map[ID]ID{}, names: map[ID]string{}}
		ids := make([]ID, n)
		parents := make([][]int, n)
		for i := range n {
			ids[i] = nameID(strconv.Itoa(i))
			if i > 0 {
				parents[i] = rapid.SliceOfNDistinct(rapid.IntRange(0, i-1), 0, 2, rapid.ID[int]).Draw(t, "parents")
			}
			var ps []ID
			for _, p := range parents[i] {
				ps = append(ps, ids[p])
			}
			g.nodes[ids[i]] = Node{Parents: ps, Time: time.Unix(int64(rapid.IntRange(0, 5).Draw(t, "time")), 0)}
			g.names[ids[i]] = strconv.Itoa(i)
		}
		deleted := map[int]bool{}
		for _, i := range rapid.SliceOfDistinct(rapid.IntRange(0, n-1), rapid.ID[int]).Draw(t, "deleted") {
			deleted[i] = true
			delete(g.nodes, ids[i])
		}
		a, b := rapid.IntRange(0, n-1).Draw(t, "a"), rapid.IntRange(0, n-1).Draw(t, "b")
		if deleted[a] || deleted[b] {
			return
		}
		anc := func(x int) map[int]bool {
			seen := map[int]bool{}
			stack := []int{x}
			for len(stack) > 0 {
				v := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if seen[v] || deleted[v] {
					continue
				}
				seen[v] = true
				stack = append(stack, parents[v]...)
			}
			return seen
		}
		aa, ab := anc(a), anc(b)
		var want []ID
		for c := range aa {
			if !ab[c] {
				continue
			}
			lowest := true
			for d := range aa {
				if d != c && ab[d] && anc(d)[c] {
					lowest = false
				}
			}
			if lowest {
				want = append(want, ids[c])
			}
		}
		got, err := Bases(context.Background(), g, ids[a], ids[b])
		if err != nil {
			t.Fatal(err)
		}
		sorted := slices.Clone(got)
		slices.SortFunc(sorted, func(x, y ID) int { return slices.Compare(x[:], y[:]) })
		slices.SortFunc(want, func(x, y ID) int { return slices.Compare(x[:], y[:]) })
		if !slices.Equal(sorted, want) {
			t.Fatalf("Bases(%d, %d) = %s, want %s", a, b, g.namesOf(got), g.namesOf(want))
		}
		for i := 1; i < len(got); i++ {
			if g.nodes[got[i-1]].Time.Before(g.nodes[got[i]].Time) {
				t.Fatalf("Bases not newest first: %s", g.namesOf(got))
			}
		}
		if isAnc, _ := IsAncestor(context.Background(), g, ids[b], ids[a]); isAnc != aa[b] {
			t.Fatalf("IsAncestor(%d, %d) = %v", b, a, isAnc)
		}
	})
}

// TestCheckpointsFastPaths: merging an ancestor is up to date, merging
// into an ancestor is a fast-forward; neither writes anything.
func TestCheckpointsFastPaths(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore()
	root := ts.build(t, []fileSpec{{path: "f", typ: tree.TypeFile, mode: 0o644, data: []byte("f\n")}})
	g := &testGraph{}
	a := g.add("A", root)
	b := g.add("B", root, "A")
	before := len(ts.mem.objects)
	for _, tc := range []struct {
		ours, theirs ID
		upToDate, ff bool
	}{{b, a, true, false}, {a, b, false, true}, {a, a, true, false}} {
		res, err := Checkpoints(ctx, g, ts.r, ts.mem, tc.ours, tc.theirs, Options{Strategy: Recursive})
		if err != nil {
			t.Fatal(err)
		}
		if res.UpToDate != tc.upToDate || res.FastForward != tc.ff || !res.Root.IsZero() {
			t.Errorf("merge %s into %s: %+v", g.names[tc.theirs], g.names[tc.ours], res)
		}
	}
	if len(ts.mem.objects) != before {
		t.Error("fast paths wrote objects")
	}
}

// TestVirtualBase checks the virtual base of the criss_cross_conflict
// case: the two bases merged oldest first, with markers.
func TestVirtualBase(t *testing.T) {
	text, err := readCase("criss_cross_conflict")
	if err != nil {
		t.Fatal(err)
	}
	lc := loadCase(t, text)
	bases, err := Bases(context.Background(), lc.g, lc.ours, lc.theirs)
	if err != nil {
		t.Fatal(err)
	}
	ov := &overlay{mem: newMemStore(), under: lc.ts.r}
	root, err := virtualBase(context.Background(), lc.g, ov, bases)
	if err != nil {
		t.Fatal(err)
	}
	got := sectionsText(lc.ts.dump(t, ov, root, "virtual"))
	want := "-- virtual/x --\n<<<<<<< ours\nB\n=======\nC\n>>>>>>> theirs\n-- virtual/y --\n0\n"
	if got != want {
		t.Errorf("virtual base\n%s\nwant\n%s", got, want)
	}
	if _, err := lc.ts.r.Tree(context.Background(), root); err == nil {
		t.Error("the virtual base was written to the store")
	}
}
