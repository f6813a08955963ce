package merge

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/ckptfs/ckptfs/tree"
)

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/cases")

// The files in testdata/cases each describe one merge: named trees, the
// parent graph between them, and what merging two of them gives under
// every strategy. A file is an optional comment, then sections, each a
// line "-- HEADER --" followed by its body (the lines up to the next
// header, exactly: no blank separator line).
//
//	-- graph --            one checkpoint per line, oldest first: "NAME" or
//	                       "NAME: PARENT…"; then "merge OURS THEIRS". Default:
//	                       base; ours: base; theirs: base; merge ours theirs
//	-- NAME/PATH --        a file of checkpoint NAME, the body its content
//	-- NAME/PATH mode=755 --   the same with permission bits (default 644)
//	-- NAME/PATH -> TARGET --  a symlink
//	-- NAME/PATH/ --       a directory (empty, or to give it a mode=)
//	-- bases --            the expected merge bases, newest first (optional)
//	-- conflicts --        "KIND PATH" lines, KIND as ConflictKind.String
//	-- conflicts.S --      the same for strategy S when it differs
//	-- want/PATH … --      the merged tree under every strategy, as above
//	-- want.S --           strategy S has its own tree, given as want.S/PATH
//
// A checkpoint without sections has an empty tree. Under fail, a merge
// with conflicts must create no tree; without conflicts it must give the
// want tree. In bodies "␍" stands for "\r" and "␀" for a NUL byte, and a
// last line "\ No newline at end of file" removes the newline before it.
// With -update, bases, conflicts and want sections are rewritten from the
// actual results.

const (
	noEOL   = `\ No newline at end of file`
	crGlyph = "␍"
	nulByte = "␀"
)

var strategies = []Strategy{Fail, Ours, Theirs, Recursive}

type section struct {
	header string
	body   string // raw
}

type caseFile struct {
	comment  string
	sections []section
}

func parseCaseFile(text string) *caseFile {
	cf := &caseFile{}
	var cur *section
	for _, line := range strings.SplitAfter(text, "\n") {
		if h, ok := header(strings.TrimSuffix(line, "\n")); ok {
			cf.sections = append(cf.sections, section{header: h})
			cur = &cf.sections[len(cf.sections)-1]
			continue
		}
		if cur == nil {
			cf.comment += line
		} else {
			cur.body += line
		}
	}
	return cf
}

func header(line string) (string, bool) {
	if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") && len(line) > 6 {
		return line[3 : len(line)-3], true
	}
	return "", false
}

// decode turns a section body into file content.
func decode(body string) []byte {
	if strings.HasSuffix(body, noEOL+"\n") || strings.HasSuffix(body, noEOL) {
		body = strings.TrimSuffix(strings.TrimSuffix(body, "\n"), noEOL)
		body = strings.TrimSuffix(body, "\n")
	}
	body = strings.ReplaceAll(body, crGlyph, "\r")
	return []byte(strings.ReplaceAll(body, nulByte, "\x00"))
}

// encode is the inverse of decode.
func encode(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r", crGlyph)
	s = strings.ReplaceAll(s, "\x00", nulByte)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n" + noEOL + "\n"
	}
	return s
}

// fileSpec is one path of a tree section.
type fileSpec struct {
	tree, path string
	typ        tree.Type
	mode       uint32
	target     string
	data       []byte
}

func parseSpec(h, body string) (fileSpec, error) {
	words := strings.Fields(h)
	name, p, ok := strings.Cut(words[0], "/")
	if !ok {
		return fileSpec{}, fmt.Errorf("section %q: want NAME/PATH", h)
	}
	fs := fileSpec{tree: name, path: p, typ: tree.TypeFile, mode: 0o644, data: decode(body)}
	if strings.HasSuffix(p, "/") {
		fs.typ, fs.mode, fs.path = tree.TypeDir, 0o755, strings.TrimSuffix(p, "/")
	}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "->" && i+1 < len(words):
			fs.typ, fs.mode, fs.target = tree.TypeSymlink, 0o777, words[i+1]
			i++
		case strings.HasPrefix(w, "mode="):
			m, err := strconv.ParseUint(strings.TrimPrefix(w, "mode="), 8, 32)
			if err != nil {
				return fs, fmt.Errorf("section %q: %v", h, err)
			}
			fs.mode = uint32(m)
		default:
			return fs, fmt.Errorf("section %q: unknown word %q", h, w)
		}
	}
	return fs, nil
}

// testStore is a memory object store with its reader.
type testStore struct {
	mem *memStore
	r   *tree.Reader
}

func newTestStore() *testStore {
	mem := newMemStore()
	return &testStore{mem: mem, r: tree.NewReader(mem, 0)}
}

// build writes a tree from specs (directories first, so that files
// land inside them) and returns its root.
func (ts *testStore) build(t tb, specs []fileSpec) ID {
	t.Helper()
	ctx := context.Background()
	ed, err := tree.NewEditor(ts.r, ts.mem, ID{})
	if err != nil {
		t.Fatal(err)
	}
	specs = slices.Clone(specs)
	slices.SortStableFunc(specs, func(a, b fileSpec) int {
		if (a.typ == tree.TypeDir) != (b.typ == tree.TypeDir) {
			if a.typ == tree.TypeDir {
				return -1
			}
			return 1
		}
		return strings.Count(a.path, "/") - strings.Count(b.path, "/")
	})
	empty, _ := tree.EncodeTree(&tree.Tree{})
	ts.mem.PutWithID(emptyTree, pebblestore.KindTree, empty)
	for _, s := range specs {
		switch s.typ {
		case tree.TypeFile:
			err = ed.Put(ctx, s.path, s.data, s.mode, 0)
		case tree.TypeDir:
			err = ed.PutEntry(ctx, s.path, tree.Entry{Type: tree.TypeDir, Mode: s.mode, Tree: emptyTree})
		case tree.TypeSymlink:
			err = ed.PutEntry(ctx, s.path, tree.Entry{Type: tree.TypeSymlink, Mode: s.mode, Target: s.target, Size: uint64(len(s.target))})
		}
		if err != nil {
			t.Fatalf("%s/%s: %v", s.tree, s.path, err)
		}
	}
	root, _, err := ed.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// dump lists a tree as spec sections named prefix/PATH, in path order:
// files, symlinks, and directories that are empty or not mode 755.
func (ts *testStore) dump(t tb, r Reader, root ID, prefix string) []section {
	t.Helper()
	var out []section
	var walk func(id ID, dir string)
	walk = func(id ID, dir string) {
		tr, err := r.Tree(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tr.Entries {
			e := &tr.Entries[i]
			p := join(dir, e.Name)
			h := prefix + "/" + p
			switch e.Type {
			case tree.TypeFile:
				b, err := r.ReadFile(context.Background(), e)
				if err != nil {
					t.Fatal(err)
				}
				if e.Mode != 0o644 {
					h += fmt.Sprintf(" mode=%o", e.Mode)
				}
				out = append(out, section{h, encode(b)})
			case tree.TypeSymlink:
				h += " -> " + e.Target
				if e.Mode != 0o777 {
					h += fmt.Sprintf(" mode=%o", e.Mode)
				}
				out = append(out, section{h, ""})
			case tree.TypeDir:
				if e.Mode != 0o755 || isEmpty(e.Tree) {
					if e.Mode != 0o755 {
						h += fmt.Sprintf("/ mode=%o", e.Mode)
					} else {
						h += "/"
					}
					out = append(out, section{h, ""})
				}
				walk(e.Tree, p)
			}
		}
	}
	walk(root, "")
	return out
}

// testGraph is a History over named checkpoints.
type testGraph struct {
	nodes map[ID]Node
	roots map[ID]ID
	names map[ID]string
}

func nameID(name string) ID { return pebblestore.Hash(pebblestore.KindCheckpoint, []byte(name)) }

func (g *testGraph) Node(_ context.Context, id ID) (Node, error) {
	n, ok := g.nodes[id]
	if !ok {
		return Node{}, pebblestore.ErrNotFound
	}
	return n, nil
}

func (g *testGraph) Root(_ context.Context, id ID) (ID, error) {
	r, ok := g.roots[id]
	if !ok {
		return ID{}, pebblestore.ErrNotFound
	}
	return r, nil
}

// add adds checkpoint name with parents; each is newer than the last.
func (g *testGraph) add(name string, root ID, parents ...string) ID {
	if g.nodes == nil {
		g.nodes, g.roots, g.names = map[ID]Node{}, map[ID]ID{}, map[ID]string{}
	}
	id := nameID(name)
	var ps []ID
	for _, p := range parents {
		ps = append(ps, nameID(p))
	}
	g.nodes[id] = Node{Parents: ps, Time: time.Unix(int64(len(g.nodes)), 0)}
	g.roots[id], g.names[id] = root, name
	return id
}

func (g *testGraph) namesOf(ids []ID) string {
	var out []string
	for _, id := range ids {
		out = append(out, g.names[id])
	}
	return strings.Join(out, " ")
}

// loadedCase is a case file ready to run.
type loadedCase struct {
	cf            *caseFile
	ts            *testStore
	g             *testGraph
	ours, theirs  ID
	wantBases     *string
	wantConflicts map[string]string // "" = default
	wantTrees     map[string]ID     // "" = default
	graphText     string
}

func loadCase(t *testing.T, text string) *loadedCase {
	cf := parseCaseFile(text)
	lc := &loadedCase{cf: cf, ts: newTestStore(), g: &testGraph{}, wantConflicts: map[string]string{}, wantTrees: map[string]ID{}}
	trees := map[string][]fileSpec{}
	declared := map[string]bool{}
	graph := "base\nours: base\ntheirs: base\nmerge ours theirs\n"
	for _, s := range cf.sections {
		switch {
		case s.header == "graph":
			graph, lc.graphText = s.body, s.body
		case s.header == "bases":
			b := strings.Join(strings.Fields(s.body), " ")
			lc.wantBases = &b
		case s.header == "conflicts":
			lc.wantConflicts[""] = s.body
		case strings.HasPrefix(s.header, "conflicts."):
			lc.wantConflicts[strings.TrimPrefix(s.header, "conflicts.")] = s.body
		case strings.HasPrefix(s.header, "want.") && !strings.Contains(s.header, "/"):
			declared[s.header] = true
		default:
			fs, err := parseSpec(s.header, s.body)
			if err != nil {
				t.Fatal(err)
			}
			trees[fs.tree] = append(trees[fs.tree], fs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(graph), "\n") {
		if rest, ok := strings.CutPrefix(line, "merge "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 {
				t.Fatalf("graph line %q", line)
			}
			lc.ours, lc.theirs = nameID(f[0]), nameID(f[1])
			continue
		}
		name, parents, _ := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		lc.g.add(name, lc.ts.build(t, trees[name]), strings.Fields(parents)...)
	}
	if _, ok := trees["want"]; ok || len(declared) == 0 {
		lc.wantTrees[""] = lc.ts.build(t, trees["want"])
	}
	for d := range declared {
		lc.wantTrees[strings.TrimPrefix(d, "want.")] = lc.ts.build(t, trees[d])
	}
	return lc
}

func (lc *loadedCase) wantTree(s Strategy) (ID, bool) {
	if id, ok := lc.wantTrees[s.String()]; ok {
		return id, true
	}
	id, ok := lc.wantTrees[""]
	return id, ok
}

func (lc *loadedCase) wantConflict(s Strategy) string {
	if c, ok := lc.wantConflicts[s.String()]; ok {
		return c
	}
	return lc.wantConflicts[""]
}

func conflictText(cs []Conflict) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s\n", c)
	}
	return b.String()
}

func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no cases", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lc := loadCase(t, string(text))
			results := map[Strategy]Result{}
			for _, s := range strategies {
				res, err := Checkpoints(context.Background(), lc.g, lc.ts.r, lc.ts.mem, lc.ours, lc.theirs, Options{Strategy: s})
				if err != nil {
					t.Fatalf("%v: %v", s, err)
				}
				results[s] = res
			}
			if *update {
				lc.rewrite(t, file, results)
				return
			}
			lc.check(t, results)
		})
	}
}

func (lc *loadedCase) check(t *testing.T, results map[Strategy]Result) {
	for _, s := range strategies {
		res := results[s]
		if lc.wantBases != nil {
			if got := lc.g.namesOf(res.Bases); got != *lc.wantBases {
				t.Errorf("%v: bases %q, want %q", s, got, *lc.wantBases)
			}
		}
		got, want := conflictText(res.Conflicts), lc.wantConflict(s)
		if got != want {
			t.Errorf("%v: conflicts\n%s\nwant\n%s", s, got, want)
		}
		if s == Fail && want != "" {
			if !res.Root.IsZero() {
				t.Errorf("fail with conflicts made tree %s", res.Root.Short())
			}
			continue
		}
		wantRoot, ok := lc.wantTree(s)
		if !ok {
			t.Fatalf("%v: no want tree", s)
		}
		if res.Root != wantRoot {
			t.Errorf("%v: merged tree\n%s\nwant\n%s", s, sectionsText(lc.ts.dump(t, lc.ts.r, res.Root, "got")),
				sectionsText(lc.ts.dump(t, lc.ts.r, wantRoot, "want")))
			continue
		}
		tr, err := lc.ts.r.Tree(context.Background(), res.Root)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Summary() != res.Summary {
			t.Errorf("%v: summary %+v, tree says %+v", s, res.Summary, tr.Summary())
		}
	}
}

func sectionsText(ss []section) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "-- %s --\n%s", s.header, s.body)
	}
	return b.String()
}

// rewrite writes the case file back with the actual results.
func (lc *loadedCase) rewrite(t *testing.T, file string, results map[Strategy]Result) {
	var b strings.Builder
	b.WriteString(lc.cf.comment)
	for _, s := range lc.cf.sections {
		h := s.header
		if h == "bases" || h == "conflicts" || strings.HasPrefix(h, "conflicts.") || h == "want" ||
			strings.HasPrefix(h, "want/") || strings.HasPrefix(h, "want.") {
			continue
		}
		fmt.Fprintf(&b, "-- %s --\n%s", h, s.body)
	}
	rec := results[Recursive]
	if lc.wantBases != nil {
		b.WriteString("-- bases --\n")
		if len(rec.Bases) > 0 {
			b.WriteString(lc.g.namesOf(rec.Bases) + "\n")
		}
	}
	def := conflictText(rec.Conflicts)
	fmt.Fprintf(&b, "-- conflicts --\n%s", def)
	for _, s := range strategies {
		if c := conflictText(results[s].Conflicts); c != def {
			fmt.Fprintf(&b, "-- conflicts.%s --\n%s", s, c)
		}
	}
	b.WriteString(sectionsText(lc.ts.dump(t, lc.ts.r, rec.Root, "want")))
	for _, s := range []Strategy{Fail, Ours, Theirs} {
		r := results[s]
		if r.Root.IsZero() || r.Root == rec.Root {
			continue
		}
		fmt.Fprintf(&b, "-- want.%s --\n", s)
		b.WriteString(sectionsText(lc.ts.dump(t, lc.ts.r, r.Root, "want."+s.String())))
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tb is what the helpers need of a *testing.T or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func readCase(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "cases", name+".txt"))
	return string(b), err
}
