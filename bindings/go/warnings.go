package lxd

// #include "shims.h"
import "C"

import (
	"fmt"
	"sync"
)

// WarningFunc receives a warning about an attribute the server sent that
// liblxd's schema for the object's kind does not list: the pylxd class name
// ("Instance", "Profile", …), the attribute, and the whole message
// (`Attempted to set unknown attribute "x" on instance of "Profile"`).
type WarningFunc func(class, attribute, message string)

// WarningMode says how often warnings are issued.
type WarningMode int32

// The warning modes.
const (
	WarningsOnce   WarningMode = C.LXD_WARNINGS_ONCE   // once per (class, attribute) per process: the default
	WarningsAlways WarningMode = C.LXD_WARNINGS_ALWAYS // for every object received
	WarningsNone   WarningMode = C.LXD_WARNINGS_NONE   // never
)

var (
	warnSetMu sync.Mutex   // serialises SetWarningCallback
	warnMu    sync.RWMutex // guards warnFn
	warnFn    WarningFunc
)

func currentWarningFunc() WarningFunc {
	warnMu.RLock()
	defer warnMu.RUnlock()
	return warnFn
}

// SetWarningCallback sends warnings to fn instead of stderr; nil restores
// stderr. Process-wide. fn runs on the thread of the call that received the
// object (which may be a thread that is not Go's, e.g. a C thread or a
// Listener's), inside that call: it must be safe for concurrent use and must
// not use the object being received. A panic in fn is recovered and reported
// on stderr.
func SetWarningCallback(fn WarningFunc) {
	warnSetMu.Lock()
	defer warnSetMu.Unlock()
	warnMu.Lock()
	warnFn = fn
	warnMu.Unlock()
	// Outside warnMu: liblxd may be issuing a warning right now, whose
	// callback takes warnMu.
	on := C.int(0)
	if fn != nil {
		on = 1
	}
	C.lxdgo_set_warning_callback(on)
}

// SetWarningMode chooses the warning mode, process-wide; it overrides the
// environment variable LIBLXD_WARNINGS (none, always; else once).
func SetWarningMode(mode WarningMode) error {
	return call("SetWarningMode", func() C.lxd_status { return C.lxd_set_warning_mode(C.lxd_warning_mode(mode)) })
}

func toString(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}
