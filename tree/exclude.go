package tree

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrBadPattern is wrapped by NewExcluder for a malformed pattern.
var ErrBadPattern = errors.New("tree: bad exclude pattern")

// Excluder decides which paths a directory walk leaves out, with the
// semantics of gitignore(5) patterns (docs/WORKDIR.md):
//
//   - a pattern without a slash (other than a trailing one) matches the
//     name at any depth: "*.log", "node_modules/";
//   - a pattern with a slash at the start or in the middle is anchored at
//     the walked directory: "/build", "docs/*.html";
//   - a trailing slash matches directories only;
//   - "*" and "?" never match '/', "[a-z]" is a class, '\' escapes;
//   - "**" as a whole component matches zero or more components:
//     "**/tmp", "logs/**", "a/**/b";
//   - a leading '!' re-includes what an earlier pattern excluded; the
//     last matching pattern wins. As in git, nothing inside an excluded
//     directory can be re-included: the walk never enters it.
//
// The zero Excluder excludes nothing. It is safe for concurrent use.
type Excluder struct {
	rules    []excludeRule
	patterns []string
	anchored bool // some rule needs the whole path split
}

type excludeRule struct {
	neg, dirOnly, anchored bool
	// literal is the whole (unanchored, meta-free) pattern, compared with
	// the name directly.
	literal string
	segs    []string // pattern components; "**" matches any number
}

// NewExcluder compiles patterns in order. Empty patterns and patterns
// starting with '#' are ignored, as in a .gitignore file.
func NewExcluder(patterns []string) (*Excluder, error) {
	e := &Excluder{}
	for _, p := range patterns {
		r, ok, err := compileExclude(p)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		e.rules = append(e.rules, r)
		e.patterns = append(e.patterns, p)
		e.anchored = e.anchored || r.anchored
	}
	return e, nil
}

// Patterns returns the patterns in effect, in order.
func (e *Excluder) Patterns() []string {
	if e == nil {
		return nil
	}
	return e.patterns
}

func compileExclude(p string) (excludeRule, bool, error) {
	var r excludeRule
	if p == "" || p[0] == '#' {
		return r, false, nil
	}
	switch {
	case p[0] == '!':
		r.neg, p = true, p[1:]
	case strings.HasPrefix(p, `\!`), strings.HasPrefix(p, `\#`):
		p = p[1:]
	}
	if strings.HasSuffix(p, "/") {
		r.dirOnly, p = true, strings.TrimRight(p, "/")
	}
	if p == "" {
		return r, false, fmt.Errorf("%w: %q matches nothing", ErrBadPattern, p)
	}
	if strings.Contains(p, "/") {
		r.anchored = true
		p = strings.TrimPrefix(p, "/")
	}
	r.segs = strings.Split(p, "/")
	for _, s := range r.segs {
		if s == "" {
			return r, false, fmt.Errorf("%w: %q has an empty component", ErrBadPattern, p)
		}
		if _, err := path.Match(s, ""); err != nil {
			return r, false, fmt.Errorf("%w: %q: %v", ErrBadPattern, p, err)
		}
	}
	if !r.anchored && !strings.ContainsAny(p, `*?[\`) {
		r.literal = p
	}
	return r, true, nil
}

// Excluded reports whether the slash-separated relative path rel (a
// directory when dir is true) is left out. Its parents are assumed not to
// be excluded (the walk did not enter them otherwise).
func (e *Excluder) Excluded(rel string, dir bool) bool {
	if e == nil || len(e.rules) == 0 {
		return false
	}
	name := rel[strings.LastIndexByte(rel, '/')+1:]
	var parts []string
	if e.anchored {
		parts = strings.Split(rel, "/")
	}
	for i := len(e.rules) - 1; i >= 0; i-- {
		r := &e.rules[i]
		if r.dirOnly && !dir {
			continue
		}
		if r.match(name, parts) {
			return !r.neg
		}
	}
	return false
}

// Within reports whether rel or one of its parent directories is
// excluded: what a walk that starts at the root would leave out.
func (e *Excluder) Within(rel string) bool {
	if e == nil || len(e.rules) == 0 {
		return false
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && e.Excluded(rel[:i], true) {
			return true
		}
	}
	return false
}

func (r *excludeRule) match(name string, parts []string) bool {
	if r.literal != "" {
		return name == r.literal
	}
	if !r.anchored {
		ok, _ := path.Match(r.segs[0], name)
		return ok
	}
	return matchSegs(r.segs, parts)
}

// matchSegs matches pattern components against path components, "**"
// standing for any number of components.
func matchSegs(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return len(parts) > 0 // "a/**" matches inside a, not a itself
			}
			for i := 0; i <= len(parts); i++ {
				if matchSegs(rest, parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}
