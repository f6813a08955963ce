package pebblestore

import "errors"

// Sentinel errors. Callers test them with errors.Is; the mount maps them to
// errno values in one place (package fs).
var (
	// ErrNotFound means an object, checkpoint, branch, tag or session does
	// not exist.
	ErrNotFound = errors.New("pebblestore: not found")
	// ErrCorrupt means stored bytes failed verification: a hash mismatch, a
	// truncated value or an undecodable header. Never returned with data.
	ErrCorrupt = errors.New("pebblestore: corrupt")
	// ErrFormatVersion means the store or an object was written by a newer
	// ckptfs with a format this build does not understand.
	ErrFormatVersion = errors.New("pebblestore: unsupported format version")
	// ErrInUse means another process holds the store's lock.
	ErrInUse = errors.New("pebblestore: store is in use by another process")
	// ErrRefConflict means a compare-and-swap of a branch head lost a race.
	ErrRefConflict = errors.New("pebblestore: branch head moved concurrently")
	// ErrExists means a session or branch being created already exists.
	ErrExists = errors.New("pebblestore: already exists")
	// ErrNoSpace means the disk is full. The store stays consistent.
	ErrNoSpace = errors.New("pebblestore: no space left on device")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("pebblestore: store is closed")
)
