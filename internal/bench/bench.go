package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// Options configure Run. The zero value runs every row at full scale with
// the store's default durability (Synced) in os.TempDir.
type Options struct {
	// Durability of the stores the workloads write to (default Synced).
	// sync_ms is always measured on a Synced store.
	Durability ckptfs.Durability
	// Shape of the large_state files (create and load rows; default text).
	Shape benchgen.Shape
	// Only selects rows by name prefix ("create/", "query/search"); empty
	// runs every row.
	Only []string
	// Scale multiplies the seed's counts: repetitions (10 creates, 20 runs
	// of an incremental checkpoint, a load or a query, the full
	// checkpoints the speedup divides), the 1,000 query checkpoints (at
	// least 50, one per session) and both the branches and the chain
	// length of each branching pattern, each rounded and at least 1.
	// Sizes never scale: a row always measures the state its name says.
	// 0 means 1; tests use about 0.05.
	Scale float64
	// TempDir holds the fresh stores ("" = os.TempDir()). Each store is
	// removed when its row or workload is done.
	TempDir string
	// Progress, if not nil, is called with a row's name before any work
	// for that row starts (including the setup shared with later rows).
	Progress func(row string)
}

// Row is one figure of the report (SPEC §9).
type Row struct {
	Name           string   `json:"name"`
	Value          float64  `json:"value"`
	Unit           string   `json:"unit"`
	SeedBar        *float64 `json:"seed_bar"`
	Goal           *float64 `json:"goal"`
	HigherIsBetter bool     `json:"higher_is_better"`
}

// Report is the result of Run, shaped as `ckptfs bench --json` (SPEC §9).
type Report struct {
	Durability string  `json:"durability"`
	SyncMS     float64 `json:"sync_ms"`
	Rows       []Row   `json:"rows"`
}

// MeetsGoal reports whether the row has a goal and its value reaches it.
func (r Row) MeetsGoal() (meets, hasGoal bool) {
	if r.Goal == nil {
		return false, false
	}
	if r.HigherIsBetter {
		return r.Value >= *r.Goal, true
	}
	return r.Value <= *r.Goal, true
}

// seed is the fixed seed of every generator.
const seed = 1

// Run measures the selected rows, one workload after another, each on its
// own fresh store, and returns them in SPEC §9's order. It stops at the
// first error (a failed store call, a query that returns the wrong number
// of hits, a cancelled ctx).
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	durability, err := durabilityName(o.Durability)
	if err != nil {
		return nil, err
	}
	plan := selectRows(o.Only)
	if len(plan) == 0 {
		return nil, fmt.Errorf("bench: no row matches %q", o.Only)
	}
	syncMS, err := measureSync(ctx, o.TempDir)
	if err != nil {
		return nil, fmt.Errorf("bench: sync_ms: %w", err)
	}
	rep := &Report{Durability: durability, SyncMS: syncMS, Rows: []Row{}}
	for _, p := range plan {
		e := &env{ctx: ctx, o: o, rows: p.rows, started: map[string]bool{}}
		if err := p.w.run(e); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", p.w.name, err)
		}
		if err := e.complete(); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", p.w.name, err)
		}
		rep.Rows = append(rep.Rows, e.out...)
	}
	return rep, nil
}

func (o *Options) normalize() error {
	if o.Scale == 0 {
		o.Scale = 1
	}
	if !(o.Scale > 0) || math.IsInf(o.Scale, 0) {
		return fmt.Errorf("bench: scale %v: want a positive number", o.Scale)
	}
	if o.Shape < benchgen.Text || o.Shape > benchgen.Zeros {
		return fmt.Errorf("bench: unknown %s", o.Shape)
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return nil
}

// durabilityName is the report's spelling of d.
func durabilityName(d ckptfs.Durability) (string, error) {
	switch d {
	case ckptfs.Synced:
		return "synced", nil
	case ckptfs.Relaxed:
		return "relaxed", nil
	}
	return "", fmt.Errorf("bench: unknown durability %d", d)
}

// ParseDurability reads the value of `--durability`: "synced" or
// "relaxed".
func ParseDurability(s string) (ckptfs.Durability, error) {
	switch s {
	case "synced":
		return ckptfs.Synced, nil
	case "relaxed":
		return ckptfs.Relaxed, nil
	}
	return ckptfs.Synced, fmt.Errorf("bench: unknown durability %q (want synced or relaxed)", s)
}

// RowNames lists every row Run can produce, in report order.
func RowNames() []string {
	var names []string
	for _, w := range workloads {
		for _, r := range w.rows {
			names = append(names, r.name)
		}
	}
	return names
}

// planned is a workload with the rows of it that Only selected.
type planned struct {
	w    *workload
	rows []rowSpec
}

func selectRows(only []string) []planned {
	var plan []planned
	for i := range workloads {
		w := &workloads[i]
		var rows []rowSpec
		for _, r := range w.rows {
			if selected(r.name, only) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			plan = append(plan, planned{w, rows})
		}
	}
	return plan
}

func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// errWrongResult marks a workload whose store call returned a wrong answer:
// a figure for a wrong answer is worthless.
var errWrongResult = errors.New("wrong result")
