package lxd

// #include <stdint.h>
// #include <stddef.h>
// #include <lxd.h>
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"unsafe"
)

// The functions liblxd calls back, through the trampolines of shims.c. A
// Go panic must never unwind into C: each one recovers, records the panic
// and tells liblxd to stop.

// callbackState is what a Go callback of one C call leaves for the caller:
// the error that made it stop the call, or the panic it recovered from.
type callbackState struct {
	err        error
	panicked   bool
	panicValue any
}

// recoverPanic, deferred in a callback, records a panic and makes the
// callback return 1 (stop) instead of unwinding into C.
func (s *callbackState) recoverPanic(ret *C.int) {
	if r := recover(); r != nil {
		s.panicked, s.panicValue = true, r
		*ret = 1
	}
}

// finish runs after the C call returned err: a recorded panic resumes
// here, and a callback's error becomes the cause of the call's error.
func (s *callbackState) finish(err error) error {
	if s.panicked {
		panic(s.panicValue)
	}
	if err != nil && s.err != nil {
		if e, ok := err.(*Error); ok {
			e.cause = s.err
			e.Message += ": " + s.err.Error()
		}
	}
	return err
}

//export lxdgoOutput
func lxdgoOutput(stream C.int, data *C.uint8_t, n C.size_t, h C.uintptr_t) (ret C.int) {
	st, ok := cgo.Handle(h).Value().(*streamState)
	if !ok {
		return 1
	}
	defer st.recoverPanic(&ret)
	w := st.stdout
	if stream == 2 {
		w = st.stderr
	}
	if w == nil || n == 0 {
		return 0
	}
	// The chunk is valid only during this call: it is copied.
	chunk := C.GoBytes(unsafe.Pointer(data), C.int(n))
	if _, err := w.Write(chunk); err != nil {
		st.err = err
		return 1
	}
	return 0
}

//export lxdgoProgress
func lxdgoProgress(done, total C.uint64_t, h C.uintptr_t) (ret C.int) {
	st, ok := cgo.Handle(h).Value().(*progressState)
	if !ok {
		return 1
	}
	defer st.recoverPanic(&ret)
	if err := st.fn(uint64(done), uint64(total)); err != nil {
		st.err = err
		return 1
	}
	return 0
}

//export lxdgoEvent
func lxdgoEvent(status C.lxd_status, event *C.char, h C.uintptr_t) (ret C.int) {
	l, ok := cgo.Handle(h).Value().(*Listener)
	if !ok {
		return 1
	}
	var ev []byte
	var err error
	if status == C.LXD_OK {
		ev = []byte(C.GoString(event))
	} else {
		msg := ""
		if event != nil {
			msg = C.GoString(event)
		}
		err = &Error{Code: Status(status), Message: msg, Op: "Listener"}
	}
	return C.int(l.deliver(ev, err))
}

//export lxdgoWarning
func lxdgoWarning(class, attribute, message *C.char) {
	fn := currentWarningFunc()
	cls, attr, msg := C.GoString(class), C.GoString(attribute), C.GoString(message)
	if fn == nil {
		fmt.Fprintln(os.Stderr, "liblxd warning:", msg)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "lxd: the warning callback panicked (recovered): %v\n", r)
		}
	}()
	fn(cls, attr, msg)
}
