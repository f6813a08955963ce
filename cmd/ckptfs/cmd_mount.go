package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ckptfs/ckptfs"
	fusefs "github.com/ckptfs/ckptfs/fs"
	"github.com/spf13/pflag"
)

// mountCacheBytes sizes the decoded tree/chunk cache of a mount: file
// reads go through it, and chunks are up to a few MiB.
const mountCacheBytes = 128 << 20

type mountOptions struct {
	allowOther, debug bool
	gc                autoGCFlags
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
			o.gc.register(fs)
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("mount takes one MOUNTPOINT")
			}
			if err := o.gc.check(); err != nil {
				return err
			}
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
	log := serverLog(a, o.gc, o.debug)
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
	srv, err := openServer(ctx, dir, log, o.gc, nil)
	if err != nil {
		return err
	}
	defer srv.close()
	fsrv, err := fusefs.Mount(mnt, srv.store, fusefs.Options{StoreDir: dir, AllowOther: o.allowOther,
		Debug: o.debug, Logger: log})
	if err != nil {
		return err
	}
	log.Debug("mounted", "store", dir, "mountpoint", mnt)
	gone := make(chan struct{})
	go func() {
		fsrv.Wait()
		close(gone)
	}()
	select {
	case <-ctx.Done():
		srv.stopControl()
		return fsrv.Unmount()
	case <-gone:
		log.Warn("unmounted from outside", "mountpoint", mnt)
		srv.stopControl()
		fsrv.Close()
		return nil
	}
}
