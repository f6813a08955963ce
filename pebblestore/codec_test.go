package pebblestore

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Large blobs whose probes do not compress are stored raw without
// compressing the rest; one compressible probe is enough to compress.
func TestCodecProbesLargeBlobs(t *testing.T) {
	c, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	rnd := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := bytes.Repeat([]byte("checkpoint the agent's working directory\n"), 30000)
	mixed := append(rnd(600<<10), make([]byte, 600<<10)...) // start random, end zeros
	for _, tc := range []struct {
		name string
		raw  []byte
		enc  byte
	}{
		{"random 1 MiB", rnd(1 << 20), encRaw},
		{"random 100 KiB (below the probe size: compressed, then kept raw)", rnd(100 << 10), encRaw},
		{"text", text, encZstd},
		{"random start, zeros end", mixed, encZstd},
	} {
		id := Hash(KindBlob, tc.raw)
		v := c.encode(KindBlob, tc.raw)
		if v[2] != tc.enc {
			t.Errorf("%s: encoding %d, want %d", tc.name, v[2], tc.enc)
		}
		_, got, err := c.decode(id, v)
		if err != nil || !bytes.Equal(got, tc.raw) {
			t.Errorf("%s: round trip: %v", tc.name, err)
		}
	}
}
