// Package textmerge merges one text file line by line, the way git and
// GNU diff3 do: given a common ancestor (base) and two descendants (ours
// and theirs), it applies both sides' changes and reports the places
// where they conflict.
//
// # Lines
//
// A file is a sequence of lines, each keeping its terminator: a line is
// everything up to and including "\n", so a CRLF file's lines keep their
// "\r\n" and "a\r\n" and "a\n" are different lines. A last line without
// "\n" is a line of its own, different from the same text with "\n":
// removing or adding the final newline is a change to the last line, and
// an unterminated last line round-trips exactly through every clean merge
// and through the [Ours] and [Theirs] strategies. Lines are compared as
// bytes; the text need not be valid UTF-8. Files that [IsBinary] reports
// should not be line-merged at all: the caller decides what to do with
// them.
//
// # Diff
//
// [Diff] is Myers' O(ND) algorithm ("An O(ND) Difference Algorithm and
// Its Variations", 1986) in its linear-space form: find the middle snake
// of an optimal edit path by searching forward from the start and
// backward from the end at the same time, split there and recurse. Before
// that the common prefix and suffix are stripped, every line is replaced
// by a small integer (equal lines, equal numbers), and lines that occur in
// only one of the two files are set aside as changed, since no common
// subsequence can use them; this keeps nearly unrelated files linear
// without changing the length of the longest common subsequence found.
// The result is a minimal diff unless a single search needs more than
// about max(256, √(N+M)) edit steps, in which case, like GNU diff, it
// settles for the split point that made the most progress: the diff is
// then still correct but may be a little longer than minimal, and
// pathological input stays fast (two unrelated 10,000-line files made of
// five distinct lines take some tens of milliseconds). Finally every
// pure insertion or deletion is slid down as far as the equal lines
// around it allow, as git does, so that ambiguous hunks such as an added
// block ending in "}" are placed the same way whatever path the search
// took.
//
// # Merge
//
// [Merge] diffs base against ours and base against theirs, then walks
// both lists of hunks in base order. Hunks from the two sides that
// overlap or touch are gathered into one region: like GNU diff3 and git,
// two hunks touch when they share a boundary, so a change to line 5 on
// one side and to line 6 on the other conflict, as do an insertion
// between lines 5 and 6 and a change to line 5 or 6, while an insertion
// before line 5 and one after it do not. Each region then resolves to
//
//   - the changed side, when only one side has hunks in it;
//   - that text once, when both sides made it the same (identical
//     changes are not conflicts);
//   - the other side, when one side's text of the region equals base's;
//   - otherwise a conflict, handled according to [Options.Strategy].
//
// Regions are compared as wholes, so a change made identically on both
// sides that touches a change made on one side only still conflicts, as in
// git. Outside the regions base lines are copied. As shortcuts, if ours and
// theirs are equal byte for byte the result is ours, if base equals ours
// the result is theirs, and if base equals theirs it is ours.
//
// # Conflicts
//
// Conflicts counts the conflicting regions; it does not depend on the
// strategy, which only decides what is written for them:
//
//   - [Markers] writes git-style conflict markers (see below).
//   - [Ours] and [Theirs] resolve each conflicting region to that side's
//     text, keeping the other side's non-conflicting changes (git's
//     "-X ours" and "-X theirs"). They never add marker lines.
//   - [Report] produces no output when there is a conflict: Merged is
//     nil and the caller is expected to fail. Without conflicts it
//     returns the clean merge like every other strategy.
//
// Merged is nil only in that last case; otherwise it is a new slice that
// shares no memory with the inputs.
//
// # Markers
//
// A conflicting region is written as
//
//	<<<<<<< ours
//	lines from ours
//	||||||| base
//	lines from base
//	=======
//	lines from theirs
//	>>>>>>> theirs
//
// where the base section is present only with [Options.Base]. The labels
// default to "ours", "base" and "theirs" and are written verbatim after
// one space; they should not contain newlines. Without the base section,
// lines at the start or end of the region that ours and theirs have in
// common are moved out of the markers (git's default "merge" style); with
// it, the whole region is shown so that the three sections line up (git's
// "diff3" style).
//
// # Newlines in markers
//
// Marker lines end in "\r\n" when the inputs are CRLF files, that is when
// at least one input has line terminators and in every input each "\n" is
// preceded by "\r"; otherwise, including for files with mixed endings,
// they end in "\n". A marker always starts its own line: if the text
// before it ends in a line without a terminator (the unterminated last
// line of a side), that same line ending is added first, so the output
// with markers need not preserve a missing final newline; the closing
// marker line is always terminated.
package textmerge
