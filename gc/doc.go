// Package gc implements garbage collection for ckptfs. It holds the
// retention policy, which decides which checkpoints to keep (policy.go),
// and the collection proper (collect*.go): a Collector marks every object
// the kept checkpoints reach, then sweeps the rest inside Store.Update,
// keeping the closure of every id pinned by a checkpoint being written.
// docs/GC.md explains the algorithm and its costs.
//
// # Retention policy
//
// ApplyPolicy is a pure function from a list of candidate checkpoints, a
// Policy and the current time to a keep/drop decision for every candidate,
// with the reasons each kept checkpoint survives. It implements SPEC §8: a
// checkpoint survives gc if any rule keeps it, and every other checkpoint is
// deleted. The rules, in the order their reasons are listed:
//
//   - head: a branch head is always kept.
//   - tagged: with keep-tagged=yes (the default) a checkpoint with at least
//     one tag is kept. keep-tagged=no (Policy.DropTagged) turns this off; it
//     is a switch, not a value rule, and does not replace the 30-day default.
//   - within DUR (keep-within): a checkpoint is kept if now - Time < DUR,
//     strictly: a checkpoint exactly DUR old is not kept by this rule.
//     A checkpoint whose Time is after now has negative age and is always
//     kept by this rule when the rule is in effect, even keep-within=0; a
//     clock running ahead must not make gc delete the newest work.
//   - last N (keep-last): the newest N checkpoints of each session are kept.
//   - daily N (keep-daily): for each session, take the calendar days (in UTC)
//     on which the session has at least one checkpoint; for the newest N such
//     days, the newest checkpoint of that day is kept.
//   - weekly N (keep-weekly): the same with ISO 8601 weeks (Monday to Sunday,
//     in UTC, numbered as time.Time.ISOWeek does, so 2027-01-03, a Sunday, is
//     in 2026-W53 and 2027-01-04 starts 2027-W01).
//
// With none of keep-within, keep-last, keep-daily and keep-weekly given, the
// policy is keep-within=30d (DefaultKeepWithin): only branch heads, tagged
// checkpoints and checkpoints younger than 30 days are kept. Giving any of
// these rules replaces the 30-day default, including a rule given as zero:
// keep-within=0 keeps only heads, tagged checkpoints and future ones, and
// keep-last=0 only heads and tagged checkpoints.
//
// A Policy holds the values and which rules were given (see Policy). Its
// zero value is the default policy; keep-tagged=no is the field DropTagged,
// so that a Policy built field by field never loses tagged checkpoints by
// accident. Policy.Set applies one KEY=VALUE argument of gc, and
// Policy.Validate rejects negative values.
//
// Details that the rules above leave open are decided as follows.
//
//   - "Newest" means Time descending; equal times are ordered by ID
//     ascending (byte-wise, the same as the hex form), so "the newest of a
//     day" and "the newest N" are always well defined. This is also the order
//     of ApplyPolicy's results, with Session and then input position as
//     final tie-breakers.
//   - keep-last, keep-daily and keep-weekly work per session: checkpoints of
//     one session never push those of another out of their allowance, and
//     each session has its own newest N days and weeks. This follows restic,
//     which applies its policy per group of snapshots (host and paths).
//     gc session=S simply passes only the checkpoints of S.
//   - Days and weeks count every checkpoint of the session, whether or not
//     another rule already keeps it, and they are counted from the newest
//     checkpoint, not from now: a session idle for a year still keeps its
//     newest keep-daily days. Future checkpoints occupy days and weeks like
//     any other.
//   - Days and weeks use the UTC date of Time, whatever Time's location, so
//     the result does not depend on the machine's time zone. A day is
//     therefore not necessarily the user's local calendar day.
//   - Times are compared as wall-clock instants with nanosecond precision;
//     monotonic clock readings (as in time.Now()) are ignored.
//   - Candidates are independent: a duplicated ID is decided twice, and
//     the branch-head and tag information comes only from the Candidate.
//
// # Durations
//
// ParseDuration reads the DUR syntax of gc arguments: "30d", "12h", "90m",
// "2w", "1d12h", units w, d, h, m, s largest first. FormatDuration writes a
// duration back in that syntax ("30d", "1d12h").
package gc
