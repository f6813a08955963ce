package bench

import "github.com/ckptfs/ckptfs/internal/benchgen"

// Units of SPEC §9.
const (
	unitPerS   = "per_s"    // operations per second
	unitMBPerS = "MB_per_s" // MiB of nominal state per second
	unitMS     = "ms"       // mean milliseconds per operation
	unitX      = "x"        // a speedup
)

// rowSpec is one row of the report as the table below declares it.
type rowSpec struct {
	name string
	unit string
	// n and m parameterize the workload: the state size in bytes (create,
	// load), the percentage of files changed (incremental), branches and
	// checkpoints per branch (branch).
	n, m int
	// seedBar and goal are in the row's unit; 0 = none (JSON null).
	// seedBar: seed/WORKLOADS.md "The seed's assertions". goal:
	// DESIGN.md "Performance goals", else the target.
	seedBar, goal float64
}

// higherIsBetter: every unit but ms is a rate or a speedup.
func (r rowSpec) higherIsBetter() bool { return r.unit != unitMS }

func (r rowSpec) row(v float64) Row {
	return Row{Name: r.name, Value: v, Unit: r.unit, SeedBar: optional(r.seedBar),
		Goal: optional(r.goal), HigherIsBetter: r.higherIsBetter()}
}

func optional(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}

// workload is one function that measures a group of rows. It gets the
// selected rows in e.rows and records each with e.record, in order.
type workload struct {
	name string
	run  func(e *env) error
	rows []rowSpec
}

const kb, mb = benchgen.KB, benchgen.MB

// workloads is every row of `ckptfs bench`, in report order. To add a
// workload, write its function in its own file and add one entry here.
var workloads = []workload{
	{"create", runCreate, []rowSpec{
		{name: "create/10KB", unit: unitPerS, n: 10 * kb, seedBar: 100, goal: 5000},
		{name: "create/100KB", unit: unitPerS, n: 100 * kb, seedBar: 50, goal: 500},
		{name: "create/1MB", unit: unitMBPerS, n: 1 * mb, seedBar: 10, goal: 400},
		{name: "create/10MB", unit: unitMBPerS, n: 10 * mb},
	}},
	{"incremental", runIncremental, []rowSpec{
		{name: "incremental/1pct", unit: unitX, n: 1, seedBar: 10, goal: 50},
		{name: "incremental/5pct", unit: unitX, n: 5},
		{name: "incremental/10pct", unit: unitX, n: 10, seedBar: 2, goal: 5},
		{name: "incremental/25pct", unit: unitX, n: 25},
		{name: "incremental/50pct", unit: unitX, n: 50},
	}},
	{"load", runLoad, []rowSpec{
		{name: "load/10KB", unit: unitPerS, n: 10 * kb, seedBar: 100, goal: 20000},
		{name: "load/100KB", unit: unitPerS, n: 100 * kb},
		{name: "load/1MB", unit: unitMBPerS, n: 1 * mb, seedBar: 50, goal: 1024}, // 1 GB/s
		{name: "load/5MB", unit: unitMBPerS, n: 5 * mb},
	}},
	{"query", runQuery, []rowSpec{
		{name: "query/list_all", unit: unitMS},
		{name: "query/list_by_session", unit: unitMS, seedBar: 10, goal: 0.1},
		{name: "query/list_by_tag", unit: unitMS},
		{name: "query/list_recent", unit: unitMS},
		{name: "query/search", unit: unitMS, seedBar: 50, goal: 1},
	}},
	{"branch", runBranch, []rowSpec{
		{name: "branch/linear", unit: unitPerS, n: 1, m: 100, seedBar: 50, goal: 5000},
		{name: "branch/shallow", unit: unitPerS, n: 10, m: 10},
		{name: "branch/deep", unit: unitPerS, n: 5, m: 20},
		{name: "branch/wide", unit: unitPerS, n: 50, m: 2, seedBar: 100, goal: 2000},
	}},
	{"merge", runMerge, []rowSpec{
		{name: "merge/no_conflicts", unit: unitPerS, n: 0, seedBar: 10, goal: 500},
		{name: "merge/few_conflicts", unit: unitPerS, n: 10},
		{name: "merge/many_conflicts", unit: unitPerS, n: 50},
		{name: "merge/heavy_conflicts", unit: unitMS, n: 100, seedBar: 1000, goal: 5},
	}},
	{"gc", runGC, []rowSpec{{name: "gc/aggressive", unit: unitPerS, n: 7, seedBar: 100, goal: 50000}, {name: "gc/normal", unit: unitPerS, n: 30}, {name: "gc/conservative", unit: unitPerS, n: 60}}},
}
