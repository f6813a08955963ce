package ctlparse

import (
	"slices"
	"strconv"
	"strings"
)

// MaxLineLen is the longest line, in bytes, that Parse and LineBuffer accept.
const MaxLineLen = 1 << 20

// MetaPrefix is the key prefix of user-chosen metadata keys (meta.K=V).
const MetaPrefix = "meta."

// Command is one parsed control line.
type Command struct {
	Verb string
	// Args are the positional words after the verb, in order; nil if none.
	Args []string
	// Keys maps each key given to its values in order; scalar keys have
	// exactly one value. Nil if no key was given.
	Keys map[string][]string
}

// Get returns the (first) value of key and whether the key was given.
func (c Command) Get(key string) (string, bool) {
	v := c.Keys[key]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// List returns a copy of all values of key in order, or nil if it was not
// given.
func (c Command) List(key string) []string {
	return slices.Clone(c.Keys[key])
}

// Meta returns the meta.K=V pairs as K → V, or nil if there are none.
func (c Command) Meta() map[string]string {
	var m map[string]string
	for k, v := range c.Keys {
		name, ok := strings.CutPrefix(k, MetaPrefix)
		if !ok || len(v) == 0 {
			continue
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[name] = v[0]
	}
	return m
}

// Parse parses one control line (without its newline). It returns ok=false
// and no error for blank and comment lines. A single trailing CR is ignored.
func (g Grammar) Parse(line string) (cmd Command, ok bool, err error) {
	if len(line) > MaxLineLen {
		return Command{}, false, errTooLong()
	}
	if err := checkBytes(line); err != nil {
		return Command{}, false, err
	}
	line = strings.TrimSuffix(line, "\r")
	if rest := strings.TrimLeft(line, " \t"); rest == "" || rest[0] == '#' {
		return Command{}, false, nil
	}
	words, err := Split(line)
	if err != nil {
		return Command{}, false, err
	}
	cmd, err = g.build(words)
	if err != nil {
		return Command{}, false, err
	}
	return cmd, true, nil
}

// build turns the words of a non-blank line into a validated Command.
func (g Grammar) build(words []string) (Command, error) {
	cmd := Command{Verb: words[0]}
	spec, known := g[cmd.Verb]
	if !known {
		return Command{}, errorf("unknown verb %s", q(cmd.Verb))
	}
	for _, w := range words[1:] {
		key, value, isKey := SplitKey(w)
		if !isKey {
			cmd.Args = append(cmd.Args, w)
			continue
		}
		if err := cmd.addKey(spec, key, value); err != nil {
			return Command{}, err
		}
	}
	if err := spec.checkArgs(cmd.Verb, len(cmd.Args)); err != nil {
		return Command{}, err
	}
	if err := spec.checkRequired(cmd); err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// addKey validates key=value against spec and records it in c.
func (c *Command) addKey(spec VerbSpec, key, value string) error {
	ks, known := spec.lookup(key)
	if !known {
		return errorf("unknown key %s for %s", q(key), c.Verb)
	}
	if !ks.List && len(c.Keys[key]) > 0 {
		return errorf("key %s given twice", q(key))
	}
	if len(ks.Enum) > 0 && !slices.Contains(ks.Enum, value) {
		return errorf("invalid %s %s for %s (want %s)", key, q(value), c.Verb, orList(ks.Enum))
	}
	if c.Keys == nil {
		c.Keys = make(map[string][]string)
	}
	c.Keys[key] = append(c.Keys[key], value)
	return nil
}

// lookup finds the KeySpec for key, including keys under a prefix.
func (s VerbSpec) lookup(key string) (KeySpec, bool) {
	if ks, ok := s.Keys[key]; ok {
		return ks, true
	}
	for _, p := range s.Prefixes {
		if len(key) > len(p) && strings.HasPrefix(key, p) {
			return KeySpec{}, true
		}
	}
	return KeySpec{}, false
}

func (s VerbSpec) checkArgs(verb string, n int) error {
	switch {
	case n >= s.MinArgs && (s.MaxArgs < 0 || n <= s.MaxArgs):
		return nil
	case s.MaxArgs == 0:
		return errorf("%s takes no arguments, got %d", verb, n)
	case s.MinArgs == s.MaxArgs:
		return errorf("%s takes %s, got %d", verb, plural(s.MinArgs, "argument"), n)
	case s.MaxArgs < 0:
		return errorf("%s takes at least %s, got %d", verb, plural(s.MinArgs, "argument"), n)
	default:
		return errorf("%s takes %d to %d arguments, got %d", verb, s.MinArgs, s.MaxArgs, n)
	}
}

// checkRequired reports the first missing required key, in key order.
func (s VerbSpec) checkRequired(c Command) error {
	keys := make([]string, 0, len(s.Keys))
	for k := range s.Keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ks := s.Keys[k]
		if _, given := c.Keys[k]; ks.Required && !given {
			ph := ks.Placeholder
			if ph == "" {
				ph = "VALUE"
			}
			return errorf("%s needs %s=%s", c.Verb, k, ph)
		}
	}
	return nil
}

// SplitKey splits a word into key and value if it is a key=value word: it
// contains '=' and the part before the first '=' matches
// ^[a-z][a-z0-9-]*(\.[^=]+)?$. Otherwise it returns ok=false and the word is
// a positional argument.
func SplitKey(word string) (key, value string, ok bool) {
	key, value, found := strings.Cut(word, "=")
	if !found || !validKey(key) {
		return "", "", false
	}
	return key, value, true
}

// validKey reports whether k matches ^[a-z][a-z0-9-]*(\.[^=]+)?$ (k is known
// to contain no '=').
func validKey(k string) bool {
	name, sub, dotted := strings.Cut(k, ".")
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return !dotted || sub != ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// orList formats alternatives as "a, b or c".
func orList(alts []string) string {
	if len(alts) == 1 {
		return alts[0]
	}
	return strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
}
