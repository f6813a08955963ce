package pebblestore

import (
	"fmt"
	"time"

	"github.com/ckptfs/ckptfs/internal/wire"
)

// recordFormat versions the encoding of CheckpointRecord values.
const recordFormat = 1

// CheckpointRecord is the index entry of one checkpoint: what listings need
// without reading the checkpoint object. Tags live here (and in the tag
// indexes), not in the immutable checkpoint object, because they change.
type CheckpointRecord struct {
	ID      ID
	Session string
	Branch  string
	Time    time.Time
	Message string
	Parents []ID
	Tags    []string
	// Bytes is the logical size of the checkpoint's regular files.
	Bytes uint64
}

func (r *CheckpointRecord) encode() []byte {
	b := []byte{recordFormat}
	b = wire.AppendVarint(b, r.Time.UnixNano())
	b = wire.AppendString(b, r.Branch)
	b = wire.AppendString(b, r.Message)
	b = wire.AppendUvarint(b, uint64(len(r.Parents)))
	for _, p := range r.Parents {
		b = append(b, p[:]...)
	}
	b = wire.AppendUvarint(b, uint64(len(r.Tags)))
	for _, t := range r.Tags {
		b = wire.AppendString(b, t)
	}
	b = wire.AppendUvarint(b, r.Bytes)
	return b
}

func decodeRecord(session string, id ID, v []byte) (CheckpointRecord, error) {
	r := CheckpointRecord{ID: id, Session: session}
	rd := wire.NewReader(v)
	if f := rd.Byte(); f != recordFormat {
		if rd.Err() == nil && f > recordFormat {
			return r, fmt.Errorf("%w: checkpoint record %s has format %d", ErrFormatVersion, id, f)
		}
		return r, fmt.Errorf("%w: checkpoint record %s: bad format byte", ErrCorrupt, id)
	}
	r.Time = time.Unix(0, rd.Varint()).UTC()
	r.Branch = rd.String()
	r.Message = rd.String()
	if n := rd.Count(IDSize); n > 0 {
		r.Parents = make([]ID, n)
		for i := range r.Parents {
			copy(r.Parents[i][:], rd.Bytes(IDSize))
		}
	}
	if n := rd.Count(1); n > 0 {
		r.Tags = make([]string, n)
		for i := range r.Tags {
			r.Tags[i] = rd.String()
		}
	}
	r.Bytes = rd.Uvarint()
	if err := rd.Done(); err != nil {
		return r, fmt.Errorf("%w: checkpoint record %s: %v", ErrCorrupt, id, err)
	}
	return r, nil
}

// Stats are the store-wide running totals behind stats.json.
type Stats struct {
	Sessions    uint64 `json:"sessions"`
	Checkpoints uint64 `json:"checkpoints"`
	Objects     uint64 `json:"objects"`
	// RawBytes is the uncompressed size of every stored object.
	RawBytes uint64 `json:"raw_bytes"`
	// StoredBytes is the size of every stored object as written.
	StoredBytes uint64 `json:"stored_bytes"`
	// LogicalBytes is the sum of the file bytes of every checkpoint.
	LogicalBytes uint64 `json:"logical_bytes"`
}

func (s *Stats) encode() []byte {
	b := []byte{recordFormat}
	for _, v := range []uint64{s.Sessions, s.Checkpoints, s.Objects, s.RawBytes, s.StoredBytes, s.LogicalBytes} {
		b = wire.AppendUvarint(b, v)
	}
	return b
}

func decodeStats(v []byte) (Stats, error) {
	var s Stats
	rd := wire.NewReader(v)
	if rd.Byte() != recordFormat {
		return s, fmt.Errorf("%w: stats record: bad format byte", ErrCorrupt)
	}
	for _, p := range []*uint64{&s.Sessions, &s.Checkpoints, &s.Objects, &s.RawBytes, &s.StoredBytes, &s.LogicalBytes} {
		*p = rd.Uvarint()
	}
	if err := rd.Done(); err != nil {
		return s, fmt.Errorf("%w: stats record: %v", ErrCorrupt, err)
	}
	return s, nil
}

// objInfo is the value of an x/<id> key.
type objInfo struct {
	Kind   Kind
	Raw    uint64
	Stored uint64
}

func (o objInfo) encode() []byte {
	b := []byte{byte(o.Kind)}
	b = wire.AppendUvarint(b, o.Raw)
	return wire.AppendUvarint(b, o.Stored)
}

func decodeObjInfo(v []byte) (objInfo, error) {
	rd := wire.NewReader(v)
	o := objInfo{Kind: Kind(rd.Byte()), Raw: rd.Uvarint(), Stored: rd.Uvarint()}
	if err := rd.Done(); err != nil || !o.Kind.Valid() {
		return o, fmt.Errorf("%w: object index entry", ErrCorrupt)
	}
	return o, nil
}
