package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
)

// ID is an object id.
type ID = pebblestore.ID

// Type is the type of a tree entry.
type Type uint8

// Entry types. Values are part of the on-disk format.
const (
	TypeFile    Type = 1
	TypeDir     Type = 2
	TypeSymlink Type = 3
)

func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MaxNameLen is the longest entry name (Linux NAME_MAX).
const MaxNameLen = 255

// Errors.
var (
	ErrInvalidName = errors.New("tree: invalid name")
	ErrUnsorted    = errors.New("tree: entries not sorted")
	ErrNotDir      = errors.New("tree: not a directory")
	ErrIsDir       = errors.New("tree: is a directory")
	ErrMalformed   = errors.New("tree: malformed object")
)

// Chunk is one piece of a file's content.
type Chunk struct {
	ID   ID
	Size uint64
}

// Entry is one name in a directory.
type Entry struct {
	Name string
	Type Type
	// Mode holds the permission bits, setuid, setgid and sticky (07777).
	Mode uint32
	// ModTime is nanoseconds since the Unix epoch; 0 means unrecorded
	// (states built from key/value maps), and readers show the
	// checkpoint's time instead.
	ModTime int64
	// Size is the content size of a file, the target length of a symlink.
	Size   uint64
	Chunks []Chunk // file content, in order (none for an empty file)
	Tree   ID      // directory
	Sub    Summary // directory: totals of the subtree below it
	Target string  // symlink
}

// Summary totals a tree: regular files, directories and file bytes, all the
// way down. Directory entries carry the summary of their subtree, so a
// checkpoint's totals come from its root tree alone.
type Summary struct {
	Files, Dirs, Bytes uint64
}

// Add adds the contribution of entry e.
func (s *Summary) Add(e *Entry) {
	switch e.Type {
	case TypeFile:
		s.Files++
		s.Bytes += e.Size
	case TypeDir:
		s.Dirs += 1 + e.Sub.Dirs
		s.Files += e.Sub.Files
		s.Bytes += e.Sub.Bytes
	}
}

// Summary returns the totals of t.
func (t *Tree) Summary() Summary {
	var s Summary
	for i := range t.Entries {
		s.Add(&t.Entries[i])
	}
	return s
}

// FileMode returns the entry's mode as an io/fs FileMode.
func (e *Entry) FileMode() fs.FileMode {
	m := fs.FileMode(e.Mode & 0o777)
	if e.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if e.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if e.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch e.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	}
	return m
}

// Time returns ModTime as a time, or def when unrecorded.
func (e *Entry) Time(def time.Time) time.Time {
	if e.ModTime == 0 {
		return def
	}
	return time.Unix(0, e.ModTime)
}

// SameContent reports whether two entries have equal type, mode and
// content (names and mtimes aside).
func (e *Entry) SameContent(o *Entry) bool {
	if e.Type != o.Type || e.Mode != o.Mode || e.Size != o.Size {
		return false
	}
	switch e.Type {
	case TypeDir:
		return e.Tree == o.Tree
	case TypeSymlink:
		return e.Target == o.Target
	}
	if len(e.Chunks) != len(o.Chunks) {
		return false
	}
	for i := range e.Chunks {
		if e.Chunks[i] != o.Chunks[i] {
			return false
		}
	}
	return true
}

// Tree is one directory: entries sorted bytewise by name, names unique.
type Tree struct {
	Entries []Entry

	// enc is t's canonical encoding and offs[i] the offset of entry i in
	// it (offs[len(Entries)] == len(enc)), when known: set for trees the
	// Reader decoded and the Editor encoded, so that an edit of a large
	// directory copies the encodings of its unchanged entries instead of
	// validating and encoding each again (see encodeEdited).
	enc  []byte
	offs []uint32
	// blobs[i], when not "", is the whole content of file entry i, a
	// single blob (so its id is the blob's): kept for trees the Editor
	// built from contents it was given, so that a state checkpoint on
	// this tree finds an unchanged file by comparing bytes instead of
	// hashing them or looking them up (see setFlatState). nil when no
	// content is known.
	blobs []string
	// lazy: t was built by the Editor and its Entries and blobs are only
	// set by materialize (nil for every other tree).
	lazy *lazyTree
}

// Find returns the entry named name, using binary search.
func (t *Tree) Find(name string) (*Entry, bool) {
	lo, hi := 0, len(t.Entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.Entries[m].Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.Entries) && t.Entries[lo].Name == name {
		return &t.Entries[lo], true
	}
	return nil, false
}

// ValidName checks one path component: 1–255 bytes, not "." or "..", no
// '/' and no NUL.
func ValidName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalidName, MaxNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	case strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%w: %q contains '/' or NUL", ErrInvalidName, name)
	}
	return nil
}

// SplitPath splits a slash-separated relative path into validated
// components. Leading, trailing and repeated slashes are rejected, as are
// "." and ".." components.
func SplitPath(p string) ([]string, error) {
	if p == "" {
		return nil, fmt.Errorf("%w: empty path", ErrInvalidName)
	}
	parts := strings.Split(p, "/")
	for _, c := range parts {
		if err := ValidName(c); err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
	}
	return parts, nil
}
