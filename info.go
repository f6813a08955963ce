package ckptfs

import (
	"runtime"
	"sync/atomic"

	"context"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// Info is a checkpoint's metadata, shaped as SPEC §5's JSON.
type Info struct {
	ID      ID                `json:"id"`
	Session string            `json:"session"`
	Branch  string            `json:"branch"`
	Parents []ID              `json:"parents"`
	Time    time.Time         `json:"time"`
	Message string            `json:"message"`
	Tags    []string          `json:"tags"`
	Meta    map[string]string `json:"meta"`
	Stats   InfoStats         `json:"stats"`
	Merge   *MergeInfo        `json:"merge,omitempty"`
	// Source is present on directory checkpoints (an extension of SPEC
	// §5: the directory and the exclude patterns of its walk).
	Source *SourceInfo `json:"source,omitempty"`
	// Root is the root tree (not part of the JSON).
	Root ID `json:"-"`
}

// InfoStats is the "stats" object of SPEC §5.
type InfoStats struct {
	Files       uint64  `json:"files"`
	Dirs        uint64  `json:"dirs"`
	Bytes       uint64  `json:"bytes"`
	NewBytes    uint64  `json:"new_bytes"`
	StoredBytes uint64  `json:"stored_bytes"`
	DurationMS  float64 `json:"duration_ms"`
}

// MergeInfo is the "merge" object of SPEC §5.
type MergeInfo struct {
	Base      ID       `json:"base"`
	Strategy  string   `json:"strategy"`
	Conflicts []string `json:"conflicts"`
}

// SourceInfo is the "source" object of a directory checkpoint.
type SourceInfo struct {
	Dir      string   `json:"dir"`
	Excludes []string `json:"excludes"`
}

// Summary is the listing form of a checkpoint (catalog only, no object
// read).
type Summary struct {
	ID      ID
	Session string
	Branch  string
	Time    time.Time
	Message string
	Parents []ID
	Tags    []string
}

func summaryOf(r pebblestore.CheckpointRecord) Summary {
	return Summary{ID: r.ID, Session: r.Session, Branch: r.Branch, Time: r.Time,
		Message: r.Message, Parents: r.Parents, Tags: r.Tags}
}

// Resolve turns an id or unique id prefix into a checkpoint id and its
// session. session may be "" to search the whole store.
func (s *Store) Resolve(ctx context.Context, session, prefix string) (ID, string, error) {
	if session != "" {
		if err := s.requireSession(session); err != nil {
			return ID{}, "", err
		}
	}
	return s.st.Resolve(ctx, session, prefix)
}

// Info returns the metadata of checkpoint id.
func (s *Store) Info(ctx context.Context, id ID) (Info, error) {
	session, err := s.st.SessionOf(id)
	if err != nil {
		return Info{}, err
	}
	rec, err := s.st.Record(session, id)
	if err != nil {
		return Info{}, err
	}
	ck, err := s.r.Checkpoint(ctx, id)
	if err != nil {
		return Info{}, err
	}
	return infoOf(rec, ck), nil
}

func infoOf(rec pebblestore.CheckpointRecord, ck *tree.Checkpoint) Info {
	in := Info{ID: rec.ID, Session: rec.Session, Branch: ck.Branch, Parents: ck.Parents,
		Time: ck.Time, Message: ck.Message, Tags: rec.Tags, Meta: ck.Meta, Root: ck.Root,
		Stats: InfoStats{Files: ck.Stats.Files, Dirs: ck.Stats.Dirs, Bytes: ck.Stats.Bytes,
			NewBytes: ck.Stats.NewBytes, StoredBytes: ck.Stats.StoredBytes,
			DurationMS: float64(ck.Stats.Duration.Microseconds()) / 1000}}
	if in.Parents == nil {
		in.Parents = []ID{}
	}
	if in.Tags == nil {
		in.Tags = []string{}
	}
	if in.Meta == nil {
		in.Meta = map[string]string{}
	}
	if m := ck.Merge; m != nil {
		in.Merge = &MergeInfo{Base: m.Base, Strategy: m.Strategy, Conflicts: m.Conflicts}
		if in.Merge.Conflicts == nil {
			in.Merge.Conflicts = []string{}
		}
	}
	if src := ck.Source; src != nil {
		in.Source = &SourceInfo{Dir: src.Path, Excludes: src.Excludes}
		if in.Source.Excludes == nil {
			in.Source.Excludes = []string{}
		}
	}
	return in
}

// Lookup returns the tree entry at path p ("" = root) of checkpoint id.
func (s *Store) Lookup(ctx context.Context, id ID, p string) (tree.Entry, error) {
	ck, err := s.r.Checkpoint(ctx, id)
	if err != nil {
		return tree.Entry{}, err
	}
	return s.r.Lookup(ctx, ck.Root, p)
}

// ReadFile returns the content of the file at path p of checkpoint id.
func (s *Store) ReadFile(ctx context.Context, id ID, p string) ([]byte, error) {
	e, err := s.Lookup(ctx, id, p)
	if err != nil {
		return nil, err
	}
	if e.Type != tree.TypeFile {
		return nil, fmt.Errorf("%w: %s is a %s, not a file", ErrInvalidArgument, p, e.Type)
	}
	return s.r.ReadFile(ctx, &e)
}

// LoadState returns every regular file of checkpoint id, keyed by path
// (the seed's "load_checkpoint").
func (s *Store) LoadState(ctx context.Context, id ID) (map[string][]byte, error) {
	ck, err := s.r.Checkpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	type file struct {
		path  string
		entry *tree.Entry
	}
	var files []file
	err = s.r.Walk(ctx, ck.Root, func(p string, e *tree.Entry) error {
		if e.Type == tree.TypeFile {
			files = append(files, file{p, e})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Decompression and hashing dominate: read files on every core. The
	// batches are taken in turn by this goroutine and, when there is more
	// than one, by helpers; a small state starts no goroutine and waits
	// for none. The first failure stops the others.
	contents := make([][]byte, len(files))
	const batch = 16
	batches := (len(files) + batch - 1) / batch
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	work := func() error {
		for {
			k := int(next.Add(1) - 1)
			if k >= batches {
				return nil
			}
			for i := k * batch; i < min((k+1)*batch, len(files)); i++ {
				b, err := s.r.ReadFileOnce(ctx, files[i].entry)
				if err != nil {
					cancel()
					return fmt.Errorf("%s: %w", files[i].path, err)
				}
				contents[i] = b
			}
		}
	}
	var g errgroup.Group
	for range min(runtime.GOMAXPROCS(0), batches) - 1 {
		g.Go(work)
	}
	err = work()
	// A helper's failure is the cause when this goroutine was only
	// cancelled by it.
	if werr := g.Wait(); werr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files))
	for i, f := range files {
		out[f.path] = contents[i]
	}
	return out, nil
}

// ListOptions select checkpoints for List.
type ListOptions = pebblestore.ListOptions

// List returns checkpoints newest first, reading only the catalog.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Summary, error) {
	if o.Session != "" {
		if err := s.requireSession(o.Session); err != nil {
			return nil, err
		}
	}
	var out []Summary
	err := s.st.List(ctx, o, func(r pebblestore.CheckpointRecord) error {
		out = append(out, summaryOf(r))
		return nil
	})
	return out, err
}

// ListInfo is List with full metadata (reads each checkpoint object).
func (s *Store) ListInfo(ctx context.Context, o ListOptions) ([]Info, error) {
	var out []Info
	err := s.st.List(ctx, o, func(r pebblestore.CheckpointRecord) error {
		ck, err := s.r.Checkpoint(ctx, r.ID)
		if err != nil {
			return err
		}
		out = append(out, infoOf(r, ck))
		return nil
	})
	return out, err
}

// ShortIDLen is the minimum length of the ids shown in listings.
const ShortIDLen = 12

// ShortID returns the shortest prefix of id, at least 12 hex digits, that
// is unique among the store's checkpoints.
func (s *Store) ShortID(ctx context.Context, id ID) string {
	full := id.String()
	for n := ShortIDLen; n < len(full); n += 4 {
		got, _, err := s.st.Resolve(ctx, "", full[:n])
		if err == nil && got == id {
			return full[:n]
		}
		if err != nil && !errors.Is(err, ErrAmbiguous) {
			return full[:n] // not a listed checkpoint: nothing to collide with
		}
	}
	return full
}

// CheckSession validates a session name and checks the session exists.
func (s *Store) CheckSession(name string) error { return s.requireSession(name) }

// Diff calls fn for every path that differs from checkpoint a to
// checkpoint b (SPEC §6), in bytewise path order.
func (s *Store) Diff(ctx context.Context, a, b ID, fn func(tree.Change) error) error {
	ca, err := s.r.Checkpoint(ctx, a)
	if err != nil {
		return err
	}
	cb, err := s.r.Checkpoint(ctx, b)
	if err != nil {
		return err
	}
	return tree.Diff(ctx, s.r, ca.Root, cb.Root, fn)
}
