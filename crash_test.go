package ckptfs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
)

// TestCrashMidCheckpoint kills a child process that creates checkpoints in
// a loop (SIGKILL, at random moments) and checks after each kill that the
// store opens, passes fsck and holds only whole checkpoints.
func TestCrashMidCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	prev := uint64(0)
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCheckpointLoop$")
		cmd.Env = append(os.Environ(), "CKPTFS_HELPER_STORE="+dir, "CKPTFS_HELPER_ROUND="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+rng.IntN(250)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, err := ckptfs.Open(dir, ckptfs.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		ctx := context.Background()
		rep, err := s.Fsck(ctx, nil)
		if err != nil || !rep.OK() {
			s.Close()
			t.Fatalf("round %d: fsck: %v %v", round, err, rep.Faults)
		}
		list, err := s.List(ctx, ckptfs.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			st, err := s.LoadState(ctx, c.ID)
			if err != nil {
				t.Fatalf("round %d: load %s: %v", round, c.ID.Short(), err)
			}
			// Every checkpoint the helper made is whole: its marker file
			// names its own number of files.
			if want := string(st["n"]); want != strconv.Itoa(len(st)) {
				t.Fatalf("round %d: checkpoint %s has %d files, marker says %s", round, c.ID.Short(), len(st), want)
			}
		}
		n := s.Stats().Checkpoints
		t.Logf("round %d: %d checkpoints survive", round, n)
		if n < prev {
			t.Fatalf("round %d: synced checkpoints lost (%d < %d)", round, n, prev)
		}
		prev = n
		s.Close()
	}
	if prev == 0 {
		t.Fatal("the helper never committed a checkpoint")
	}
}

// TestHelperCheckpointLoop runs in the child of TestCrashMidCheckpoint.
func TestHelperCheckpointLoop(t *testing.T) {
	dir := os.Getenv("CKPTFS_HELPER_STORE")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := ckptfs.Open(dir, ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	round := os.Getenv("CKPTFS_HELPER_ROUND")
	ctx := context.Background()
	for i := 0; ; i++ {
		files := 1 + i%40
		state := map[string][]byte{}
		for f := 0; f < files-1; f++ {
			state[fmt.Sprintf("d%d/f%d", f%3, f)] = []byte(fmt.Sprintf("round %s checkpoint %d file %d %s", round, i, f, make([]byte, f*500)))
		}
		state["n"] = []byte(strconv.Itoa(files))
		if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "crash" + strconv.Itoa(i%3)}); err != nil {
			t.Fatal(err)
		}
	}
}
