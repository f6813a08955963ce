package integration

import (
	"encoding/json"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestConcurrentWriters: 8 processes write checkpoint commands at once,
// to one branch and to their own; every command succeeds and main's
// history is one linear chain.
func TestConcurrentWriters(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	sctl := m.path("sessions/s/ctl")
	const writers, rounds = 8, 3
	var wg sync.WaitGroup
	errs := make(chan string, writers*rounds*2)
	for w := range writers {
		src := testtree.New(t, map[string]string{"w": fmt.Sprint(w)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				os.WriteFile(filepath.Join(src, "r"), []byte(fmt.Sprint(r)), 0o644)
				script := fmt.Sprintf(`exec 3<>%[1]s
echo "checkpoint from=%[2]s message=w%[3]d-%[4]d" >&3 && read a <&3 && echo "$a"
echo "checkpoint from=%[2]s branch=b%[3]d" >&3 && read b <&3 && echo "$b"`, sctl, src, w, r)
				out, err := exec.Command("/bin/bash", "-c", script).CombinedOutput()
				if err != nil || strings.Count(string(out), "ok ") != 2 {
					errs <- fmt.Sprintf("writer %d round %d: %v %q", w, r, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	logb, _ := os.ReadFile(m.path("sessions/s/branches/main/log"))
	if n := strings.Count(string(logb), "\n"); n != writers*rounds {
		t.Fatalf("main has %d checkpoints, want %d", n, writers*rounds)
	}
	// Linear: following first parents from HEAD visits all of them.
	head, _ := os.Readlink(m.path("sessions/s/branches/main/HEAD"))
	seen := 0
	for id := head; id != ""; seen++ {
		var info struct{ Parents []string }
		b, err := os.ReadFile(m.path("sessions/s/checkpoints", id+".json"))
		if err != nil || json.Unmarshal(b, &info) != nil {
			t.Fatalf("%s.json: %v", id, err)
		}
		id = ""
		if len(info.Parents) > 0 {
			id = info.Parents[0]
		}
	}
	if seen != writers*rounds {
		t.Errorf("main's chain has %d checkpoints", seen)
	}
	if got := listNames(t, m.path("sessions/s/branches")); len(got) != writers+1 {
		t.Errorf("branches = %v", got)
	}
}

// TestManyOpens: many handles of one ctl at once, each reading exactly
// its own results.
func TestManyOpens(t *testing.T) {
	m := startMount(t, newStore(t))
	mustCtl(t, m.path("ctl"), "session s")
	id := checkpoint(t, m, "s", testtree.New(t, map[string]string{"f": "x"}))
	sctl := m.path("sessions/s/ctl")
	var wg sync.WaitGroup
	const n = 64
	results := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.OpenFile(sctl, os.O_RDWR, 0)
			if err != nil {
				results[i] = err.Error()
				return
			}
			defer f.Close()
			line := fmt.Sprintf("tag %s t%d\n", id[:8], i)
			if i%8 == 7 {
				line = fmt.Sprintf("tag %s bad/%d\n", id[:8], i)
			}
			f.Write([]byte(line))
			buf := make([]byte, 256)
			k, _ := f.Read(buf)
			results[i] = string(buf[:k])
		}()
	}
	wg.Wait()
	for i, r := range results {
		want := "ok\n"
		if i%8 == 7 {
			want = "error: invalid name"
		}
		if !strings.HasPrefix(r, want) {
			t.Errorf("handle %d read %q, want %q…", i, r, want)
		}
	}
	if got := listNames(t, m.path("sessions/s/tags")); len(got) != n-n/8 {
		t.Errorf("%d tags", len(got))
	}
}

// TestRemountKeepsInodes: st_ino of every kind of node is the same after
// the store is mounted again.
func TestRemountKeepsInodes(t *testing.T) {
	store := newStore(t)
	m := startMount(t, store)
	mustCtl(t, m.path("ctl"), "session s")
	id := checkpoint(t, m, "s", testtree.New(t, map[string]string{"a/b/c": "x", "l": "->a", "e": ""}), "tag=t")
	paths := []string{"ctl", "sessions/s", "sessions/s/ctl", "sessions/s/branches/main", "sessions/s/branches/main/log",
		"sessions/s/branches/main/HEAD", "sessions/s/checkpoints/" + id[:12], "sessions/s/checkpoints/" + id[:12] + ".json",
		"sessions/s/checkpoints/" + id[:12] + "/a/b/c", "sessions/s/checkpoints/" + id[:12] + "/l",
		"sessions/s/checkpoints/" + id[:12] + "/e", "sessions/s/branches/main/" + id + "/a/b",
		"sessions/s/tags/t/" + id[:12]}
	inos := func(m *mount) []uint64 {
		var out []uint64
		for _, p := range paths {
			var st syscall.Stat_t
			if err := syscall.Lstat(m.path(p), &st); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			out = append(out, st.Ino)
		}
		return out
	}
	first := inos(m)
	m.stop()
	m2 := startMountAt(t, store, m.dir)
	second := inos(m2)
	seen := map[uint64]string{}
	for i, p := range paths {
		if first[i] != second[i] {
			t.Errorf("%s: ino %d then %d", p, first[i], second[i])
		}
		if q, dup := seen[first[i]]; dup && !strings.HasSuffix(p, "/a/b") {
			t.Errorf("%s and %s share ino %d", p, q, first[i])
		}
		seen[first[i]] = p
	}
	// The same path in two views has the same number.
	var a, b syscall.Stat_t
	syscall.Stat(m2.path("sessions/s/checkpoints", id[:12], "a/b"), &a)
	syscall.Stat(m2.path("sessions/s/branches/main", id[:6], "a/b"), &b)
	if a.Ino != b.Ino {
		t.Errorf("views: %d vs %d", a.Ino, b.Ino)
	}
}

// TestCLIWhileMounted: the other commands go through the mount's control
// socket.
func TestCLIWhileMounted(t *testing.T) {
	m := startMount(t, newStore(t))
	src := testtree.New(t, map[string]string{"f": "content"})
	out, stderr, err := cli(m.store, "checkpoint", "--session", "s", "--message", "via cli", src)
	if err != nil {
		t.Fatalf("checkpoint: %v %s", err, stderr)
	}
	id := strings.TrimSpace(out)
	if len(id) != 64 {
		t.Fatalf("checkpoint printed %q", out)
	}
	out, stderr, err = cli(m.store, "log", "--session", "s")
	if err != nil || !strings.HasPrefix(out, id[:12]) || !strings.Contains(out, "via cli") {
		t.Fatalf("log: %v %q %s", err, out, stderr)
	}
	out, stderr, err = cli(m.store, "show", id[:8])
	if err != nil || !strings.Contains(out, `"message": "via cli"`) {
		t.Fatalf("show: %v %q %s", err, out, stderr)
	}
	out, _, err = cli(m.store, "show", id[:8], "f")
	if err != nil || out != "content" {
		t.Fatalf("show file: %v %q", err, out)
	}
	if b, _ := os.ReadFile(m.path("sessions/s/checkpoints", id[:12], "f")); string(b) != "content" {
		t.Fatalf("through the mount: %q", b)
	}
	// A second mount of the same store is refused.
	cmd := exec.Command(ckptfsBin, "--store", m.store, "mount", t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("second mount: %v %s", err, out)
	}
}

// TestSignals: SIGINT unmounts; a busy mount is detached lazily; a mount
// left by a killed server is cleaned at the next start.
func TestSignals(t *testing.T) {
	store := newStore(t)
	m := startMount(t, store)
	m.signal(syscall.SIGINT)
	m.stop() // checks exit status 0 and that nothing is mounted

	// Busy: a process with its working directory inside.
	m = startMountAt(t, store, m.dir)
	busy := exec.Command("/bin/sleep", "30")
	busy.Dir = m.path("sessions")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	defer busy.Process.Kill()
	start := time.Now()
	m.stop()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("busy unmount took %v", d)
	}
	busy.Process.Kill()
	busy.Wait()

	// Killed: the mount point is left "transport endpoint is not
	// connected"; the next mount cleans it.
	m = startMountAt(t, store, m.dir)
	// go-fuse opens a file in the new mount when it starts (its poll
	// hack); a server killed with that file open hangs in its own FLUSH.
	time.Sleep(300 * time.Millisecond)
	m.cmd.Process.Kill()
	<-m.exited
	m.once.Do(func() {}) // it is dead; do not check its exit status
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(m.dir, &sfs); errnoOf(err) != syscall.ENOTCONN {
		t.Fatalf("after kill: %v, want ENOTCONN", err)
	}
	m2 := startMountAt(t, store, m.dir)
	if _, err := os.Stat(m2.path("stats.json")); err != nil {
		t.Fatalf("after a stale mount: %v", err)
	}
	m2.stop()
	if isMounted(m.dir) {
		t.Fatal("still mounted")
	}
}

// TestAllowOther: with --allow-other, from= is checked against the
// calling user (here nobody, run from a root test).
func TestAllowOther(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a command as another user")
	}
	base, err := os.MkdirTemp("", "ckptfs-allow-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) }) // runs after the unmount
	os.Chmod(base, 0o755)
	mnt := filepath.Join(base, "mnt")
	os.Mkdir(mnt, 0o755)
	m := startMountAt(t, newStore(t), mnt, "--allow-other")
	mustCtl(t, m.path("ctl"), "session s")
	src := filepath.Join(base, "src")
	os.MkdirAll(filepath.Join(src, "private"), 0o700)
	os.WriteFile(filepath.Join(src, "public"), []byte("p"), 0o644)
	os.WriteFile(filepath.Join(src, "secret"), []byte("s"), 0o600)
	os.WriteFile(filepath.Join(src, "private/x"), []byte("x"), 0o644)
	os.Chmod(src, 0o755)
	asNobody := func(script string) (string, error) {
		cmd := exec.Command("/bin/bash", "-c", script)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	sctl := m.path("sessions/s/ctl")
	out, err := asNobody(fmt.Sprintf("echo 'checkpoint from=%s/private' > %s", src, sctl))
	if err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("private dir as nobody: %v %s", err, out)
	}
	out, err = asNobody(fmt.Sprintf("exec 3<>%s; echo 'checkpoint from=%s' >&3; read r <&3; echo $r", sctl, src))
	if err != nil || !strings.HasPrefix(out, "ok ") {
		t.Fatalf("checkpoint as nobody: %v %s", err, out)
	}
	id := strings.TrimSpace(strings.TrimPrefix(out, "ok "))
	if got := listNames(t, m.path("sessions/s/checkpoints", id[:12])); strings.Join(got, " ") != "public" {
		t.Errorf("nobody's checkpoint holds %v", got)
	}
	// Root, the mount's owner, is not restricted; what it checkpoints
	// keeps its modes, which the kernel enforces for other users.
	id = checkpoint(t, m, "s", src)
	if got := listNames(t, m.path("sessions/s/checkpoints", id[:12])); len(got) != 3 {
		t.Errorf("root's checkpoint holds %v", got)
	}
	ck := m.path("sessions/s/checkpoints", id[:12])
	out, err = asNobody(fmt.Sprintf("cat %s/public; cat %s/secret; ls %s/private", ck, ck, ck))
	if err == nil || !strings.HasPrefix(out, "p") || strings.Count(out, "Permission denied") != 2 {
		t.Errorf("nobody reading root's checkpoint: %v %q", err, out)
	}
	if out, err := asNobody("mkdir " + m.path("sessions/by-nobody")); err != nil {
		t.Errorf("mkdir a session as nobody: %v %s", err, out)
	}
}
