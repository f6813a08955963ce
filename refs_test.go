package ckptfs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
)

func TestBranchesTagsAndListing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ids []ckptfs.ID
	for i := 0; i < 3; i++ {
		r, err := s.CheckpointDelta(ctx, map[string][]byte{"f": {byte('0' + i)}}, nil,
			ckptfs.CheckpointOptions{Session: "s", Time: base.Add(time.Duration(i) * time.Hour), Message: "m"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	in, _ := s.Info(ctx, ids[2])
	if !in.Time.Equal(base.Add(2 * time.Hour)) {
		t.Fatalf("backdated time %v", in.Time)
	}
	// Branch from the first checkpoint; a checkpoint on it advances only it.
	head, err := s.CreateBranch(ctx, "s", "try", ids[0].String()[:8])
	if err != nil || head != ids[0] {
		t.Fatal(head, err)
	}
	if _, err := s.CreateBranch(ctx, "s", "try", ""); !errors.Is(err, ckptfs.ErrExists) {
		t.Fatalf("duplicate branch: %v", err)
	}
	if _, err := s.CreateBranch(ctx, "s", "x", "nosuchbranch"); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("branch from nothing: %v", err)
	}
	r, err := s.CheckpointDelta(ctx, map[string][]byte{"g": nil}, nil, ckptfs.CheckpointOptions{Session: "s", Branch: "try"})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Info(ctx, r.ID); len(in.Parents) != 1 || in.Parents[0] != ids[0] || in.Branch != "try" {
		t.Fatalf("branch checkpoint %+v", in)
	}
	if h, _ := s.Head("s", "main"); h != ids[2] {
		t.Fatal("main moved")
	}
	// An unknown branch is created by a checkpoint, with no parent.
	r2, err := s.CheckpointDelta(ctx, map[string][]byte{"h": nil}, nil, ckptfs.CheckpointOptions{Session: "s", Branch: "fresh"})
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Info(ctx, r2.ID); len(in.Parents) != 0 {
		t.Fatalf("new branch has parents %v", in.Parents)
	}
	// Tags.
	if err := s.Tag(ctx, "s", ids[1], "keep", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Untag(ctx, "s", ids[1], "v1", "absent"); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.List(ctx, ckptfs.ListOptions{Tag: "keep"}); len(l) != 1 || l[0].ID != ids[1] {
		t.Fatalf("by tag: %v", l)
	}
	if l, _ := s.List(ctx, ckptfs.ListOptions{Tag: "v1"}); len(l) != 0 {
		t.Fatalf("untagged still listed: %v", l)
	}
	if err := s.Tag(ctx, "s", ckptfs.ID{1}, "x"); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("tag unknown: %v", err)
	}
	// Listing: newest first, limit, by branch.
	all, _ := s.List(ctx, ckptfs.ListOptions{Session: "s"})
	if len(all) != 5 {
		t.Fatalf("list %d", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.After(all[i-1].Time) {
			t.Fatal("not newest first")
		}
	}
	if l, _ := s.List(ctx, ckptfs.ListOptions{Session: "s", Limit: 2}); len(l) != 2 {
		t.Fatal("limit")
	}
	if l, _ := s.List(ctx, ckptfs.ListOptions{Session: "s", Branch: "main"}); len(l) != 3 || l[0].ID != ids[2] {
		t.Fatalf("by branch %v", l)
	}
	if _, err := s.List(ctx, ckptfs.ListOptions{Session: "nope"}); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	// Deleting a whole branch chain removes the branch.
	if n, err := s.Delete(ctx, "s", r2.ID); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if _, err := s.Head("s", "fresh"); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("branch survived: %v", err)
	}
	// Deleting the two newest of main moves it to the first survivor.
	if _, err := s.Delete(ctx, "s", ids[2], ids[1]); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.Head("s", "main"); h != ids[0] {
		t.Fatalf("main head %v, want %v", h, ids[0])
	}
	if _, err := s.Delete(ctx, "s", ckptfs.ID{5}); !errors.Is(err, ckptfs.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
	// Sessions: create, duplicate, remove non-empty.
	if err := s.CreateSession(ctx, "s"); !errors.Is(err, ckptfs.ErrExists) {
		t.Fatalf("dup session: %v", err)
	}
	if err := s.RemoveSession(ctx, "s"); !errors.Is(err, ckptfs.ErrNotEmpty) {
		t.Fatalf("remove non-empty: %v", err)
	}
	if err := s.CreateSession(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSession(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentCheckpoints(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const writers, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Half the writers share one session and branch (head CAS
				// races), all share content (dedup races).
				sess := "shared"
				if w%2 == 1 {
					sess = "own" + string(rune('a'+w))
				}
				_, err := s.CheckpointDelta(ctx, map[string][]byte{"common": []byte("same bytes"), "w": {byte(w), byte(i)}}, nil,
					ckptfs.CheckpointOptions{Session: sess})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Checkpoints != writers*each {
		t.Fatalf("checkpoints %d, want %d", st.Checkpoints, writers*each)
	}
	// The shared branch is one linear chain of all its checkpoints.
	l, _ := s.List(ctx, ckptfs.ListOptions{Session: "shared"})
	head, _ := s.Head("shared", "main")
	seen := 0
	for id := head; !id.IsZero(); seen++ {
		in, err := s.Info(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Parents) == 0 {
			break
		}
		id = in.Parents[0]
	}
	if seen+1 != len(l) {
		t.Fatalf("chain has %d checkpoints, session has %d: a head update was lost", seen+1, len(l))
	}
}
