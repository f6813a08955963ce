// Package integration runs the built ckptfs binary end to end: a store in
// a temporary directory, the mount served by `ckptfs mount` in a
// subprocess (never in the test process: serving and using FUSE from one
// process can deadlock), and shell tools or syscalls against the mount.
//
// FUSE tests skip when no mount can be made, and fail instead when
// CKPTFS_REQUIRE_FUSE=1 (CI). The suite fails if it leaves a mount behind.
// CKPTFS_RACE=1 builds the server with the race detector.
package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var ckptfsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ckptfs-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ckptfsBin = filepath.Join(dir, "ckptfs")
	args := []string{"build", "-o", ckptfsBin}
	if os.Getenv("CKPTFS_RACE") == "1" {
		args = append(args, "-race") // the server under the race detector
	}
	build := exec.Command("go", append(args, "github.com/ckptfs/ckptfs/cmd/ckptfs")...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ckptfs: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if left := leftoverMounts(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: mounts left behind: %v\n", left)
		for _, mnt := range left {
			syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
		code = 1
	}
	os.Exit(code)
}

// mounted records every mount point this test binary used.
var mounted struct {
	sync.Mutex
	dirs map[string]bool
}

// leftoverMounts lists the mount points this test binary used that are
// still mounted.
func leftoverMounts() []string {
	mounted.Lock()
	defer mounted.Unlock()
	var out []string
	for dir := range mounted.dirs {
		if isMounted(dir) {
			out = append(out, dir)
		}
	}
	return out
}

func isMounted(dir string) bool {
	b, _ := os.ReadFile("/proc/self/mounts")
	return bytes.Contains(b, []byte(" "+dir+" "))
}

// noFUSE skips the test, or fails it when FUSE is required.
func noFUSE(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CKPTFS_REQUIRE_FUSE") == "1" {
		t.Fatalf("FUSE required (CKPTFS_REQUIRE_FUSE=1) but unavailable: %s", why)
	}
	t.Skipf("FUSE unavailable: %s", why)
}

// mount is a `ckptfs mount` subprocess.
type mount struct {
	t      testing.TB
	dir    string // mount point
	store  string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // of cmd.Wait, valid after exited
	once   sync.Once
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newStore returns a fresh store directory.
func newStore(t testing.TB) string { return filepath.Join(t.TempDir(), "store") }

// startMount serves store at a fresh mount point and stops it (SIGTERM)
// when the test ends.
func startMount(t testing.TB, store string, flags ...string) *mount {
	t.Helper()
	return startMountAt(t, store, t.TempDir(), flags...)
}

func startMountAt(t testing.TB, store, dir string, flags ...string) *mount {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		noFUSE(t, err.Error())
	}
	mounted.Lock()
	if mounted.dirs == nil {
		mounted.dirs = map[string]bool{}
	}
	mounted.dirs[dir] = true
	mounted.Unlock()
	args := append([]string{"--store", store, "mount", dir}, flags...)
	m := &mount{t: t, dir: dir, store: store, cmd: exec.Command(ckptfsBin, args...),
		stderr: &syncBuffer{}, exited: make(chan struct{})}
	m.cmd.Stderr = m.stderr
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		m.err = m.cmd.Wait()
		close(m.exited)
	}()
	t.Cleanup(m.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if mountReady(dir) {
			return m
		}
		select {
		case <-m.exited:
			noFUSE(t, fmt.Sprintf("ckptfs mount exited: %v: %s", m.err, m.stderr))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			noFUSE(t, "mount did not appear within 10s: "+m.stderr.String())
		}
	}
}

// mountReady reports whether a live ckptfs mount answers at dir. statfs
// always reaches the server (stat may be answered from the kernel's cache
// of a dead mount) and tells a FUSE mount from the directory under it.
func mountReady(dir string) bool {
	const fuseSuperMagic = 0x65735546
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(dir, &sfs); err != nil || sfs.Type != fuseSuperMagic {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "ctl"))
	return err == nil
}

// stop sends SIGTERM and checks the server exits cleanly and unmounts.
func (m *mount) stop() {
	m.once.Do(func() {
		m.signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(15 * time.Second):
			m.cmd.Process.Kill()
			syscall.Unmount(m.dir, syscall.MNT_DETACH)
			m.t.Errorf("ckptfs mount did not stop on SIGTERM; stderr: %s", m.stderr)
			select {
			case <-m.exited:
			case <-time.After(5 * time.Second):
				m.t.Errorf("ckptfs mount does not die")
				return
			}
		}
		if m.err != nil {
			m.t.Errorf("ckptfs mount: %v; stderr: %s", m.err, m.stderr)
		}
		if isMounted(m.dir) {
			syscall.Unmount(m.dir, syscall.MNT_DETACH)
			m.t.Errorf("%s still mounted after the server stopped", m.dir)
		}
	})
}

func (m *mount) signal(sig os.Signal) {
	select {
	case <-m.exited:
	default:
		m.cmd.Process.Signal(sig)
	}
}

// path joins elements below the mount point.
func (m *mount) path(elem ...string) string {
	return filepath.Join(append([]string{m.dir}, elem...)...)
}

// sh runs a shell script and returns its combined output and error.
func sh(script string) (string, error) {
	out, err := exec.Command("/bin/bash", "-c", script).CombinedOutput()
	return string(out), err
}

func mustSh(t testing.TB, script string) string {
	t.Helper()
	out, err := sh(script)
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return out
}

// cli runs the ckptfs binary against store.
func cli(store string, args ...string) (string, string, error) {
	cmd := exec.Command(ckptfsBin, append([]string{"--store", store}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// ctl writes one line to a control file as a single write(2) and returns
// the result line read back on the same handle and the write's errno.
func ctl(t testing.TB, path, line string) (string, syscall.Errno) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	_, err = f.Write([]byte(line + "\n"))
	var errno syscall.Errno
	if err != nil && !errors.As(err, &errno) {
		t.Fatalf("write %s: %v", path, err)
	}
	buf := make([]byte, 64<<10)
	n, _ := f.Read(buf)
	return strings.TrimSuffix(string(buf[:n]), "\n"), errno
}

// mustCtl runs a control line that must succeed and returns the result.
func mustCtl(t testing.TB, path, line string) string {
	t.Helper()
	res, errno := ctl(t, path, line)
	if errno != 0 || (!strings.HasPrefix(res, "ok") && !strings.HasPrefix(res, "unchanged")) {
		t.Fatalf("%s: %q → %q (%v)", path, line, res, errno)
	}
	return res
}

// checkpoint makes a checkpoint of dir through the control file and
// returns its full id.
func checkpoint(t testing.TB, m *mount, session, dir string, keys ...string) string {
	t.Helper()
	line := "checkpoint from=" + dir
	if len(keys) > 0 {
		line += " " + strings.Join(keys, " ")
	}
	res := mustCtl(t, m.path("sessions", session, "ctl"), line)
	f := strings.Fields(res)
	return f[len(f)-1]
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}
