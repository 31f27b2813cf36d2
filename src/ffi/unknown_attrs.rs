//! Exports for unknown-attribute warnings.

use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;

use super::*;
use crate::unknown_attrs::{self, Mode};

/// Receives a warning about an attribute the server sent that this
/// library's schema for the object's kind does not list.
///
/// @param object_class pylxd's class name (`"Instance"`, `"Container"`, `"Image"`, …).
/// @param attribute the attribute's name.
/// @param message `Attempted to set unknown attribute "x" on instance of "Instance"`.
/// @param user_data as given to `lxd_set_warning_callback`.
/// The strings are valid only during the call. The callback runs on the
/// thread that made the API call that received the object, inside that
/// call; it must not call back into liblxd with the same object.
pub type lxd_warning_callback = Option<
    unsafe extern "C" fn(
        object_class: *const c_char,
        attribute: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

/// How often unknown-attribute warnings are issued.
pub type lxd_warning_mode = i32;
/// Once per (class, attribute) per process: the default.
pub const LXD_WARNINGS_ONCE: lxd_warning_mode = 0;
/// For every object received from the server.
pub const LXD_WARNINGS_ALWAYS: lxd_warning_mode = 1;
/// Never.
pub const LXD_WARNINGS_NONE: lxd_warning_mode = 2;

lxd_export! {
    /// Send warnings to `cb` (with `user_data`) instead of stderr; NULL restores
    /// stderr. Process-wide; safe to call from any thread.
    fn lxd_set_warning_callback(cb: lxd_warning_callback, user_data: *mut c_void) {
        let user = user_data as usize;
        let sink: Option<unknown_attrs::Sink> = cb.map(|cb| {
            Arc::new(move |class: &str, attr: &str, msg: &str| {
                let (c, a, m) = (cstring(class), cstring(attr), cstring(msg));
                unsafe { cb(c.as_ptr(), a.as_ptr(), m.as_ptr(), user as *mut c_void) }
            }) as unknown_attrs::Sink
        });
        unknown_attrs::global().set_sink(sink);
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

lxd_export! {
    /// Choose the warning mode; overrides the environment variable
    /// `LIBLXD_WARNINGS` (`none`, `always`; anything else means once), which is
    /// read at the first warning otherwise. Process-wide.
    /// @return `LXD_OK`, or `LXD_ERR_INVALID_ARGUMENT` for an unknown mode.
    fn lxd_set_warning_mode(mode: lxd_warning_mode) -> lxd_status {
        let mode = match mode {
            LXD_WARNINGS_ONCE => Mode::Once,
            LXD_WARNINGS_ALWAYS => Mode::Always,
            LXD_WARNINGS_NONE => Mode::None,
            other => {
                return Err(Error::invalid(format!(
                    "{other} is not an lxd_warning_mode"
                )));
            }
        };
        unknown_attrs::global().set_mode(mode);
        Ok(())
    }
}
