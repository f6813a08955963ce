// Package fastcdc splits a stream into content-defined chunks with the
// FastCDC algorithm (Xia et al., USENIX ATC 2016,
// https://www.usenix.org/system/files/conference/atc16/atc16-paper-xia.pdf).
//
// It is github.com/jotfs/fastcdc-go v0.2.0 with one fix: upstream's
// NewChunker rewrites the package's gear table on every call, so chunkers
// created on different goroutines race (the race detector reports it as
// soon as two large files are imported at once). Chunk boundaries are
// unchanged — the tests compare them with upstream's — so stores keep
// deduplicating against chunks written before the fork (docs/FORMAT.md
// pins the parameters).
package fastcdc
