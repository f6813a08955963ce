package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/gc"
	"github.com/spf13/pflag"
)

// gcRules are the value rules of gc, as flags; each is given to
// gc.Policy.Set only when it appears on the command line, so that
// --keep-last 0 still replaces the 30-day default (SPEC §8).
var gcRules = []struct{ name, help string }{
	{"keep-within", "keep checkpoints younger than `DUR` (30d, 12h, 90m, 1w2d)"},
	{"keep-last", "keep the newest `N` checkpoints of each session"},
	{"keep-daily", "keep the newest checkpoint of each of the newest `N` days, per session"},
	{"keep-weekly", "keep the newest checkpoint of each of the newest `N` ISO weeks, per session"},
}

// policyFlags are the retention flags shared by gc and mount --gc-every.
type policyFlags struct {
	flags      *pflag.FlagSet
	values     []string
	keepTagged bool
}

func (pf *policyFlags) register(fs *pflag.FlagSet) {
	pf.flags = fs
	pf.values = make([]string, len(gcRules))
	for i, r := range gcRules {
		fs.StringVar(&pf.values[i], r.name, "", r.help)
	}
	fs.BoolVar(&pf.keepTagged, "keep-tagged", true, "keep every tagged checkpoint")
}

// given reports whether any retention flag was set.
func (pf *policyFlags) given() bool {
	for _, r := range gcRules {
		if pf.flags.Changed(r.name) {
			return true
		}
	}
	return pf.flags.Changed("keep-tagged")
}

// policy returns the policy the flags give (the SPEC §8 default when none).
func (pf *policyFlags) policy() (gc.Policy, error) {
	var p gc.Policy
	for i, r := range gcRules {
		if pf.flags.Changed(r.name) {
			if err := p.Set(r.name, pf.values[i]); err != nil {
				return p, usagef("%s", strings.TrimPrefix(err.Error(), "gc: "))
			}
		}
	}
	p.DropTagged = !pf.keepTagged
	return p, nil
}

func cmdGC() *command {
	var (
		pf          policyFlags
		session     string
		dry, asJSON bool
	)
	return &command{
		name:  "gc",
		usage: "[--keep-within D] [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-tagged=false] [--session S] [--dry-run] [--json]",
		summary: "delete the checkpoints the retention policy drops and free the space nothing else uses; " +
			"prints deleted=N kept=N objects-freed=N bytes-freed=N",
		flags: func(fs *pflag.FlagSet) {
			pf.register(fs)
			fs.StringVar(&session, "session", "", "apply the policy to this session only (default: every session)")
			fs.BoolVar(&dry, "dry-run", false, "print the plan (keep or drop, and why, per checkpoint) and change nothing")
			fs.BoolVar(&asJSON, "json", false, "print the result (and the plan) as JSON")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("gc takes no arguments")
			}
			p, err := pf.policy()
			if err != nil {
				return err
			}
			if session != "" {
				if err := ckptfs.ValidateName("session", session); err != nil {
					return err
				}
			}
			pr := &gcProgress{a: a}
			res, err := a.store.GC(ctx, ckptfs.GCOptions{Policy: p, Session: session, DryRun: dry, Progress: pr.update})
			pr.done()
			if err != nil {
				return err
			}
			if asJSON {
				return printGCJSON(ctx, a, res, dry)
			}
			for _, d := range res.Plan {
				verdict := "drop"
				if d.Keep {
					verdict = "keep"
				}
				line := verdict + " " + a.store.ShortID(ctx, d.ID) + " " + d.Session + " " + formatTime(d.Time)
				if len(d.Reasons) > 0 {
					rs := make([]string, len(d.Reasons))
					for i, r := range d.Reasons {
						rs[i] = string(r)
					}
					line += " (" + strings.Join(rs, ", ") + ")"
				}
				a.printf("%s\n", line)
			}
			a.printf("deleted=%d kept=%d objects-freed=%d bytes-freed=%d\n", res.Deleted, res.Kept, res.ObjectsFreed, res.BytesFreed)
			return nil
		},
	}
}

type gcPlanEntry struct {
	ID      ckptfs.ID `json:"id"`
	Session string    `json:"session"`
	Time    time.Time `json:"time"`
	Keep    bool      `json:"keep"`
	Reasons []string  `json:"reasons"`
}

type gcJSON struct {
	Deleted      int           `json:"deleted"`
	Kept         int           `json:"kept"`
	ObjectsFreed int           `json:"objects_freed"`
	BytesFreed   int64         `json:"bytes_freed"`
	DryRun       bool          `json:"dry_run"`
	Plan         []gcPlanEntry `json:"plan,omitempty"`
}

func printGCJSON(ctx context.Context, a *app, res ckptfs.GCResult, dry bool) error {
	out := gcJSON{Deleted: res.Deleted, Kept: res.Kept, ObjectsFreed: res.ObjectsFreed, BytesFreed: res.BytesFreed, DryRun: dry}
	if dry {
		out.Plan = []gcPlanEntry{}
	}
	for _, d := range res.Plan {
		e := gcPlanEntry{ID: d.ID, Session: d.Session, Time: d.Time.UTC(), Keep: d.Keep, Reasons: []string{}}
		for _, r := range d.Reasons {
			e.Reasons = append(e.Reasons, string(r))
		}
		out.Plan = append(out.Plan, e)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// gcProgress shows one progress bar per stage of gc on a terminal.
type gcProgress struct {
	a     *app
	stage string
	bar   *progress
}

var gcStageNames = map[string]string{
	"plan":    "listing checkpoints",
	"mark":    "marking live objects",
	"sweep":   "sweeping objects",
	"compact": "compacting",
}

func (g *gcProgress) update(stage string, done, total int) {
	if stage != g.stage {
		g.bar.done()
		g.stage = stage
		desc, ok := gcStageNames[stage]
		if !ok {
			desc = stage
		}
		t := int64(total)
		if t == 0 {
			t = -1 // unknown: a spinner
		}
		g.bar = g.a.newProgress(desc, t, false)
	}
	g.bar.set(int64(done))
}

func (g *gcProgress) done() { g.bar.done() }
