package lxd

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
)

// EventStream is an open stream of the server's events (/1.0/events), read
// with Next on the caller's goroutine. Close it when done.
type EventStream struct {
	h         handle[C.lxd_events]
	closing   chan struct{}
	closeOnce sync.Once
}

// Events opens the server's event stream, for the given types ("lifecycle",
// "operation", "logging"; none: every type). Events that happen after it
// returns are queued for Next; read them steadily.
func (c *Client) Events(types ...string) (*EventStream, error) {
	const op = "Events"
	cs := cstrings{op: op}
	defer cs.free()
	cTypes, err := cs.optStr("types", strings.Join(types, ","))
	if err != nil {
		return nil, err
	}
	var out *C.lxd_events
	if err := c.do(op, func(p *C.lxd_client) C.lxd_status { return C.lxd_events_open(p, cTypes, &out) }); err != nil {
		return nil, err
	}
	s := &EventStream{closing: make(chan struct{})}
	s.h.set(out)
	runtime.SetFinalizer(s, (*EventStream).Close)
	return s, nil
}

// Next returns the next event as LXD's JSON (type, timestamp, metadata, …),
// waiting at most timeout (negative: no limit; 0: only one already there).
// No event in time is ErrTimeout (the stream stays usable); a stream the
// server closed is ErrConnection.
func (s *EventStream) Next(timeout time.Duration) ([]byte, error) {
	return s.next(context.Background(), timeout)
}

// NextContext is Next, waiting until an event comes or ctx is done: then
// it returns ctx.Err() (context.Canceled, or context.DeadlineExceeded once
// ctx's deadline passed; checked every quarter of a second).
func (s *EventStream) NextContext(ctx context.Context) ([]byte, error) {
	return s.next(ctx, -1)
}

func (s *EventStream) next(ctx context.Context, timeout time.Duration) ([]byte, error) {
	const op = "EventStream.Next"
	if s == nil {
		return nil, argError(op, "nil *EventStream")
	}
	var out *C.char
	var ctxErr error
	err := waitLoop(timeout, s.closing, op, "event stream", func(t time.Duration) error {
		// Checked between slices: a cancelled or expired context ends the
		// wait within one slice, with its own error.
		if err := ctx.Err(); err != nil {
			ctxErr = err
			return nil
		}
		return s.h.use(op, "event stream", func(p *C.lxd_events) error {
			return call(op, func() C.lxd_status { return C.lxd_events_next(p, millis(t), &out) })
		})
	})
	if err != nil {
		return nil, err
	}
	if ctxErr != nil {
		return nil, ctxErr
	}
	return takeString(out), nil
}

// Close closes the stream. Idempotent; a blocked Next returns soon with an
// ErrClosed error.
func (s *EventStream) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.closing) })
	s.h.release(func(p *C.lxd_events) { C.lxd_events_free(p) })
	runtime.SetFinalizer(s, nil)
	return nil
}

// EventFunc receives each event of a Listener (event set, err nil), and a
// last time the error that ended the stream (event nil). Return false to
// stop listening.
type EventFunc func(event []byte, err error) bool

// Listener delivers events to an EventFunc on liblxd's own background
// thread, one at a time, in order. It runs until Close (which must be
// called, also after the function returned false: it frees the listener).
type Listener struct {
	h      handle[C.lxd_events_listener]
	fn     EventFunc
	cgoH   cgo.Handle
	mu     sync.Mutex
	done   bool
	panicV any
}

// Listen starts a Listener for the given event types (none: all). The
// stream is open when it returns. fn runs on a thread that is not the
// caller's, so it must be safe for concurrent use with the rest of the
// program; it may call this package. A panic in fn stops the listener (see
// Listener.Err).
func (c *Client) Listen(fn EventFunc, types ...string) (*Listener, error) {
	const op = "Listen"
	if fn == nil {
		return nil, argError(op, "nil EventFunc")
	}
	cs := cstrings{op: op}
	defer cs.free()
	cTypes, err := cs.optStr("types", strings.Join(types, ","))
	if err != nil {
		return nil, err
	}
	l := &Listener{fn: fn}
	l.cgoH = cgo.NewHandle(l)
	var out *C.lxd_events_listener
	err = c.do(op, func(p *C.lxd_client) C.lxd_status {
		return C.lxdgo_events_listen(p, cTypes, C.uintptr_t(l.cgoH), &out)
	})
	if err != nil {
		l.cgoH.Delete()
		return nil, err
	}
	l.h.set(out)
	return l, nil
}

// deliver runs the user's function for one callback; 0 goes on, 1 stops.
func (l *Listener) deliver(event []byte, err error) (ret int) {
	l.mu.Lock()
	stopped := l.done
	l.mu.Unlock()
	if stopped {
		return 1
	}
	defer func() {
		if r := recover(); r != nil {
			l.mu.Lock()
			l.done, l.panicV = true, r
			l.mu.Unlock()
			ret = 1
		}
	}()
	if !l.fn(event, err) || err != nil {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
		return 1
	}
	return 0
}

// Err reports a panic of the listener's function (which stopped it), as an
// ErrInternal error; nil if none.
func (l *Listener) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.panicV == nil {
		return nil
	}
	return &Error{Code: StatusInternal, Op: "Listener", Message: "the event function panicked: " + toString(l.panicV)}
}

// Close stops the listener: no call of its function starts after Close
// returns (Close may be called from inside the function). Idempotent.
func (l *Listener) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
	if l.h.release(func(p *C.lxd_events_listener) { C.lxd_events_listener_free(p) }) {
		l.cgoH.Delete()
	}
	return nil
}
