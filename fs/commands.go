package fusefs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Handler runs one parsed control command and returns its result line
// without the newline ("ok …", "unchanged …"). An error becomes the line
// "error: MESSAGE" and the errno of the write (toErrno; wrap a
// syscall.Errno to choose one, e.g. EBUSY for merge conflicts). A handler
// must change nothing when it fails.
type Handler func(ctx context.Context, r *Request) (string, error)

// Request is one control command being run.
type Request struct {
	Store *ckptfs.Store
	// Session is the session of the control file; "" for the root ctl.
	Session string
	Cmd     ctlparse.Command

	caller *fuse.Caller // set with --allow-other
}

// ResolveID resolves a checkpoint id prefix in the request's session.
func (r *Request) ResolveID(ctx context.Context, prefix string) (ckptfs.ID, error) {
	id, _, err := r.Store.Resolve(ctx, r.Session, prefix)
	return id, err
}

// Access levels for CheckPath.
const (
	ReadAccess  = permR | permX
	WriteAccess = permW | permX
)

// CheckPath checks a path given in a command (from=, to=): it must be
// absolute (ErrInvalidArgument) and, when the mount allows other users,
// the calling process must have access (ReadAccess to read a tree,
// WriteAccess to write into it) to it — or, for a path that does not
// exist yet, write access to its parent. It returns the cleaned path.
func (r *Request) CheckPath(key, path string, access uint32) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: %s= needs a path", ckptfs.ErrInvalidArgument, key)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("%w: %s=%s is not an absolute path", ckptfs.ErrInvalidArgument, key, path)
	}
	path = filepath.Clean(path)
	if r.caller == nil {
		return path, nil
	}
	c := credsOf(r.caller)
	err := c.check(path, access)
	if access&permW != 0 && isNotExist(err) {
		err = c.check(filepath.Dir(path), WriteAccess)
	}
	return path, err
}

// Unchanged formats the result of a checkpoint that created nothing.
func Unchanged(id ckptfs.ID) string { return "unchanged " + id.String() }

// sessionVerbs are the verbs of sessions/S/ctl.
func sessionVerbs() map[string]Handler {
	return map[string]Handler{
		"checkpoint": cmdCheckpoint,
		"branch":     cmdBranch,
		"tag":        cmdTag,
		"untag":      cmdUntag,
		"delete":     cmdDelete,
		"merge":      cmdMerge,
		"restore":    cmdRestore,
	}
}

// rootVerbs are the verbs of the root ctl.
func rootVerbs() map[string]Handler {
	return map[string]Handler{
		"session": cmdSession,
		"gc":      cmdGC,
	}
}

// checkpointOptions turns the keys of a checkpoint command into options.
func checkpointOptions(ctx context.Context, r *Request) (ckptfs.CheckpointOptions, error) {
	c := r.Cmd
	o := ckptfs.CheckpointOptions{Session: r.Session, Tags: c.List("tag"), Meta: c.Meta()}
	o.Branch, _ = c.Get("branch")
	o.Message, _ = c.Get("message")
	o.Excludes = c.List("exclude")
	if v, ok := c.Get("branch"); ok {
		if err := ckptfs.ValidateName("branch", v); err != nil {
			return o, err
		}
	}
	if v, ok := c.Get("time"); ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return o, fmt.Errorf("%w: time=%s is not an RFC 3339 time", ckptfs.ErrInvalidArgument, v)
		}
		o.Time = t
	}
	if v, ok := c.Get("if-changed"); ok {
		b, err := ctlparse.ParseBool(v)
		if err != nil {
			return o, err
		}
		o.IfChanged = b
	}
	if v, ok := c.Get("parent"); ok {
		if v == "none" {
			o.NoParent = true
		} else {
			id, err := r.ResolveID(ctx, v)
			if err != nil {
				return o, fmt.Errorf("parent=%s: %w", v, err)
			}
			o.Parent = id
		}
	}
	return o, nil
}

func cmdCheckpoint(ctx context.Context, r *Request) (string, error) {
	if err := r.Store.CheckSession(r.Session); err != nil {
		return "", err
	}
	from, _ := r.Cmd.Get("from")
	from, err := r.CheckPath("from", from, ReadAccess)
	if err != nil {
		return "", err
	}
	o, err := checkpointOptions(ctx, r)
	if err != nil {
		return "", err
	}
	if r.caller != nil {
		o.Import.Exclude = credsOf(r.caller).excluder(from)
	}
	// The store builds one checkpoint per branch at a time, so concurrent
	// writers queue instead of racing for the head.
	res, err := r.Store.CheckpointDir(ctx, from, o)
	if err != nil {
		return "", err
	}
	if res.Unchanged {
		return Unchanged(res.ID), nil
	}
	return "ok " + res.ID.String(), nil
}

func cmdBranch(ctx context.Context, r *Request) (string, error) {
	name := r.Cmd.Args[0]
	from, _ := r.Cmd.Get("from")
	id, err := r.Store.CreateBranch(ctx, r.Session, name, from)
	if err != nil {
		return "", err
	}
	return "ok " + name + " " + id.String(), nil
}

func cmdTag(ctx context.Context, r *Request) (string, error) {
	return retag(ctx, r, r.Store.Tag)
}

func cmdUntag(ctx context.Context, r *Request) (string, error) {
	return retag(ctx, r, r.Store.Untag)
}

func retag(ctx context.Context, r *Request, op func(context.Context, string, ckptfs.ID, ...string) error) (string, error) {
	if err := r.Store.CheckSession(r.Session); err != nil {
		return "", err
	}
	id, err := r.ResolveID(ctx, r.Cmd.Args[0])
	if err != nil {
		return "", err
	}
	if err := op(ctx, r.Session, id, r.Cmd.Args[1:]...); err != nil {
		return "", err
	}
	return "ok", nil
}

func cmdDelete(ctx context.Context, r *Request) (string, error) {
	if err := r.Store.CheckSession(r.Session); err != nil {
		return "", err
	}
	ids := make([]ckptfs.ID, 0, len(r.Cmd.Args))
	for _, p := range r.Cmd.Args {
		id, err := r.ResolveID(ctx, p)
		if err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	n, err := r.Store.Delete(ctx, r.Session, ids...)
	if err != nil {
		return "", err
	}
	return "ok deleted=" + strconv.Itoa(n), nil
}

func cmdSession(ctx context.Context, r *Request) (string, error) {
	name := r.Cmd.Args[0]
	if err := r.Store.CreateSession(ctx, name); err != nil {
		return "", err
	}
	return "ok " + name, nil
}

func isNotExist(err error) bool { return errors.Is(err, iofs.ErrNotExist) }
