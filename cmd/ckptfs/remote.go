package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/ckptfs/ckptfs"
)

// The control socket lets every CLI command run while a mount holds the
// store (Pebble's lock admits one process): the CLI sends its arguments
// and working directory, the mount runs the same command against its open
// store and streams stdout, stderr and the exit status back. The socket
// lives in the store directory with mode 0600.

const socketName = "ctl.sock"

type remoteRequest struct {
	Args  []string `json:"args"`
	Cwd   string   `json:"cwd"`
	Stdin []byte   `json:"stdin,omitempty"` // for commands that read it (checkpoint --hook)
}

// maxForwardedStdin bounds the stdin a forwarded command takes along
// (a hook payload: maxHookPayload).
const maxForwardedStdin = maxHookPayload

type remoteFrame struct {
	Out  []byte `json:"out,omitempty"`
	Err  []byte `json:"err,omitempty"`
	Exit *int   `json:"exit,omitempty"`
	// Closing: the server is shutting down and did not run the command;
	// the client tries again (it will open the store itself).
	Closing bool `json:"closing,omitempty"`
}

// errNoAnswer: the store is locked but its control socket does not answer
// (yet: a mount or serve between opening the store and listening; or no
// more: one shutting down).
var errNoAnswer = errors.New("its control socket does not answer")

// forwardToMount runs command name with args in the mount (or serve) that
// holds the store.
func (a *app) forwardToMount(ctx context.Context, name string, args []string, stdin []byte) error {
	sock := filepath.Join(a.storeDir, socketName)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return fmt.Errorf("%w: %s, and %w: %s (%v)", ckptfs.ErrInUse, a.storeDir, errNoAnswer, sock, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cwd := a.cwd
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	req := remoteRequest{Args: append([]string{name}, args...), Cwd: cwd, Stdin: stdin}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var f remoteFrame
		if err := dec.Decode(&f); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("control socket: %w", err)
		}
		if f.Closing {
			return fmt.Errorf("%w: %s, and %w: %s (shutting down)", ckptfs.ErrInUse, a.storeDir, errNoAnswer, sock)
		}
		a.stdout.Write(f.Out)
		a.stderr.Write(f.Err)
		if f.Exit != nil {
			if *f.Exit == 0 {
				return nil
			}
			return &silentExit{*f.Exit}
		}
	}
}

// controlAnswers reports whether a mount or serve answers on the control
// socket of the store in storeDir.
func controlAnswers(storeDir string) bool {
	c, err := net.Dial("unix", filepath.Join(storeDir, socketName))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// listenControl creates the control socket of a mount in the store dir.
func listenControl(storeDir string) (net.Listener, error) {
	sock := filepath.Join(storeDir, socketName)
	if controlAnswers(storeDir) {
		return nil, fmt.Errorf("%w: another mount answers on %s", ckptfs.ErrInUse, sock)
	}
	os.Remove(sock) // stale, from a killed mount
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// serveControl runs forwarded commands against store until l is closed.
// busy, when not nil, is told when each command starts and ends.
func serveControl(ctx context.Context, l net.Listener, store *ckptfs.Store, storeDir string, busy *idleWatch) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		busy.begin()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer busy.end()
			serveConn(ctx, conn, store, storeDir)
		}()
	}
}

func serveConn(ctx context.Context, conn net.Conn, store *ckptfs.Store, storeDir string) {
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	br := bufio.NewReader(conn)
	var req remoteRequest
	if err := json.NewDecoder(br).Decode(&req); err != nil {
		return
	}
	if ctx.Err() != nil { // stopping (a signal, or idle just now): not run
		json.NewEncoder(conn).Encode(remoteFrame{Closing: true})
		return
	}
	// The client closing the connection (Ctrl-C) cancels the command.
	go func() {
		io.Copy(io.Discard, br)
		cancel()
	}()
	fw := &frameWriter{enc: json.NewEncoder(conn)}
	var stdin io.Reader = eofReader{}
	if req.Stdin != nil {
		stdin = bytes.NewReader(req.Stdin)
	}
	a := &app{stdin: stdin, stdout: fw.stream(false), stderr: fw.stream(true), cwd: req.Cwd,
		storeDir: storeDir, store: store, shared: true}
	code := exitCode(a.runRemote(ctx, req.Args), a.stderr)
	fw.send(remoteFrame{Exit: &code})
}

// runRemote runs a forwarded command; commands that manage their own store
// (mount) are refused.
func (a *app) runRemote(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("no command")
	}
	c := findCommand(args[0])
	if c == nil {
		return usagef("unknown command %q", args[0])
	}
	if c.name == "mount" || c.name == "serve" {
		return errors.New("the store is already served by a running mount or serve")
	}
	return a.runCommand(ctx, c, args[1:])
}

type frameWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (f *frameWriter) send(fr remoteFrame) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enc.Encode(fr)
}

func (f *frameWriter) stream(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		b := append([]byte(nil), p...)
		fr := remoteFrame{Out: b}
		if stderr {
			fr = remoteFrame{Err: b}
		}
		if err := f.send(fr); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
