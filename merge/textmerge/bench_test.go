package textmerge

import (
	"fmt"
	"strings"
	"testing"
)

// sourceFile returns an n-line file that looks like Go source: mostly
// distinct lines, with braces and blank lines repeated.
func sourceFile(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		switch i % 8 {
		case 0:
			lines[i] = fmt.Sprintf("func f%d(x int) int {\n", i)
		case 6:
			lines[i] = "}\n"
		case 7:
			lines[i] = "\n"
		default:
			lines[i] = fmt.Sprintf("\tx = x*%d + compute(x, %d) // step %d\n", i%13, i%7, i)
		}
	}
	return lines
}

// edited returns the file lines with line i replaced for every i in at.
func edited(lines []string, tag string, at ...int) []byte {
	out := append([]string(nil), lines...)
	for _, i := range at {
		out[i] = fmt.Sprintf("\t// %s edit of line %d\n", tag, i)
	}
	return []byte(strings.Join(out, ""))
}

// BenchmarkMerge merges a 400-line file with five edits on each side,
// without and with conflicts.
func BenchmarkMerge(b *testing.B) {
	lines := sourceFile(400)
	base := []byte(strings.Join(lines, ""))
	for _, bc := range []struct {
		name         string
		ours, theirs []int
		conflicts    int
	}{
		{"clean", []int{10, 90, 170, 250, 330}, []int{50, 130, 210, 290, 370}, 0},
		{"conflicts", []int{10, 90, 170, 250, 330}, []int{10, 91, 210, 290, 370}, 2},
	} {
		ours := edited(lines, "ours", bc.ours...)
		theirs := edited(lines, "theirs", bc.theirs...)
		if c := Merge(base, ours, theirs, Options{}).Conflicts; c != bc.conflicts {
			b.Fatalf("%s: %d conflicts, want %d", bc.name, c, bc.conflicts)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(base)))
			b.ReportAllocs()
			for b.Loop() {
				Merge(base, ours, theirs, Options{})
			}
		})
	}
}

// BenchmarkMerge200Files merges 200 files of 30 to 90 lines, half of them
// with a conflict; one iteration merges all 200.
func BenchmarkMerge200Files(b *testing.B) {
	type input struct{ base, ours, theirs []byte }
	var inputs []input
	for i := range 200 {
		lines := sourceFile(30 + i%61)
		n := len(lines)
		in := input{base: []byte(strings.Join(lines, "")), ours: edited(lines, "ours", 2, n/2)}
		if i%2 == 0 {
			in.theirs = edited(lines, "theirs", n/2, n-3) // conflicts at n/2
		} else {
			in.theirs = edited(lines, "theirs", n/4, n-3)
		}
		inputs = append(inputs, in)
	}
	conflicts := 0
	for _, in := range inputs {
		conflicts += Merge(in.base, in.ours, in.theirs, Options{}).Conflicts
	}
	if conflicts != 100 {
		b.Fatalf("%d conflicts, want 100", conflicts)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range inputs {
			Merge(in.base, in.ours, in.theirs, Options{})
		}
	}
}
