package tree

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// removeExtra deletes a path the tree lacks, keeping protected paths
// inside it; a path that cannot be removed is a warning.
func (rs *restorer) removeExtra(d *restoreDir, fd int, name, rel string, cur *fileStat) error {
	err := rs.remove(d, fd, name, rel, cur, false)
	if err != nil && skippable(err) {
		rs.warn(rel, err)
		return nil
	}
	return err
}

// remove deletes name (recursively, never following a symlink). With
// force it removes everything; otherwise protected paths inside a
// directory are kept, and so is the directory.
func (rs *restorer) remove(d *restoreDir, fd int, name, rel string, cur *fileStat, force bool) error {
	if cur.typ != TypeDir {
		if err := unix.Unlinkat(fd, name, 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("tree: remove %s: %w", rel, err)
		}
		d.touched.Store(true)
		rs.removed.Add(1)
		return nil
	}
	complete, err := rs.removeContents(fd, name, rel, force)
	if err != nil {
		return err
	}
	if !complete {
		return nil
	}
	if err := unix.Unlinkat(fd, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return fmt.Errorf("tree: remove %s: %w", rel, err)
	}
	d.touched.Store(true)
	rs.removed.Add(1)
	return nil
}

// removeContents empties directory name of fd; complete is false when
// protected paths were kept.
func (rs *restorer) removeContents(pfd int, name, rel string, force bool) (complete bool, err error) {
	fd, err := openatRetry(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("tree: remove %s: %w", rel, err)
	}
	defer unix.Close(fd)
	names, err := readDirNames(fd)
	if err != nil {
		return false, fmt.Errorf("tree: remove %s: %w", rel, err)
	}
	complete = true
	dummy := &restoreDir{}
	for _, n := range names {
		crel := rel + "/" + n
		st, err := lstatAt(fd, n)
		if err == unix.ENOENT {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("tree: remove %s: %w", crel, err)
		}
		if !force && (st.typ == 0 || rs.protected(dummy, crel, st.typ == TypeDir)) {
			complete = false
			continue
		}
		if st.typ == TypeDir {
			c, err := rs.removeContents(fd, n, crel, force)
			if err != nil {
				return false, err
			}
			if !c {
				complete = false
				continue
			}
			if err := unix.Unlinkat(fd, n, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
				return false, fmt.Errorf("tree: remove %s: %w", crel, err)
			}
		} else if err := unix.Unlinkat(fd, n, 0); err != nil && err != unix.ENOENT {
			return false, fmt.Errorf("tree: remove %s: %w", crel, err)
		}
		rs.removed.Add(1)
	}
	return complete, nil
}
