package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs/internal/wire"
	"github.com/cockroachdb/pebble/v2"
)

// ErrAmbiguous means an id prefix matches more than one checkpoint.
var ErrAmbiguous = errors.New("pebblestore: ambiguous id prefix")

// ErrNotEmpty means a session still has checkpoints.
var ErrNotEmpty = errors.New("pebblestore: session has checkpoints")

func getFrom(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: get: %w", mapIOError(err))
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// SessionInfo describes a session.
type SessionInfo struct {
	Name    string
	Created time.Time
}

// Sessions lists the sessions in name order.
func (s *Store) Sessions(ctx context.Context) ([]SessionInfo, error) {
	var out []SessionInfo
	err := s.scan(ctx, []byte(pfxSession), func(k, v []byte) error {
		var t int64
		if len(v) == 8 {
			t = int64(binary.BigEndian.Uint64(v))
		}
		out = append(out, SessionInfo{Name: string(k[len(pfxSession):]), Created: time.Unix(0, t).UTC()})
		return nil
	})
	return out, err
}

// HasSession reports whether the session exists.
func (s *Store) HasSession(name string) (bool, error) { return hasSession(s.db, name) }

func hasSession(r pebble.Reader, name string) (bool, error) {
	_, err := getFrom(r, sessionKey(name))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Record returns the catalog record of a checkpoint of a session.
func (s *Store) Record(session string, id ID) (CheckpointRecord, error) {
	return recordFrom(s.db, session, id)
}

func recordFrom(r pebble.Reader, session string, id ID) (CheckpointRecord, error) {
	v, err := getFrom(r, checkpointKey(session, id))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return CheckpointRecord{}, fmt.Errorf("checkpoint %s in session %q: %w", id.Short(), session, ErrNotFound)
		}
		return CheckpointRecord{}, err
	}
	return decodeRecord(session, id, v)
}

// SessionOf returns the session holding checkpoint id.
func (s *Store) SessionOf(id ID) (string, error) {
	v, err := s.getValue(idIndexKey(id))
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("checkpoint %s: %w", id.Short(), ErrNotFound)
	}
	return string(v), err
}

// prefixBounds turns a hex prefix into the id range it covers.
func prefixBounds(prefix string) (lo, hi []byte, err error) {
	if !IsIDPrefix(prefix) {
		return nil, nil, fmt.Errorf("%w %q: need 4 to 64 lowercase hex digits", ErrInvalidID, prefix)
	}
	lo, _ = hex.DecodeString(prefix + strings.Repeat("0", 2*IDSize-len(prefix)))
	hi, _ = hex.DecodeString(prefix + strings.Repeat("f", 2*IDSize-len(prefix)))
	return lo, hi, nil
}

// Resolve finds the checkpoint whose id starts with the hex prefix, in one
// session or (session == "") in the whole store. It returns the id and its
// session.
func (s *Store) Resolve(ctx context.Context, session, prefix string) (ID, string, error) {
	lo, hi, err := prefixBounds(prefix)
	if err != nil {
		return ID{}, "", err
	}
	base := []byte(pfxIDIndex)
	if session != "" {
		base = checkpointPrefix(session)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: cat(base, lo), UpperBound: prefixEnd(cat(base, hi))})
	if err != nil {
		return ID{}, "", fmt.Errorf("pebblestore: iterate: %w", err)
	}
	defer it.Close()
	var found []ID
	var sess string
	for it.First(); it.Valid() && len(found) < 2; it.Next() {
		found = append(found, idFromKeyTail(it.Key()))
		if session == "" {
			v, _ := it.ValueAndErr()
			sess = string(v)
		} else {
			sess = session
		}
	}
	switch len(found) {
	case 0:
		where := "the store"
		if session != "" {
			where = fmt.Sprintf("session %q", session)
		}
		return ID{}, "", fmt.Errorf("no checkpoint %s in %s: %w", prefix, where, ErrNotFound)
	case 1:
		return found[0], sess, nil
	}
	return ID{}, "", fmt.Errorf("%w: %s matches %s and %s", ErrAmbiguous, prefix, found[0].Short(), found[1].Short())
}

// Branch is a branch name and its head.
type Branch struct {
	Name string
	Head ID
}

// Branches lists the branches of a session in name order.
func (s *Store) Branches(ctx context.Context, session string) ([]Branch, error) {
	var out []Branch
	p := headPrefix(session)
	err := s.scan(ctx, p, func(k, v []byte) error {
		if len(v) != IDSize {
			return fmt.Errorf("%w: branch head of %q", ErrCorrupt, k[len(p):])
		}
		var id ID
		copy(id[:], v)
		out = append(out, Branch{Name: string(k[len(p):]), Head: id})
		return nil
	})
	return out, err
}

// Head returns the head of a branch.
func (s *Store) Head(session, branch string) (ID, error) { return headFrom(s.db, session, branch) }

func headFrom(r pebble.Reader, session, branch string) (ID, error) {
	v, err := getFrom(r, headKey(session, branch))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ID{}, fmt.Errorf("branch %q of session %q: %w", branch, session, ErrNotFound)
		}
		return ID{}, err
	}
	if len(v) != IDSize {
		return ID{}, fmt.Errorf("%w: branch head %q", ErrCorrupt, branch)
	}
	var id ID
	copy(id[:], v)
	return id, nil
}

// Tags lists the tag names used in a session, in name order.
func (s *Store) Tags(ctx context.Context, session string) ([]string, error) {
	p := tagSessionPrefix(session)
	var out []string
	err := s.scan(ctx, p, func(k, _ []byte) error {
		rest := k[len(p):]
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			name := string(rest[:i])
			if len(out) == 0 || out[len(out)-1] != name {
				out = append(out, name)
			}
		}
		return nil
	})
	return out, err
}

// ListOptions select checkpoints. At most one of Branch and Tag is used.
type ListOptions struct {
	Session string // "" = every session (Branch needs a session)
	Branch  string
	Tag     string
	Limit   int // 0 = no limit
}

// List calls fn for each selected checkpoint, newest first. It reads only
// the index entries, which carry a copy of each checkpoint's record (one
// bounded prefix scan, no lookups), never objects.
func (s *Store) List(ctx context.Context, o ListOptions, fn func(CheckpointRecord) error) error {
	var prefix []byte
	// sessFromValue: the value of the index key names the session.
	sessFromValue := false
	switch {
	case o.Branch != "":
		if o.Session == "" {
			return fmt.Errorf("pebblestore: listing a branch needs a session")
		}
		prefix = branchLogPrefix(o.Session, o.Branch)
	case o.Tag != "" && o.Session != "":
		prefix = tagPrefix(o.Session, o.Tag)
	case o.Tag != "":
		prefix, sessFromValue = tagAllPrefix(o.Tag), true
	case o.Session != "":
		prefix = sessTimePrefix(o.Session)
	default:
		prefix, sessFromValue = []byte(pfxTime), true
	}
	n := 0
	return s.scan(ctx, prefix, func(k, v []byte) error {
		id := idFromKeyTail(k)
		session := o.Session
		if sessFromValue {
			rd := wire.NewReader(v)
			session = rd.String()
			if rd.Err() != nil {
				return fmt.Errorf("%w: index entry of %s", ErrCorrupt, id.Short())
			}
			v = v[len(v)-rd.Len():]
		}
		rec, err := decodeRecord(session, id, v)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
		if n++; o.Limit > 0 && n >= o.Limit {
			return errStop
		}
		return nil
	})
}

// --- transactions ---

// HasSession reports whether the session exists.
func (tx *Tx) HasSession(name string) (bool, error) {
	if _, gone := tx.sessionsGone[name]; !gone {
		if _, ok := tx.s.sessions[name]; ok {
			return true, nil
		}
	}
	ok, err := hasSession(tx.b, name)
	if ok {
		tx.sawSession(name)
	}
	return ok, err
}

func (tx *Tx) sawSession(name string) {
	if tx.sessionsSeen == nil {
		tx.sessionsSeen = map[string]struct{}{}
	}
	tx.sessionsSeen[name] = struct{}{}
}

// CreateSession creates a session; ErrExists if it exists.
func (tx *Tx) CreateSession(name string, now time.Time) error {
	ok, err := tx.HasSession(name)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("session %q: %w", name, ErrExists)
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(now.UnixNano()))
	tx.set(sessionKey(name), v[:])
	tx.delta.Sessions++
	delete(tx.sessionsGone, name)
	tx.sawSession(name)
	return nil
}

// DeleteSession removes a session that has no checkpoints, with its
// branches (a branch cannot outlive its checkpoints, so there are none).
func (tx *Tx) DeleteSession(ctx context.Context, name string) error {
	ok, err := tx.HasSession(name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("session %q: %w", name, ErrNotFound)
	}
	empty := true
	if err := scanReader(ctx, tx.b, checkpointPrefix(name), func(_, _ []byte) error {
		empty = false
		return errStop
	}); err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("session %q: %w", name, ErrNotEmpty)
	}
	tx.del(sessionKey(name))
	tx.delta.Sessions--
	delete(tx.sessionsSeen, name)
	if tx.sessionsGone == nil {
		tx.sessionsGone = map[string]struct{}{}
	}
	tx.sessionsGone[name] = struct{}{}
	return nil
}

// Record reads a checkpoint record in the transaction.
func (tx *Tx) Record(session string, id ID) (CheckpointRecord, error) {
	return recordFrom(tx.b, session, id)
}

// Head reads a branch head in the transaction.
func (tx *Tx) Head(session, branch string) (ID, error) { return headFrom(tx.b, session, branch) }

// SetHead points a branch at id.
func (tx *Tx) SetHead(session, branch string, id ID) { tx.set(headKey(session, branch), id[:]) }

// DeleteHead removes a branch.
func (tx *Tx) DeleteHead(session, branch string) { tx.del(headKey(session, branch)) }

// Branches lists a session's branches in the transaction.
func (tx *Tx) Branches(ctx context.Context, session string) ([]Branch, error) {
	var out []Branch
	p := headPrefix(session)
	err := scanReader(ctx, tx.b, p, func(k, v []byte) error {
		var id ID
		copy(id[:], v)
		out = append(out, Branch{Name: string(k[len(p):]), Head: id})
		return nil
	})
	return out, err
}

// AddCheckpoint records a new checkpoint: its record and every index entry.
// The caller has written the checkpoint object (same batch).
func (tx *Tx) AddCheckpoint(rec CheckpointRecord) error {
	// A record exists only with its checkpoint object: when this
	// transaction wrote the object as new, there is none to look for.
	if _, isNew := tx.newObjs[rec.ID]; !isNew {
		if _, err := tx.get(checkpointKey(rec.Session, rec.ID)); err == nil {
			return fmt.Errorf("checkpoint %s: %w", rec.ID.Short(), ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	rec.Tags = normTags(rec.Tags)
	tx.writeRecord(rec)
	tx.set(idIndexKey(rec.ID), []byte(rec.Session))
	tx.delta.Checkpoints++
	tx.delta.LogicalBytes += int64(rec.Bytes)
	return nil
}

// writeRecord writes a checkpoint's record and every listing index entry,
// each carrying a copy of the record (T/ and G/ prefixed by the session).
func (tx *Tx) writeRecord(rec CheckpointRecord) {
	enc := rec.encode()
	withSession := append(wire.AppendString(nil, rec.Session), enc...)
	tx.set(checkpointKey(rec.Session, rec.ID), enc)
	tx.set(sessTimeKey(rec.Session, rec.Time, rec.ID), enc)
	tx.set(timeKey(rec.Time, rec.ID), withSession)
	tx.set(branchLogKey(rec.Session, rec.Branch, rec.Time, rec.ID), enc)
	for _, t := range rec.Tags {
		tx.set(tagKey(rec.Session, t, rec.Time, rec.ID), enc)
		tx.set(tagAllKey(t, rec.Time, rec.ID), withSession)
	}
}

// SetTags replaces the tags of a checkpoint.
func (tx *Tx) SetTags(rec CheckpointRecord, tags []string) {
	for _, t := range rec.Tags {
		tx.del(tagKey(rec.Session, t, rec.Time, rec.ID))
		tx.del(tagAllKey(t, rec.Time, rec.ID))
	}
	rec.Tags = normTags(tags)
	tx.writeRecord(rec)
}

// RemoveCheckpoint deletes a checkpoint's record and index entries. The
// objects stay until garbage collection.
func (tx *Tx) RemoveCheckpoint(rec CheckpointRecord) {
	tx.del(checkpointKey(rec.Session, rec.ID))
	tx.del(sessTimeKey(rec.Session, rec.Time, rec.ID))
	tx.del(timeKey(rec.Time, rec.ID))
	tx.del(idIndexKey(rec.ID))
	tx.del(branchLogKey(rec.Session, rec.Branch, rec.Time, rec.ID))
	for _, t := range rec.Tags {
		tx.del(tagKey(rec.Session, t, rec.Time, rec.ID))
		tx.del(tagAllKey(t, rec.Time, rec.ID))
	}
	tx.delta.Checkpoints--
	tx.delta.LogicalBytes -= int64(rec.Bytes)
}

// PutObjectRecord writes an already-encoded small object (a checkpoint
// object) inside the transaction, so it lands in the same batch as its
// record.
func (tx *Tx) PutObject(kind Kind, data []byte) (ID, error) {
	id := Hash(kind, data)
	if _, err := tx.get(objIndexKey(id)); err == nil {
		return id, nil
	} else if !errors.Is(err, ErrNotFound) {
		return id, err
	}
	val := tx.s.codec.encode(kind, data)
	info := objInfo{Kind: kind, Raw: uint64(len(data)), Stored: uint64(len(val))}
	tx.set(objectKey(id), val)
	tx.set(objIndexKey(id), info.encode())
	if tx.newObjs == nil {
		tx.newObjs = map[ID]struct{}{}
	}
	tx.newObjs[id] = struct{}{}
	tx.delta.Objects++
	tx.delta.RawBytes += int64(info.Raw)
	tx.delta.StoredBytes += int64(info.Stored)
	return id, nil
}

func normTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}
