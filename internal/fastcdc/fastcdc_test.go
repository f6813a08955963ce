package fastcdc

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	upstream "github.com/jotfs/fastcdc-go"
)

// The parameters of tree.PutReader (docs/FORMAT.md) and a small set.
var params = []Options{
	{MinSize: 512 << 10, AverageSize: 1 << 20, MaxSize: 8 << 20, BufSize: 8<<20 + 512<<10},
	{MinSize: 1 << 10, AverageSize: 4 << 10, MaxSize: 16 << 10},
}

func inputs() map[string][]byte {
	r := rand.New(rand.NewPCG(7, 11))
	random := make([]byte, 24<<20)
	rand.NewChaCha8([32]byte{7}).Read(random)
	text := bytes.Repeat([]byte("func main() { fmt.Println(\"checkpoint\") }\n// a comment line\n"), 200000)
	for i := 0; i < len(text); i += 4093 {
		text[i] = byte(r.Uint32()) // break the period
	}
	return map[string][]byte{
		"random": random,
		"text":   text,
		"zeros":  make([]byte, 20<<20),
		"short":  random[:100],
		"empty":  nil,
	}
}

func lengths(t *testing.T, next func() (int, []byte, error)) (out []int, all []byte) {
	t.Helper()
	for {
		n, data, err := next()
		if errors.Is(err, io.EOF) {
			return out, all
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
		all = append(all, data...)
	}
}

// Boundaries must be exactly upstream's: chunks already stored dedup
// against new ones only if the same cut points come out.
func TestSameChunksAsUpstream(t *testing.T) {
	for name, in := range inputs() {
		for _, p := range params {
			c, err := NewChunker(bytes.NewReader(in), p)
			if err != nil {
				t.Fatal(err)
			}
			u, err := upstream.NewChunker(bytes.NewReader(in), upstream.Options{
				MinSize: p.MinSize, AverageSize: p.AverageSize, MaxSize: p.MaxSize, BufSize: p.BufSize})
			if err != nil {
				t.Fatal(err)
			}
			got, data := lengths(t, func() (int, []byte, error) { ch, err := c.Next(); return ch.Length, ch.Data, err })
			want, _ := lengths(t, func() (int, []byte, error) { ch, err := u.Next(); return ch.Length, ch.Data, err })
			if !slicesEqual(got, want) {
				t.Errorf("%s, avg %d: %d chunks %v…, upstream %d %v…", name, p.AverageSize, len(got), head(got), len(want), head(want))
			}
			if !bytes.Equal(data, in) {
				t.Errorf("%s, avg %d: chunks do not concatenate to the input", name, p.AverageSize)
			}
			if name == "random" && len(got) < 3 {
				t.Errorf("%s, avg %d: only %d chunks", name, p.AverageSize, len(got))
			}
		}
	}
}

func head(s []int) []int { return s[:min(len(s), 5)] }

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Chunkers made and used on many goroutines at once: under -race this
// fails with upstream's NewChunker, which writes the shared table.
func TestConcurrentChunkers(t *testing.T) {
	in := inputs()["random"][:4<<20]
	p := params[1]
	ref, err := NewChunker(bytes.NewReader(in), p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := lengths(t, func() (int, []byte, error) { ch, err := ref.Next(); return ch.Length, ch.Data, err })
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				c, err := NewChunker(bytes.NewReader(in), p)
				if err != nil {
					errs <- err.Error()
					return
				}
				var got []int
				for {
					ch, err := c.Next()
					if err != nil {
						break
					}
					got = append(got, ch.Length)
				}
				if !slicesEqual(got, want) {
					errs <- "different chunks on a concurrent chunker"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestOptionsValidated(t *testing.T) {
	for _, o := range []Options{
		{},
		{AverageSize: 1 << 10, MinSize: 1 << 10, MaxSize: 1 << 10},
		{AverageSize: 32, MinSize: 16, MaxSize: 64},
		{AverageSize: 4 << 10, MinSize: 1 << 10, MaxSize: 16 << 10, BufSize: 8 << 10},
	} {
		if _, err := NewChunker(bytes.NewReader(nil), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
