package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteTable writes the report for people: a line with the durability and
// sync_ms, then one aligned row per figure with its name, value, unit, the
// seed's bar, our goal ("-" when there is none) and ✓ or ✗ for whether the
// value reaches the goal.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "durability %s, one synced empty commit %s ms\n", r.Durability, formatFigure(r.SyncMS))
	cells := [][]string{{"name", "value", "unit", "seed bar", "goal", ""}}
	for _, row := range r.Rows {
		mark := ""
		if meets, has := row.MeetsGoal(); has {
			mark = "✗"
			if meets {
				mark = "✓"
			}
		}
		cells = append(cells, []string{row.Name, formatFigure(row.Value), row.Unit,
			formatOptional(row.SeedBar), formatOptional(row.Goal), mark})
	}
	writeAligned(&b, cells, []bool{false, true, false, true, true, false})
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAligned pads each column to its widest cell (counted in runes),
// right-aligned where right says so, columns two spaces apart; trailing
// blanks are trimmed.
func writeAligned(b *strings.Builder, cells [][]string, right []bool) {
	width := make([]int, len(right))
	for _, line := range cells {
		for i, c := range line {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, line := range cells {
		var l strings.Builder
		for i, c := range line {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if right[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
}

// formatOptional prints a bar or goal: a round number, in full.
func formatOptional(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// formatFigure prints about three significant digits (more for large
// values, which print as integers).
func formatFigure(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64) // 0.1, 0.0456, 0.00012

}
