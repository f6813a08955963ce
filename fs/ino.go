package fusefs

import (
	"encoding/binary"
	"log/slog"
	"sync"

	"github.com/zeebo/blake3"
)

// Inode numbers (docs/MOUNT.md "Inode numbers").
//
// st_ino of a path inside a checkpoint is the first 64 bits of
// BLAKE3("c" id path); of any other node the first 64 bits of
// BLAKE3("m" path-below-the-mount). Both are the same across remounts and
// never depend on content, so two files with equal content have distinct
// numbers.
//
// go-fuse treats two live nodes with equal {Mode, Ino, Gen} as the same
// inode (a hard link). Two things use Gen to keep nodes apart that must
// stay apart:
//
//   - The view: the same checkpoint is reachable as checkpoints/NAME and
//     branches/B/NAME, and under several unique prefixes. Each such
//     entry point gets its own Gen (a hash of its path), so the kernel
//     never sees one directory under two names (which it would treat as
//     a moved dentry), while st_ino stays the same in every view.
//   - Collisions: two different identities whose 64-bit hashes collide
//     within the same view. The inoTable records a 64-bit check value of
//     every live node; the second identity gets Gen+1 (and so on), which
//     keeps go-fuse from serving one file's content for the other. Both
//     then report the same st_ino, which tools may take for a hard link;
//     with 64-bit hashes this needs billions of live paths to matter.

// ident is the identity of a node: its st_ino, the Gen of its view and a
// second, independent hash of the whole identity used to detect
// collisions.
type ident struct {
	ino, gen, check uint64
}

// hashParts hashes length-prefixed parts into two independent 64-bit
// values.
func hashParts(parts ...string) (uint64, uint64) {
	h := blake3.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])
}

// fixIno keeps hashed numbers off the values go-fuse reserves (0, 1 for
// the root, and all ones).
func fixIno(ino uint64) uint64 {
	if ino <= 1 || ino == ^uint64(0) {
		return ino + 2
	}
	return ino
}

// mountIdent is the identity of a node that is not inside a checkpoint,
// named by its path below the mount point.
func mountIdent(path string) ident {
	ino, check := hashParts("m", path)
	return ident{ino: fixIno(ino), check: check}
}

// viewGen is the Gen shared by every node of one view of a checkpoint.
func viewGen(view string) uint64 {
	g, _ := hashParts("v", view)
	return g
}

// ckptIdent is the identity of path p (relative, "" = root) of
// checkpoint id seen through view.
func ckptIdent(id, p, view string) ident {
	ino, _ := hashParts("c", id, p)
	_, check := hashParts("c", id, p, view)
	return ident{ino: fixIno(ino), gen: viewGen(view), check: check}
}

type inoKey struct{ ino, gen uint64 }

type inoClaim struct {
	check uint64
	owner *node // the live node holding the key; nil until instantiated
}

// inoTable records the identity of every live dynamic node, to detect
// hash collisions. Entries are removed when go-fuse forgets the node, so
// its size follows the number of inodes the kernel holds.
type inoTable struct {
	log *slog.Logger

	mu         sync.Mutex
	m          map[inoKey]inoClaim
	collisions int
}

// claim returns the Gen to use for id: id.gen, or a higher one when a
// different identity holds (ino, gen).
func (t *inoTable) claim(id ident) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[inoKey]inoClaim)
	}
	gen := id.gen
	for {
		k := inoKey{id.ino, gen}
		c, ok := t.m[k]
		if !ok {
			t.m[k] = inoClaim{check: id.check}
			return gen
		}
		if c.check == id.check {
			return gen
		}
		t.collisions++
		if t.log != nil {
			t.log.Warn("inode number collision; using another generation", "ino", id.ino, "gen", gen)
		}
		gen++
	}
}

// own records the live node that holds (ino, gen).
func (t *inoTable) own(n *node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := inoKey{n.id.ino, n.id.gen}
	if c, ok := t.m[k]; !ok || c.check == n.id.check {
		t.m[k] = inoClaim{check: n.id.check, owner: n}
	}
}

// release forgets (ino, gen) if n holds it.
func (t *inoTable) release(n *node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := inoKey{n.id.ino, n.id.gen}
	if c, ok := t.m[k]; ok && c.owner == n {
		delete(t.m, k)
	}
}

// size returns the number of live entries and collisions seen (tests).
func (t *inoTable) size() (live, collisions int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m), t.collisions
}
