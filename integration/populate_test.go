package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/ckptfs/ckptfs"
	"github.com/cockroachdb/pebble/v2"
)

// populate makes n small checkpoints on branch main of session in store
// (not mounted), each changing one file, and returns their ids oldest
// first. tags, if set, gives the tags of checkpoint i.
func populate(t testing.TB, store, session string, n int, tags func(i int) []string) []string {
	t.Helper()
	st, err := ckptfs.Open(store, ckptfs.Options{Durability: ckptfs.Relaxed})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	ids := make([]string, 0, n)
	for i := range n {
		o := ckptfs.CheckpointOptions{Session: session, Message: fmt.Sprintf("step %d", i)}
		if tags != nil {
			o.Tags = tags(i)
		}
		res, err := st.CheckpointDelta(ctx, map[string][]byte{fmt.Sprintf("f%d", i%50): []byte(fmt.Sprint(i))}, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID.String())
	}
	return ids
}

// corruptFile checkpoints dir in store (not mounted) and then damages the
// stored object holding the content of file rel (key "o/<id>",
// docs/FORMAT.md). It returns the checkpoint id.
func corruptFile(t testing.TB, store, session, dir, rel string) string {
	t.Helper()
	st, err := ckptfs.Open(store, ckptfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	res, err := st.CheckpointDir(ctx, dir, ckptfs.CheckpointOptions{Session: session})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Lookup(ctx, res.ID, rel)
	if err != nil || len(e.Chunks) == 0 {
		t.Fatalf("lookup %s: %v", rel, err)
	}
	id := e.Chunks[0].ID
	raw, err := st.Objects().RawObject(id)
	if err != nil {
		t.Fatal(err)
	}
	raw = append([]byte(nil), raw...)
	raw[len(raw)-1] ^= 0xff
	if err := st.Objects().DB().Set(append([]byte("o/"), id[:]...), raw, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	return res.ID.String()
}
