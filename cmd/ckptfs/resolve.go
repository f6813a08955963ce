package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ckptfs/ckptfs"
)

// resolveID turns an id prefix into an id and its session. When session is
// "" the prefix must be unique in the whole store.
func (a *app) resolveID(ctx context.Context, session, prefix string) (ckptfs.ID, string, error) {
	return a.store.Resolve(ctx, session, strings.ToLower(prefix))
}

// requireSession is the error for commands that need --session.
func requireSession(cmd, session string) error {
	if session == "" {
		return usagef("%s needs --session", cmd)
	}
	return nil
}

// formatTime is the time format of listings.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// oneLine flattens a message for one-line listings.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdout, format, args...) }

// resolveRev is resolveID that also accepts a branch name of the session
// (its head), for commands that read a checkpoint: show, diff, restore,
// checkpoint --parent. A branch name wins over an id prefix, as in SPEC
// §3's `branch NAME from=`.
func (a *app) resolveRev(ctx context.Context, session, rev string) (ckptfs.ID, string, error) {
	if session != "" && ckptfs.ValidateName("branch", rev) == nil {
		if id, err := a.store.Head(session, rev); err == nil {
			return id, session, nil
		}
	}
	return a.resolveID(ctx, session, rev)
}
