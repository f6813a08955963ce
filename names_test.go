package ckptfs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ckptfs/ckptfs"
)

func TestValidateName(t *testing.T) {
	good := []string{"s", "main", "a.b", "A_Z-0+9@x", strings.Repeat("x", 128), "x..y"}
	bad := []string{"", "..", ".hidden", "-flag", "a/b", "a\x00b", "a b", "a\nb", strings.Repeat("x", 129), "é", "a*b"}
	for _, n := range good {
		if err := ckptfs.ValidateName("session", n); err != nil {
			t.Errorf("%q rejected: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ckptfs.ValidateName("session", n); !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("%q accepted or wrong error: %v", n, err)
		}
	}
}

func TestInvalidNamesRejectedEverywhere(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	state := map[string][]byte{"f": []byte("x")}
	if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"..", "a/b", "a\x00", "", strings.Repeat("n", 129)} {
		if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: n}); !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("session %q: %v", n, err)
		}
		if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s", Branch: n}); n != "" && !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("branch %q: %v", n, err)
		}
		if _, err := s.CheckpointState(ctx, state, ckptfs.CheckpointOptions{Session: "s", Tags: []string{n}}); !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("tag %q: %v", n, err)
		}
		if _, err := s.CreateBranch(ctx, "s", n, ""); !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("CreateBranch %q: %v", n, err)
		}
		if err := s.CreateSession(ctx, n); !errors.Is(err, ckptfs.ErrInvalidName) {
			t.Errorf("CreateSession %q: %v", n, err)
		}
	}
	// Invalid file paths in states.
	for _, p := range []string{"../x", "/abs", "a//b", "a/../b", "nul\x00"} {
		if _, err := s.CheckpointState(ctx, map[string][]byte{p: nil}, ckptfs.CheckpointOptions{Session: "s"}); !errors.Is(err, ckptfs.ErrInvalidPath) {
			t.Errorf("path %q: %v", p, err)
		}
	}
	if got, _ := s.List(ctx, ckptfs.ListOptions{Session: "s"}); len(got) != 2 { // the first, and branch "" = main
		t.Fatalf("failed calls created checkpoints: %d", len(got))
	}
}
