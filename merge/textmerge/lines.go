package textmerge

import (
	"bytes"
	"strings"
)

// binarySniffLen is how many leading bytes IsBinary inspects, as git does.
const binarySniffLen = 8000

// IsBinary reports whether b looks like a binary file, which should not be
// merged line by line: like git, it reports whether there is a NUL byte in
// the first 8000 bytes. Invalid UTF-8 alone does not make a file binary,
// since the line merge works on bytes and handles any encoding that uses
// "\n" as line terminator (Latin-1, Shift JIS, ...).
func IsBinary(b []byte) bool {
	if len(b) > binarySniffLen {
		b = b[:binarySniffLen]
	}
	return bytes.IndexByte(b, 0) >= 0
}

// SplitLines splits s into lines, each keeping its "\n" terminator (and
// so any "\r" before it); a final line without "\n" is kept as it is.
// Concatenating the lines gives back s. The lines share memory with s.
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	n := strings.Count(s, "\n")
	if s[len(s)-1] != '\n' {
		n++
	}
	lines := make([]string, 0, n)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// isCRLF reports whether lines are "CRLF text": at least one line is
// terminated and every terminated line ends in "\r\n". An unterminated
// last line does not count either way.
func isCRLF(lines []string) bool {
	terminated := false
	for _, l := range lines {
		if !strings.HasSuffix(l, "\n") {
			continue
		}
		if !strings.HasSuffix(l, "\r\n") {
			return false
		}
		terminated = true
	}
	return terminated
}

// hasLF reports whether any of lines ends in a bare "\n".
func hasLF(lines []string) bool {
	for _, l := range lines {
		if strings.HasSuffix(l, "\n") && !strings.HasSuffix(l, "\r\n") {
			return true
		}
	}
	return false
}

// interner numbers distinct lines, so that the diff compares integers.
type interner map[string]int32

// ids returns the number of each line of lines, numbering new lines as
// they come.
func (in interner) ids(lines []string) []int32 {
	ids := make([]int32, len(lines))
	for i, l := range lines {
		id, ok := in[l]
		if !ok {
			id = int32(len(in))
			in[l] = id
		}
		ids[i] = id
	}
	return ids
}
