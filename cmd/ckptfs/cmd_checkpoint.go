package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

type checkpointOptions struct {
	session, branch, parent, message, time string
	tags, meta                             []string
	ifChanged                              bool
}

func cmdCheckpoint() *command {
	var o checkpointOptions
	return &command{
		name:    "checkpoint",
		usage:   "--session S [flags] DIR",
		summary: "snapshot directory DIR as a new checkpoint; prints its id",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.session, "session", "", "session (created if new) (required)")
			fs.StringVar(&o.branch, "branch", "", "branch (default main; created if new)")
			fs.StringVar(&o.parent, "parent", "", "parent id, or none (default: the branch head)")
			fs.StringVarP(&o.message, "message", "m", "", "message")
			fs.StringArrayVar(&o.tags, "tag", nil, "tag (repeatable)")
			fs.StringArrayVar(&o.meta, "meta", nil, "metadata K=V (repeatable)")
			fs.StringVar(&o.time, "time", "", "backdate to this RFC 3339 time")
			fs.BoolVar(&o.ifChanged, "if-changed", false, "create nothing when the tree equals the parent's; prints 'unchanged ID'")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("checkpoint takes one directory, got %d arguments", len(args))
			}
			if err := requireSession("checkpoint", o.session); err != nil {
				return err
			}
			co, err := o.toAPI(ctx, a)
			if err != nil {
				return err
			}
			res, err := a.store.CheckpointDir(ctx, a.abs(args[0]), co)
			if err != nil {
				return err
			}
			if res.Unchanged {
				a.printf("unchanged %s\n", res.ID)
				return nil
			}
			a.printf("%s\n", res.ID)
			return nil
		},
	}
}

func (o *checkpointOptions) toAPI(ctx context.Context, a *app) (ckptfs.CheckpointOptions, error) {
	co := ckptfs.CheckpointOptions{Session: o.session, Branch: o.branch, Message: o.message,
		Tags: o.tags, IfChanged: o.ifChanged}
	meta, err := parseMeta(o.meta)
	if err != nil {
		return co, err
	}
	co.Meta = meta
	if o.time != "" {
		t, err := time.Parse(time.RFC3339Nano, o.time)
		if err != nil {
			return co, fmt.Errorf("%w: --time %q is not an RFC 3339 time", ckptfs.ErrInvalidArgument, o.time)
		}
		co.Time = t
	}
	switch o.parent {
	case "":
	case "none":
		co.NoParent = true
	default:
		if ok, _ := a.store.HasSession(o.session); ok {
			id, _, err := a.resolveID(ctx, o.session, o.parent)
			if err != nil {
				return co, fmt.Errorf("--parent: %w", err)
			}
			co.Parent = id
		} else {
			return co, fmt.Errorf("--parent: session %q: %w", o.session, ckptfs.ErrNotFound)
		}
	}
	return co, nil
}

func parseMeta(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--meta %q: want K=V", kv)
		}
		m[k] = v
	}
	return m, nil
}
