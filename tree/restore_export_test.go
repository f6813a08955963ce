package tree

// Test hooks, exported to the external tests.

// SetTestHookAfterRead sets the hook called after a file is imported.
func SetTestHookAfterRead(f func(rel string)) { testHookAfterRead = f }

// SetTestHookBeforeRename sets the hook called before a restored file is
// renamed into place.
func SetTestHookBeforeRename(f func(rel string)) { testHookBeforeRename = f }
