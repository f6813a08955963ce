package ckptfs_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ckptfs/ckptfs"
)

// TestDiskFullTmpfs puts a store on a real, tiny tmpfs and checkpoints more
// than fits: the checkpoint fails with ErrNoSpace, nothing is half-written,
// and the store keeps working. Needs root (mount(2)).
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=100m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	ctx := context.Background()
	s, err := ckptfs.Open(filepath.Join(mnt, "store"), ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ok, err := s.CheckpointState(ctx, map[string][]byte{"a": []byte("fits")}, ckptfs.CheckpointOptions{Session: "s"})
	if err != nil {
		t.Fatalf("small checkpoint on a 100 MiB disk: %v", err)
	}
	big := map[string][]byte{}
	for i := 0; i < 40; i++ {
		b := make([]byte, 1<<20)
		rand.Read(b)
		big["f"+strconv.Itoa(i)] = b
	}
	_, err = s.CheckpointState(ctx, big, ckptfs.CheckpointOptions{Session: "s"})
	if !errors.Is(err, ckptfs.ErrNoSpace) {
		t.Fatalf("40 MiB checkpoint on a full disk: %v", err)
	}
	if h, _ := s.Head("s", "main"); h != ok.ID {
		t.Fatal("the failed checkpoint moved the branch")
	}
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("fsck after ENOSPC: %v %v", err, rep.Faults)
	}
	if got, err := s.ReadFile(ctx, ok.ID, "a"); err != nil || string(got) != "fits" {
		t.Fatalf("read after ENOSPC: %q %v", got, err)
	}
}
