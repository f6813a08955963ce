package ctlparse

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type kv = map[string][]string

func TestParseValid(t *testing.T) {
	tests := []struct {
		line string
		want Command
	}{
		// checkpoint
		{"checkpoint from=/src", Command{Verb: "checkpoint", Keys: kv{"from": {"/src"}}}},
		{
			`checkpoint from=/src branch=main parent=none message="a b"c tag=v1 tag='release 2' meta.owner=me meta.x.y=z time=2024-01-02T03:04:05Z exclude=*.o exclude=.git if-changed=yes`,
			Command{Verb: "checkpoint", Keys: kv{
				"from": {"/src"}, "branch": {"main"}, "parent": {"none"},
				"message": {"a bc"}, "tag": {"v1", "release 2"},
				"meta.owner": {"me"}, "meta.x.y": {"z"},
				"time": {"2024-01-02T03:04:05Z"}, "exclude": {"*.o", ".git"},
				"if-changed": {"yes"},
			}},
		},
		{"checkpoint if-changed=no from=", Command{Verb: "checkpoint", Keys: kv{"from": {""}, "if-changed": {"no"}}}},
		{"checkpoint from=/a=b message==", Command{Verb: "checkpoint", Keys: kv{"from": {"/a=b"}, "message": {"="}}}},
		{"checkpoint from=/p\xff\xfe", Command{Verb: "checkpoint", Keys: kv{"from": {"/p\xff\xfe"}}}},
		{`checkpoint "meta.my key=a b" from=x`, Command{Verb: "checkpoint", Keys: kv{"from": {"x"}, "meta.my key": {"a b"}}}},
		// branch
		{"branch feature", Command{Verb: "branch", Args: []string{"feature"}}},
		{"branch feature from=01J9", Command{Verb: "branch", Args: []string{"feature"}, Keys: kv{"from": {"01J9"}}}},
		{"branch from=main feature", Command{Verb: "branch", Args: []string{"feature"}, Keys: kv{"from": {"main"}}}},
		// merge
		{"merge feature", Command{Verb: "merge", Args: []string{"feature"}}},
		{`merge feature into=main strategy=recursive message="merge it"`, Command{Verb: "merge", Args: []string{"feature"}, Keys: kv{"into": {"main"}, "strategy": {"recursive"}, "message": {"merge it"}}}},
		{"merge x strategy=fail", Command{Verb: "merge", Args: []string{"x"}, Keys: kv{"strategy": {"fail"}}}},
		{"merge x strategy=ours", Command{Verb: "merge", Args: []string{"x"}, Keys: kv{"strategy": {"ours"}}}},
		{"merge x strategy=theirs", Command{Verb: "merge", Args: []string{"x"}, Keys: kv{"strategy": {"theirs"}}}},
		// tag / untag
		{"tag 01J9 v1", Command{Verb: "tag", Args: []string{"01J9", "v1"}}},
		{`tag 01J9 v1 "v 2" '' #3`, Command{Verb: "tag", Args: []string{"01J9", "v1", "v 2", "", "#3"}}},
		{"untag 01J9 v1 v2", Command{Verb: "untag", Args: []string{"01J9", "v1", "v2"}}},
		// Words that contain '=' but are not key=value are positional.
		{"tag 01J9 =x Key=v /p=q 9a=b a_b=c .a=b", Command{Verb: "tag", Args: []string{"01J9", "=x", "Key=v", "/p=q", "9a=b", "a_b=c", ".a=b"}}},
		// delete
		{"delete 01J9", Command{Verb: "delete", Args: []string{"01J9"}}},
		{"delete a b c", Command{Verb: "delete", Args: []string{"a", "b", "c"}}},
		// restore
		{"restore 01J9 to=/dst", Command{Verb: "restore", Args: []string{"01J9"}, Keys: kv{"to": {"/dst"}}}},
		{"restore to='/d st' 01J9 delete=yes", Command{Verb: "restore", Args: []string{"01J9"}, Keys: kv{"to": {"/d st"}, "delete": {"yes"}}}},
		{"restore 01J9 to=/dst delete=no", Command{Verb: "restore", Args: []string{"01J9"}, Keys: kv{"to": {"/dst"}, "delete": {"no"}}}},
		// Blanks, CR and tabs.
		{"\t branch  b \t", Command{Verb: "branch", Args: []string{"b"}}},
		{"branch b\r", Command{Verb: "branch", Args: []string{"b"}}},
		{"branch 'b\r'", Command{Verb: "branch", Args: []string{"b\r"}}},
		{"branch b\r\r", Command{Verb: "branch", Args: []string{"b\r"}}},
	}
	g := SessionGrammar()
	for _, tt := range tests {
		got, ok, err := g.Parse(tt.line)
		if err != nil || !ok {
			t.Errorf("Parse(%q): ok=%v err=%v", tt.line, ok, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) =\n  %#v\nwant\n  %#v", tt.line, got, tt.want)
		}
	}
}

func TestParseRootValid(t *testing.T) {
	tests := []struct {
		line string
		want Command
	}{
		{"gc", Command{Verb: "gc"}},
		{
			"gc keep-within=720h keep-last=10 keep-daily=7 keep-weekly=4 keep-tagged=no session=work dry-run=yes",
			Command{Verb: "gc", Keys: kv{
				"keep-within": {"720h"}, "keep-last": {"10"}, "keep-daily": {"7"},
				"keep-weekly": {"4"}, "keep-tagged": {"no"}, "session": {"work"}, "dry-run": {"yes"},
			}},
		},
		{"gc dry-run=no keep-within=bogus", Command{Verb: "gc", Keys: kv{"dry-run": {"no"}, "keep-within": {"bogus"}}}},
		{"session work", Command{Verb: "session", Args: []string{"work"}}},
		{"session 'my work'\r", Command{Verb: "session", Args: []string{"my work"}}},
	}
	g := RootGrammar()
	for _, tt := range tests {
		got, ok, err := g.Parse(tt.line)
		if err != nil || !ok {
			t.Errorf("Parse(%q): ok=%v err=%v", tt.line, ok, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) =\n  %#v\nwant\n  %#v", tt.line, got, tt.want)
		}
	}
}

func TestParseIgnored(t *testing.T) {
	for _, line := range []string{
		"", " ", "\t \t", "\r", " \r", "#", "# comment", "   # indented", "\t#x",
		`# unbalanced " quote`, `#chekpoint bogus=1`, "# \xff invalid utf-8",
	} {
		for name, g := range map[string]Grammar{"session": SessionGrammar(), "root": RootGrammar()} {
			cmd, ok, err := g.Parse(line)
			if ok || err != nil || !reflect.DeepEqual(cmd, Command{}) {
				t.Errorf("%s Parse(%q) = %#v, %v, %v; want ignored", name, line, cmd, ok, err)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("z", 100)
	session := []struct{ line, msg string }{
		// Unknown verbs, including root verbs and case variants.
		{"chekpoint from=/x", `unknown verb "chekpoint"`},
		{"Checkpoint from=/x", `unknown verb "Checkpoint"`},
		{"gc", `unknown verb "gc"`},
		{`"" a`, `unknown verb ""`},
		{"from=/x checkpoint", `unknown verb "from=/x"`},
		{long, `unknown verb "` + long[:64] + `"...`},
		// checkpoint
		{"checkpoint", "checkpoint needs from=PATH"},
		{"checkpoint branch=b", "checkpoint needs from=PATH"},
		{"checkpoint from /x", "checkpoint takes no arguments, got 2"},
		{"checkpoint from=/x extra", "checkpoint takes no arguments, got 1"},
		{"checkpoint from=/x bogus=1", `unknown key "bogus" for checkpoint`},
		{"checkpoint from=/x to=/y", `unknown key "to" for checkpoint`},
		{"checkpoint from=/x branch=a branch=b", `key "branch" given twice`},
		{"checkpoint from=/x from=/y", `key "from" given twice`},
		{"checkpoint from=/x meta.a=1 meta.a=2", `key "meta.a" given twice`},
		{"checkpoint from=/x if-changed=true", `invalid if-changed "true" for checkpoint (want yes or no)`},
		{"checkpoint from=/x if-changed=", `invalid if-changed "" for checkpoint (want yes or no)`},
		{"checkpoint from=/x if-changed=YES", `invalid if-changed "YES" for checkpoint (want yes or no)`},
		{"checkpoint from=/x other.a=1", `unknown key "other.a" for checkpoint`},
		{"checkpoint from=/x metax=1", `unknown key "metax" for checkpoint`},
		{`checkpoint from=/x message="a b`, "unterminated double quote (opened at column 28)"},
		{`checkpoint from=/x message='a b`, "unterminated single quote (opened at column 28)"},
		{`checkpoint from=/x message=a\`, "backslash at end of line (column 29)"},
		// branch
		{"branch", "branch takes 1 argument, got 0"},
		{"branch a b", "branch takes 1 argument, got 2"},
		{"branch from=main", "branch takes 1 argument, got 0"},
		{"branch a into=main", `unknown key "into" for branch`},
		{"branch a from=x from=y", `key "from" given twice`},
		{"branch a meta.x=1", `unknown key "meta.x" for branch`},
		// merge
		{"merge", "merge takes 1 argument, got 0"},
		{"merge a b", "merge takes 1 argument, got 2"},
		{"merge a strategy=best", `invalid strategy "best" for merge (want fail, ours, theirs or recursive)`},
		{"merge a into=x into=y", `key "into" given twice`},
		{"merge a tag=x", `unknown key "tag" for merge`},
		// tag / untag
		{"tag", "tag takes at least 2 arguments, got 0"},
		{"tag 01J9", "tag takes at least 2 arguments, got 1"},
		{"tag 01J9 x=y", `unknown key "x" for tag`},
		{"untag 01J9", "untag takes at least 2 arguments, got 1"},
		{"untag 01J9 a tag=b", `unknown key "tag" for untag`},
		// delete
		{"delete", "delete takes at least 1 argument, got 0"},
		{"delete a force=yes", `unknown key "force" for delete`},
		// restore
		{"restore 01J9", "restore needs to=PATH"},
		{"restore to=/x", "restore takes 1 argument, got 0"},
		{"restore a b to=/x", "restore takes 1 argument, got 2"},
		{"restore a to=/x to=/y", `key "to" given twice`},
		{"restore a to=/x delete=maybe", `invalid delete "maybe" for restore (want yes or no)`},
		{"restore a to=/x delete=yes delete=no", `key "delete" given twice`},
		// NUL bytes, even in comments and quotes.
		{"delete a\x00b", "NUL byte at column 9"},
		{"# comment \x00", "NUL byte at column 11"},
		{"\x00", "NUL byte at column 1"},
		{"delete 'a\x00'", "NUL byte at column 10"},
		// Newline inside a line given directly to Parse.
		{"delete a\nb", "newline at column 9"},
		{"# a\n", "newline at column 4"},
	}
	root := []struct{ line, msg string }{
		{"checkpoint from=/x", `unknown verb "checkpoint"`},
		{"gc extra", "gc takes no arguments, got 1"},
		{"gc keep-last=1 keep-last=2", `key "keep-last" given twice`},
		{"gc keep-tagged=1", `invalid keep-tagged "1" for gc (want yes or no)`},
		{"gc dry-run=y", `invalid dry-run "y" for gc (want yes or no)`},
		{"gc keep-monthly=3", `unknown key "keep-monthly" for gc`},
		{"session", "session takes 1 argument, got 0"},
		{"session a b", "session takes 1 argument, got 2"},
		{"session a x=1", `unknown key "x" for session`},
		{`session "a`, "unterminated double quote (opened at column 9)"},
	}
	run := func(g Grammar, line, msg string) {
		t.Helper()
		cmd, ok, err := g.Parse(line)
		checkErr(t, "Parse("+strings.ReplaceAll(line, "\x00", `\0`)+")", err, msg)
		if ok || !reflect.DeepEqual(cmd, Command{}) {
			t.Errorf("Parse(%q) returned ok=%v cmd=%#v with error", line, ok, cmd)
		}
	}
	for _, tt := range session {
		run(SessionGrammar(), tt.line, tt.msg)
	}
	for _, tt := range root {
		run(RootGrammar(), tt.line, tt.msg)
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		word, key, value string
		ok               bool
	}{
		{"from=/x", "from", "/x", true},
		{"from=", "from", "", true},
		{"a=b=c", "a", "b=c", true},
		{"keep-last=3", "keep-last", "3", true},
		{"k9=x", "k9", "x", true},
		{"meta.K=V", "meta.K", "V", true},
		{"meta.a.b c=d", "meta.a.b c", "d", true},
		{"meta.\xff=v", "meta.\xff", "v", true},
		{"meta.=v", "", "", false},
		{"=v", "", "", false},
		{"From=x", "", "", false},
		{"9a=x", "", "", false},
		{"-a=x", "", "", false},
		{"a_b=x", "", "", false},
		{"a b=x", "", "", false},
		{".a=x", "", "", false},
		{"/p=q", "", "", false},
		{"noequals", "", "", false},
	}
	for _, tt := range tests {
		k, v, ok := SplitKey(tt.word)
		if k != tt.key || v != tt.value || ok != tt.ok {
			t.Errorf("SplitKey(%q) = %q, %q, %v; want %q, %q, %v", tt.word, k, v, ok, tt.key, tt.value, tt.ok)
		}
	}
}

func TestCommandAccessors(t *testing.T) {
	cmd, _, err := SessionGrammar().Parse("checkpoint from=/x tag=a tag=b meta.owner=me meta.k.2='x y' message=")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := cmd.Get("from"); v != "/x" || !ok {
		t.Errorf("Get(from) = %q, %v", v, ok)
	}
	if v, ok := cmd.Get("message"); v != "" || !ok {
		t.Errorf("Get(message) = %q, %v", v, ok)
	}
	if v, ok := cmd.Get("branch"); v != "" || ok {
		t.Errorf("Get(branch) = %q, %v", v, ok)
	}
	if v, ok := cmd.Get("tag"); v != "a" || !ok {
		t.Errorf("Get(tag) = %q, %v", v, ok)
	}
	tags := cmd.List("tag")
	if !slices.Equal(tags, []string{"a", "b"}) {
		t.Errorf("List(tag) = %q", tags)
	}
	tags[0] = "changed"
	if cmd.Keys["tag"][0] != "a" {
		t.Error("List returned the internal slice")
	}
	if l := cmd.List("exclude"); l != nil {
		t.Errorf("List(exclude) = %q", l)
	}
	if m := cmd.Meta(); !maps.Equal(m, map[string]string{"owner": "me", "k.2": "x y"}) {
		t.Errorf("Meta() = %q", m)
	}
	if m := (Command{Verb: "gc"}).Meta(); m != nil {
		t.Errorf("Meta() of no keys = %q", m)
	}
	var zero Command
	if _, ok := zero.Get("x"); ok || zero.List("x") != nil || zero.Meta() != nil {
		t.Error("zero Command accessors")
	}
}

func TestParseBool(t *testing.T) {
	for s, want := range map[string]bool{"yes": true, "no": false} {
		if got, err := ParseBool(s); got != want || err != nil {
			t.Errorf("ParseBool(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "true", "false", "1", "0", "Yes", "NO", "y", "n", " yes"} {
		_, err := ParseBool(s)
		checkErr(t, "ParseBool("+s+")", err, "invalid boolean "+q(s)+" (want yes or no)")
	}
}

func TestGrammarsAreFresh(t *testing.T) {
	g := SessionGrammar()
	delete(g, "checkpoint")
	g["branch"].Keys["into"] = KeySpec{}
	g["restore"].Keys["delete"].Enum[0] = "maybe"
	h := SessionGrammar()
	if _, ok := h["checkpoint"]; !ok {
		t.Error("deleting a verb changed the next SessionGrammar")
	}
	if _, ok := h["branch"].Keys["into"]; ok {
		t.Error("adding a key changed the next SessionGrammar")
	}
	if h["restore"].Keys["delete"].Enum[0] != "yes" {
		t.Error("changing an enum changed the next SessionGrammar")
	}
	r := RootGrammar()
	r["gc"].Keys["x"] = KeySpec{}
	if _, ok := RootGrammar()["gc"].Keys["x"]; ok {
		t.Error("RootGrammar is shared")
	}
}

// TestGrammarShape checks the verbs, argument counts and required keys
// against the SPEC table.
func TestGrammarShape(t *testing.T) {
	type shape struct {
		min, max int
		required []string
		lists    []string
	}
	check := func(g Grammar, want map[string]shape) {
		t.Helper()
		if !slices.Equal(slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("verbs %q, want %q", slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(want)))
		}
		for verb, w := range want {
			s := g[verb]
			var req, lists []string
			for k, ks := range s.Keys {
				if ks.Required {
					req = append(req, k)
				}
				if ks.List {
					lists = append(lists, k)
				}
			}
			slices.Sort(req)
			slices.Sort(lists)
			if s.MinArgs != w.min || s.MaxArgs != w.max || !slices.Equal(req, w.required) || !slices.Equal(lists, w.lists) {
				t.Errorf("%s: args %d..%d required %q lists %q; want %+v", verb, s.MinArgs, s.MaxArgs, req, lists, w)
			}
		}
	}
	check(SessionGrammar(), map[string]shape{
		"checkpoint": {0, 0, []string{"from"}, []string{"exclude", "tag"}},
		"branch":     {1, 1, nil, nil},
		"merge":      {1, 1, nil, nil},
		"tag":        {2, -1, nil, nil},
		"untag":      {2, -1, nil, nil},
		"delete":     {1, -1, nil, nil},
		"restore":    {1, 1, []string{"to"}, nil},
	})
	check(RootGrammar(), map[string]shape{
		"gc":      {0, 0, nil, nil},
		"session": {1, 1, nil, nil},
	})
}

// TestCustomGrammar covers VerbSpec paths the built-in grammars do not use.
func TestCustomGrammar(t *testing.T) {
	g := Grammar{
		"copy": {MinArgs: 1, MaxArgs: 2, Keys: map[string]KeySpec{"mode": {Required: true}}},
		"one":  {MinArgs: 0, MaxArgs: 1, Prefixes: []string{"x.", "y."}},
	}
	for _, tt := range []struct{ line, msg string }{
		{"copy", "copy takes 1 to 2 arguments, got 0"},
		{"copy a b c mode=1", "copy takes 1 to 2 arguments, got 3"},
		{"copy a", "copy needs mode=VALUE"},
		{"one a b", "one takes 0 to 1 arguments, got 2"},
		{"one z.a=1", `unknown key "z.a" for one`},
	} {
		_, _, err := g.Parse(tt.line)
		checkErr(t, "Parse("+tt.line+")", err, tt.msg)
	}
	cmd, ok, err := g.Parse("one x.a=1 y.b=2 p")
	if err != nil || !ok || !reflect.DeepEqual(cmd, Command{Verb: "one", Args: []string{"p"}, Keys: kv{"x.a": {"1"}, "y.b": {"2"}}}) {
		t.Errorf("Parse: %#v, %v, %v", cmd, ok, err)
	}
}
