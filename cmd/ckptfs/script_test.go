package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ckptfs": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar: the CLI's behaviour, output
// and exit codes, each script on a fresh store ($CKPTFS_STORE).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("CKPTFS_STORE", env.WorkDir+"/store")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"setfrom":  cmdSetFrom,
			"waitsock": cmdWaitSock,
		},
	})
}

// cmdSetFrom: setfrom VAR FILE [N] sets $VAR to the first N characters
// (default all) of the first word of FILE, e.g. an id printed earlier.
func cmdSetFrom(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: setfrom VAR FILE [N]")
	}
	words := strings.Fields(ts.ReadFile(args[1]))
	if len(words) == 0 {
		ts.Fatalf("%s is empty", args[1])
	}
	v := words[0]
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n > len(v) {
			ts.Fatalf("bad length %q", args[2])
		}
		v = v[:n]
	}
	ts.Setenv(args[0], v)
}

// cmdWaitSock: waitsock STORE waits (up to 10 s) until a mount or serve
// answers on STORE's control socket.
func cmdWaitSock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitsock STORE")
	}
	if store := ts.MkAbs(args[0]); !waitFor(func() bool { return controlAnswers(store) }) {
		ts.Fatalf("nothing answers on the control socket of %s", store)
	}
}
