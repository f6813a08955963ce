package main

import (
	"context"
	"strings"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

func cmdSearch() *command {
	var session string
	var limit int
	return &command{
		name:     "search",
		readOnly: true,
		usage:    "[--session S] [--limit N] TEXT",
		summary:  "find checkpoints whose message, tags, meta or files contain TEXT",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "search one session (default: all)")
			fs.IntVar(&limit, "limit", 0, "at most N results")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) == 0 {
				return usagef("search needs TEXT")
			}
			hits, err := a.store.Search(ctx, strings.Join(args, " "), ckptfs.SearchOptions{Session: session, Limit: limit})
			if err != nil {
				return err
			}
			for _, h := range hits {
				a.printf("%s %s %s %s\n", h.Session, a.store.ShortID(ctx, h.ID), formatTime(h.Time), oneLine(h.Message))
			}
			return nil
		},
	}
}
