package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/tree"
	"github.com/spf13/pflag"
)

type checkpointOptions struct {
	session, branch, parent, message, time string
	tags, meta                             []string
	ifChanged                              bool
	excludes                               []string
	noDefaultExcludes, hook                bool
}

func cmdCheckpoint() *command {
	var o checkpointOptions
	return &command{
		name:    "checkpoint",
		usage:   "--session S [flags] DIR   (or: --hook [flags] [DIR] < hook-payload.json)",
		summary: "snapshot directory DIR as a new checkpoint; prints its id",
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.session, "session", "", "session (created if new) (required)")
			fs.StringVar(&o.branch, "branch", "", "branch (default main; created if new)")
			fs.StringVar(&o.parent, "parent", "", "parent id, or none (default: the branch head)")
			fs.StringVarP(&o.message, "message", "m", "", "message")
			fs.StringArrayVar(&o.tags, "tag", nil, "tag (repeatable)")
			fs.StringArrayVar(&o.meta, "meta", nil, "metadata K=V (repeatable)")
			fs.StringVar(&o.time, "time", "", "backdate to this RFC 3339 time")
			fs.BoolVar(&o.ifChanged, "if-changed", false, "create nothing when the tree equals the parent's; prints 'unchanged ID'")
			fs.StringArrayVar(&o.excludes, "exclude", nil, "leave out paths matching this gitignore-like `GLOB` (repeatable; '!GLOB' re-includes)")
			fs.BoolVar(&o.noDefaultExcludes, "no-default-excludes", false, "do not leave out "+strings.Join(ckptfs.DefaultExcludes, " "))
			fs.BoolVar(&o.hook, "hook", false, "read an agent hook's JSON payload on stdin: session_id, cwd, hook_event_name, tool_name (docs/agents.md)")
		},
		readsStdin: func() bool { return o.hook },
		run: func(ctx context.Context, a *app, args []string) error {
			if o.hook {
				var err error
				if args, err = o.applyHook(a, args); err != nil {
					return err
				}
			}
			if len(args) != 1 {
				return usagef("checkpoint takes one directory, got %d arguments", len(args))
			}
			if err := requireSession("checkpoint", o.session); err != nil {
				return err
			}
			co, err := o.toAPI(ctx, a)
			if err != nil {
				return err
			}
			dir := a.abs(args[0])
			co.Excludes = append(co.Excludes, a.storeExclude(dir)...)
			co.Import.Warn = a.warn
			var finish func()
			co.Import.Progress, finish = a.treeProgress("checkpoint")
			defer finish()
			res, err := a.store.CheckpointDir(ctx, dir, co)
			if err != nil {
				return err
			}
			if res.Unchanged {
				a.printf("unchanged %s\n", res.ID)
				return nil
			}
			a.printf("%s\n", res.ID)
			return nil
		},
	}
}

func (o *checkpointOptions) toAPI(ctx context.Context, a *app) (ckptfs.CheckpointOptions, error) {
	co := ckptfs.CheckpointOptions{Session: o.session, Branch: o.branch, Message: o.message,
		Tags: o.tags, IfChanged: o.ifChanged, Excludes: o.excludes, NoDefaultExcludes: o.noDefaultExcludes}
	meta, err := parseMeta(o.meta)
	if err != nil {
		return co, err
	}
	co.Meta = meta
	if o.time != "" {
		t, err := time.Parse(time.RFC3339Nano, o.time)
		if err != nil {
			return co, fmt.Errorf("%w: --time %q is not an RFC 3339 time", ckptfs.ErrInvalidArgument, o.time)
		}
		co.Time = t
	}
	switch o.parent {
	case "":
	case "none":
		co.NoParent = true
	default:
		if ok, _ := a.store.HasSession(o.session); ok {
			id, _, err := a.resolveRev(ctx, o.session, o.parent)
			if err != nil {
				return co, fmt.Errorf("--parent: %w", err)
			}
			co.Parent = id
		} else {
			return co, fmt.Errorf("--parent: session %q: %w", o.session, ckptfs.ErrNotFound)
		}
	}
	return co, nil
}

func parseMeta(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--meta %q: want K=V", kv)
		}
		m[k] = v
	}
	return m, nil
}

// hookPayload is the part of an agent hook's JSON payload that
// `checkpoint --hook` reads (Claude Code's PostToolUse, Stop,
// UserPromptSubmit, … events; other agents send the same names).
type hookPayload struct {
	SessionID string `json:"session_id"`
	Cwd       string `json:"cwd"`
	Event     string `json:"hook_event_name"`
	Tool      string `json:"tool_name"`
}

// maxHookPayload bounds what --hook reads: a payload carries the tool's
// input and output, which can be large.
const maxHookPayload = 64 << 20

// applyHook reads the hook payload from stdin and fills in what the
// command line left out: the session (from session_id), the directory
// (from cwd), the message, and meta event=, tool=, agent_session=.
func (o *checkpointOptions) applyHook(a *app, args []string) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(a.stdin, maxHookPayload))
	if err != nil {
		return nil, fmt.Errorf("--hook: reading stdin: %w", err)
	}
	var p hookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, usagef("--hook: stdin is not a hook's JSON payload: %v", err)
	}
	if o.session == "" {
		o.session = sessionName(p.SessionID)
	}
	if len(args) == 0 && p.Cwd != "" {
		args = []string{p.Cwd}
	}
	var meta []string
	for _, kv := range [][2]string{{"event", p.Event}, {"tool", p.Tool}, {"agent_session", p.SessionID}} {
		if kv[1] != "" {
			meta = append(meta, kv[0]+"="+kv[1])
		}
	}
	o.meta = append(meta, o.meta...)
	if o.message == "" {
		o.message = hookMessage(p.Event, p.Tool)
	}
	return args, nil
}

// hookMessage is the default message of a hook's checkpoint; "turn start"
// marks the state before a turn (docs/agents.md rolls back to it).
func hookMessage(event, tool string) string {
	switch event {
	case "UserPromptSubmit":
		return "turn start"
	case "Stop":
		return "turn end"
	case "PostToolUse":
		return "after " + tool
	}
	return strings.TrimSpace(event + " " + tool)
}

// sessionName turns an agent's session id into a valid session name
// (SPEC §1): other characters become '-'.
func sessionName(id string) string {
	b := []byte(id)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '+' || c == '@'
		if !ok {
			b[i] = '-'
		}
	}
	if len(b) > ckptfs.MaxNameLen {
		b = b[:ckptfs.MaxNameLen]
	}
	if len(b) > 0 && (b[0] == '.' || b[0] == '-') {
		b[0] = '_'
	}
	return string(b)
}

// storeExclude leaves the store itself out when it lives inside dir.
func (a *app) storeExclude(dir string) []string {
	if a.storeDir == "" {
		return nil
	}
	rel, err := filepath.Rel(dir, a.storeDir)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	return []string{"/" + escapeGlob(filepath.ToSlash(rel)) + "/"}
}

// escapeGlob quotes the characters an exclude pattern treats specially.
func escapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[\!#`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// warn prints a warning of the tree walk to stderr.
func (a *app) warn(path string, err error) {
	fmt.Fprintf(a.stderr, "ckptfs: warning: %s: %s\n", quotePath(path), ckptfs.Message(err))
}

// treeProgress returns a progress callback that draws a bar (bytes) on a
// terminal once the work has run for a tick, and the function that
// finishes it. Off a terminal both do nothing.
func (a *app) treeProgress(desc string) (func(tree.Progress), func()) {
	if !a.tty {
		return nil, func() {}
	}
	var p *progress
	total := int64(-1)
	return func(pr tree.Progress) {
			if p == nil {
				p = a.newProgress(desc, max(pr.TotalBytes, 1), true)
			}
			if pr.TotalBytes != total && pr.TotalBytes > 0 {
				total = pr.TotalBytes
				p.bar.ChangeMax64(total)
			}
			p.set(pr.Bytes)
		}, func() {
			p.done()
		}
}
