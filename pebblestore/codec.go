package pebblestore

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/klauspost/compress/zstd"
)

// ObjectFormat is the version byte that starts every stored object value.
const ObjectFormat = 1

// Encoding of an object's payload.
const (
	encRaw  = 0
	encZstd = 1
)

// maxObjectSize bounds the decoded size of one object (the largest chunk is
// 8 MiB; trees of huge directories and checkpoint records stay far below).
const maxObjectSize = 64 << 20

// codec compresses and decompresses object payloads. One per Store: the zstd
// encoder and decoder are goroutine-safe for EncodeAll/DecodeAll.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newCodec() (*codec, error) {
	// SpeedFastest: compression is the costliest step of the write path
	// (LIBRARY-FACTS §4). CRC off: every read re-hashes the decoded bytes.
	// Zero frames off: empty objects stay empty.
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(false),
		zstd.WithZeroFrames(false),
		zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("pebblestore: zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxObjectSize),
		zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("pebblestore: zstd decoder: %w", err)
	}
	return &codec{enc: enc, dec: dec}, nil
}

func (c *codec) close() {
	c.enc.Close()
	c.dec.Close()
}

// decodeSlack is spare capacity given to the zstd decoder.
const decodeSlack = 64

// headerLen is the fixed part of a value: format, kind, encoding.
const headerLen = 3

// encode returns the stored value of an object:
//
//	[format=1][kind][encoding][uvarint rawLen][payload]
//
// The payload of a blob is a zstd frame when that is smaller than the raw
// bytes; everything else is stored raw.
func (c *codec) encode(kind Kind, raw []byte) []byte {
	maxHdr := headerLen + binary.MaxVarintLen64
	out := make([]byte, maxHdr, maxHdr+len(raw))
	hdr := len(putHeader(out, kind, encZstd, len(raw)))
	out = out[:hdr]
	if compressible(kind, raw) && !c.incompressible(raw) {
		out = c.enc.EncodeAll(raw, out)
		if len(out)-hdr < len(raw) {
			return out
		}
	}
	out = append(out[:hdr], raw...)
	out[2] = encRaw
	return out
}

// compressible reports whether encode tries to compress an object. Only
// blobs are compressed: trees are mostly 32-byte hashes (zstd kept 75 % of
// them on Go's source tree, 1.6 % of the store) and compressing them cost
// 15 % of a small checkpoint; below 64 bytes a frame's overhead eats the
// gain.
func compressible(kind Kind, raw []byte) bool {
	return len(raw) >= 64 && kind == KindBlob
}

// putHeader writes the header of a value into dst (at least
// headerLen+binary.MaxVarintLen64 bytes) and returns it.
func putHeader(dst []byte, kind Kind, enc byte, rawLen int) []byte {
	dst[0], dst[1], dst[2] = ObjectFormat, byte(kind), enc
	n := binary.PutUvarint(dst[headerLen:], uint64(rawLen))
	return dst[:headerLen+n]
}

// setRaw adds the value of an object that is not compressible to batch b
// under key, written straight into the batch (a tree of a large directory
// is not copied once more on its way there), and returns its length: the
// value is what encode would return.
func setRaw(b *pebble.Batch, key []byte, kind Kind, raw []byte) (int, error) {
	var hbuf [headerLen + binary.MaxVarintLen64]byte
	hdr := putHeader(hbuf[:], kind, encRaw, len(raw))
	op := b.SetDeferred(len(key), len(hdr)+len(raw))
	copy(op.Key, key)
	copy(op.Value[copy(op.Value, hdr):], raw)
	return len(op.Value), op.Finish()
}

// Probes of large blobs: three samples of probeLen bytes (start, middle,
// end) of a blob of at least probeMin bytes are compressed first; when
// none of them shrinks by more than 2 %, the blob is stored raw without
// compressing the rest. Media, archives, model weights and other
// already-compressed files are common in workdirs: for 256 MiB of random
// bytes this saved most of the 11 % of the checkpoint's CPU that went to
// zstd. A blob whose samples all fail to compress but whose other parts
// would is stored raw: a little space for a lot of time.
const (
	probeMin = 256 << 10
	probeLen = 16 << 10
)

// incompressible reports whether raw's probes do not compress.
func (c *codec) incompressible(raw []byte) bool {
	if len(raw) < probeMin {
		return false
	}
	buf := make([]byte, 0, probeLen+probeLen/8)
	for _, off := range []int{0, len(raw)/2 - probeLen/2, len(raw) - probeLen} {
		buf = c.enc.EncodeAll(raw[off:off+probeLen], buf[:0])
		if len(buf) < probeLen*98/100 {
			return false
		}
	}
	return true
}

// decode verifies the header of a stored value, decompresses it and checks
// that the result hashes to id. dst is reused when large enough.
func (c *codec) decode(id ID, val []byte) (Kind, []byte, error) {
	if len(val) < headerLen+1 {
		return 0, nil, fmt.Errorf("%w: object %s: value truncated (%d bytes)", ErrCorrupt, id, len(val))
	}
	if val[0] > ObjectFormat {
		return 0, nil, fmt.Errorf("%w: object %s has format %d, this ckptfs reads up to %d", ErrFormatVersion, id, val[0], ObjectFormat)
	}
	if val[0] != ObjectFormat {
		return 0, nil, fmt.Errorf("%w: object %s: bad format byte %d", ErrCorrupt, id, val[0])
	}
	kind := Kind(val[1])
	if !kind.Valid() {
		return 0, nil, fmt.Errorf("%w: object %s: unknown kind %d", ErrCorrupt, id, val[1])
	}
	rawLen, n := binary.Uvarint(val[headerLen:])
	if n <= 0 || rawLen > maxObjectSize {
		return 0, nil, fmt.Errorf("%w: object %s: bad length", ErrCorrupt, id)
	}
	payload := val[headerLen+n:]
	var raw []byte
	switch val[2] {
	case encRaw:
		if uint64(len(payload)) != rawLen {
			return 0, nil, fmt.Errorf("%w: object %s: length %d, header says %d", ErrCorrupt, id, len(payload), rawLen)
		}
		raw = append([]byte(nil), payload...)
	case encZstd:
		// Slack past the declared length lets the decoder use its fast
		// path (it may overwrite a few bytes past the end): load/1MB
		// 360 → 435 MB/s. The length is checked right after.
		out, err := c.dec.DecodeAll(payload, make([]byte, 0, rawLen+decodeSlack))
		if err != nil || uint64(len(out)) != rawLen {
			return 0, nil, fmt.Errorf("%w: object %s: undecodable payload", ErrCorrupt, id)
		}
		raw = out
	default:
		return 0, nil, fmt.Errorf("%w: object %s: unknown encoding %d", ErrCorrupt, id, val[2])
	}
	if Hash(kind, raw) != id {
		return 0, nil, fmt.Errorf("%w: object %s: content does not match its id", ErrCorrupt, id)
	}
	return kind, raw, nil
}
