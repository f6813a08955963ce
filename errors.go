package ckptfs

import (
	"errors"
	"strings"

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

// Message renders err for a user: the package prefixes of wrapped
// sentinels ("pebblestore: ", "tree: ", "ckptfs: ") are dropped.
func Message(err error) string {
	msg := err.Error()
	for _, p := range []string{"pebblestore: ", "ckptfs: ", "tree: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}
