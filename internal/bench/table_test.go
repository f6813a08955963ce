package bench

import (
	"strings"
	"testing"
)

func TestWriteTableAligned(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	rep := &Report{Durability: "synced", SyncMS: 0.213, Rows: []Row{
		{Name: "create/10KB", Value: 12345.6, Unit: "per_s", SeedBar: f(100), Goal: f(5000), HigherIsBetter: true},
		{Name: "create/10MB", Value: 3.25, Unit: "MB_per_s", HigherIsBetter: true},
		{Name: "incremental/1pct", Value: 12.5, Unit: "x", SeedBar: f(10), Goal: f(50), HigherIsBetter: true},
		{Name: "query/list_by_session", Value: 0.0456, Unit: "ms", SeedBar: f(10), Goal: f(0.1)},
		{Name: "query/search", Value: 2.5, Unit: "ms", SeedBar: f(50), Goal: f(1)},
	}}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2+len(rep.Rows) {
		t.Fatalf("%d lines, want %d", len(lines), 2+len(rep.Rows))
	}
	if !strings.Contains(lines[0], "synced") || !strings.Contains(lines[0], "0.213 ms") {
		t.Errorf("first line %q lacks durability or sync", lines[0])
	}
	table := lines[1:]
	// Left-aligned columns (name, unit) start at the same rune offset on
	// every line; right-aligned ones (value, bar, goal) end at the same one.
	for col, name := range []string{"name", "value", "unit", "seed bar", "goal"} {
		var want int
		for i, l := range table {
			c := spans(l)[col]
			pos := c.start
			if col == 1 || col == 3 || col == 4 {
				pos = c.end
			}
			if i == 0 {
				want = pos
			} else if pos != want {
				t.Errorf("column %s: line %d at %d, header at %d:\n%s", name, i, pos, want, out)
			}
		}
	}
	wantCells := [][]string{
		{"create/10KB", "12346", "per_s", "100", "5000", "✓"},
		{"create/10MB", "3.25", "MB_per_s", "-", "-"},
		{"incremental/1pct", "12.5", "x", "10", "50", "✗"},
		{"query/list_by_session", "0.0456", "ms", "10", "0.1", "✓"},
		{"query/search", "2.50", "ms", "50", "1", "✗"},
	}
	for i, want := range wantCells {
		if got := splitCells(table[i+1]); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
	}
}

type span struct {
	text       string
	start, end int // rune offsets
}

// spans splits a table line into cells separated by two or more spaces.
func spans(l string) []span {
	var out []span
	r := []rune(l)
	for i := 0; i < len(r); {
		if r[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(r) && !(r[j] == ' ' && (j+1 == len(r) || r[j+1] == ' ')) {
			j++
		}
		out = append(out, span{string(r[i:j]), i, j})
		i = j
	}
	return out
}

func splitCells(l string) []string {
	var cells []string
	for _, c := range spans(l) {
		cells = append(cells, c.text)
	}
	return cells
}

func TestFormatFigure(t *testing.T) {
	for v, want := range map[float64]string{
		12345.6: "12346", 150: "150", 12.34: "12.3", 2.5: "2.50", 0.1: "0.1",
		0.0456: "0.0456", 0.00012: "0.00012", 0: "0",
	} {
		if got := formatFigure(v); got != want {
			t.Errorf("formatFigure(%v) = %q, want %q", v, got, want)
		}
	}
}
