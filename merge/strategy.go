package merge

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ckptfs/ckptfs/tree"
)

// Strategy says what a merge does with conflicts (SPEC §7).
type Strategy int

const (
	// Fail creates nothing when there is a conflict: the Result lists
	// the conflicts and has no tree.
	Fail Strategy = iota
	// Ours resolves each conflicting path, or conflicting hunk of a text
	// file, to ours (git's -X ours); the rest of theirs is merged in.
	Ours
	// Theirs resolves conflicts to theirs (git's -X theirs).
	Theirs
	// Recursive writes conflict markers into text files and takes ours
	// for binary files, symlinks and type conflicts; modify/delete keeps
	// the modified side. With several merge bases it first merges them
	// into a virtual base.
	Recursive
)

// strategyNames are the names of the strategies, by value.
var strategyNames = [...]string{Fail: "fail", Ours: "ours", Theirs: "theirs", Recursive: "recursive"}

// String returns the strategy's name as SPEC §3 spells it.
func (s Strategy) String() string {
	if s >= 0 && int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// ParseStrategy parses a strategy name; "" is Fail.
func ParseStrategy(name string) (Strategy, error) {
	if name == "" {
		return Fail, nil
	}
	for i, n := range strategyNames {
		if n == name {
			return Strategy(i), nil
		}
	}
	return Fail, fmt.Errorf("%w %q (want fail, ours, theirs or recursive)", ErrStrategy, name)
}

// ConflictKind classifies a conflict.
type ConflictKind uint8

// Conflict kinds. The names (String) are used in test data and messages.
const (
	// BothModified: a file or symlink changed differently on both sides
	// (for text files: in overlapping hunks).
	BothModified ConflictKind = iota + 1
	// ModifyDelete: one side deleted what the other changed.
	ModifyDelete
	// AddAdd: both sides added different content where the base had
	// nothing (or something of another type).
	AddAdd
	// FileDir: the two sides hold different types at one path (file,
	// directory, symlink).
	FileDir
	// Mode: both sides changed the permission bits, differently.
	Mode
)

var kindNames = [...]string{BothModified: "both-modified", ModifyDelete: "modify/delete",
	AddAdd: "add/add", FileDir: "file/directory", Mode: "mode"}

func (k ConflictKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ConflictKind(%d)", uint8(k))
}

// Conflict is one conflicting path. A path may have two conflicts (a
// content and a mode conflict).
type Conflict struct {
	Path string
	Kind ConflictKind
	// Base, Ours and Theirs are the entries at Path (nil when absent).
	Base, Ours, Theirs *tree.Entry
}

func (c Conflict) String() string { return c.Kind.String() + " " + c.Path }

// sortConflicts orders conflicts bytewise by path, then by kind.
func sortConflicts(cs []Conflict) {
	slices.SortFunc(cs, func(a, b Conflict) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind))
	})
}

// Paths returns the distinct paths of conflicts, sorted bytewise (what
// the merge checkpoint's metadata lists and conflicts=N counts).
func Paths(cs []Conflict) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
