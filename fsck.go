package ckptfs

import (
	"context"
	"fmt"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// FsckReport is the result of Fsck.
type FsckReport struct {
	Objects     uint64   `json:"objects"`
	Checkpoints uint64   `json:"checkpoints"`
	Trees       uint64   `json:"trees"`
	RawBytes    uint64   `json:"raw_bytes"`
	Faults      []string `json:"faults"`
	// Unreferenced counts objects no checkpoint reaches (garbage for gc,
	// not a fault: a crash or a delete leaves them).
	Unreferenced uint64 `json:"unreferenced"`
}

// OK reports whether fsck found no fault.
func (r *FsckReport) OK() bool { return len(r.Faults) == 0 }

// Fsck re-hashes every object, checks every reference from every
// checkpoint (objects exist, have the right kind and size, trees decode),
// cross-checks the catalog indexes and the running totals. progress (may
// be nil) receives the number of objects verified.
func (s *Store) Fsck(ctx context.Context, progress func(n uint64)) (FsckReport, error) {
	var rep FsckReport
	oc, err := s.st.CheckObjects(ctx, progress)
	if err != nil {
		return rep, err
	}
	rep.Faults = append(rep.Faults, oc.Faults...)
	rep.Objects, rep.RawBytes = oc.Recount.Objects, oc.Recount.RawBytes
	recs, faults, err := s.st.CheckCatalog(ctx)
	if err != nil {
		return rep, err
	}
	rep.Faults = append(rep.Faults, faults...)
	rep.Checkpoints = uint64(len(recs))
	reached := map[ID]bool{}
	sessions := map[string]bool{}
	recount := oc.Recount
	for _, rec := range recs {
		sessions[rec.Session] = true
		recount.Checkpoints++
		recount.LogicalBytes += rec.Bytes
		rep.Faults = append(rep.Faults, s.checkCheckpoint(ctx, rec, oc.Objects, reached)...)
	}
	all, err := s.st.Sessions(ctx)
	if err != nil {
		return rep, err
	}
	recount.Sessions = uint64(len(all))
	rep.Faults = append(rep.Faults, s.st.CheckStats(recount)...)
	for id := range oc.Objects {
		if !reached[id] {
			rep.Unreferenced++
		}
	}
	for id := range reached {
		if oc.Objects[id].Kind == pebblestore.KindTree {
			rep.Trees++
		}
	}
	return rep, ctx.Err()
}

func (s *Store) checkCheckpoint(ctx context.Context, rec pebblestore.CheckpointRecord, objs map[ID]pebblestore.ObjectInfo, reached map[ID]bool) []string {
	var faults []string
	fault := func(format string, args ...any) {
		faults = append(faults, fmt.Sprintf("checkpoint %s: ", rec.ID)+fmt.Sprintf(format, args...))
	}
	reached[rec.ID] = true
	if o, ok := objs[rec.ID]; !ok || o.Kind != pebblestore.KindCheckpoint {
		fault("object missing or corrupt")
		return faults
	}
	ck, err := s.r.Checkpoint(ctx, rec.ID)
	if err != nil {
		fault("%v", err)
		return faults
	}
	if ck.Session != rec.Session || ck.Branch != rec.Branch || !ck.Time.Equal(rec.Time) {
		fault("record disagrees with the object")
	}
	if o, ok := objs[ck.Root]; !ok || o.Kind != pebblestore.KindTree {
		fault("root tree %s missing", ck.Root)
		return faults
	}
	faults = append(faults, s.checkTree(ctx, ck.Root, rec.ID, objs, reached)...)
	return faults
}

func (s *Store) checkTree(ctx context.Context, id, ckID ID, objs map[ID]pebblestore.ObjectInfo, reached map[ID]bool) []string {
	if reached[id] {
		return nil
	}
	reached[id] = true
	t, err := s.r.Tree(ctx, id)
	if err != nil {
		return []string{fmt.Sprintf("checkpoint %s: tree %s: %v", ckID, id, err)}
	}
	var faults []string
	for i := range t.Entries {
		e := &t.Entries[i]
		switch e.Type {
		case tree.TypeDir:
			if o, ok := objs[e.Tree]; !ok || o.Kind != pebblestore.KindTree {
				faults = append(faults, fmt.Sprintf("checkpoint %s: %s: tree %s missing", ckID, e.Name, e.Tree))
				continue
			}
			faults = append(faults, s.checkTree(ctx, e.Tree, ckID, objs, reached)...)
		case tree.TypeFile:
			for _, c := range e.Chunks {
				reached[c.ID] = true
				if o, ok := objs[c.ID]; !ok || o.Kind != pebblestore.KindBlob || o.Raw != c.Size {
					faults = append(faults, fmt.Sprintf("checkpoint %s: %s: chunk %s missing or wrong size", ckID, e.Name, c.ID))
				}
			}
		}
	}
	return faults
}
