package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// app is one invocation: where output goes, which store, and whether a
// store held by a running mount may be reached through its control socket.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	tty            bool   // stderr is a terminal: show progress bars
	cwd            string // for relative paths ("" = process cwd)
	storeDir       string
	forward        bool   // CLI process: forward to a mount holding the store
	stdinBuf       []byte // stdin, once read for forwarding (bufferStdin)

	store  *ckptfs.Store // open store (owned when ownStore)
	shared bool          // store belongs to a mount serving this request
}

// command is one subcommand.
type command struct {
	name, usage, summary string
	// local commands never open the store (help, bench, mount opens its own).
	local bool
	flags func(fs *pflag.FlagSet)
	run   func(ctx context.Context, a *app, args []string) error
	// readsStdin, once the flags are parsed, tells whether the command
	// reads stdin: a command forwarded to a server then takes it along.
	readsStdin func() bool
	// readOnly commands never write to the store: they open it read-only
	// when that is cheaper (openStore).
	readOnly bool
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func commands() []*command {
	return []*command{
		cmdCheckpoint(), cmdLog(), cmdShow(), cmdSearch(), cmdBranch(), cmdTag(), cmdUntag(),
		cmdDelete(), cmdSessions(), cmdFsck(), cmdBench(),
		cmdRestore(), cmdDiff(),
		cmdMount(), cmdServe(),
		cmdMerge(),
		cmdGC(),
		cmdVersion(),
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

const globalUsage = `ckptfs keeps checkpoints of file trees in one deduplicated, compressed store
and mounts them all as a filesystem.

Usage:
  ckptfs [--store DIR] COMMAND [FLAGS] ARGS

Global flags:
  --store DIR   the store (default $CKPTFS_STORE, else $XDG_DATA_HOME/ckptfs,
                else ~/.local/share/ckptfs); created on first use
  --version     print the version (as 'ckptfs version')

Commands:
`

func (a *app) printUsage(w io.Writer) {
	fmt.Fprint(w, globalUsage)
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'ckptfs COMMAND --help' for a command's flags.\n")
}

// run parses global flags and dispatches.
func (a *app) run(ctx context.Context, args []string) error {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "--store" || args[0] == "-store":
			if len(args) < 2 {
				return usagef("--store needs a directory")
			}
			a.storeDir, args = args[1], args[2:]
		case strings.HasPrefix(args[0], "--store="):
			a.storeDir, args = strings.TrimPrefix(args[0], "--store="), args[1:]
		case args[0] == "-h" || args[0] == "--help":
			a.printUsage(a.stdout)
			return nil
		case args[0] == "--version":
			a.printf("%s\n", readVersion())
			return nil
		default:
			return usagef("unknown global flag %q", args[0])
		}
	}
	if len(args) == 0 {
		a.printUsage(a.stderr)
		return &silentExit{exitUsage}
	}
	if args[0] == "help" {
		if len(args) > 1 {
			if c := findCommand(args[1]); c != nil {
				return a.runCommand(ctx, c, []string{"--help"})
			}
		}
		a.printUsage(a.stdout)
		return nil
	}
	c := findCommand(args[0])
	if c == nil {
		return usagef("unknown command %q", args[0])
	}
	return a.runCommand(ctx, c, args[1:])
}

func (a *app) runCommand(ctx context.Context, c *command, args []string) error {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	if c.flags != nil {
		c.flags(fs)
	}
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", c.name, err)
	}
	if *help {
		fmt.Fprintf(a.stdout, "Usage: ckptfs %s %s\n\n%s\n", c.name, c.usage, c.summary)
		if fs.HasFlags() {
			fmt.Fprintf(a.stdout, "\nFlags:\n%s", fs.FlagUsages())
		}
		return nil
	}
	if !c.local && a.store == nil {
		for wait := 10 * time.Millisecond; ; wait *= 2 {
			err := a.openStore(c.readOnly)
			if !errors.Is(err, ckptfs.ErrInUse) || !a.forward {
				if err != nil {
					return err
				}
				break
			}
			var stdin []byte
			if c.readsStdin != nil && c.readsStdin() {
				if stdin, err = a.bufferStdin(); err != nil {
					return err
				}
			}
			err = a.forwardToMount(ctx, c.name, args, stdin)
			// Another command holds the store, or a server starting or
			// stopping: try again, opening the store or asking it.
			if !errors.Is(err, errNoAnswer) || wait >= 2*time.Second || ctx.Err() != nil {
				return err
			}
			time.Sleep(wait)
		}
		defer a.closeStore()
	}
	return c.run(ctx, a, fs.Args())
}

func (a *app) resolveStoreDir() (string, error) {
	if a.storeDir != "" {
		return a.abs(a.storeDir), nil
	}
	return ckptfs.DefaultDir()
}

// commandBlockCache is Pebble's block cache for one command: it reads most
// blocks once, so a large cache only fills with them. Restoring a 1 GiB
// file: peak RSS 386–505 MB with the 256 MiB default, 137–148 MB with this,
// and no slower (1.2–1.5 s against 1.5–3.2 s); a checkpoint of it 327 →
// 275 MB. Checkpoints and rollbacks of Go's source tree took the same
// time with either (medians of 10 alternating rounds: 1 %-changed 70.5 /
// 71.2 ms, unchanged 55.2 / 56.6 ms, rollback 71.5 / 70.8 ms). Servers
// keep the default: their cache lives across commands.
const commandBlockCache = 32 << 20

// openStore opens the store, read-only for a command that only reads
// when that is cheaper: a read-write open replays and flushes the last
// writer's log, writes a new log, manifest and options file, and may run
// a compaction before it returns; a read-only one only replays the log,
// in memory. Each read-only open replays it again, so after a large write
// (pendingLogMax) the store is opened read-write once, which flushes it.
func (a *app) openStore(readOnly bool) error {
	dir, err := a.resolveStoreDir()
	if err != nil {
		return err
	}
	a.storeDir = dir
	s, err := ckptfs.Open(dir, ckptfs.Options{ReadOnly: readOnly && quietStore(dir), BlockCacheBytes: commandBlockCache})
	if err != nil {
		return err
	}
	a.store = s
	return nil
}

// bufferStdin reads stdin into memory once, to send it to a server, and
// makes a.stdin read it again from the start: the command may still end
// up running in this process.
func (a *app) bufferStdin() ([]byte, error) {
	if a.stdinBuf == nil {
		b, err := io.ReadAll(io.LimitReader(a.stdin, maxForwardedStdin))
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		a.stdinBuf = b
	}
	a.stdin = bytes.NewReader(a.stdinBuf)
	return a.stdinBuf, nil
}

// pendingLogMax is the most write-ahead log a read-only open replays.
const pendingLogMax = 4 << 20

// quietStore reports whether dir holds a store whose write-ahead logs
// (*.log) add up to at most pendingLogMax bytes. (A store that does not
// exist yet is not quiet: a read-write open creates it.)
func quietStore(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	var logs int64
	exists := false
	for _, e := range ents {
		switch name := e.Name(); {
		case strings.HasPrefix(name, "MANIFEST-"):
			exists = true
		case strings.HasSuffix(name, ".log"):
			fi, err := e.Info()
			if err != nil {
				return false
			}
			logs += fi.Size()
		}
	}
	return exists && logs <= pendingLogMax
}

func (a *app) closeStore() {
	if a.store != nil && !a.shared {
		a.store.Close()
		a.store = nil
	}
}

// abs makes p absolute against the invocation's working directory.
func (a *app) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	cwd := a.cwd
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	return filepath.Join(cwd, p)
}
