package gc

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration units accepted by ParseDuration, largest first. A day is exactly
// 24 hours and a week exactly 7 days: retention works in UTC, where there is
// no daylight-saving time.
var durationUnits = [...]struct {
	name byte
	d    time.Duration
}{
	{'w', 7 * 24 * time.Hour},
	{'d', 24 * time.Hour},
	{'h', time.Hour},
	{'m', time.Minute},
	{'s', time.Second},
}

// ParseDuration parses a DUR argument such as "30d", "12h", "90m", "2w" or a
// combination such as "1d12h" or "1w2d3h4m5s".
//
// The syntax is one or more terms, each a run of decimal digits followed by
// one unit: w (week = 7d), d (day = 24h), h (hour), m (minute), s (second).
// Units must appear largest first and at most once each ("1d12h", not
// "12h1d" or "1h1h"), which keeps every value's spelling close to canonical
// and catches typos. The single exception is a bare "0", accepted as zero.
//
// Rejected, with an error starting "gc: ": the empty string, signs ("-1d",
// "+1d"), fractions ("1.5d"), spaces, unknown or mis-cased units ("30x",
// "30ms", "1D"), a number without unit ("30") and totals that overflow
// time.Duration (about 292 years).
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("gc: empty duration (want e.g. 30d, 12h, 1d12h)")
	}
	if s == "0" {
		return 0, nil
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("gc: duration %q: negative durations are not allowed", s)
	}
	var total time.Duration
	next := 0 // index into durationUnits of the largest unit still allowed
	for i := 0; i < len(s); {
		// Number.
		j := i
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("gc: duration %q: expected a number at %q", s, s[i:])
		}
		num := s[i:j]
		// Unit: the run of non-digits that follows.
		k := j
		for k < len(s) && (s[k] < '0' || s[k] > '9') {
			k++
		}
		unit := s[j:k]
		if unit == "" {
			return 0, fmt.Errorf("gc: duration %q: missing unit after %s (want w, d, h, m or s)", s, num)
		}
		if unit[0] == '.' {
			return 0, fmt.Errorf("gc: duration %q: fractions are not allowed; combine units instead, e.g. 1d12h", s)
		}
		u := -1
		if len(unit) == 1 {
			for x := range durationUnits {
				if durationUnits[x].name == unit[0] {
					u = x
					break
				}
			}
		}
		if u < 0 {
			return 0, fmt.Errorf("gc: duration %q: unknown unit %q (want w, d, h, m or s)", s, unit)
		}
		if u < next {
			return 0, fmt.Errorf("gc: duration %q: unit %s repeated or out of order (write units largest first: w, d, h, m, s)", s, unit)
		}
		next = u + 1
		n, err := strconv.ParseUint(num, 10, 63)
		if err != nil || n > uint64(math.MaxInt64/int64(durationUnits[u].d)) {
			return 0, fmt.Errorf("gc: duration %q: too large (maximum is about 292 years)", s)
		}
		d := time.Duration(n) * durationUnits[u].d
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("gc: duration %q: too large (maximum is about 292 years)", s)
		}
		total += d
		i = k
	}
	return total, nil
}

// FormatDuration formats d in the syntax of ParseDuration using days, hours,
// minutes and seconds, omitting zero terms: 30d, 12h, 1d12h, 1h30m, 0s.
// Weeks are never used (14 days is "14d").
//
// For every d >= 0 that is a whole number of seconds — in particular every
// value ParseDuration returns — ParseDuration(FormatDuration(d)) == d.
// Other values are still formatted readably but not in parseable form: a
// negative d gets a leading "-" and a sub-second remainder is written as
// fractional seconds ("1d0.5s").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u // also right for math.MinInt64
	}
	for _, unit := range durationUnits[1:] { // d, h, m, s
		n := u / uint64(unit.d)
		u -= n * uint64(unit.d)
		if unit.name == 's' && u != 0 {
			// Sub-second remainder: fractional seconds, trailing zeros trimmed.
			frac := strings.TrimRight(fmt.Sprintf("%09d", u), "0")
			fmt.Fprintf(&b, "%d.%ss", n, frac)
			break
		}
		if n != 0 {
			b.WriteString(strconv.FormatUint(n, 10))
			b.WriteByte(unit.name)
		}
	}
	return b.String()
}
