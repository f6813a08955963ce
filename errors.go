package ckptfs

import (
	"errors"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

// Errors callers test with errors.Is.
var (
	ErrNotFound      = pebblestore.ErrNotFound
	ErrExists        = pebblestore.ErrExists
	ErrCorrupt       = pebblestore.ErrCorrupt
	ErrInUse         = pebblestore.ErrInUse
	ErrNoSpace       = pebblestore.ErrNoSpace
	ErrFormatVersion = pebblestore.ErrFormatVersion
	ErrAmbiguous     = pebblestore.ErrAmbiguous
	ErrNotEmpty      = pebblestore.ErrNotEmpty
	ErrInvalidID     = pebblestore.ErrInvalidID
	ErrInvalidPath   = tree.ErrInvalidName
	// ErrInvalidName: a session, branch or tag name breaks SPEC §1.
	ErrInvalidName = errors.New("ckptfs: invalid name")
	// ErrInvalidArgument: a bad option value (relative path, bad time, …).
	ErrInvalidArgument = errors.New("ckptfs: invalid argument")
	// ErrConflict: the branch head kept moving while a checkpoint was made.
	ErrConflict = pebblestore.ErrRefConflict
)
