//! When the current call started, for the client option `deadline_ms`
//! (how long one call may take, start to end).
//!
//! Each exported C function opens a [`CallScope`] (the ffi guard does it),
//! so that every request, wait and websocket step of that call measures
//! the deadline from the same start. Code outside any scope (Rust callers,
//! a listener's thread) measures each step from its own start.

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static CALL_START: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The current call on this thread, until dropped (scopes nest: an inner
/// call, e.g. made from a callback, has its own start).
pub struct CallScope {
    outer: Option<Instant>,
}

impl CallScope {
    pub fn enter() -> CallScope {
        let outer = CALL_START.with(|c| c.replace(Some(Instant::now())));
        CallScope { outer }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        CALL_START.with(|c| c.set(self.outer));
    }
}

/// When the current call started (now, outside any call).
pub fn call_start() -> Instant {
    CALL_START.with(|c| c.get()).unwrap_or_else(Instant::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_restore() {
        let outer = CallScope::enter();
        let t0 = call_start();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(call_start(), t0);
        {
            let _inner = CallScope::enter();
            assert!(call_start() > t0);
        }
        assert_eq!(call_start(), t0);
        drop(outer);
        assert!(call_start() > t0);
    }
}
