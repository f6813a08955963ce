package gc

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// idN returns an id whose first byte is n, so ids order like their numbers.
func idN(n int) pebblestore.ID {
	var id pebblestore.ID
	id[0] = byte(n)
	return id
}

// ts parses an RFC 3339 time.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cand builds a candidate numbered n; flags may contain H (head) and T
// (tagged).
func cand(n int, session, when, flags string) Candidate {
	return Candidate{
		ID:      idN(n),
		Session: session,
		Time:    ts(when),
		Head:    strings.Contains(flags, "H"),
		Tagged:  strings.Contains(flags, "T"),
	}
}

// describe renders a result compactly: "keep 3[head,last 2] 1[...]; drop 2 4"
// with candidates named by the first byte of their id.
func describe(keep, drop []Decision) string {
	var b strings.Builder
	b.WriteString("keep")
	for _, d := range keep {
		var rs []string
		for _, r := range d.Reasons {
			rs = append(rs, string(r))
		}
		fmt.Fprintf(&b, " %d[%s]", d.ID[0], strings.Join(rs, ","))
	}
	b.WriteString("; drop")
	for _, d := range drop {
		fmt.Fprintf(&b, " %d", d.ID[0])
	}
	return b.String()
}

var tableNow = ts("2026-12-15T12:00:00Z")

func TestApplyPolicyTable(t *testing.T) {
	// Several checkpoints per day, with gaps, in one session.
	// 2026-12-10 (Thu) 09:00, 12:00, 23:59:59; 2026-12-12 (Sat) 08:00, 20:00;
	// 2026-12-14 (Mon) 10:00.
	perDay := []Candidate{
		cand(1, "s", "2026-12-10T09:00:00Z", ""),
		cand(2, "s", "2026-12-10T12:00:00Z", ""),
		cand(3, "s", "2026-12-10T23:59:59Z", ""),
		cand(4, "s", "2026-12-12T08:00:00Z", ""),
		cand(5, "s", "2026-12-12T20:00:00Z", ""),
		cand(6, "s", "2026-12-14T10:00:00Z", ""),
	}
	// ISO week and year boundaries: 2026 has 53 ISO weeks;
	// 2026-W53 runs from Monday 2026-12-28 to Sunday 2027-01-03.
	weeks := []Candidate{
		cand(1, "s", "2026-12-21T00:00:00Z", ""), // Mon, W52
		cand(2, "s", "2026-12-27T23:59:59Z", ""), // Sun, W52
		cand(3, "s", "2026-12-28T00:00:00Z", ""), // Mon, W53
		cand(4, "s", "2026-12-31T12:00:00Z", ""), // Thu, W53
		cand(5, "s", "2027-01-01T12:00:00Z", ""), // Fri, W53 of 2026
		cand(6, "s", "2027-01-03T23:59:59Z", ""), // Sun, W53 of 2026
		cand(7, "s", "2027-01-04T00:00:00Z", ""), // Mon, 2027-W01
	}
	weeksNow := ts("2027-01-05T00:00:00Z")

	tests := []struct {
		name  string
		cands []Candidate
		p     Policy
		now   time.Time
		want  string
	}{
		{
			name: "empty input",
			p:    Policy{KeepLast: 3},
			want: "keep; drop",
		},
		{
			name: "default policy",
			cands: []Candidate{
				cand(1, "s", "2026-10-01T00:00:00Z", "H"),  // old head
				cand(2, "s", "2026-10-02T00:00:00Z", "T"),  // old tagged
				cand(3, "s", "2026-10-03T00:00:00Z", ""),   // old
				cand(4, "s", "2026-11-15T12:00:00Z", ""),   // exactly 30 days old
				cand(5, "s", "2026-11-15T12:00:01Z", ""),   // 1s younger
				cand(6, "s", "2026-12-15T11:00:00Z", "HT"), // recent head, tagged
			},
			p:    DefaultPolicy(),
			want: "keep 6[head,tagged,within 30d] 5[within 30d] 2[tagged] 1[head]; drop 4 3",
		},
		{
			name: "zero Policy is the default",
			cands: []Candidate{
				cand(1, "s", "2026-10-01T00:00:00Z", "T"),
				cand(2, "s", "2026-12-01T00:00:00Z", ""),
				cand(3, "s", "2026-11-01T00:00:00Z", ""),
			},
			p:    Policy{},
			want: "keep 2[within 30d] 1[tagged]; drop 3",
		},
		{
			name: "keep-within alone replaces the default",
			cands: []Candidate{
				cand(1, "s", "2026-12-14T12:00:00Z", ""),  // 1 day
				cand(2, "s", "2026-12-01T12:00:00Z", ""),  // 14 days: dropped, no 30-day default
				cand(3, "s", "2026-01-01T12:00:00Z", "T"), // tagged
				cand(4, "s", "2026-01-02T12:00:00Z", "H"), // head
			},
			p:    Policy{KeepWithin: 7 * day},
			want: "keep 1[within 7d] 4[head] 3[tagged]; drop 2",
		},
		{
			name: "exact keep-within boundary",
			cands: []Candidate{
				cand(1, "s", "2026-12-14T12:00:00Z", ""),           // exactly 1 day: dropped
				cand(2, "s", "2026-12-14T12:00:00.000000001Z", ""), // 1ns younger: kept
				cand(3, "s", "2026-12-14T11:59:59.999999999Z", ""), // 1ns older: dropped
			},
			p:    Policy{KeepWithin: day},
			want: "keep 2[within 1d]; drop 1 3",
		},
		{
			name: "keep-last alone, per session",
			cands: []Candidate{
				cand(1, "a", "2026-01-01T00:00:00Z", ""),
				cand(2, "a", "2026-01-02T00:00:00Z", ""),
				cand(3, "a", "2026-01-03T00:00:00Z", ""),
				cand(4, "a", "2026-12-15T00:00:00Z", ""), // recent, but no default within
				cand(5, "b", "2025-01-01T00:00:00Z", ""),
				cand(6, "b", "2025-01-02T00:00:00Z", "T"),
				cand(7, "", "2025-01-03T00:00:00Z", ""), // "" is a session too
			},
			p:    Policy{KeepLast: 2},
			want: "keep 4[last 2] 3[last 2] 7[last 2] 6[tagged,last 2] 5[last 2]; drop 2 1",
		},
		{
			name: "keep-last counts heads and tagged",
			cands: []Candidate{
				cand(1, "s", "2026-01-01T00:00:00Z", ""),
				cand(2, "s", "2026-01-02T00:00:00Z", ""),
				cand(3, "s", "2026-01-03T00:00:00Z", "T"),
				cand(4, "s", "2026-01-04T00:00:00Z", "H"),
			},
			p:    Policy{KeepLast: 3},
			want: "keep 4[head,last 3] 3[tagged,last 3] 2[last 3]; drop 1",
		},
		{
			name: "keep-last larger than count",
			cands: []Candidate{
				cand(1, "s", "2020-01-01T00:00:00Z", ""),
				cand(2, "s", "2021-01-01T00:00:00Z", ""),
				cand(3, "t", "2022-01-01T00:00:00Z", ""),
			},
			p:    Policy{KeepLast: 100},
			want: "keep 3[last 100] 2[last 100] 1[last 100]; drop",
		},
		{
			name:  "keep-daily keeps the newest of each day with a checkpoint",
			cands: perDay,
			p:     Policy{KeepDaily: 2},
			want:  "keep 6[daily 2026-12-14] 5[daily 2026-12-12]; drop 4 3 2 1",
		},
		{
			name:  "keep-daily more days than there are",
			cands: perDay,
			p:     Policy{KeepDaily: 30},
			want:  "keep 6[daily 2026-12-14] 5[daily 2026-12-12] 3[daily 2026-12-10]; drop 4 2 1",
		},
		{
			name: "keep-daily ties broken by id",
			cands: []Candidate{
				cand(9, "s", "2026-12-10T12:00:00Z", ""),
				cand(2, "s", "2026-12-10T12:00:00Z", ""),
				cand(5, "s", "2026-12-10T12:00:00Z", ""),
			},
			p:    Policy{KeepDaily: 1},
			want: "keep 2[daily 2026-12-10]; drop 5 9",
		},
		{
			name: "keep-daily per session",
			cands: []Candidate{
				cand(1, "a", "2026-12-10T09:00:00Z", ""),
				cand(2, "b", "2026-12-10T10:00:00Z", ""),
				cand(3, "a", "2026-12-09T09:00:00Z", ""),
				cand(4, "b", "2026-12-08T09:00:00Z", ""),
				cand(5, "b", "2026-12-10T08:00:00Z", ""),
			},
			p:    Policy{KeepDaily: 1},
			want: "keep 2[daily 2026-12-10] 1[daily 2026-12-10]; drop 5 3 4",
		},
		{
			name: "keep-daily uses the UTC date",
			cands: []Candidate{
				// 2026-12-09T23:30-05:00 is 2026-12-10T04:30Z.
				{ID: idN(1), Session: "s", Time: ts("2026-12-09T23:30:00-05:00")},
				cand(2, "s", "2026-12-10T01:00:00Z", ""),
				// 2026-12-10T01:00+03:00 is 2026-12-09T22:00Z.
				{ID: idN(3), Session: "s", Time: ts("2026-12-10T01:00:00+03:00")},
			},
			p:    Policy{KeepDaily: 5},
			want: "keep 1[daily 2026-12-10] 3[daily 2026-12-09]; drop 2",
		},
		{
			name:  "keep-weekly across Sunday/Monday and 2026-W53/2027-W01",
			cands: weeks,
			p:     Policy{KeepWeekly: 3},
			now:   weeksNow,
			want:  "keep 7[weekly 2027-W01] 6[weekly 2026-W53] 2[weekly 2026-W52]; drop 5 4 3 1",
		},
		{
			name:  "keep-daily across the year boundary",
			cands: weeks,
			p:     Policy{KeepDaily: 4},
			now:   weeksNow,
			want:  "keep 7[daily 2027-01-04] 6[daily 2027-01-03] 5[daily 2027-01-01] 4[daily 2026-12-31]; drop 3 2 1",
		},
		{
			name: "keep-weekly before 1970",
			cands: []Candidate{
				cand(1, "s", "1969-12-28T23:59:59Z", ""), // Sun, 1969-W52
				cand(2, "s", "1969-12-29T00:00:00Z", ""), // Mon, 1970-W01
				cand(3, "s", "1970-01-01T00:00:00Z", ""), // Thu, 1970-W01
				cand(4, "s", "1969-12-22T00:00:00Z", ""), // Mon, 1969-W52
				cand(5, "s", "1969-12-21T23:59:59Z", ""), // Sun, 1969-W51
			},
			p:    Policy{KeepWeekly: 5, KeepDaily: 2},
			want: "keep 3[daily 1970-01-01,weekly 1970-W01] 2[daily 1969-12-29] 1[weekly 1969-W52] 5[weekly 1969-W51]; drop 4",
		},
		{
			name: "keep-tagged=no",
			cands: []Candidate{
				cand(1, "s", "2026-01-01T00:00:00Z", "T"),
				cand(2, "s", "2026-01-02T00:00:00Z", "TH"),
				cand(3, "s", "2026-12-14T00:00:00Z", "T"),
			},
			p:    Policy{DropTagged: true},
			want: "keep 3[within 30d] 2[head]; drop 1",
		},
		{
			name: "keep-tagged=no with a rule",
			cands: []Candidate{
				cand(1, "s", "2026-01-01T00:00:00Z", "T"),
				cand(2, "s", "2026-01-02T00:00:00Z", "T"),
				cand(3, "s", "2026-12-14T00:00:00Z", "T"),
			},
			p:    Policy{DropTagged: true, KeepLast: 2},
			want: "keep 3[last 2] 2[last 2]; drop 1",
		},
		{
			name: "future timestamps are kept by the default keep-within",
			cands: []Candidate{
				cand(1, "s", "2026-12-15T13:00:00Z", ""),
				cand(2, "s", "2030-01-01T00:00:00Z", ""),
				cand(3, "s", "2026-10-01T00:00:00Z", ""),
			},
			p:    DefaultPolicy(),
			want: "keep 2[within 30d] 1[within 30d]; drop 3",
		},
		{
			name: "keep-within=0 keeps only heads, tagged and future",
			cands: []Candidate{
				cand(1, "s", "2026-12-15T12:00:00Z", ""), // exactly now: age 0, not < 0
				cand(2, "s", "2026-12-15T12:00:00.000000001Z", ""),
				cand(3, "s", "2026-12-15T11:00:00Z", "T"),
				cand(4, "s", "2026-12-15T10:00:00Z", "H"),
				cand(5, "s", "2026-12-15T09:00:00Z", ""),
			},
			p:    Policy{Given: RuleWithin},
			want: "keep 2[within 0s] 3[tagged] 4[head]; drop 1 5",
		},
		{
			name: "far future and far past do not overflow",
			cands: []Candidate{
				cand(1, "s", "9999-12-31T23:59:59Z", ""),
				cand(2, "s", "0001-01-01T00:00:00Z", ""),
			},
			p:    Policy{KeepWithin: 1<<63 - 1},
			want: "keep 1[within 106751d23h47m16.854775807s]; drop 2",
		},
		{
			name: "future timestamps occupy keep-last and keep-daily",
			cands: []Candidate{
				cand(1, "s", "2027-03-01T00:00:00Z", ""),
				cand(2, "s", "2026-12-15T11:00:00Z", ""),
				cand(3, "s", "2026-12-14T11:00:00Z", ""),
			},
			p:    Policy{KeepLast: 1, KeepDaily: 2},
			want: "keep 1[last 1,daily 2027-03-01] 2[daily 2026-12-15]; drop 3",
		},
		{
			name: "keep-last=0 given keeps only heads and tagged",
			cands: []Candidate{
				cand(1, "s", "2026-12-15T11:00:00Z", ""),
				cand(2, "s", "2026-12-15T10:00:00Z", "T"),
				cand(3, "s", "2026-12-15T09:00:00Z", "H"),
			},
			p:    Policy{Given: RuleLast},
			want: "keep 2[tagged] 3[head]; drop 1",
		},
		{
			name: "negative values count as given zero",
			cands: []Candidate{
				cand(1, "s", "2026-12-15T11:00:00Z", ""),
				cand(2, "s", "2026-12-15T10:00:00Z", "H"),
			},
			p:    Policy{KeepLast: -1, KeepDaily: -5},
			want: "keep 2[head]; drop 1",
		},
		{
			name: "all reasons, in rule order",
			cands: []Candidate{
				cand(1, "s", "2026-12-15T11:00:00Z", "HT"),
				cand(2, "s", "2026-12-15T10:00:00Z", ""),
				cand(3, "s", "2026-12-01T10:00:00Z", ""),
			},
			p:    Policy{KeepWithin: time.Hour + 30*time.Minute, KeepLast: 1, KeepDaily: 1, KeepWeekly: 1},
			want: "keep 1[head,tagged,within 1h30m,last 1,daily 2026-12-15,weekly 2026-W51]; drop 2 3",
		},
		{
			name: "result order: time desc, id asc, session asc",
			cands: []Candidate{
				cand(3, "b", "2026-12-01T00:00:00Z", ""),
				cand(1, "a", "2026-12-01T00:00:00Z", ""),
				cand(2, "c", "2026-12-02T00:00:00Z", ""),
				cand(1, "b", "2026-12-01T00:00:00Z", ""),
				cand(4, "a", "2026-11-30T00:00:00Z", ""),
			},
			p:    Policy{Given: RuleLast},
			want: "keep; drop 2 1 1 3 4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = tableNow
			}
			orig := slices.Clone(tt.cands)
			keep, drop := ApplyPolicy(tt.cands, tt.p, now)
			if got := describe(keep, drop); got != tt.want {
				t.Errorf("policy %s:\n got  %s\n want %s", tt.p, got, tt.want)
			}
			if !slices.Equal(orig, tt.cands) {
				t.Errorf("ApplyPolicy modified its input")
			}
			checkInvariants(t, tt.cands, keep, drop)
			if len(tt.cands) > 0 {
				// The reference implementation must agree too.
				wk, wd := referencePolicy(tt.cands, tt.p, now)
				if got, want := describe(keep, drop), describe(wk, wd); got != want {
					t.Errorf("reference disagrees:\n got  %s\n ref  %s", got, want)
				}
			}
		})
	}
}

// TestApplyPolicyResultOrderSessions checks the session tie-break, which
// describe does not show.
func TestApplyPolicyResultOrderSessions(t *testing.T) {
	cands := []Candidate{
		cand(1, "b", "2026-12-01T00:00:00Z", ""),
		cand(1, "a", "2026-12-01T00:00:00Z", ""),
		cand(1, "a", "2026-12-01T00:00:00Z", "T"), // duplicate: decided separately
	}
	keep, drop := ApplyPolicy(cands, Policy{KeepLast: 1, DropTagged: true}, tableNow)
	if len(keep) != 2 || keep[0].Session != "a" || keep[0].Tagged || keep[1].Session != "b" {
		t.Errorf("keep = %+v; want a (untagged, first in input) then b", keep)
	}
	if len(drop) != 1 || drop[0].Session != "a" || !drop[0].Tagged {
		t.Errorf("drop = %+v; want the second, tagged candidate of a", drop)
	}
}

// TestApplyPolicyMonotonic checks that monotonic clock readings in now or in
// candidate times make no difference.
func TestApplyPolicyMonotonic(t *testing.T) {
	now := time.Now() // has a monotonic reading
	var cands, stripped []Candidate
	for i := range 50 {
		c := Candidate{ID: idN(i), Session: "s", Time: now.Add(-time.Duration(i) * 7 * time.Hour)}
		cands = append(cands, c)
		c.Time = c.Time.Round(0)
		stripped = append(stripped, c)
	}
	p := Policy{KeepWithin: 2 * day, KeepDaily: 3}
	k1, d1 := ApplyPolicy(cands, p, now)
	k2, d2 := ApplyPolicy(stripped, p, now.Round(0))
	if a, b := describe(k1, d1), describe(k2, d2); a != b {
		t.Errorf("monotonic readings change the result:\n %s\n %s", a, b)
	}
}

// TestApplyPolicyReasonsAreOwned checks that appending to one decision's
// Reasons does not change another's.
func TestApplyPolicyReasonsAreOwned(t *testing.T) {
	cands := []Candidate{
		cand(1, "s", "2026-12-15T11:00:00Z", "H"),
		cand(2, "s", "2026-12-15T10:00:00Z", "H"),
	}
	keep, _ := ApplyPolicy(cands, Policy{}, tableNow)
	_ = append(keep[0].Reasons, "extra")
	if got := fmt.Sprint(keep[1].Reasons); got != "[head within 30d]" {
		t.Errorf("keep[1].Reasons = %s after appending to keep[0].Reasons", got)
	}
}

// checkInvariants checks properties every result must have.
func checkInvariants(t *testing.T, cands []Candidate, keep, drop []Decision) {
	t.Helper()
	if len(keep)+len(drop) != len(cands) {
		t.Fatalf("%d kept + %d dropped != %d candidates", len(keep), len(drop), len(cands))
	}
	for _, d := range keep {
		if !d.Keep || len(d.Reasons) == 0 {
			t.Errorf("kept %v: Keep=%v Reasons=%v", d.ID.Short(), d.Keep, d.Reasons)
		}
	}
	for _, d := range drop {
		if d.Keep || d.Reasons != nil {
			t.Errorf("dropped %v: Keep=%v Reasons=%v", d.ID.Short(), d.Keep, d.Reasons)
		}
		if d.Head {
			t.Errorf("dropped head %v", d.ID.Short())
		}
	}
	// Same multiset of candidates.
	key := func(c Candidate) string {
		return fmt.Sprintf("%x/%s/%d/%v/%v", c.ID, c.Session, c.Time.UnixNano(), c.Tagged, c.Head)
	}
	var in, out []string
	for _, c := range cands {
		in = append(in, key(c))
	}
	for _, d := range append(slices.Clone(keep), drop...) {
		out = append(out, key(d.Candidate))
	}
	slices.Sort(in)
	slices.Sort(out)
	if !slices.Equal(in, out) {
		t.Errorf("results are not a permutation of the candidates")
	}
	for _, list := range [][]Decision{keep, drop} {
		if !slices.IsSortedFunc(list, func(a, b Decision) int { return compareNewest(a.Candidate, b.Candidate) }) {
			t.Errorf("results not ordered newest first")
		}
	}
}

// compareNewest orders candidates newest first, then by id and session.
func compareNewest(a, b Candidate) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	if c := bytes.Compare(a.ID[:], b.ID[:]); c != 0 {
		return c
	}
	return strings.Compare(a.Session, b.Session)
}

// referencePolicy is a slow, direct transcription of the rules, used to
// check ApplyPolicy. It uses time.Time's calendar methods where ApplyPolicy
// uses arithmetic on Unix seconds.
func referencePolicy(cands []Candidate, p Policy, now time.Time) (keep, drop []Decision) {
	given := p.Given&(RuleWithin|RuleLast|RuleDaily|RuleWeekly) != 0 ||
		p.KeepWithin != 0 || p.KeepLast != 0 || p.KeepDaily != 0 || p.KeepWeekly != 0
	withinOn := !given || p.KeepWithin != 0 || p.Given&RuleWithin != 0
	within := max(p.KeepWithin, 0)
	if !given {
		within = 30 * 24 * time.Hour
	}
	type item struct {
		c   Candidate
		pos int
	}
	order := make([]item, len(cands))
	for i, c := range cands {
		order[i] = item{c, i}
	}
	slices.SortStableFunc(order, func(a, b item) int { return compareNewest(a.c, b.c) })
	now = now.Round(0)
	for i, it := range order {
		c := it.c
		var rs []Reason
		if c.Head {
			rs = append(rs, "head")
		}
		if c.Tagged && !p.DropTagged {
			rs = append(rs, "tagged")
		}
		if withinOn && now.Sub(c.Time.Round(0)) < within {
			rs = append(rs, Reason("within "+FormatDuration(within)))
		}
		// Rank within the session, and the distinct days and weeks of the
		// session newer than or equal to c's.
		rank := 0
		days := map[string]bool{}
		weeks := map[string]bool{}
		firstOfDay, firstOfWeek := true, true
		dayOf := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
		weekOf := func(t time.Time) string {
			y, w := t.UTC().ISOWeek()
			return fmt.Sprintf("%04d-W%02d", y, w)
		}
		for _, o := range order[:i] {
			if o.c.Session != c.Session {
				continue
			}
			rank++
			days[dayOf(o.c.Time)] = true
			weeks[weekOf(o.c.Time)] = true
			if dayOf(o.c.Time) == dayOf(c.Time) {
				firstOfDay = false
			}
			if weekOf(o.c.Time) == weekOf(c.Time) {
				firstOfWeek = false
			}
		}
		if rank < p.KeepLast {
			rs = append(rs, Reason(fmt.Sprintf("last %d", p.KeepLast)))
		}
		if firstOfDay && len(days) < p.KeepDaily {
			rs = append(rs, Reason("daily "+dayOf(c.Time)))
		}
		if firstOfWeek && len(weeks) < p.KeepWeekly {
			rs = append(rs, Reason("weekly "+weekOf(c.Time)))
		}
		if len(rs) > 0 {
			keep = append(keep, Decision{Candidate: c, Keep: true, Reasons: rs})
		} else {
			drop = append(drop, Decision{Candidate: c})
		}
	}
	return keep, drop
}

// TestApplyPolicyReference compares ApplyPolicy with referencePolicy on
// random inputs, including times before 1970, in other time zones, many
// per day and with ties.
func TestApplyPolicyReference(t *testing.T) {
	r := testRNG{42}
	zones := []*time.Location{time.UTC, time.FixedZone("A", -5*3600), time.FixedZone("B", 13*3600+45*60)}
	for iter := range 500 {
		n := r.intn(60)
		base := ts("2026-12-20T00:00:00Z").Unix()
		if iter%5 == 0 {
			base = 0 // around the Unix epoch
		}
		span := int64(1+r.intn(200)) * 86400
		var cands []Candidate
		for i := range n {
			sec := base - span + int64(r.next()%uint64(2*span))
			if r.intn(4) == 0 && len(cands) > 0 {
				sec = cands[r.intn(len(cands))].Time.Unix() // a tie
			}
			cands = append(cands, Candidate{
				ID:      idN(r.intn(256)),
				Session: string(rune('a' + r.intn(3))),
				Time:    time.Unix(sec, int64(r.intn(3))).In(zones[r.intn(len(zones))]),
				Tagged:  r.intn(8) == 0,
				Head:    r.intn(10) == 0,
			})
			_ = i
		}
		if iter%7 == 0 {
			// Far outside the range of UnixNano: ApplyPolicy then sorts by
			// seconds and nanoseconds separately.
			cands = append(cands, Candidate{ID: idN(r.intn(256)), Session: "a", Time: ts("1500-06-01T00:00:00Z")})
		}
		var p Policy
		if r.intn(2) == 0 {
			p.KeepWithin = time.Duration(r.intn(100)) * time.Hour
		}
		if r.intn(2) == 0 {
			p.KeepLast = r.intn(6)
		}
		if r.intn(2) == 0 {
			p.KeepDaily = r.intn(10)
		}
		if r.intn(2) == 0 {
			p.KeepWeekly = r.intn(6)
		}
		if r.intn(4) == 0 {
			p.Given = Rules(r.intn(16))
		}
		p.DropTagged = r.intn(3) == 0
		now := time.Unix(base+int64(r.intn(3*86400))-86400, 0)

		keep, drop := ApplyPolicy(cands, p, now)
		checkInvariants(t, cands, keep, drop)
		wk, wd := referencePolicy(cands, p, now)
		if got, want := describe(keep, drop), describe(wk, wd); got != want {
			t.Fatalf("iteration %d, policy %s, %d candidates:\n got  %s\n ref  %s", iter, p, n, got, want)
		}
		// describe does not show sessions or times; compare whole decisions.
		if !slices.EqualFunc(append(keep, drop...), append(wk, wd...), func(a, b Decision) bool {
			return a.Candidate == b.Candidate && a.Keep == b.Keep && slices.Equal(a.Reasons, b.Reasons)
		}) {
			t.Fatalf("iteration %d: decisions differ from the reference", iter)
		}
	}
}

func TestPolicySetAndString(t *testing.T) {
	var p Policy
	if got := p.String(); got != "keep-within=30d (default) keep-tagged=yes" {
		t.Errorf("Policy{}.String() = %q", got)
	}
	for _, kv := range [][2]string{
		{"keep-within", "1d12h"}, {"keep-last", "5"}, {"keep-daily", "07"},
		{"keep-weekly", "0"}, {"keep-tagged", "no"},
	} {
		if err := p.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q, %q): %v", kv[0], kv[1], err)
		}
	}
	want := Policy{KeepWithin: 36 * time.Hour, KeepLast: 5, KeepDaily: 7, DropTagged: true,
		Given: RuleWithin | RuleLast | RuleDaily | RuleWeekly}
	if p != want {
		t.Errorf("after Set: %+v; want %+v", p, want)
	}
	if got := p.String(); got != "keep-within=1d12h keep-last=5 keep-daily=7 keep-weekly=0 keep-tagged=no" {
		t.Errorf("String() = %q", got)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	var q Policy
	if err := q.Set("keep-within", "0"); err != nil || q.String() != "keep-within=0s keep-tagged=yes" {
		t.Errorf("Set keep-within=0: %v, %q", err, q.String())
	}
	if err := q.Set("keep-tagged", "yes"); err != nil || q.DropTagged {
		t.Errorf("Set keep-tagged=yes: %v, %+v", err, q)
	}

	for _, kv := range [][3]string{
		{"keep-within", "", "keep-within: empty duration"},
		{"keep-within", "-1d", "keep-within: duration \"-1d\": negative"},
		{"keep-last", "-1", "want a non-negative integer"},
		{"keep-last", "", "want a non-negative integer"},
		{"keep-daily", "1.5", "want a non-negative integer"},
		{"keep-weekly", "+3", "want a non-negative integer"},
		{"keep-weekly", "99999999999999999999", "want a non-negative integer"},
		{"keep-tagged", "true", "want yes or no"},
		{"keep-monthly", "3", "unknown retention rule"},
		{"session", "x", "unknown retention rule"},
	} {
		var p Policy
		err := p.Set(kv[0], kv[1])
		if err == nil || !strings.HasPrefix(err.Error(), "gc: ") || !strings.Contains(err.Error(), kv[2]) {
			t.Errorf("Set(%q, %q) = %v; want error containing %q", kv[0], kv[1], err, kv[2])
		}
		if p != (Policy{}) {
			t.Errorf("Set(%q, %q) changed the policy on error: %+v", kv[0], kv[1], p)
		}
	}

	for _, p := range []Policy{{KeepWithin: -1}, {KeepLast: -1}, {KeepDaily: -1}, {KeepWeekly: -1}} {
		if err := p.Validate(); err == nil || !strings.HasPrefix(err.Error(), "gc: ") {
			t.Errorf("Validate(%+v) = %v; want error", p, err)
		}
	}
	if DefaultPolicy() != (Policy{}) {
		t.Errorf("DefaultPolicy() is not the zero Policy")
	}
}

// goldenNow is "now" for the golden tests. The candidates span the 120 days
// before it (so they cross 2026-W53 and the year boundary), plus two in the
// future.
var goldenNow = ts("2027-01-08T12:00:00Z")

// goldenCandidates returns a fixed list of 200 candidates in 3 sessions.
func goldenCandidates() []Candidate {
	r := testRNG{2026}
	sessions := []string{"alpha", "beta", "gamma"}
	start := goldenNow.Add(-120 * day).Unix()
	var cands []Candidate
	add := func(session string, t time.Time, tagged, head bool) {
		id := pebblestore.Hash(pebblestore.KindCheckpoint, fmt.Appendf(nil, "golden checkpoint %d", len(cands)))
		cands = append(cands, Candidate{ID: id, Session: session, Time: t, Tagged: tagged, Head: head})
	}
	for range 195 {
		s := sessions[r.intn(3)]
		// Bias towards recent days and towards "beta" being busy.
		sec := start + int64(r.next()%uint64(120*86400))
		if s == "beta" && r.intn(2) == 0 {
			sec = goldenNow.Unix() - int64(r.intn(20*86400))
		}
		add(s, time.Unix(sec, 0).UTC(), r.intn(12) == 0, r.intn(30) == 0)
	}
	// Specials: an exact tie, the exact 30-day boundary, future checkpoints
	// and a checkpoint recorded in another time zone.
	tie := ts("2026-12-31T18:00:00Z")
	add("beta", tie, false, false)
	add("beta", tie, false, false)
	add("alpha", goldenNow.Add(-30*day), false, false)
	add("gamma", goldenNow.Add(time.Hour), false, false)
	add("alpha", goldenNow.Add(2*day).In(time.FixedZone("X", -8*3600)), false, false)
	return cands
}

var goldenPolicies = []struct {
	name string
	p    Policy
}{
	{"default", DefaultPolicy()},
	{"keep-tagged-no", Policy{DropTagged: true}},
	{"within-7d", Policy{KeepWithin: 7 * day}},
	{"within-0", Policy{Given: RuleWithin}},
	{"last-5", Policy{KeepLast: 5}},
	{"daily-7", Policy{KeepDaily: 7}},
	{"weekly-4", Policy{KeepWeekly: 4}},
	{"last-3-daily-7-weekly-4", Policy{KeepLast: 3, KeepDaily: 7, KeepWeekly: 4}},
	{"within-2d-daily-14-weekly-8-untagged", Policy{KeepWithin: 2 * day, KeepDaily: 14, KeepWeekly: 8, DropTagged: true}},
}

// formatGolden renders a result, grouped by session, newest first.
func formatGolden(p Policy, cands []Candidate, keep, drop []Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# policy: %s\n", p)
	fmt.Fprintf(&b, "# now: %s\n", goldenNow.Format(time.RFC3339))
	fmt.Fprintf(&b, "# candidates: %d, kept: %d, dropped: %d\n", len(cands), len(keep), len(drop))
	b.WriteString("# flags: H = branch head, T = tagged\n")
	all := append(slices.Clone(keep), drop...)
	slices.SortStableFunc(all, func(a, b Decision) int {
		if c := strings.Compare(a.Session, b.Session); c != 0 {
			return c
		}
		return compareNewest(a.Candidate, b.Candidate)
	})
	session := "\x00"
	for _, d := range all {
		if d.Session != session {
			session = d.Session
			fmt.Fprintf(&b, "\n## session %s\n", session)
		}
		verdict := "drop"
		if d.Keep {
			verdict = "keep"
		}
		flags := []byte("--")
		if d.Head {
			flags[0] = 'H'
		}
		if d.Tagged {
			flags[1] = 'T'
		}
		utc := d.Time.UTC()
		y, w := utc.ISOWeek()
		var rs []string
		for _, r := range d.Reasons {
			rs = append(rs, string(r))
		}
		line := fmt.Sprintf("%s %s %s %04d-W%02d %s %s  %s", verdict, utc.Format(time.RFC3339), utc.Format("Mon"), y, w,
			d.ID.Short(), flags, strings.Join(rs, ", "))
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestApplyPolicyGolden(t *testing.T) {
	cands := goldenCandidates()
	if len(cands) != 200 {
		t.Fatalf("%d golden candidates; want 200", len(cands))
	}
	for _, gp := range goldenPolicies {
		t.Run(gp.name, func(t *testing.T) {
			keep, drop := ApplyPolicy(cands, gp.p, goldenNow)
			checkInvariants(t, cands, keep, drop)
			wk, wd := referencePolicy(cands, gp.p, goldenNow)
			got := formatGolden(gp.p, cands, keep, drop)
			if ref := formatGolden(gp.p, cands, wk, wd); got != ref {
				t.Fatalf("reference implementation disagrees")
			}
			path := filepath.Join("testdata", "policy_"+gp.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./gc/ -run Golden -update to create it)", err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range max(len(gl), len(wl)) {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s differs at line %d:\n got  %q\n want %q\n(run with -update if the change is intended)", path, i+1, g, w)
					}
				}
			}
		})
	}
}

func benchCandidates(n int) []Candidate {
	r := testRNG{7}
	start := ts("2025-01-01T00:00:00Z").Unix()
	cands := make([]Candidate, n)
	for i := range cands {
		var id pebblestore.ID
		for j := 0; j < len(id); j += 8 {
			x := r.next()
			for k := range 8 {
				id[j+k] = byte(x >> (8 * k))
			}
		}
		cands[i] = Candidate{
			ID:      id,
			Session: fmt.Sprintf("session-%d", r.intn(20)),
			Time:    time.Unix(start+int64(r.next()%(2*365*86400)), 0).UTC(),
			Tagged:  r.intn(100) == 0,
			Head:    r.intn(1000) == 0,
		}
	}
	return cands
}

func BenchmarkApplyPolicy(b *testing.B) {
	now := ts("2027-01-01T00:00:00Z")
	p := Policy{KeepWithin: 7 * day, KeepLast: 10, KeepDaily: 30, KeepWeekly: 52}
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		cands := benchCandidates(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ApplyPolicy(cands, p, now)
			}
		})
	}
}

func ExampleApplyPolicy() {
	p := DefaultPolicy()
	for _, arg := range []string{"keep-last=1", "keep-daily=2"} {
		k, v, _ := strings.Cut(arg, "=")
		if err := p.Set(k, v); err != nil {
			fmt.Println(err)
			return
		}
	}
	now := time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC)
	cands := []Candidate{
		{ID: idN(1), Session: "work", Time: now.Add(-1 * time.Hour)},
		{ID: idN(2), Session: "work", Time: now.Add(-2 * time.Hour)},
		{ID: idN(3), Session: "work", Time: now.Add(-26 * time.Hour)},
		{ID: idN(4), Session: "work", Time: now.Add(-50 * time.Hour), Tagged: true},
		{ID: idN(5), Session: "work", Time: now.Add(-74 * time.Hour)},
	}
	keep, drop := ApplyPolicy(cands, p, now)
	fmt.Println(p)
	for _, d := range keep {
		fmt.Println("keep", d.Time.Format(time.DateTime), d.Reasons)
	}
	for _, d := range drop {
		fmt.Println("drop", d.Time.Format(time.DateTime))
	}
	// Output:
	// keep-last=1 keep-daily=2 keep-tagged=yes
	// keep 2026-12-15 11:00:00 [last 1 daily 2026-12-15]
	// keep 2026-12-14 10:00:00 [daily 2026-12-14]
	// keep 2026-12-13 10:00:00 [tagged]
	// drop 2026-12-15 10:00:00
	// drop 2026-12-12 10:00:00
}
