package merge

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ckptfs/ckptfs/tree"
	"pgregory.net/rapid"
)

// Paths the generated trees use: "d" can be a file or a directory, so
// file/directory conflicts occur.
var genPaths = []string{"a", "b", "d", "d/x", "d/y", "d/e/z"}

var genLines = []string{"1\n", "2\n", "3\n", "4\n", "five\n", "six", "\r\n", "x\x00y\n"}

// genOp is one edit of a generated tree.
type genOp struct {
	path string
	del  bool
	link string
	data []byte
	mode uint32
}

func drawOps(t *rapid.T, label string, n int) []genOp {
	ops := make([]genOp, rapid.IntRange(0, n).Draw(t, label+"n"))
	for i := range ops {
		o := genOp{path: rapid.SampledFrom(genPaths).Draw(t, label+"path"), mode: 0o644}
		switch rapid.IntRange(0, 9).Draw(t, label+"kind") {
		case 0, 1:
			o.del = true
		case 2:
			o.link = rapid.SampledFrom([]string{"t1", "t2"}).Draw(t, label+"target")
		default:
			lines := rapid.SliceOfN(rapid.SampledFrom(genLines), 0, 5).Draw(t, label+"lines")
			o.data = []byte(strings.Join(lines, ""))
			if rapid.IntRange(0, 4).Draw(t, label+"mode") == 0 {
				o.mode = 0o755
			}
		}
		ops[i] = o
	}
	return ops
}

// apply edits the tree at root with ops and returns the new root.
func (ts *testStore) apply(t tb, root ID, ops []genOp) ID {
	ctx := context.Background()
	ed, err := tree.NewEditor(ts.r, ts.mem, root)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		switch {
		case o.del:
			err = ed.Delete(ctx, o.path)
		case o.link != "":
			err = ed.PutEntry(ctx, o.path, tree.Entry{Type: tree.TypeSymlink, Mode: 0o777, Target: o.link, Size: uint64(len(o.link))})
		default:
			err = ed.Put(ctx, o.path, o.data, o.mode, 0)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	id, _, err := ed.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// flatten maps every non-directory path of a tree to a description of
// its type, mode and content.
func (ts *testStore) flatten(t tb, r Reader, root ID) map[string]string {
	out := map[string]string{}
	var walk func(id ID, dir string)
	walk = func(id ID, dir string) {
		tr, err := r.Tree(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tr.Entries {
			e := &tr.Entries[i]
			p := join(dir, e.Name)
			switch e.Type {
			case tree.TypeDir:
				walk(e.Tree, p)
			case tree.TypeSymlink:
				out[p] = fmt.Sprintf("link %o %s", e.Mode, e.Target)
			default:
				b, err := r.ReadFile(context.Background(), e)
				if err != nil {
					t.Fatal(err)
				}
				out[p] = fmt.Sprintf("file %o %q", e.Mode, b)
			}
		}
	}
	walk(root, "")
	return out
}

func kindsOf(cs []Conflict) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func mustTrees(t tb, ts *testStore, b, o, th ID, s Strategy) Result {
	res, err := Trees(context.Background(), ts.r, ts.mem, b, o, th, Options{Strategy: s})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPropertyIdentity: merging a tree with itself, or with its base,
// gives the tree back without conflicts.
func TestPropertyIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ts := newTestStore()
		base := ts.apply(t, ID{}, drawOps(t, "base", 8))
		x := ts.apply(t, base, drawOps(t, "x", 6))
		for _, s := range strategies {
			for _, in := range [][3]ID{{base, x, x}, {base, x, base}, {base, base, x}, {x, x, x}} {
				res := mustTrees(t, ts, in[0], in[1], in[2], s)
				if res.Root != x || len(res.Conflicts) > 0 {
					t.Fatalf("%v: merge %v = %s %v, want %s", s, in, res.Root.Short(), res.Conflicts, x.Short())
				}
			}
		}
	})
}

// TestPropertyMerge checks random three-way merges: every strategy
// reports the same conflicts, which do not depend on the order of the
// sides; fail creates a tree exactly when there is none; conflict-free
// merges commute; and every path outside a conflict follows the
// three-way rule (one side changed it → that side).
func TestPropertyMerge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ts := newTestStore()
		base := ts.apply(t, ID{}, drawOps(t, "base", 8))
		ours := ts.apply(t, base, drawOps(t, "ours", 5))
		theirs := ts.apply(t, base, drawOps(t, "theirs", 5))
		fb, fo, ft := ts.flatten(t, ts.r, base), ts.flatten(t, ts.r, ours), ts.flatten(t, ts.r, theirs)
		var want []string
		for i, s := range strategies {
			res := mustTrees(t, ts, base, ours, theirs, s)
			swapped := mustTrees(t, ts, base, theirs, ours, s)
			got := kindsOf(res.Conflicts)
			if i == 0 {
				want = got
			} else if !slices.Equal(got, want) {
				t.Fatalf("%v: conflicts %v, fail gave %v", s, got, want)
			}
			if sw := kindsOf(swapped.Conflicts); !slices.Equal(sw, got) {
				t.Fatalf("%v: conflicts %v, swapped %v", s, got, sw)
			}
			if s == Fail {
				if res.Root.IsZero() != (len(got) > 0) {
					t.Fatalf("fail: root %s with conflicts %v", res.Root.Short(), got)
				}
				if len(got) > 0 {
					continue
				}
			}
			if len(got) == 0 && res.Root != swapped.Root {
				t.Fatalf("%v: clean merge does not commute", s)
			}
			checkSummary(t, ts, res)
			checkThreeWay(t, s, fb, fo, ft, ts.flatten(t, ts.r, res.Root), Paths(res.Conflicts))
		}
	})
}

func checkSummary(t *rapid.T, ts *testStore, res Result) {
	var sum tree.Summary
	err := ts.r.Walk(context.Background(), res.Root, func(_ string, e *tree.Entry) error {
		if e.Type == tree.TypeDir {
			sum.Dirs++
		} else if e.Type == tree.TypeFile {
			sum.Files++
			sum.Bytes += e.Size
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum != res.Summary {
		t.Fatalf("summary %+v, tree has %+v", res.Summary, sum)
	}
}

// checkThreeWay checks the per-path rule on every path that is not at
// or below a conflicting path.
func checkThreeWay(t *rapid.T, s Strategy, b, o, th, got map[string]string, conflicts []string) {
	all := maps.Clone(b)
	maps.Copy(all, o)
	maps.Copy(all, th)
	maps.Copy(all, got)
	for p := range all {
		if slices.ContainsFunc(conflicts, func(c string) bool { return p == c || strings.HasPrefix(p, c+"/") }) {
			continue
		}
		vb, inB := b[p]
		vo, inO := o[p]
		vt, inT := th[p]
		vg, inG := got[p]
		var want string
		var in bool
		switch {
		case inO == inT && vo == vt, inB == inT && vb == vt:
			want, in = vo, inO
		case inB == inO && vb == vo:
			want, in = vt, inT
		default:
			continue // changed on both sides: merged content
		}
		if in != inG || want != vg {
			t.Fatalf("%v: %s = %q (present %v), want %q (present %v)\nbase %v\nours %v\ntheirs %v\nconflicts %v",
				s, p, vg, inG, want, in, b, o, th, conflicts)
		}
	}
}
