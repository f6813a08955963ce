package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ckptfs/ckptfs/internal/fastcdc"
	"github.com/ckptfs/ckptfs/pebblestore"
)

// Content-defined chunking parameters. They are part of the store format:
// changing them changes chunk boundaries and so defeats dedup against
// older checkpoints (docs/FORMAT.md).
const (
	// SingleBlobMax: files smaller than this are one blob.
	SingleBlobMax = 512 << 10
	chunkMin      = 512 << 10
	chunkAvg      = 1 << 20
	chunkMax      = 8 << 20
)

// Putter stores objects for a checkpoint being built
// (a *pebblestore.ObjectBatch).
type Putter interface {
	PutWithID(id ID, kind pebblestore.Kind, data []byte) error
	Reuse(id ID) error
}

// headPool recycles the buffers PutReader reads a file's first
// SingleBlobMax bytes into.
var headPool = sync.Pool{New: func() any { b := make([]byte, SingleBlobMax); return &b }}

// PutBytes stores file content held in memory and returns its chunks.
func PutBytes(p Putter, data []byte) ([]Chunk, error) {
	if len(data) < SingleBlobMax {
		return putSingle(p, data)
	}
	return PutReader(p, bytes.NewReader(data))
}

func putSingle(p Putter, data []byte) ([]Chunk, error) {
	if len(data) == 0 {
		return nil, nil
	}
	id := pebblestore.Hash(pebblestore.KindBlob, data)
	if err := p.PutWithID(id, pebblestore.KindBlob, data); err != nil {
		return nil, err
	}
	return []Chunk{{ID: id, Size: uint64(len(data))}}, nil
}

// PutReader stores file content read from r until EOF and returns its
// chunks. Content below SingleBlobMax is one blob; larger content is split
// with FastCDC.
func PutReader(p Putter, r io.Reader) ([]Chunk, error) {
	bp := headPool.Get().(*[]byte)
	head := *bp
	n, err := io.ReadFull(r, head)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The putter keeps what it is given: hand it an exact copy.
		data := bytes.Clone(head[:n])
		headPool.Put(bp)
		return putSingle(p, data)
	}
	if err != nil {
		headPool.Put(bp)
		return nil, err
	}
	head = bytes.Clone(head)
	headPool.Put(bp)
	ch, err := fastcdc.NewChunker(io.MultiReader(bytes.NewReader(head), r), fastcdc.Options{
		MinSize: chunkMin, AverageSize: chunkAvg, MaxSize: chunkMax, BufSize: chunkMax + chunkMin,
	})
	if err != nil {
		return nil, fmt.Errorf("tree: chunker: %w", err)
	}
	var chunks []Chunk
	for {
		c, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return chunks, nil
		}
		if err != nil {
			return nil, err
		}
		data := bytes.Clone(c.Data) // the chunker reuses its buffer
		id := pebblestore.Hash(pebblestore.KindBlob, data)
		if err := p.PutWithID(id, pebblestore.KindBlob, data); err != nil {
			return nil, err
		}
		chunks = append(chunks, Chunk{ID: id, Size: uint64(len(c.Data))})
	}
}

// chunksSize sums chunk sizes.
func chunksSize(cs []Chunk) uint64 {
	var n uint64
	for _, c := range cs {
		n += c.Size
	}
	return n
}
