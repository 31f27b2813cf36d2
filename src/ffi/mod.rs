//! The C ABI: argument checks and conversions, one guard around every
//! export, and the mapping of core errors to status codes. No LXD logic
//! lives here.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

/// Declares exported C functions. Each `fn` in the block becomes
/// `#[unsafe(no_mangle)] pub unsafe extern "C" fn` whose body runs inside
/// the panic guard, with the fallback its return type calls for:
///
/// - `fn f(…) -> lxd_status { … }`: the body returns `Result<()>`; an
///   error becomes its status code (details kept for
///   `lxd_last_error_message`), a panic `LXD_ERR_INTERNAL`.
/// - `fn f(…) -> T = fallback; { … }`: the body returns `T`; a panic
///   returns `fallback`.
/// - `fn f(…) { … }`: returns nothing; a panic is swallowed.
///
/// No export is written any other way (a test checks), so none can escape
/// the guard. build.rs reads these blocks to give cbindgen the
/// declarations, which it cannot see through a macro.
macro_rules! lxd_export {
    () => {};
    (
        $(#[$m:meta])*
        fn $name:ident($($p:ident: $t:ty),* $(,)?) -> lxd_status $body:block
        $($rest:tt)*
    ) => {
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($p: $t),*) -> lxd_status {
            $crate::ffi::guard(|| -> $crate::error::Result<()> { $body })
        }
        lxd_export!($($rest)*);
    };
    (
        $(#[$m:meta])*
        fn $name:ident($($p:ident: $t:ty),* $(,)?) -> $ret:ty = $fallback:expr; $body:block
        $($rest:tt)*
    ) => {
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($p: $t),*) -> $ret {
            $crate::ffi::guard_value($fallback, || -> $ret { $body })
        }
        lxd_export!($($rest)*);
    };
    (
        $(#[$m:meta])*
        fn $name:ident($($p:ident: $t:ty),* $(,)?) $body:block
        $($rest:tt)*
    ) => {
        $(#[$m])*
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name($($p: $t),*) {
            $crate::ffi::guard_value((), || $body)
        }
        lxd_export!($($rest)*);
    };
}

mod actions;
mod children;
mod client;
mod events;
mod exec;
mod files;
mod images;
mod list;
mod object;
mod status;
#[cfg(test)]
mod status_table;
mod trust;
mod typed;
mod unknown_attrs;

use std::cell::RefCell;
use std::ffi::{CStr, CString, OsStr, c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

pub use actions::*;
pub use children::*;
pub use client::*;
pub use events::*;
pub use exec::*;
pub use files::*;
pub use list::*;
pub use object::*;
pub use status::*;
pub use typed::*;
pub use unknown_attrs::*;

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
pub(crate) unsafe fn arg_out<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
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

pub(crate) unsafe fn instance<'a>(p: *const lxd_obj) -> Result<&'a crate::model::Object> {
    unsafe { obj_arg(p, "instance") }
}

/// Bytes from C: NULL is allowed only with length 0.
pub(crate) unsafe fn arg_bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::invalid(format!(
            "{what} is NULL but its length is {len}"
        )));
    }
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Optional JSON input (arguments, options): NULL is none.
pub(crate) unsafe fn arg_opt_json(p: *const c_char, what: &str) -> Result<Option<Value>> {
    match unsafe { arg_opt_str(p, what) }? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| Error::invalid(format!("{what} is not valid JSON: {e}"))),
    }
}

/// A local path: any bytes but NUL (Linux paths need not be UTF-8).
pub(crate) unsafe fn arg_path<'a>(p: *const c_char, what: &str) -> Result<&'a Path> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// A progress callback from C as a closure (true: go on).
pub(crate) unsafe fn progress_fn(
    cb: lxd_progress_cb,
    user_data: *mut c_void,
) -> Option<impl FnMut(u64, u64) -> bool> {
    cb.map(|f| move |done, total| unsafe { f(done, total, user_data) == 0 })
}

/// Bytes handed to C: malloc'ed, with a NUL after them (not counted) so
/// text can be used as a C string; freed with `lxd_bytes_free`.
pub(crate) fn bytes_to_c(bytes: Vec<u8>) -> Result<(*mut u8, usize)> {
    let buf = unsafe { libc::malloc(bytes.len() + 1) } as *mut u8;
    if buf.is_null() {
        return Err(Error::new(ErrorKind::Internal, "out of memory"));
    }
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        *buf.add(bytes.len()) = 0;
    }
    Ok((buf, bytes.len()))
}

/// Milliseconds from C: negative means no limit.
pub(crate) fn timeout_of(ms: c_int) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// A NUL after the bytes (not counted), so text can be used as a C string.
pub(crate) fn with_nul(mut v: Vec<u8>) -> (Vec<u8>, usize) {
    let len = v.len();
    v.push(0);
    (v, len)
}

lxd_export! {
    /// The message of this thread's last failed call: where the server sent an
    /// error, the request that failed and the server's own text, as in
    /// `GET /1.0/instances/c9: Instance not found`; else liblxd's description.
    /// Never NULL
    /// ("" when no call on this thread has failed). Owned by liblxd and valid
    /// until the next failing call on this thread; do not free it.
    fn lxd_last_error_message() -> *const c_char = c"".as_ptr(); {
        LAST_ERROR.with(|l| l.borrow().message.as_ptr())
    }
}

lxd_export! {
    /// The HTTP status of the response behind this thread's last failure
    /// (e.g. 404), or 0 when it did not come from an HTTP response.
    fn lxd_last_error_http_status() -> i32 = 0; {
        LAST_ERROR.with(|l| l.borrow().http_status)
    }
}

lxd_export! {
    /// The library's version, e.g. `"0.1.0"` (the same as the `LXD_VERSION_*` macros
    /// of the header it was built with). Static storage; never NULL.
    fn lxd_version() -> *const c_char = c"unknown".as_ptr(); {
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
    fn lxd_string_free(s: *mut c_char) {
        if !s.is_null() {
            drop(unsafe { CString::from_raw(s) });
        }
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
        assert_eq!(unsafe { lxd_last_error_http_status() }, 404);
        let s = guard(|| panic!("boom"));
        assert_eq!(s, LXD_ERR_INTERNAL);
        assert!(last_message().contains("boom"));
        assert_eq!(unsafe { lxd_last_error_http_status() }, 0);
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
