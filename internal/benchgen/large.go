package benchgen

import (
	"strconv"
)

// Sizes as the seed counts them: 1 KB = 1024 B and 1 MB = 1024 KB, so
// "10 KB" is 10,240 bytes and "10 MB" is 10,485,760 bytes.
const (
	KB = 1024
	MB = 1024 * KB
)

// FileSize is the nominal size of a LargeState file, 4 KiB.
const FileSize = 4 * KB

// largeMessages is the number of events in LargeState's "messages".
const largeMessages = 20

// LargeState reproduces the seed's large_state(n): a state whose values sum
// to n bytes.
//
// It has ceil(n / 4 KiB) files (3, 25, 256, 1,280 and 2,560 for 10 KB,
// 100 KB, 1 MB, 5 MB and 10 MB), under keys files.file_{i}.content, plus
// "messages" (20 events, as in CheckpointState) and "meta" (a small JSON
// object naming the generator, seed, n, file count and shape). The bytes
// left after messages and meta are spread evenly over the files, so each
// file is 4 KiB less its share of that overhead (about 3.9 KB at 100 KB and
// above, about 2.1 KB at 10 KB) and StateSize is exactly n. When n is too
// small to hold messages and meta (below about 4 KB), the files are empty
// and the total exceeds n.
//
// shape sets the file contents: Text is seeded pseudo-text, Random seeded
// random bytes, Zeros zero bytes; messages and meta are text in every
// shape. The files share one backing array, each slice capped at its own
// length; callers must not write into the values. An unknown shape panics.
func LargeState(seed uint64, n int, shape Shape) map[string][]byte {
	if shape < Text || shape > Zeros {
		panic("benchgen: unknown " + shape.String())
	}
	r, src := newRand(seed, streamLarge)
	files := 0
	if n > 0 {
		files = (n + FileSize - 1) / FileSize
	}
	s := make(map[string][]byte, files+2)
	s["messages"] = messagesJSON(r, largeMessages, files)
	s["meta"] = largeMeta(seed, n, files, shape)
	if files == 0 {
		return s
	}
	body := max(n-len(s["messages"])-len(s["meta"]), 0)
	buf := make([]byte, body)
	per, extra := body/files, body%files
	var text *textGen
	if shape == Text {
		text = newTextGen(r, src)
	}
	off := 0
	for i := range files {
		size := per
		if i < extra {
			size++
		}
		f := buf[off : off+size : off+size]
		off += size
		switch shape {
		case Random:
			fillRandom(f, src)
		case Zeros:
			// make already zeroed it.
		default:
			text.fill(f)
		}
		s[fileKey(i, "content")] = f
	}
	return s
}

// largeMeta returns LargeState's "meta" value, in json.dumps style.
func largeMeta(seed uint64, n, files int, shape Shape) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"generator": "large_state", "seed": `...)
	b = strconv.AppendUint(b, seed, 10)
	b = append(b, `, "target_bytes": `...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `, "files": `...)
	b = strconv.AppendInt(b, int64(files), 10)
	b = append(b, `, "shape": "`...)
	b = append(b, shape.String()...)
	return append(b, `"}`...)
}

// StateSize returns the sum of the lengths of the values of s: the bytes
// its files hold once written out, keys not counted.
func StateSize(s map[string][]byte) int {
	n := 0
	for _, v := range s {
		n += len(v)
	}
	return n
}
