package main

import (
	"context"
	"encoding/json"

	"github.com/ckptfs/ckptfs/tree"
	"github.com/spf13/pflag"
)

func cmdShow() *command {
	var session string
	return &command{
		name:     "show",
		readOnly: true,
		usage:    "[--session S] ID [PATH]",
		summary:  "print a checkpoint's metadata (JSON), or the content of one of its files",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&session, "session", "", "session (optional when the id is unique in the store)")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("show takes ID [PATH]")
			}
			id, _, err := a.resolveRev(ctx, session, args[0])
			if err != nil {
				return err
			}
			if len(args) == 1 {
				in, err := a.store.Info(ctx, id)
				if err != nil {
					return err
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			e, err := a.store.Lookup(ctx, id, args[1])
			if err != nil {
				return err
			}
			switch e.Type {
			case tree.TypeDir:
				t, err := a.store.Reader().Tree(ctx, e.Tree)
				if err != nil {
					return err
				}
				for _, c := range t.Entries {
					name := c.Name
					if c.Type == tree.TypeDir {
						name += "/"
					}
					a.printf("%s\n", name)
				}
				return nil
			case tree.TypeSymlink:
				a.printf("%s\n", e.Target)
				return nil
			}
			for _, c := range e.Chunks {
				b, err := a.store.Reader().ReadChunk(ctx, c)
				if err != nil {
					return err
				}
				if _, err := a.stdout.Write(b); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
