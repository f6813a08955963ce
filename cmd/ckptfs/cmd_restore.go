package main

import (
	"context"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

type restoreOptions struct {
	session           string
	noDelete          bool
	excludes          []string
	noDefaultExcludes bool
}

func cmdRestore() *command {
	var o restoreOptions
	return &command{
		name:     "restore",
		readOnly: true,
		usage:    "[--session S] [--no-delete] ID|BRANCH DIR",
		summary: "make directory DIR equal to checkpoint ID, writing only what differs; " +
			"prints written=N removed=N unchanged=N",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.session, "session", "", "session (optional when the id is unique in the store)")
			fs.BoolVar(&o.noDelete, "no-delete", false, "keep the paths the checkpoint lacks")
			fs.StringArrayVar(&o.excludes, "exclude", nil, "never remove paths matching this `GLOB` (repeatable; added to the patterns of DIR's last checkpoint)")
			fs.BoolVar(&o.noDefaultExcludes, "no-default-excludes", false, "when DIR has no checkpoint yet, do not protect the default excludes from removal")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 2 {
				return usagef("restore takes ID DIR")
			}
			id, _, err := a.resolveRev(ctx, o.session, args[0])
			if err != nil {
				return err
			}
			progress, finish := a.treeProgress("restore")
			res, err := a.store.Restore(ctx, id, a.abs(args[1]), ckptfs.RestoreOptions{
				Delete: !o.noDelete, Excludes: o.excludes, NoDefaultExcludes: o.noDefaultExcludes,
				Progress: progress, Warn: a.warn})
			finish()
			if err != nil {
				return err
			}
			a.printf("written=%d removed=%d unchanged=%d\n", res.Written, res.Removed, res.Unchanged)
			return nil
		},
	}
}
