package textmerge

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected outputs in testdata/cases")

// The files in testdata/cases each describe one merge, in a txtar-like
// format: an optional comment, then sections, each starting with a line
// "-- name --" and holding the lines up to the next such line.
//
//	-- base --, -- ours --, -- theirs --  the inputs
//	-- want conflicts --                  the number of conflicts
//	-- want markers --                    output with Markers
//	-- want diff3 --                      output with Markers and Base
//	-- want ours --, -- want theirs --    output with Ours and Theirs
//
// Within a section a "␍" (U+240D) stands for "\r", and a last line
// "\ No newline at end of file" removes the newline before it, as in a
// unified diff. With -update, the want sections are rewritten from the
// actual outputs.

const (
	noEOL   = `\ No newline at end of file`
	crGlyph = "␍"
)

// section is one named section of a case file.
type section struct {
	name string
	data []byte
}

// caseFile is a parsed case file.
type caseFile struct {
	comment  string
	sections []section
}

func parseCase(text string) (*caseFile, error) {
	cf := &caseFile{}
	var cur *section
	var body []string
	flush := func() {
		if cur != nil {
			cur.data = decodeSection(body)
			cf.sections = append(cf.sections, *cur)
		}
	}
	for i, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimSuffix(line, "\n")
		if name, ok := sectionHeader(trimmed); ok {
			flush()
			for _, s := range cf.sections {
				if s.name == name {
					return nil, fmt.Errorf("line %d: duplicate section %q", i+1, name)
				}
			}
			cur, body = &section{name: name}, nil
			continue
		}
		switch {
		case cur != nil:
			if line != "" {
				body = append(body, trimmed)
			}
		default:
			cf.comment += line
		}
	}
	flush()
	return cf, nil
}

// sectionHeader returns the name in a "-- name --" line.
func sectionHeader(line string) (string, bool) {
	if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") && len(line) > 6 {
		return line[3 : len(line)-3], true
	}
	return "", false
}

func decodeSection(lines []string) []byte {
	s := ""
	for _, l := range lines {
		s += l + "\n"
	}
	if len(lines) > 0 && lines[len(lines)-1] == noEOL {
		s = strings.TrimSuffix(s, noEOL+"\n")
		s = strings.TrimSuffix(s, "\n")
	}
	return []byte(strings.ReplaceAll(s, crGlyph, "\r"))
}

func encodeSection(b []byte) (string, error) {
	s := string(b)
	if strings.Contains(s, crGlyph) {
		return "", fmt.Errorf("data contains %q", crGlyph)
	}
	for _, l := range strings.Split(s, "\n") {
		if _, ok := sectionHeader(strings.TrimSuffix(l, "\r")); ok || l == noEOL {
			return "", fmt.Errorf("data contains the line %q", l)
		}
	}
	s = strings.ReplaceAll(s, "\r", crGlyph)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n" + noEOL + "\n"
	}
	return s, nil
}

func (cf *caseFile) get(name string) ([]byte, bool) {
	for _, s := range cf.sections {
		if s.name == name {
			return s.data, true
		}
	}
	return nil, false
}

func (cf *caseFile) set(name string, data []byte) {
	for i := range cf.sections {
		if cf.sections[i].name == name {
			cf.sections[i].data = data
			return
		}
	}
	cf.sections = append(cf.sections, section{name: name, data: data})
}

func (cf *caseFile) format() (string, error) {
	var sb strings.Builder
	sb.WriteString(cf.comment)
	for _, s := range cf.sections {
		body, err := encodeSection(s.data)
		if err != nil {
			return "", fmt.Errorf("section %q: %v", s.name, err)
		}
		fmt.Fprintf(&sb, "-- %s --\n%s", s.name, body)
	}
	return sb.String(), nil
}

// caseOutputs are the outputs a case file checks, by section name.
var caseOutputs = []struct {
	name string
	opt  Options
}{
	{"want markers", Options{Strategy: Markers}},
	{"want diff3", Options{Strategy: Markers, Base: true}},
	{"want ours", Options{Strategy: Ours}},
	{"want theirs", Options{Strategy: Theirs}},
}

func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			runCase(t, file)
		})
	}
}

func runCase(t *testing.T, file string) {
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := parseCase(string(text))
	if err != nil {
		t.Fatal(err)
	}
	var in [3][]byte
	for i, name := range []string{"base", "ours", "theirs"} {
		var ok bool
		if in[i], ok = cf.get(name); !ok {
			t.Fatalf("missing section %q", name)
		}
	}
	base, ours, theirs := in[0], in[1], in[2]
	results := make([]Result, len(caseOutputs))
	for i, out := range caseOutputs {
		results[i] = checkMerge(t, base, ours, theirs, out.opt)
		if c := results[0].Conflicts; results[i].Conflicts != c {
			t.Errorf("%s: %d conflicts, but %d with markers", out.name, results[i].Conflicts, c)
		}
	}
	conflicts := []byte(strconv.Itoa(results[0].Conflicts) + "\n")
	if *update {
		cf.set("want conflicts", conflicts)
		for i, out := range caseOutputs {
			cf.set(out.name, results[i].Merged)
		}
		text, err := cf.format()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want, _ := cf.get("want conflicts"); !bytes.Equal(conflicts, want) {
		t.Errorf("conflicts: got %s, want %s", conflicts, want)
	}
	for i, out := range caseOutputs {
		want, ok := cf.get(out.name)
		if !ok {
			t.Errorf("missing section %q (run with -update)", out.name)
		} else if !bytes.Equal(results[i].Merged, want) {
			t.Errorf("%s:\ngot:\n%q\nwant:\n%q", out.name, results[i].Merged, want)
		}
	}
}
