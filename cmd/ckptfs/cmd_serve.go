package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/gc"
	"github.com/spf13/pflag"
)

type serveOptions struct {
	idleExit time.Duration
	gcEvery  time.Duration
	policy   policyFlags
	gcPolicy gc.Policy
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
			fs.DurationVar(&o.gcEvery, "gc-every", 0, "run gc with the policy flags below every DUR (e.g. 1h; off by default)")
			o.policy.register(fs)
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("serve takes no arguments")
			}
			if o.idleExit < 0 || o.gcEvery < 0 {
				return usagef("--idle-exit and --gc-every must be positive")
			}
			p, err := o.policy.policy()
			if err != nil {
				return err
			}
			if o.gcEvery == 0 && o.policy.given() {
				return usagef("the retention flags need --gc-every")
			}
			o.gcPolicy = p
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
	level := slog.LevelWarn
	if o.gcEvery > 0 {
		level = slog.LevelInfo // report each automatic gc
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	store, err := ckptfs.Open(dir, ckptfs.Options{CacheBytes: mountCacheBytes, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	l, err := listenControl(dir)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	busy := newIdleWatch(o.idleExit, stop)
	defer busy.close()
	ctlDone := make(chan struct{})
	go func() {
		defer close(ctlDone)
		serveControl(ctx, l, store, dir, busy)
	}()
	gcDone := make(chan struct{})
	if o.gcEvery > 0 {
		go func() {
			defer close(gcDone)
			store.RunAutoGC(ctx, o.gcEvery, ckptfs.GCOptions{Policy: o.gcPolicy}, func(format string, args ...any) {
				log.Info(fmt.Sprintf(format, args...))
			})
		}()
	} else {
		close(gcDone)
	}
	fmt.Fprintf(a.stdout, "serving %s\n", dir)
	<-ctx.Done()
	l.Close()
	<-ctlDone // commands running finish, or see ctx cancelled
	<-gcDone
	return nil
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
