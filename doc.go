// Package ckptfs is the Go API of the ckptfs checkpoint store: open a store,
// create checkpoints of file trees (from a directory, an in-memory state or
// a delta against a parent), read them back, list and search them, branch,
// tag, delete and verify. The command line, the FUSE mount and the
// benchmarks are thin layers over it.
//
// # Model
//
// A store holds sessions; a session holds checkpoints; a checkpoint is an
// immutable snapshot of a tree (regular files, directories, symlinks) with
// metadata (SPEC §1, §5). Branches are per-session names for a newest
// checkpoint; tags are labels. Ids are BLAKE3-256 content hashes, written as
// 64 hex digits; any unique prefix of at least 4 digits is accepted.
//
// # Concurrency
//
// A Store is safe for concurrent use. Only one process opens a store at a
// time (Open fails with ErrInUse otherwise); other processes go through the
// mount's control files.
//
// # Errors
//
// Errors wrap the sentinels re-exported here (ErrNotFound, ErrInvalidName,
// ErrCorrupt, …) so callers test them with errors.Is. The mount maps them to
// errno values in one place; the CLI maps them to exit codes in one place.
package ckptfs
