package main

import (
	"errors"
	"fmt"
	"github.com/ckptfs/ckptfs"
	"io"
)

// Exit codes: a stable ABI (docs/CLI.md).
const (
	exitOK    = 0 // success
	exitError = 1 // the command failed (or fsck found a fault)
	exitUsage = 2 // unknown command or flag, wrong arguments
)

// usageError marks errors in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit status whose message was already printed
// (fsck faults, forwarded commands).
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error to the process status, printing it to stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var se *silentExit
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintf(stderr, "ckptfs: %s\n", ckptfs.Message(err))
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'ckptfs help' for usage.")
		return exitUsage
	}
	return exitError
}
