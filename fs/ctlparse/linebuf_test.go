package ctlparse

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// feed writes each chunk to b and collects the lines and the errors.
func feed(b *LineBuffer, chunks ...string) (lines []string, errs []error) {
	for _, c := range chunks {
		got, err := b.Write([]byte(c))
		lines = append(lines, got...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return lines, errs
}

func TestLineBuffer(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		lines  []string
		final  string // "" and !hasFinal if Flush returns nothing
		hasFin bool
	}{
		{"one line", []string{"gc\n"}, []string{"gc"}, "", false},
		{"several lines in one write", []string{"a\nb c\n\nd\n"}, []string{"a", "b c", "", "d"}, "", false},
		{"split across writes", []string{"che", "ckpoint from", "=/x\nta", "g a b", "\n"}, []string{"checkpoint from=/x", "tag a b"}, "", false},
		{"trailing partial line", []string{"a\nb"}, []string{"a"}, "b", true},
		{"trailing partial across writes", []string{"se", "ssion", " x"}, nil, "session x", true},
		{"CRLF kept for Parse", []string{"a\r\nb\r"}, []string{"a\r"}, "b\r", true},
		{"empty writes", []string{"", "a", "", "\n", ""}, []string{"a"}, "", false},
		{"newline only", []string{"\n\n"}, []string{"", ""}, "", false},
		{"no input", nil, nil, "", false},
	}
	for _, tt := range tests {
		var b LineBuffer
		lines, errs := feed(&b, tt.chunks...)
		if len(errs) > 0 {
			t.Errorf("%s: errors %v", tt.name, errs)
		}
		if !slices.Equal(lines, tt.lines) {
			t.Errorf("%s: lines %q, want %q", tt.name, lines, tt.lines)
		}
		final, ok := b.Flush()
		if final != tt.final || ok != tt.hasFin {
			t.Errorf("%s: Flush() = %q, %v, want %q, %v", tt.name, final, ok, tt.final, tt.hasFin)
		}
		if final, ok := b.Flush(); ok || final != "" {
			t.Errorf("%s: second Flush() = %q, %v", tt.name, final, ok)
		}
	}
}

// TestLineBufferChunking writes the same stream in chunks of every size from
// 1 to its length and checks that the lines do not depend on the chunking.
func TestLineBufferChunking(t *testing.T) {
	stream := "checkpoint from=/src message=\"a b\"\r\n# comment\n\ntag 01 x y\nbranch b\nrestore 01 to=/dst"
	want := strings.Split(stream, "\n")
	for size := 1; size <= len(stream); size++ {
		var b LineBuffer
		var chunks []string
		for s := stream; s != ""; {
			n := min(size, len(s))
			chunks = append(chunks, s[:n])
			s = s[n:]
		}
		lines, errs := feed(&b, chunks...)
		if final, ok := b.Flush(); ok {
			lines = append(lines, final)
		}
		if len(errs) > 0 || !slices.Equal(lines, want) {
			t.Fatalf("chunk size %d: lines %q, errs %v; want %q", size, lines, errs, want)
		}
	}
}

func TestLineBufferTooLong(t *testing.T) {
	const tooLong = "line too long (limit 1048576 bytes)"
	max := strings.Repeat("x", MaxLineLen)
	long := max + "x"

	t.Run("exactly max is fine", func(t *testing.T) {
		var b LineBuffer
		lines, errs := feed(&b, "a\n"+max+"\nb\n")
		if len(errs) > 0 || len(lines) != 3 || lines[1] != max {
			t.Errorf("got %d lines, errs %v", len(lines), errs)
		}
		lines, errs = feed(&b, max)
		final, ok := b.Flush()
		if len(errs) > 0 || len(lines) != 0 || !ok || final != max {
			t.Errorf("partial max: %d lines, errs %v, flush ok %v", len(lines), errs, ok)
		}
	})

	t.Run("one write with newline", func(t *testing.T) {
		var b LineBuffer
		lines, err := b.Write([]byte("a\nb\n" + long + "\nc\nd"))
		checkErr(t, "Write", err, tooLong)
		if !slices.Equal(lines, []string{"a", "b"}) {
			t.Errorf("lines %q, want [a b]", lines)
		}
		// The rest of the failed write is dropped; the next write starts
		// a fresh line because the failed one ended mid-line and the
		// buffer resynchronises at the next newline.
		lines, errs := feed(&b, "e\nf\n")
		if len(errs) > 0 || !slices.Equal(lines, []string{"f"}) {
			t.Errorf("after error: lines %q, errs %v", lines, errs)
		}
	})

	t.Run("failed write ending in newline", func(t *testing.T) {
		var b LineBuffer
		_, err := b.Write([]byte(long + "\nc\n"))
		checkErr(t, "Write", err, tooLong)
		lines, errs := feed(&b, "d\n")
		if len(errs) > 0 || !slices.Equal(lines, []string{"d"}) {
			t.Errorf("after error: lines %q, errs %v", lines, errs)
		}
	})

	t.Run("many small writes", func(t *testing.T) {
		var b LineBuffer
		lines, errs := feed(&b, "ok\n")
		chunk := strings.Repeat("y", 4096)
		for range MaxLineLen/len(chunk) + 10 {
			got, errs2 := feed(&b, chunk)
			lines = append(lines, got...)
			errs = append(errs, errs2...)
		}
		if len(errs) != 1 {
			t.Fatalf("got %d errors, want exactly 1: %v", len(errs), errs)
		}
		checkErr(t, "Write", errs[0], tooLong)
		got, errs2 := feed(&b, "rest of long line\nnext\n")
		lines = append(lines, got...)
		if len(errs2) > 0 || !slices.Equal(lines, []string{"ok", "next"}) {
			t.Errorf("lines %q, errs %v", lines, errs2)
		}
		if cap(b.pending) > keepCap {
			t.Errorf("buffer keeps %d bytes after a long line", cap(b.pending))
		}
	})

	t.Run("flush after overflow", func(t *testing.T) {
		var b LineBuffer
		_, errs := feed(&b, long)
		if len(errs) != 1 {
			t.Fatalf("errs %v", errs)
		}
		if final, ok := b.Flush(); ok {
			t.Errorf("Flush() = %d bytes, true; want nothing", len(final))
		}
		lines, errs := feed(&b, "x\n")
		if len(errs) > 0 || !slices.Equal(lines, []string{"x"}) {
			t.Errorf("after Flush: lines %q, errs %v", lines, errs)
		}
	})

	t.Run("Parse rejects it too", func(t *testing.T) {
		_, _, err := SessionGrammar().Parse("delete " + long)
		checkErr(t, "Parse", err, tooLong)
		_, _, err = SessionGrammar().Parse("#" + long)
		checkErr(t, "Parse comment", err, tooLong)
	})
}

func TestLineBufferDoesNotAlias(t *testing.T) {
	var b LineBuffer
	p := []byte("abc\ndef")
	lines, _ := b.Write(p)
	copy(p, bytes.Repeat([]byte("z"), len(p)))
	final, _ := b.Flush()
	if !slices.Equal(lines, []string{"abc"}) || final != "def" {
		t.Errorf("lines %q, final %q", lines, final)
	}
}
