package main

import (
	"context"
	"encoding/json"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

func cmdLog() *command {
	var session, branch, tag string
	var limit int
	var asJSON bool
	return &command{
		name:     "log",
		readOnly: true,
		usage:    "--session S [--branch B] [--tag T] [--limit N] [--json]",
		summary:  "list checkpoints, newest first: ID TIME MESSAGE",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "session (required)")
			fs.StringVar(&branch, "branch", "", "only checkpoints recorded on this branch")
			fs.StringVar(&tag, "tag", "", "only checkpoints with this tag")
			fs.IntVar(&limit, "limit", 0, "at most N checkpoints")
			fs.BoolVar(&asJSON, "json", false, "print an array of checkpoint metadata (SPEC §5)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("log takes no arguments")
			}
			if err := requireSession("log", session); err != nil {
				return err
			}
			lo := ckptfs.ListOptions{Session: session, Branch: branch, Tag: tag, Limit: limit}
			if asJSON {
				if err := a.store.CheckSession(session); err != nil {
					return err
				}
				infos, err := a.store.ListInfo(ctx, lo)
				if err != nil {
					return err
				}
				if infos == nil {
					infos = []ckptfs.Info{}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(infos)
			}
			list, err := a.store.List(ctx, lo)
			if err != nil {
				return err
			}
			for _, c := range list {
				a.printf("%s %s %s\n", a.store.ShortID(ctx, c.ID), formatTime(c.Time), oneLine(c.Message))
			}
			return nil
		},
	}
}
