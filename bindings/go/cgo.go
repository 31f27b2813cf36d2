package lxd

/*
#cgo pkg-config: liblxd
#include <stdlib.h>
#include <string.h>
#include "shims.h"
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// call runs one liblxd call and, when it fails, reads the error details
// that liblxd keeps in thread-local storage. Both happen on one locked OS
// thread, which is the only correct way to pair them: every fallible C call
// of this package goes through here.
func call(op string, f func() C.lxd_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.LXD_OK {
		return nil
	}
	return &Error{
		Code:       Status(st),
		HTTPStatus: int(C.lxd_last_error_http_status()),
		Message:    C.GoString(C.lxd_last_error_message()),
		Op:         op,
	}
}

// liveHandles counts C objects owned by Go values and not yet freed (tests
// use it to check that Close and finalizers free everything).
var liveHandles int64

// handle guards one C pointer: calls hold the read lock for their whole
// duration, Close takes the write lock, so a pointer is never freed while a
// call uses it, and a closed handle gives an error instead of a crash.
type handle[T any] struct {
	mu sync.RWMutex
	p  *T
}

func (h *handle[T]) set(p *T) {
	h.p = p
	atomic.AddInt64(&liveHandles, 1)
}

// use runs f with the live pointer, or returns a closed-handle error.
func (h *handle[T]) use(op, what string, f func(p *T) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.p == nil {
		return closedError(op, what)
	}
	err := f(h.p)
	runtime.KeepAlive(h)
	return err
}

// release frees the pointer once (later calls do nothing); reports whether
// it did.
func (h *handle[T]) release(free func(p *T)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p == nil {
		return false
	}
	free(h.p)
	h.p = nil
	atomic.AddInt64(&liveHandles, -1)
	return true
}

// closed reports whether the handle has been released.
func (h *handle[T]) closed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.p == nil
}

// cstrings converts Go strings to C strings for one call, refusing those
// with a NUL byte (C would silently cut them there).
type cstrings struct {
	op   string
	ptrs []unsafe.Pointer
}

func (cs *cstrings) str(name, s string) (*C.char, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, argError(cs.op, fmt.Sprintf("%s contains a NUL byte at offset %d", name, i))
	}
	p := C.CString(s)
	cs.ptrs = append(cs.ptrs, unsafe.Pointer(p))
	return p, nil
}

// optStr is str, but "" gives NULL.
func (cs *cstrings) optStr(name, s string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cs.str(name, s)
}

// bytes gives a JSON document as a C string ("" or nil gives NULL).
func (cs *cstrings) json(name string, b []byte) (*C.char, error) {
	if b == nil {
		return nil, nil
	}
	return cs.str(name, string(b))
}

func (cs *cstrings) free() {
	for _, p := range cs.ptrs {
		C.free(p)
	}
	cs.ptrs = nil
}

// takeString copies a string that liblxd returned and frees it.
func takeString(p *C.char) []byte {
	if p == nil {
		return nil
	}
	b := C.GoBytes(unsafe.Pointer(p), C.int(C.strlen(p)))
	C.lxd_string_free(p)
	return b
}

// bytesPtr is the address of b's first byte for C, or nil when b is empty.
// C only reads or writes it during the call and keeps no copy of it.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// millis converts a timeout to liblxd's int milliseconds: negative means no
// limit (-1); the value is clamped to what an int holds.
func millis(d time.Duration) C.int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		ms = math.MaxInt32
	}
	return C.int(ms)
}

// seconds converts a timeout to liblxd's whole seconds, rounded up:
// negative means LXD's default or no limit (-1).
func seconds(d time.Duration) C.int32_t {
	if d < 0 {
		return -1
	}
	s := (d + time.Second - 1) / time.Second
	if s > math.MaxInt32 {
		s = math.MaxInt32
	}
	return C.int32_t(s)
}

// Version is the version of the liblxd library in use, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.lxd_version())
}

// Ptr returns a pointer to v, for the optional fields of the option structs
// (e.g. ExecOptions{User: lxd.Ptr(1000)}).
func Ptr[T any](v T) *T {
	return &v
}
