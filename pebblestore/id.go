package pebblestore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/zeebo/blake3"
)

// IDSize is the size of an object id in bytes.
const IDSize = 32

// ID is the BLAKE3-256 hash of an object's kind byte followed by its
// canonical uncompressed encoding. It is comparable and usable as a map key.
type ID [IDSize]byte

// Kind says what an object holds. The kind is part of the hashed bytes, so a
// blob and a tree with the same bytes have different ids.
type Kind byte

// Object kinds. Values are part of the on-disk format and must not change.
const (
	KindBlob       Kind = 1 // file content or one chunk of it
	KindTree       Kind = 2 // one directory
	KindCheckpoint Kind = 3 // checkpoint metadata and root tree
)

func (k Kind) String() string {
	switch k {
	case KindBlob:
		return "blob"
	case KindTree:
		return "tree"
	case KindCheckpoint:
		return "checkpoint"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k >= KindBlob && k <= KindCheckpoint }

// Hash returns the id of an object of the given kind and canonical bytes.
func Hash(kind Kind, data []byte) ID {
	h := hasherPool.Get().(*blake3.Hasher)
	h.Reset()
	k := [1]byte{byte(kind)}
	h.Write(k[:])
	h.Write(data)
	var id ID
	h.Sum(id[:0])
	hasherPool.Put(h)
	return id
}

// hasherPool recycles hashers: most objects are small, and allocating a
// hasher was a measurable part of hashing them.
var hasherPool = sync.Pool{New: func() any { return blake3.New() }}

// String returns the 64-digit lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 12 hex digits, for logs.
func (id ID) Short() string { return hex.EncodeToString(id[:6]) }

// IsZero reports whether id is the zero id (used for "none").
func (id ID) IsZero() bool { return id == ID{} }

// ErrInvalidID is returned by ParseID for malformed input.
var ErrInvalidID = errors.New("pebblestore: invalid id")

// ParseID parses a full 64-digit hex id.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*IDSize {
		return id, fmt.Errorf("%w %q: want %d hex digits", ErrInvalidID, s, 2*IDSize)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w %q: %v", ErrInvalidID, s, err)
	}
	return id, nil
}

// MarshalText implements encoding.TextMarshaler (JSON as a hex string).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MinPrefixLen is the shortest id prefix accepted.
const MinPrefixLen = 4

// IsIDPrefix reports whether s can be an id prefix: 4 to 64 lowercase hex
// digits.
func IsIDPrefix(s string) bool {
	if len(s) < MinPrefixLen || len(s) > 2*IDSize {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
