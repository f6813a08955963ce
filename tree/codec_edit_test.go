package tree

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomEntry returns a valid entry of a random type named name.
func randomEntry(rng *rand.Rand, name string) Entry {
	e := Entry{Name: name, Mode: uint32(rng.IntN(0o10000)), ModTime: rng.Int64N(1 << 62)}
	var id ID
	for i := range id {
		id[i] = byte(rng.IntN(256))
	}
	switch rng.IntN(4) {
	case 0:
		e.Type = TypeDir
		e.Tree, e.Sub = id, Summary{Files: rng.Uint64N(1000), Dirs: rng.Uint64N(100), Bytes: rng.Uint64()}
	case 1:
		e.Type, e.Target = TypeSymlink, fmt.Sprintf("../t/%d", rng.IntN(1e6))
		e.Size = uint64(len(e.Target))
	default:
		e.Type = TypeFile
		for range rng.IntN(4) {
			c := Chunk{ID: id, Size: 1 + rng.Uint64N(1<<20)}
			e.Chunks = append(e.Chunks, c)
			e.Size += c.Size
		}
	}
	return e
}

// TestEncodeEditedMatchesEncodeTree edits random decoded trees (replace,
// delete, insert, in runs and at the ends) the way commitDir does and
// checks that encodeEdited gives EncodeTree's bytes and the offsets a
// fresh decode finds, also when the edited tree is edited again.
func TestEncodeEditedMatchesEncodeTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 300 {
		n := rng.IntN(40)
		if round%50 == 0 {
			n = 0
		}
		base := &Tree{}
		for i := range n {
			base.Entries = append(base.Entries, randomEntry(rng, fmt.Sprintf("e%04d", 2*i+1)))
		}
		enc, err := EncodeTree(base)
		if err != nil {
			t.Fatal(err)
		}
		if base, err = decodeTree(enc, true); err != nil {
			t.Fatal(err)
		}
		for gen := range 3 { // edit the result again: its offsets are used
			// Changes at random names, existing (odd) or new (even).
			changes := map[string]*Entry{}
			for range rng.IntN(6) {
				name := fmt.Sprintf("e%04d", rng.IntN(2*n+4))
				if rng.IntN(3) == 0 {
					changes[name] = nil // delete
				} else {
					e := randomEntry(rng, name)
					changes[name] = &e
				}
			}
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range changes {
					if !yield(k) {
						return
					}
				}
			})
			var entries []Entry // the expected result, built independently
			ed := &edit{base: base}
			i := 0
			keep := func(lo, hi int) {
				if lo < hi {
					entries = append(entries, base.Entries[lo:hi]...)
				}
				ed.keep(lo, hi)
			}
			for _, name := range names {
				j := i
				for j < len(base.Entries) && base.Entries[j].Name < name {
					j++
				}
				keep(i, j)
				i = j
				if i < len(base.Entries) && base.Entries[i].Name == name {
					i++
				}
				if e := changes[name]; e != nil {
					entries = append(entries, *e)
					ed.add(*e, "")
				}
			}
			keep(i, len(base.Entries))
			edited := &Tree{lazy: &lazyTree{e: ed}}
			got, err := encodeEdited(edited, ed)
			if err != nil {
				t.Fatalf("round %d gen %d: %v", round, gen, err)
			}
			want, err := EncodeTree(&Tree{Entries: entries})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("round %d gen %d: encodeEdited differs from EncodeTree", round, gen)
			}
			fresh, err := decodeTree(want, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(edited.offs, fresh.offs) || !bytes.Equal(edited.enc, want) {
				t.Fatalf("round %d gen %d: offsets %v, a decode finds %v", round, gen, edited.offs, fresh.offs)
			}
			if edited.Entries != nil {
				t.Fatalf("round %d gen %d: entries materialised by encoding", round, gen)
			}
			edited.materialize()
			if !reflect.DeepEqual(edited.Entries, entries) && len(entries) > 0 {
				t.Fatalf("round %d gen %d: materialised entries differ", round, gen)
			}
			sum, cost := ed.summary(edited)
			if sum != (&Tree{Entries: entries}).Summary() {
				t.Fatalf("round %d gen %d: summary %+v, want %+v", round, gen, sum, (&Tree{Entries: entries}).Summary())
			}
			if cost != treeCost(edited) {
				t.Fatalf("round %d gen %d: cost %d, materialised %d", round, gen, cost, treeCost(edited))
			}
			base, n = edited, len(entries)/2+1
		}
	}
}

// TestEncodeEditedChecksNewEntries: a new entry is validated like
// EncodeTree's (name, order, consistency); the copied runs were validated
// when their tree was decoded or encoded.
func TestEncodeEditedChecksNewEntries(t *testing.T) {
	base, err := decodeTree(mustEncode(t, &Tree{Entries: []Entry{
		{Name: "a", Type: TypeFile}, {Name: "c", Type: TypeFile}}}), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		e     Entry
		spans []span
		want  error
	}{
		{"bad name", Entry{Name: "x/y", Type: TypeFile}, []span{{0, 1}, {-1, -1}, {1, 2}}, ErrInvalidName},
		{"out of order", Entry{Name: "d", Type: TypeFile}, []span{{0, 1}, {-1, -1}, {1, 2}}, ErrUnsorted},
		{"duplicate", Entry{Name: "c", Type: TypeFile}, []span{{0, 1}, {1, 2}, {-1, -1}}, ErrUnsorted},
		{"inconsistent", Entry{Name: "b", Type: TypeFile, Size: 3}, []span{{0, 1}, {-1, -1}, {1, 2}}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ed := &edit{base: base}
			for _, sp := range tc.spans {
				if sp.lo < 0 {
					ed.add(tc.e, "")
				} else {
					ed.keep(sp.lo, sp.hi)
				}
			}
			if _, err := encodeEdited(&Tree{lazy: &lazyTree{e: ed}}, ed); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func mustEncode(t *testing.T, tr *Tree) []byte {
	t.Helper()
	b, err := EncodeTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
