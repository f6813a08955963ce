package pebblestore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ckptfs/ckptfs/internal/wire"
)

// ObjectCheck is the result of CheckObjects.
type ObjectCheck struct {
	// Objects maps every object that verified to its index entry.
	Objects map[ID]ObjectInfo
	Faults  []string
	// Totals recounted from the index, to compare with Stats.
	Recount Stats
}

// CheckObjects reads every stored object, re-hashes it and cross-checks it
// with its index entry. progress (may be nil) is called with the number of
// objects checked so far.
func (s *Store) CheckObjects(ctx context.Context, progress func(n uint64)) (ObjectCheck, error) {
	res := ObjectCheck{Objects: map[ID]ObjectInfo{}}
	index := map[ID]objInfo{}
	err := s.scan(ctx, []byte(pfxObjIndex), func(k, v []byte) error {
		id := idFromKeyTail(k)
		o, err := decodeObjInfo(v)
		if err != nil || len(k) != len(pfxObjIndex)+IDSize {
			res.Faults = append(res.Faults, fmt.Sprintf("object %s: bad index entry", id))
			return nil
		}
		index[id] = o
		return nil
	})
	if err != nil {
		return res, err
	}
	var n uint64
	err = s.scan(ctx, []byte(pfxObject), func(k, v []byte) error {
		id := idFromKeyTail(k)
		n++
		if progress != nil && n%256 == 0 {
			progress(n)
		}
		kind, raw, err := s.codec.decode(id, v)
		if err != nil {
			res.Faults = append(res.Faults, err.Error())
			return nil
		}
		o, ok := index[id]
		switch {
		case !ok:
			res.Faults = append(res.Faults, fmt.Sprintf("object %s: not in the object index", id))
			return nil
		case o.Kind != kind || o.Raw != uint64(len(raw)) || o.Stored != uint64(len(v)):
			res.Faults = append(res.Faults, fmt.Sprintf("object %s: index entry disagrees with the object", id))
		}
		delete(index, id)
		res.Objects[id] = ObjectInfo{ID: id, Kind: kind, Raw: uint64(len(raw)), Stored: uint64(len(v))}
		res.Recount.Objects++
		res.Recount.RawBytes += uint64(len(raw))
		res.Recount.StoredBytes += uint64(len(v))
		return nil
	})
	if progress != nil {
		progress(n)
	}
	for id := range index {
		res.Faults = append(res.Faults, fmt.Sprintf("object %s: indexed but missing", id))
	}
	return res, err
}

// CheckCatalog cross-checks the catalog indexes with the checkpoint
// records and returns every record found (all sessions) with the faults.
func (s *Store) CheckCatalog(ctx context.Context) ([]CheckpointRecord, []string, error) {
	var recs []CheckpointRecord
	var faults []string
	fault := func(format string, args ...any) { faults = append(faults, fmt.Sprintf(format, args...)) }
	sessions, err := s.Sessions(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[ID]string{}
	for _, si := range sessions {
		p := checkpointPrefix(si.Name)
		err := s.scan(ctx, p, func(k, v []byte) error {
			if len(k) != len(p)+IDSize {
				fault("session %q: malformed checkpoint key", si.Name)
				return nil
			}
			id := idFromKeyTail(k)
			rec, err := decodeRecord(si.Name, id, v)
			if err != nil {
				fault("%v", err)
				return nil
			}
			recs = append(recs, rec)
			byID[id] = si.Name
			withSession := append(wire.AppendString(nil, si.Name), v...)
			want := map[string][]byte{
				string(sessTimeKey(si.Name, rec.Time, id)):              v,
				string(timeKey(rec.Time, id)):                           withSession,
				string(idIndexKey(id)):                                  []byte(si.Name),
				string(branchLogKey(si.Name, rec.Branch, rec.Time, id)): v,
			}
			for _, t := range rec.Tags {
				want[string(tagKey(si.Name, t, rec.Time, id))] = v
				want[string(tagAllKey(t, rec.Time, id))] = withSession
			}
			for key, val := range want {
				got, err := s.getValue([]byte(key))
				if err != nil || !bytes.Equal(got, val) {
					fault("checkpoint %s: index entry %q missing or stale", id, key[:2])
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		branches, err := s.Branches(ctx, si.Name)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range branches {
			if byID[b.Head] != si.Name {
				fault("session %q: branch %q points at missing checkpoint %s", si.Name, b.Name, b.Head)
			}
		}
	}
	// Dangling entries in the store-wide indexes.
	err = s.scan(ctx, []byte(pfxIDIndex), func(k, v []byte) error {
		id := idFromKeyTail(k)
		if byID[id] != string(v) {
			fault("id index: %s points at session %q without a record", id, v)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = s.scan(ctx, []byte(pfxTime), func(k, v []byte) error {
		id := idFromKeyTail(k)
		rd := wire.NewReader(v)
		if byID[id] != rd.String() {
			fault("time index: dangling entry for %s", id)
		}
		return nil
	})
	return recs, faults, err
}

// CheckStats compares the running totals with a recount.
func (s *Store) CheckStats(recount Stats) []string {
	cur := s.Stats()
	var faults []string
	if cur.Objects != recount.Objects || cur.RawBytes != recount.RawBytes || cur.StoredBytes != recount.StoredBytes ||
		cur.Checkpoints != recount.Checkpoints || cur.Sessions != recount.Sessions || cur.LogicalBytes != recount.LogicalBytes {
		faults = append(faults, fmt.Sprintf("stats drift: recorded %+v, counted %+v", cur, recount))
	}
	return faults
}
