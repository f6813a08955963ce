// Package pebblestore is the only package that knows Pebble: it stores
// content-addressed objects and the checkpoint catalog (sessions, branch
// heads, tags, time indexes) in one Pebble database. docs/FORMAT.md gives
// the key and byte layouts.
//
// # Objects
//
// An object is a kind (blob, tree, checkpoint) and bytes; its ID is the
// BLAKE3-256 hash of the kind byte and the uncompressed bytes. Values are
// stored zstd-compressed when that pays, raw otherwise. Every read
// re-hashes: a mismatch, a truncated value or a bad header is ErrCorrupt
// and no data is returned.
//
// # Writing
//
// A checkpoint's new objects go into an ObjectBatch; Commit applies them
// together with the catalog changes of a transaction function in one
// atomic batch, under a commit lock that makes branch-head
// compare-and-swaps and the running Stats exact. The WAL sync is waited
// for after the lock is released, so concurrent commits share syncs.
// Update is Commit without objects.
//
// # Garbage collection and pins
//
// A writer pins every id it puts or reuses before checking that the id
// exists, and unpins when its batch closes. A collector, running inside
// Update (so no commit interleaves), treats the closure of every pinned id
// as live; either it sees the pin or the writer sees the object gone and
// writes it again.
//
// # Errors
//
// Errors wrap the sentinels of errors.go (ErrNotFound, ErrCorrupt,
// ErrInUse, ErrNoSpace, …). A commit that would leave less than
// Options.ReserveBytes free fails with ErrNoSpace before writing anything,
// because Pebble treats a failed WAL write as fatal.
package pebblestore
