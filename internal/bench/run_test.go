package bench

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ckptfs/ckptfs"
)

// quickScale keeps test runs short: counts shrink to 1–3, sizes do not.
const quickScale = 0.05

type expectedRow struct {
	name, unit    string
	seedBar, goal float64
}

// expected is SPEC §9's rows with the bars of seed/WORKLOADS.md and the
// goals of DESIGN.md (or the targets), written out independently
// of the table in workloads.go. 0 = null.
var expected = []expectedRow{
	{"create/10KB", "per_s", 100, 5000},
	{"create/100KB", "per_s", 50, 500},
	{"create/1MB", "MB_per_s", 10, 400},
	{"create/10MB", "MB_per_s", 0, 0},
	{"incremental/1pct", "x", 10, 50},
	{"incremental/5pct", "x", 0, 0},
	{"incremental/10pct", "x", 2, 5},
	{"incremental/25pct", "x", 0, 0},
	{"incremental/50pct", "x", 0, 0},
	{"load/10KB", "per_s", 100, 20000},
	{"load/100KB", "per_s", 0, 0},
	{"load/1MB", "MB_per_s", 50, 1024},
	{"load/5MB", "MB_per_s", 0, 0},
	{"query/list_all", "ms", 0, 0},
	{"query/list_by_session", "ms", 10, 0.1},
	{"query/list_by_tag", "ms", 0, 0},
	{"query/list_recent", "ms", 0, 0},
	{"query/search", "ms", 50, 1},
	{"branch/linear", "per_s", 50, 5000},
	{"branch/shallow", "per_s", 0, 0},
	{"branch/deep", "per_s", 0, 0},
	{"branch/wide", "per_s", 100, 2000},
	{"merge/no_conflicts", "per_s", 10, 500},
	{"merge/few_conflicts", "per_s", 0, 0},
	{"merge/many_conflicts", "per_s", 0, 0},
	{"merge/heavy_conflicts", "ms", 1000, 5},
	{"gc/aggressive", "per_s", 100, 50000},
	{"gc/normal", "per_s", 0, 0},
	{"gc/conservative", "per_s", 0, 0},
}

func quick(t *testing.T, only ...string) Options {
	return Options{Durability: ckptfs.Relaxed, Scale: quickScale, TempDir: t.TempDir(), Only: only}
}

// checkReport checks that rep holds exactly the expected rows whose names
// start with one of only (all when empty), in order, each well formed.
func checkReport(t *testing.T, rep *Report, durability string, only ...string) {
	t.Helper()
	if rep.Durability != durability {
		t.Errorf("durability = %q, want %q", rep.Durability, durability)
	}
	if !(rep.SyncMS > 0) || math.IsInf(rep.SyncMS, 0) {
		t.Errorf("sync_ms = %v", rep.SyncMS)
	}
	var want []string
	for _, x := range expected {
		if selected(x.name, only) {
			want = append(want, x.name)
		}
	}
	var got []string
	for _, r := range rep.Rows {
		got = append(got, r.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows = %q, want %q", got, want)
	}
	for _, r := range rep.Rows {
		x := expected[slices.IndexFunc(expected, func(x expectedRow) bool { return x.name == r.Name })]
		if r.Unit != x.unit {
			t.Errorf("%s: unit %q, want %q", r.Name, r.Unit, x.unit)
		}
		if !(r.Value > 0) || math.IsInf(r.Value, 0) {
			t.Errorf("%s: value %v, want positive and finite", r.Name, r.Value)
		}
		if !sameOptional(r.SeedBar, x.seedBar) || !sameOptional(r.Goal, x.goal) {
			t.Errorf("%s: seed bar %v goal %v, want %v %v", r.Name, deref(r.SeedBar), deref(r.Goal), x.seedBar, x.goal)
		}
		if r.HigherIsBetter != (x.unit != "ms") {
			t.Errorf("%s: higher_is_better = %v", r.Name, r.HigherIsBetter)
		}
	}
}

func sameOptional(p *float64, v float64) bool {
	if p == nil {
		return v == 0
	}
	return *p == v
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestRowNamesMatchSpec(t *testing.T) {
	var want []string
	for _, x := range expected {
		want = append(want, x.name)
	}
	if got := RowNames(); !slices.Equal(got, want) {
		t.Errorf("RowNames() = %q, want %q", got, want)
	}
}

func TestRunAll(t *testing.T) {
	o := quick(t)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, "relaxed")
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("quick scale, not figures to quote:\n%s", b.String())
	left, err := os.ReadDir(o.TempDir)
	if err != nil || len(left) != 0 {
		t.Errorf("stores left in TempDir: %v %v", left, err)
	}
}

func TestRunOnlySynced(t *testing.T) {
	o := quick(t, "incremental/1pct", "branch/")
	o.Durability = ckptfs.Synced
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, "synced", o.Only...)
}

func TestRunDefaultsSynced(t *testing.T) {
	rep, err := Run(context.Background(), Options{Only: []string{"query/list_recent"}, Scale: quickScale, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, "synced", "query/list_recent")
}

func TestRunProgress(t *testing.T) {
	o := quick(t, "query/", "load/10KB")
	var seen []string
	o.Progress = func(row string) { seen = append(seen, row) }
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, "relaxed", o.Only...)
	want := []string{"load/10KB", "query/list_all", "query/list_by_session", "query/list_by_tag", "query/list_recent", "query/search"}
	if !slices.Equal(seen, want) {
		t.Errorf("Progress saw %q, want %q", seen, want)
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"negative scale", Options{Scale: -1}, "scale"},
		{"NaN scale", Options{Scale: math.NaN()}, "scale"},
		{"infinite scale", Options{Scale: math.Inf(1)}, "scale"},
		{"no row", Options{Only: []string{"nope/"}}, "no row matches"},
		{"durability", Options{Durability: 7}, "durability"},
		{"shape", Options{Shape: 9}, "shape"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.TempDir = t.TempDir()
			_, err := Run(ctx, c.o)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), c.want) {
				t.Errorf("Run = %v, want an error about %s", err, c.want)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Run(ctx, quick(t, "create/10KB")); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

func TestParseDurability(t *testing.T) {
	for s, want := range map[string]ckptfs.Durability{"synced": ckptfs.Synced, "relaxed": ckptfs.Relaxed} {
		if d, err := ParseDurability(s); err != nil || d != want {
			t.Errorf("ParseDurability(%q) = %v, %v", s, d, err)
		}
		if name, _ := durabilityName(want); name != s {
			t.Errorf("durabilityName(%v) = %q, want %q", want, name, s)
		}
	}
	if _, err := ParseDurability("fast"); err == nil {
		t.Error("ParseDurability(fast) succeeded")
	}
}

func TestReportJSON(t *testing.T) {
	bar, goal := 100.0, 5000.0
	rep := &Report{Durability: "synced", SyncMS: 0.2, Rows: []Row{
		{Name: "create/10KB", Value: 1234.5, Unit: "per_s", SeedBar: &bar, Goal: &goal, HigherIsBetter: true},
		{Name: "query/list_all", Value: 0.5, Unit: "ms"},
	}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(top); !slices.Equal(got, []string{"durability", "rows", "sync_ms"}) {
		t.Errorf("top-level keys %q", got)
	}
	var rows []map[string]any
	if err := json.Unmarshal(top["rows"], &rows); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"goal", "higher_is_better", "name", "seed_bar", "unit", "value"}
	for _, r := range rows {
		if got := sortedKeys(r); !slices.Equal(got, wantKeys) {
			t.Errorf("row keys %q, want %q", got, wantKeys)
		}
	}
	if rows[0]["seed_bar"] != 100.0 || rows[0]["goal"] != 5000.0 || rows[0]["higher_is_better"] != true {
		t.Errorf("row 0 = %v", rows[0])
	}
	if rows[1]["seed_bar"] != nil || rows[1]["goal"] != nil || rows[1]["higher_is_better"] != false {
		t.Errorf("row 1 = %v, want null bar and goal", rows[1])
	}
	// An empty report still has "rows": [].
	b, _ = json.Marshal(&Report{Durability: "relaxed", Rows: []Row{}})
	if !strings.Contains(string(b), `"rows":[]`) {
		t.Errorf("empty report = %s", b)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestFullScale runs the whole bench at the seed's sizes and counts, once
// per durability, and logs both tables. It takes minutes; run it with
// CKPTFS_BENCH_FULL=1 go test -count=1 -run TestFullScale -v -timeout 30m
// ./internal/bench/ (CKPTFS_BENCH_ONLY=create/,load/ narrows it).
func TestFullScale(t *testing.T) {
	if os.Getenv("CKPTFS_BENCH_FULL") != "1" {
		t.Skip("set CKPTFS_BENCH_FULL=1 to run the full-scale bench")
	}
	var only []string
	if v := os.Getenv("CKPTFS_BENCH_ONLY"); v != "" {
		only = strings.Split(v, ",")
	}
	for _, d := range []ckptfs.Durability{ckptfs.Relaxed, ckptfs.Synced} {
		name, _ := durabilityName(d)
		t.Run(name, func(t *testing.T) {
			o := Options{Durability: d, Only: only, TempDir: t.TempDir(),
				Progress: func(row string) { t.Logf("running %s", row) }}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := rep.WriteTable(&b); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", b.String())
			js, _ := json.Marshal(rep)
			t.Logf("%s", js)
		})
	}
}
