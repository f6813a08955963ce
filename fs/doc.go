// Package fusefs serves a ckptfs store as a FUSE file system (SPEC §2)
// with control files (SPEC §3), on go-fuse v2. docs/MOUNT.md is the
// user-facing description; this comment is for maintainers.
//
// The directory is fs/ but the package is fusefs, to keep it apart from
// io/fs and go-fuse's fs (imported here as iofs and gofs).
//
// # Nodes
//
// The root and its three children are persistent inodes. Everything else
// is created by Lookup with NewInode and dropped when the kernel forgets
// it: session directories, branch and tag directories, the per-checkpoint
// views and every path inside a checkpoint. Each node type embeds node,
// which answers every mutating operation with EROFS (go-fuse would
// otherwise answer ENOTSUP, or silently succeed for unlink and rmdir),
// serves statfs and access(2), and drops the node's inode-number claim on
// forget. Directories are opened with a dirHandle over a listing fixed at
// opendir; READDIRPLUS instantiates entries through the handle's Lookup
// only for listings up to plusLimit entries.
//
// Lookups fill the attributes themselves (go-fuse does not call Getattr
// after a Lookup), through the same attr method Getattr uses.
//
// # Inode numbers
//
// See ino.go: st_ino is a 64-bit hash of (checkpoint id, path) inside
// checkpoints and of the mount path elsewhere; Gen separates views and
// resolves collisions among live nodes.
//
// # Kernel caches
//
// Global entry and attribute timeouts are 0 and failed lookups are not
// cached. Checkpoint contents are immutable: one hour for names and
// attributes, and FOPEN_KEEP_CACHE for file data. Names that can
// disappear (sessions, branches, tags, checkpoint names, tag links) are
// also cached for an hour; the store's event callback queues their
// invalidation (notify.go), which a goroutine sends to the kernel for the
// names go-fuse knows the kernel holds. Listings of directories that change
// are never cached (no FOPEN_CACHE_DIR), so new entries appear at once;
// listings inside a checkpoint, which never change, are. Files whose content
// changes (log, stats.json, ID.json) have attribute timeout 0, an exact
// size at every stat, and DIRECT_IO handles whose content is fixed at
// open. HEAD's target is read at each readlink (symlink caching is not
// negotiated).
//
// # Concurrency and deadlocks
//
// Any handler may run concurrently with any other. Shared state is the
// session catalog cache (catalog.go, one build at a time per session),
// the inode table, the last results of control files and the notifier
// queue, each with its own mutex; none is held while calling into the
// kernel. Kernel notifications are only sent from the notifier goroutine,
// never from inside a handler. A control-file write waits (bounded by
// Options.NotifyWait) for the notifications its command caused: the ctl
// WRITE holds only the ctl inode's lock, which no notification needs.
//
// # Errors
//
// toErrno (errno.go) is the only mapping from errors to errno values. A
// control command's error message becomes its result line.
package fusefs
