package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
)

// The idle clock stops while any command runs and restarts when the last
// one ends; stop is called once the server has been idle that long.
func TestIdleWatch(t *testing.T) {
	var stopped atomic.Int32
	w := newIdleWatch(50*time.Millisecond, func() { stopped.Add(1) })
	defer w.close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				w.begin()
				time.Sleep(5 * time.Millisecond)
				w.end()
			}
		}()
	}
	w.begin() // a long command outlives the idle time
	time.Sleep(150 * time.Millisecond)
	if stopped.Load() != 0 {
		t.Fatal("stopped while a command ran")
	}
	w.end()
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for stopped.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if stopped.Load() != 1 {
		t.Fatalf("stop called %d times after the idle time", stopped.Load())
	}
	if newIdleWatch(0, func() { t.Fatal("no idle exit asked") }) != nil {
		t.Fatal("idle watch without a duration")
	}
	var nilWatch *idleWatch
	nilWatch.begin()
	nilWatch.end()
	nilWatch.close()
}

// Many clients at once through one serve (in this process: serve needs
// no FUSE), with gc and listings running among the checkpoints; then the
// server exits on idle and the store checks clean.
func TestServeConcurrentClients(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	served := make(chan int, 1)
	go func() {
		var out, errb bytes.Buffer
		served <- Main([]string{"--store", store, "serve", "--idle-exit", "1s"}, strings.NewReader(""), &out, &errb)
	}()
	if !waitFor(func() bool { return controlAnswers(store) }) {
		t.Fatal("serve does not answer")
	}
	const clients, rounds = 8, 5
	dirs := make([]string, clients)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	errs := make(chan error, clients+2)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := os.WriteFile(filepath.Join(dirs[i], "f.txt"), []byte(fmt.Sprint(i, r)), 0o644); err != nil {
					errs <- err
					return
				}
				var out, errb bytes.Buffer
				args := []string{"--store", store, "checkpoint", "--session", "s", "--branch", fmt.Sprint("b", i), "--if-changed", dirs[i]}
				if code := Main(args, strings.NewReader(""), &out, &errb); code != 0 {
					errs <- fmt.Errorf("client %d round %d: exit %d: %s", i, r, code, errb.String())
					return
				}
			}
		}()
	}
	for _, args := range [][]string{{"gc", "--keep-within", "30d"}, {"log", "--session", "s"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				var out, errb bytes.Buffer
				if code := Main(append([]string{"--store", store}, args...), strings.NewReader(""), &out, &errb); code != 0 && !strings.Contains(errb.String(), "not found") {
					errs <- fmt.Errorf("%v: exit %d: %s", args, code, errb.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case code := <-served:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not exit after --idle-exit")
	}
	// On exit the server gave back Pebble's write-ahead logs: what they
	// held is in sstables, and only the new, empty log is left.
	ents, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".log") && fi.Size() > 4<<10 {
			t.Errorf("after serve exited: %s has %d bytes", e.Name(), fi.Size())
		}
	}
	mustMain(t, store, "fsck")
	for i := range clients {
		log := mustMain(t, store, "log", "--session", "s", "--branch", fmt.Sprint("b", i))
		if n := strings.Count(log, "\n"); n != rounds {
			t.Errorf("branch b%d has %d checkpoints, want %d:\n%s", i, n, rounds, log)
		}
	}
}

// holdStore creates the store in dir and holds it, as another command
// would (no control socket), for d.
func holdStore(t *testing.T, dir string, d time.Duration) {
	t.Helper()
	mustMain(t, dir, "sessions")
	held, err := ckptfs.Open(dir, ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(d)
		held.Close()
	}()
}

// A command that finds the store held without a control socket (another
// command, or a server starting or stopping) tries again for a moment
// instead of failing at once.
func TestCommandWaitsForAHeldStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	holdStore(t, dir, 300*time.Millisecond)
	start := time.Now()
	mustMain(t, dir, "sessions")
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("ran after %v, while the store was held", d)
	}
}

// Reading commands open a quiet store read-only: they see the last
// checkpoint (replayed from the log) and leave the store's files as they
// were. After a large write they open it read-write once, which flushes
// the log.
func TestReadOnlyOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	work := t.TempDir()
	write(t, work, map[string]string{"a": "1"})
	if quietStore(dir) {
		t.Fatal("a missing store is quiet")
	}
	id := strings.TrimSpace(mustMain(t, dir, "checkpoint", "--session", "s", work))
	listing := func() string {
		ents, _ := os.ReadDir(dir)
		var b strings.Builder
		for _, e := range ents {
			fi, _ := e.Info()
			fmt.Fprintf(&b, "%s %d\n", e.Name(), fi.Size())
		}
		return b.String()
	}
	if !quietStore(dir) {
		t.Fatal("store not quiet after a small checkpoint")
	}
	before := listing()
	for _, args := range [][]string{{"log", "--session", "s"}, {"show", id}, {"sessions"}, {"search", "a"},
		{"diff", id, work}, {"restore", id, work}, {"fsck"}} {
		out := mustMain(t, dir, args...)
		if args[0] == "log" && !strings.HasPrefix(id, strings.Fields(out)[0]) {
			t.Fatalf("log does not show the checkpoint:\n%s", out)
		}
		if after := listing(); after != before {
			t.Fatalf("%s changed the store's files:\n%s\nwas:\n%s", args[0], after, before)
		}
	}
	// A write-ahead log over pendingLogMax: the next reader flushes it.
	big := make([]byte, pendingLogMax+1<<20)
	rand.NewChaCha8([32]byte{1}).Read(big)
	if err := os.WriteFile(filepath.Join(work, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	mustMain(t, dir, "checkpoint", "--session", "s", work)
	if quietStore(dir) {
		t.Fatal("store quiet after a large checkpoint")
	}
	mustMain(t, dir, "log", "--session", "s")
	if !quietStore(dir) {
		t.Fatalf("the log was not flushed by a read-write open:\n%s", listing())
	}
}

// A server that is stopping runs no more commands: it tells the client,
// which then tries again (and, once the server is gone, opens the store).
func TestStoppingServerTurnsClientsAway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	mustMain(t, dir, "sessions")
	store, err := ckptfs.Open(dir, ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := listenControl(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveControl(ctx, l, store, dir, nil)
	}()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, storeDir: dir}
	if err := a.forwardToMount(context.Background(), "checkpoint", []string{"--session", "s", t.TempDir()}, nil); !errors.Is(err, errNoAnswer) {
		t.Fatalf("forwarded to a stopping server: %v (stdout %q)", err, out.String())
	}
	l.Close()
	<-done
	store.Close()
	if got := mustMain(t, dir, "sessions"); got != "" {
		t.Fatalf("the stopping server ran the command: sessions %q", got)
	}
}

// A hook's payload read for forwarding is still there when the command
// ends up running in this process (the store was held by another command,
// not a server).
func TestHookPayloadSurvivesWaitingForTheStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	work := t.TempDir()
	write(t, work, map[string]string{"a": "1"})
	holdStore(t, dir, 200*time.Millisecond)
	payload := `{"session_id": "abc", "cwd": "` + work + `", "hook_event_name": "Stop"}`
	out, errs, code := runMain(t, dir, payload, "checkpoint", "--hook", "--session", "s")
	if code != 0 {
		t.Fatalf("checkpoint --hook after waiting: exit %d: %s", code, errs)
	}
	if !fullIDLine.MatchString(out) {
		t.Fatalf("output %q", out)
	}
}
