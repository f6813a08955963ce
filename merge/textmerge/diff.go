package textmerge

// Edit is one hunk of a diff from a sequence A to a sequence B: the lines
// A[A0:A1] are replaced by B[B0:B1]. A0 == A1 is a pure insertion before
// A[A0] and B0 == B1 a pure deletion. A diff is a list of edits in
// increasing order, each changing at least one line, with at least one
// unchanged line between two edits; the unchanged lines of A and B match
// up in order.
type Edit struct {
	A0, A1 int
	B0, B1 int
}

// Diff returns a diff from a to b (see the package documentation for the
// algorithm): a minimal one, unless the files are large and very
// different, with pure insertions and deletions slid down as far as they
// go.
func Diff(a, b []string) []Edit {
	in := make(interner, len(a))
	ia := in.ids(a)
	ib := in.ids(b)
	return diffIDs(ia, ib, len(in), 0)
}

// diffIDs is Diff on interned lines: a and b hold line numbers below n.
// maxCost bounds the cost of each middle-snake search (see myers.split);
// 0 picks the default, which grows with the input size.
func diffIDs(a, b []int32, n, maxCost int) []Edit {
	pre := prefixLen(a, b)
	suf := suffixLen(a[pre:], b[pre:])
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	switch {
	case len(am) == 0 && len(bm) == 0:
		return nil
	case len(am) == 0 || len(bm) == 0:
		return []Edit{{A0: pre, A1: pre + len(am), B0: pre, B1: pre + len(bm)}}
	}
	ca, cb := changed(am, bm, n, maxCost)
	return slideDown(a, b, collectEdits(ca, cb, pre))
}

// prefixLen returns the length of the common prefix of a and b.
func prefixLen(a, b []int32) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// suffixLen returns the length of the common suffix of a and b.
func suffixLen(a, b []int32) int {
	i, j := len(a), len(b)
	for i > 0 && j > 0 && a[i-1] == b[j-1] {
		i--
		j--
	}
	return len(a) - i
}

// changed reports which lines of a and of b are changed, that is, left
// out of the common subsequence the diff keeps. Lines that occur on only
// one side cannot be in any common subsequence: they are marked at once
// and the search runs on the remaining lines only.
func changed(a, b []int32, n, maxCost int) (ca, cb []bool) {
	const inA, inB = 1, 2
	seen := make([]uint8, n)
	for _, id := range a {
		seen[id] |= inA
	}
	for _, id := range b {
		seen[id] |= inB
	}
	ca = make([]bool, len(a))
	cb = make([]bool, len(b))
	fa, xa := shared(a, ca, seen, inA|inB)
	fb, xb := shared(b, cb, seen, inA|inB)
	m := newMyers(fa, fb, xa, xb, ca, cb, maxCost)
	m.compare(0, len(fa), 0, len(fb))
	return ca, cb
}

// shared returns the lines of x whose seen value is both, with their
// indices in x, and marks the others changed.
func shared(x []int32, changed []bool, seen []uint8, both uint8) (lines, index []int32) {
	lines = make([]int32, 0, len(x))
	index = make([]int32, 0, len(x))
	for i, id := range x {
		if seen[id] == both {
			lines = append(lines, id)
			index = append(index, int32(i))
		} else {
			changed[i] = true
		}
	}
	return lines, index
}

// collectEdits turns changed-line marks into edits, adding off to every
// line number. The unchanged lines of the two sides must be equally many.
func collectEdits(ca, cb []bool, off int) []Edit {
	var edits []Edit
	i, j := 0, 0
	for i < len(ca) || j < len(cb) {
		if i < len(ca) && j < len(cb) && !ca[i] && !cb[j] {
			i++
			j++
			continue
		}
		e := Edit{A0: i + off, B0: j + off}
		for i < len(ca) && ca[i] {
			i++
		}
		for j < len(cb) && cb[j] {
			j++
		}
		e.A1, e.B1 = i+off, j+off
		if e.A0 == e.A1 && e.B0 == e.B1 {
			panic("textmerge: internal error: unbalanced diff")
		}
		edits = append(edits, e)
	}
	return edits
}

// slideDown moves every pure insertion or deletion down while the line
// after it equals its first line, merging it with the next edit when they
// meet. The diff stays valid and as long: only which of several equal
// lines count as changed differs.
func slideDown(a, b []int32, edits []Edit) []Edit {
	out := edits[:0]
	for i := 0; i < len(edits); i++ {
		e := edits[i]
		for canSlide(a, b, e) {
			e.A0++
			e.A1++
			e.B0++
			e.B1++
			if i+1 < len(edits) && edits[i+1].A0 == e.A1 {
				i++
				e.A1, e.B1 = edits[i].A1, edits[i].B1
			}
		}
		out = append(out, e)
	}
	return out
}

// canSlide reports whether the pure insertion or deletion e can move one
// line down: the unchanged line after it equals its first line.
func canSlide(a, b []int32, e Edit) bool {
	if e.A1 >= len(a) || e.B1 >= len(b) {
		return false
	}
	switch {
	case e.A0 == e.A1:
		return b[e.B0] == b[e.B1]
	case e.B0 == e.B1:
		return a[e.A0] == a[e.A1]
	}
	return false
}
