package gc

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// DefaultKeepWithin is the keep-within window used when a Policy gives none of
// keep-within, keep-last, keep-daily and keep-weekly.
const DefaultKeepWithin = 30 * 24 * time.Hour

// Candidate is one checkpoint considered by the retention policy.
type Candidate struct {
	ID      pebblestore.ID
	Session string    // the session the checkpoint belongs to; "" is a session too
	Time    time.Time // when the checkpoint was taken; buckets use its UTC date
	Tagged  bool      // the checkpoint has at least one tag
	Head    bool      // the checkpoint is the head of a branch
}

// Rules is a set of the retention rules that take a value. It records which
// rules a Policy gives explicitly, so that a rule given with value zero
// (e.g. keep-within=0) still replaces the 30-day default.
type Rules uint8

// The rules that take a value. Branch heads are always kept, and keep-tagged
// is a switch rather than a rule: neither appears here.
const (
	RuleWithin Rules = 1 << iota // keep-within
	RuleLast                     // keep-last
	RuleDaily                    // keep-daily
	RuleWeekly                   // keep-weekly
)

// Policy is a retention policy, the keep-… arguments of gc.
//
// The zero Policy is the default policy (DefaultPolicy): keep branch heads,
// tagged checkpoints and checkpoints younger than 30 days.
//
// A value rule (keep-within, keep-last, keep-daily, keep-weekly) is given if
// its field is non-zero or its bit is set in Given; setting the bit is only
// needed to give a rule with value zero. If any value rule is given, the
// 30-day default does not apply: Policy{KeepLast: 3} keeps heads, tagged
// checkpoints and the newest 3 of each session, nothing else. A value rule
// given as zero keeps nothing by itself, so Policy{Given: RuleWithin}
// (keep-within=0) keeps only heads, tagged checkpoints and checkpoints
// with timestamps in the future.
//
// Negative values are invalid: Validate reports them, and ApplyPolicy treats
// them as zero.
type Policy struct {
	KeepWithin time.Duration // keep checkpoints with now - Time < KeepWithin
	KeepLast   int           // keep the newest KeepLast checkpoints of each session
	KeepDaily  int           // keep the newest checkpoint of each of the newest KeepDaily days, per session
	KeepWeekly int           // keep the newest checkpoint of each of the newest KeepWeekly ISO weeks, per session
	DropTagged bool          // keep-tagged=no: a tag alone does not keep a checkpoint
	Given      Rules         // value rules given explicitly, even if zero
}

// DefaultPolicy returns the policy of gc without keep-… arguments: keep branch
// heads, tagged checkpoints and checkpoints younger than DefaultKeepWithin.
// It is the zero Policy.
func DefaultPolicy() Policy { return Policy{} }

// given returns the value rules in effect: those with a non-zero value or an
// explicit bit.
func (p Policy) given() Rules {
	g := p.Given & (RuleWithin | RuleLast | RuleDaily | RuleWeekly)
	if p.KeepWithin != 0 {
		g |= RuleWithin
	}
	if p.KeepLast != 0 {
		g |= RuleLast
	}
	if p.KeepDaily != 0 {
		g |= RuleDaily
	}
	if p.KeepWeekly != 0 {
		g |= RuleWeekly
	}
	return g
}

// effective returns the rules in effect and their values, with the 30-day
// default applied and negative values clamped to zero.
func (p Policy) effective() (rules Rules, within time.Duration, last, daily, weekly int) {
	rules = p.given()
	if rules == 0 {
		return RuleWithin, DefaultKeepWithin, 0, 0, 0
	}
	return rules, max(p.KeepWithin, 0), max(p.KeepLast, 0), max(p.KeepDaily, 0), max(p.KeepWeekly, 0)
}

// Validate reports negative values.
func (p Policy) Validate() error {
	switch {
	case p.KeepWithin < 0:
		return fmt.Errorf("gc: keep-within must not be negative, got %s", FormatDuration(p.KeepWithin))
	case p.KeepLast < 0:
		return fmt.Errorf("gc: keep-last must not be negative, got %d", p.KeepLast)
	case p.KeepDaily < 0:
		return fmt.Errorf("gc: keep-daily must not be negative, got %d", p.KeepDaily)
	case p.KeepWeekly < 0:
		return fmt.Errorf("gc: keep-weekly must not be negative, got %d", p.KeepWeekly)
	}
	return nil
}

// Set applies one gc argument KEY=VALUE to p and marks the rule as given.
// Keys: keep-within (a DUR, see ParseDuration), keep-last, keep-daily,
// keep-weekly (non-negative decimal integers) and keep-tagged (yes or no).
// Other keys, such as session, are the caller's business and are rejected.
func (p *Policy) Set(key, value string) error {
	switch key {
	case "keep-within":
		d, err := ParseDuration(value)
		if err != nil {
			return fmt.Errorf("gc: keep-within: %s", strings.TrimPrefix(err.Error(), "gc: "))
		}
		p.KeepWithin = d
		p.Given |= RuleWithin
	case "keep-last", "keep-daily", "keep-weekly":
		n, err := strconv.ParseUint(value, 10, strconv.IntSize-1)
		if err != nil {
			return fmt.Errorf("gc: %s=%q: want a non-negative integer", key, value)
		}
		switch key {
		case "keep-last":
			p.KeepLast = int(n)
			p.Given |= RuleLast
		case "keep-daily":
			p.KeepDaily = int(n)
			p.Given |= RuleDaily
		default:
			p.KeepWeekly = int(n)
			p.Given |= RuleWeekly
		}
	case "keep-tagged":
		switch value {
		case "yes":
			p.DropTagged = false
		case "no":
			p.DropTagged = true
		default:
			return fmt.Errorf("gc: keep-tagged=%q: want yes or no", value)
		}
	default:
		return fmt.Errorf("gc: unknown retention rule %q (want keep-within, keep-last, keep-daily, keep-weekly or keep-tagged)", key)
	}
	return nil
}

// String formats p as gc arguments, listing the value rules in effect and
// keep-tagged, e.g. "keep-last=5 keep-daily=7 keep-tagged=yes". The 30-day
// default is shown as "keep-within=30d (default)".
func (p Policy) String() string {
	var parts []string
	rules, within, last, daily, weekly := p.effective()
	if p.given() == 0 {
		parts = append(parts, "keep-within="+FormatDuration(within)+" (default)")
	} else {
		if rules&RuleWithin != 0 {
			parts = append(parts, "keep-within="+FormatDuration(within))
		}
		if rules&RuleLast != 0 {
			parts = append(parts, "keep-last="+strconv.Itoa(last))
		}
		if rules&RuleDaily != 0 {
			parts = append(parts, "keep-daily="+strconv.Itoa(daily))
		}
		if rules&RuleWeekly != 0 {
			parts = append(parts, "keep-weekly="+strconv.Itoa(weekly))
		}
	}
	if p.DropTagged {
		parts = append(parts, "keep-tagged=no")
	} else {
		parts = append(parts, "keep-tagged=yes")
	}
	return strings.Join(parts, " ")
}

// Reason says which rule keeps a checkpoint.
//
// The forms are "head", "tagged", "within DUR" (DUR as FormatDuration writes
// it, e.g. "within 30d"), "last N" (N the keep-last value), "daily
// YYYY-MM-DD" and "weekly YYYY-Www" (the UTC day or ISO week the checkpoint
// is the newest of, e.g. "daily 2026-12-01", "weekly 2026-W48").
type Reason string

// Reasons without parameters.
const (
	ReasonHead   Reason = "head"
	ReasonTagged Reason = "tagged"
)

// Decision is the verdict on one candidate.
type Decision struct {
	Candidate
	Keep    bool
	Reasons []Reason // why it is kept, in rule order head, tagged, within, last, daily, weekly; nil if dropped
}

// ApplyPolicy decides which candidates p keeps at time now.
//
// It is pure: it neither modifies cands nor looks at the clock, and the result
// depends only on its arguments. keep and drop hold one Decision per
// candidate; each is ordered newest first (Time descending, then ID
// ascending, then Session ascending, then input position), and Reasons lists
// every rule that keeps a candidate, not just the first. See the package
// documentation for the rules.
//
// It sorts the candidates once, O(n log n), and otherwise does a constant
// amount of work per candidate. It panics if len(cands) exceeds 2^31-1.
func ApplyPolicy(cands []Candidate, p Policy, now time.Time) (keep, drop []Decision) {
	if len(cands) == 0 {
		return nil, nil
	}
	rules, within, last, daily, weekly := p.effective()
	now = now.Round(0) // strip any monotonic reading: compare wall clocks only

	if int64(len(cands)) > math.MaxInt32 {
		panic("gc: ApplyPolicy: more than 2^31-1 candidates")
	}

	// Sort key: Unix nanoseconds if every time fits in an int64 of them
	// (years 1678 to 2262), else Unix seconds with the nanoseconds as a
	// tie-breaker.
	type entry struct {
		key  int64
		idx  int32 // index into cands
		sess int32 // index into sessions
	}
	nanoKeys := true
	for i := range cands {
		if sec := cands[i].Time.Unix(); sec <= minNanoSec || sec >= maxNanoSec {
			nanoKeys = false
			break
		}
	}

	// Intern sessions and collect, in one sequential pass over cands, the
	// sort keys and the flags the decision pass needs, so that the latter
	// does not touch cands in sorted (random) order.
	const (
		fHead = 1 << iota
		fTagged
		fWithin
	)
	entries := make([]entry, len(cands))
	flags := make([]uint8, len(cands)) // by index into cands
	sessIndex := make(map[string]int32)
	var sessions []string
	lastSess, lastIdx := "", int32(-1) // cache: runs of one session are common
	for i := range cands {
		c := &cands[i]
		s := lastIdx
		if s < 0 || c.Session != lastSess {
			var ok bool
			s, ok = sessIndex[c.Session]
			if !ok {
				s = int32(len(sessions))
				sessIndex[c.Session] = s
				sessions = append(sessions, c.Session)
			}
			lastSess, lastIdx = c.Session, s
		}
		var f uint8
		if c.Head {
			f |= fHead
		}
		if c.Tagged && !p.DropTagged {
			f |= fTagged
		}
		if rules&RuleWithin != 0 && now.Sub(c.Time) < within {
			f |= fWithin
		}
		flags[i] = f
		key := c.Time.Unix()
		if nanoKeys {
			key = c.Time.UnixNano()
		}
		entries[i] = entry{key: key, idx: int32(i), sess: s}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		ca, cb := &cands[a.idx], &cands[b.idx]
		if !nanoKeys {
			if na, nb := ca.Time.Nanosecond(), cb.Time.Nanosecond(); na != nb {
				return nb - na
			}
		}
		if c := bytes.Compare(ca.ID[:], cb.ID[:]); c != 0 {
			return c
		}
		if a.sess != b.sess {
			return strings.Compare(sessions[a.sess], sessions[b.sess])
		}
		return int(a.idx - b.idx)
	})

	// Per-session counters. The global order restricted to one session is
	// that session's newest-first order, so one pass serves all sessions.
	type state struct {
		n           int   // checkpoints seen
		days, weeks int   // distinct days and weeks seen
		lastDay     int64 // day number of the last day counted
		lastWeek    int64 // week number of the last week counted
		seenDay     bool
		seenWeek    bool
	}
	states := make([]state, len(sessions))

	var withinReason, lastReason Reason
	if rules&RuleWithin != 0 {
		withinReason = Reason("within " + FormatDuration(within))
	}
	if last > 0 {
		lastReason = Reason("last " + strconv.Itoa(last))
	}

	// One pass deciding every candidate; reasons go to one shared buffer,
	// spans[i] is entries[i]'s range in it (empty: dropped).
	type span struct{ lo, hi int }
	spans := make([]span, len(entries))
	var buf []Reason
	nKeep := 0
	for i, e := range entries {
		st := &states[e.sess]
		f := flags[e.idx]
		lo := len(buf)
		if f&fHead != 0 {
			buf = append(buf, ReasonHead)
		}
		if f&fTagged != 0 {
			buf = append(buf, ReasonTagged)
		}
		if f&fWithin != 0 {
			buf = append(buf, withinReason)
		}
		if st.n < last {
			buf = append(buf, lastReason)
		}
		st.n++
		if st.days < daily || st.weeks < weekly {
			sec := e.key
			if nanoKeys {
				sec = floorDiv(sec, 1e9)
			}
			day := floorDiv(sec, 86400)
			if st.days < daily && (!st.seenDay || day != st.lastDay) {
				st.seenDay, st.lastDay = true, day
				st.days++
				buf = append(buf, Reason("daily "+time.Unix(sec, 0).UTC().Format("2006-01-02")))
			}
			// 1970-01-01 (day 0) was a Thursday; ISO weeks start on Monday.
			week := floorDiv(day+3, 7)
			if st.weeks < weekly && (!st.seenWeek || week != st.lastWeek) {
				st.seenWeek, st.lastWeek = true, week
				st.weeks++
				y, w := time.Unix(sec, 0).UTC().ISOWeek()
				buf = append(buf, Reason(fmt.Sprintf("weekly %04d-W%02d", y, w)))
			}
		}
		spans[i] = span{lo, len(buf)}
		if len(buf) > lo {
			nKeep++
		}
	}

	// One backing array: keep is its front, drop its back.
	all := make([]Decision, len(entries))
	keep, drop = all[:nKeep:nKeep], all[nKeep:]
	k, d := 0, 0
	for i, e := range entries {
		sp := spans[i]
		if sp.hi > sp.lo {
			keep[k] = Decision{Candidate: cands[e.idx], Keep: true, Reasons: buf[sp.lo:sp.hi:sp.hi]}
			k++
		} else {
			drop[d] = Decision{Candidate: cands[e.idx]}
			d++
		}
	}
	if len(drop) == 0 {
		drop = nil
	}
	if len(keep) == 0 {
		keep = nil
	}
	return keep, drop
}

// Unix seconds strictly between these have UnixNano in range.
const (
	minNanoSec = math.MinInt64 / 1_000_000_000
	maxNanoSec = math.MaxInt64 / 1_000_000_000
)

// floorDiv returns a/b rounded towards negative infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
