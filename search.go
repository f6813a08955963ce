package ckptfs

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// SearchOptions narrow Search.
type SearchOptions struct {
	Session string // "" = every session
	Limit   int    // 0 = no limit
}

// Search returns the checkpoints, newest first, whose message, tags, meta
// keys or values, or file contents contain text (a plain substring). A
// subtree or chunk already searched is not searched again, so the cost
// follows the distinct content, not the number of checkpoints.
func (s *Store) Search(ctx context.Context, text string, o SearchOptions) ([]Summary, error) {
	if o.Session != "" {
		if err := s.requireSession(o.Session); err != nil {
			return nil, err
		}
	}
	sr := &searcher{s: s, needle: []byte(text), trees: make(map[ID]bool, 1024), chunks: make(map[ID]bool, 1024)}
	var out []Summary
	err := s.st.List(ctx, pebblestore.ListOptions{Session: o.Session}, func(rec pebblestore.CheckpointRecord) error {
		hit, err := sr.checkpoint(ctx, rec)
		if err != nil || !hit {
			return err
		}
		out = append(out, summaryOf(rec))
		if o.Limit > 0 && len(out) >= o.Limit {
			return errStopList
		}
		return nil
	})
	if errors.Is(err, errStopList) {
		err = nil
	}
	return out, err
}

// errStopList ends a listing early (the limit was reached).
var errStopList = errors.New("stop")

type searcher struct {
	s      *Store
	needle []byte
	trees  map[ID]bool // subtree contains the needle
	chunks map[ID]bool
}

func (sr *searcher) checkpoint(ctx context.Context, rec pebblestore.CheckpointRecord) (bool, error) {
	text := string(sr.needle)
	if strings.Contains(rec.Message, text) {
		return true, nil
	}
	for _, t := range rec.Tags {
		if strings.Contains(t, text) {
			return true, nil
		}
	}
	ck, err := sr.s.r.Checkpoint(ctx, rec.ID)
	if err != nil {
		return false, err
	}
	for k, v := range ck.Meta {
		if strings.Contains(k, text) || strings.Contains(v, text) {
			return true, nil
		}
	}
	return sr.tree(ctx, ck.Root)
}

func (sr *searcher) tree(ctx context.Context, id ID) (bool, error) {
	if hit, ok := sr.trees[id]; ok {
		return hit, nil
	}
	t, err := sr.s.r.Tree(ctx, id)
	if err != nil {
		return false, err
	}
	hit := false
	for i := range t.Entries {
		e := &t.Entries[i]
		switch e.Type {
		case tree.TypeDir:
			hit, err = sr.tree(ctx, e.Tree)
		case tree.TypeFile:
			hit, err = sr.file(ctx, e)
		}
		if err != nil {
			return false, err
		}
		if hit {
			break
		}
	}
	sr.trees[id] = hit
	return hit, nil
}

// file searches a file chunk by chunk, including matches that straddle a
// chunk boundary.
func (sr *searcher) file(ctx context.Context, e *tree.Entry) (bool, error) {
	var prevTail []byte
	for _, c := range e.Chunks {
		hit, seen := sr.chunks[c.ID]
		if seen && hit {
			return true, nil
		}
		if seen && len(e.Chunks) == 1 {
			return false, nil
		}
		b, err := sr.s.r.ReadChunk(ctx, c)
		if err != nil {
			return false, err
		}
		if !seen {
			hit = bytes.Contains(b, sr.needle)
			sr.chunks[c.ID] = hit
			if hit {
				return true, nil
			}
		}
		if k := len(sr.needle) - 1; k > 0 && prevTail != nil {
			head := b[:min(k, len(b))]
			if bytes.Contains(append(append([]byte(nil), prevTail...), head...), sr.needle) {
				return true, nil
			}
		}
		if k := len(sr.needle) - 1; k > 0 {
			prevTail = b[max(0, len(b)-k):]
		}
	}
	return false, nil
}
