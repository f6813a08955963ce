package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ckptfs/ckptfs/pebblestore"
	fastcdc "github.com/jotfs/fastcdc-go"
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
	head := make([]byte, SingleBlobMax)
	n, err := io.ReadFull(r, head)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return putSingle(p, head[:n])
	}
	if err != nil {
		return nil, err
	}
	ch, err := fastcdc.NewChunker(io.MultiReader(bytes.NewReader(head), r), fastcdc.Options{
		MinSize: chunkMin, AverageSize: chunkAvg, MaxSize: chunkMax, BufSize: 2 * chunkMax,
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
		id := pebblestore.Hash(pebblestore.KindBlob, c.Data)
		if err := p.PutWithID(id, pebblestore.KindBlob, c.Data); err != nil {
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
