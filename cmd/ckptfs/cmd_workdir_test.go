package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// run calls Main in-process on the store and returns stdout, stderr and
// the exit status.
func runMain(t *testing.T, store, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"--store", store}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func mustMain(t *testing.T, store string, args ...string) string {
	t.Helper()
	out, errs, code := runMain(t, store, "", args...)
	if code != 0 {
		t.Fatalf("ckptfs %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCLICheckpointRestoreDiff(t *testing.T) {
	store, dir := t.TempDir(), t.TempDir()
	write(t, dir, map[string]string{"a": "a", "sub/b": "b", "x.log": "log", ".git/HEAD": "h", "line\nbreak": "n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runMain(t, store, "", "checkpoint", "--session", "s", "--exclude", "*.log", dir)
	if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("checkpoint: %d %q %q", code, out, errs)
	}
	first := strings.TrimSpace(out)
	if errs != "ckptfs: warning: fifo: special file skipped\n" {
		t.Errorf("stderr %q", errs)
	}
	out = mustMain(t, store, "checkpoint", "--session", "s", "--exclude", "*.log", "--if-changed", dir)
	if out != "unchanged "+first+"\n" {
		t.Errorf("--if-changed: %q", out)
	}
	write(t, dir, map[string]string{"a": "A", "new": "n"})
	os.Remove(filepath.Join(dir, "sub/b"))
	second := strings.TrimSpace(mustMain(t, store, "checkpoint", "--session", "s", "--exclude", "*.log", dir))

	if out := mustMain(t, store, "diff", first, second); out != "M a\nA new\nD sub/b\n" {
		t.Errorf("diff A B: %q", out)
	}
	write(t, dir, map[string]string{"line\nbreak": "changed"})
	if out := mustMain(t, store, "diff", first[:8], dir); out != "M a\nM \"line\\nbreak\"\nA new\nD sub/b\n" {
		t.Errorf("diff ID DIR: %q", out)
	}
	// Roll back: x.log and .git are excluded, so they stay, and so does the
	// fifo (a checkpoint never holds special files).
	if out := mustMain(t, store, "restore", "--session", "s", first, dir); out != "written=3 removed=1 unchanged=0\n" {
		t.Errorf("restore: %q", out)
	}
	if out := mustMain(t, store, "diff", first, dir); out != "" {
		t.Errorf("diff after restore: %q", out)
	}
	for _, p := range []string{"x.log", ".git/HEAD", "fifo"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("restore removed excluded %s", p)
		}
	}
	write(t, dir, map[string]string{"extra": "e"})
	if out := mustMain(t, store, "restore", "--no-delete", first, dir); out != "written=0 removed=0 unchanged=3\n" {
		t.Errorf("restore --no-delete: %q", out)
	}
	// Restore into a new directory, then it equals the checkpoint.
	fork := filepath.Join(t.TempDir(), "fork")
	if out := mustMain(t, store, "restore", first, fork); out != "written=4 removed=0 unchanged=0\n" {
		t.Errorf("restore into a new dir: %q", out)
	}
	if out := mustMain(t, store, "diff", first, fork); out != "" {
		t.Errorf("fork differs: %q", out)
	}
}

func TestCLIWorkdirErrors(t *testing.T) {
	store, dir := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "file")
	write(t, dir, map[string]string{"file": "f"})
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"checkpoint", "--session", "s", file}, 1, "not a directory"},
		{[]string{"checkpoint", "--session", "s", filepath.Join(dir, "missing")}, 1, "not found"},
		{[]string{"checkpoint", "--session", "s", "--exclude", "[", dir}, 1, "bad exclude pattern"},
		{[]string{"checkpoint", "--session", "s"}, 2, "one directory"},
		{[]string{"restore", "abcd"}, 2, "ID DIR"},
		{[]string{"restore", "abcd", dir}, 1, ""},
		{[]string{"diff", "abcd"}, 2, "diff takes"},
	} {
		_, errs, code := runMain(t, store, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("ckptfs %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.msg)
		}
	}
	if _, errs, code := runMain(t, store, "not json", "checkpoint", "--hook", dir); code != 2 || !strings.Contains(errs, "--hook") {
		t.Errorf("--hook with a bad payload: %d %q", code, errs)
	}
}

// TestCLIStoreInsideWorkdir: a store kept inside the directory it
// checkpoints is left out of the checkpoint.
func TestCLIStoreInsideWorkdir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a": "a"})
	store := filepath.Join(dir, ".ckptfs")
	id := strings.TrimSpace(mustMain(t, store, "checkpoint", "--session", "s", dir))
	if out := mustMain(t, store, "show", id, ""); out != "a\n" {
		t.Fatalf("root listing %q", out)
	}
}

// --- docs/agents.md: every recipe, run as written ---------------------

// fencedBlocks returns the fenced code blocks of a markdown file with
// their language.
func fencedBlocks(t *testing.T, path string) (langs, blocks []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```(\\w*)\n(.*?)^```")
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		langs = append(langs, m[1])
		blocks = append(blocks, m[2])
	}
	return langs, blocks
}

type recipes struct {
	hooks   map[string][]hookMatcher // Claude Code settings
	payload map[string]any           // the sample payload
	sh      map[string]string        // "# recipe: NAME" blocks
}

type hookMatcher struct {
	Matcher string `json:"matcher"`
	Hooks   []struct {
		Type    string `json:"type"`
		Command string `json:"command"`
	} `json:"hooks"`
}

func loadRecipes(t *testing.T) recipes {
	langs, blocks := fencedBlocks(t, "../../docs/agents.md")
	r := recipes{sh: map[string]string{}}
	for i, b := range blocks {
		switch {
		case langs[i] == "json" && strings.Contains(b, `"hooks"`):
			var settings struct {
				Hooks map[string][]hookMatcher `json:"hooks"`
			}
			if err := json.Unmarshal([]byte(b), &settings); err != nil {
				t.Fatalf("settings block: %v", err)
			}
			r.hooks = settings.Hooks
		case langs[i] == "json":
			if err := json.Unmarshal([]byte(b), &r.payload); err != nil {
				t.Fatalf("payload block: %v", err)
			}
		case langs[i] == "sh" && strings.HasPrefix(b, "# recipe: "):
			name, _, _ := strings.Cut(strings.TrimPrefix(b, "# recipe: "), "\n")
			r.sh[name] = b
		}
	}
	if len(r.hooks) != 3 || r.payload == nil || len(r.sh) != 4 {
		t.Fatalf("docs/agents.md: found %d hook events, payload %v, shell recipes %v", len(r.hooks), r.payload != nil, len(r.sh))
	}
	return r
}

// agentEnv is a project directory and a store for running recipes.
type agentEnv struct {
	t              *testing.T
	project, store string
}

func (e *agentEnv) sh(script, stdin string) (string, error) {
	e.t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = e.project
	cmd.Env = append(os.Environ(), "CKPTFS_STORE="+e.store, "CLAUDE_PROJECT_DIR="+e.project, "PWD="+e.project)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if errb.Len() > 0 {
		e.t.Logf("stderr of %q: %s", script, errb.String())
	}
	return out.String(), err
}

// hook runs the commands that Claude Code would run for event (and
// tool), feeding them the payload.
func (e *agentEnv) hook(r recipes, event, tool string) int {
	e.t.Helper()
	p := map[string]any{}
	for k, v := range r.payload {
		p[k] = v
	}
	p["hook_event_name"], p["cwd"] = event, e.project
	if tool == "" {
		delete(p, "tool_name")
		delete(p, "tool_input")
		delete(p, "tool_response")
	} else {
		p["tool_name"] = tool
	}
	if event == "UserPromptSubmit" {
		p["prompt"] = "refactor a.go"
	}
	payload, _ := json.Marshal(p)
	ran := 0
	for _, m := range r.hooks[event] {
		if m.Matcher != "" && !regexp.MustCompile("^(?:"+m.Matcher+")$").MatchString(tool) {
			continue
		}
		for _, h := range m.Hooks {
			if _, err := e.sh(h.Command, string(payload)); err != nil {
				e.t.Fatalf("%s hook %q: %v", event, h.Command, err)
			}
			ran++
		}
	}
	return ran
}

func TestAgentRecipes(t *testing.T) {
	if _, err := exec.LookPath("ckptfs"); err != nil {
		t.Skip("ckptfs is not on PATH (testscript.Main puts it there)")
	}
	r := loadRecipes(t)
	e := &agentEnv{t: t, project: t.TempDir(), store: t.TempDir()}
	write(t, e.project, map[string]string{"a.go": "package a\n", ".git/HEAD": "ref: main\n"})

	// One Claude Code turn: prompt, a Write, a Read (no hook), a Bash
	// that changes nothing, the end of the turn.
	if e.hook(r, "UserPromptSubmit", "") != 1 {
		t.Fatal("no UserPromptSubmit hook")
	}
	write(t, e.project, map[string]string{"a.go": "package a\n\nfunc A() {}\n", "b.go": "package a\n"})
	if e.hook(r, "PostToolUse", "Write") != 1 || e.hook(r, "PostToolUse", "Read") != 0 {
		t.Fatal("PostToolUse matcher")
	}
	e.hook(r, "PostToolUse", "Bash")
	e.hook(r, "Stop", "")
	log := mustMain(t, e.store, "log", "--session", "myproject")
	if !regexp.MustCompile(`^[0-9a-f]{12} \S+ after Write\n[0-9a-f]{12} \S+ turn start\n$`).MatchString(log) {
		t.Fatalf("log after one turn:\n%s", log)
	}
	show := mustMain(t, e.store, "show", strings.Fields(log)[0])
	for _, want := range []string{`"tool": "Write"`, `"event": "PostToolUse"`, `"agent_session": "8b6c2e4a-`} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %s:\n%s", want, show)
		}
	}

	// The questions, then the rollback to before the turn.
	out, err := e.sh(r.sh["questions"], "")
	if err != nil || !strings.Contains(out, "M a.go\nA b.go\n") {
		t.Fatalf("questions recipe: %v\n%s", err, out)
	}
	write(t, e.project, map[string]string{".git/HEAD": "ref: other\n"})
	out, err = e.sh(r.sh["rollback"], "")
	if err != nil || out != "written=1 removed=1 unchanged=0\n" {
		t.Fatalf("rollback recipe: %v %q", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(e.project, "a.go")); string(b) != "package a\n" {
		t.Errorf("a.go after rollback: %q", b)
	}
	if _, err := os.Stat(filepath.Join(e.project, "b.go")); err == nil {
		t.Error("b.go survived the rollback")
	}
	if b, _ := os.ReadFile(filepath.Join(e.project, ".git/HEAD")); string(b) != "ref: other\n" {
		t.Errorf(".git was rolled back: %q", b)
	}
	if out, _ := e.sh(r.sh["rollback"], ""); out != "written=0 removed=0 unchanged=1\n" {
		t.Errorf("second rollback: %q", out)
	}

	// The shell loop, with a two-turn agent.
	agent := `n=0
agent_turn() { n=$((n+1)); [ $n -le 2 ] || return 1; echo "turn $n" > "f$n.txt"; TOOL=write; }
`
	if _, err := e.sh(agent+r.sh["shell-loop"], ""); err != nil {
		t.Fatalf("shell loop: %v", err)
	}
	log = mustMain(t, e.store, "log", "--session", "myagent")
	if got := regexp.MustCompile(`(?m)^\S+ \S+ `).ReplaceAllString(log, ""); got != "turn start\nturn end\nturn start\nturn end\nturn start\n" {
		t.Fatalf("shell loop log:\n%s", log)
	}

	// A server keeps the store open; the hooks are forwarded to it. (The
	// recipe waits 30 minutes before it exits on its own; here 1 s.)
	serve := strings.Replace(r.sh["serve"], "--idle-exit 30m", "--idle-exit 1s", 1)
	if serve == r.sh["serve"] {
		t.Fatalf("serve recipe without --idle-exit 30m:\n%s", serve)
	}
	if _, err := e.sh(serve, ""); err != nil {
		t.Fatalf("serve recipe: %v", err)
	}
	sock := filepath.Join(e.store, socketName)
	if !waitFor(func() bool { return controlAnswers(e.store) }) {
		t.Fatal("the server does not answer")
	}
	write(t, e.project, map[string]string{"c.go": "package a\n"})
	e.hook(r, "PostToolUse", "Write")
	if !waitFor(func() bool { _, err := os.Stat(sock); return os.IsNotExist(err) }) {
		t.Fatal("the server did not exit after --idle-exit")
	}
	if log := mustMain(t, e.store, "log", "--session", "myproject", "--limit", "1"); !strings.Contains(log, "after Write") {
		t.Fatalf("the forwarded hook made no checkpoint:\n%s", log)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// TestCLIUnreadableFiles: files and directories that cannot be read are
// left out with a warning; the checkpoint succeeds. Root reads everything,
// so as root the command runs as nobody.
func TestCLIUnreadableFiles(t *testing.T) {
	base, err := os.MkdirTemp("", "ckptfs-perm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	dir, store, bin := filepath.Join(base, "work"), filepath.Join(base, "store"), filepath.Join(base, "bin")
	write(t, dir, map[string]string{"ok": "ok", "secret": "s", "locked/inner": "i", "sub/ok": "o", "sub/secret": "s", "sub/locked/inner": "i"})
	for _, p := range []string{"secret", "locked", "sub/secret", "sub/locked"} {
		os.Chmod(filepath.Join(dir, p), 0)
	}
	defer os.Chmod(filepath.Join(dir, "locked"), 0o755)
	defer os.Chmod(filepath.Join(dir, "sub/locked"), 0o755)
	os.MkdirAll(store, 0o777)
	os.Chmod(store, 0o777)
	cmd := exec.Command("ckptfs", "--store", store, "checkpoint", "--session", "s", dir)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// A copy of this binary that nobody may run, named ckptfs.
		os.MkdirAll(bin, 0o755)
		self, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, "ckptfs"), self, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd.Path = filepath.Join(bin, "ckptfs")
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	path := cmd.Path
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("checkpoint with unreadable files: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"ckptfs: warning: locked: permission denied\n", "ckptfs: warning: secret: permission denied\n"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	id := strings.TrimSpace(out.String())
	if got := mustMain(t, store, "show", id, ""); got != "ok\nsub/\n" {
		t.Errorf("checkpoint holds:\n%s", got)
	}
	if got := mustMain(t, store, "show", id, "sub"); got != "ok\n" {
		t.Errorf("checkpoint holds in sub:\n%s", got)
	}
	// Made readable (chmod changes the files' ctime, not their
	// directory's): the next checkpoint must pick them up, even though
	// sub's names did not change.
	for _, p := range []string{"secret", "sub/secret"} {
		os.Chmod(filepath.Join(dir, p), 0o644)
	}
	for _, p := range []string{"locked", "sub/locked"} {
		os.Chmod(filepath.Join(dir, p), 0o755)
	}
	cmd = exec.Command("ckptfs", "--store", store, "checkpoint", "--session", "s", dir)
	cmd.Path = path
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out.Reset()
	errb.Reset()
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("second checkpoint: %v\n%s", err, errb.String())
	}
	id = strings.TrimSpace(out.String())
	if got := mustMain(t, store, "show", id, "sub"); got != "locked/\nok\nsecret\n" {
		t.Errorf("second checkpoint holds in sub:\n%s", got)
	}
	if got := mustMain(t, store, "show", id, "sub/locked/inner"); got != "i" {
		t.Errorf("sub/locked/inner = %q", got)
	}
}

// TestCLIRelativeDir: the CLI makes a relative directory absolute against
// its working directory.
func TestCLIRelativeDir(t *testing.T) {
	if _, err := exec.LookPath("ckptfs"); err != nil {
		t.Skip("ckptfs is not on PATH")
	}
	e := &agentEnv{t: t, project: t.TempDir(), store: t.TempDir()}
	write(t, e.project, map[string]string{"sub/a": "a"})
	out, err := e.sh(`cd sub && ckptfs checkpoint --session s . && ckptfs diff "$(ckptfs log --session s | cut -d' ' -f1)" .`, "")
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("relative checkpoint: %v %q", err, out)
	}
}
