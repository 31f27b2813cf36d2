//! Exports for the event stream: the pull API and listeners.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use super::*;
use crate::events::Events;

/// An open event stream (opaque), from `lxd_events_open`. Calls on one
/// stream are serialised. Free with `lxd_events_free`.
pub struct lxd_events {
    events: Mutex<Events>,
}

lxd_export! {
    /// Listen to the server's events (`/1.0/events`), as pylxd's
    /// `client.events()`. Events that happen after this returns are queued for
    /// `lxd_events_next` (by the kernel and the server; read them steadily).
    /// @param types NULL for every type, or a comma list such as
    ///   "lifecycle,operation" (the server filters; also "logging").
    /// @param out receives the stream, to free with `lxd_events_free`.
    fn lxd_events_open(
        client: *mut lxd_client,
        types: *const c_char,
        out: *mut *mut lxd_events,
    ) -> lxd_status {
        let client = &unsafe { arg_ref(client, "client") }?.client;
        let types = unsafe { arg_opt_str(types, "types") }?;
        let out = unsafe { arg_out(out, "out") }?;
        let events = client.events(types)?;
        *out = Box::into_raw(Box::new(lxd_events {
            events: Mutex::new(events),
        }));
        Ok(())
    }

    /// `lxd_events_open` with options.
    /// @param options_json NULL, or an object with `"types"` (as
    ///   `lxd_events_open`'s: `"lifecycle,operation,logging"`, or a list of
    ///   names) and `"all_projects"` (bool: the events of every project,
    ///   whatever the client's project; LXD's `all-projects`).
    /// @param out receives the stream, to free with `lxd_events_free`.
    /// @return `LXD_OK`; `LXD_ERR_INVALID_ARGUMENT` (unknown option, bad
    ///   types); transport/API errors.
    fn lxd_events_open_ext(
        client: *mut lxd_client,
        options_json: *const c_char,
        out: *mut *mut lxd_events,
    ) -> lxd_status {
        let client = &unsafe { arg_ref(client, "client") }?.client;
        let opts = crate::images::options_map(unsafe { arg_opt_str(options_json, "options_json") }?, "event options")?
            .unwrap_or_default();
        let out = unsafe { arg_out(out, "out") }?;
        let mut types: Option<String> = None;
        let mut all = false;
        for (k, v) in &opts {
            match (k.as_str(), v) {
                ("types", serde_json::Value::String(t)) => types = Some(t.clone()),
                ("types", serde_json::Value::Array(list)) => {
                    let names: Option<Vec<&str>> = list.iter().map(serde_json::Value::as_str).collect();
                    types = Some(
                        names
                            .ok_or_else(|| Error::invalid("event option \"types\" must be names"))?
                            .join(","),
                    );
                }
                ("all_projects", serde_json::Value::Bool(b)) => all = *b,
                _ => {
                    return Err(Error::invalid(format!(
                        "event option {k:?}: expected \"types\" (names) or \"all_projects\" (bool)"
                    )));
                }
            }
        }
        let events = client.events_with(types.as_deref(), all)?;
        *out = Box::into_raw(Box::new(lxd_events {
            events: Mutex::new(events),
        }));
        Ok(())
    }
}

lxd_export! {
    /// The next event, as LXD's JSON (`type`, `timestamp`, `metadata`, …),
    /// waiting up to `timeout_ms` (negative: no limit; 0: only one already
    /// there).
    /// @param event_json receives a string to free with `lxd_string_free`.
    /// @return `LXD_ERR_TIMEOUT` when no event came in time (the stream stays
    ///   usable); `LXD_ERR_CONNECTION` when the server closed it.
    fn lxd_events_next(
        events: *mut lxd_events,
        timeout_ms: c_int,
        event_json: *mut *mut c_char,
    ) -> lxd_status {
        let events = unsafe { arg_ref(events, "events") }?;
        let out = unsafe { arg_out(event_json, "event_json") }?;
        let mut ev = events.events.lock().unwrap_or_else(|p| p.into_inner());
        match ev.next(timeout_of(timeout_ms))? {
            Some(text) => {
                *out = c_string(text);
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::Timeout,
                "no event within the timeout",
            )),
        }
    }
}

lxd_export! {
    /// Close an event stream. NULL is a no-op.
    fn lxd_events_free(events: *mut lxd_events) {
        if !events.is_null() {
            drop(unsafe { Box::from_raw(events) });
        }
    }
}

/// Called by a listener (`lxd_events_listen`) on liblxd's own background
/// thread, once per event with `status` `LXD_OK` and the event's JSON, and
/// a last time with an error status and its message when the stream fails
/// (e.g. `LXD_ERR_CONNECTION` when the daemon goes away). `event_json` is
/// valid only during the call. Return 0 to go on, non-zero to stop
/// listening. The callback must be thread-safe with respect to the rest of
/// the program; it may call liblxd.
pub type lxd_event_cb = Option<
    unsafe extern "C" fn(
        status: lxd_status,
        event_json: *const c_char,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Events delivered to a callback on a background thread (opaque), from
/// `lxd_events_listen`. Free with `lxd_events_listener_free`.
pub struct lxd_events_listener {
    _listener: crate::events::Listener,
}

struct UserData(*mut c_void);
// The caller promises (see lxd_event_cb) that its callback and data may be
// used from liblxd's thread.
unsafe impl Send for UserData {}

lxd_export! {
    /// Listen to events with a callback on a background thread, for C programs
    /// that prefer that to the pull API (`lxd_events_open`/`lxd_events_next`,
    /// which suits Go, Ruby and event loops better). The stream is open when
    /// this returns: events after that reach `callback`, in order, one at a
    /// time, on one thread of liblxd's.
    /// @param types as `lxd_events_open`.
    /// @param out receives the listener; `lxd_events_listener_free` stops it.
    fn lxd_events_listen(
        client: *mut lxd_client,
        types: *const c_char,
        callback: lxd_event_cb,
        user_data: *mut c_void,
        out: *mut *mut lxd_events_listener,
    ) -> lxd_status {
        let client = &unsafe { arg_ref(client, "client") }?.client;
        let types = unsafe { arg_opt_str(types, "types") }?;
        let callback = callback.ok_or_else(|| Error::invalid("callback is NULL"))?;
        let out = unsafe { arg_out(out, "out") }?;
        let user = UserData(user_data);
        let deliver = move |d: crate::events::Delivery| -> bool {
            let user = &user;
            let (status, text) = match d {
                Ok(event) => (LXD_OK, event),
                Err(e) => (super::status_of(e.kind), e.message),
            };
            let text = CString::new(text.replace('\0', "\\u0000")).unwrap_or_default();
            let go_on = catch_unwind(AssertUnwindSafe(|| unsafe {
                callback(status, text.as_ptr(), user.0) == 0
            }));
            go_on.unwrap_or(false) && status == LXD_OK
        };
        let listener = client.listen(types, Box::new(deliver))?;
        *out = Box::into_raw(Box::new(lxd_events_listener {
            _listener: listener,
        }));
        Ok(())
    }
}

lxd_export! {
    /// Stop a listener: no callback runs after this returns (unless called
    /// from inside the callback itself, on liblxd's thread, which is allowed:
    /// then that callback is the last). NULL is a no-op.
    ///
    /// It waits for a callback in progress to return. A callback that hands
    /// its work to another thread and waits for it (as language runtimes do)
    /// must not have that thread call this: it would wait forever. Return
    /// non-zero from the callback to stop, and free the listener afterwards.
    fn lxd_events_listener_free(listener: *mut lxd_events_listener) {
        if !listener.is_null() {
            drop(unsafe { Box::from_raw(listener) });
        }
    }
}
