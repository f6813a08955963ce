package fusefs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Access checks for --allow-other. The daemon runs as the user who
// mounted (often root); a control command from another user must not read
// or write through it what that user could not. Paths given in from= and
// to= are checked like access(2) does: search permission on every
// directory on the way, then the wanted permission on the path itself,
// against the caller's uid, gid and supplementary groups (read from
// /proc/PID/status). ACLs, capabilities other than root's and the
// components of symlink targets are not considered.

// Permission bits as in access(2).
const (
	permR = 4
	permW = 2
	permX = 1
)

// creds are the credentials of the process that sent a request.
type creds struct {
	uid    uint32
	gids   []uint32 // primary first
	isRoot bool
}

func credsOf(c *fuse.Caller) *creds {
	cr := &creds{uid: c.Uid, gids: []uint32{c.Gid}, isRoot: c.Uid == 0}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Pid)); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Groups:"); ok {
				for _, g := range strings.Fields(rest) {
					if n, err := strconv.ParseUint(g, 10, 32); err == nil {
						cr.gids = append(cr.gids, uint32(n))
					}
				}
			}
		}
	}
	return cr
}

// may reports whether the credentials grant want (permR|permW|permX) on a
// file with the given stat.
func (c *creds) may(st *syscall.Stat_t, want uint32) bool {
	if c.isRoot {
		// Root may do anything but execute a file no one may execute.
		return want&permX == 0 || st.Mode&0o111 != 0 || st.Mode&syscall.S_IFMT == syscall.S_IFDIR
	}
	var bits uint32
	switch {
	case st.Uid == c.uid:
		bits = st.Mode >> 6
	case c.inGroup(st.Gid):
		bits = st.Mode >> 3
	default:
		bits = st.Mode
	}
	return bits&want == want
}

func (c *creds) inGroup(gid uint32) bool {
	for _, g := range c.gids {
		if g == gid {
			return true
		}
	}
	return false
}

// check verifies that the caller may reach path (absolute, cleaned) and
// has want on it. It returns a *os.PathError wrapping EACCES or the stat
// error.
func (c *creds) check(path string, want uint32) error {
	if c.isRoot {
		return nil
	}
	dir := "/"
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		var st syscall.Stat_t
		if err := syscall.Stat(dir, &st); err != nil {
			return &os.PathError{Op: "access", Path: dir, Err: err}
		}
		if !c.may(&st, permX) {
			return &os.PathError{Op: "access", Path: dir, Err: syscall.EACCES}
		}
		if p == "" {
			break
		}
		dir = filepath.Join(dir, p)
		if i == len(parts)-1 {
			break
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return &os.PathError{Op: "access", Path: path, Err: err}
	}
	if !c.may(&st, want) {
		return &os.PathError{Op: "access", Path: path, Err: syscall.EACCES}
	}
	return nil
}

// excluder returns an import filter that leaves out what the caller
// cannot read: directories it cannot list and search, files it cannot
// read. Symlinks are kept (reading a link needs no permission on it).
func (c *creds) excluder(root string) func(rel string, dir bool) bool {
	return func(rel string, dir bool) bool {
		var st syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(root, rel), &st); err != nil {
			return false // vanished: the import itself reports it
		}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFDIR:
			return !c.may(&st, permR|permX)
		case syscall.S_IFREG:
			return !c.may(&st, permR)
		}
		return false
	}
}
