package benchgen

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

var largeSizes = []struct {
	name  string
	n     int
	files int
}{
	{"10KB", 10 * KB, 3},
	{"100KB", 100 * KB, 25},
	{"1MB", MB, 256},
	{"5MB", 5 * MB, 1280},
	{"10MB", 10 * MB, 2560},
}

func TestLargeStateSizes(t *testing.T) {
	for _, shape := range []Shape{Text, Random, Zeros} {
		for _, c := range largeSizes {
			t.Run(shape.String()+"/"+c.name, func(t *testing.T) {
				s := LargeState(1, c.n, shape)
				if got := StateSize(s); got < c.n*99/100 || got > c.n*101/100 {
					t.Errorf("StateSize = %d, want %d ± 1 %%", got, c.n)
				}
				if len(s) != c.files+2 {
					t.Errorf("%d keys, want %d files + messages + meta", len(s), c.files)
				}
				for i := range c.files {
					f, ok := s[fmt.Sprintf("files.file_%d.content", i)]
					if !ok {
						t.Fatalf("no file %d", i)
					}
					if len(f) < FileSize/2 || len(f) > FileSize {
						t.Errorf("file %d is %d B, want at most 4 KiB", i, len(f))
					}
					if cap(f) != len(f) {
						t.Errorf("file %d: cap %d > len %d", i, cap(f), len(f))
					}
				}
				checkMessages(t, s["messages"], 20, c.files)
				var meta struct {
					Generator string `json:"generator"`
					Target    int    `json:"target_bytes"`
					Files     int    `json:"files"`
					Shape     string `json:"shape"`
				}
				if err := json.Unmarshal(s["meta"], &meta); err != nil {
					t.Fatalf("meta: %v", err)
				}
				if meta.Target != c.n || meta.Files != c.files || meta.Shape != shape.String() {
					t.Errorf("meta = %s", s["meta"])
				}
			})
		}
	}
}

func TestLargeStateUnknownShape(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("LargeState with Shape(9) did not panic")
		}
	}()
	LargeState(1, 10*KB, Shape(9))
}

func TestLargeStateTiny(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 100, 3000} {
		s := LargeState(1, n, Text)
		if _, ok := s["meta"]; !ok {
			t.Errorf("n=%d: no meta", n)
		}
		for k, v := range s {
			if k != "meta" && k != "messages" && len(v) != 0 {
				t.Errorf("n=%d: %s has %d B, want empty", n, k, len(v))
			}
		}
	}
	for _, c := range []struct{ n, keys int }{{4000, 3}, {8 * KB, 4}, {8*KB + 1, 5}} {
		if s := LargeState(1, c.n, Text); StateSize(s) != c.n || len(s) != c.keys {
			t.Errorf("n=%d: size %d, %d keys; want %d keys", c.n, StateSize(s), len(s), c.keys)
		}
	}
}

// deflate returns the size of b compressed by flate at the default level.
func deflate(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Len()
}

// fileRatio compresses each file of s on its own, as a store compresses each
// blob, and returns raw ÷ compressed over all files.
func fileRatio(t *testing.T, s map[string][]byte) float64 {
	raw, packed := 0, 0
	for k, v := range s {
		if k == "messages" || k == "meta" {
			continue
		}
		raw += len(v)
		packed += deflate(t, v)
	}
	return float64(raw) / float64(packed)
}

func TestLargeStateCompression(t *testing.T) {
	text := fileRatio(t, LargeState(1, MB, Text))
	random := fileRatio(t, LargeState(1, MB, Random))
	zeros := fileRatio(t, LargeState(1, MB, Zeros))
	t.Logf("flate, per file: text %.2f:1, random %.3f:1, zeros %.0f:1", text, random, zeros)
	if text < 2 || text > 5 {
		t.Errorf("text compresses %.2f:1, want about 3:1 (at least 2:1)", text)
	}
	if random > 1 {
		t.Errorf("random compresses %.3f:1, want none", random)
	}
	if zeros < 50 {
		t.Errorf("zeros compress only %.0f:1", zeros)
	}
	all := LargeState(1, MB, Random)
	var b []byte
	for _, v := range all {
		b = append(b, v...)
	}
	if r := float64(len(b)) / float64(deflate(t, b)); r > 1.01 {
		t.Errorf("random state compresses %.3f:1 as a whole", r)
	}
}

func TestLargeStateDeterministic(t *testing.T) {
	for _, shape := range []Shape{Text, Random, Zeros} {
		a, b := LargeState(3, 100*KB, shape), LargeState(3, 100*KB, shape)
		if !equalStates(a, b) {
			t.Errorf("%v: same seed gave different states", shape)
		}
		if equalStates(a, LargeState(4, 100*KB, shape)) {
			t.Errorf("%v: different seeds gave the same state", shape)
		}
	}
	a, c := LargeState(3, 100*KB, Text), LargeState(4, 100*KB, Text)
	if bytes.Equal(a["files.file_0.content"], c["files.file_0.content"]) {
		t.Error("text: different seeds gave the same file")
	}
	if bytes.Equal(a["files.file_0.content"], a["files.file_1.content"]) {
		t.Error("text: two files are equal")
	}
}

func TestLargeStateSpeed(t *testing.T) {
	if testing.Short() || raceEnabled || testing.CoverMode() != "" {
		t.Skip("timing check skipped under -short, -race or -cover")
	}
	for _, shape := range []Shape{Text, Random, Zeros} {
		best := time.Hour
		for range 5 {
			start := time.Now()
			LargeState(1, 10*MB, shape)
			best = min(best, time.Since(start))
		}
		t.Logf("LargeState(10 MB, %v): %v", shape, best)
		if best > 50*time.Millisecond {
			t.Errorf("LargeState(10 MB, %v) took %v, want < 50 ms", shape, best)
		}
	}
}
