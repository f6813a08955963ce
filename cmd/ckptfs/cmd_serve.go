package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/pflag"
)

type serveOptions struct {
	idleExit time.Duration
	gc       autoGCFlags
}

// cmdServe keeps a store open and runs the commands other invocations
// forward to it, as a mount does, without FUSE: every command then skips
// opening Pebble (replaying the last command's log) and reading caches
// from disk. For agent sandboxes without /dev/fuse.
func cmdServe() *command {
	var o serveOptions
	return &command{
		name:    "serve",
		usage:   "[--idle-exit DUR] [--gc-every DUR [policy flags]]",
		summary: "keep the store open and run the commands sent to it until SIGINT/SIGTERM (a mount without FUSE)",
		local:   true, // opens the store itself and keeps it
		flags: func(fs *pflag.FlagSet) {
			fs.DurationVar(&o.idleExit, "idle-exit", 0, "exit after DUR without commands (e.g. 10m; off by default)")
			o.gc.register(fs)
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("serve takes no arguments")
			}
			if o.idleExit < 0 {
				return usagef("--idle-exit must be positive")
			}
			if err := o.gc.check(); err != nil {
				return err
			}
			return runServe(ctx, a, o)
		},
	}
}

// runServe serves the store's control socket until ctx is cancelled
// (SIGINT, SIGTERM) or, with --idle-exit, no command has run for that
// long. It prints "serving STORE" once commands can be sent.
func runServe(ctx context.Context, a *app, o serveOptions) error {
	dir, err := a.resolveStoreDir()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	busy := newIdleWatch(o.idleExit, stop)
	defer busy.close()
	srv, err := openServer(ctx, dir, serverLog(a, o.gc, false), o.gc, busy)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "serving %s\n", dir)
	<-ctx.Done()
	return srv.close() // running commands finish, or see ctx cancelled
}

// idleWatch calls stop once no command has run for idle (0: never). A nil
// *idleWatch ignores every call.
type idleWatch struct {
	mu     sync.Mutex
	idle   time.Duration
	active int
	timer  *time.Timer
}

func newIdleWatch(idle time.Duration, stop func()) *idleWatch {
	if idle <= 0 {
		return nil
	}
	return &idleWatch{idle: idle, timer: time.AfterFunc(idle, stop)}
}

// begin marks a command running: the clock stops.
func (w *idleWatch) begin() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active++
	w.timer.Stop()
}

// end marks a command done: the last one to end restarts the clock.
func (w *idleWatch) end() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active--; w.active == 0 {
		w.timer.Reset(w.idle)
	}
}

func (w *idleWatch) close() {
	if w != nil {
		w.timer.Stop()
	}
}
