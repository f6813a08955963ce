package textmerge

import (
	"bytes"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// checkMerge runs Merge and checks what must hold for any inputs: the
// shortcuts agree with the line merge, all strategies agree on the
// conflicts, Report and clean merges behave as documented, swapping ours
// and theirs changes nothing but the sides of conflicts, and the result
// shares no memory with the inputs.
func checkMerge(t tb, base, ours, theirs []byte, opt Options) Result {
	t.Helper()
	saved := [][]byte{bytes.Clone(base), bytes.Clone(ours), bytes.Clone(theirs)}
	res := Merge(base, ours, theirs, opt)
	if slow := mergeLines(base, ours, theirs, opt); slow.Conflicts != res.Conflicts || !bytes.Equal(slow.Merged, res.Merged) {
		t.Fatalf("Merge gives %d conflicts and %q, the line merge %d and %q", res.Conflicts, res.Merged, slow.Conflicts, slow.Merged)
	}
	if (res.Merged == nil) != (opt.Strategy == Report && res.Conflicts > 0) {
		t.Fatalf("%v with %d conflicts: Merged is %#v", opt.Strategy, res.Conflicts, res.Merged)
	}
	for _, s := range []Strategy{Markers, Ours, Theirs, Report} {
		o := opt
		o.Strategy = s
		other := Merge(base, ours, theirs, o)
		if other.Conflicts != res.Conflicts {
			t.Fatalf("%v: %d conflicts, %v: %d", opt.Strategy, res.Conflicts, s, other.Conflicts)
		}
		if res.Conflicts == 0 && !bytes.Equal(other.Merged, res.Merged) {
			t.Fatalf("clean merge: %v gives %q, %v %q", opt.Strategy, res.Merged, s, other.Merged)
		}
	}
	swapOpt := opt
	swapOpt.OursLabel, swapOpt.TheirsLabel = opt.TheirsLabel, opt.OursLabel
	switch opt.Strategy {
	case Ours:
		swapOpt.Strategy = Theirs
	case Theirs:
		swapOpt.Strategy = Ours
	}
	swapped := Merge(base, theirs, ours, swapOpt)
	if swapped.Conflicts != res.Conflicts {
		t.Fatalf("%d conflicts, %d with ours and theirs swapped", res.Conflicts, swapped.Conflicts)
	}
	if res.Conflicts == 0 && !bytes.Equal(swapped.Merged, res.Merged) {
		t.Fatalf("clean merge gives %q, %q with ours and theirs swapped", res.Merged, swapped.Merged)
	}
	if (opt.Strategy == Ours || opt.Strategy == Theirs || opt.Strategy == Report) && !bytes.Equal(swapped.Merged, res.Merged) {
		t.Fatalf("%v gives %q, %q with ours and theirs swapped", opt.Strategy, res.Merged, swapped.Merged)
	}
	for i := range res.Merged {
		res.Merged[i] ^= 0xff
	}
	for i, in := range [][]byte{base, ours, theirs} {
		if !bytes.Equal(in, saved[i]) {
			t.Fatalf("Merged shares memory with input %d", i)
		}
	}
	for i := range res.Merged {
		res.Merged[i] ^= 0xff
	}
	return res
}

func TestMergeOptions(t *testing.T) {
	base := "a\nb\nc\n"
	ours := "a\nB1\nc\n"
	theirs := "a\nB2\nc\n"
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"default", Options{}, "a\n<<<<<<< ours\nB1\n=======\nB2\n>>>>>>> theirs\nc\n"},
		{"labels", Options{OursLabel: "HEAD", TheirsLabel: "feature"}, "a\n<<<<<<< HEAD\nB1\n=======\nB2\n>>>>>>> feature\nc\n"},
		{"base", Options{Base: true}, "a\n<<<<<<< ours\nB1\n||||||| base\nb\n=======\nB2\n>>>>>>> theirs\nc\n"},
		{"base label", Options{Base: true, BaseLabel: "ancestor"}, "a\n<<<<<<< ours\nB1\n||||||| ancestor\nb\n=======\nB2\n>>>>>>> theirs\nc\n"},
		{"ours", Options{Strategy: Ours}, "a\nB1\nc\n"},
		{"theirs", Options{Strategy: Theirs}, "a\nB2\nc\n"},
		{"invalid strategy acts as markers", Options{Strategy: 42}, "a\n<<<<<<< ours\nB1\n=======\nB2\n>>>>>>> theirs\nc\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := checkMerge(t, []byte(base), []byte(ours), []byte(theirs), tt.opt)
			if string(res.Merged) != tt.want || res.Conflicts != 1 {
				t.Errorf("got %d conflicts and\n%s\nwant 1 and\n%s", res.Conflicts, res.Merged, tt.want)
			}
		})
	}
}

func TestMergeReport(t *testing.T) {
	res := checkMerge(t, []byte("a\n"), []byte("b\n"), []byte("c\n"), Options{Strategy: Report})
	if res.Merged != nil || res.Conflicts != 1 {
		t.Errorf("conflict: got %+v, want nil output and 1 conflict", res)
	}
	res = checkMerge(t, []byte("a\nb\nc\n"), []byte("A\nb\nc\n"), []byte("a\nb\nC\n"), Options{Strategy: Report})
	if string(res.Merged) != "A\nb\nC\n" || res.Conflicts != 0 {
		t.Errorf("clean: got %+v", res)
	}
	res = checkMerge(t, nil, nil, nil, Options{Strategy: Report})
	if res.Merged == nil || len(res.Merged) != 0 || res.Conflicts != 0 {
		t.Errorf("empty: got %#v, want empty non-nil output", res)
	}
}

func TestStrategyString(t *testing.T) {
	for s, want := range map[Strategy]string{Markers: "markers", Ours: "ours", Theirs: "theirs", Report: "report", 9: "Strategy(invalid)"} {
		if got := s.String(); got != want {
			t.Errorf("Strategy(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestIsBinary(t *testing.T) {
	at := func(n int) []byte {
		b := bytes.Repeat([]byte("x"), n+1)
		b[n] = 0
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want bool
	}{
		{"empty", nil, false},
		{"text", []byte("hello\nworld\n"), false},
		{"invalid UTF-8", []byte("caf\xe9\n\xff\xfe\n"), false},
		{"NUL first", []byte("\x00abc"), true},
		{"NUL at 7999", at(7999), true},
		{"NUL at 8000", at(8000), false},
	}
	for _, tt := range tests {
		if got := IsBinary(tt.in); got != tt.want {
			t.Errorf("%s: IsBinary = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// lineTokens are the lines random files are made of: few, so that random
// files share lines, with CRLF and blank lines among them.
var lineTokens = []string{"a\n", "b\n", "c\n", "d\n", "\n", "a\r\n", "}\n"}

// file is a random file: terminated lines and a possibly empty
// unterminated last line.
type file struct {
	lines []string
	tail  string
}

func (f file) bytes() []byte {
	return []byte(strings.Join(f.lines, "") + f.tail)
}

func drawTail(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{"", "", "", "a", "z", "a\r"}).Draw(t, label)
}

func drawFile(t *rapid.T, label string) file {
	return file{
		lines: rapid.SliceOfN(rapid.SampledFrom(lineTokens), 0, 12).Draw(t, label),
		tail:  drawTail(t, label+" tail"),
	}
}

// drawEdit returns f with a few random edits.
func drawEdit(t *rapid.T, label string, f file) file {
	lines := append([]string(nil), f.lines...)
	for i := range rapid.IntRange(0, 3).Draw(t, label+" edits") {
		at := rapid.IntRange(0, len(lines)).Draw(t, label+" at")
		n := rapid.IntRange(0, min(3, len(lines)-at)).Draw(t, label+" delete")
		ins := rapid.SliceOfN(rapid.SampledFrom(lineTokens), 0, 3).Draw(t, label+" insert")
		lines = append(lines[:at], append(ins, lines[at+n:]...)...)
		_ = i
	}
	tail := f.tail
	if rapid.IntRange(0, 4).Draw(t, label+" new tail") == 0 {
		tail = drawTail(t, label+" tail")
	}
	return file{lines: lines, tail: tail}
}

// drawMerge returns random inputs to a merge: usually edits of a common
// base, sometimes unrelated files.
func drawMerge(t *rapid.T) (base, ours, theirs []byte) {
	b := drawFile(t, "base")
	side := func(label string) []byte {
		if rapid.IntRange(0, 9).Draw(t, label+" unrelated") == 0 {
			return drawFile(t, label).bytes()
		}
		return drawEdit(t, label, b).bytes()
	}
	return b.bytes(), side("ours"), side("theirs")
}

var allOptions = []Options{
	{Strategy: Markers},
	{Strategy: Markers, Base: true},
	{Strategy: Ours},
	{Strategy: Theirs},
	{Strategy: Report},
}

// TestMergeIdentities checks Merge(x, x, y) == Merge(x, y, x) ==
// Merge(x, y, y) == y, also without the shortcuts for equal inputs.
func TestMergeIdentities(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, y, _ := drawMerge(t)
		opt := rapid.SampledFrom(allOptions).Draw(t, "options")
		for _, in := range [][3][]byte{{x, x, y}, {x, y, x}, {x, y, y}} {
			for _, res := range []Result{checkMerge(t, in[0], in[1], in[2], opt), mergeLines(in[0], in[1], in[2], opt)} {
				if res.Conflicts != 0 || !bytes.Equal(res.Merged, y) {
					t.Fatalf("Merge(%q, %q, %q) = %d conflicts, %q; want %q", in[0], in[1], in[2], res.Conflicts, res.Merged, y)
				}
			}
		}
	})
}

// TestMergeProperties runs checkMerge on random inputs, and checks that
// choosing a side in every conflict of the markers output gives the output
// of that side's strategy.
func TestMergeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base, ours, theirs := drawMerge(t)
		for _, opt := range allOptions {
			checkMerge(t, base, ours, theirs, opt)
		}
		checkResolve(t, base, ours, theirs)
	})
}

// checkResolve checks that resolving every conflict of the markers output
// to ours (theirs) gives the Ours (Theirs) output, with or without the
// base section, when the inputs end in newlines and have no marker lines.
func checkResolve(t tb, base, ours, theirs []byte) {
	t.Helper()
	for _, in := range [][]byte{base, ours, theirs} {
		if len(in) > 0 && in[len(in)-1] != '\n' || hasMarkerLine(in) {
			return
		}
	}
	wantOurs := Merge(base, ours, theirs, Options{Strategy: Ours}).Merged
	wantTheirs := Merge(base, ours, theirs, Options{Strategy: Theirs}).Merged
	for _, withBase := range []bool{false, true} {
		m := Merge(base, ours, theirs, Options{Base: withBase}).Merged
		if got := resolve(m, "ours"); !bytes.Equal(got, wantOurs) {
			t.Fatalf("markers (base %v) %q resolved to ours: %q, want %q", withBase, m, got, wantOurs)
		}
		if got := resolve(m, "theirs"); !bytes.Equal(got, wantTheirs) {
			t.Fatalf("markers (base %v) %q resolved to theirs: %q, want %q", withBase, m, got, wantTheirs)
		}
	}
}

// markerPrefixes start the lines Merge writes as markers.
var markerPrefixes = []string{"<<<<<<<", "|||||||", "=======", ">>>>>>>"}

// hasMarkerLine reports whether b has a line starting like a marker.
func hasMarkerLine(b []byte) bool {
	for _, l := range SplitLines(string(b)) {
		for _, p := range markerPrefixes {
			if strings.HasPrefix(l, p) {
				return true
			}
		}
	}
	return false
}

// resolve keeps, in every conflict of a markers output with default
// labels, the section of side ("ours", "base" or "theirs").
func resolve(merged []byte, side string) []byte {
	var out []byte
	section := "" // the section being read, "" outside conflicts
	for _, l := range SplitLines(string(merged)) {
		switch strings.TrimRight(l, "\r\n") {
		case "<<<<<<< ours":
			section = "ours"
		case "||||||| base":
			section = "base"
		case "=======":
			section = "theirs"
		case ">>>>>>> theirs":
			section = ""
		default:
			if section == "" || section == side {
				out = append(out, l...)
			}
		}
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// TestMergeDisjoint checks that edits on either side of an unchanged line
// that occurs nowhere else never conflict, and that the merge then
// commutes and contains both sides' edits.
func TestMergeDisjoint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		top, bottom := drawFile(t, "top"), drawFile(t, "bottom")
		top.tail = ""
		const sep = "--- separator ---\n"
		join := func(top, bottom file) []byte {
			return append(append(top.bytes(), sep...), bottom.bytes()...)
		}
		top2, bottom2 := drawEdit(t, "ours", top), drawEdit(t, "theirs", bottom)
		top2.tail = ""
		base := join(top, bottom)
		ours := join(top2, bottom)
		theirs := join(top, bottom2)
		res := checkMerge(t, base, ours, theirs, Options{Strategy: Report})
		if want := join(top2, bottom2); res.Conflicts != 0 || !bytes.Equal(res.Merged, want) {
			t.Fatalf("got %d conflicts and %q, want %q", res.Conflicts, res.Merged, want)
		}
	})
}
