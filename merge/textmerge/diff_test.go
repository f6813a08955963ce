package textmerge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// chars splits s into one-character "lines", for compact diff tests.
func chars(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "")
}

// apply applies the diff edits from a to b, taking inserted lines from b.
func apply(a, b []string, edits []Edit) []string {
	var out []string
	pos := 0
	for _, e := range edits {
		out = append(out, a[pos:e.A0]...)
		out = append(out, b[e.B0:e.B1]...)
		pos = e.A1
	}
	return append(out, a[pos:]...)
}

// tb is what checks need from *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkDiff checks that edits is a well-formed diff from a to b.
func checkDiff(t tb, a, b []string, edits []Edit) {
	t.Helper()
	pa, pb := 0, 0 // ends of the previous edit
	for i, e := range edits {
		switch {
		case e.A0 > e.A1 || e.B0 > e.B1 || e.A1 > len(a) || e.B1 > len(b):
			t.Fatalf("edit %d %+v out of range (len %d, %d)", i, e, len(a), len(b))
		case e.A0 == e.A1 && e.B0 == e.B1:
			t.Fatalf("edit %d %+v is empty", i, e)
		case e.A0-pa != e.B0-pb:
			t.Fatalf("edit %d %+v: %d unchanged lines in a but %d in b", i, e, e.A0-pa, e.B0-pb)
		case i > 0 && e.A0 == pa:
			t.Fatalf("edit %d %+v touches the previous one", i, e)
		}
		for k := 0; k < e.A0-pa; k++ {
			if a[pa+k] != b[pb+k] {
				t.Fatalf("unchanged lines a[%d]=%q and b[%d]=%q differ", pa+k, a[pa+k], pb+k, b[pb+k])
			}
		}
		pa, pb = e.A1, e.B1
	}
	if len(a)-pa != len(b)-pb {
		t.Fatalf("%d unchanged lines at the end of a but %d in b", len(a)-pa, len(b)-pb)
	}
	if got := apply(a, b, edits); !slices.Equal(got, b) {
		t.Fatalf("applying the diff gives %q, want %q", got, b)
	}
}

// cost returns the number of lines a diff deletes or inserts.
func cost(edits []Edit) int {
	n := 0
	for _, e := range edits {
		n += e.A1 - e.A0 + e.B1 - e.B0
	}
	return n
}

// lcsCost returns the minimal diff cost of a and b by dynamic programming.
func lcsCost(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			default:
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return len(a) + len(b) - 2*prev[len(b)]
}

func TestDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want []Edit
	}{
		{"", "", nil},
		{"abc", "abc", nil},
		{"", "abc", []Edit{{0, 0, 0, 3}}},
		{"abc", "", []Edit{{0, 3, 0, 0}}},
		{"abc", "axc", []Edit{{1, 2, 1, 2}}},
		{"abc", "xbc", []Edit{{0, 1, 0, 1}}},
		{"abc", "abx", []Edit{{2, 3, 2, 3}}},
		{"abc", "abxc", []Edit{{2, 2, 2, 3}}},
		{"abc", "ac", []Edit{{1, 2, 1, 1}}},
		{"abcdef", "xbcdey", []Edit{{0, 1, 0, 1}, {5, 6, 5, 6}}},
		{"abcabba", "cbabac", nil}, // Myers' example: cost 5, checked below
		{"xyz", "abc", []Edit{{0, 3, 0, 3}}},
		// Sliding down: the inserted "ba" could go before or after the
		// existing "ba"; it goes after, as far down as possible.
		{"abac", "ababac", []Edit{{3, 3, 3, 5}}},
		{"aXa", "aXaXa", []Edit{{3, 3, 3, 5}}},
		{"aab", "ab", []Edit{{1, 2, 1, 1}}},
		{"adbb", "db", []Edit{{0, 1, 0, 0}, {3, 4, 2, 2}}}, // the search deletes a[2]
		{"aaa", "a", []Edit{{1, 3, 1, 1}}},
		{"a", "aaa", []Edit{{1, 1, 1, 3}}},
	}
	for _, tt := range tests {
		a, b := chars(tt.a), chars(tt.b)
		got := Diff(a, b)
		checkDiff(t, a, b, got)
		if c, want := cost(got), lcsCost(a, b); c != want {
			t.Errorf("Diff(%q, %q) costs %d, want %d", tt.a, tt.b, c, want)
		}
		if tt.want != nil && fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Diff(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if tt.want == nil && tt.a == tt.b && got != nil {
			t.Errorf("Diff(%q, %q) = %v, want none", tt.a, tt.b, got)
		}
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{"\n"}},
		{"a", []string{"a"}},
		{"a\nb", []string{"a\n", "b"}},
		{"a\r\nb\r\n", []string{"a\r\n", "b\r\n"}},
		{"a\n\n", []string{"a\n", "\n"}},
		{"a\rb", []string{"a\rb"}},
	}
	for _, tt := range tests {
		if got := SplitLines(tt.in); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("SplitLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// diffAlphabet is small so that random sequences share many lines.
var diffAlphabet = []string{"a", "b", "c", "d", "e"}

func TestDiffProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.SampledFrom(diffAlphabet), 0, 40).Draw(t, "a")
		b := rapid.SliceOfN(rapid.SampledFrom(diffAlphabet), 0, 40).Draw(t, "b")
		edits := Diff(a, b)
		checkDiff(t, a, b, edits)
		if c, want := cost(edits), lcsCost(a, b); c != want {
			t.Fatalf("diff costs %d, minimal is %d: %v", c, want, edits)
		}
		// Every pure insertion or deletion is slid down as far as it goes.
		for _, e := range edits {
			if e.A1 < len(a) && e.B1 < len(b) &&
				((e.A0 == e.A1 && b[e.B0] == b[e.B1]) || (e.B0 == e.B1 && a[e.A0] == a[e.A1])) {
				t.Fatalf("edit %+v could slide down: %v", e, edits)
			}
		}
	})
}

// TestDiffCostLimit forces the searches to give up on optimality after a
// few steps, so that the heuristic split is used, and checks that the diff
// stays valid.
func TestDiffCostLimit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.SampledFrom(diffAlphabet), 0, 60).Draw(t, "a")
		b := rapid.SliceOfN(rapid.SampledFrom(diffAlphabet), 0, 60).Draw(t, "b")
		maxCost := rapid.IntRange(1, 4).Draw(t, "maxCost")
		in := make(interner)
		ia, ib := in.ids(a), in.ids(b)
		edits := diffIDs(ia, ib, len(in), maxCost)
		checkDiff(t, a, b, edits)
	})
}

// mutateChars returns a copy of a with n random single-line edits.
func mutateChars(r *rand.Rand, a []string, n int, alphabet []string) []string {
	b := append([]string(nil), a...)
	for range n {
		i := r.IntN(len(b) + 1)
		switch r.IntN(3) {
		case 0:
			b = append(b[:i], append([]string{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
		case 1:
			if i < len(b) {
				b = append(b[:i], b[i+1:]...)
			}
		default:
			if i < len(b) {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
	}
	return b
}

// TestDiffLarge checks larger inputs: minimal when the difference is small,
// valid and fast when it is large enough for the cost bound to apply.
func TestDiffLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n, edits int
		alphabet []string
		minimal  bool
	}{
		{2000, 20, diffAlphabet, true},
		{2000, 100, []string{"x", "y"}, true},
		{20000, 20000, diffAlphabet, false},
		{20000, 0, diffAlphabet, true},
	} {
		a := make([]string, tc.n)
		for i := range a {
			a[i] = tc.alphabet[r.IntN(len(tc.alphabet))]
		}
		var b []string
		if tc.edits == tc.n { // unrelated
			b = make([]string, tc.n)
			for i := range b {
				b[i] = tc.alphabet[r.IntN(len(tc.alphabet))]
			}
		} else {
			b = mutateChars(r, a, tc.edits, tc.alphabet)
		}
		start := time.Now()
		edits := Diff(a, b)
		elapsed := time.Since(start)
		checkDiff(t, a, b, edits)
		if elapsed > 5*time.Second {
			t.Errorf("n=%d edits=%d: Diff took %v", tc.n, tc.edits, elapsed)
		}
		if tc.minimal && tc.n <= 2000 {
			if c, want := cost(edits), lcsCost(a, b); c != want {
				t.Errorf("n=%d edits=%d: cost %d, minimal %d", tc.n, tc.edits, c, want)
			}
		}
		t.Logf("n=%d edits=%d alphabet=%d: cost %d in %v", tc.n, tc.edits, len(tc.alphabet), cost(edits), elapsed)
	}
}

func BenchmarkDiffUnrelated(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]string, 10000)
	y := make([]string, 10000)
	for i := range x {
		x[i] = diffAlphabet[r.IntN(len(diffAlphabet))]
		y[i] = diffAlphabet[r.IntN(len(diffAlphabet))]
	}
	for b.Loop() {
		Diff(x, y)
	}
}
