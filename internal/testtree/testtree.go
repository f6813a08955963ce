// Package testtree writes small directory trees for tests.
package testtree

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Write creates files below dir: name → content. A name ending in "/" is a
// directory; content "->target" makes a symlink.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// New writes files (as Write) below a fresh temporary directory and
// returns it.
func New(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	Write(t, dir, files)
	return dir
}

// BenchSource is the directory benchmarks of real trees walk:
// $CKPTFS_BENCH_DIR, or Go's own source tree (~12k files).
func BenchSource() string {
	if dir := os.Getenv("CKPTFS_BENCH_DIR"); dir != "" {
		return dir
	}
	root := runtime.GOROOT() //lint:ignore SA1019 fallback when there is no go command
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		root = strings.TrimSpace(string(out))
	}
	return filepath.Join(root, "src")
}
