package tree

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ckptfs/ckptfs/pebblestore"
)

func TestIDMemo(t *testing.T) {
	var m idMemo
	check := func(data []byte) {
		t.Helper()
		want := pebblestore.Hash(pebblestore.KindBlob, data)
		if len(data) == 0 || len(data) >= SingleBlobMax {
			want = ID{}
		}
		if got := m.blobID(data); got != want {
			t.Fatalf("blobID(%d bytes) = %s, want %s", len(data), got.Short(), want.Short())
		}
	}
	check(nil)
	check([]byte("a"))
	check([]byte("a")) // hit
	check([]byte("b")) // same length, other content
	buf := []byte("mutable")
	check(buf)
	buf[0] = 'M' // the memo kept its own copy
	check(buf)
	check(make([]byte, memoMaxValue+1)) // hashed, not memoized
	check(make([]byte, SingleBlobMax))
	// Fill several generations; every answer stays exact.
	for i := range 3 * memoBytes / 1024 {
		check([]byte(fmt.Sprintf("%01000d", i)))
	}
	if m.curBytes > memoBytes || len(m.prev) == 0 {
		t.Fatalf("generations not rotated: cur %d bytes, prev %d entries", m.curBytes, len(m.prev))
	}
	for i := range 3 * memoBytes / 1024 {
		check([]byte(fmt.Sprintf("%01000d", i)))
	}
}

func TestIDMemoConcurrent(t *testing.T) {
	var m idMemo
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				data := []byte(fmt.Sprintf("value %d", (i*7+g)%500))
				if m.blobID(data) != pebblestore.Hash(pebblestore.KindBlob, data) {
					t.Error("wrong id")
					return
				}
			}
		}()
	}
	wg.Wait()
}
