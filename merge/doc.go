// Package merge merges checkpoint trees three ways, as git and jj do
// (SPEC §7): find the merge base in the parent graph, then merge the two
// trees path by path against the base's tree, and text files line by
// line (package textmerge).
//
// # Merge base
//
// [Bases] returns the lowest common ancestors of two checkpoints, walking
// the parent graph newest first (git's paint-down), so the
// cost follows the history since the fork. The result is exact whatever
// the checkpoint times; when there are several candidates, checking that
// none is an ancestor of another walks all their ancestors. A merge
// checkpoint has two parents; deleted checkpoints end the walk. Unrelated
// histories have no base and merge against an empty tree. After criss-cross merges there can be
// several bases: [Recursive] merges them into a virtual base first, the
// other strategies take the newest. [Checkpoints] does all of this, and
// recognizes the fast paths (nothing to merge; fast-forward).
//
// # Trees
//
// [Trees] walks the three trees as one zipper over their sorted entries.
// A directory whose tree id is equal on two sides is never read: when
// ours and theirs agree, or one side equals the base, that side's
// subtree is taken whole. Per name:
//
//   - changed on one side only (type, mode or content) → that side;
//   - changed the same way on both → that;
//   - directories on both sides → merged recursively, modes three-way;
//   - files on both sides → modes three-way, contents line by line
//     (diff3) when both changed them; binary files (textmerge.IsBinary)
//     are not line-merged;
//   - symlinks on both sides → modes three-way, targets taken whole;
//   - deleted on one side, a changed directory on the other → merged
//     path by path with the deleted side as an empty directory, which
//     goes away if nothing is left in it.
//
// New files and trees are written to a tree.Putter (the checkpoint's
// object batch); unchanged files and subtrees of ours and theirs are
// reused by id, and both roots are pinned (Reuse) so a concurrent gc
// cannot free them.
//
// # Conflicts
//
// Kinds: [BothModified] (overlapping hunks of a text file, a binary file
// or a symlink target changed differently on both sides), [ModifyDelete],
// [AddAdd] (both added different content), [FileDir] (different types:
// file, directory, symlink), [Mode] (both changed the permission bits
// differently; a path can have a mode and a content conflict). Every
// conflict is reported whatever the strategy; [Paths] gives the distinct
// paths that the merge checkpoint lists. Resolution:
//
//	strategy    text hunks   binary, symlink   file/directory   modify/delete      mode
//	fail        nothing is created: Result.Root is zero
//	ours        ours         ours              ours             ours's side        ours
//	theirs      theirs       theirs            theirs           theirs's side      theirs
//	recursive   markers      ours              ours             the changed side   ours
//
// Under fail the walk goes on after the first conflict, so that every
// conflict is listed, but writes nothing more.
//
// Only conflicting hunks or paths take a side: everything else is merged
// (git's -X ours / -X theirs). Markers are "<<<<<<< ours", "=======",
// ">>>>>>> theirs" (with Options.Diff3, also "||||||| base"); an add/add
// text conflict is merged against an empty base. Recursive keeps the
// changed side of a modify/delete, as git leaves it in the work tree, so
// that no edit is lost.
//
// # Errors
//
// Conflicts are not errors: callers decide (the ckptfs root package
// turns conflicts under fail into a MergeConflictError). Errors are
// store errors (wrapping pebblestore sentinels), ctx errors, and
// ErrStrategy.
package merge
