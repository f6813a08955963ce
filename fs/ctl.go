package fusefs

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ckptfs/ckptfs"
	"github.com/ckptfs/ckptfs/fs/ctlparse"
	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ctlNode is a control file: the root ctl (session "") or sessions/S/ctl.
//
// Protocol (SPEC §3, LIBRARY-FACTS §1.5): a line runs when its newline is
// written, and the WRITE fails with the command's errno; a final line
// without newline runs on close (FLUSH), its errno going to close(2).
// Each open handle has its own queue of result lines, read in order; a
// handle opened for reading starts with the result of the most recent
// command of this control file, dropped as soon as the handle writes.
// Handles are DIRECT_IO (reads are not capped by the size, 0) and
// NONSEEKABLE (bash's read then takes one byte at a time and never seeks
// back over a second queued result).
type ctlNode struct {
	node
	session string
}

func (c *ctlNode) mode() uint32 { return syscall.S_IFREG }

func (c *ctlNode) attr(ctx context.Context, out *fuse.Attr) (time.Duration, time.Duration, syscall.Errno) {
	c.fsys.setCommon(out, syscall.S_IFREG|0o666, 0, c.fsys.started)
	return longTimeout, longTimeout, 0
}

func (c *ctlNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return getattr(ctx, c, out)
}

// Setattr accepts the truncation `echo … > ctl` sends (go-fuse does not
// negotiate atomic O_TRUNC) and time updates; nothing else.
func (c *ctlNode) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if sz, ok := in.GetSize(); ok && sz != 0 {
		return syscall.EINVAL
	}
	if _, ok := in.GetMode(); ok {
		return syscall.EROFS
	}
	if _, ok := in.GetUID(); ok {
		return syscall.EROFS
	}
	if _, ok := in.GetGID(); ok {
		return syscall.EROFS
	}
	return getattr(ctx, c, out)
}

func (c *ctlNode) Access(ctx context.Context, mask uint32) syscall.Errno { return 0 }

func (c *ctlNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	h := &ctlHandle{c: c}
	if flags&syscall.O_ACCMODE != syscall.O_WRONLY {
		h.out = []byte(c.fsys.results.get(c.session))
	}
	return h, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NONSEEKABLE, 0
}

var (
	_ gofs.NodeGetattrer = (*ctlNode)(nil)
	_ gofs.NodeSetattrer = (*ctlNode)(nil)
	_ gofs.NodeOpener    = (*ctlNode)(nil)
	_ gofs.NodeAccesser  = (*ctlNode)(nil)
)

// ctlHandle is one open control file.
type ctlHandle struct {
	c *ctlNode

	mu    sync.Mutex
	lines ctlparse.LineBuffer
	out   []byte // unread result lines
	wrote bool
}

// skipped is the result of a command after a failed one in the same write.
const skipped = "error: not executed: an earlier command in the same write failed"

func (h *ctlHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.wrote {
		h.out, h.wrote = nil, true // the "last result" preload is not ours
	}
	lines, perr := h.lines.Write(data)
	var errno syscall.Errno
	for _, line := range lines {
		if errno != 0 {
			if isCommand(line) {
				h.result(skipped)
			}
			continue
		}
		errno = h.run(ctx, line)
	}
	if perr != nil && errno == 0 {
		h.result("error: " + perr.Error())
		errno = syscall.EINVAL
	}
	if errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

// Flush runs a final line written without a newline.
func (h *ctlHandle) Flush(ctx context.Context) syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	if line, ok := h.lines.Flush(); ok {
		return h.run(ctx, line)
	}
	return 0
}

// Release runs a pending final line if no FLUSH did (its errno is lost).
func (h *ctlHandle) Release(ctx context.Context) syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	if line, ok := h.lines.Flush(); ok {
		h.run(context.Background(), line)
	}
	return 0
}

func (h *ctlHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := copy(dest, h.out)
	h.out = h.out[n:]
	return fuse.ReadResultData(dest[:n]), 0
}

var (
	_ gofs.FileWriter   = (*ctlHandle)(nil)
	_ gofs.FileReader   = (*ctlHandle)(nil)
	_ gofs.FileFlusher  = (*ctlHandle)(nil)
	_ gofs.FileReleaser = (*ctlHandle)(nil)
)

// isCommand reports whether a line is a command rather than blank or a
// comment (those get no result line). A NUL byte makes any line an
// (invalid) command, as in ctlparse.
func isCommand(line string) bool {
	if strings.IndexByte(line, 0) >= 0 {
		return true
	}
	rest := strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
	return rest != "" && rest[0] != '#'
}

// run executes one line and queues its result; the caller holds h.mu.
func (h *ctlHandle) run(ctx context.Context, line string) syscall.Errno {
	res, errno, isCmd := h.c.fsys.execute(ctx, h.c.session, line)
	if !isCmd {
		return 0
	}
	h.result(res)
	return errno
}

// result queues a result line and records it as the control file's last.
func (h *ctlHandle) result(line string) {
	line += "\n"
	h.out = append(h.out, line...)
	h.c.fsys.results.set(h.c.session, line)
}

// execute parses and runs one control line of the control file of
// session ("" = root). It returns the result line (without newline), the
// errno, and whether the line was a command at all.
func (f *fsys) execute(ctx context.Context, session, line string) (string, syscall.Errno, bool) {
	grammar, verbs := f.sessionGrammar, f.sessionVerbs
	if session == "" {
		grammar, verbs = f.rootGrammar, f.rootVerbs
	}
	cmd, ok, err := grammar.Parse(line)
	if err != nil {
		return "error: " + err.Error(), syscall.EINVAL, true
	}
	if !ok {
		return "", 0, false
	}
	h := verbs[cmd.Verb]
	if h == nil {
		// The grammar and the verb tables list the same verbs.
		return "error: unknown verb " + strconv.Quote(cmd.Verb), syscall.EINVAL, true
	}
	req := &Request{Store: f.st, Session: session, Cmd: cmd}
	if c, ok := fuse.FromContext(ctx); ok && f.opts.AllowOther {
		req.caller = c
	}
	// A complete line runs to completion: the kernel interrupts a FUSE
	// request for any signal the writer gets (a Go program's runtime
	// signals, SIGCHLD, SIGWINCH), and the writer would then retry the
	// write, so honouring the interrupt turns one command into a failed
	// one plus a second run, or never finishes a long one.
	res, err := h(context.WithoutCancel(ctx), req)
	// Changes are visible to the writer's next ls: wait (bounded) for
	// the kernel notifications this command caused.
	f.notify.wait(f.opts.NotifyWait)
	if err != nil {
		return "error: " + ckptfs.Message(err), toErrno(f.log, err), true
	}
	return res, 0, true
}
