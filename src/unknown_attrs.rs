//! Warnings about attributes the server sends that a kind's schema lacks.
//!
//! The message and its de-duplication follow pylxd: once per (class,
//! attribute) per process by default; `LIBLXD_WARNINGS=none|always` or
//! [`set_mode`] change that. A sink set with [`set_sink`] receives them,
//! else they go to stderr.

use std::collections::HashSet;

/// How many (class, attribute) pairs "once" remembers.
const MAX_REMEMBERED: usize = 10_000;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use once_cell::sync::Lazy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Once = 0,
    Always = 1,
    None = 2,
}

impl Mode {
    /// The mode named by `LIBLXD_WARNINGS` (unset or unknown: once).
    pub fn from_env_value(value: Option<&str>) -> Mode {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("none") | Some("off") | Some("ignore") => Mode::None,
            Some("always") => Mode::Always,
            _ => Mode::Once,
        }
    }
}

/// Receives (class, attribute, message).
pub type Sink = Arc<dyn Fn(&str, &str, &str) + Send + Sync>;

/// The de-duplicating state; one global instance serves the library.
pub struct Warnings {
    mode: AtomicU8,
    seen: Mutex<HashSet<(String, String)>>,
    sink: RwLock<Option<Sink>>,
}

pub fn message(class: &str, attribute: &str) -> String {
    format!("Attempted to set unknown attribute \"{attribute}\" on instance of \"{class}\"")
}

impl Warnings {
    pub fn new(mode: Mode) -> Warnings {
        Warnings {
            mode: AtomicU8::new(mode as u8),
            seen: Mutex::new(HashSet::new()),
            sink: RwLock::new(None),
        }
    }

    pub fn mode(&self) -> Mode {
        match self.mode.load(Ordering::Relaxed) {
            1 => Mode::Always,
            2 => Mode::None,
            _ => Mode::Once,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::Relaxed);
    }

    pub fn set_sink(&self, sink: Option<Sink>) {
        *self.sink.write().unwrap_or_else(|p| p.into_inner()) = sink;
    }

    /// Whether this (class, attribute) should be reported now; records it.
    pub fn should_emit(&self, class: &str, attribute: &str) -> bool {
        match self.mode() {
            Mode::None => false,
            Mode::Always => true,
            Mode::Once => {
                let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                let key = (class.to_string(), attribute.to_string());
                if seen.contains(&key) {
                    return false;
                }
                // A hostile server could send endless new names: past the
                // cap, new names are reported once more without being kept.
                if seen.len() < MAX_REMEMBERED {
                    seen.insert(key);
                }
                true
            }
        }
    }

    /// Report an unknown attribute, subject to the mode.
    pub fn unknown_attribute(&self, class: &str, attribute: &str) {
        if !self.should_emit(class, attribute) {
            return;
        }
        let msg = message(class, attribute);
        let sink = self.sink.read().unwrap_or_else(|p| p.into_inner()).clone();
        match sink {
            Some(sink) => sink(class, attribute, &msg),
            None => eprintln!("liblxd warning: {msg}"),
        }
    }
}

static GLOBAL: Lazy<Warnings> = Lazy::new(|| {
    Warnings::new(Mode::from_env_value(
        std::env::var("LIBLXD_WARNINGS").ok().as_deref(),
    ))
});

/// The process-wide warning state.
pub fn global() -> &'static Warnings {
    &GLOBAL
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collecting(w: &Warnings) -> Arc<Mutex<Vec<String>>> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        w.set_sink(Some(Arc::new(move |c: &str, a: &str, m: &str| {
            g.lock().unwrap().push(format!("{c}|{a}|{m}"));
        })));
        got
    }

    #[test]
    fn env_values() {
        assert_eq!(Mode::from_env_value(None), Mode::Once);
        assert_eq!(Mode::from_env_value(Some("none")), Mode::None);
        assert_eq!(Mode::from_env_value(Some("ALWAYS")), Mode::Always);
        assert_eq!(Mode::from_env_value(Some("whatever")), Mode::Once);
    }

    #[test]
    fn once_mode_deduplicates_per_class_and_attribute() {
        let w = Warnings::new(Mode::Once);
        let got = collecting(&w);
        w.unknown_attribute("Instance", "x");
        w.unknown_attribute("Instance", "x");
        w.unknown_attribute("Instance", "y");
        w.unknown_attribute("Profile", "x");
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            "Instance|x|Attempted to set unknown attribute \"x\" on instance of \"Instance\""
        );
    }

    #[test]
    fn always_and_none_modes() {
        let w = Warnings::new(Mode::Always);
        let got = collecting(&w);
        for _ in 0..3 {
            w.unknown_attribute("Image", "z");
        }
        assert_eq!(got.lock().unwrap().len(), 3);
        w.set_mode(Mode::None);
        w.unknown_attribute("Image", "z");
        w.unknown_attribute("Image", "new");
        assert_eq!(got.lock().unwrap().len(), 3);
        // Switching back to once: attributes seen under none were not recorded.
        w.set_mode(Mode::Once);
        w.unknown_attribute("Image", "new");
        w.unknown_attribute("Image", "new");
        assert_eq!(got.lock().unwrap().len(), 4);
    }
}
