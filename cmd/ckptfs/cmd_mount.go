package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ckptfs/ckptfs"
	fusefs "github.com/ckptfs/ckptfs/fs"
	"github.com/ckptfs/ckptfs/gc"
	"github.com/spf13/pflag"
)

// mountCacheBytes sizes the decoded tree/chunk cache of a mount: file
// reads go through it, and chunks are up to a few MiB.
const mountCacheBytes = 128 << 20

type mountOptions struct {
	allowOther, debug bool
	gcEvery           time.Duration
	policy            policyFlags
	gcPolicy          gc.Policy // from policy, checked before mounting
}

func cmdMount() *command {
	var o mountOptions
	return &command{
		name:    "mount",
		usage:   "[--allow-other] [--debug] [--gc-every DUR [policy flags]] MOUNTPOINT",
		summary: "serve every checkpoint as a file system at MOUNTPOINT until SIGINT/SIGTERM",
		local:   true, // opens the store itself and keeps it
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&o.allowOther, "allow-other", false, "let other users use the mount (from=/to= paths are checked against the caller)")
			fs.BoolVar(&o.debug, "debug", false, "log every FUSE request to stderr")
			fs.DurationVar(&o.gcEvery, "gc-every", 0, "run gc with the policy flags below every DUR (e.g. 1h; off by default)")
			o.policy.register(fs)
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("mount takes one MOUNTPOINT")
			}
			if o.gcEvery < 0 {
				return usagef("--gc-every must be positive")
			}
			p, err := o.policy.policy()
			if err != nil {
				return err
			}
			if o.gcEvery == 0 && o.policy.given() {
				return usagef("the retention flags need --gc-every")
			}
			o.gcPolicy = p
			return runMount(ctx, a, a.abs(args[0]), o)
		},
	}
}

// runMount serves the store at mnt until ctx is cancelled (SIGINT,
// SIGTERM) or the file system is unmounted from outside. The control
// socket keeps the other commands working meanwhile.
func runMount(ctx context.Context, a *app, mnt string, o mountOptions) error {
	dir, err := a.resolveStoreDir()
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.gcEvery > 0 {
		level = slog.LevelInfo // report each automatic gc
	}
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	if cleaned, err := fusefs.CleanStale(mnt); err != nil {
		return err
	} else if cleaned {
		log.Warn("unmounted a stale mount left by a killed server", "dir", mnt)
	}
	if fi, err := os.Stat(mnt); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%w: mount point %s is not a directory", ckptfs.ErrInvalidArgument, mnt)
	}
	store, err := ckptfs.Open(dir, ckptfs.Options{CacheBytes: mountCacheBytes, Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	l, err := listenControl(dir)
	if err != nil {
		return err
	}
	ctlDone := make(chan struct{})
	go func() {
		defer close(ctlDone)
		serveControl(ctx, l, store, dir, nil)
	}()
	stopControl := func() {
		l.Close()
		<-ctlDone
	}
	srv, err := fusefs.Mount(mnt, store, fusefs.Options{StoreDir: dir, AllowOther: o.allowOther,
		Debug: o.debug, Logger: log})
	if err != nil {
		stopControl()
		return err
	}
	log.Debug("mounted", "store", dir, "mountpoint", mnt)
	gcDone := make(chan struct{})
	gcCtx, stopGC := context.WithCancel(ctx)
	if o.gcEvery > 0 {
		go func() {
			defer close(gcDone)
			store.RunAutoGC(gcCtx, o.gcEvery, ckptfs.GCOptions{Policy: o.gcPolicy}, func(format string, args ...any) {
				log.Info(fmt.Sprintf(format, args...))
			})
		}()
	} else {
		close(gcDone)
	}
	defer func() { stopGC(); <-gcDone }()

	gone := make(chan struct{})
	go func() {
		srv.Wait()
		close(gone)
	}()
	select {
	case <-ctx.Done():
		stopControl()
		return srv.Unmount()
	case <-gone:
		log.Warn("unmounted from outside", "mountpoint", mnt)
		stopControl()
		srv.Close()
		return nil
	}
}
