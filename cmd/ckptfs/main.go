// Command ckptfs keeps checkpoints of file trees in one deduplicated,
// compressed store and mounts them all as a filesystem. See README.md and
// docs/CLI.md.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	tuneGC()
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs the command line and returns the process exit status. SIGINT
// and SIGTERM cancel the context: long work stops cleanly, leaving no
// partial checkpoint.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, forward: true}
	if f, ok := stderr.(*os.File); ok {
		a.tty = isTerminal(f)
	}
	return exitCode(a.run(ctx, args), stderr)
}
