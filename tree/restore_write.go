package tree

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/ckptfs/ckptfs/pebblestore"
	"golang.org/x/sys/unix"
)

// symlink makes name the symlink e.
func (rs *restorer) symlink(d *restoreDir, fd int, name, rel string, e *Entry, cur *fileStat) error {
	if cur != nil {
		target, err := readlinkAt(fd, name)
		if err == nil && target == e.Target {
			if cur.mtime == e.ModTime || e.ModTime == 0 {
				rs.unchanged.Add(1)
				return nil
			}
			if err := setTimes(fd, name, e.ModTime, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("tree: restore %s: %w", rel, err)
			}
			rs.written.Add(1)
			return nil
		}
	}
	if d.fresh {
		if err := unix.Symlinkat(e.Target, fd, name); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	} else {
		tmp := rs.tmpName()
		if err := unix.Symlinkat(e.Target, fd, tmp); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
		if err := unix.Renameat(fd, tmp, fd, name); err != nil {
			unix.Unlinkat(fd, tmp, 0)
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	d.touched.Store(true)
	if e.ModTime != 0 {
		if err := setTimes(fd, name, e.ModTime, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	rs.written.Add(1)
	return nil
}

// fixMeta sets the mode and mtime of a file whose content is right,
// through a descriptor opened without following symlinks. A file that
// cannot be opened is written anew.
func (rs *restorer) fixMeta(d *restoreDir, fd int, name, rel string, e *Entry, cur *fileStat) error {
	if cur.mode == e.Mode && (cur.mtime == e.ModTime || e.ModTime == 0) {
		rs.unchanged.Add(1)
		return nil
	}
	f, err := openatRetry(fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if skippable(err) {
			return rs.writeFile(d, fd, rel, e)
		}
		return fmt.Errorf("tree: restore %s: %w", rel, err)
	}
	defer unix.Close(f)
	if err := setMeta(f, e); err != nil {
		return fmt.Errorf("tree: restore %s: %w", rel, err)
	}
	rs.written.Add(1)
	return nil
}

// setMeta sets the mode and mtime of an open file or directory.
func setMeta(fd int, e *Entry) error {
	if err := unix.Fchmod(fd, e.Mode); err != nil {
		return err
	}
	if e.ModTime == 0 {
		return nil
	}
	return futimens(fd, e.ModTime)
}

// umask returns the process's umask as /proc reports it (reading it with
// umask(2) would change it for a moment, for every thread).
var umask = sync.OnceValues(func() (uint32, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return uint32(m), err == nil
		}
	}
	return 0, false
})

// futimens sets the mtime of an open file (atime is left alone).
func futimens(fd int, mtime int64) error {
	ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(mtime)}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// setTimes sets the mtime of name in fd (atime is left alone).
func setTimes(fd int, name string, mtime int64, flags int) error {
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(mtime)}
	return unix.UtimesNanoAt(fd, name, ts, flags)
}

func (rs *restorer) tmpName() string {
	return fmt.Sprintf("%s%d-%d.tmp", TempPrefix, rs.pid, rs.tmpSeq.Add(1))
}

// sameContent reports whether the regular file name in fd holds e's
// content; cur is its stat.
func sameContent(fd int, e *Entry) (cur fileStat, same bool, err error) {
	f, err := openatRetry(fd, e.Name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return cur, false, err
	}
	defer unix.Close(f)
	if cur, err = fstatFD(f); err != nil || cur.typ != TypeFile || uint64(cur.size) != e.Size {
		return cur, false, err
	}
	if e.Size == 0 {
		return cur, true, nil
	}
	if e.Size < SingleBlobMax {
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		buf := (*bp)[:e.Size+1]
		n, err := readFull(f, buf)
		if err != nil || uint64(n) != e.Size {
			return cur, false, err
		}
		return cur, len(e.Chunks) == 1 && pebblestore.Hash(pebblestore.KindBlob, buf[:n]) == e.Chunks[0].ID, nil
	}
	chunks, err := PutReader(hashOnly{}, fdReader{f})
	if err != nil {
		return cur, false, err
	}
	return cur, slices.Equal(chunks, e.Chunks), nil
}

// hashOnly is a Putter that stores nothing (content comparison).
type hashOnly struct{}

func (hashOnly) PutWithID(ID, pebblestore.Kind, []byte) error { return nil }
func (hashOnly) Reuse(ID) error                               { return nil }

// writeFile writes e to a temporary file in fd and renames it into place;
// in a fresh directory (not visible yet) it writes e under its name.
func (rs *restorer) writeFile(d *restoreDir, fd int, rel string, e *Entry) error {
	tmp := e.Name
	if !d.fresh {
		tmp = rs.tmpName()
	}
	perm := e.Mode & 0o777
	w, err := unix.Openat(fd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return fmt.Errorf("tree: restore %s: %w", rel, err)
	}
	um, known := umask()
	done := false
	defer func() {
		if !done {
			unix.Close(w)
			unix.Unlinkat(fd, tmp, 0)
		}
	}()
	for _, c := range e.Chunks {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		b, err := rs.r.uncachedChunk(rs.ctx, c)
		if err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
		if err := writeAll(w, b); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
		rs.bytes.Add(int64(len(b)))
	}
	if !known || e.Mode != perm || perm&um != 0 { // else open(2) set the mode
		if err := unix.Fchmod(w, e.Mode); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	if e.ModTime != 0 {
		if err := futimens(w, e.ModTime); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename(rel)
	}
	if err := rs.ctx.Err(); err != nil {
		return err
	}
	if err := unix.Close(w); err != nil {
		w = -1
		return fmt.Errorf("tree: restore %s: %w", rel, err)
	}
	w = -1
	if !d.fresh {
		if err := unix.Renameat(fd, tmp, fd, e.Name); err != nil {
			return fmt.Errorf("tree: restore %s: %w", rel, err)
		}
	}
	done = true
	d.touched.Store(true)
	rs.written.Add(1)
	return nil
}

// testHookBeforeRename is called when a file's temporary copy is written,
// before it is renamed into place (tests).
var testHookBeforeRename func(rel string)

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
