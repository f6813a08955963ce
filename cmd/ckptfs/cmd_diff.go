package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
	"github.com/spf13/pflag"
)

type diffOptions struct {
	session           string
	excludes          []string
	noDefaultExcludes bool
}

func cmdDiff() *command {
	var o diffOptions
	return &command{
		name:     "diff",
		readOnly: true,
		usage:    "[--session S] A B|DIR",
		summary: "print the paths that differ from checkpoint A to checkpoint B, or to the live directory DIR: " +
			"lines 'A path', 'D path', 'M path', 'T path'",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.session, "session", "", "session (optional when the ids are unique in the store)")
			fs.StringArrayVar(&o.excludes, "exclude", nil, "with DIR: also leave out paths matching this `GLOB` (repeatable)")
			fs.BoolVar(&o.noDefaultExcludes, "no-default-excludes", false, "with DIR: when it has no checkpoint yet, do not leave out the default excludes")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 2 {
				return usagef("diff takes A B (two checkpoints, or a checkpoint and a directory)")
			}
			from, _, err := a.resolveRev(ctx, o.session, args[0])
			if err != nil {
				return err
			}
			print := func(c tree.Change) error {
				a.printf("%c %s\n", c.Op, quotePath(c.Path))
				return nil
			}
			to, dir, err := a.diffTarget(ctx, o.session, args[1])
			if err != nil {
				return err
			}
			if dir != "" {
				return a.store.DiffDirWith(ctx, from, dir, ckptfs.DiffDirOptions{
					Excludes: o.excludes, NoDefaultExcludes: o.noDefaultExcludes, Warn: a.warn}, print)
			}
			return a.store.Diff(ctx, from, to, print)
		},
	}
}

// diffTarget reads B: a directory when it contains a slash or is "." or
// "..", else a checkpoint id, else an existing directory of that name.
func (a *app) diffTarget(ctx context.Context, session, arg string) (ckptfs.ID, string, error) {
	if strings.Contains(arg, "/") || arg == "." || arg == ".." {
		return ckptfs.ID{}, a.abs(arg), nil
	}
	id, _, err := a.resolveRev(ctx, session, arg)
	if err == nil {
		return id, "", nil
	}
	if errors.Is(err, ckptfs.ErrNotFound) || errors.Is(err, ckptfs.ErrInvalidID) {
		if fi, serr := os.Stat(a.abs(arg)); serr == nil && fi.IsDir() {
			return ckptfs.ID{}, a.abs(arg), nil
		}
	}
	return ckptfs.ID{}, "", err
}

// quotePath prints a path as is, or Go-quoted when it holds a control
// character, a quote, a backslash or invalid UTF-8 (so that every output
// line is one path; docs/WORKDIR.md).
func quotePath(p string) string {
	if !utf8.ValidString(p) {
		return strconv.Quote(p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return strconv.Quote(p)
		}
	}
	return p
}
