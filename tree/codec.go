package tree

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/ckptfs/ckptfs/internal/wire"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// EncodeTree returns the canonical encoding of t. It fails on invalid or
// unsorted names and inconsistent entries, so no invalid tree is stored.
//
//	tree  = uvarint(n) entry*n
//	entry = string(name) byte(type) uvarint(mode) varint(mtime)
//	        file:    uvarint(size) uvarint(k) (id[32] uvarint(chunk size))*k
//	        dir:     id[32] uvarint(files) uvarint(dirs) uvarint(bytes)
//	        symlink: string(target)
func EncodeTree(t *Tree) ([]byte, error) {
	b := make([]byte, 0, 16+len(t.Entries)*64)
	b = wire.AppendUvarint(b, uint64(len(t.Entries)))
	for i := range t.Entries {
		e := &t.Entries[i]
		if err := ValidName(e.Name); err != nil {
			return nil, err
		}
		if i > 0 && t.Entries[i-1].Name >= e.Name {
			return nil, fmt.Errorf("%w: %q after %q", ErrUnsorted, e.Name, t.Entries[i-1].Name)
		}
		if err := checkEntry(e); err != nil {
			return nil, err
		}
		b = appendEntry(b, e)
	}
	return b, nil
}

func appendEntry(b []byte, e *Entry) []byte {
	b = wire.AppendString(b, e.Name)
	b = append(b, byte(e.Type))
	b = wire.AppendUvarint(b, uint64(e.Mode))
	b = wire.AppendVarint(b, e.ModTime)
	switch e.Type {
	case TypeFile:
		b = wire.AppendUvarint(b, e.Size)
		b = wire.AppendUvarint(b, uint64(len(e.Chunks)))
		for _, c := range e.Chunks {
			b = append(b, c.ID[:]...)
			b = wire.AppendUvarint(b, c.Size)
		}
	case TypeDir:
		b = append(b, e.Tree[:]...)
		b = wire.AppendUvarint(b, e.Sub.Files)
		b = wire.AppendUvarint(b, e.Sub.Dirs)
		b = wire.AppendUvarint(b, e.Sub.Bytes)
	case TypeSymlink:
		b = wire.AppendString(b, e.Target)
	}
	return b
}

func checkEntry(e *Entry) error {
	if e.Mode&^0o7777 != 0 {
		return fmt.Errorf("%w: %q: mode %o has bits beyond 07777", ErrMalformed, e.Name, e.Mode)
	}
	switch e.Type {
	case TypeFile:
		var sum uint64
		for _, c := range e.Chunks {
			if c.Size == 0 {
				return fmt.Errorf("%w: %q: empty chunk", ErrMalformed, e.Name)
			}
			sum += c.Size
		}
		if sum != e.Size {
			return fmt.Errorf("%w: %q: chunks hold %d bytes, size is %d", ErrMalformed, e.Name, sum, e.Size)
		}
	case TypeDir:
		if e.Size != 0 {
			return fmt.Errorf("%w: %q: directory with a size", ErrMalformed, e.Name)
		}
	case TypeSymlink:
		if e.Target == "" || e.Size != uint64(len(e.Target)) {
			return fmt.Errorf("%w: %q: bad symlink", ErrMalformed, e.Name)
		}
	default:
		return fmt.Errorf("%w: %q: unknown type %d", ErrMalformed, e.Name, e.Type)
	}
	return nil
}

// DecodeTree decodes and validates a tree encoding.
func DecodeTree(b []byte) (*Tree, error) { return decodeTree(b, false) }

// decodeTree is DecodeTree; keep also records b and the offsets of the
// entries in it for encodeEdited (b must then stay unmodified).
func decodeTree(b []byte, keep bool) (*Tree, error) {
	r := wire.NewReader(b)
	n := r.Count(4)
	t := &Tree{Entries: make([]Entry, n)}
	keep = keep && len(b) <= math.MaxUint32
	if keep {
		t.offs = make([]uint32, n+1)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		if keep {
			t.offs[i] = uint32(len(b) - r.Len())
		}
		e := &t.Entries[i]
		e.Name = r.String()
		e.Type = Type(r.Byte())
		mode := r.Uvarint()
		e.Mode = uint32(mode)
		if mode > 0o7777 {
			e.Mode = 0o10000 // rejected by checkEntry
		}
		e.ModTime = r.Varint()
		switch e.Type {
		case TypeFile:
			e.Size = r.Uvarint()
			if k := r.Count(pebblestore.IDSize + 1); k > 0 {
				e.Chunks = make([]Chunk, k)
				for j := range e.Chunks {
					copy(e.Chunks[j].ID[:], r.Bytes(pebblestore.IDSize))
					e.Chunks[j].Size = r.Uvarint()
				}
			}
		case TypeDir:
			copy(e.Tree[:], r.Bytes(pebblestore.IDSize))
			e.Sub = Summary{Files: r.Uvarint(), Dirs: r.Uvarint(), Bytes: r.Uvarint()}
		case TypeSymlink:
			e.Target = r.String()
			e.Size = uint64(len(e.Target))
		}
		if r.Err() != nil {
			break
		}
		if err := ValidName(e.Name); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if i > 0 && t.Entries[i-1].Name >= e.Name {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, ErrUnsorted)
		}
		if err := checkEntry(e); err != nil {
			return nil, err
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if keep {
		t.offs[n] = uint32(len(b))
		t.enc = b
	}
	return t, nil
}

// encodeEdited returns the canonical encoding of the tree edit e
// describes and keeps it, with the entry offsets, on t. The base's runs are
// copied from its encoding; only the new entries are checked and encoded,
// which keeps an edit of a large directory cheap. The result equals
// EncodeTree's of the materialised tree (TestEncodeEditedMatchesEncodeTree).
func encodeEdited(t *Tree, e *edit) ([]byte, error) {
	base := e.base
	if len(base.Entries) > 0 && base.enc == nil {
		t.materialize()
		return EncodeTree(t) // base's encoding unknown
	}
	n := e.len()
	b := make([]byte, 0, len(base.enc)+len(e.added)*64+8)
	b = wire.AppendUvarint(b, uint64(n))
	offs := make([]uint32, 0, n+1)
	var prev *Entry // the last entry encoded
	k := 0
	for _, sp := range e.spans {
		if sp.lo >= 0 {
			// A run is sorted (its tree was checked); what precedes it is
			// a new entry or an earlier run.
			if prev != nil && prev.Name >= base.Entries[sp.lo].Name {
				return nil, fmt.Errorf("%w: %q out of order", ErrUnsorted, prev.Name)
			}
			from, to := base.offs[sp.lo], base.offs[sp.hi]
			shift := uint32(len(b)) - from // offsets move by len(b) - from (mod 2^32)
			for _, o := range base.offs[sp.lo:sp.hi] {
				offs = append(offs, o+shift)
			}
			b = append(b, base.enc[from:to]...)
			prev = &base.Entries[sp.hi-1]
			continue
		}
		en := &e.added[k]
		if err := ValidName(en.Name); err != nil {
			return nil, err
		}
		if prev != nil && prev.Name >= en.Name {
			return nil, fmt.Errorf("%w: %q out of order", ErrUnsorted, en.Name)
		}
		if err := checkEntry(en); err != nil {
			return nil, err
		}
		offs = append(offs, uint32(len(b)))
		b = appendEntry(b, en)
		prev = en
		k++
	}
	if len(b) <= math.MaxUint32 {
		t.enc, t.offs = b, append(offs, uint32(len(b)))
	}
	return b, nil
}

// Checkpoint is the immutable object of one checkpoint (SPEC §5 without
// the mutable tags, which live in the catalog).
type Checkpoint struct {
	Root    ID
	Parents []ID
	Session string
	Branch  string
	Time    time.Time
	Message string
	Meta    map[string]string
	Stats   Stats
	Merge   *MergeInfo
	Source  *Source
}

// Source records where a directory checkpoint came from, so that a later
// restore or live diff of that directory leaves alone what the walk left
// out, even when the directory's stat cache is lost.
type Source struct {
	Path     string   // the directory, absolute
	Excludes []string // the walk's exclude patterns in order, defaults included
}

// Stats describe a checkpoint's tree and what creating it cost.
type Stats struct {
	Files       uint64 // regular files
	Dirs        uint64 // directories below the root
	Bytes       uint64 // sizes of regular files
	NewBytes    uint64 // uncompressed bytes of objects this checkpoint added
	StoredBytes uint64 // stored bytes of objects this checkpoint added
	Duration    time.Duration
}

// MergeInfo is present on merge checkpoints.
type MergeInfo struct {
	Base      ID
	Strategy  string
	Conflicts []string
}

// checkpointFormat versions the checkpoint encoding (inside the object
// format): a field-tagged layout, fields in ascending tag order.
const checkpointFormat = 1

// Field tags of the checkpoint encoding.
const (
	fRoot     = 1
	fParents  = 2
	fSession  = 3
	fBranch   = 4
	fTime     = 5
	fMessage  = 6
	fMeta     = 7
	fStats    = 8
	fMerge    = 9
	fSource   = 10
	fMaxKnown = fSource
)

// EncodeCheckpoint returns the canonical encoding of c:
//
//	byte(1) (uvarint(tag) string(field))*   tags ascending, empty fields omitted
func EncodeCheckpoint(c *Checkpoint) []byte {
	b := []byte{checkpointFormat}
	field := func(tag uint64, v []byte) {
		b = wire.AppendUvarint(b, tag)
		b = wire.AppendString(b, string(v))
	}
	field(fRoot, c.Root[:])
	if len(c.Parents) > 0 {
		var p []byte
		for _, id := range c.Parents {
			p = append(p, id[:]...)
		}
		field(fParents, p)
	}
	field(fSession, []byte(c.Session))
	field(fBranch, []byte(c.Branch))
	field(fTime, wire.AppendVarint(nil, c.Time.UnixNano()))
	if c.Message != "" {
		field(fMessage, []byte(c.Message))
	}
	if len(c.Meta) > 0 {
		var m []byte
		m = wire.AppendUvarint(m, uint64(len(c.Meta)))
		for _, k := range slices.Sorted(maps.Keys(c.Meta)) {
			m = wire.AppendString(m, k)
			m = wire.AppendString(m, c.Meta[k])
		}
		field(fMeta, m)
	}
	var s []byte
	for _, v := range []uint64{c.Stats.Files, c.Stats.Dirs, c.Stats.Bytes, c.Stats.NewBytes, c.Stats.StoredBytes, uint64(c.Stats.Duration)} {
		s = wire.AppendUvarint(s, v)
	}
	field(fStats, s)
	if c.Merge != nil {
		m := append([]byte(nil), c.Merge.Base[:]...)
		m = wire.AppendString(m, c.Merge.Strategy)
		m = wire.AppendUvarint(m, uint64(len(c.Merge.Conflicts)))
		for _, p := range c.Merge.Conflicts {
			m = wire.AppendString(m, p)
		}
		field(fMerge, m)
	}
	if c.Source != nil {
		m := wire.AppendString(nil, c.Source.Path)
		m = wire.AppendUvarint(m, uint64(len(c.Source.Excludes)))
		for _, p := range c.Source.Excludes {
			m = wire.AppendString(m, p)
		}
		field(fSource, m)
	}
	return b
}

// DecodeCheckpoint decodes a checkpoint encoding. Unknown fields (from a
// newer minor writer) are skipped.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	r := wire.NewReader(b)
	if f := r.Byte(); r.Err() == nil && f != checkpointFormat {
		return nil, fmt.Errorf("%w: checkpoint format %d", ErrMalformed, f)
	}
	c := &Checkpoint{}
	var last uint64
	seenRoot, seenTime := false, false
	for r.Err() == nil && r.Len() > 0 {
		tag := r.Uvarint()
		v := []byte(r.String())
		if r.Err() != nil {
			break
		}
		if tag <= last {
			return nil, fmt.Errorf("%w: checkpoint field %d out of order", ErrMalformed, tag)
		}
		last = tag
		if err := decodeField(c, tag, v); err != nil {
			return nil, err
		}
		seenRoot = seenRoot || tag == fRoot
		seenTime = seenTime || tag == fTime
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: checkpoint: %v", ErrMalformed, err)
	}
	if !seenRoot || !seenTime {
		return nil, fmt.Errorf("%w: checkpoint without root or time", ErrMalformed)
	}
	return c, nil
}

func decodeField(c *Checkpoint, tag uint64, v []byte) error {
	r := wire.NewReader(v)
	switch tag {
	case fRoot:
		copy(c.Root[:], r.Bytes(pebblestore.IDSize))
	case fParents:
		if len(v) == 0 || len(v)%pebblestore.IDSize != 0 {
			return fmt.Errorf("%w: checkpoint parents", ErrMalformed)
		}
		c.Parents = make([]ID, len(v)/pebblestore.IDSize)
		for i := range c.Parents {
			copy(c.Parents[i][:], r.Bytes(pebblestore.IDSize))
		}
	case fSession:
		c.Session = string(v)
		r.Bytes(len(v))
	case fBranch:
		c.Branch = string(v)
		r.Bytes(len(v))
	case fTime:
		c.Time = time.Unix(0, r.Varint()).UTC()
	case fMessage:
		c.Message = string(v)
		r.Bytes(len(v))
	case fMeta:
		n := r.Count(2)
		if n == 0 {
			return fmt.Errorf("%w: empty checkpoint meta field", ErrMalformed)
		}
		c.Meta = make(map[string]string, n)
		prev := ""
		for i := 0; i < n && r.Err() == nil; i++ {
			k, val := r.String(), r.String()
			if i > 0 && k <= prev {
				return fmt.Errorf("%w: checkpoint meta keys not sorted", ErrMalformed)
			}
			prev = k
			c.Meta[k] = val
		}
	case fStats:
		s := &c.Stats
		for _, p := range []*uint64{&s.Files, &s.Dirs, &s.Bytes, &s.NewBytes, &s.StoredBytes} {
			*p = r.Uvarint()
		}
		s.Duration = time.Duration(r.Uvarint())
	case fMerge:
		m := &MergeInfo{}
		copy(m.Base[:], r.Bytes(pebblestore.IDSize))
		m.Strategy = r.String()
		n := r.Count(1)
		m.Conflicts = make([]string, 0, n)
		for i := 0; i < n; i++ {
			m.Conflicts = append(m.Conflicts, r.String())
		}
		c.Merge = m
	case fSource:
		src := &Source{Path: r.String()}
		n := r.Count(1)
		for i := 0; i < n && r.Err() == nil; i++ {
			src.Excludes = append(src.Excludes, r.String())
		}
		c.Source = src
	default:
		if tag <= fMaxKnown {
			return fmt.Errorf("%w: checkpoint field %d", ErrMalformed, tag)
		}
		return nil // a newer writer's field: skip
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: checkpoint field %d: %v", ErrMalformed, tag, err)
	}
	return nil
}
