package main

import (
	"context"

	"github.com/ckptfs/ckptfs"
	"github.com/spf13/pflag"
)

func cmdBranch() *command {
	var session, from string
	return &command{
		name:    "branch",
		usage:   "--session S NAME [--from ID|BRANCH]",
		summary: "create a branch (default: at the head of main); prints NAME ID",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "session (required)")
			fs.StringVar(&from, "from", "", "checkpoint id or branch to start from (default main)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 1 {
				return usagef("branch takes one NAME")
			}
			if err := requireSession("branch", session); err != nil {
				return err
			}
			id, err := a.store.CreateBranch(ctx, session, args[0], from)
			if err != nil {
				return err
			}
			a.printf("%s %s\n", args[0], id)
			return nil
		},
	}
}

func cmdTag() *command { return tagCommand("tag", "add tags to a checkpoint", (*ckptfs.Store).Tag) }
func cmdUntag() *command {
	return tagCommand("untag", "remove tags from a checkpoint", (*ckptfs.Store).Untag)
}

func tagCommand(name, summary string, op func(*ckptfs.Store, context.Context, string, ckptfs.ID, ...string) error) *command {
	var session string
	return &command{
		name:    name,
		usage:   "[--session S] ID TAG...",
		summary: summary,
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "session (optional when the id is unique in the store)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) < 2 {
				return usagef("%s takes ID TAG...", name)
			}
			id, sess, err := a.resolveID(ctx, session, args[0])
			if err != nil {
				return err
			}
			return op(a.store, ctx, sess, id, args[1:]...)
		},
	}
}

func cmdDelete() *command {
	var session string
	return &command{
		name:    "delete",
		usage:   "[--session S] ID...",
		summary: "delete checkpoints (space returns with gc); prints deleted=N",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "session (optional when the ids are unique in the store)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) == 0 {
				return usagef("delete takes ID...")
			}
			bySession := map[string][]ckptfs.ID{}
			var order []string
			for _, p := range args {
				id, sess, err := a.resolveID(ctx, session, p)
				if err != nil {
					return err
				}
				if _, ok := bySession[sess]; !ok {
					order = append(order, sess)
				}
				bySession[sess] = append(bySession[sess], id)
			}
			total := 0
			for _, sess := range order {
				n, err := a.store.Delete(ctx, sess, bySession[sess]...)
				total += n
				if err != nil {
					return err
				}
			}
			a.printf("deleted=%d\n", total)
			return nil
		},
	}
}

func cmdSessions() *command {
	return &command{
		name:     "sessions",
		readOnly: true,
		usage:    "",
		summary:  "list the sessions of the store",
		run: func(ctx context.Context, a *app, args []string) error {
			names, err := a.store.Sessions(ctx)
			if err != nil {
				return err
			}
			for _, n := range names {
				a.printf("%s\n", n)
			}
			return nil
		},
	}
}
