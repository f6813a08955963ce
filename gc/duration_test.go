package gc

import (
	"math"
	"strings"
	"testing"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"0d", 0},
		{"30d", 30 * day},
		{"12h", 12 * time.Hour},
		{"90m", 90 * time.Minute},
		{"45s", 45 * time.Second},
		{"2w", 2 * week},
		{"1d12h", 36 * time.Hour},
		{"1w2d3h4m5s", week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"1h30m", 90 * time.Minute},
		{"1d0h", day},
		{"007d", 7 * day},
		{"36h", 36 * time.Hour}, // a term may exceed the next unit
		{"720h", 30 * day},
		// Largest values: MaxInt64 ns is 15250w 1d 23h 47m 16.854775807s.
		{"15250w1d23h47m16s", 15250*week + day + 23*time.Hour + 47*time.Minute + 16*time.Second},
		{"9223372036s", 9223372036 * time.Second},
		{"106751d", 106751 * day},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // substring of the error
	}{
		{"", "empty duration"},
		{"-1d", "negative"},
		{"-0", "negative"},
		{"+1d", "expected a number"},
		{"d", "expected a number"},
		{"30", "missing unit"},
		{"1d30", "missing unit"},
		{"00", "missing unit"},
		{"30x", `unknown unit "x"`},
		{"30ms", `unknown unit "ms"`},
		{"30us", `unknown unit "us"`},
		{"1D", `unknown unit "D"`},
		{"1H", `unknown unit "H"`},
		{"1d 12h", `unknown unit "d "`},
		{" 1d", "expected a number"},
		{"1d ", `unknown unit "d "`},
		{"1.5d", "fractions"},
		{"12h1d", "out of order"},
		{"1h1h", "repeated"},
		{"1s1m", "out of order"},
		{"1w1w", "repeated"},
		{"15251w", "too large"},
		{"9223372037s", "too large"},
		{"106752d", "too large"},
		{"15250w1d23h47m17s", "too large"},
		{"15250w2d", "too large"},
		{"99999999999999999999d", "too large"},
		{"18446744073709551616s", "too large"},
		{"1d\x00", "unknown unit"},
		{"1\u00b5s", "unknown unit"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err == nil {
			t.Errorf("ParseDuration(%q) = %v, nil; want error containing %q", tt.in, got, tt.wantErr)
			continue
		}
		if !strings.HasPrefix(err.Error(), "gc: ") || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseDuration(%q) error = %q; want prefix \"gc: \" and %q", tt.in, err, tt.wantErr)
		}
		if got != 0 {
			t.Errorf("ParseDuration(%q) = %v on error; want 0", tt.in, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{30 * day, "30d"},
		{12 * time.Hour, "12h"},
		{90 * time.Minute, "1h30m"},
		{36 * time.Hour, "1d12h"},
		{2 * week, "14d"},
		{day + time.Second, "1d1s"},
		{week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second, "9d3h4m5s"},
		{DefaultKeepWithin, "30d"},
		{math.MaxInt64, "106751d23h47m16.854775807s"},
		// Not parseable, but readable.
		{-36 * time.Hour, "-1d12h"},
		{math.MinInt64, "-106751d23h47m16.854775808s"},
		{500 * time.Millisecond, "0.5s"},
		{day + 1500*time.Millisecond, "1d1.5s"},
		{time.Nanosecond, "0.000000001s"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%d) = %q; want %q", int64(tt.in), got, tt.want)
		}
	}
}

// TestFormatParseRoundTrip checks ParseDuration(FormatDuration(d)) == d for
// whole seconds spread over the whole range.
func TestFormatParseRoundTrip(t *testing.T) {
	maxSec := int64(math.MaxInt64 / int64(time.Second))
	r := testRNG{1}
	for i := 0; i < 10000; i++ {
		x := r.next()
		var sec int64
		switch i % 4 {
		case 0:
			sec = int64(x % uint64(maxSec+1))
		case 1:
			sec = int64(x % (400 * 86400))
		case 2:
			sec = int64(x%1000) * 86400
		default:
			sec = int64(x % 100000)
		}
		d := time.Duration(sec) * time.Second
		s := FormatDuration(d)
		got, err := ParseDuration(s)
		if err != nil || got != d {
			t.Fatalf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", d, s, got, err)
		}
	}
}

// FuzzParseDuration checks that ParseDuration never panics, returns zero on
// error with a "gc: " error, and that what it accepts survives a
// FormatDuration round trip, FormatDuration being canonical.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "12h", "90m", "1d12h", "2w", "1w2d3h4m5s", "0", "0s",
		"", "-1d", "1.5d", "12h1d", "30ms", "15250w1d23h47m16s", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 || !strings.HasPrefix(err.Error(), "gc: ") {
				t.Fatalf("ParseDuration(%q) = %v, %q", s, d, err)
			}
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative or not whole seconds", s, d)
		}
		f1 := FormatDuration(d)
		d2, err := ParseDuration(f1)
		if err != nil || d2 != d {
			t.Fatalf("ParseDuration(%q) = %v; ParseDuration(FormatDuration = %q) = %v, %v", s, d, f1, d2, err)
		}
		if f2 := FormatDuration(d2); f2 != f1 {
			t.Fatalf("FormatDuration not canonical for %q: %q then %q", s, f1, f2)
		}
	})
}

// testRNG is splitmix64, a tiny deterministic generator for test data;
// unlike math/rand, its output is fixed here for good, so golden files do
// not depend on the Go version.
type testRNG struct{ state uint64 }

func (r *testRNG) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *testRNG) intn(n int) int { return int(r.next() % uint64(n)) }
