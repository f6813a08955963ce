package integration

import (
	"crypto/rand"
	"fmt"
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestControlENOSPC: a checkpoint that does not fit on the store's disk
// fails its control-file write with ENOSPC, creates nothing, and the mount
// keeps working. The store lives on a small tmpfs (needs root).
func TestControlENOSPC(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=64m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	m := startMount(t, filepath.Join(disk, "store"))
	// Unmount the tmpfs only after the mount process has stopped.
	t.Cleanup(func() { m.stop(); syscall.Unmount(disk, syscall.MNT_DETACH) })
	mustCtl(t, m.path("ctl"), "session s")
	small := testtree.New(t, map[string]string{"f": "fits"})
	first := checkpoint(t, m, "s", small)

	big := t.TempDir()
	for i := 0; i < 24; i++ {
		b := make([]byte, 1<<20)
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(big, fmt.Sprintf("r%02d", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, errno := ctl(t, m.path("sessions", "s", "ctl"), "checkpoint from="+big)
	if errno != syscall.ENOSPC || !strings.HasPrefix(res, "error: ") || !strings.Contains(res, "no space") {
		t.Fatalf("checkpoint on a full disk: %q %v, want ENOSPC", res, errno)
	}
	head := mustSh(t, "readlink "+m.path("sessions", "s", "branches", "main", "HEAD"))
	if !strings.Contains(head, first) {
		t.Fatalf("HEAD moved to %q after a failed checkpoint (want %s)", head, first)
	}
	if got := mustSh(t, "cat "+m.path("sessions", "s", "checkpoints", first, "f")); got != "fits" {
		t.Fatalf("read after ENOSPC: %q", got)
	}
}
