package benchgen

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// event is one element of a "messages" list.
type event struct {
	Type      string `json:"type"`
	Role      string `json:"role"`
	Content   string `json:"content"`
	Name      string `json:"name"`
	Timestamp string `json:"timestamp"`
	Input     *struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	} `json:"input"`
}

// checkMessages decodes a "messages" value and checks its layout.
func checkMessages(t *testing.T, raw []byte, count, files int) {
	t.Helper()
	var evs []event
	if err := json.Unmarshal(raw, &evs); err != nil {
		t.Fatalf("messages is not JSON: %v", err)
	}
	if len(evs) != count {
		t.Fatalf("messages has %d events, want %d", len(evs), count)
	}
	for i, e := range evs {
		if e.Timestamp == "" {
			t.Errorf("event %d: no timestamp", i)
		}
		if i == 0 || i == count-1 {
			if e.Type != "message" || e.Role != "assistant" || e.Content == "" || e.Input != nil {
				t.Errorf("event %d = %+v, want an assistant message", i, e)
			}
			continue
		}
		if e.Type != "tool_use" || e.Input == nil || len(e.Input.Content) != 50 {
			t.Fatalf("event %d = %+v, want a tool_use with 50 chars of content", i, e)
		}
		switch e.Name {
		case "write_file", "read_file", "bash":
		default:
			t.Errorf("event %d: tool name %q", i, e.Name)
		}
		var k int
		if _, err := fmt.Sscanf(e.Input.Path, "src/file_%d.py", &k); err != nil || k < 0 || k >= max(files, 1) {
			t.Errorf("event %d: path %q", i, e.Input.Path)
		}
	}
}

func TestCheckpointStateLayout(t *testing.T) {
	const files, messages = 100, 50
	s := CheckpointState(1, files, messages)
	if len(s) != 2*files+1 {
		t.Fatalf("%d keys, want %d", len(s), 2*files+1)
	}
	content := 0
	for i := range files {
		if got, want := string(s[fmt.Sprintf("files.file_%d.path", i)]), fmt.Sprintf("src/file_%d.py", i); got != want {
			t.Errorf("file %d path = %q, want %q", i, got, want)
		}
		c := string(s[fmt.Sprintf("files.file_%d.content", i)])
		content += len(c)
		if !strings.HasPrefix(c, `"""`) || strings.Count(c, "\nimport ") != 1 ||
			strings.Count(c, "\ndef ") != 4 || strings.Count(c, "return \"") != 4 {
			t.Errorf("file %d is not the mock module:\n%s", i, c)
		}
	}
	if avg := content / files; avg < 375 || avg > 391 {
		t.Errorf("mock files average %d B, want about 383", avg)
	}
	if avg := len(s["messages"]) / messages; avg < 180 || avg > 200 {
		t.Errorf("events average %d B, want about 190", avg)
	}
	checkMessages(t, s["messages"], messages, files)
	for k := range s {
		if strings.Contains(k, "/") {
			t.Errorf("key %q contains a slash", k)
		}
	}
}

func TestCheckpointStateEdges(t *testing.T) {
	s := CheckpointState(1, 0, 0)
	if len(s) != 1 || string(s["messages"]) != "[]" {
		t.Errorf("CheckpointState(0, 0) = %q", s)
	}
	checkMessages(t, CheckpointState(1, 0, 1)["messages"], 1, 0)
	checkMessages(t, CheckpointState(1, 3, 2)["messages"], 2, 3)
	checkMessages(t, CheckpointState(1, 10, 10)["messages"], 10, 10)
}

// jsonSize is the size of s serialized as one JSON object of strings, the
// way the seed stored a state.
func jsonSize(t *testing.T, s map[string][]byte) int {
	m := make(map[string]string, len(s))
	for k, v := range s {
		m[k] = string(v)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// The seed's ≈60 KB and ≈105 KB are sizes of the state as JSON: with files
// of ≈383 B and events of ≈190 B the values alone sum to ≈49 KB and ≈82 KB.
func TestCheckpointStateSize(t *testing.T) {
	for _, c := range []struct{ files, messages, want int }{
		{100, 50, 60 * KB},
		{200, 10, 105 * KB},
	} {
		s := CheckpointState(1, c.files, c.messages)
		js := jsonSize(t, s)
		t.Logf("CheckpointState(%d, %d): JSON %d B, StateSize %d B", c.files, c.messages, js, StateSize(s))
		if lo, hi := c.want*85/100, c.want*115/100; js < lo || js > hi {
			t.Errorf("CheckpointState(%d, %d) is %d B as JSON, want %d ± 15 %%", c.files, c.messages, js, c.want)
		}
	}
}

func TestCheckpointStateDeterministic(t *testing.T) {
	a, b := CheckpointState(7, 100, 50), CheckpointState(7, 100, 50)
	if !equalStates(a, b) {
		t.Error("same seed gave different states")
	}
	c := CheckpointState(8, 100, 50)
	if equalStates(a, c) {
		t.Error("different seeds gave the same state")
	}
	if string(a["files.file_0.content"]) == string(c["files.file_0.content"]) ||
		string(a["messages"]) == string(c["messages"]) {
		t.Error("different seeds gave the same file or messages")
	}
}

func equalStates(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, func(x, y []byte) bool { return string(x) == string(y) })
}
