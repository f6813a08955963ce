package merge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/ckptfs/ckptfs/tree"
)

// countingReader records what a merge reads.
type countingReader struct {
	Reader
	trees map[ID]int
	files int
}

func (c *countingReader) Tree(ctx context.Context, id ID) (*tree.Tree, error) {
	c.trees[id]++
	return c.Reader.Tree(ctx, id)
}

func (c *countingReader) ReadFile(ctx context.Context, e *tree.Entry) ([]byte, error) {
	c.files++
	return c.Reader.ReadFile(ctx, e)
}

// TestEqualSubtreesNotRead: only the directories on the path of a change
// on both sides are read, and only files changed on both sides.
func TestEqualSubtreesNotRead(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore()
	var specs []fileSpec
	for _, d := range []string{"same", "ours", "theirs", "both"} {
		for i := range 3 {
			specs = append(specs, fileSpec{path: d + "/sub/f" + strconv.Itoa(i), typ: tree.TypeFile, mode: 0o644, data: []byte(d + "\n2\n3\n")})
		}
	}
	base := ts.build(t, specs)
	ours := ts.apply(t, base, []genOp{{path: "ours/sub/f0", data: []byte("o\n"), mode: 0o644},
		{path: "both/sub/f1", data: []byte("both ours\n2\n3\n"), mode: 0o644}})
	theirs := ts.apply(t, base, []genOp{{path: "theirs/sub/f0", data: []byte("t\n"), mode: 0o644},
		{path: "both/sub/f1", data: []byte("both\n2\n3 theirs\n"), mode: 0o644}})
	cr := &countingReader{Reader: ts.r, trees: map[ID]int{}}
	res, err := Trees(ctx, cr, ts.mem, base, ours, theirs, Options{})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatal(res.Conflicts, err)
	}
	for _, d := range []string{"same", "ours", "theirs", "ours/sub", "theirs/sub"} {
		for _, root := range []ID{base, ours, theirs} {
			e, err := ts.r.Lookup(ctx, root, d)
			if err != nil {
				t.Fatal(err)
			}
			if cr.trees[e.Tree] > 0 {
				t.Errorf("%s was read", d)
			}
		}
	}
	// Roots (3) and both, both/sub on three sides: 9 reads, 3 files.
	n := 0
	for _, c := range cr.trees {
		n += c
	}
	if n != 9 || cr.files != 3 {
		t.Errorf("read %d trees and %d files, want 9 and 3", n, cr.files)
	}
	got, err := ts.r.Lookup(ctx, res.Root, "both/sub/f1")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ts.r.ReadFile(ctx, &got); string(b) != "both ours\n2\n3 theirs\n" {
		t.Errorf("both/sub/f1 = %q", b)
	}
}

// BenchmarkTreesLarge merges two 12,000-file trees (120 directories of
// 100 files) that each change 10 files, 5 of them on both sides in
// non-overlapping lines: the cost follows the changes, not the tree.
func BenchmarkTreesLarge(b *testing.B) {
	ts := newTestStore()
	var specs []fileSpec
	for d := range 120 {
		for f := range 100 {
			specs = append(specs, fileSpec{path: fmt.Sprintf("d%03d/f%03d", d, f), typ: tree.TypeFile, mode: 0o644,
				data: fmt.Appendf(nil, "line 1 of %d/%d\nline 2\nline 3\nline 4\n", d, f)})
		}
	}
	base := ts.build(b, specs)
	var oursOps, theirsOps []genOp
	for i := range 10 {
		d, f := i*11, i
		oursOps = append(oursOps, genOp{path: fmt.Sprintf("d%03d/f%03d", d, f), mode: 0o644,
			data: fmt.Appendf(nil, "line 1 of %d/%d ours\nline 2\nline 3\nline 4\n", d, f)})
		if i >= 5 {
			d = i*7 + 3
		}
		theirsOps = append(theirsOps, genOp{path: fmt.Sprintf("d%03d/f%03d", d, f), mode: 0o644,
			data: fmt.Appendf(nil, "line 1 of %d/%d\nline 2\nline 3\nline 4 theirs\n", d, f)})
	}
	ours, theirs := ts.apply(b, base, oursOps), ts.apply(b, base, theirsOps)
	for b.Loop() {
		res, err := Trees(context.Background(), ts.r, ts.mem, base, ours, theirs, Options{Strategy: Recursive})
		if err != nil || len(res.Conflicts) != 0 {
			b.Fatal(res.Conflicts, err)
		}
	}
}

func TestDiff3AndStrategyErrors(t *testing.T) {
	ctx := context.Background()
	ts := newTestStore()
	file := func(s string) []fileSpec {
		return []fileSpec{{path: "f", typ: tree.TypeFile, mode: 0o644, data: []byte(s)}}
	}
	b, o, th := ts.build(t, file("a\nb\n")), ts.build(t, file("a ours\nb\n")), ts.build(t, file("a theirs\nb\n"))
	res, err := Trees(ctx, ts.r, ts.mem, b, o, th, Options{Strategy: Recursive, Diff3: true})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := ts.r.Lookup(ctx, res.Root, "f")
	got, _ := ts.r.ReadFile(ctx, &e)
	if want := "<<<<<<< ours\na ours\n||||||| base\na\n=======\na theirs\n>>>>>>> theirs\nb\n"; string(got) != want {
		t.Errorf("diff3 = %q, want %q", got, want)
	}
	if _, err := Trees(ctx, ts.r, ts.mem, b, o, th, Options{Strategy: Strategy(9)}); !errors.Is(err, ErrStrategy) {
		t.Errorf("bad strategy: %v", err)
	}
	for _, name := range []string{"", "fail", "ours", "theirs", "recursive"} {
		s, err := ParseStrategy(name)
		if err != nil || (name != "" && s.String() != name) {
			t.Errorf("ParseStrategy(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := ParseStrategy("best"); !errors.Is(err, ErrStrategy) {
		t.Errorf("ParseStrategy(best): %v", err)
	}
}
