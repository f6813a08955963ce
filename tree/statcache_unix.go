package tree

import (
	"errors"
	"io"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Low-level file system access shared by import, restore and live diff.
// Everything below the walked directory is reached relative to a file
// descriptor of that directory, never through a symlink: openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has it (Linux 5.6),
// else one openat(O_NOFOLLOW) per component.

// statOf converts a stat(2) result.
func statOf(st *unix.Stat_t) fileStat {
	fs := fileStat{
		mode:  st.Mode & 0o7777,
		size:  st.Size,
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		ino:   st.Ino,
		dev:   st.Dev,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		fs.typ = TypeFile
	case unix.S_IFDIR:
		fs.typ = TypeDir
	case unix.S_IFLNK:
		fs.typ = TypeSymlink
	}
	return fs
}

// lstatAt stats name in directory fd without following a symlink.
func lstatAt(fd int, name string) (fileStat, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, err
		}
		return statOf(&st), nil
	}
}

// fstatFD stats an open file.
func fstatFD(fd int) (fileStat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileStat{}, err
	}
	return statOf(&st), nil
}

// haveOpenat2 probes once whether the kernel (and any seccomp filter)
// allows openat2.
var haveOpenat2 = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// openBeneath opens the slash-separated path rel below the directory root
// ("" is root itself) without following any symlink and without leaving
// root. flags are open(2) flags; O_NOFOLLOW and O_CLOEXEC are added.
func openBeneath(root int, rel string, flags int, mode uint32) (int, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if rel == "" {
		rel = "."
	}
	if !haveOpenat2() {
		return openByComponent(root, rel, flags, mode)
	}
	how := &unix.OpenHow{Flags: uint64(flags),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	if flags&unix.O_CREAT != 0 {
		how.Mode = uint64(mode)
	}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(root, rel, how)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN && i < 8: // EAGAIN: a concurrent rename
			continue
		case err == unix.EAGAIN:
			// Renames elsewhere kept invalidating the lookup: walk the
			// path one component at a time, which has the same guarantees.
			return openByComponent(root, rel, flags, mode)
		}
		return fd, err
	}
}

func openByComponent(root int, rel string, flags int, mode uint32) (int, error) {
	dir := root
	closeDir := func() {
		if dir != root {
			unix.Close(dir)
		}
	}
	for {
		name, rest, more := strings.Cut(rel, "/")
		if !more {
			fd, err := openatRetry(dir, name, flags, mode)
			closeDir()
			return fd, err
		}
		if name == ".." {
			closeDir()
			return -1, unix.EXDEV
		}
		fd, err := openatRetry(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		closeDir()
		if err != nil {
			return -1, err
		}
		dir, rel = fd, rest
	}
}

func openatRetry(dir int, name string, flags int, mode uint32) (int, error) {
	if name == ".." {
		return -1, unix.EXDEV
	}
	for {
		fd, err := unix.Openat(dir, name, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

var direntPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readDirNames returns the names in the open directory fd, sorted
// bytewise ("." and ".." left out).
func readDirNames(fd int) ([]string, error) {
	bp := direntPool.Get().(*[]byte)
	defer direntPool.Put(bp)
	buf := *bp
	var names []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	sort.Strings(names)
	return names, nil
}

// fdReader reads an open file descriptor.
type fdReader struct{ fd int }

func (r fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(r.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// readFull reads into p until it is full or the file ends.
func readFull(fd int, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Read(fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// skippable reports errors that leave one path out (with a warning)
// rather than fail the whole operation: it vanished, it cannot be read,
// or it changed type under us.
func skippable(err error) bool {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case unix.ENOENT, unix.EACCES, unix.EPERM, unix.ELOOP, unix.ENOTDIR, unix.ENXIO, unix.EISDIR, unix.ESTALE:
		return true
	}
	return false
}
