package integration

import (
	"github.com/ckptfs/ckptfs/internal/testtree"
	"os"
	"strings"
	"testing"
	"time"
)

// TestAutoGC: `ckptfs mount --gc-every` applies its policy on its own, and
// what it deletes disappears from the mounted tree.
func TestAutoGC(t *testing.T) {
	store := newStore(t)
	m := startMount(t, store, "--gc-every", "300ms", "--keep-last", "1")
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "one"})
	checkpoint(t, m, "s", src)
	os.WriteFile(src+"/f", []byte("two"), 0o644)
	checkpoint(t, m, "s", src)
	os.WriteFile(src+"/f", []byte("three"), 0o644)
	head := checkpoint(t, m, "s", src)
	deadline := time.Now().Add(10 * time.Second)
	for {
		names := listNames(t, m.path("sessions", "s", "checkpoints"))
		dirs := 0
		for _, n := range names {
			if !strings.HasSuffix(n, ".json") {
				dirs++
			}
		}
		if dirs == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auto gc kept %d checkpoints: %v", dirs, names)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := mustSh(t, "cat "+m.path("sessions", "s", "branches", "main", "HEAD")+"/f"); got != "three" {
		t.Fatalf("head content after gc: %q", got)
	}
	_ = head
}

// TestMergeThroughCtl: a conflicting merge is EBUSY with the conflict list,
// and creates nothing.
func TestMergeThroughCtl(t *testing.T) {
	store := newStore(t)
	m := startMount(t, store)
	mustCtl(t, m.path("ctl"), "session s")
	src := testtree.New(t, map[string]string{"f": "a\nb\nc\n"})
	checkpoint(t, m, "s", src)
	mustCtl(t, m.path("sessions", "s", "ctl"), "branch other")
	os.WriteFile(src+"/f", []byte("a\nOURS\nc\n"), 0o644)
	checkpoint(t, m, "s", src)
	os.WriteFile(src+"/f", []byte("a\nTHEIRS\nc\n"), 0o644)
	checkpoint(t, m, "s", src, "branch=other")
	res, errno := ctl(t, m.path("sessions", "s", "ctl"), "merge other")
	if errno.Error() != "device or resource busy" || res != "error: conflict: 1 paths: f" {
		t.Fatalf("merge: %q %v", res, errno)
	}
	res = mustCtl(t, m.path("sessions", "s", "ctl"), "merge other strategy=recursive")
	if !strings.HasSuffix(res, "conflicts=1") {
		t.Fatalf("recursive merge: %q", res)
	}
	got := mustSh(t, "cat "+m.path("sessions", "s", "branches", "main", "HEAD")+"/f")
	if !strings.Contains(got, "<<<<<<< ours") || !strings.Contains(got, ">>>>>>> theirs") {
		t.Fatalf("merged file has no conflict markers:\n%s", got)
	}
}
