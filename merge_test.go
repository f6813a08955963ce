package ckptfs_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/internal/benchgen"
)

// mergeClock returns times one second apart, so that merge bases are
// ordered deterministically; before, if set, runs first (once).
type mergeClock struct {
	mu     sync.Mutex
	t      time.Time
	before atomic.Pointer[func()]
}

func (c *mergeClock) now() time.Time {
	if f := c.before.Swap(nil); f != nil {
		(*f)()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openMergeTest(t *testing.T) (*ckptfs.Store, *mergeClock) {
	t.Helper()
	clock := &mergeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return openTestWith(t, ckptfs.Options{Durability: ckptfs.Relaxed, Now: clock.now}), clock
}

type mstate = map[string][]byte

// put creates a checkpoint of state on branch (from the branch head, or
// from parent when the branch is new).
func mergePut(t *testing.T, s *ckptfs.Store, branch string, st mstate, parent ckptfs.ID) ckptfs.ID {
	t.Helper()
	res, err := s.CheckpointState(context.Background(), st, ckptfs.CheckpointOptions{Session: "s", Branch: branch, Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	return res.ID
}

func mergeCount(t *testing.T, s *ckptfs.Store) int {
	list, err := s.List(context.Background(), ckptfs.ListOptions{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func wantMergeState(t *testing.T, s *ckptfs.Store, id ckptfs.ID, want mstate) {
	t.Helper()
	got, err := s.LoadState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("state %q, want %q", got, want)
	}
	for k, v := range want {
		if string(got[k]) != string(v) {
			t.Fatalf("state[%s] = %q, want %q", k, got[k], v)
		}
	}
}

// fork makes base on main and the branch feature from it.
func mergeFork(t *testing.T, s *ckptfs.Store, base mstate) ckptfs.ID {
	id := mergePut(t, s, "main", base, ckptfs.ID{})
	if _, err := s.CreateBranch(context.Background(), "s", "feature", "main"); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMergeClean(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	base := mergeFork(t, s, mstate{"a": []byte("1\n2\n3\n"), "b": []byte("b\n")})
	f := mergePut(t, s, "feature", mstate{"a": []byte("1\n2\n3 feature\n"), "b": []byte("b\n")}, ckptfs.ID{})
	m := mergePut(t, s, "main", mstate{"a": []byte("1 main\n2\n3\n"), "b": []byte("b\n"), "c": []byte("c\n")}, ckptfs.ID{})
	res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpToDate || res.FastForward || len(res.Conflicts) != 0 {
		t.Fatalf("result %+v", res)
	}
	wantMergeState(t, s, res.ID, mstate{"a": []byte("1 main\n2\n3 feature\n"), "b": []byte("b\n"), "c": []byte("c\n")})
	in, err := s.Info(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Parents, []ckptfs.ID{m, f}) || in.Branch != "main" || in.Message != "merge feature into main" ||
		in.Merge == nil || in.Merge.Base != base || in.Merge.Strategy != "fail" || len(in.Merge.Conflicts) != 0 ||
		in.Stats.Files != 3 || in.Stats.Bytes != 23 {
		t.Fatalf("info %+v merge %+v", in, in.Merge)
	}
	if h, _ := s.Head("s", "main"); h != res.ID {
		t.Fatal("main did not move to the merge")
	}
	// Merging again: feature is now an ancestor of main.
	again, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: f.String()[:8], Into: "main"})
	if err != nil || !again.UpToDate || again.ID != res.ID {
		t.Fatalf("merge again: %+v %v", again, err)
	}
}

func TestMergeFastForward(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	mergeFork(t, s, mstate{"a": []byte("a")})
	f := mergePut(t, s, "feature", mstate{"a": []byte("a2")}, ckptfs.ID{})
	n := mergeCount(t, s)
	var events []ckptfs.Event
	defer s.Subscribe(func(e ckptfs.Event) { events = append(events, e) })()
	res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "recursive"})
	if err != nil || !res.FastForward || res.ID != f || res.UpToDate {
		t.Fatalf("%+v %v", res, err)
	}
	if h, _ := s.Head("s", "main"); h != f {
		t.Fatal("main was not fast-forwarded")
	}
	if mergeCount(t, s) != n {
		t.Fatal("fast-forward created a checkpoint")
	}
	if len(events) != 1 || events[0].Branch != "main" {
		t.Fatalf("events %+v", events)
	}
	// Main is feature now: merging it is up to date, into either branch.
	for _, into := range []string{"main", "feature"} {
		res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "main", Into: into})
		if err != nil || !res.UpToDate || res.ID != f {
			t.Fatalf("into %s: %+v %v", into, res, err)
		}
	}
}

func TestMergeFailCreatesNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	mergeFork(t, s, mstate{"a": []byte("a\n"), "b": []byte("b\n"), "c": []byte("c\n")})
	mergePut(t, s, "feature", mstate{"a": []byte("a feature\n"), "b": []byte("b feature\n"), "c": []byte("c feature\n")}, ckptfs.ID{})
	head := mergePut(t, s, "main", mstate{"a": []byte("a main\n"), "c": []byte("c feature\n")}, ckptfs.ID{})
	n, objects := mergeCount(t, s), s.Stats().Objects
	_, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "fail"})
	var ce *ckptfs.MergeConflictError
	if !errors.Is(err, ckptfs.ErrMergeConflict) || !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if got := err.Error(); got != "conflict: 2 paths: a, b" {
		t.Fatalf("message %q", got)
	}
	if h, _ := s.Head("s", "main"); h != head || mergeCount(t, s) != n || s.Stats().Objects != objects {
		t.Fatal("a failed merge changed the store")
	}
}

func TestMergeStrategies(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		strategy string
		a        string
	}{
		{"recursive", "1\n<<<<<<< ours\n2 main\n=======\n2 feature\n>>>>>>> theirs\n3\n4\n5 feature\n"},
		{"ours", "1\n2 main\n3\n4\n5 feature\n"},
		{"theirs", "1\n2 feature\n3\n4\n5 feature\n"},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			s, _ := openMergeTest(t)
			mergeFork(t, s, mstate{"a": []byte("1\n2\n3\n4\n5\n"), "bin": []byte("\x00base")})
			mergePut(t, s, "feature", mstate{"a": []byte("1\n2 feature\n3\n4\n5 feature\n"), "bin": []byte("\x00feature")}, ckptfs.ID{})
			mergePut(t, s, "main", mstate{"a": []byte("1\n2 main\n3\n4\n5\n"), "bin": []byte("\x00main")}, ckptfs.ID{})
			res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: tc.strategy, Message: "m"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Conflicts, []string{"a", "bin"}) {
				t.Fatalf("conflicts %v", res.Conflicts)
			}
			bin := "\x00main"
			if tc.strategy == "theirs" {
				bin = "\x00feature"
			}
			wantMergeState(t, s, res.ID, mstate{"a": []byte(tc.a), "bin": []byte(bin)})
			in, _ := s.Info(ctx, res.ID)
			if in.Message != "m" || in.Merge.Strategy != tc.strategy || !slices.Equal(in.Merge.Conflicts, res.Conflicts) {
				t.Fatalf("info %+v %+v", in, in.Merge)
			}
		})
	}
}

// TestMergeRace: a checkpoint made on the target branch while the merge
// runs makes it fail with ErrConflict; that checkpoint stays the head and
// no merge checkpoint exists.
func TestMergeRace(t *testing.T) {
	ctx := context.Background()
	s, clock := openMergeTest(t)
	mergeFork(t, s, mstate{"a": []byte("a")})
	mergePut(t, s, "feature", mstate{"a": []byte("a"), "f": []byte("f")}, ckptfs.ID{})
	mergePut(t, s, "main", mstate{"a": []byte("a"), "m": []byte("m")}, ckptfs.ID{})
	var concurrent ckptfs.ID
	race := func() { concurrent = mergePut(t, s, "main", mstate{"a": []byte("a"), "m": []byte("m2")}, ckptfs.ID{}) }
	clock.before.Store(&race) // runs when the merge stamps its checkpoint
	n := mergeCount(t, s)
	_, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "recursive"})
	if !errors.Is(err, ckptfs.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	if concurrent.IsZero() {
		t.Fatal("the concurrent checkpoint did not run")
	}
	if h, _ := s.Head("s", "main"); h != concurrent || mergeCount(t, s) != n+1 {
		t.Fatal("the concurrent checkpoint was lost or a merge was created")
	}
	// Retrying merges on top of it.
	res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "recursive"})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := s.Info(ctx, res.ID)
	if in.Parents[0] != concurrent {
		t.Fatalf("parents %v", in.Parents)
	}
	wantMergeState(t, s, res.ID, mstate{"a": []byte("a"), "m": []byte("m2"), "f": []byte("f")})
}

// TestMergeConcurrent races merges into main against checkpoints on main:
// every merge either lands or fails with ErrConflict, and every checkpoint
// stays reachable from main's head.
func TestMergeConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	mergeFork(t, s, mstate{"a": []byte("a")})
	var made, merged []ckptfs.ID
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 20 {
			res, err := s.CheckpointDelta(ctx, mstate{"m" + strconv.Itoa(i): []byte("m")}, nil, ckptfs.CheckpointOptions{Session: "s"})
			if err != nil {
				t.Error(err)
				return
			}
			made = append(made, res.ID)
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 20 {
			_, err := s.CheckpointDelta(ctx, mstate{"f" + strconv.Itoa(i): []byte("f")}, nil, ckptfs.CheckpointOptions{Session: "s", Branch: "feature"})
			if err != nil {
				t.Error(err)
				return
			}
			res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "recursive"})
			if err != nil && !errors.Is(err, ckptfs.ErrConflict) {
				t.Error(err)
				return
			}
			if err == nil {
				merged = append(merged, res.ID)
			}
		}
	}()
	wg.Wait()
	head, _ := s.Head("s", "main")
	seen := map[ckptfs.ID]bool{}
	for stack := []ckptfs.ID{head}; len(stack) > 0; {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !seen[id] {
			seen[id] = true
			in, err := s.Info(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			stack = append(stack, in.Parents...)
		}
	}
	for _, id := range append(made, merged...) {
		if !seen[id] {
			t.Errorf("checkpoint %s lost", id.Short())
		}
	}
}

// TestMergeCrissCross builds a criss-cross history with merges and checks
// that recursive merges it cleanly through a virtual base while fail,
// using one base, conflicts.
func TestMergeCrissCross(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	mergeFork(t, s, mstate{"x": []byte("0\n"), "y": []byte("0\n")})
	b := mergePut(t, s, "main", mstate{"x": []byte("B\n"), "y": []byte("0\n")}, ckptfs.ID{})
	c := mergePut(t, s, "feature", mstate{"x": []byte("0\n"), "y": []byte("C\n")}, ckptfs.ID{})
	if _, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: c.String(), Into: "main"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: b.String(), Into: "feature"}); err != nil {
		t.Fatal(err)
	}
	mergePut(t, s, "main", mstate{"x": []byte("D\n"), "y": []byte("C\n")}, ckptfs.ID{})
	mergePut(t, s, "feature", mstate{"x": []byte("B\n"), "y": []byte("E\n")}, ckptfs.ID{})
	_, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature"})
	if !errors.Is(err, ckptfs.ErrMergeConflict) || err.Error() != "conflict: 1 paths: x" {
		t.Fatalf("fail: %v", err)
	}
	res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "recursive"})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatalf("recursive: %+v %v", res, err)
	}
	wantMergeState(t, s, res.ID, mstate{"x": []byte("D\n"), "y": []byte("E\n")})
	in, _ := s.Info(ctx, res.ID)
	if in.Merge.Base != c { // the newest of the two bases
		t.Fatalf("base %v, want %v", in.Merge.Base, c)
	}
}

func TestMergeErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openMergeTest(t)
	mergeFork(t, s, mstate{"a": []byte("a")})
	for _, tc := range []struct {
		o    ckptfs.MergeOptions
		want error
	}{
		{ckptfs.MergeOptions{Session: "s", Source: "feature", Strategy: "best"}, ckptfs.ErrInvalidArgument},
		{ckptfs.MergeOptions{Session: "s", Source: "nope"}, ckptfs.ErrNotFound},
		{ckptfs.MergeOptions{Session: "s", Source: "feature", Into: "nope"}, ckptfs.ErrNotFound},
		{ckptfs.MergeOptions{Session: "nope", Source: "feature"}, ckptfs.ErrNotFound},
		{ckptfs.MergeOptions{Session: "s", Source: "feature", Into: "a/b"}, ckptfs.ErrInvalidName},
		{ckptfs.MergeOptions{Session: "s"}, ckptfs.ErrInvalidArgument},
	} {
		if _, err := s.Merge(ctx, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.o, err, tc.want)
		}
	}
}

// BenchmarkMergeSeed runs the seed's merge workload (SPEC §9): a base of
// checkpoint_state(200, 10), branch1 changing files 0–99, branch2
// changing [100−c, 200−c), branch1 merged into branch2 with recursive.
// Only the merge is timed; the store syncs every commit (the default).
//
//	go test -run '^$' -bench MergeSeed -benchtime 200x .
func BenchmarkMergeSeed(b *testing.B) {
	ctx := context.Background()
	base := benchgen.CheckpointState(1, 200, 10)
	for _, c := range []int{0, 10, 50, 100} {
		b.Run("overlap="+strconv.Itoa(c), func(b *testing.B) {
			s, err := ckptfs.Open(b.TempDir(), ckptfs.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s1, s2 := benchgen.MergeSides(base, c)
			conflicts := 0
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				sess := "bench-" + strconv.Itoa(i)
				o := ckptfs.CheckpointOptions{Session: sess}
				r, err := s.CheckpointState(ctx, base, o)
				if err == nil {
					o.Branch, o.Parent = "branch1", r.ID
					_, err = s.CheckpointState(ctx, s1, o)
				}
				if err == nil {
					o.Branch = "branch2"
					_, err = s.CheckpointState(ctx, s2, o)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := s.Merge(ctx, ckptfs.MergeOptions{Session: sess, Source: "branch1", Into: "branch2", Strategy: "recursive"})
				if err != nil {
					b.Fatal(err)
				}
				conflicts = len(res.Conflicts)
			}
			if conflicts != c {
				b.Fatalf("%d conflicts, want %d", conflicts, c)
			}
		})
	}
}
