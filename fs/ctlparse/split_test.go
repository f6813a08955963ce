package ctlparse

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   \t ", nil},
		{"a", []string{"a"}},
		{"  a  b\tc ", []string{"a", "b", "c"}},
		// Single quotes: everything literal.
		{`'a b'`, []string{"a b"}},
		{`'a\b "c"'`, []string{`a\b "c"`}},
		{`'#x'`, []string{"#x"}},
		// Double quotes: \" and \\ are escapes, other backslashes literal.
		{`"a b"`, []string{"a b"}},
		{`"say \"hi\""`, []string{`say "hi"`}},
		{`"a\\b"`, []string{`a\b`}},
		{`"a\b\n\$"`, []string{`a\b\n\$`}},
		{`"\\\""`, []string{`\"`}},
		{`"it's"`, []string{"it's"}},
		{`"trailing\\"`, []string{`trailing\`}},
		// Unquoted backslash escapes the next character.
		{`a\ b`, []string{"a b"}},
		{`\'x\"`, []string{`'x"`}},
		{`\\`, []string{`\`}},
		{`\#`, []string{"#"}},
		// Adjacent parts join.
		{`message="a b"c`, []string{"message=a bc"}},
		{`a'b'"c"d`, []string{"abcd"}},
		{`'a'\''b'`, []string{"a'b"}},
		// Empty words.
		{`""`, []string{""}},
		{`''`, []string{""}},
		{`a "" b`, []string{"a", "", "b"}},
		{`x='' y=""`, []string{"x=", "y="}},
		{`''""`, []string{""}},
		// '#' is not special to Split.
		{"# a", []string{"#", "a"}},
		{"a #b", []string{"a", "#b"}},
		// Other whitespace and control characters are ordinary.
		{"a\rb\v", []string{"a\rb\v"}},
		// Invalid UTF-8 passes through.
		{"from=/a\xff\xfeb", []string{"from=/a\xff\xfeb"}},
		{"'\xff'", []string{"\xff"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.line)
		if err != nil {
			t.Errorf("Split(%q): unexpected error %v", tt.line, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Split(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		line string
		msg  string
		col  int
	}{
		{`'abc`, "unterminated single quote (opened at column 1)", 1},
		{`a "abc`, "unterminated double quote (opened at column 3)", 3},
		{`"abc\"`, "unterminated double quote (opened at column 1)", 1},
		{`x 'a'b'`, "unterminated single quote (opened at column 7)", 7},
		{`abc\`, "backslash at end of line (column 4)", 4},
		{"ab\x00c", "NUL byte at column 3", 3},
		{"'ab\x00c'", "NUL byte at column 4", 4},
		{"a\nb", "newline at column 2", 2},
	}
	for _, tt := range tests {
		_, err := Split(tt.line)
		checkErr(t, "Split("+strings.ReplaceAll(tt.line, "\x00", `\0`)+")", err, tt.msg)
		var e *Error
		if errors.As(err, &e) && e.Col != tt.col {
			t.Errorf("Split(%q): Col = %d, want %d", tt.line, e.Col, tt.col)
		}
	}
}

// checkErr fails unless err is a syntax error with exactly message msg.
func checkErr(t *testing.T, what string, err error, msg string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: no error, want %q", what, msg)
	case !errors.Is(err, ErrSyntax):
		t.Errorf("%s: error %v does not match ErrSyntax", what, err)
	case err.Error() != msg:
		t.Errorf("%s: error %q, want %q", what, err.Error(), msg)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ word, want string }{
		{"abc", "abc"},
		{"/a/b-c_d.e:f@g%h+i,j=k", "/a/b-c_d.e:f@g%h+i,j=k"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"message=a b", "message='a b'"},
		{"message=", "message="},
		{"=a b", "'=a b'"},
		{"#x", "'#x'"},
		{`a\b`, `'a\b'`},
		{`"`, `'"'`},
		{"\xff", "'\xff'"},
		{"a\r", "'a\r'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.word); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.word, got, tt.want)
		}
		words, err := Split(Quote(tt.word))
		if err != nil || len(words) != 1 || words[0] != tt.word {
			t.Errorf("Split(Quote(%q)) = %q, %v", tt.word, words, err)
		}
	}
}

func TestJoin(t *testing.T) {
	words := []string{"checkpoint", "from=/x y", "message=it's", "", "#", "tag=a'b\"c\\d", "\t"}
	line := Join(words)
	got, err := Split(line)
	if err != nil || !slices.Equal(got, words) {
		t.Errorf("Split(Join(%q)) = %q, %v (line %q)", words, got, err, line)
	}
	if Join(nil) != "" {
		t.Errorf("Join(nil) = %q", Join(nil))
	}
}
