package textmerge

import (
	"testing"
)

// FuzzMerge checks, for any inputs, that Merge does not panic and that
// checkMerge's invariants hold; that Ours and Theirs outputs consist of
// input lines only (so no marker lines unless an input had them, and no
// lines glued together); that resolving markers gives the Ours and Theirs
// outputs; and that the diffs from base are valid.
func FuzzMerge(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"), []byte("a\nb\nC\n"))
	f.Add([]byte("a\nb\nc\n"), []byte("a\nX\nc\n"), []byte("a\nY\nc\n"))
	f.Add([]byte("a\r\nb"), []byte("a\r\nb\r\n"), []byte("A\r\nb"))
	f.Add([]byte(""), []byte("x"), []byte("y\n"))
	f.Fuzz(func(t *testing.T, base, ours, theirs []byte) {
		for _, opt := range allOptions {
			checkMerge(t, base, ours, theirs, opt)
		}
		checkResolve(t, base, ours, theirs)
		lines := map[string]bool{}
		for _, in := range [][]byte{base, ours, theirs} {
			for _, l := range SplitLines(string(in)) {
				lines[l] = true
			}
		}
		for _, s := range []Strategy{Ours, Theirs} {
			res := Merge(base, ours, theirs, Options{Strategy: s})
			for _, l := range SplitLines(string(res.Merged)) {
				if !lines[l] {
					t.Fatalf("%v: output line %q is in no input; output %q", s, l, res.Merged)
				}
			}
		}
		b := SplitLines(string(base))
		for _, side := range [][]byte{ours, theirs} {
			s := SplitLines(string(side))
			checkDiff(t, b, s, Diff(b, s))
		}
	})
}
