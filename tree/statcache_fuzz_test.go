package tree

import (
	"bytes"
	"slices"
	"testing"

	"github.com/ckptfs/ckptfs/internal/wire"
)

// sealPayload makes a stat-cache part of payload, with a valid version
// and checksum, so the fuzzer reaches the decoders behind them.
func sealPayload(payload []byte) []byte {
	return seal(append(make([]byte, 1+checksumSize), payload...))
}

// reencodeRecord encodes a decoded record again.
func reencodeRecord(d *cacheDir) []byte {
	b := newRecord(d.time, d.tree, len(d.entries))
	for i := range d.entries {
		c := &d.entries[i]
		st := fileStat{ctime: c.ctime, ino: c.ino, dev: c.dev}
		switch c.Type {
		case TypeDir:
			b = appendCacheDir(b, &c.Entry, &st)
		default:
			e := c.entry()
			b = appendCacheLeaf(b, &e, &st)
		}
	}
	return seal(b)
}

func FuzzDecodeCacheRecord(f *testing.F) {
	var id ID
	id[0] = 7
	rec := newRecord(1764776057000000000, id, 3)
	rec = appendCacheDir(rec, &Entry{Name: "d", Type: TypeDir, Mode: 0o755, ModTime: 5, Tree: id, Sub: Summary{1, 2, 3}}, &fileStat{dev: 9, ctime: 6, ino: 10})
	rec = appendCacheLeaf(rec, &Entry{Name: "f", Type: TypeFile, Mode: 0o644, ModTime: 5, Size: 3, Chunks: []Chunk{{ID: id, Size: 3}}}, &fileStat{ctime: 6, ino: 11})
	rec = appendCacheLeaf(rec, &Entry{Name: "l", Type: TypeSymlink, Mode: 0o777, ModTime: 5, Target: "f", Size: 1}, &fileStat{ctime: 6, ino: 12})
	f.Add(seal(rec)[1+checksumSize:])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, payload []byte) {
		in := sealPayload(payload)
		d, err := decodeCacheRecord(in)
		if err != nil {
			return
		}
		if out := reencodeRecord(d); !bytes.Equal(out, in) {
			t.Fatalf("record not canonical:\n in % x\nout % x", in, out)
		}
		for i := range d.entries {
			if c := &d.entries[i]; c.Type == TypeFile {
				c.hasChunk(ID{})
				c.sameChunks(nil)
			}
		}
	})
}

func FuzzDecodeStatCacheHeader(f *testing.F) {
	c := &StatCache{Time: 1764776057000000000, Dev: 9, Excludes: []string{".git/", "*.log"}}
	c.Root[0] = 7
	f.Add(c.header()[1+checksumSize:])
	f.Fuzz(func(t *testing.T, payload []byte) {
		in := sealPayload(payload)
		c, err := DecodeStatCache(in, nil)
		if err != nil {
			return
		}
		if out := c.header(); !bytes.Equal(out, in) {
			t.Fatalf("header not canonical:\n in % x\nout % x", in, out)
		}
		_ = slices.Clone(c.Excludes)
	})
}

// Damaged parts are refused by their checksum before any decoding.
func TestStatCacheChecksum(t *testing.T) {
	rec := sealPayload(wire.AppendUvarint(nil, 0))
	rec[len(rec)-1] ^= 1
	if _, err := decodeCacheRecord(rec); err == nil {
		t.Fatal("damaged record accepted")
	}
	if _, err := DecodeStatCache(rec, nil); err == nil {
		t.Fatal("damaged header accepted")
	}
}
