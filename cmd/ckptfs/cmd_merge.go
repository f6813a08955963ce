package main

import (
	"context"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

type mergeOptions struct {
	session, into, strategy, message string
}

func cmdMerge() *command {
	var o mergeOptions
	return &command{
		name:  "merge",
		usage: "--session S SOURCE [--into B] [--strategy fail|ours|theirs|recursive] [--message M]",
		summary: "three-way merge of SOURCE (a branch or checkpoint id) into branch B; prints " +
			"'ID conflicts=N' (plus ' up-to-date' or ' fast-forward'), then 'conflict: PATH' per conflicting path",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.session, "session", "", "session (required)")
			fs.StringVar(&o.into, "into", "", "target branch (default main)")
			fs.StringVar(&o.strategy, "strategy", "", "fail (default: conflicts create nothing), ours, theirs or recursive")
			fs.StringVarP(&o.message, "message", "m", "", "message (default 'merge SOURCE into B')")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("merge takes one SOURCE, got %d arguments", len(args))
			}
			if err := requireSession("merge", o.session); err != nil {
				return err
			}
			res, err := a.store.Merge(ctx, ckptfs.MergeOptions{Session: o.session, Source: args[0],
				Into: o.into, Strategy: o.strategy, Message: o.message})
			if err != nil {
				return err
			}
			return a.printMerge(res)
		},
	}
}

// printMerge prints a merge result: "ID conflicts=N[ up-to-date|
// fast-forward]", then one "conflict: PATH" line per conflicting path.
func (a *app) printMerge(res ckptfs.MergeResult) error {
	a.printf("%s\n", res)
	for _, p := range res.Conflicts {
		a.printf("conflict: %s\n", quotePath(p))
	}
	return nil
}
