//! The event stream (`/1.0/events`) as a pull API: open it, then take one
//! event at a time with a timeout. No threads: the caller's thread reads.

use std::time::{Duration, Instant};

use tungstenite::Message;

use crate::client::{Client, encode_component};
use crate::error::{Error, ErrorKind, Result};
use crate::ws::{Ws, wait_ready};

/// An open event stream.
pub struct Events {
    ws: Ws,
}

impl Client {
    /// Listen to events. `types` is None for all, or a comma list such as
    /// `"lifecycle,operation"` (the server filters). With a project set on
    /// the client, only that project's events come.
    pub fn events(&self, types: Option<&str>) -> Result<Events> {
        let mut path = String::from("/1.0/events");
        if let Some(types) = types {
            let types = types.trim();
            let valid = !types.is_empty()
                && types.split(',').all(|t| {
                    let t = t.trim();
                    !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                });
            if !valid {
                return Err(Error::invalid(format!(
                    "event types {types:?}: expected a comma list such as \"lifecycle,operation\""
                )));
            }
            let list: Vec<&str> = types.split(',').map(str::trim).collect();
            path.push_str("?type=");
            path.push_str(&encode_component(&list.join(",")));
        }
        let path = self.with_project(&path);
        Ok(Events {
            ws: self.websocket(&path)?,
        })
    }
}

impl Events {
    /// The next event as JSON text, waiting up to `timeout` (None: no
    /// limit). `Ok(None)` when the time passed with no event.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<String>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            while let Some(msg) = self.ws.try_read()? {
                match msg {
                    Message::Text(t) => return Ok(Some(t.to_string())),
                    Message::Binary(b) => {
                        return String::from_utf8(b.to_vec()).map(Some).map_err(|_| {
                            Error::protocol("an event was not valid UTF-8")
                        });
                    }
                    Message::Close(_) => {
                        return Err(Error::new(
                            ErrorKind::Connection,
                            "the server closed the event stream",
                        ));
                    }
                    _ => {}
                }
            }
            if self.ws.finished() {
                return Err(Error::new(
                    ErrorKind::Connection,
                    "the event stream is closed",
                ));
            }
            let want_write = self.ws.write_pending();
            if wait_ready(&[(self.ws.fd(), true, want_write)], deadline)?.is_none() {
                return Ok(None);
            }
            if want_write {
                self.ws.flush()?;
            }
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.ws.close();
    }
}
