//! The event stream (`/1.0/events`) as a pull API: open it, then take one
//! event at a time with a timeout. No threads: the caller's thread reads.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use tungstenite::Message;

use crate::client::{Client, encode_component};
use crate::error::{Error, ErrorKind, Result};
use crate::ws::{Ws, wait_ready};

/// An open event stream.
pub struct Events {
    pub(crate) ws: Ws,
}

impl Client {
    /// Listen to events. `types` is None for all, or a comma list such as
    /// `"lifecycle,operation"` (the server filters). With a project set on
    /// the client, only that project's events come.
    pub fn events(&self, types: Option<&str>) -> Result<Events> {
        self.events_with(types, false)
    }

    /// `events`, or with `all_projects` the events of every project
    /// (whatever project the client has).
    pub fn events_with(&self, types: Option<&str>, all_projects: bool) -> Result<Events> {
        let path = events_path(types)?;
        let path = if all_projects {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}all-projects=true")
        } else {
            self.with_project(&path)
        };
        Ok(Events {
            ws: self.websocket(&path)?,
        })
    }
}

/// The path of the event stream with only `types` (a comma list such as
/// `"lifecycle,operation"`; None: all), checked.
pub(crate) fn events_path(types: Option<&str>) -> Result<String> {
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
    Ok(path)
}

impl Events {
    /// The next event as JSON text, waiting up to `timeout` (None: no
    /// limit). `Ok(None)` when the time passed with no event.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<String>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        self.next_or_wake(deadline, None)
    }

    /// `next`, also returning `Ok(None)` as soon as `wake` is readable.
    fn next_or_wake(
        &mut self,
        deadline: Option<Instant>,
        wake: Option<BorrowedFd<'_>>,
    ) -> Result<Option<String>> {
        loop {
            while let Some(msg) = self.ws.try_read()? {
                match msg {
                    Message::Text(t) => return Ok(Some(t.to_string())),
                    Message::Binary(b) => {
                        return String::from_utf8(b.to_vec())
                            .map(Some)
                            .map_err(|_| Error::protocol("an event was not valid UTF-8"));
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
            let mut fds = vec![(self.ws.fd(), true, want_write)];
            fds.extend(wake.map(|w| (w, true, false)));
            match wait_ready(&fds, deadline)? {
                None => return Ok(None),
                Some(ready) if ready & 0b10 != 0 => return Ok(None),
                Some(_) => {}
            }
            if want_write {
                self.ws.flush()?;
            }
        }
    }
}

/// What a listener hands its callback: an event, or the error that ended
/// the stream (the last call).
pub type Delivery = Result<String>;

/// Events delivered to a callback on a thread of their own (see
/// [`Client::listen`]). Dropping it stops the thread and waits for it.
pub struct Listener {
    wake: UnixStream,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Client {
    /// Open the event stream as [`Client::events`] does, then call
    /// `callback` with each event on a new thread until the callback
    /// returns false, the stream fails (the callback gets the error, last),
    /// or the listener is dropped.
    pub fn listen(
        &self,
        types: Option<&str>,
        mut callback: Box<dyn FnMut(Delivery) -> bool + Send>,
    ) -> Result<Listener> {
        let mut events = self.events(types)?;
        let (wake, woken) = UnixStream::pair()
            .map_err(|e| Error::new(ErrorKind::Internal, format!("socketpair: {e}")))?;
        let thread = std::thread::Builder::new()
            .name("liblxd-events".into())
            .spawn(move || {
                loop {
                    match events.next_or_wake(None, Some(woken.as_fd())) {
                        Ok(Some(event)) => {
                            if !callback(Ok(event)) {
                                return;
                            }
                        }
                        // Woken: the listener is being dropped.
                        Ok(None) => return,
                        Err(e) => {
                            callback(Err(e));
                            return;
                        }
                    }
                }
            })
            .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot start a thread: {e}")))?;
        Ok(Listener {
            wake,
            thread: Some(thread),
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = (&self.wake).write_all(b"x");
        if let Some(t) = self.thread.take() {
            // A callback that drops its own listener must not join itself.
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.ws.close();
    }
}

#[cfg(test)]
mod tests {
    //! Against a fake websocket server on a unix socket (not LXD): what a
    //! real daemon cannot be made to do on demand.
    use super::*;
    use std::os::unix::net::UnixListener;
    use tungstenite::protocol::CloseFrame;
    use tungstenite::protocol::frame::coding::CloseCode;

    /// Serve one connection with `script` after the websocket handshake.
    fn fake(
        script: impl FnOnce(&mut tungstenite::WebSocket<std::os::unix::net::UnixStream>)
        + Send
        + 'static,
    ) -> (tempfile::TempDir, Client) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut ws = tungstenite::accept(stream).unwrap();
            script(&mut ws);
        });
        let client = Client::for_socket(&path);
        (dir, client)
    }

    #[test]
    fn events_then_a_dropped_connection_is_a_connection_error() {
        let (_d, client) = fake(|ws| {
            ws.send(Message::text(r#"{"type":"lifecycle","n":1}"#))
                .unwrap();
            ws.send(Message::text(r#"{"type":"lifecycle","n":2}"#))
                .unwrap();
            // Drop the socket without a close frame.
            let _ = ws.get_mut().shutdown(std::net::Shutdown::Both);
        });
        let mut ev = client.events(Some("lifecycle")).unwrap();
        let t = Some(Duration::from_secs(5));
        assert!(ev.next(t).unwrap().unwrap().contains("\"n\":1"));
        assert!(ev.next(t).unwrap().unwrap().contains("\"n\":2"));
        let e = ev.next(t).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");
        // And it stays an error, without blocking.
        assert_eq!(ev.next(t).unwrap_err().kind, ErrorKind::Connection);
    }

    #[test]
    fn a_close_frame_ends_the_stream() {
        let (_d, client) = fake(|ws| {
            ws.close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "bye".into(),
            }))
            .unwrap();
            while ws.read().is_ok() {}
        });
        let mut ev = client.events(None).unwrap();
        let e = ev.next(Some(Duration::from_secs(5))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection);
        assert!(e.message.contains("closed"), "{e:?}");
    }

    #[test]
    fn an_event_that_is_not_utf8_is_a_protocol_error() {
        let (_d, client) = fake(|ws| {
            ws.send(Message::binary(vec![0xff, 0xfe, 0x00])).unwrap();
            let _ = ws.read();
        });
        let mut ev = client.events(None).unwrap();
        let e = ev.next(Some(Duration::from_secs(5))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol, "{e:?}");
    }

    #[test]
    fn nothing_within_the_timeout_is_none_and_an_event_after_it_still_arrives() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (_d, client) = fake(move |ws| {
            rx.recv().unwrap();
            ws.send(Message::text("{\"late\":true}")).unwrap();
            let _ = ws.read();
        });
        let mut ev = client.events(None).unwrap();
        assert_eq!(ev.next(Some(Duration::from_millis(50))).unwrap(), None);
        assert_eq!(ev.next(Some(Duration::ZERO)).unwrap(), None);
        tx.send(()).unwrap();
        assert_eq!(
            ev.next(Some(Duration::from_secs(5))).unwrap().as_deref(),
            Some("{\"late\":true}")
        );
    }

    #[test]
    fn a_refused_handshake_carries_the_servers_status_and_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let body = r#"{"type":"error","error":"not authorized","error_code":403}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        });
        let e = Client::for_socket(&path).events(None).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Forbidden, "{e:?}");
        assert!(e.message.contains("not authorized"), "{e:?}");
        assert_eq!(e.http_status, 403);
    }

    #[test]
    fn a_listener_delivers_events_then_the_error_that_ended_the_stream() {
        let (_d, client) = fake(|ws| {
            for i in 0..3 {
                ws.send(Message::text(format!("{{\"n\":{i}}}"))).unwrap();
            }
            let _ = ws.get_mut().shutdown(std::net::Shutdown::Both);
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let listener = client
            .listen(None, Box::new(move |d| tx.send(d).is_ok()))
            .unwrap();
        let t = Duration::from_secs(5);
        for i in 0..3 {
            assert_eq!(
                rx.recv_timeout(t).unwrap().unwrap(),
                format!("{{\"n\":{i}}}")
            );
        }
        assert_eq!(
            rx.recv_timeout(t).unwrap().unwrap_err().kind,
            ErrorKind::Connection
        );
        drop(listener);
    }

    #[test]
    fn dropping_a_listener_stops_its_thread_while_it_waits() {
        let (_d, client) = fake(|ws| {
            // Never send anything; wait for the client to go.
            let _ = ws.read();
        });
        let (tx, rx) = std::sync::mpsc::channel::<Delivery>();
        let listener = client
            .listen(None, Box::new(move |d| tx.send(d).is_ok()))
            .unwrap();
        drop(listener); // joins the thread: returns only once it has ended
        assert!(rx.recv_timeout(Duration::from_secs(1)).is_err());
    }

    #[test]
    fn type_lists_are_checked_before_connecting() {
        let client = Client::offline();
        for bad in ["", " ", "a,,b", "life cycle", "lifecycle;x", "LIFECYCLE?"] {
            let e = client.events(Some(bad)).err().unwrap();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
        // A good list gets as far as connecting.
        let e = client.events(Some("lifecycle, operation")).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Connection);
    }
}
