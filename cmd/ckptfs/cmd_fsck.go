package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/pflag"
)

func cmdFsck() *command {
	var asJSON bool
	return &command{
		name:     "fsck",
		readOnly: true,
		usage:    "[--json]",
		summary:  "re-hash every object and check every reference; exit 1 on any fault",
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("fsck takes no arguments")
			}
			st := a.store.Stats()
			bar := a.newProgress("verifying objects", int64(st.Objects), false)
			rep, err := a.store.Fsck(ctx, func(n uint64) { bar.set(int64(n)) })
			bar.done()
			if err != nil {
				return err
			}
			if asJSON {
				if rep.Faults == nil {
					rep.Faults = []string{}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				a.printf("checked %d objects (%d bytes), %d checkpoints, %d trees; %d unreferenced objects (gc frees them)\n",
					rep.Objects, rep.RawBytes, rep.Checkpoints, rep.Trees, rep.Unreferenced)
				for _, f := range rep.Faults {
					a.printf("fault: %s\n", f)
				}
				if rep.OK() {
					a.printf("no faults\n")
				} else {
					a.printf("%d faults\n", len(rep.Faults))
				}
			}
			if !rep.OK() {
				return &silentExit{exitError}
			}
			return nil
		},
	}
}
