package fusefs

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
)

// cmdMerge: merge SOURCE [into=BRANCH] [strategy=…] [message=TEXT]. A merge
// with conflicts under strategy=fail answers EBUSY with
// "error: conflict: N paths: …" (toErrno maps ErrMergeConflict).
func cmdMerge(ctx context.Context, r *Request) (string, error) {
	if err := r.Store.CheckSession(r.Session); err != nil {
		return "", err
	}
	o := ckptfs.MergeOptions{Session: r.Session, Source: r.Cmd.Args[0]}
	o.Into, _ = r.Cmd.Get("into")
	o.Strategy, _ = r.Cmd.Get("strategy")
	o.Message, _ = r.Cmd.Get("message")
	res, err := r.Store.Merge(ctx, o)
	if err != nil {
		return "", err
	}
	return "ok " + res.String(), nil
}

// cmdRestore: restore ID to=PATH [delete=yes|no] makes PATH equal to the
// checkpoint (SPEC §3), writing only what differs.
func cmdRestore(ctx context.Context, r *Request) (string, error) {
	if err := r.Store.CheckSession(r.Session); err != nil {
		return "", err
	}
	id, err := r.ResolveID(ctx, r.Cmd.Args[0])
	if err != nil {
		return "", err
	}
	to, _ := r.Cmd.Get("to")
	to, err = r.CheckPath("to", to, WriteAccess)
	if err != nil {
		return "", err
	}
	o := ckptfs.RestoreOptions{Delete: true}
	if v, ok := r.Cmd.Get("delete"); ok {
		if o.Delete, err = ctlparse.ParseBool(v); err != nil {
			return "", fmt.Errorf("%w: delete: %v", ckptfs.ErrInvalidArgument, err)
		}
	}
	res, err := r.Store.Restore(ctx, id, to, o)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ok written=%d removed=%d unchanged=%d", res.Written, res.Removed, res.Unchanged), nil
}

// cmdGC: gc [keep-within=DUR] [keep-last=N] [keep-daily=N] [keep-weekly=N]
// [keep-tagged=yes|no] [session=S] [dry-run=yes].
func cmdGC(ctx context.Context, r *Request) (string, error) {
	var o ckptfs.GCOptions
	for _, key := range []string{"keep-within", "keep-last", "keep-daily", "keep-weekly", "keep-tagged"} {
		if v, ok := r.Cmd.Get(key); ok {
			if err := o.Policy.Set(key, v); err != nil {
				return "", fmt.Errorf("%w: %s", ckptfs.ErrInvalidArgument, strings.TrimPrefix(err.Error(), "gc: "))
			}
		}
	}
	o.Session, _ = r.Cmd.Get("session")
	if v, ok := r.Cmd.Get("dry-run"); ok {
		dry, err := ctlparse.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("%w: dry-run: %v", ckptfs.ErrInvalidArgument, err)
		}
		o.DryRun = dry
	}
	res, err := r.Store.GC(ctx, o)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ok deleted=%d kept=%d objects-freed=%d bytes-freed=%d",
		res.Deleted, res.Kept, res.ObjectsFreed, res.BytesFreed), nil
}
