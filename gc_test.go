package ckptfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/gc"
	"github.com/ckptfs/ckptfs/internal/benchgen"
	"github.com/ckptfs/ckptfs/pebblestore"
)

const gcDay = 24 * time.Hour

// gcNow is the clock of the gc tests' stores.
var gcNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// openGCTest opens a fresh store whose clock reads gcNow. At cleanup it
// checks the store (see checkGCStore) against want, if set.
func openGCTest(t *testing.T, o Options) (*Store, map[ID]map[string][]byte) {
	t.Helper()
	o.Now = func() time.Time { return gcNow }
	s, err := Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[ID]map[string][]byte{}
	t.Cleanup(func() {
		if !t.Failed() {
			checkGCStore(t, s, want)
		}
		s.Close()
	})
	return s, want
}

// checkGCStore runs fsck and reads back every surviving checkpoint, byte for
// byte against want when want knows it.
func checkGCStore(t *testing.T, s *Store, want map[ID]map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("fsck: %v %v", err, rep.Faults)
	}
	list, err := s.List(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		got, err := s.LoadState(ctx, c.ID)
		if err != nil {
			t.Fatalf("load surviving checkpoint %s: %v", c.ID.Short(), err)
		}
		if w, ok := want[c.ID]; ok && !sameGCState(got, w) {
			t.Fatalf("checkpoint %s reads back %q, want %q", c.ID.Short(), got, w)
		}
	}
}

func sameGCState(a, b map[string][]byte) bool { return maps.EqualFunc(a, b, bytes.Equal) }

// gcState builds a state from key, value pairs.
func gcState(kv ...string) map[string][]byte {
	m := map[string][]byte{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

// mkCk creates a checkpoint of st dated age before gcNow and records it in
// want.
func mkCk(t *testing.T, s *Store, want map[ID]map[string][]byte, age time.Duration, st map[string][]byte, o CheckpointOptions) ID {
	t.Helper()
	o.Time = gcNow.Add(-age)
	res, err := s.CheckpointState(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	want[res.ID] = st
	return res.ID
}

func blobID(content string) ID { return pebblestore.Hash(pebblestore.KindBlob, []byte(content)) }

func hasObject(t *testing.T, s *Store, id ID) bool {
	t.Helper()
	ok, err := s.st.Has(id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func listIDs(t *testing.T, s *Store, o ListOptions) []ID {
	t.Helper()
	list, err := s.List(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var out []ID
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func runGC(t *testing.T, s *Store, o GCOptions) GCResult {
	t.Helper()
	res, err := s.GC(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGCDefaultPolicy: with no rule, heads, tagged checkpoints and those
// younger than 30 days survive (SPEC §8); the objects only the deleted
// checkpoint reached are freed, shared ones stay.
func TestGCDefaultPolicy(t *testing.T) {
	ctx := context.Background()
	s, want := openGCTest(t, Options{})
	a := mkCk(t, s, want, 45*gcDay, gcState("a", "only in a", "shared", "S"), CheckpointOptions{Session: "s1"})
	b := mkCk(t, s, want, 40*gcDay, gcState("b", "only in b", "shared", "S"), CheckpointOptions{Session: "s1"})
	c := mkCk(t, s, want, 35*gcDay, gcState("c", "only in c"), CheckpointOptions{Session: "s1", Tags: []string{"keep"}})
	d := mkCk(t, s, want, 29*gcDay, gcState("d", "only in d"), CheckpointOptions{Session: "s1"})
	e := mkCk(t, s, want, 1*gcDay, gcState("e", "only in e", "shared", "S"), CheckpointOptions{Session: "s1"})
	if _, err := s.CreateBranch(ctx, "s1", "old", a.String()); err != nil {
		t.Fatal(err)
	}
	f := mkCk(t, s, want, 50*gcDay, gcState("f", "only in f"), CheckpointOptions{Session: "s2"})
	bRoot, err := s.r.Checkpoint(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Stats()

	res := runGC(t, s, GCOptions{})
	if res.Deleted != 1 || res.Kept != 5 || res.ObjectsFreed != 3 || res.Plan != nil {
		t.Fatalf("GC = %+v, want deleted=1 kept=5 objects-freed=3 (b's checkpoint, root tree, blob)", res)
	}
	if got := listIDs(t, s, ListOptions{}); len(got) != 5 || slices.Contains(got, b) {
		t.Fatalf("survivors %v: want all but b", got)
	}
	for _, id := range []ID{a, c, d, e, f} {
		if !slices.Contains(listIDs(t, s, ListOptions{}), id) {
			t.Fatalf("%s deleted", id.Short())
		}
	}
	if hasObject(t, s, b) || hasObject(t, s, bRoot.Root) || hasObject(t, s, blobID("only in b")) {
		t.Fatal("an object only b reached survived")
	}
	if !hasObject(t, s, blobID("S")) {
		t.Fatal("the shared blob was freed")
	}
	after := s.Stats()
	if after.Objects != before.Objects-3 || after.Checkpoints != before.Checkpoints-1 ||
		int64(before.StoredBytes-after.StoredBytes) != res.BytesFreed {
		t.Fatalf("stats %+v -> %+v, freed %d bytes", before, after, res.BytesFreed)
	}
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() || rep.Unreferenced != 0 {
		t.Fatalf("fsck after gc: %v %+v", err, rep)
	}
	delete(want, b)
	// A second run finds nothing to do.
	if res := runGC(t, s, GCOptions{}); res.Deleted != 0 || res.ObjectsFreed != 0 || res.Kept != 5 {
		t.Fatalf("second GC = %+v", res)
	}
}

// TestGCPolicies runs the value rules and keep-tagged through the store.
func TestGCPolicies(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		keep []string // checkpoint names that survive
	}{
		{"keep-within=0", []string{"keep-within=0"}, []string{"head", "tagged"}},
		{"keep-last=2", []string{"keep-last=2"}, []string{"head", "tagged", "young"}},
		{"keep-tagged=no", []string{"keep-tagged=no"}, []string{"head", "young"}},
		{"keep-within=3d", []string{"keep-within=3d"}, []string{"head", "tagged", "young"}},
		{"keep-within=100d keep-tagged=no", []string{"keep-within=100d", "keep-tagged=no"}, []string{"head", "young", "tagged", "old"}},
		{"keep-daily=1", []string{"keep-daily=1"}, []string{"head", "tagged"}},
		// Weeks with a checkpoint: 2026-W49 (head), W48 (young), W43
		// (tagged), W40 (old).
		{"keep-weekly=3", []string{"keep-weekly=3"}, []string{"head", "tagged", "young"}},
		{"keep-weekly=4", []string{"keep-weekly=4"}, []string{"head", "tagged", "young", "old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, want := openGCTest(t, Options{})
			names := map[ID]string{}
			names[mkCk(t, s, want, 60*gcDay, gcState("f", "old"), CheckpointOptions{Session: "s"})] = "old"
			names[mkCk(t, s, want, 40*gcDay, gcState("f", "tagged"), CheckpointOptions{Session: "s", Tags: []string{"t"}})] = "tagged"
			names[mkCk(t, s, want, 2*gcDay, gcState("f", "young"), CheckpointOptions{Session: "s"})] = "young"
			names[mkCk(t, s, want, 1*time.Hour, gcState("f", "head"), CheckpointOptions{Session: "s"})] = "head"
			var p gc.Policy
			for _, a := range tc.args {
				k, v, _ := strings.Cut(a, "=")
				if err := p.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			res := runGC(t, s, GCOptions{Policy: p})
			var got []string
			for _, id := range listIDs(t, s, ListOptions{}) {
				got = append(got, names[id])
			}
			slices.Sort(got)
			wantKeep := slices.Sorted(slices.Values(tc.keep))
			if !slices.Equal(got, wantKeep) || res.Kept != len(wantKeep) || res.Deleted != 4-len(wantKeep) {
				t.Fatalf("%v: survivors %v (%+v), want %v", tc.args, got, res, wantKeep)
			}
			for id := range want {
				if !slices.Contains(tc.keep, names[id]) {
					delete(want, id)
				}
			}
		})
	}
}

// TestGCSession: session= restricts retention to one session; objects the
// other sessions share survive.
func TestGCSession(t *testing.T) {
	s, want := openGCTest(t, Options{})
	s1old := mkCk(t, s, want, 60*gcDay, gcState("x", "s1 only", "y", "shared across sessions"), CheckpointOptions{Session: "s1"})
	mkCk(t, s, want, 1*gcDay, gcState("z", "s1 head"), CheckpointOptions{Session: "s1"})
	s2old := mkCk(t, s, want, 60*gcDay, gcState("y", "shared across sessions"), CheckpointOptions{Session: "s2"})
	mkCk(t, s, want, 1*gcDay, gcState("z", "s2 head"), CheckpointOptions{Session: "s2"})

	if _, err := s.GC(context.Background(), GCOptions{Session: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("gc session=nope: %v, want ErrNotFound", err)
	}
	res := runGC(t, s, GCOptions{Session: "s1"})
	if res.Deleted != 1 || res.Kept != 1 {
		t.Fatalf("GC session=s1 = %+v, want deleted=1 kept=1", res)
	}
	delete(want, s1old)
	if got := listIDs(t, s, ListOptions{Session: "s2"}); len(got) != 2 || !slices.Contains(got, s2old) {
		t.Fatalf("session s2 changed: %v", got)
	}
	if hasObject(t, s, blobID("s1 only")) || !hasObject(t, s, blobID("shared across sessions")) {
		t.Fatal("wrong objects freed")
	}
	res = runGC(t, s, GCOptions{})
	if res.Deleted != 1 || res.Kept != 2 {
		t.Fatalf("GC store-wide = %+v, want deleted=1 kept=2", res)
	}
	delete(want, s2old)
	if hasObject(t, s, blobID("shared across sessions")) {
		t.Fatal("blob of deleted checkpoints survived")
	}
}

// storeContent hashes every key and value of the database.
func storeContent(t *testing.T, s *Store) string {
	t.Helper()
	it, err := s.st.DB().NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%d:%x=%d:%x;", len(it.Key()), it.Key(), len(v), v)
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d keys %s", n, hex.EncodeToString(h.Sum(nil)))
}

// TestGCDryRun: a dry run changes nothing (every key and value, the stats,
// fsck) and predicts exactly what the real run does.
func TestGCDryRun(t *testing.T) {
	ctx := context.Background()
	s, want := openGCTest(t, Options{})
	var old []ID
	for i := range 6 {
		old = append(old, mkCk(t, s, want, time.Duration(31+i)*gcDay, gcState("f", "old "+strconv.Itoa(i), "g", "shared"), CheckpointOptions{Session: "s"}))
	}
	mkCk(t, s, want, 40*gcDay, gcState("f", "tagged"), CheckpointOptions{Session: "s", Tags: []string{"t"}})
	mkCk(t, s, want, gcDay, gcState("f", "new", "g", "shared"), CheckpointOptions{Session: "s"})
	// Garbage from a plain delete counts too.
	gone := mkCk(t, s, want, gcDay, gcState("f", "deleted"), CheckpointOptions{Session: "other"})
	mkCk(t, s, want, gcDay, gcState("f", "other head"), CheckpointOptions{Session: "other"})
	if _, err := s.Delete(ctx, "other", gone); err != nil {
		t.Fatal(err)
	}
	delete(want, gone)

	content, stats := storeContent(t, s), s.Stats()
	rep0, err := s.Fsck(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	dry := runGC(t, s, GCOptions{DryRun: true})
	if got := storeContent(t, s); got != content {
		t.Fatalf("dry run changed the store: %s -> %s", content, got)
	}
	if s.Stats() != stats {
		t.Fatalf("dry run changed the stats")
	}
	rep1, err := s.Fsck(ctx, nil)
	if err != nil || fmt.Sprint(rep0) != fmt.Sprint(rep1) {
		t.Fatalf("fsck before %+v, after a dry run %+v (%v)", rep0, rep1, err)
	}
	if len(dry.Plan) != 9 || dry.Deleted != 6 || dry.Kept != 3 {
		t.Fatalf("dry run = %+v", dry)
	}
	for i, d := range dry.Plan {
		if i > 0 && dry.Plan[i-1].Time.Before(d.Time) {
			t.Fatalf("plan not newest first at %d", i)
		}
		if d.Keep != (len(d.Reasons) > 0) || d.Keep == slices.Contains(old, d.ID) {
			t.Fatalf("plan entry %+v", d)
		}
	}
	real := runGC(t, s, GCOptions{})
	if real.Deleted != dry.Deleted || real.Kept != dry.Kept || real.ObjectsFreed != dry.ObjectsFreed ||
		real.BytesFreed != dry.BytesFreed || real.Plan != nil {
		t.Fatalf("dry run predicted %+v, the real run did %+v", dry, real)
	}
	if real.ObjectsFreed != 6*3+3 { // 6 × (checkpoint, tree, blob) + the deleted one's
		t.Fatalf("freed %d objects, want 21", real.ObjectsFreed)
	}
	for _, id := range old {
		delete(want, id)
	}
}

// TestGCAfterDelete: Delete removes checkpoints only from the catalog; the
// next gc frees their objects even when its policy deletes nothing.
func TestGCAfterDelete(t *testing.T) {
	ctx := context.Background()
	s, want := openGCTest(t, Options{})
	a := mkCk(t, s, want, gcDay, gcState("f", "a"), CheckpointOptions{Session: "s"})
	mkCk(t, s, want, gcDay, gcState("f", "b"), CheckpointOptions{Session: "s"})
	if n, err := s.Delete(ctx, "s", a); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	delete(want, a)
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() || rep.Unreferenced != 3 {
		t.Fatalf("fsck after delete: %v %+v, want 3 unreferenced", err, rep)
	}
	res := runGC(t, s, GCOptions{Policy: gc.Policy{KeepWithin: 1000 * gcDay}})
	if res.Deleted != 0 || res.Kept != 1 || res.ObjectsFreed != 3 {
		t.Fatalf("GC = %+v", res)
	}
	if rep, _ := s.Fsck(ctx, nil); rep.Unreferenced != 0 {
		t.Fatalf("%d unreferenced after gc", rep.Unreferenced)
	}
}

// TestGCRevalidates: a checkpoint the plan drops but that gets a tag or
// becomes a branch head before the sweep survives; one deleted meanwhile
// is not counted twice; one created meanwhile survives with its objects.
func TestGCRevalidates(t *testing.T) {
	ctx := context.Background()
	s, want := openGCTest(t, Options{})
	tagged := mkCk(t, s, want, 60*gcDay, gcState("f", "tagged later"), CheckpointOptions{Session: "s"})
	branched := mkCk(t, s, want, 59*gcDay, gcState("f", "branched later"), CheckpointOptions{Session: "s"})
	deleted := mkCk(t, s, want, 58*gcDay, gcState("f", "deleted later"), CheckpointOptions{Session: "s"})
	dropped := mkCk(t, s, want, 57*gcDay, gcState("f", "dropped", "g", "reused later"), CheckpointOptions{Session: "s"})
	mkCk(t, s, want, gcDay, gcState("f", "head"), CheckpointOptions{Session: "s"})
	var late ID
	s.gcHook = func() {
		if err := s.Tag(ctx, "s", tagged, "t"); err != nil {
			t.Error(err)
		}
		if _, err := s.CreateBranch(ctx, "s", "b", branched.String()); err != nil {
			t.Error(err)
		}
		if _, err := s.Delete(ctx, "s", deleted); err != nil {
			t.Error(err)
		}
		// A checkpoint made meanwhile, from the content only a dropped
		// checkpoint has: it must keep that content alive.
		late = mkCk(t, s, want, 0, gcState("g", "reused later"), CheckpointOptions{Session: "late"})
	}
	defer func() { s.gcHook = nil }()
	res := runGC(t, s, GCOptions{Session: "s"})
	if res.Deleted != 1 || res.Kept != 3 {
		t.Fatalf("GC = %+v, want only %s deleted", res, dropped.Short())
	}
	delete(want, deleted)
	delete(want, dropped)
	if !hasObject(t, s, blobID("reused later")) || hasObject(t, s, blobID("dropped")) {
		t.Fatal("wrong objects freed")
	}
	if got, err := s.LoadState(ctx, late); err != nil || string(got["g"]) != "reused later" {
		t.Fatalf("late checkpoint: %q %v", got, err)
	}
}

// TestGCPinned: objects pinned by a checkpoint still being written —
// written or found present, a blob or a whole tree — survive a gc that
// deletes the only checkpoint reaching them (the dedup race), and are
// freed by the first gc after the writer is done.
func TestGCPinned(t *testing.T) {
	ctx := context.Background()
	s, want := openGCTest(t, Options{})
	a := mkCk(t, s, want, 60*gcDay, gcState("x", "blob only a has", "dir/y", "under a's subtree"), CheckpointOptions{Session: "s"})
	mkCk(t, s, want, gcDay, gcState("f", "head"), CheckpointOptions{Session: "s"})
	ck, err := s.r.Checkpoint(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// Writer 1 dedups against a's blob; writer 2 reuses a's root tree (as
	// an editor does with its base, or an import with its stat cache).
	ob1 := s.st.NewObjectBatch()
	if err := ob1.PutWithID(blobID("blob only a has"), pebblestore.KindBlob, []byte("blob only a has")); err != nil {
		t.Fatal(err)
	}
	ob2 := s.st.NewObjectBatch()
	if err := ob2.Reuse(ck.Root); err != nil {
		t.Fatal(err)
	}
	res := runGC(t, s, GCOptions{})
	delete(want, a)
	if res.Deleted != 1 || res.ObjectsFreed != 1 { // only a's checkpoint object
		t.Fatalf("GC with pins = %+v, want deleted=1 objects-freed=1", res)
	}
	for _, id := range []ID{blobID("blob only a has"), ck.Root, blobID("under a's subtree")} {
		if !hasObject(t, s, id) {
			t.Fatalf("pinned object (or one it reaches) %s freed", id.Short())
		}
	}
	if _, err := s.r.Tree(ctx, ck.Root); err != nil {
		t.Fatal(err)
	}
	ob1.Close()
	ob2.Close()
	res = runGC(t, s, GCOptions{})
	if res.ObjectsFreed != 4 { // a's root, dir tree and both blobs
		t.Fatalf("GC after unpinning = %+v, want 4 objects freed", res)
	}
}

// TestGCConcurrentCheckpoints runs gc in a loop while writers create
// checkpoints whose contents come from a small pool (so they keep
// deduplicating against objects that only dropped checkpoints reach), some
// with old parents that gc deletes under them. Then fsck must pass and
// every surviving checkpoint must read back byte for byte. Run with -race.
func TestGCConcurrentCheckpoints(t *testing.T) {
	ctx := context.Background()
	s, _ := openGCTest(t, Options{Durability: Relaxed})
	const writers = 3
	perWriter := 120
	if testing.Short() {
		perWriter = 40
	}
	pool := make([]string, 24)
	for i := range pool {
		pool[i] = fmt.Sprintf("pooled content %d %s", i, strings.Repeat("x", 100*i))
	}
	var (
		mu        sync.Mutex
		want      = map[ID]map[string][]byte{}
		done      atomic.Bool
		created   atomic.Int64
		parentErr atomic.Int64
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			session := "w" + strconv.Itoa(w)
			var made []ID
			for i := range perWriter {
				st := map[string][]byte{"own": []byte(fmt.Sprintf("writer %d checkpoint %d", w, i))}
				for range 1 + rng.IntN(4) {
					st["dir"+strconv.Itoa(rng.IntN(3))+"/p"+strconv.Itoa(rng.IntN(6))] = []byte(pool[rng.IntN(len(pool))])
				}
				o := CheckpointOptions{Session: session, Time: gcNow.Add(-time.Duration(rng.IntN(20)) * gcDay)}
				if rng.IntN(4) == 0 {
					o.Session = "shared"
				}
				if rng.IntN(10) == 0 {
					o.Tags = []string{"t"}
				}
				if len(made) > 0 && rng.IntN(5) == 0 {
					// An old parent: gc may delete it (and free its tree)
					// while this checkpoint is built on it.
					o.Session, o.Parent = session, made[rng.IntN(len(made))]
				}
				res, err := s.CheckpointState(ctx, st, o)
				if err != nil {
					if !o.Parent.IsZero() && errors.Is(err, ErrNotFound) {
						parentErr.Add(1) // the parent was collected first
						continue
					}
					t.Errorf("writer %d: %v", w, err)
					return
				}
				created.Add(1)
				if o.Session == session {
					made = append(made, res.ID)
				}
				mu.Lock()
				want[res.ID] = st
				mu.Unlock()
			}
		}()
	}
	policies := []gc.Policy{{Given: gc.RuleWithin}, {KeepLast: 2}, {KeepWithin: 7 * gcDay}, {KeepDaily: 1}}
	rounds, deleted, freed := 0, 0, 0
	var gcErr error
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for !done.Load() {
			res, err := s.GC(ctx, GCOptions{Policy: policies[rounds%len(policies)]})
			if err != nil {
				gcErr = err
				return
			}
			rounds++
			deleted += res.Deleted
			freed += res.ObjectsFreed
		}
	}()
	wg.Wait()
	done.Store(true)
	<-gcDone
	if gcErr != nil {
		t.Fatalf("gc: %v", gcErr)
	}
	t.Logf("%d checkpoints created (%d parents collected first), %d gc rounds deleted %d checkpoints and freed %d objects",
		created.Load(), parentErr.Load(), rounds, deleted, freed)
	if rounds < 3 || deleted == 0 {
		t.Fatalf("only %d gc rounds deleting %d checkpoints: the test did not exercise gc", rounds, deleted)
	}
	checkGCStore(t, s, want)
	// A final gc with nothing in flight leaves no garbage.
	runGC(t, s, GCOptions{Policy: gc.Policy{KeepLast: 1}})
	rep, err := s.Fsck(ctx, nil)
	if err != nil || !rep.OK() || rep.Unreferenced != 0 {
		t.Fatalf("fsck after the final gc: %v %+v", err, rep)
	}
	checkGCStore(t, s, want)
}

// storeSize sums the sizes of the files under dir.
func storeSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking (obsolete files)
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGCSpaceReturns: gc of large, unique (incompressible) files gives the
// disk space back at once.
func TestGCSpaceReturns(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Now: func() time.Time { return gcNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[ID]map[string][]byte{}
	const files, size = 8, 3 << 20
	rng := rand.NewChaCha8([32]byte{1, 2})
	var keep []ID
	for i := range files {
		b := make([]byte, size)
		rng.Read(b)
		age := 60 * gcDay
		if i >= files-2 {
			age = gcDay
		}
		id := mkCk(t, s, want, age, map[string][]byte{"big.bin": b}, CheckpointOptions{Session: "s"})
		if i >= files-2 {
			keep = append(keep, id)
		}
	}
	if err := s.st.DB().Flush(); err != nil {
		t.Fatal(err)
	}
	before, storedBefore := storeSize(t, dir), s.Stats().StoredBytes
	res := runGC(t, s, GCOptions{})
	after := storeSize(t, dir)
	for i := 0; i < 50 && after > before-int64(files-4)*size; i++ {
		time.Sleep(100 * time.Millisecond) // obsolete files go asynchronously
		after = storeSize(t, dir)
	}
	t.Logf("store %.1f MiB (%.1f MiB of objects) -> %.1f MiB (%.1f MiB) after freeing %d objects, %.1f MiB",
		float64(before)/(1<<20), float64(storedBefore)/(1<<20), float64(after)/(1<<20),
		float64(s.Stats().StoredBytes)/(1<<20), res.ObjectsFreed, float64(res.BytesFreed)/(1<<20))
	if res.Deleted != files-2 || res.BytesFreed < int64(files-2)*size {
		t.Fatalf("GC = %+v", res)
	}
	if after > before-int64(files-4)*size {
		t.Fatalf("the store takes %d bytes after gc, %d before: space did not return", after, before)
	}
	for id := range want {
		if !slices.Contains(keep, id) {
			delete(want, id)
		}
	}
	checkGCStore(t, s, want)
}

// TestRunAutoGC: the loop runs gc on its interval and stops with ctx.
func TestRunAutoGC(t *testing.T) {
	s, want := openGCTest(t, Options{})
	old := mkCk(t, s, want, 60*gcDay, gcState("f", "old"), CheckpointOptions{Session: "s"})
	mkCk(t, s, want, gcDay, gcState("f", "new"), CheckpointOptions{Session: "s"})
	delete(want, old)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var logs []string
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.RunAutoGC(ctx, 5*time.Millisecond, GCOptions{Policy: gc.Policy{KeepLast: 1}}, func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			n := len(logs)
			mu.Unlock()
			if n == 2 {
				cancel()
			}
		})
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("RunAutoGC did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) < 2 || !strings.Contains(logs[0], "deleted=1 kept=1 objects-freed=3") ||
		!strings.Contains(logs[1], "deleted=0 kept=1 objects-freed=0") {
		t.Fatalf("logs %q", logs)
	}
	s.RunAutoGC(context.Background(), 0, GCOptions{}, nil) // off: returns at once
}

// TestGCCrash kills (SIGKILL) a child process that runs gc in a loop while
// it creates checkpoints, and checks after each kill that the store opens,
// passes fsck and that every checkpoint reads back whole and right.
func TestGCCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGCHelperProcess$")
		cmd.Env = append(os.Environ(), "CKPTFS_GC_HELPER_STORE="+dir, "CKPTFS_GC_HELPER_ROUND="+strconv.Itoa(round))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		ctx := context.Background()
		rep, err := s.Fsck(ctx, nil)
		if err != nil || !rep.OK() {
			s.Close()
			t.Fatalf("round %d: fsck: %v %v", round, err, rep.Faults)
		}
		list, err := s.List(ctx, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			st, err := s.LoadState(ctx, c.ID)
			if err != nil {
				t.Fatalf("round %d: load %s: %v", round, c.ID.Short(), err)
			}
			if err := verifyGCHelperState(st); err != nil {
				t.Fatalf("round %d: checkpoint %s: %v", round, c.ID.Short(), err)
			}
		}
		t.Logf("round %d: %d checkpoints, %d objects (%d unreferenced) after the kill", round, len(list), rep.Objects, rep.Unreferenced)
		s.Close()
	}
}

// gcHelperState is checkpoint k of the crash helper: files from a pool
// (shared between checkpoints) and a sum over all of them.
func gcHelperState(k int) map[string][]byte {
	st := map[string][]byte{}
	for j := range 8 {
		v := (k*7 + j*13) % 40
		st["d"+strconv.Itoa(j%3)+"/f"+strconv.Itoa(j)] = bytes.Repeat([]byte("pool "+strconv.Itoa(v)+" "), 50+v)
	}
	st["unique"] = []byte("checkpoint " + strconv.Itoa(k))
	st["sum"] = []byte(gcStateSum(st))
	return st
}

func gcStateSum(st map[string][]byte) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(st)) {
		if k != "sum" {
			fmt.Fprintf(h, "%s=%x;", k, st[k])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func verifyGCHelperState(st map[string][]byte) error {
	if len(st) != 10 || string(st["sum"]) != gcStateSum(st) {
		return fmt.Errorf("reads back wrong: %d files, sum %q", len(st), st["sum"])
	}
	return nil
}

// TestGCHelperProcess runs in the child of TestGCCrash: two writers and a
// gc loop, until killed.
func TestGCHelperProcess(t *testing.T) {
	dir := os.Getenv("CKPTFS_GC_HELPER_STORE")
	if dir == "" {
		t.Skip("helper process of TestGCCrash")
	}
	round, _ := strconv.Atoi(os.Getenv("CKPTFS_GC_HELPER_ROUND"))
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	for w := range 2 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			for i := 0; ; i++ {
				k := round*100000 + w*50000 + i
				_, err := s.CheckpointState(ctx, gcHelperState(k), CheckpointOptions{
					Session: "h" + strconv.Itoa(rng.IntN(3)), Time: time.Now().Add(-time.Duration(rng.IntN(10)) * gcDay)})
				if err != nil {
					fmt.Fprintln(os.Stderr, "helper: checkpoint:", err)
					os.Exit(3)
				}
			}
		}()
	}
	for {
		if _, err := s.GC(ctx, GCOptions{Policy: gc.Policy{KeepLast: 3}}); err != nil {
			fmt.Fprintln(os.Stderr, "helper: gc:", err)
			os.Exit(3)
		}
	}
}

// TestGCOnFullDisk fills a small tmpfs with checkpoints until the store
// refuses more (ErrNoSpace), then runs gc: the disk is full exactly when
// users need gc, so it must work there and give the space back. Needs root
// (mount(2)).
func TestGCOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=120m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	ctx := context.Background()
	s, err := Open(filepath.Join(mnt, "store"), Options{Now: func() time.Time { return gcNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.NewChaCha8([32]byte{5, 6})
	made := 0
	for i := 0; ; i++ {
		b := make([]byte, 4<<20)
		rng.Read(b)
		_, err := s.CheckpointState(ctx, map[string][]byte{"big": b}, CheckpointOptions{Session: "s", Time: gcNow.Add(-time.Duration(100-i) * gcDay)})
		if errors.Is(err, ErrNoSpace) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		made++
	}
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	freeBefore := int64(st.Bavail) * st.Bsize
	res, err := s.GC(ctx, GCOptions{Policy: gc.Policy{KeepLast: 1}})
	if err != nil {
		t.Fatalf("gc on a full disk (%d checkpoints, %d bytes free): %v", made, freeBefore, err)
	}
	syscall.Statfs(mnt, &st)
	t.Logf("%d checkpoints filled the disk; gc freed %d objects, %.1f MiB; free space %.1f -> %.1f MiB",
		made, res.ObjectsFreed, float64(res.BytesFreed)/(1<<20), float64(freeBefore)/(1<<20), float64(int64(st.Bavail)*st.Bsize)/(1<<20))
	if res.Deleted != made-1 {
		t.Fatalf("GC = %+v", res)
	}
	if _, err := s.CheckpointState(ctx, map[string][]byte{"after": []byte("gc")}, CheckpointOptions{Session: "s"}); err != nil {
		t.Fatalf("checkpoint after gc: %v", err)
	}
	checkGCStore(t, s, nil)
}

// copyPebbleDir copies the regular files of src (one level: a Pebble directory)
// into dst.
func copyPebbleDir(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkGCAggressive is gc/aggressive as a Go benchmark: the seed's
// 1,000 checkpoints aged 1–90 days (built once, copied fresh for every
// iteration), one synced GC keeping 7 days. Reports deletions/s.
func BenchmarkGCAggressive(b *testing.B) {
	ctx := context.Background()
	tmpl := filepath.Join(b.TempDir(), "tmpl")
	s, err := Open(tmpl, Options{Durability: Relaxed})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, it := range benchgen.GCItems(1, 1000) {
		if _, err := s.CheckpointState(ctx, it.State, CheckpointOptions{Session: it.Session, Time: now.Add(-it.Age)}); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	var deleted int
	var spent time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), strconv.Itoa(i))
		copyPebbleDir(b, tmpl, dir)
		s, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		res, err := s.GC(ctx, GCOptions{Policy: gc.Policy{KeepWithin: 7 * gcDay}})
		spent += time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		deleted += res.Deleted
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(deleted)/spent.Seconds(), "deletions/s")
}
