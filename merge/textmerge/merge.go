package textmerge

import (
	"bytes"
	"slices"
)

// Strategy says what Merge does with conflicting regions.
type Strategy int

const (
	// Markers writes conflicting regions between git-style markers.
	Markers Strategy = iota
	// Ours resolves conflicting regions to ours's text.
	Ours
	// Theirs resolves conflicting regions to theirs's text.
	Theirs
	// Report only counts conflicts: Merged is nil when there are any.
	Report
)

// String returns the strategy's name: "markers", "ours", "theirs" or
// "report".
func (s Strategy) String() string {
	switch s {
	case Markers:
		return "markers"
	case Ours:
		return "ours"
	case Theirs:
		return "theirs"
	case Report:
		return "report"
	}
	return "Strategy(invalid)"
}

// Options configures Merge. The zero value writes markers without the
// base section, labelled "ours" and "theirs".
type Options struct {
	// Strategy for conflicting regions. Values other than the defined
	// ones act as Markers.
	Strategy Strategy
	// Base adds the "||||||| base" section with base's lines to markers
	// (git's diff3 conflict style).
	Base bool
	// Labels written after the markers; empty means "ours", "base" and
	// "theirs".
	OursLabel, BaseLabel, TheirsLabel string
}

// Result is the outcome of Merge.
type Result struct {
	// Merged is the merged file. It is nil if and only if the strategy is
	// Report and there are conflicts.
	Merged []byte
	// Conflicts is the number of conflicting regions (whatever the
	// strategy did with them).
	Conflicts int
}

// Merge merges ours and theirs, two descendants of base, line by line;
// see the package documentation for the rules.
func Merge(base, ours, theirs []byte, opt Options) Result {
	switch {
	case bytes.Equal(ours, theirs):
		return cleanResult(ours)
	case bytes.Equal(base, ours):
		return cleanResult(theirs)
	case bytes.Equal(base, theirs):
		return cleanResult(ours)
	}
	return mergeLines(base, ours, theirs, opt)
}

// cleanResult returns a conflict-free Result holding a copy of b.
func cleanResult(b []byte) Result {
	merged := make([]byte, len(b))
	copy(merged, b)
	return Result{Merged: merged}
}

// mergeLines is Merge without the shortcuts for equal inputs.
func mergeLines(base, ours, theirs []byte, opt Options) Result {
	m := &merger{
		opt:    opt,
		base:   SplitLines(string(base)),
		ours:   SplitLines(string(ours)),
		theirs: SplitLines(string(theirs)),
		out:    make([]byte, 0, max(len(base), len(ours), len(theirs))+64),
	}
	in := make(interner, len(m.base)+16)
	b, o, t := in.ids(m.base), in.ids(m.ours), in.ids(m.theirs)
	m.merge(diffIDs(b, o, len(in), 0), diffIDs(b, t, len(in), 0))
	if m.conflicts > 0 && opt.Strategy == Report {
		m.out = nil
	}
	return Result{Merged: m.out, Conflicts: m.conflicts}
}

// merger holds the state of one merge.
type merger struct {
	opt                Options
	base, ours, theirs []string
	out                []byte
	conflicts          int
	eol                string // line ending of marker lines, once known
}

// merge walks the diffs from base to ours (eo) and to theirs (et) in base
// order, copying unchanged base lines and resolving each region of
// overlapping or touching hunks.
func (m *merger) merge(eo, et []Edit) {
	o, t := &hunks{edits: eo}, &hunks{edits: et}
	pos := 0 // base lines before pos have been dealt with
	for len(o.edits) > 0 || len(t.edits) > 0 {
		lo := nextStart(o.edits, t.edits)
		m.emit(m.base[pos:lo])
		o0, t0 := o.delta, t.delta
		hi, inO, inT := lo, false, false
		for more := true; more; {
			var okO, okT bool
			hi, okO = o.absorb(hi)
			hi, okT = t.absorb(hi)
			inO, inT, more = inO || okO, inT || okT, okO || okT
		}
		m.region(m.base[lo:hi], m.ours[lo+o0:hi+o.delta], m.theirs[lo+t0:hi+t.delta], inO, inT)
		pos = hi
	}
	m.emit(m.base[pos:])
}

// hunks is one side's diff from base, consumed in order.
type hunks struct {
	edits []Edit // the edits not consumed yet
	delta int    // line number on this side minus line number in base, after the consumed edits
}

// absorb consumes the next edit if it overlaps or touches a region of base
// ending at line hi, and returns the region's new end.
func (h *hunks) absorb(hi int) (int, bool) {
	if len(h.edits) == 0 || h.edits[0].A0 > hi {
		return hi, false
	}
	e := h.edits[0]
	h.edits = h.edits[1:]
	h.delta += (e.B1 - e.B0) - (e.A1 - e.A0)
	return max(hi, e.A1), true
}

// nextStart returns the base line where the first of the next hunks of eo
// and et starts.
func nextStart(eo, et []Edit) int {
	switch {
	case len(eo) == 0:
		return et[0].A0
	case len(et) == 0:
		return eo[0].A0
	}
	return min(eo[0].A0, et[0].A0)
}

// region resolves one region: b, o and t are its text in base, ours and
// theirs, and inO and inT tell whether ours and theirs changed it.
func (m *merger) region(b, o, t []string, inO, inT bool) {
	switch {
	case !inT, slices.Equal(o, t), slices.Equal(t, b):
		m.emit(o)
	case !inO, slices.Equal(o, b):
		m.emit(t)
	default:
		m.conflict(b, o, t)
	}
}

// conflict handles one conflicting region according to the strategy.
func (m *merger) conflict(b, o, t []string) {
	m.conflicts++
	switch m.opt.Strategy {
	case Ours:
		m.emit(o)
	case Theirs:
		m.emit(t)
	case Report:
		// The output is dropped.
	default:
		m.markers(b, o, t)
	}
}

// markers writes a conflicting region between markers.
func (m *merger) markers(b, o, t []string) {
	var suffix []string
	if !m.opt.Base {
		p := prefixLines(o, t)
		m.emit(o[:p])
		o, t = o[p:], t[p:]
		s := suffixLines(o, t)
		suffix = o[len(o)-s:]
		o, t = o[:len(o)-s], t[:len(t)-s]
	}
	m.marker("<<<<<<<", label(m.opt.OursLabel, "ours"))
	m.emit(o)
	if m.opt.Base {
		m.marker("|||||||", label(m.opt.BaseLabel, "base"))
		m.emit(b)
	}
	m.marker("=======", "")
	m.emit(t)
	m.marker(">>>>>>>", label(m.opt.TheirsLabel, "theirs"))
	m.emit(suffix)
}

// marker writes one marker line, starting a new line first if needed.
func (m *merger) marker(sym, label string) {
	eol := m.markerEOL()
	if n := len(m.out); n > 0 && m.out[n-1] != '\n' {
		m.out = append(m.out, eol...)
	}
	m.out = append(m.out, sym...)
	if label != "" {
		m.out = append(m.out, ' ')
		m.out = append(m.out, label...)
	}
	m.out = append(m.out, eol...)
}

// markerEOL returns the line ending for marker lines: "\r\n" if the
// inputs are CRLF text (see the package documentation), else "\n".
func (m *merger) markerEOL() string {
	if m.eol == "" {
		m.eol = "\n"
		if !hasLF(m.base) && !hasLF(m.ours) && !hasLF(m.theirs) &&
			(isCRLF(m.base) || isCRLF(m.ours) || isCRLF(m.theirs)) {
			m.eol = "\r\n"
		}
	}
	return m.eol
}

// emit appends lines to the output.
func (m *merger) emit(lines []string) {
	for _, l := range lines {
		m.out = append(m.out, l...)
	}
}

// label returns s, or def if s is empty.
func label(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// prefixLines returns the number of leading lines a and b have in common.
func prefixLines(a, b []string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// suffixLines returns the number of trailing lines a and b have in common.
func suffixLines(a, b []string) int {
	i, j := len(a), len(b)
	for i > 0 && j > 0 && a[i-1] == b[j-1] {
		i--
		j--
	}
	return len(a) - i
}
