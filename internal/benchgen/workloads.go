package benchgen

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Incremental returns a copy of base in which files.file_{j}.content is
// "Modified content {run}-{j}" for every j < pct: pct percent of the
// 100 files of the incremental workload's base, CheckpointState(seed, 100, 50).
// The copy shares the unchanged values with base.
func Incremental(base map[string][]byte, run, pct int) map[string][]byte {
	s := maps.Clone(base)
	for j := range pct {
		s[fileKey(j, "content")] = []byte("Modified content " + strconv.Itoa(run) + "-" + strconv.Itoa(j))
	}
	return s
}

// MergeSides returns the two sides of the merge workload, each a copy of
// base (CheckpointState(seed, 200, 10)) sharing its unchanged values:
// b1 sets files.file_{i}.content = "Branch1 modification {i}" for
// i in [0, 100), b2 sets "Branch2 modification {i}" for
// i in [100-overlap, 200-overlap), so exactly overlap files change on both
// sides. It panics unless 0 <= overlap <= 100.
func MergeSides(base map[string][]byte, overlap int) (b1, b2 map[string][]byte) {
	if overlap < 0 || overlap > 100 {
		panic(fmt.Sprintf("benchgen: merge overlap %d outside [0, 100]", overlap))
	}
	b1, b2 = maps.Clone(base), maps.Clone(base)
	for i := range 100 {
		b1[fileKey(i, "content")] = []byte("Branch1 modification " + strconv.Itoa(i))
	}
	for i := 100 - overlap; i < 200-overlap; i++ {
		b2[fileKey(i, "content")] = []byte("Branch2 modification " + strconv.Itoa(i))
	}
	return b1, b2
}

// QueryItem is one checkpoint of the query workload.
type QueryItem struct {
	Session string            // query-session-{i%50}
	Tag     string            // tag-{i%10}
	Branch  string            // metadata branch=branch-{i%5}; a meta value, not a ckptfs branch
	State   map[string][]byte // "index" = "{i}", "data" = "test-{i}"
	Age     time.Duration     // (n-i) minutes: item n-1 is the newest
}

// QueryItems returns the n checkpoints of the query workload (n = 1,000 in
// the seed), oldest first. Searching their values for "test-5" matches 111
// of 1,000: items 5, 50–59 and 500–599.
func QueryItems(n int) []QueryItem {
	items := make([]QueryItem, n)
	for i := range items {
		items[i] = QueryItem{
			Session: "query-session-" + strconv.Itoa(i%50),
			Tag:     "tag-" + strconv.Itoa(i%10),
			Branch:  "branch-" + strconv.Itoa(i%5),
			State: map[string][]byte{
				"index": []byte(strconv.Itoa(i)),
				"data":  []byte("test-" + strconv.Itoa(i)),
			},
			Age: time.Duration(n-i) * time.Minute,
		}
	}
	return items
}

// GCItem is one checkpoint of the garbage-collection workload.
type GCItem struct {
	Session string            // gc-session-{i%10}
	State   map[string][]byte // "data" = "checkpoint-{i}"
	Age     time.Duration     // a whole number of days, uniform in 1–90
}

// GCItems returns the n checkpoints of the gc workload (n = 1,000 in the
// seed). Ages are whole days drawn uniformly from 1–90 by a seeded RNG, as
// the seed's random.randint(1, 90) did.
func GCItems(seed uint64, n int) []GCItem {
	r, _ := newRand(seed, streamGC)
	items := make([]GCItem, n)
	for i := range items {
		items[i] = GCItem{
			Session: "gc-session-" + strconv.Itoa(i%10),
			State:   map[string][]byte{"data": []byte("checkpoint-" + strconv.Itoa(i))},
			Age:     time.Duration(1+r.IntN(90)) * 24 * time.Hour,
		}
	}
	return items
}
