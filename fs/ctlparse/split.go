package ctlparse

import "strings"

// isBlank reports whether c separates words outside quotes.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// checkBytes rejects the bytes that may never appear in a line: NUL and
// newline.
func checkBytes(line string) error {
	if i := strings.IndexByte(line, 0); i >= 0 {
		return errorAt(i+1, "NUL byte at column %d", i+1)
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		return errorAt(i+1, "newline at column %d", i+1)
	}
	return nil
}

// Split splits one line into words using the POSIX-shell-like quoting rules
// described in the package documentation. It does not treat '#' specially
// and does not remove a trailing CR; Parse does both. Split returns an empty
// slice for a line of blanks.
func Split(line string) ([]string, error) {
	if err := checkBytes(line); err != nil {
		return nil, err
	}
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case isBlank(c):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case c == '\\':
			if i+1 == len(line) {
				return nil, errorAt(i+1, "backslash at end of line (column %d)", i+1)
			}
			i++
			cur.WriteByte(line[i])
		case c == '\'':
			end, err := singleQuoted(line, i, &cur)
			if err != nil {
				return nil, err
			}
			i = end
		case c == '"':
			end, err := doubleQuoted(line, i, &cur)
			if err != nil {
				return nil, err
			}
			i = end
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// singleQuoted copies the contents of the single-quoted string opening at
// line[start] into w and returns the index of the closing quote.
func singleQuoted(line string, start int, w *strings.Builder) (int, error) {
	j := strings.IndexByte(line[start+1:], '\'')
	if j < 0 {
		return 0, errorAt(start+1, "unterminated single quote (opened at column %d)", start+1)
	}
	w.WriteString(line[start+1 : start+1+j])
	return start + 1 + j, nil
}

// doubleQuoted copies the contents of the double-quoted string opening at
// line[start] into w, processing \" and \\, and returns the index of the
// closing quote. Any other backslash is kept literally.
func doubleQuoted(line string, start int, w *strings.Builder) (int, error) {
	for j := start + 1; j < len(line); j++ {
		switch c := line[j]; c {
		case '"':
			return j, nil
		case '\\':
			if j+1 < len(line) && (line[j+1] == '"' || line[j+1] == '\\') {
				j++
				w.WriteByte(line[j])
				continue
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return 0, errorAt(start+1, "unterminated double quote (opened at column %d)", start+1)
}

// isSafe reports whether c can appear unquoted in Quote's output.
func isSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_./:@%+,=", c) >= 0
}

func allSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSafe(s[i]) {
			return false
		}
	}
	return true
}

// Quote returns word in a form that Split reads back as exactly word:
//
//   - a word made only of letters, digits and -_./:@%+,= is returned
//     unchanged;
//   - the empty word becomes a pair of single quotes;
//   - a word with a key= prefix of such safe characters keeps the prefix
//     and has only the value single-quoted;
//   - any other word is single-quoted.
//
// Inside single quotes an embedded single quote is written as quote,
// backslash, quote, quote. For example:
//
//	Quote("abc")         abc
//	Quote("")            ''
//	Quote("message=a b") message='a b'
//	Quote("it's")        'it'\''s'
//
// The result is valid only for words without NUL and newline bytes, which
// are exactly the words Split can produce; such bytes can never be sent in
// a control line.
func Quote(word string) string {
	if word == "" {
		return "''"
	}
	if allSafe(word) {
		return word
	}
	if i := strings.IndexByte(word, '='); i > 0 && allSafe(word[:i]) {
		return word[:i+1] + singleQuote(word[i+1:])
	}
	return singleQuote(word)
}

func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each word with Quote and joins them with single spaces, giving
// a line that Split turns back into words. The CLI uses it to forward a
// command to a control file.
func Join(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = Quote(w)
	}
	return strings.Join(quoted, " ")
}
