package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the command line on store dir and returns the exit status,
// stdout and stderr.
func runCLI(t *testing.T, store string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append([]string{"--store", store}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRunCLI runs the command line and fails unless it exits 0; it returns
// stdout.
func mustRunCLI(t *testing.T, store string, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, store, args...)
	if code != 0 {
		t.Fatalf("ckptfs %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

func writeWorkFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

var fullIDLine = regexp.MustCompile(`^[0-9a-f]{64}`)

func TestMergeCLI(t *testing.T) {
	store, work := filepath.Join(t.TempDir(), "store"), t.TempDir()
	writeWorkFile(t, work, "a.txt", "1\n2\n3\n4\n5\n")
	mustRunCLI(t, store, "checkpoint", "--session", "s", work)
	mustRunCLI(t, store, "branch", "--session", "s", "feature")
	writeWorkFile(t, work, "a.txt", "1\n2 feature\n3\n4\n5 feature\n")
	mustRunCLI(t, store, "checkpoint", "--session", "s", "--branch", "feature", work)
	writeWorkFile(t, work, "a.txt", "1\n2 main\n3\n4\n5\n")
	mustRunCLI(t, store, "checkpoint", "--session", "s", work)

	// The default strategy fails, prints the conflicts and creates nothing.
	log := mustRunCLI(t, store, "log", "--session", "s")
	code, out, errOut := runCLI(t, store, "merge", "--session", "s", "feature")
	if code != 1 || out != "" || errOut != "ckptfs: conflict: 1 paths: a.txt\n" {
		t.Fatalf("fail: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if mustRunCLI(t, store, "log", "--session", "s") != log {
		t.Fatal("a failed merge changed the log")
	}

	// Recursive writes markers and lists the conflict.
	out = mustRunCLI(t, store, "merge", "--session", "s", "feature", "--into", "main", "--strategy", "recursive", "-m", "join")
	id := fullIDLine.FindString(out)
	if id == "" || out != id+" conflicts=1\nconflict: a.txt\n" {
		t.Fatalf("recursive: %q", out)
	}
	got := mustRunCLI(t, store, "show", "--session", "s", id, "a.txt")
	if want := "1\n<<<<<<< ours\n2 main\n=======\n2 feature\n>>>>>>> theirs\n3\n4\n5 feature\n"; got != want {
		t.Fatalf("merged a.txt = %q, want %q", got, want)
	}
	if show := mustRunCLI(t, store, "show", "--session", "s", id); !strings.Contains(show, `"strategy": "recursive"`) &&
		!strings.Contains(show, `"strategy":"recursive"`) {
		t.Fatalf("show lacks the merge metadata: %s", show)
	}

	// Merging again is up to date.
	if out := mustRunCLI(t, store, "merge", "--session", "s", "feature"); out != id+" conflicts=0 up-to-date\n" {
		t.Fatalf("again: %q", out)
	}

	// A branch behind main fast-forwards.
	mustRunCLI(t, store, "branch", "--session", "s", "late")
	writeWorkFile(t, work, "b.txt", "b\n")
	head := strings.TrimSpace(mustRunCLI(t, store, "checkpoint", "--session", "s", work))
	if out := mustRunCLI(t, store, "merge", "--session", "s", "main", "--into", "late"); out != head+" conflicts=0 fast-forward\n" {
		t.Fatalf("fast-forward: %q", out)
	}
}

func TestMergeCLIUsage(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"merge", "--session", "s"}, 2, "merge takes one SOURCE"},
		{[]string{"merge", "feature"}, 2, "merge needs --session"},
		{[]string{"merge", "--session", "s", "--bogus", "x"}, 2, "unknown flag"},
		{[]string{"merge", "--session", "s", "x", "--strategy", "best"}, 1, `merge strategy "best"`},
		{[]string{"merge", "--session", "nope", "x"}, 1, "not found"},
	} {
		code, out, errOut := runCLI(t, store, tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.err)
		}
	}
}
