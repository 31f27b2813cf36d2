package lxd

// #include <lxd.h>
import "C"

import (
	"errors"
	"fmt"
)

// Status is a liblxd status code (lxd_status). Values are fixed by the C API.
type Status int32

// The status codes of liblxd (LXD_OK .. LXD_ERR_OPERATION_LOST).
const (
	StatusOK                 Status = C.LXD_OK
	StatusInvalidArgument    Status = C.LXD_ERR_INVALID_ARGUMENT
	StatusConnection         Status = C.LXD_ERR_CONNECTION
	StatusTLS                Status = C.LXD_ERR_TLS
	StatusTimeout            Status = C.LXD_ERR_TIMEOUT
	StatusNotFound           Status = C.LXD_ERR_NOT_FOUND
	StatusConflict           Status = C.LXD_ERR_CONFLICT
	StatusPreconditionFailed Status = C.LXD_ERR_PRECONDITION_FAILED
	StatusForbidden          Status = C.LXD_ERR_FORBIDDEN
	StatusAPI                Status = C.LXD_ERR_API
	StatusOperationFailed    Status = C.LXD_ERR_OPERATION_FAILED
	StatusUnknownAttribute   Status = C.LXD_ERR_UNKNOWN_ATTRIBUTE
	StatusReadOnly           Status = C.LXD_ERR_READ_ONLY
	StatusExtensionMissing   Status = C.LXD_ERR_EXTENSION_MISSING
	StatusProtocol           Status = C.LXD_ERR_PROTOCOL
	StatusCancelled          Status = C.LXD_ERR_CANCELLED
	StatusInternal           Status = C.LXD_ERR_INTERNAL
	StatusUnsafePath         Status = C.LXD_ERR_UNSAFE_PATH
	// StatusResponseTooLarge: a response to be read into memory was larger
	// than the client's Options.MaxResponseBytes (an error document: larger
	// than 1 MiB); it was not read.
	StatusResponseTooLarge Status = C.LXD_ERR_RESPONSE_TOO_LARGE
	// StatusOperationLost: the daemon restarted while the operation ran;
	// LXD lost it, and whether it took effect is unknown.
	StatusOperationLost Status = C.LXD_ERR_OPERATION_LOST
)

// String is the C name of the status ("LXD_ERR_NOT_FOUND"), from
// lxd_status_name; "LXD_ERR_UNKNOWN_STATUS" for a value that is none.
func (s Status) String() string {
	return C.GoString(C.lxd_status_name(C.lxd_status(s)))
}

// Error is the error of a failed call: the liblxd status, the HTTP status of
// the server's answer behind it (0 when none), the message and the name of
// the call. Where the server answered with an error, Message is the request
// that failed followed by the server's own text, e.g.
// "GET /1.0/instances/nope: Instance not found"; otherwise it is liblxd's
// (or this package's) description of the problem.
//
// Compare with the sentinels: errors.Is(err, lxd.ErrNotFound); get the
// details with errors.As(err, &lxdErr).
type Error struct {
	Code       Status
	HTTPStatus int
	Message    string
	Op         string

	cause    error // a Go error behind it (a writer's, a callback's, ErrClosed)
	sentinel bool
}

// Error formats the error as "lxd: Op: Message (STATUS, HTTP n)".
func (e *Error) Error() string {
	if e.sentinel {
		return "lxd: " + e.Code.String()
	}
	s := "lxd: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += e.Message
	if e.HTTPStatus != 0 {
		return s + fmt.Sprintf(" (%s, HTTP %d)", e.Code, e.HTTPStatus)
	}
	return s + " (" + e.Code.String() + ")"
}

// Is reports whether target is the sentinel of e's status code (or e itself).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t == e || (t.sentinel && t.Code == e.Code)
}

// Unwrap gives the Go error behind this one, if any (e.g. the error of the
// io.Writer that stopped an ExecStream, or ErrClosed).
func (e *Error) Unwrap() error { return e.cause }

func sentinel(s Status) *Error { return &Error{Code: s, sentinel: true} }

// Sentinel errors, one per status code, for errors.Is.
var (
	ErrInvalidArgument    = sentinel(StatusInvalidArgument)
	ErrConnection         = sentinel(StatusConnection)
	ErrTLS                = sentinel(StatusTLS)
	ErrTimeout            = sentinel(StatusTimeout)
	ErrNotFound           = sentinel(StatusNotFound)
	ErrConflict           = sentinel(StatusConflict)
	ErrPreconditionFailed = sentinel(StatusPreconditionFailed)
	ErrForbidden          = sentinel(StatusForbidden)
	ErrAPI                = sentinel(StatusAPI)
	ErrOperationFailed    = sentinel(StatusOperationFailed)
	ErrUnknownAttribute   = sentinel(StatusUnknownAttribute)
	ErrReadOnly           = sentinel(StatusReadOnly)
	ErrExtensionMissing   = sentinel(StatusExtensionMissing)
	ErrProtocol           = sentinel(StatusProtocol)
	ErrCancelled          = sentinel(StatusCancelled)
	ErrInternal           = sentinel(StatusInternal)
	ErrUnsafePath         = sentinel(StatusUnsafePath)
	ErrResponseTooLarge   = sentinel(StatusResponseTooLarge)
	ErrOperationLost      = sentinel(StatusOperationLost)
)

// ErrClosed is behind every error from a Client, Object, EventStream,
// Listener or Session used after Close (those errors are also
// ErrInvalidArgument).
var ErrClosed = errors.New("lxd: use of a closed handle")

func argError(op, msg string) error {
	return &Error{Code: StatusInvalidArgument, Message: msg, Op: op}
}

func closedError(op, what string) error {
	return &Error{Code: StatusInvalidArgument, Message: what + " is closed", Op: op, cause: ErrClosed}
}
