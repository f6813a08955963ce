package main

import (
	"context"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/ckptfs/ckptfs/pebblestore"
	"github.com/spf13/pflag"
)

// versionInfo is what `ckptfs version` reports: enough to tell which build
// wrote a store and to quote in a bug report.
type versionInfo struct {
	Version  string `json:"version"`            // module version, "(devel)" for a plain go build
	Revision string `json:"revision,omitempty"` // VCS commit the binary was built from
	Time     string `json:"time,omitempty"`     // commit time (RFC 3339)
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	// The highest formats this binary reads and writes (docs/FORMAT.md).
	StoreFormat  int `json:"store_format"`
	ObjectFormat int `json:"object_format"`
}

func readVersion() versionInfo {
	v := versionInfo{Version: "(unknown)", Go: runtime.Version(),
		StoreFormat: pebblestore.StoreFormat, ObjectFormat: pebblestore.ObjectFormat}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line form:
//
//	ckptfs VERSION [(REVISION[+dirty], TIME)] GO, store format N, object format N
func (v versionInfo) String() string {
	s := "ckptfs " + v.Version
	// A module version built from a commit (a pseudo-version) names the
	// revision already.
	if v.Revision != "" && (len(v.Revision) < 12 || !strings.Contains(v.Version, v.Revision[:12])) {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if v.Modified {
			rev += "+dirty"
		}
		if v.Time != "" {
			rev += ", " + v.Time
		}
		s += " (" + rev + ")"
	}
	return s + " " + v.Go + ", store format " + strconv.Itoa(v.StoreFormat) + ", object format " + strconv.Itoa(v.ObjectFormat)
}

func cmdVersion() *command {
	var asJSON bool
	return &command{
		name:    "version",
		local:   true,
		usage:   "[--json]",
		summary: "print the version of ckptfs, the commit it was built from, and the store formats it reads",
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print a JSON object: version, revision, time, modified, go, store_format, object_format")
		},
		run: func(ctx context.Context, a *app, args []string) error {
			if len(args) != 0 {
				return usagef("version takes no arguments")
			}
			v := readVersion()
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(v)
			}
			a.printf("%s\n", v)
			return nil
		},
	}
}
