package benchgen

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// CheckpointState reproduces the seed's checkpoint_state(files, messages).
//
// For each i < files it sets files.file_{i}.path = "src/file_{i}.py" and
// files.file_{i}.content = a mock Python module of about 383 bytes (a
// docstring line, an import, four small functions each returning a
// 20-character random string). The key "messages" holds a JSON list of
// that many Claude-style events of about 190 bytes each (see messagesJSON).
// The same seed always gives the same bytes.
//
// The seed's sizes, ≈60 KB for (100, 50) and ≈105 KB for (200, 10), are
// those of the state serialized as one JSON object (58.5 and 99.0 KB here);
// the values alone, as StateSize counts them, sum to 49 and 82 KB.
func CheckpointState(seed uint64, files, messages int) map[string][]byte {
	r, _ := newRand(seed, streamCheckpoint)
	s := make(map[string][]byte, 2*files+1)
	for i := range files {
		s[fileKey(i, "path")] = []byte(filePath(i))
		s[fileKey(i, "content")] = mockPython(r, i)
	}
	s["messages"] = messagesJSON(r, messages, files)
	return s
}

// fileKey returns "files.file_{i}.{field}".
func fileKey(i int, field string) string {
	return "files.file_" + strconv.Itoa(i) + "." + field
}

func filePath(i int) string { return "src/file_" + strconv.Itoa(i) + ".py" }

// mockPython returns the content of src/file_{i}.py, about 383 bytes.
func mockPython(r *rand.Rand, i int) []byte {
	n := strconv.Itoa(i)
	var b strings.Builder
	b.Grow(400)
	b.WriteString(`"""Module file_` + n + `: mock source generated for the checkpoint benchmark suite, not meant to be run."""` + "\n")
	b.WriteString("import logging\n")
	for f := range 4 {
		b.WriteString("\n\ndef function_" + n + "_" + strconv.Itoa(f) + "(value=None):\n")
		b.WriteString(`    return "` + randomString(r, 20) + `"` + "\n")
	}
	return []byte(b.String())
}

// epoch is the fixed time the generated events are stamped from.
var epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

var toolNames = [...]string{"write_file", "read_file", "bash"}

// messagesJSON returns a JSON list of count Claude-style events, written the
// way Python's json.dumps writes them (", " and ": " separators). The first
// and the last event are {type: message, role: assistant, content,
// timestamp}; the others are {type: tool_use, name, input: {path, content},
// timestamp} with name one of write_file, read_file, bash, a path
// src/file_{k}.py with k < files, and 50 random characters of content.
// Events are about 190 bytes each; timestamps step by one second from epoch.
func messagesJSON(r *rand.Rand, count, files int) []byte {
	b := make([]byte, 0, 2+192*count)
	b = append(b, '[')
	for i := range count {
		if i > 0 {
			b = append(b, ", "...)
		}
		ts := epoch.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000Z")
		if i == 0 || i == count-1 {
			text := "I have finished the requested change and checked the result; reference " + randomString(r, 20) + "."
			if i == 0 {
				text = "I will read the project first and then make the requested change; reference " + randomString(r, 20) + "."
			}
			b = append(b, `{"type": "message", "role": "assistant", "content": "`...)
			b = append(b, text...)
			b = append(b, `", "timestamp": "`...)
		} else {
			b = append(b, `{"type": "tool_use", "name": "`...)
			b = append(b, toolNames[r.IntN(len(toolNames))]...)
			b = append(b, `", "input": {"path": "`...)
			b = append(b, filePath(r.IntN(max(files, 1)))...)
			b = append(b, `", "content": "`...)
			b = append(b, randomString(r, 50)...)
			b = append(b, `"}, "timestamp": "`...)
		}
		b = append(b, ts...)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}
