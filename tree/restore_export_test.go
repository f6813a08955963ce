package tree

import "golang.org/x/sys/unix"

// Test hooks, exported to the external tests.

// SetTestHookAfterRead sets the hook called after a file is imported.
func SetTestHookAfterRead(f func(rel string)) { testHookAfterRead = f }

// SetTestHookBeforeRename sets the hook called before a restored file is
// renamed into place.
func SetTestHookBeforeRename(f func(rel string)) { testHookBeforeRename = f }

// WithoutRenameNoreplace makes restore see a filesystem whose renameat2
// refuses RENAME_NOREPLACE until the returned function is called.
func WithoutRenameNoreplace() (restore func()) {
	old := renameat2
	renameat2 = func(int, string, int, string, uint) error { return unix.EINVAL }
	return func() { renameat2 = old }
}
