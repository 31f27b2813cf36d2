package lxd_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func TestExecOutputAndExitCode(t *testing.T) {
	c := box(t)
	r, err := c.Exec([]string{"sh", "-c", "echo out; echo err >&2; exit 3"}, nil, nil)
	must(t, err)
	if r.ExitCode != 3 || string(r.Stdout) != "out\n" || string(r.Stderr) != "err\n" {
		t.Errorf("got %v", r)
	}
	// stdin, byte-exact both ways (every byte value, NULs included).
	in := make([]byte, 70000)
	for i := range in {
		in[i] = byte(i * 7)
	}
	r, err = c.Exec([]string{"cat"}, nil, in)
	must(t, err)
	if r.ExitCode != 0 || !bytes.Equal(r.Stdout, in) {
		t.Errorf("cat: exit %d, %d bytes back of %d", r.ExitCode, len(r.Stdout), len(in))
	}
	// Options: environment, cwd, user, group.
	r, err = c.Exec([]string{"sh", "-c", "echo $GREETING; pwd; id -u; id -g"},
		&lxd.ExecOptions{Environment: map[string]string{"GREETING": "hi there"}, Cwd: "/tmp",
			User: lxd.Ptr(1234), Group: lxd.Ptr(99)}, nil)
	must(t, err)
	if string(r.Stdout) != "hi there\n/tmp\n1234\n99\n" {
		t.Errorf("options: %v", r)
	}
	// The command's effect, seen by lxc.
	_, err = c.Exec([]string{"sh", "-c", "echo made-by-go > /root/exec-mark"}, nil, nil)
	must(t, err)
	if got := lxc(t, "exec", boxName, "--", "cat", "/root/exec-mark"); got != "made-by-go" {
		t.Errorf("lxc exec cat = %q", got)
	}
	// A missing command; a timeout (the command is killed).
	_, err = c.Exec([]string{"/no/such/command"}, nil, nil)
	wantErr(t, err, lxd.ErrNotFound)
	_, err = c.Exec([]string{"sleep", "1000"}, &lxd.ExecOptions{Timeout: 300 * time.Millisecond}, nil)
	wantErr(t, err, lxd.ErrTimeout)
	waitGone(t, "sleep 1000")
	// Not running: LXD refuses.
	stopped, _ := container(t, "stopped", false)
	_, err = stopped.Exec([]string{"true"}, nil, nil)
	e := wantErr(t, err, lxd.ErrAPI)
	if e.HTTPStatus != 400 {
		t.Errorf("exec on a stopped container: %+v", e)
	}
	_, err = c.Exec([]string{"true"}, &lxd.ExecOptions{User: lxd.Ptr(-1)}, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = c.Exec([]string{"echo", "a\x00b"}, nil, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
	_, err = c.Exec([]string{"env"}, &lxd.ExecOptions{Environment: map[string]string{"A": "x\x00y"}}, nil)
	wantErr(t, err, lxd.ErrInvalidArgument)
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full (test)")
}

type panickingWriter struct{}

func (panickingWriter) Write(p []byte) (int, error) { panic("writer panic (test)") }

func TestExecStream(t *testing.T) {
	c := box(t)
	var out, errb bytes.Buffer
	code, err := c.ExecStream([]string{"sh", "-c", "for i in 1 2 3; do echo line$i; echo e$i >&2; done; exit 5"}, nil, nil, &out, &errb)
	must(t, err)
	if code != 5 || out.String() != "line1\nline2\nline3\n" || errb.String() != "e1\ne2\ne3\n" {
		t.Errorf("code %d, out %q, err %q", code, out.String(), errb.String())
	}
	// stdin through, output discarded (nil writers).
	code, err = c.ExecStream([]string{"sh", "-c", "cat > /root/streamed"}, nil, []byte("via stdin"), nil, nil)
	must(t, err)
	if code != 0 || lxc(t, "exec", boxName, "--", "cat", "/root/streamed") != "via stdin" {
		t.Error("stdin of ExecStream did not arrive")
	}
	// A writer error stops the command: ErrCancelled wrapping it.
	fw := &failingWriter{}
	_, err = c.ExecStream([]string{"sh", "-c", "echo first; exec sleep 1001"}, nil, nil, fw, nil)
	wantErr(t, err, lxd.ErrCancelled)
	if !strings.Contains(err.Error(), "disk full (test)") || errors.Unwrap(err) == nil {
		t.Errorf("the writer's error is not in %v", err)
	}
	waitGone(t, "sleep 1001")
	// A panic in a writer never reaches C: the command is stopped, the
	// panic goes on in the caller, and the object still works.
	func() {
		defer func() {
			if r := recover(); r != "writer panic (test)" {
				t.Errorf("recovered %v", r)
			}
		}()
		_, _ = c.ExecStream([]string{"echo", "boom"}, nil, nil, panickingWriter{}, nil)
		t.Error("no panic")
	}()
	r, err := c.Exec([]string{"echo", "still fine"}, nil, nil)
	must(t, err)
	if string(r.Stdout) != "still fine\n" {
		t.Errorf("after the panic: %v", r)
	}
}

func TestExecInteractive(t *testing.T) {
	c := box(t)
	s, err := c.ExecInteractive([]string{"sh"}, &lxd.ExecOptions{Width: 100, Height: 30})
	must(t, err)
	defer s.Close()
	// The sleep: LXD 5.0.2 may drop terminal output written right before
	// the command ends (its pty mirror stops with the process; seen under load).
	_, err = io.WriteString(s, "stty size; echo $((6*7)); sleep 0.5; exit 7\n")
	must(t, err)
	out, err := io.ReadAll(s) // until the command ends (io.EOF)
	must(t, err)
	if !strings.Contains(string(out), "30 100") || !strings.Contains(string(out), "42") {
		t.Errorf("terminal output %q", out)
	}
	code, err := s.Wait(-1)
	must(t, err)
	if code != 7 {
		t.Errorf("exit code %d", code)
	}
	must(t, s.Close())
	must(t, s.Close())
	_, err = s.Write([]byte("x"))
	wantErr(t, err, lxd.ErrClosed)

	// Resize, a read timeout, a signal. The trap waits a moment before it
	// exits: LXD 5.0.2 may drop terminal output written right before the
	// command ends (its pty mirror stops with the process; seen under load).
	s2, err := c.ExecInteractive([]string{"sh", "-c", "trap 'stty size; sleep 0.5; exit 9' TERM; echo ready; while true; do sleep 1; done"}, nil)
	must(t, err)
	defer s2.Close()
	buf := make([]byte, 256)
	var got bytes.Buffer
	for !strings.Contains(got.String(), "ready") {
		n, err := s2.ReadTimeout(buf, 30*time.Second)
		must(t, err)
		got.Write(buf[:n])
	}
	_, err = s2.ReadTimeout(buf, 0)
	wantErr(t, err, lxd.ErrTimeout)
	_, err = s2.Wait(50 * time.Millisecond)
	wantErr(t, err, lxd.ErrTimeout)
	must(t, s2.Resize(120, 40))
	must(t, s2.Signal(15))
	rest, err := io.ReadAll(s2)
	must(t, err)
	if !strings.Contains(string(rest), "40 120") {
		t.Errorf("after resize and SIGTERM: %q", rest)
	}
	code, err = s2.Wait(-1)
	must(t, err)
	if code != 9 {
		t.Errorf("exit code after SIGTERM: %d", code)
	}

	// Close from another goroutine ends a blocked Read; LXD kills the command.
	marker := fmt.Sprintf("sleep %d", 4000+int(counter))
	s3, err := c.ExecInteractive([]string{"sh", "-c", marker}, nil)
	must(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := s3.Read(buf)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	must(t, s3.Close())
	if err := <-done; !errors.Is(err, lxd.ErrClosed) && !errors.Is(err, io.EOF) {
		t.Errorf("blocked Read after Close: %v", err)
	}
	waitGone(t, marker)
	_, err = c.ExecInteractive([]string{"true"}, &lxd.ExecOptions{Timeout: time.Second})
	wantErr(t, err, lxd.ErrInvalidArgument)
}

// waitGone waits (polling lxc, with a generous deadline) until no process
// of the shared container has cmdline in its ps line: a killed command is
// reaped asynchronously.
func waitGone(t *testing.T, cmdline string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out := lxc(t, "exec", boxName, "--", "sh", "-c", "ps | grep '"+cmdline+"' | grep -v grep || true")
		if out == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command %q still runs: %s", cmdline, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
