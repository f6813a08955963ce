package tree_test

import (
	"errors"
	"testing"

	"github.com/ckptfs/ckptfs/tree"
)

func TestExcluder(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		path     string
		dir      bool
		want     bool
	}{
		{[]string{".git/"}, ".git", true, true},
		{[]string{".git/"}, ".git", false, false}, // dir-only pattern, a file
		{[]string{".git/"}, "sub/.git", true, true},
		{[]string{"*.log"}, "a.log", false, true},
		{[]string{"*.log"}, "deep/er/a.log", false, true},
		{[]string{"*.log"}, "a.logx", false, false},
		{[]string{"/build"}, "build", true, true},
		{[]string{"/build"}, "src/build", true, false},
		{[]string{"docs/*.html"}, "docs/a.html", false, true},
		{[]string{"docs/*.html"}, "docs/x/a.html", false, false},
		{[]string{"docs/*.html"}, "x/docs/a.html", false, false},
		{[]string{"**/tmp"}, "tmp", true, true},
		{[]string{"**/tmp"}, "a/b/tmp", false, true},
		{[]string{"logs/**"}, "logs", true, false},
		{[]string{"logs/**"}, "logs/a/b", false, true},
		{[]string{"a/**/b"}, "a/b", false, true},
		{[]string{"a/**/b"}, "a/x/y/b", false, true},
		{[]string{"a/**/b"}, "a/x/y/c", false, false},
		{[]string{"*.log", "!keep.log"}, "keep.log", false, false},
		{[]string{"*.log", "!keep.log"}, "drop.log", false, true},
		{[]string{"!keep.log", "*.log"}, "keep.log", false, true}, // last match wins
		{[]string{"node_modules/", "!node_modules/"}, "node_modules", true, false},
		{[]string{`\!important`}, "!important", false, true},
		{[]string{`\#hash`}, "#hash", false, true},
		{[]string{"# a comment", ""}, "# a comment", false, false},
		{[]string{"fo?"}, "foo", false, true},
		{[]string{"[ab]c"}, "bc", false, true},
		{[]string{"*"}, "line\nbreak", false, true},
		{[]string{"a*"}, "a/b", false, false}, // '*' never matches '/'
		{nil, "x", false, false},
	} {
		ex, err := tree.NewExcluder(tc.patterns)
		if err != nil {
			t.Fatalf("%q: %v", tc.patterns, err)
		}
		if got := ex.Excluded(tc.path, tc.dir); got != tc.want {
			t.Errorf("%q.Excluded(%q, dir=%v) = %v, want %v", tc.patterns, tc.path, tc.dir, got, tc.want)
		}
	}
}

func TestExcluderWithin(t *testing.T) {
	ex, _ := tree.NewExcluder([]string{"node_modules/"})
	if !ex.Within("a/node_modules/x/y") || ex.Within("a/b/c") || ex.Within("node_modules") {
		t.Fatal("Within")
	}
}

func TestExcluderRejects(t *testing.T) {
	for _, p := range []string{"[", "a//b", "/", "!"} {
		if _, err := tree.NewExcluder([]string{p}); !errors.Is(err, tree.ErrBadPattern) {
			t.Errorf("NewExcluder(%q) = %v, want ErrBadPattern", p, err)
		}
	}
}
