//! Websockets to LXD (exec streams, events) over the client's own transport:
//! the unix socket or TLS with the client certificate. Each websocket has a
//! connection of its own. After the handshake the socket is non-blocking and
//! callers multiplex with [`wait_ready`], so one thread can drive several
//! websockets with a deadline and no helper threads.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use tungstenite::protocol::WebSocket;
use tungstenite::{Error as WsError, Message};

use crate::client::{Client, decode_response};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Stream;

/// One open websocket.
pub struct Ws {
    inner: WebSocket<Stream>,
    /// A frame is queued but not yet fully written.
    write_pending: bool,
    /// The close handshake has ended (or the peer went away).
    finished: bool,
    what: String,
}

impl Client {
    /// Open the websocket at `path` (path and query, project included).
    pub fn websocket(&self, path: &str) -> Result<Ws> {
        let what = format!("websocket {}", path.split('?').next().unwrap_or(path));
        let stream = self.transport().open_stream()?;
        stream
            .set_timeout(Some(self.timeout()))
            .map_err(|e| Error::from_io(&what, &e))?;
        let url = format!("ws://{}{}", self.transport().host_header(), path);
        let mut request = tungstenite::client::IntoClientRequest::into_client_request(url.as_str())
            .map_err(|e| Error::invalid(format!("{what}: {e}")))?;
        if let Ok(agent) = concat!("liblxd/", env!("CARGO_PKG_VERSION")).parse() {
            request.headers_mut().insert("User-Agent", agent);
        }
        let (inner, _) = match tungstenite::client::client(request, stream) {
            Ok(pair) => pair,
            Err(tungstenite::HandshakeError::Failure(WsError::Http(resp))) => {
                let status = resp.status().as_u16();
                let body = resp.body().clone().unwrap_or_default();
                let err = match decode_response(status, &body) {
                    Err(e) => e,
                    Ok(_) => Error::from_http(status, "the server refused the websocket"),
                };
                return Err(err.with_context(&what));
            }
            Err(tungstenite::HandshakeError::Failure(e)) => return Err(ws_error(&what, e)),
            Err(tungstenite::HandshakeError::Interrupted(_)) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{what}: the handshake timed out"),
                ));
            }
        };
        let ws = Ws {
            inner,
            write_pending: false,
            finished: false,
            what,
        };
        ws.inner
            .get_ref()
            .set_timeout(None)
            .and_then(|_| ws.inner.get_ref().set_nonblocking(true))
            .map_err(|e| Error::from_io(&ws.what, &e))?;
        Ok(ws)
    }
}

fn ws_error(what: &str, e: WsError) -> Error {
    match e {
        WsError::Io(io) => Error::from_io(what, &io),
        WsError::Tls(t) => Error::new(ErrorKind::Tls, format!("{what}: {t}")),
        WsError::ConnectionClosed | WsError::AlreadyClosed => Error::new(
            ErrorKind::Connection,
            format!("{what}: the connection is closed"),
        ),
        other => Error::protocol(format!("{what}: {other}")),
    }
}

fn would_block(e: &WsError) -> bool {
    matches!(e, WsError::Io(io) if io.kind() == io::ErrorKind::WouldBlock)
}

impl Ws {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }

    /// Whether the websocket is over (closed by either side, or gone).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Whether queued bytes are waiting for the socket to accept them.
    pub fn write_pending(&self) -> bool {
        self.write_pending
    }

    /// One message if a whole one is there, without blocking. `Close` comes
    /// back once when the peer closes or the connection ends.
    pub fn try_read(&mut self) -> Result<Option<Message>> {
        if self.finished {
            return Ok(None);
        }
        match self.inner.read() {
            Ok(Message::Close(frame)) => {
                // tungstenite has queued the close reply; push it out if it can.
                let _ = self.inner.flush();
                self.finished = true;
                Ok(Some(Message::Close(frame)))
            }
            Ok(msg) => Ok(Some(msg)),
            Err(e) if would_block(&e) => Ok(None),
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                self.finished = true;
                Ok(Some(Message::Close(None)))
            }
            Err(WsError::Io(io))
                if matches!(
                    io.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::BrokenPipe
                        | io::ErrorKind::UnexpectedEof
                ) =>
            {
                self.finished = true;
                Ok(Some(Message::Close(None)))
            }
            Err(WsError::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => {
                self.finished = true;
                Ok(Some(Message::Close(None)))
            }
            Err(e) => Err(ws_error(&self.what, e)),
        }
    }

    /// Queue a message and write what the socket takes now.
    pub fn queue(&mut self, msg: Message) -> Result<()> {
        match self.inner.write(msg) {
            Ok(()) => {}
            Err(e) if would_block(&e) => {}
            Err(e) => return Err(ws_error(&self.what, e)),
        }
        self.flush()
    }

    /// Write queued bytes the socket takes now.
    pub fn flush(&mut self) -> Result<()> {
        match self.inner.flush() {
            Ok(()) => {
                self.write_pending = false;
                Ok(())
            }
            Err(e) if would_block(&e) => {
                self.write_pending = true;
                Ok(())
            }
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                self.write_pending = false;
                self.finished = true;
                Ok(())
            }
            Err(e) => Err(ws_error(&self.what, e)),
        }
    }

    /// Queue a message and wait until it is written, up to `deadline`.
    pub fn send(&mut self, msg: Message, deadline: Option<Instant>) -> Result<()> {
        self.queue(msg)?;
        while self.write_pending {
            let ready = wait_ready(&[(self.fd(), false, true)], deadline)?;
            if ready.is_none() {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{}: timed out writing", self.what),
                ));
            }
            self.flush()?;
        }
        Ok(())
    }

    /// Start the close handshake (our side sends no more).
    pub fn close(&mut self) -> Result<()> {
        match self.inner.close(None) {
            Ok(()) => {}
            Err(e) if would_block(&e) => {}
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                self.finished = true;
                return Ok(());
            }
            Err(e) => return Err(ws_error(&self.what, e)),
        }
        self.flush()
    }
}

/// Wait until one of `fds` (fd, want read, want write) is ready or
/// `deadline` passes. Returns the index of each ready entry in a bitmask,
/// or None when the deadline passed first.
pub fn wait_ready(
    fds: &[(BorrowedFd<'_>, bool, bool)],
    deadline: Option<Instant>,
) -> Result<Option<u64>> {
    loop {
        let mut set: Vec<PollFd<'_>> = fds
            .iter()
            .map(|(fd, r, w)| {
                let mut flags = PollFlags::empty();
                if *r {
                    flags |= PollFlags::IN;
                }
                if *w {
                    flags |= PollFlags::OUT;
                }
                PollFd::from_borrowed_fd(*fd, flags)
            })
            .collect();
        let timeout = match deadline {
            None => None,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up, so a deadline a few µs away does not spin.
                let left = if left.is_zero() {
                    left
                } else {
                    left.max(Duration::from_millis(1))
                };
                Some(Timespec::try_from(left).unwrap_or(Timespec {
                    tv_sec: i64::MAX / 2,
                    tv_nsec: 0,
                }))
            }
        };
        match poll(&mut set, timeout.as_ref()) {
            Ok(0) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(None);
                }
            }
            Ok(_) => {
                let mut mask = 0u64;
                for (i, p) in set.iter().enumerate() {
                    if !p.revents().is_empty() {
                        mask |= 1 << i;
                    }
                }
                return Ok(Some(mask));
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                return Err(Error::new(ErrorKind::Internal, format!("poll failed: {e}")));
            }
        }
    }
}
