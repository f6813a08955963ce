package ckptfs

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ckptfs/ckptfs/gc"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// GCOptions configure GC.
type GCOptions struct {
	// Policy decides which checkpoints survive (SPEC §8); the zero Policy
	// is the default: branch heads, tagged checkpoints and checkpoints
	// younger than 30 days.
	Policy gc.Policy
	// Session restricts retention to one session ("" = every session).
	// Objects are shared across sessions, so collection always considers
	// the whole store.
	Session string
	// DryRun computes the plan and what it would free, and changes nothing.
	DryRun bool
	// Progress, if not nil, is called as the work advances: stage "plan",
	// "mark", "sweep" or "compact", with done out of total (0: unknown).
	Progress func(stage string, done, total int)
}

// GCResult is the outcome of GC.
type GCResult struct {
	// Deleted counts the checkpoints removed; Kept those that remain in
	// the sessions considered.
	Deleted, Kept int
	// ObjectsFreed and BytesFreed (stored, i.e. compressed, bytes) count
	// the objects swept: those of the deleted checkpoints that nothing else
	// reaches, and any garbage left by earlier deletes or failed writes.
	ObjectsFreed int
	BytesFreed   int64
	// Plan is filled on DryRun: every checkpoint considered, newest first,
	// with Keep and the reasons it is kept.
	Plan []gc.Decision
}

// GC applies the retention policy, deletes the checkpoints it drops, frees
// every object that no remaining checkpoint reaches and compacts the
// freed key ranges so that the disk space returns (SPEC §8). It is safe
// while checkpoints are being created; GC runs on one store are
// serialised. See docs/GC.md.
func (s *Store) GC(ctx context.Context, o GCOptions) (GCResult, error) {
	if err := o.Policy.Validate(); err != nil {
		return GCResult{}, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if o.Session != "" {
		if err := s.requireSession(o.Session); err != nil {
			return GCResult{}, err
		}
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	p, err := s.planGC(ctx, o)
	if err != nil {
		return GCResult{}, err
	}
	if o.DryRun {
		return p.dryRun(ctx)
	}
	if s.gcHook != nil {
		s.gcHook()
	}
	return p.execute(ctx)
}

// gcPlan is the retention decision and the marks of what it keeps.
type gcPlan struct {
	s    *Store
	o    GCOptions
	keep []gc.Decision
	drop []gc.Decision
	col  *gc.Collector
}

func (o *GCOptions) report(stage string, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// planGC lists the catalog, applies the policy to the sessions considered
// and marks everything the surviving checkpoints (of every session) reach.
func (s *Store) planGC(ctx context.Context, o GCOptions) (*gcPlan, error) {
	var recs []pebblestore.CheckpointRecord
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		recs = recs[:0]
		err = s.st.List(ctx, ListOptions{}, func(r pebblestore.CheckpointRecord) error {
			recs = append(recs, r)
			if len(recs)%1024 == 0 {
				o.report("plan", len(recs), 0)
			}
			return nil
		})
		if !isNotFound(err) {
			break // a checkpoint deleted while listed fails List: list again
		}
	}
	if err != nil {
		return nil, err
	}
	o.report("plan", len(recs), len(recs))
	heads := map[ID]bool{}
	var sessions []string
	if o.Session != "" {
		sessions = []string{o.Session}
	} else if sessions, err = s.Sessions(ctx); err != nil {
		return nil, err
	}
	for _, sess := range sessions {
		bs, err := s.st.Branches(ctx, sess)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			heads[b.Head] = true
		}
	}
	var cands []gc.Candidate
	for _, r := range recs {
		if o.Session == "" || r.Session == o.Session {
			cands = append(cands, gc.Candidate{ID: r.ID, Session: r.Session, Time: r.Time,
				Tagged: len(r.Tags) > 0, Head: heads[r.ID]})
		}
	}
	p := &gcPlan{s: s, o: o, col: gc.NewCollector(s.st)}
	p.keep, p.drop = gc.ApplyPolicy(cands, o.Policy, s.now())
	dropped := make(map[ID]bool, len(p.drop))
	for _, d := range p.drop {
		dropped[d.ID] = true
	}
	live := make([]ID, 0, len(recs)-len(p.drop))
	for _, r := range recs {
		if !dropped[r.ID] {
			live = append(live, r.ID)
		}
	}
	p.col.SetProgress(o.Progress)
	if err := p.col.MarkCheckpoints(ctx, live); err != nil {
		return nil, err
	}
	return p, nil
}

// dryRun reports the plan and what a sweep would free now.
func (p *gcPlan) dryRun(ctx context.Context) (GCResult, error) {
	f, err := p.col.Garbage(ctx)
	if err != nil {
		return GCResult{}, err
	}
	plan := slices.Concat(p.keep, p.drop)
	slices.SortStableFunc(plan, func(a, b gc.Decision) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	return GCResult{Deleted: len(p.drop), Kept: len(p.keep), ObjectsFreed: f.Objects,
		BytesFreed: f.StoredBytes, Plan: plan}, nil
}

// execute deletes the dropped checkpoints and sweeps in one atomic batch
// under the commit lock, then compacts what was freed.
func (p *gcPlan) execute(ctx context.Context) (GCResult, error) {
	var (
		sw      *gc.Sweep
		gone    map[string][]ID
		n, kept int
	)
	err := p.s.st.Update(ctx, func(tx *pebblestore.Tx) error {
		var err error
		gone, n, kept, err = p.revalidate(ctx)
		if err != nil {
			return err
		}
		deleted := make(map[ID]struct{}, n)
		for sess, ids := range gone {
			var k int
			if err := deleteInTx(ctx, tx, sess, ids, &k); err != nil {
				return err
			}
			for _, id := range ids {
				deleted[id] = struct{}{}
			}
		}
		sw, err = p.col.Sweep(ctx, tx, deleted)
		return err
	})
	if err != nil {
		return GCResult{}, err
	}
	for sess, ids := range gone {
		p.s.notify(Event{Kind: CheckpointsDeleted, Session: sess, IDs: ids})
	}
	res := GCResult{Deleted: n, Kept: len(p.keep) + kept,
		ObjectsFreed: sw.Objects, BytesFreed: sw.StoredBytes}
	if sw.StoredBytes >= gc.ReclaimMin {
		p.o.report("compact", 0, 1)
		if err := gc.Reclaim(ctx, p.s.st.DB(), sw); err != nil {
			return res, err
		}
		p.o.report("compact", 1, 1)
	}
	return res, nil
}

// revalidate re-reads, under the commit lock, each checkpoint the plan
// drops: one deleted meanwhile is skipped, and one that became a branch
// head or got a tag (with keep-tagged) since the plan is kept. It returns
// the checkpoints to delete by session, their number and the number of
// those kept after all. It runs before
// the transaction writes anything, so it reads the store directly (the
// same view, without the cost of reading through the indexed batch).
func (p *gcPlan) revalidate(ctx context.Context) (gone map[string][]ID, n, kept int, err error) {
	bySession := map[string][]ID{}
	for _, d := range p.drop {
		bySession[d.Session] = append(bySession[d.Session], d.ID)
	}
	gone = map[string][]ID{}
	for sess, ids := range bySession {
		branches, err := p.s.st.Branches(ctx, sess)
		if err != nil {
			return nil, 0, 0, err
		}
		heads := make(map[ID]bool, len(branches))
		for _, b := range branches {
			heads[b.Head] = true
		}
		for _, id := range ids {
			rec, err := p.s.st.Record(sess, id)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return nil, 0, 0, err
			}
			if heads[id] || (len(rec.Tags) > 0 && !p.o.Policy.DropTagged) {
				kept++
				continue
			}
			gone[sess] = append(gone[sess], id)
			n++
		}
	}
	return gone, n, kept, nil
}

// RunAutoGC runs GC with opts every interval until ctx is done: the
// automatic policy of a long-running mount (`ckptfs mount --gc-every 1h
// --keep-last 100 --keep-within 30d`). every <= 0 disables it (returns at
// once). Each run's result or error goes to logf (nil: discarded); an
// error does not stop the loop. Cancel ctx before closing the store.
func (s *Store) RunAutoGC(ctx context.Context, every time.Duration, opts GCOptions, logf func(format string, args ...any)) {
	if every <= 0 {
		return
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		res, err := s.GC(ctx, opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			logf("gc (%s): %v", opts.Policy, err)
			continue
		}
		logf("gc (%s): deleted=%d kept=%d objects-freed=%d bytes-freed=%d in %s",
			opts.Policy, res.Deleted, res.Kept, res.ObjectsFreed, res.BytesFreed, time.Since(start).Round(time.Millisecond))
	}
}
