//! The C ABI: argument checks and conversions, one guard around every
//! export, and the mapping of core errors to status codes. No LXD logic
//! lives here.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

mod client;
mod object;
mod stream;
mod typed;
mod warnings;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

pub use client::*;
pub use object::*;
pub use stream::*;
pub use typed::*;
pub use warnings::*;

/// Result of every fallible call: `LXD_OK` (0) or one of the `LXD_ERR_*`
/// codes. The values are fixed and never renumbered.
pub type lxd_status = i32;

/// Success.
pub const LXD_OK: lxd_status = 0;
/// A NULL pointer, invalid UTF-8, caller JSON that does not parse, or a value out of range.
pub const LXD_ERR_INVALID_ARGUMENT: lxd_status = 1;
/// The daemon could not be reached, or the connection broke.
pub const LXD_ERR_CONNECTION: lxd_status = 2;
/// TLS failure: handshake, untrusted or wrong (pinned) server certificate, unreadable client certificate.
pub const LXD_ERR_TLS: lxd_status = 3;
/// A network read/write or an operation wait timed out.
pub const LXD_ERR_TIMEOUT: lxd_status = 4;
/// HTTP 404: the object does not exist.
pub const LXD_ERR_NOT_FOUND: lxd_status = 5;
/// HTTP 409: the object already exists, or conflicts with another.
pub const LXD_ERR_CONFLICT: lxd_status = 6;
/// HTTP 412 (ETag mismatch), or a save refused because the object changed on the server since it was loaded.
pub const LXD_ERR_PRECONDITION_FAILED: lxd_status = 7;
/// HTTP 403 (or 401): not allowed, e.g. an untrusted client.
pub const LXD_ERR_FORBIDDEN: lxd_status = 8;
/// Any other error response from the server (the message is the server's).
pub const LXD_ERR_API: lxd_status = 9;
/// A background operation ended in failure (the message is the operation's `err`).
pub const LXD_ERR_OPERATION_FAILED: lxd_status = 10;
/// The kind has no attribute of that name.
pub const LXD_ERR_UNKNOWN_ATTRIBUTE: lxd_status = 11;
/// The attribute exists but cannot be set (e.g. `name`, `status`).
pub const LXD_ERR_READ_ONLY: lxd_status = 12;
/// The server lacks an API extension the call needs.
pub const LXD_ERR_EXTENSION_MISSING: lxd_status = 13;
/// The server's response was malformed (not HTTP, not JSON, missing fields).
pub const LXD_ERR_PROTOCOL: lxd_status = 14;
/// A background operation was cancelled, or a caller's callback asked to stop.
pub const LXD_ERR_CANCELLED: lxd_status = 15;
/// A bug in liblxd (a caught Rust panic). Please report it.
pub const LXD_ERR_INTERNAL: lxd_status = 16;
/// A file transfer refused a path: a server-supplied name or symlink that would land outside the destination folder.
pub const LXD_ERR_UNSAFE_PATH: lxd_status = 17;
/// A response to be read into memory was larger than the client's
/// `max_response_bytes` (an error document: larger than 1 MiB); it was not read.
pub const LXD_ERR_RESPONSE_TOO_LARGE: lxd_status = 18;
/// The daemon restarted while the operation ran: LXD no longer knows it and
/// never reported its end, so whether it took effect is unknown (look at
/// the objects it was changing).
pub const LXD_ERR_OPERATION_LOST: lxd_status = 19;

const STATUS_NAMES: [&CStr; 20] = [
    c"LXD_OK",
    c"LXD_ERR_INVALID_ARGUMENT",
    c"LXD_ERR_CONNECTION",
    c"LXD_ERR_TLS",
    c"LXD_ERR_TIMEOUT",
    c"LXD_ERR_NOT_FOUND",
    c"LXD_ERR_CONFLICT",
    c"LXD_ERR_PRECONDITION_FAILED",
    c"LXD_ERR_FORBIDDEN",
    c"LXD_ERR_API",
    c"LXD_ERR_OPERATION_FAILED",
    c"LXD_ERR_UNKNOWN_ATTRIBUTE",
    c"LXD_ERR_READ_ONLY",
    c"LXD_ERR_EXTENSION_MISSING",
    c"LXD_ERR_PROTOCOL",
    c"LXD_ERR_CANCELLED",
    c"LXD_ERR_INTERNAL",
    c"LXD_ERR_UNSAFE_PATH",
    c"LXD_ERR_RESPONSE_TOO_LARGE",
    c"LXD_ERR_OPERATION_LOST",
];

fn status_of(kind: ErrorKind) -> lxd_status {
    match kind {
        ErrorKind::InvalidArgument => LXD_ERR_INVALID_ARGUMENT,
        ErrorKind::Connection => LXD_ERR_CONNECTION,
        ErrorKind::Tls => LXD_ERR_TLS,
        ErrorKind::Timeout => LXD_ERR_TIMEOUT,
        ErrorKind::NotFound => LXD_ERR_NOT_FOUND,
        ErrorKind::Conflict => LXD_ERR_CONFLICT,
        ErrorKind::PreconditionFailed => LXD_ERR_PRECONDITION_FAILED,
        ErrorKind::Forbidden => LXD_ERR_FORBIDDEN,
        ErrorKind::Api => LXD_ERR_API,
        ErrorKind::OperationFailed => LXD_ERR_OPERATION_FAILED,
        ErrorKind::UnknownAttribute => LXD_ERR_UNKNOWN_ATTRIBUTE,
        ErrorKind::ReadOnly => LXD_ERR_READ_ONLY,
        ErrorKind::ExtensionMissing => LXD_ERR_EXTENSION_MISSING,
        ErrorKind::Protocol => LXD_ERR_PROTOCOL,
        ErrorKind::Cancelled => LXD_ERR_CANCELLED,
        ErrorKind::Internal => LXD_ERR_INTERNAL,
        ErrorKind::UnsafePath => LXD_ERR_UNSAFE_PATH,
        ErrorKind::ResponseTooLarge => LXD_ERR_RESPONSE_TOO_LARGE,
        ErrorKind::OperationLost => LXD_ERR_OPERATION_LOST,
    }
}

struct LastError {
    message: CString,
    http_status: i32,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError {
        message: CString::default(),
        http_status: 0,
    });
}

fn record(err: &Error) -> lxd_status {
    let text = err.message.replace('\0', "\\0");
    LAST_ERROR.with(|l| {
        let mut l = l.borrow_mut();
        l.message = CString::new(text).unwrap_or_default();
        l.http_status = i32::from(err.http_status);
    });
    status_of(err.kind)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error in liblxd (please report): {detail}")
}

/// Run an export's body: a panic becomes `LXD_ERR_INTERNAL`, an error its
/// status code with the details kept for `lxd_last_error_*`.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> lxd_status {
    // Every request of this call measures `deadline_ms` from here.
    let _call = crate::deadline::CallScope::enter();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => LXD_OK,
        Ok(Err(e)) => record(&e),
        Err(payload) => record(&Error::new(ErrorKind::Internal, panic_message(&*payload))),
    }
}

/// For exports that return a value rather than a status: a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    let _call = crate::deadline::CallScope::enter();
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required input string: NULL and invalid UTF-8 are `InvalidArgument`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|e| Error::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// An optional input string (NULL is `None`).
pub(crate) unsafe fn arg_opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        unsafe { arg_str(p, what) }.map(Some)
    }
}

/// A required input of JSON text.
pub(crate) unsafe fn arg_json(p: *const c_char, what: &str) -> Result<Value> {
    let text = unsafe { arg_str(p, what) }?;
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("{what} is not valid JSON: {e}")))
}

/// A required handle.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// A required out-parameter; written by the caller of this only on success.
pub(crate) fn arg_out<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    unsafe { p.as_mut() }
        .ok_or_else(|| Error::invalid(format!("{what} (the out-parameter) is NULL")))
}

/// Hand a Rust string to C; freed with `lxd_string_free`.
pub(crate) fn c_string(s: String) -> *mut c_char {
    CString::new(s.replace('\0', "\\u0000"))
        .unwrap_or_default()
        .into_raw()
}

pub(crate) fn c_json(v: &Value) -> *mut c_char {
    c_string(v.to_string())
}

/// The name of a status code (`"LXD_ERR_NOT_FOUND"`), or `"LXD_ERR_UNKNOWN_STATUS"`
/// for a value that is not one. Static storage; never NULL; never fails.
#[unsafe(no_mangle)]
pub extern "C" fn lxd_status_name(status: lxd_status) -> *const c_char {
    usize::try_from(status)
        .ok()
        .and_then(|i| STATUS_NAMES.get(i))
        .copied()
        .unwrap_or(c"LXD_ERR_UNKNOWN_STATUS")
        .as_ptr()
}

/// The message of this thread's last failed call: where the server sent an
/// error, the request that failed and the server's own text, as in
/// `GET /1.0/instances/c9: Instance not found`; else liblxd's description.
/// Never NULL
/// ("" when no call on this thread has failed). Owned by liblxd and valid
/// until the next failing call on this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn lxd_last_error_message() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LAST_ERROR.with(|l| l.borrow().message.as_ptr())
    })
}

/// The HTTP status of the response behind this thread's last failure
/// (e.g. 404), or 0 when it did not come from an HTTP response.
#[unsafe(no_mangle)]
pub extern "C" fn lxd_last_error_http_status() -> i32 {
    guard_value(0, || LAST_ERROR.with(|l| l.borrow().http_status))
}

/// The library's version, e.g. `"0.1.0"` (the same as the `LXD_VERSION_*` macros
/// of the header it was built with). Static storage; never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn lxd_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

/// Free a string returned by liblxd. NULL is a no-op. Never pass a string
/// that liblxd did not allocate, nor the result of `lxd_status_name`,
/// `lxd_last_error_message` or `lxd_version`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lxd_string_free(s: *mut c_char) {
    if !s.is_null() {
        guard_value((), || drop(unsafe { CString::from_raw(s) }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_message() -> String {
        unsafe { CStr::from_ptr(lxd_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn guard_maps_errors_and_panics() {
        assert_eq!(guard(|| Ok(())), LXD_OK);
        let s = guard(|| Err(Error::from_http(404, "Instance not found")));
        assert_eq!(s, LXD_ERR_NOT_FOUND);
        assert_eq!(last_message(), "Instance not found");
        assert_eq!(lxd_last_error_http_status(), 404);
        let s = guard(|| panic!("boom"));
        assert_eq!(s, LXD_ERR_INTERNAL);
        assert!(last_message().contains("boom"));
        assert_eq!(lxd_last_error_http_status(), 0);
    }

    #[test]
    fn status_names_are_complete() {
        for (i, kind) in [
            ErrorKind::InvalidArgument,
            ErrorKind::Connection,
            ErrorKind::Tls,
            ErrorKind::Timeout,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::PreconditionFailed,
            ErrorKind::Forbidden,
            ErrorKind::Api,
            ErrorKind::OperationFailed,
            ErrorKind::UnknownAttribute,
            ErrorKind::ReadOnly,
            ErrorKind::ExtensionMissing,
            ErrorKind::Protocol,
            ErrorKind::Cancelled,
            ErrorKind::Internal,
            ErrorKind::UnsafePath,
            ErrorKind::ResponseTooLarge,
            ErrorKind::OperationLost,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(status_of(kind), i as i32 + 1);
        }
        let name = |s| {
            unsafe { CStr::from_ptr(lxd_status_name(s)) }
                .to_str()
                .unwrap()
        };
        assert_eq!(name(LXD_OK), "LXD_OK");
        assert_eq!(
            name(LXD_ERR_PRECONDITION_FAILED),
            "LXD_ERR_PRECONDITION_FAILED"
        );
        assert_eq!(name(LXD_ERR_INTERNAL), "LXD_ERR_INTERNAL");
        assert_eq!(name(-3), "LXD_ERR_UNKNOWN_STATUS");
        assert_eq!(name(99), "LXD_ERR_UNKNOWN_STATUS");
    }

    #[test]
    fn argument_checks() {
        let e = unsafe { arg_str(std::ptr::null(), "name") }.unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::InvalidArgument, "name is NULL")
        );
        let bad = [0xffu8, 0xfe, 0];
        let e = unsafe { arg_str(bad.as_ptr().cast(), "name") }.unwrap_err();
        assert!(e.message.contains("UTF-8"));
        let e = unsafe { arg_json(c"{nope".as_ptr(), "value") }.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.contains("not valid JSON"));
    }
}
