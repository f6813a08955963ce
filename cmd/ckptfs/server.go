package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/gc"
	"github.com/spf13/pflag"
)

// autoGCFlags are the --gc-every flag and the retention flags of the
// commands that hold a store open (mount, serve).
type autoGCFlags struct {
	every  time.Duration
	policy policyFlags
	p      gc.Policy // checked by check
}

func (f *autoGCFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.every, "gc-every", 0, "run gc with the policy flags below every DUR (e.g. 1h; off by default)")
	f.policy.register(fs)
}

// check validates the flags before anything is opened or mounted.
func (f *autoGCFlags) check() error {
	if f.every < 0 {
		return usagef("--gc-every must be positive")
	}
	p, err := f.policy.policy()
	if err != nil {
		return err
	}
	if f.every == 0 && f.policy.given() {
		return usagef("the retention flags need --gc-every")
	}
	f.p = p
	return nil
}

// serverLog logs warnings, each automatic gc when there is one, and
// everything with debug.
func serverLog(a *app, gc autoGCFlags, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if gc.every > 0 {
		level = slog.LevelInfo
	}
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// storeServer is a store held open by a mount or serve: the control
// socket that runs the other commands against it, and the automatic gc.
type storeServer struct {
	store   *ckptfs.Store
	l       net.Listener
	ctlDone chan struct{}
	stopGC  context.CancelFunc
	gcDone  chan struct{}
}

// openServer opens the store in dir and starts serving its control
// socket (busy, if not nil, hears of every command) and the automatic gc.
func openServer(ctx context.Context, dir string, log *slog.Logger, agc autoGCFlags, busy *idleWatch) (*storeServer, error) {
	// A server writes for hours: on exit, give back the logs Pebble kept
	// for reuse rather than leave them to the next command's open.
	store, err := ckptfs.Open(dir, ckptfs.Options{CacheBytes: mountCacheBytes, Logger: log, TrimLogsOnClose: true})
	if err != nil {
		return nil, err
	}
	l, err := listenControl(dir)
	if err != nil {
		store.Close()
		return nil, err
	}
	s := &storeServer{store: store, l: l, ctlDone: make(chan struct{}), gcDone: make(chan struct{})}
	go func() {
		defer close(s.ctlDone)
		serveControl(ctx, l, store, dir, busy)
	}()
	gcCtx, stopGC := context.WithCancel(ctx)
	s.stopGC = stopGC
	if agc.every > 0 {
		go func() {
			defer close(s.gcDone)
			store.RunAutoGC(gcCtx, agc.every, ckptfs.GCOptions{Policy: agc.p}, func(format string, args ...any) {
				log.Info(fmt.Sprintf(format, args...))
			})
		}()
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// stopControl stops taking commands and waits for the running ones.
func (s *storeServer) stopControl() {
	s.l.Close()
	<-s.ctlDone
}

// close stops everything (stopControl first, if not done) and closes the
// store.
func (s *storeServer) close() error {
	s.stopControl()
	s.stopGC()
	<-s.gcDone
	return s.store.Close()
}
