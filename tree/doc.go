// Package tree encodes and reads the immutable file trees of checkpoints.
//
// A Tree is one directory: entries sorted bytewise by name, each a file
// (mode, mtime, size, content chunks), a directory (subtree id and the
// totals of that subtree) or a symlink (target). Equal directories encode
// to equal bytes and so have equal ids: diff and merge skip equal
// subtrees without reading them, and an unchanged subtree costs nothing
// to store again. A Checkpoint object names a root tree, its parents and
// its metadata; it reaches every byte it needs through its own root.
//
// The package reads through a Reader (byte-bounded caches of decoded trees,
// chunks and checkpoints) and writes through a Putter (an ObjectBatch):
// PutBytes/PutReader store file content (one blob below 512 KiB, FastCDC
// chunks above), Editor edits a tree copy-on-write so that the cost follows
// the change, Import snapshots a directory, Diff compares two trees in
// bytewise path order.
//
// Decoders validate everything (names, order, sizes, canonical varints) and
// are fuzzed: a tree or checkpoint that decodes is canonical.
package tree
