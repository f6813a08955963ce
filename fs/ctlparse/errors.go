package ctlparse

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrSyntax is matched (with errors.Is) by every error this package returns.
// Callers map it to EINVAL.
var ErrSyntax = errors.New("ctlparse: syntax error")

// Error describes why a control line was rejected. Its Error method returns
// Msg unchanged, which is meant to be shown to the user verbatim, for
// example after "error: ".
type Error struct {
	// Col is the 1-based byte offset in the line of the offending
	// character for lexical errors (quotes, backslashes, NUL bytes), and 0
	// when the error is not tied to a single position.
	Col int
	// Msg is the human-readable message, e.g. `unknown verb "chekpoint"`.
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Is reports whether target is ErrSyntax.
func (e *Error) Is(target error) bool { return target == ErrSyntax }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

func errorAt(col int, format string, args ...any) error {
	return &Error{Col: col, Msg: fmt.Sprintf(format, args...)}
}

// maxQuoted bounds how much of a user-supplied string is echoed back in an
// error message.
const maxQuoted = 64

// q quotes user input for an error message, truncating long input so that a
// 1 MiB word does not produce a 1 MiB message.
func q(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + "..."
}
