// Package benchgen generates the deterministic data that `ckptfs bench`
// feeds to the store: the fixtures of the Python benchmark ckptfs ports
// (the seed), as pinned in seed/WORKLOADS.md. It touches no store; every
// function is pure, safe for concurrent use, and gives the same bytes for
// the same arguments.
//
// A state is a map[string][]byte from keys to contents. Each key becomes one
// file at the checkpoint root: keys contain dots (files.file_17.content),
// never slashes, and are never split. StateSize is the sum of the lengths of
// the values. Sizes follow the seed: 1 KB = 1024 B, 1 MB = 1024 KB (KB, MB).
// Returned values may share backing arrays with each other and with a base
// state; callers replace values but never write into them.
//
// CheckpointState(seed, files, messages) reproduces checkpoint_state: for
// each file i, files.file_{i}.path = "src/file_{i}.py" and
// files.file_{i}.content = a mock Python module of about 383 B (a docstring
// line, an import, four small functions each returning a 20-character random
// string), plus "messages", a JSON list of Claude-style events of about
// 190 B each: the first and the last an assistant message, the others
// tool_use events (write_file, read_file or bash) whose input holds a path
// and 50 random characters. 100 files and 50 messages come to ≈60 KB and
// 200 files with 10 messages to ≈105 KB, measured like the seed as the
// state serialized to JSON; the values alone are ≈49 KB and ≈82 KB.
//
// LargeState(seed, n, shape) reproduces large_state: ceil(n / 4 KiB) files
// files.file_{i}.content (3, 25, 256, 1,280 and 2,560 for 10 KB, 100 KB,
// 1 MB, 5 MB and 10 MB), plus "messages" (20 events as above) and "meta"
// (generator, seed, n, file count, shape). The files share what messages
// and meta leave of n evenly, so each is 4 KiB less a small share (about
// 4,081 B at 1 MB, 2,126 B at 10 KB) and the total is exactly n. The Shape
// sets what the files hold: Text (the default) is pseudo-text of words from
// a fixed 256-token vocabulary, each file drawing on its own 64-token
// "topic", which compresses about 3:1 per file under zstd level 1 or 3 and
// flate; Random is uniform random bytes, which do not compress; Zeros is
// zero bytes, which compress to almost nothing. ParseShape reads the
// --shape flag ("text", "random", "zeros"). A 10 MB state takes well under
// 50 ms (BenchmarkLargeState10MB: about 18 ms as text, 5 ms otherwise).
//
// Incremental(base, run, pct) is the incremental workload's modified state:
// a copy of base (CheckpointState(seed, 100, 50)) with
// files.file_{j}.content = "Modified content {run}-{j}" for j < pct.
//
// MergeSides(base, overlap) returns the two sides of the merge workload
// over base = CheckpointState(seed, 200, 10): branch 1 sets files 0–99 to
// "Branch1 modification {i}", branch 2 sets files [100−overlap,
// 200−overlap) to "Branch2 modification {i}", so exactly overlap files
// (0, 10, 50 or 100) change on both sides.
//
// QueryItems(n) lists the query workload's n = 1,000 checkpoints: item i is
// in session query-session-{i%50} with tag tag-{i%10}, metadata
// branch=branch-{i%5}, state {index: "{i}", data: "test-{i}"} and age
// (n−i) minutes. Searching values for "test-5" matches exactly 111 of them
// (5, 50–59, 500–599).
//
// GCItems(seed, n) lists the gc workload's n = 1,000 checkpoints: item i is
// in session gc-session-{i%10} with state {data: "checkpoint-{i}"} and an
// age of a whole number of days drawn uniformly from 1–90, as the seed's
// random.randint(1, 90) did.
//
// # Determinism
//
// Randomness comes from math/rand/v2's PCG seeded with the caller's seed and
// a constant stream per generator, so CheckpointState, LargeState and
// GCItems given the same seed draw unrelated data, and output never depends
// on the Go version's global generator, the time or map iteration order.
// Changing the seed changes every random byte; changing the generators
// changes every benchmark's input, so keep them stable.
package benchgen
