package tree_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/ckptfs/ckptfs/tree"
)

// FuzzDecodeTree: the decoder never panics, and whatever it accepts is
// canonical (re-encodes to the same bytes).
func FuzzDecodeTree(f *testing.F) {
	b, _ := tree.EncodeTree(sampleTree())
	f.Add(b)
	f.Add([]byte{0})
	f.Add([]byte{1, 1, 'a', 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := tree.DecodeTree(b)
		if err != nil {
			return
		}
		again, err := tree.EncodeTree(tr)
		if err != nil {
			t.Fatalf("decoded tree does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("non-canonical encoding accepted")
		}
	})
}

// FuzzDecodeCheckpoint: never panics; accepted input survives a round trip.
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(tree.EncodeCheckpoint(sampleCheckpoint()))
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := tree.DecodeCheckpoint(b)
		if err != nil {
			return
		}
		c2, err := tree.DecodeCheckpoint(tree.EncodeCheckpoint(c))
		if err != nil {
			t.Fatalf("re-encoded checkpoint does not decode: %v", err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the checkpoint:\n%+v\n%+v", c, c2)
		}
	})
}
