package ctlparse

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"   ",
	"# comment",
	"  #x 'unbalanced",
	"checkpoint from=/src",
	`checkpoint from=/src branch=main parent=none message="a b"c tag=v1 tag='release 2' meta.owner=me time=2024-01-02T03:04:05Z exclude=*.o exclude=.git if-changed=yes`,
	`checkpoint from=/x message="say \"hi\" \\ \n"`,
	`checkpoint from='/a b'\''c' "meta.k k=v"`,
	"checkpoint from=/x\r",
	"checkpoint from=/p\xff\xfe",
	"branch feature from=01J9",
	"merge feature into=main strategy=recursive message=x",
	"merge x strategy=best",
	`tag 01J9 v1 "" '' \#1 =x Key=v`,
	"untag 01J9 a b",
	"delete a b c",
	"restore 01J9 to=/dst delete=yes",
	"restore 01J9",
	"gc keep-within=720h keep-last=10 keep-daily=7 keep-weekly=4 keep-tagged=no session=work dry-run=yes",
	"session 'my work'",
	`chekpoint "a`,
	`branch a\`,
	"delete a\x00b",
	"delete a\nb",
	"checkpoint from=/x branch=a branch=b",
	"a\tb\vc\rd",
}

// FuzzParse parses arbitrary lines with both grammars and checks that
// successful results are well-formed and survive a Join/Parse round trip.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	grammars := []Grammar{SessionGrammar(), RootGrammar()}
	f.Fuzz(func(t *testing.T, line string) {
		for _, g := range grammars {
			checkParse(t, g, line)
		}
		checkSplit(t, line)
	})
}

// FuzzSplit checks that Split never panics and that Join inverts it.
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSplit)
}

// FuzzLineBuffer checks that the lines of a stream do not depend on how it
// is cut into writes.
func FuzzLineBuffer(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint8(1))
	f.Add([]byte("checkpoint from=/x\n\n# c\n"), uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, size uint8) {
		n := int(size%16) + 1
		var b LineBuffer
		var got []string
		for p := stream; len(p) > 0; p = p[min(n, len(p)):] {
			lines, err := b.Write(p[:min(n, len(p))])
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			got = append(got, lines...)
		}
		if final, ok := b.Flush(); ok {
			got = append(got, final)
		}
		want := strings.Split(string(stream), "\n")
		if want[len(want)-1] == "" {
			want = want[:len(want)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("chunk %d: lines %q, want %q", n, got, want)
		}
	})
}

func checkSplit(t *testing.T, line string) {
	words, err := Split(line)
	if err != nil {
		checkFuzzErr(t, "Split", err)
		return
	}
	for _, w := range words {
		if strings.ContainsAny(w, "\x00\n") {
			t.Fatalf("Split(%q) produced word %q", line, w)
		}
		again, err := Split(Quote(w))
		if err != nil || len(again) != 1 || again[0] != w {
			t.Fatalf("Split(Quote(%q)) = %q, %v (quoted %q)", w, again, err, Quote(w))
		}
	}
	joined := Join(words)
	again, err := Split(joined)
	if err != nil || !slices.Equal(again, words) {
		t.Fatalf("Split(%q) = %q, but Split(Join) = %q, %v (joined %q)", line, words, again, err, joined)
	}
}

func checkFuzzErr(t *testing.T, what string, err error) {
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) {
		t.Fatalf("%s: error %v (%T) is not a syntax *Error", what, err, err)
	}
	if e.Msg == "" || len(e.Msg) > 400 || strings.ContainsAny(e.Msg, "\x00\n") {
		t.Fatalf("%s: bad message %q", what, e.Msg)
	}
}

func checkParse(t *testing.T, g Grammar, line string) {
	cmd, ok, err := g.Parse(line)
	if err != nil {
		checkFuzzErr(t, "Parse", err)
		if ok || !reflect.DeepEqual(cmd, Command{}) {
			t.Fatalf("Parse(%q): ok=%v cmd=%#v with error", line, ok, cmd)
		}
		return
	}
	if !ok {
		rest := strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
		if rest != "" && rest[0] != '#' {
			t.Fatalf("Parse(%q) ignored a non-blank, non-comment line", line)
		}
		return
	}
	checkCommand(t, g, line, cmd)
	words := []string{cmd.Verb}
	words = append(words, cmd.Args...)
	for _, k := range slices.Sorted(maps.Keys(cmd.Keys)) {
		for _, v := range cmd.Keys[k] {
			words = append(words, k+"="+v)
		}
	}
	joined := Join(words)
	if len(joined) > MaxLineLen {
		return
	}
	again, ok, err := g.Parse(joined)
	if err != nil || !ok || !reflect.DeepEqual(again, cmd) {
		t.Fatalf("Parse(%q) = %#v\nbut Parse(%q) = %#v, %v, %v", line, cmd, joined, again, ok, err)
	}
}

// checkCommand checks that cmd satisfies the grammar.
func checkCommand(t *testing.T, g Grammar, line string, cmd Command) {
	spec, known := g[cmd.Verb]
	if !known {
		t.Fatalf("Parse(%q): unknown verb %q accepted", line, cmd.Verb)
	}
	n := len(cmd.Args)
	if n < spec.MinArgs || spec.MaxArgs >= 0 && n > spec.MaxArgs || (n == 0) != (cmd.Args == nil) {
		t.Fatalf("Parse(%q): bad args %q", line, cmd.Args)
	}
	for _, a := range cmd.Args {
		if _, _, isKey := SplitKey(a); isKey {
			t.Fatalf("Parse(%q): key=value word %q taken as argument", line, a)
		}
	}
	if cmd.Keys != nil && len(cmd.Keys) == 0 {
		t.Fatalf("Parse(%q): empty non-nil Keys", line)
	}
	for k, vs := range cmd.Keys {
		ks, known := spec.lookup(k)
		if !known || !validKey(k) || len(vs) == 0 || !ks.List && len(vs) != 1 {
			t.Fatalf("Parse(%q): bad key %q = %q", line, k, vs)
		}
		for _, v := range vs {
			if len(ks.Enum) > 0 && !slices.Contains(ks.Enum, v) {
				t.Fatalf("Parse(%q): %s=%q not in enum", line, k, v)
			}
		}
	}
	for k, ks := range spec.Keys {
		if _, given := cmd.Keys[k]; ks.Required && !given {
			t.Fatalf("Parse(%q): required key %q missing", line, k)
		}
	}
}
