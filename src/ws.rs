//! Websockets to LXD (exec streams, events) over the client's own transport:
//! the unix socket or TLS with the client certificate. Each websocket has a
//! connection of its own. After the handshake the socket is non-blocking and
//! callers multiplex with [`wait_ready`], so one thread can drive several
//! websockets with a deadline and no helper threads.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use tungstenite::HandshakeError;
use tungstenite::handshake::MidHandshake;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::protocol::{WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};

use crate::client::{Client, decode_response};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Endpoint, Stream};

/// How much one read from the socket takes. tungstenite zeroes this much
/// of its buffer before every read, including the many that find nothing
/// there yet (its default, 128 KiB, was a tenth of an exec's CPU); LXD's
/// frames of output are at most a few tens of KiB.
const READ_BUFFER: usize = 16 * 1024;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// One open websocket.
pub struct Ws {
    inner: WebSocket<WsStream>,
    /// A frame is queued but not yet fully written.
    write_pending: bool,
    /// Nothing more will be read: the peer closed, sent LXD's end-of-data
    /// marker, or the connection ended.
    finished: bool,
    /// Nothing more can be written: the peer stopped reading (broken pipe).
    write_closed: bool,
    /// Messages are handed on as they are: LXD's end-of-data marker too
    /// (for a relay between two servers).
    verbatim: bool,
    what: String,
}

/// The connection under a websocket. A write to a peer that has stopped
/// reading is swallowed and remembered instead of failing: frames the peer
/// sent before it closed are still in the socket, and a failed automatic
/// reply (a pong) must not make them unreadable.
struct WsStream {
    inner: Stream,
    write_broken: bool,
}

impl WsStream {
    fn new(inner: Stream) -> WsStream {
        WsStream {
            inner,
            write_broken: false,
        }
    }

    fn broken(&mut self, e: io::Error) -> io::Result<()> {
        if matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ) {
            self.write_broken = true;
            Ok(())
        } else {
            Err(e)
        }
    }
}

impl io::Read for WsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for WsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.write_broken {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => self.broken(e).map(|_| buf.len()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.write_broken {
            return Ok(());
        }
        match self.inner.flush() {
            Ok(()) => Ok(()),
            Err(e) => self.broken(e),
        }
    }
}

impl Client {
    /// Open the websocket at `path` (path and query, project included) on
    /// a connection of its own, with tungstenite's client handshake.
    /// A refusal comes back as LXD's error (status and message); frames
    /// the server sends right after the upgrade are kept.
    pub fn websocket(&self, path: &str) -> Result<Ws> {
        let (stream, url, what) = self.dial_websocket(path)?;
        Ws::handshake(stream, &url, what)
    }

    /// A new connection for the websocket at `path`, each read and write
    /// on it bounded by the client's timeout (cut by the call's deadline);
    /// with the websocket's URL and its name for messages.
    fn dial_websocket(&self, path: &str) -> Result<(Stream, String, String)> {
        let what = format!("websocket {}", path.split('?').next().unwrap_or(path));
        let step = self.step_timeout(&what)?;
        let (stream, host) = self.transport().dial_within(Some(step))?;
        stream
            .set_timeout(Some(step))
            .map_err(|e| Error::from_io(&what, &e))?;
        Ok((stream, format!("ws://{host}{path}"), what))
    }

    /// Open a websocket at each of `paths` side by side, each on a
    /// connection of its own, so that LXD works on all the upgrades at
    /// once: over the unix socket every upgrade request is written before
    /// any answer is read (no threads); under TLS, whose handshakes each
    /// wait on the server, each opens on a thread of its own. The results
    /// are in the order of `paths`.
    pub fn websockets(&self, paths: &[String]) -> Vec<Result<Ws>> {
        if !matches!(self.transport().endpoint(), Endpoint::Unix(_)) {
            let Some((first, rest)) = paths.split_first() else {
                return Vec::new();
            };
            return std::thread::scope(|scope| {
                let rest: Vec<_> = rest
                    .iter()
                    .map(|p| scope.spawn(move || self.websocket(p)))
                    .collect();
                std::iter::once(self.websocket(first))
                    .chain(rest.into_iter().map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::protocol("a websocket connect panicked"))
                        })
                    }))
                    .collect()
            });
        }
        let opening: Vec<Result<Opening>> = paths.iter().map(|p| self.start_websocket(p)).collect();
        opening
            .into_iter()
            .map(|o| match o? {
                Opening::Open(ws) => Ok(ws),
                Opening::Pending { mid, what } => {
                    // Blocking again, within the timeout set at the dial.
                    mid.get_ref()
                        .get_ref()
                        .inner
                        .set_nonblocking(false)
                        .map_err(|e| Error::from_io(&what, &e))?;
                    Ws::finish_handshake(mid.handshake(), what)
                }
            })
            .collect()
    }

    /// Connect and write the upgrade request for `path` without waiting
    /// for the answer (unless it is already there).
    fn start_websocket(&self, path: &str) -> Result<Opening> {
        let (stream, url, what) = self.dial_websocket(path)?;
        stream
            .set_nonblocking(true)
            .map_err(|e| Error::from_io(&what, &e))?;
        let stream = WsStream::new(stream);
        match tungstenite::client::client_with_config(url, stream, Some(ws_config())) {
            Err(HandshakeError::Interrupted(mid)) => Ok(Opening::Pending { mid, what }),
            done => Ws::finish_handshake(done, what).map(Opening::Open),
        }
    }
}

/// A websocket on its way: its upgrade request written, the answer not yet
/// read; or already open.
enum Opening {
    Pending {
        mid: MidHandshake<ClientHandshake<WsStream>>,
        what: String,
    },
    Open(Ws),
}

type HandshakeResult = std::result::Result<
    (
        WebSocket<WsStream>,
        tungstenite::handshake::client::Response,
    ),
    HandshakeError<ClientHandshake<WsStream>>,
>;

impl Ws {
    /// tungstenite's client handshake for `url` over `stream`; the socket
    /// is non-blocking once it is done.
    pub(crate) fn handshake(stream: Stream, url: &str, what: String) -> Result<Ws> {
        let stream = WsStream::new(stream);
        Ws::finish_handshake(
            tungstenite::client::client_with_config(url, stream, Some(ws_config())),
            what,
        )
    }

    /// The websocket a blocking handshake gave, or why there is none.
    fn finish_handshake(done: HandshakeResult, what: String) -> Result<Ws> {
        let inner = match done {
            Ok((ws, _)) => ws,
            Err(HandshakeError::Interrupted(_)) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{what}: timed out: no answer to the upgrade within the timeout"),
                ));
            }
            Err(HandshakeError::Failure(e)) => return Err(handshake_error(&what, e)),
        };
        Ws::established(inner, what)
    }

    /// A websocket over `stream` as if the handshake had been done: for
    /// the fuzz targets, which feed frames without one.
    #[cfg(fuzzing)]
    pub(crate) fn raw(stream: Stream, what: String) -> Result<Ws> {
        let stream = WsStream::new(stream);
        let role = tungstenite::protocol::Role::Client;
        Ws::established(
            WebSocket::from_raw_socket(stream, role, Some(ws_config())),
            what,
        )
    }

    fn established(inner: WebSocket<WsStream>, what: String) -> Result<Ws> {
        let stream = &inner.get_ref().inner;
        stream
            .set_timeout(None)
            .and_then(|_| stream.set_nonblocking(true))
            .map_err(|e| Error::from_io(&what, &e))?;
        Ok(Ws {
            inner,
            write_pending: false,
            finished: false,
            write_closed: false,
            verbatim: false,
            what,
        })
    }
}

/// Why the server did not upgrade: LXD's own error when it sent one.
fn handshake_error(what: &str, e: WsError) -> Error {
    match e {
        WsError::Http(resp) => {
            let status = resp.status().as_u16();
            let body = resp.body().as_deref().unwrap_or_default();
            match decode_response(status, body) {
                Err(e) => e.with_context(what),
                Ok(_) => {
                    Error::from_http(status, "the server refused the websocket").with_context(what)
                }
            }
        }
        WsError::Protocol(tungstenite::error::ProtocolError::HandshakeIncomplete) => Error::new(
            ErrorKind::Connection,
            format!("{what}: the server closed the connection without answering"),
        ),
        other => ws_error(what, other),
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

fn ended_without_close(e: &WsError) -> bool {
    match e {
        WsError::Io(io) => io.kind() == io::ErrorKind::UnexpectedEof,
        WsError::Protocol(p) => {
            *p == tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
        }
        _ => false,
    }
}

/// The peer has gone: what we still had to say is moot (e.g. the end of
/// stdin of a command that has already exited), not an error.
fn peer_gone(e: &WsError) -> bool {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => true,
        WsError::Io(io) => matches!(
            io.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        _ => false,
    }
}

impl Ws {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().inner.as_fd()
    }

    /// Whether nothing more will be read (the peer closed, or sent LXD's
    /// end-of-data marker, or the connection ended).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Make this websocket receive-only: nothing is ever written to it
    /// again, not even the pongs tungstenite answers pings with. For
    /// streams the peer only writes (exec's stdout and stderr): LXD never
    /// reads them, so a pong would sit unread in its socket, and when LXD
    /// then closes the connection the kernel sends a reset instead of a
    /// close, and a reset throws away whatever output this side has not
    /// read yet (the tail of a command's output was lost that way over
    /// HTTPS with a slow reader).
    pub fn receive_only(mut self) -> Ws {
        self.inner.get_mut().write_broken = true;
        self.gone();
        self
    }

    /// Hand every message on as it is, LXD's end-of-data marker (an empty
    /// text message) included: only a close or the end of the connection
    /// ends the reading. For relaying between two servers.
    pub fn verbatim(mut self) -> Ws {
        self.verbatim = true;
        self
    }

    /// Whether nothing more can be written (the peer stopped reading).
    pub fn write_closed(&self) -> bool {
        self.write_closed
    }

    /// Whether queued bytes are waiting for the socket to accept them.
    pub fn write_pending(&self) -> bool {
        self.write_pending
    }

    /// One message if a whole one is there, without blocking. `Close` comes
    /// back once when the peer closes, the connection ends, or LXD sends its
    /// end-of-data marker (an empty text message).
    pub fn try_read(&mut self) -> Result<Option<Message>> {
        if self.finished {
            return Ok(None);
        }
        let read = self.inner.read();
        self.note_broken();
        let frame = match read {
            // tungstenite has queued the close reply; push it out if it can.
            Ok(Message::Close(frame)) => {
                let _ = self.inner.flush();
                frame
            }
            // LXD's end-of-data marker.
            Ok(Message::Text(t)) if t.is_empty() && !self.verbatim => None,
            Ok(msg) => return Ok(Some(msg)),
            Err(e) if would_block(&e) => return Ok(None),
            // The connection ended without a close frame.
            Err(e) if peer_gone(&e) || ended_without_close(&e) => None,
            Err(e) => return Err(ws_error(&self.what, e)),
        };
        self.finished = true;
        Ok(Some(Message::Close(frame)))
    }

    /// Queue a message and write what the socket takes now. To a peer that
    /// has stopped reading this is a no-op (see `write_closed`).
    pub fn queue(&mut self, msg: Message) -> Result<()> {
        self.write_with(|ws| ws.write(msg))
    }

    /// Start the close handshake (our side sends no more).
    pub fn close(&mut self) -> Result<()> {
        self.write_with(|ws| ws.close(None))
    }

    /// Run one of tungstenite's writing calls, then write what the socket
    /// takes now. Would-block leaves bytes queued; a peer that has gone
    /// ends our writing quietly.
    fn write_with(
        &mut self,
        op: impl FnOnce(&mut WebSocket<WsStream>) -> tungstenite::Result<()>,
    ) -> Result<()> {
        if self.write_closed {
            return Ok(());
        }
        let done = op(&mut self.inner);
        self.note_broken();
        match done {
            Ok(()) => {}
            Err(e) if would_block(&e) => {}
            Err(e) if peer_gone(&e) => {
                self.gone();
                return Ok(());
            }
            Err(e) => return Err(ws_error(&self.what, e)),
        }
        self.flush()
    }

    /// Write queued bytes the socket takes now.
    pub fn flush(&mut self) -> Result<()> {
        let flushed = self.inner.flush();
        self.note_broken();
        match flushed {
            Ok(()) => {
                self.write_pending = false;
                Ok(())
            }
            Err(e) if would_block(&e) => {
                self.write_pending = true;
                Ok(())
            }
            Err(e) if peer_gone(&e) => {
                self.gone();
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

    /// The peer stopped reading: what we still had to say is moot.
    fn gone(&mut self) {
        self.write_pending = false;
        self.write_closed = true;
    }

    fn note_broken(&mut self) {
        if self.inner.get_ref().write_broken {
            self.gone();
        }
    }
}

/// Wait until one of `fds` (fd, want read, want write) is ready or
/// `deadline` passes. Returns the index of each ready entry in a bitmask,
/// or None when the deadline passed first.
pub fn wait_ready(
    fds: &[(BorrowedFd<'_>, bool, bool)],
    deadline: Option<Instant>,
) -> Result<Option<u64>> {
    // An entry that wants nothing is left out: poll would report a hung-up
    // socket as ready forever, whatever it was asked.
    let wanted: Vec<usize> = (0..fds.len()).filter(|&i| fds[i].1 || fds[i].2).collect();
    loop {
        let mut set: Vec<PollFd<'_>> = wanted
            .iter()
            .map(|&i| &fds[i])
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
                for (p, &i) in set.iter().zip(&wanted) {
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

#[cfg(test)]
mod tests {
    //! Against a fake websocket server on a unix socket (not LXD).
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn writing_to_a_peer_that_has_gone_ends_the_websocket_without_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let ws = tungstenite::accept(stream).unwrap();
            drop(ws); // gone, as LXD closes stdin once the command has exited
        });
        let mut ws = Client::for_socket(&path).websocket("/x").unwrap();
        server.join().unwrap();
        // The end of input and any data to a peer that has gone are moot:
        // never an error (this raced in exec: stdin's close frame after `true`).
        for _ in 0..50 {
            ws.queue(Message::binary(vec![7u8; 64 * 1024])).unwrap();
            if ws.write_closed() {
                break;
            }
        }
        assert!(ws.write_closed());
        ws.close().unwrap();
        assert!(!ws.write_pending());
    }

    #[test]
    fn frames_sent_before_the_peer_went_are_still_read() {
        // LXD pings, sends the output and closes before a slow client reads:
        // the automatic pong then meets a broken pipe, which must not lose
        // the output (it once did, about one exec in five under valgrind).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = UnixListener::bind(&path).unwrap();
        let (sent_tx, sent_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut ws = tungstenite::accept(stream).unwrap();
            ws.send(Message::Ping(vec![1].into())).unwrap();
            ws.send(Message::binary(b"hello\n".to_vec())).unwrap();
            ws.send(Message::text("")).unwrap();
            drop(ws);
            sent_tx.send(()).unwrap();
        });
        let mut ws = Client::for_socket(&path).websocket("/x").unwrap();
        sent_rx.recv().unwrap();
        let mut got = Vec::new();
        let deadline = Some(Instant::now() + Duration::from_secs(5));
        while !ws.finished() {
            match ws.try_read().unwrap() {
                Some(Message::Binary(b)) => got.extend_from_slice(&b),
                Some(_) => {}
                None => {
                    assert!(
                        wait_ready(&[(ws.fd(), true, false)], deadline)
                            .unwrap()
                            .is_some()
                    );
                }
            }
        }
        assert_eq!(got, b"hello\n");
    }

    #[test]
    fn websockets_side_by_side_write_every_request_before_reading_an_answer() {
        // The fake server takes all three connections, each with its
        // upgrade request waiting, before it answers any: a client that
        // waited for one answer before asking the next would stall here.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let server = std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(5);
            let mut conns = Vec::new();
            while conns.len() < 3 && Instant::now() < until {
                match listener.accept() {
                    Ok((s, _)) => conns.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            assert_eq!(conns.len(), 3, "the client did not open all three at once");
            for c in &conns {
                c.set_nonblocking(false).unwrap();
                let mut buf = [0u8; 1];
                let peeked = rustix::net::recv(c, &mut buf, rustix::net::RecvFlags::PEEK).unwrap();
                assert_eq!(peeked.0, 1, "no request waiting");
            }
            let mut conns = conns.into_iter();
            // 1: upgraded, and a frame sent at once (kept for the client).
            let mut first = tungstenite::accept(conns.next().unwrap()).unwrap();
            first.send(Message::binary(b"early".to_vec())).unwrap();
            // 2: refused, as LXD refuses a wrong secret.
            let mut second = io::BufReader::new(conns.next().unwrap());
            let mut line = String::new();
            while io::BufRead::read_line(&mut second, &mut line).unwrap() > 0 && line != "\r\n" {
                line.clear();
            }
            let body = r#"{"type":"error","error":"not authorized","error_code":403}"#;
            write!(
                second.get_mut(),
                "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            // 3: upgraded.
            let third = tungstenite::accept(conns.next().unwrap()).unwrap();
            (first, third)
        });
        let paths: Vec<String> = ["/a", "/b", "/c"].iter().map(|p| p.to_string()).collect();
        let mut got = Client::for_socket(&path).websockets(&paths).into_iter();
        let server_side = server.join().unwrap();
        let mut first = got.next().unwrap().unwrap();
        let Err(refused) = got.next().unwrap() else {
            panic!("the refused upgrade opened")
        };
        assert_eq!(refused.kind, ErrorKind::Forbidden, "{refused:?}");
        assert!(refused.message.contains("not authorized"), "{refused:?}");
        assert!(got.next().unwrap().is_ok());
        let deadline = Some(Instant::now() + Duration::from_secs(5));
        let msg = loop {
            if let Some(m) = first.try_read().unwrap() {
                break m;
            }
            assert!(
                wait_ready(&[(first.fd(), true, false)], deadline)
                    .unwrap()
                    .is_some()
            );
        };
        assert_eq!(msg, Message::binary(b"early".to_vec()));
        drop(server_side);
    }

    #[test]
    fn wait_ready_times_out_and_reports_ready_entries() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let soon = Some(Instant::now() + Duration::from_millis(20));
        assert_eq!(wait_ready(&[(a.as_fd(), true, false)], soon).unwrap(), None);
        (&b).write_all(b"x").unwrap();
        let ready =
            wait_ready(&[(b.as_fd(), true, false), (a.as_fd(), true, false)], None).unwrap();
        assert_eq!(ready, Some(0b10));
    }
}
