package lxd

// #include "shims.h"
import "C"

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// ExecOptions tune a command run by Exec, ExecStream or ExecInteractive.
// The zero value (or nil) gives LXD's defaults.
type ExecOptions struct {
	Environment map[string]string // variables added to the command's environment
	Cwd         string            // working folder
	User, Group *int              // numeric ids to run as, e.g. Ptr(1000)
	// Timeout kills the command (SIGKILL) when it passes; the call then
	// returns ErrTimeout. 0: the client's Options.Deadline if it has one,
	// else no limit. Not for ExecInteractive.
	Timeout time.Duration
	// Width and Height of the terminal of ExecInteractive (0: 80×24).
	Width, Height uint32
}

func (o *ExecOptions) json() []byte {
	if o == nil {
		return nil
	}
	doc := map[string]any{}
	if o.Environment != nil {
		doc["environment"] = o.Environment
	}
	if o.Cwd != "" {
		doc["cwd"] = o.Cwd
	}
	if o.User != nil {
		doc["user"] = *o.User
	}
	if o.Group != nil {
		doc["group"] = *o.Group
	}
	if o.Timeout > 0 {
		doc["timeout_ms"] = int64(millis(o.Timeout))
	}
	if o.Width > 0 {
		doc["width"] = o.Width
	}
	if o.Height > 0 {
		doc["height"] = o.Height
	}
	b, _ := json.Marshal(doc) // strings and numbers only
	return b
}

// execArgs prepares the command and options of an exec call.
func execArgs(cs *cstrings, cmd []string, opts *ExecOptions) (*C.char, *C.char, error) {
	if len(cmd) == 0 {
		return nil, nil, argError(cs.op, "empty command")
	}
	// JSON would carry a NUL as \u0000, which no command line can hold.
	for i, arg := range cmd {
		if strings.IndexByte(arg, 0) >= 0 {
			return nil, nil, argError(cs.op, fmt.Sprintf("command argument %d contains a NUL byte", i))
		}
	}
	if opts != nil {
		for k, v := range opts.Environment {
			if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
				return nil, nil, argError(cs.op, fmt.Sprintf("environment variable %q contains a NUL byte", k))
			}
		}
		if strings.IndexByte(opts.Cwd, 0) >= 0 {
			return nil, nil, argError(cs.op, "cwd contains a NUL byte")
		}
	}
	cmdJSON, _ := json.Marshal(cmd)
	cCmd, err := cs.str("command", string(cmdJSON))
	if err != nil {
		return nil, nil, err
	}
	cOpts, err := cs.json("options", opts.json())
	if err != nil {
		return nil, nil, err
	}
	return cCmd, cOpts, nil
}

// ExecResult is the outcome of Exec.
type ExecResult struct {
	ExitCode int
	Stdout   []byte
	Stderr   []byte
}

// Exec runs a command (not through a shell) in a running instance, feeds it
// stdin (nil: none; it then reaches end of file) and returns its exit code,
// stdout and stderr, byte-exact. A non-zero exit code is not an error. A
// command that does not exist is ErrNotFound; Timeout passing is
// ErrTimeout; an instance not running is ErrAPI.
func (o *Object) Exec(cmd []string, opts *ExecOptions, stdin []byte) (*ExecResult, error) {
	const op = "Instance.Exec"
	cs := cstrings{op: op}
	defer cs.free()
	cCmd, cOpts, err := execArgs(&cs, cmd, opts)
	if err != nil {
		return nil, err
	}
	var res *C.lxd_exec_result
	err = o.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxd_instance_exec(p, cCmd, cOpts, bytesPtr(stdin), C.size_t(len(stdin)), &res)
	})
	if err != nil {
		return nil, err
	}
	defer C.lxd_exec_result_free(res)
	var outLen, errLen C.size_t
	outPtr := C.lxd_exec_result_stdout(res, &outLen)
	errPtr := C.lxd_exec_result_stderr(res, &errLen)
	return &ExecResult{
		ExitCode: int(C.lxd_exec_result_exit_code(res)),
		Stdout:   C.GoBytes(unsafe.Pointer(outPtr), C.int(outLen)),
		Stderr:   C.GoBytes(unsafe.Pointer(errPtr), C.int(errLen)),
	}, nil
}

// streamState is what the output callback of ExecStream reaches through its
// cgo.Handle.
type streamState struct {
	stdout, stderr io.Writer
	callbackState  // err: the first writer error
}

// ExecStream runs a command as Exec does but writes its output to stdout
// and stderr (either may be nil to discard it) chunk by chunk as it
// arrives, on the calling goroutine. A writer error stops the command (it
// is sent SIGKILL) and is returned wrapped in an ErrCancelled error. A
// panic in a writer does the same, then goes on panicking in the caller
// once liblxd has returned.
func (o *Object) ExecStream(cmd []string, opts *ExecOptions, stdin []byte, stdout, stderr io.Writer) (int, error) {
	const op = "Instance.ExecStream"
	cs := cstrings{op: op}
	defer cs.free()
	cCmd, cOpts, err := execArgs(&cs, cmd, opts)
	if err != nil {
		return -1, err
	}
	st := &streamState{stdout: stdout, stderr: stderr}
	var h C.uintptr_t
	if stdout != nil || stderr != nil {
		hd := cgo.NewHandle(st)
		defer hd.Delete()
		h = C.uintptr_t(hd)
	}
	var code C.int
	err = o.do(op, func(p *C.lxd_obj) C.lxd_status {
		return C.lxdgo_exec_stream(p, cCmd, cOpts, bytesPtr(stdin), C.size_t(len(stdin)), h, &code)
	})
	if err := st.finish(err); err != nil {
		return -1, err
	}
	return int(code), nil
}

// Session is a command running on a terminal, from ExecInteractive, or an
// instance's console, from Console. Write sends input, Read gives the
// terminal's output (stdout and stderr mixed), io.EOF once the command (the
// console) ended. Close kills the command if it still runs (detaches from a
// console).
// A Session is safe for concurrent use.
type Session struct {
	h handle[C.lxd_exec_session]
	// closing is closed by Close, so that blocking reads and waits give up.
	closing   chan struct{}
	closeOnce sync.Once
}

// ExecInteractive starts a command on a terminal (a pty), as `lxc exec`
// does without -T. opts.Width and opts.Height set the terminal's size.
func (o *Object) ExecInteractive(cmd []string, opts *ExecOptions) (*Session, error) {
	const op = "Instance.ExecInteractive"
	cs := cstrings{op: op}
	defer cs.free()
	if opts != nil && opts.Timeout != 0 {
		return nil, argError(op, "ExecOptions.Timeout is not for interactive sessions: use ReadTimeout and Wait")
	}
	cCmd, cOpts, err := execArgs(&cs, cmd, opts)
	if err != nil {
		return nil, err
	}
	var out *C.lxd_exec_session
	if err := o.do(op, func(p *C.lxd_obj) C.lxd_status { return C.lxd_instance_exec_interactive(p, cCmd, cOpts, &out) }); err != nil {
		return nil, err
	}
	return newSession(out), nil
}

func newSession(p *C.lxd_exec_session) *Session {
	s := &Session{closing: make(chan struct{})}
	s.h.set(p)
	runtime.SetFinalizer(s, (*Session).Close)
	return s
}

func (s *Session) do(op string, f func(p *C.lxd_exec_session) C.lxd_status) error {
	if s == nil {
		return argError(op, "nil *Session")
	}
	return s.h.use(op, "session", func(p *C.lxd_exec_session) error {
		return call(op, func() C.lxd_status { return f(p) })
	})
}

// Write sends bytes to the terminal (the command's input).
func (s *Session) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	err := s.do("Session.Write", func(p *C.lxd_exec_session) C.lxd_status {
		return C.lxd_exec_session_write(p, bytesPtr(b), C.size_t(len(b)))
	})
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// slice is how long one blocking C call may last before a Session or
// EventStream checks whether it was closed (so Close never waits longer).
const slice = 250 * time.Millisecond

// waitLoop runs f with timeouts of at most slice until it gives something
// other than ErrTimeout, the deadline passes (timeout < 0: none), or the
// handle is closed.
func waitLoop(timeout time.Duration, closing <-chan struct{}, op, what string, f func(t time.Duration) error) error {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		t := slice
		if timeout >= 0 {
			left := time.Until(deadline)
			if left < 0 {
				left = 0
			}
			if left < t {
				t = left
			}
		}
		err := f(t)
		if err == nil || !isStatus(err, StatusTimeout) {
			return err
		}
		if timeout >= 0 && !time.Now().Before(deadline) {
			return err
		}
		select {
		case <-closing:
			return closedError(op, what)
		default:
		}
	}
}

func isStatus(err error, s Status) bool {
	e, ok := err.(*Error)
	return ok && e.Code == s
}

// ReadTimeout reads terminal output, waiting at most timeout (negative: no
// limit; 0: only what has arrived) for some. It returns ErrTimeout when
// nothing came in time, and io.EOF once the command ended and all its
// output was read.
func (s *Session) ReadTimeout(b []byte, timeout time.Duration) (int, error) {
	const op = "Session.Read"
	if len(b) == 0 {
		return 0, nil
	}
	if s == nil {
		return 0, argError(op, "nil *Session")
	}
	var got C.size_t
	err := waitLoop(timeout, s.closing, op, "session", func(t time.Duration) error {
		return s.do(op, func(p *C.lxd_exec_session) C.lxd_status {
			return C.lxd_exec_session_read(p, bytesPtr(b), C.size_t(len(b)), millis(t), &got)
		})
	})
	if err != nil {
		return 0, err
	}
	if got == 0 {
		return 0, io.EOF
	}
	return int(got), nil
}

// Read reads terminal output, waiting as long as needed: io.Reader.
func (s *Session) Read(b []byte) (int, error) {
	return s.ReadTimeout(b, -1)
}

// Resize tells the command its terminal is now width columns by height rows.
func (s *Session) Resize(width, height uint32) error {
	return s.do("Session.Resize", func(p *C.lxd_exec_session) C.lxd_status {
		return C.lxd_exec_session_resize(p, C.uint32_t(width), C.uint32_t(height))
	})
}

// Signal sends a signal (e.g. 15 for SIGTERM) to the command. A console
// has no command: ErrInvalidArgument.
func (s *Session) Signal(signal int) error {
	return s.do("Session.Signal", func(p *C.lxd_exec_session) C.lxd_status {
		return C.lxd_exec_session_signal(p, C.int(signal))
	})
}

// Wait waits at most timeout (negative: no limit) for the command to end
// and returns its exit code (a console: 0 once LXD ends it, when the
// instance stops); ErrTimeout if it still runs (the session stays
// usable). Output arriving meanwhile is kept for Read.
func (s *Session) Wait(timeout time.Duration) (int, error) {
	const op = "Session.Wait"
	if s == nil {
		return -1, argError(op, "nil *Session")
	}
	var code C.int
	err := waitLoop(timeout, s.closing, op, "session", func(t time.Duration) error {
		return s.do(op, func(p *C.lxd_exec_session) C.lxd_status {
			return C.lxd_exec_session_wait(p, millis(t), &code)
		})
	})
	if err != nil {
		return -1, err
	}
	return int(code), nil
}

// Close ends the session; LXD kills the command if it still runs.
// Idempotent; blocked Read and Wait calls return an ErrClosed error soon.
func (s *Session) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.closing) })
	s.h.release(func(p *C.lxd_exec_session) { C.lxd_exec_session_free(p) })
	runtime.SetFinalizer(s, nil)
	return nil
}

var _ io.ReadWriteCloser = (*Session)(nil)

// String describes the result, for debugging.
func (r *ExecResult) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.ExitCode, r.Stdout, r.Stderr)
}
