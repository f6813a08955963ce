package fusefs

import (
	"context"
	"errors"
	iofs "io/fs"
	"log/slog"
	"syscall"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
	"github.com/ckptfs/ckptfs/tree"
)

// toErrno maps an error of the store, the tree package, the control-file
// parser or the OS to the errno a FUSE operation returns. It is the only
// place where errors become errno values (docs/MOUNT.md has the table).
// Errors that mean the store failed (corruption, I/O) and errors nobody
// expected are logged and become EIO.
func toErrno(log *slog.Logger, err error) syscall.Errno {
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return syscall.EINTR
	case errors.Is(err, ctlparse.ErrSyntax),
		errors.Is(err, ckptfs.ErrInvalidName),
		errors.Is(err, ckptfs.ErrInvalidArgument),
		errors.Is(err, ckptfs.ErrInvalidPath),
		errors.Is(err, ckptfs.ErrInvalidID),
		errors.Is(err, ckptfs.ErrAmbiguous):
		return syscall.EINVAL
	case errors.Is(err, ckptfs.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, ckptfs.ErrExists):
		return syscall.EEXIST
	case errors.Is(err, ckptfs.ErrNotEmpty):
		return syscall.ENOTEMPTY
	case errors.Is(err, ckptfs.ErrNoSpace):
		return syscall.ENOSPC
	case errors.Is(err, ckptfs.ErrMergeConflict):
		return syscall.EBUSY
	case errors.Is(err, ckptfs.ErrConflict):
		// The branch head kept moving while the command ran.
		return syscall.EAGAIN
	case errors.Is(err, tree.ErrNotDir):
		return syscall.ENOTDIR
	case errors.Is(err, ckptfs.ErrCorrupt), errors.Is(err, ckptfs.ErrFormatVersion):
		// The store failed: fall through to the logged EIO below.
	case errors.As(err, &errno) && errno != 0:
		// An explicit errno (os.PathError from the source tree, EBUSY
		// from a merge handler, EACCES from an access check).
		return errno
	case errors.Is(err, iofs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, iofs.ErrPermission):
		return syscall.EACCES
	}
	if log != nil {
		log.Error("store error", "err", err)
	}
	return syscall.EIO
}
