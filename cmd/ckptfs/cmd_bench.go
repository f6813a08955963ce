package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ckptfs/ckptfs/internal/bench"
	"github.com/ckptfs/ckptfs/internal/benchgen"
	"github.com/spf13/pflag"
)

func cmdBench() *command {
	var durability, shape, tmp string
	var only []string
	var scale float64
	var asJSON bool
	return &command{
		name:    "bench",
		usage:   "[--durability synced|relaxed] [--shape text|random|zeros] [--only PREFIX]... [--json]",
		summary: "run the seed workloads (SPEC §9) on fresh temporary stores and print the table",
		local:   true,
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&durability, "durability", "synced", "synced (every checkpoint synced) or relaxed (no sync per checkpoint)")
			fs.StringVar(&shape, "shape", "text", "data of create/load rows: text (~3:1), random (incompressible), zeros")
			fs.StringArrayVar(&only, "only", nil, "run only rows whose name starts with PREFIX (repeatable), e.g. create/")
			fs.Float64Var(&scale, "scale", 1, "multiply repetition counts (not sizes); <1 for a quick run")
			fs.StringVar(&tmp, "tmp", "", "directory for the temporary stores (default $TMPDIR)")
			fs.BoolVar(&asJSON, "json", false, `print {"durability", "sync_ms", "rows": [...]}`)
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("bench takes no arguments")
			}
			d, err := bench.ParseDurability(durability)
			if err != nil {
				return usagef("%v", err)
			}
			sh, err := benchgen.ParseShape(shape)
			if err != nil {
				return usagef("%v", err)
			}
			o := bench.Options{Durability: d, Shape: sh, Only: only, Scale: scale, TempDir: tmp}
			if a.tty {
				o.Progress = func(row string) { fmt.Fprintf(a.stderr, "\r\033[Krunning %s…", row) }
			}
			rep, err := bench.Run(ctx, o)
			if a.tty {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteTable(a.stdout)
		},
	}
}
