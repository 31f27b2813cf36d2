//! The glue between ureq and our connections: a connector that opens a
//! [`Stream`] to the endpoint (ureq never resolves or dials anything
//! itself), and a ureq transport over that stream.
//!
//! ureq's `unversioned` transport API may change in minor releases, which
//! is why Cargo.toml pins `~3.5`; everything that touches it is here.
//!
//! The transport also keeps the facts the retry rule needs: whether the
//! connection had served a response before this request (a reused one),
//! and whether any byte of the answer has arrived. A reused connection
//! that ends before the first byte is reported as [`StaleConnection`].

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, Transport,
};

use super::Dialer;
use super::stream::{Socket, Stream};

thread_local! {
    /// The first bytes of the last response this thread began to receive,
    /// to show in a "malformed HTTP response" error (ureq runs a request
    /// on the calling thread).
    static RESPONSE_START: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

const RESPONSE_START_KEPT: usize = 64;

/// The start of the last response received on this thread, as text.
pub fn response_start() -> String {
    RESPONSE_START.with(|r| String::from_utf8_lossy(&r.borrow()).into_owned())
}

/// Marks the failure of a reused connection before any byte of the answer
/// arrived: the server had closed it while it was idle.
#[derive(Debug)]
pub struct StaleConnection(pub io::ErrorKind);

impl fmt::Display for StaleConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server closed a kept-alive connection before answering ({:?})",
            self.0
        )
    }
}
impl std::error::Error for StaleConnection {}

/// Marks a failure to open a connection: nothing of the request was sent.
#[derive(Debug)]
pub struct ConnectFailed(pub crate::error::Error);

impl fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.message.fmt(f)
    }
}
impl std::error::Error for ConnectFailed {}

/// Opens connections for ureq.
#[derive(Debug)]
pub struct LxdConnector {
    pub dialer: Arc<Dialer>,
    pub input_buffer: usize,
    pub output_buffer: usize,
}

impl Connector<()> for LxdConnector {
    type Out = Conn;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Conn>, ureq::Error> {
        // The request's time left (its deadline) bounds the connect and
        // the TLS handshake too, below the client's connect timeout (none
        // left: dial_within fails at once, and the request is known unsent).
        let limit = if details.timeout.after.is_zero() {
            Some(Duration::ZERO)
        } else {
            details.timeout.not_zero().map(|d| *d)
        };
        let stream = self
            .dialer
            .dial_within(limit)
            .map_err(|e| ureq::Error::Io(io::Error::other(ConnectFailed(e))))?;
        Ok(Some(Conn {
            stream,
            buffers: LazyBuffers::new(self.input_buffer, self.output_buffer),
            received: 0,
            received_before: 0,
            sending: false,
            used: false,
            read_timeout: None,
            write_timeout: None,
            broken: self.dialer.broken.clone(),
        }))
    }
}

/// Addresses are the connector's business: this resolver resolves nothing.
#[derive(Debug)]
pub struct NoResolver;

impl Resolver for NoResolver {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        addrs.push(SocketAddr::from(([0, 0, 0, 0], 0)));
        Ok(addrs)
    }
}

/// One connection as ureq sees it.
pub struct Conn {
    stream: Stream,
    buffers: LazyBuffers,
    /// Bytes received over the connection's life.
    received: u64,
    /// `received` when the current request started.
    received_before: u64,
    /// Between the first write of a request and the first read of its answer.
    sending: bool,
    /// Used since the last `is_open`: ureq asks when it puts the connection
    /// back in the pool and again when it takes it out; only the second
    /// probe can see what arrived while it was idle, so the first is
    /// answered without a system call.
    used: bool,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Counts connections found closed or failed (see `Dialer::broken`).
    broken: Arc<AtomicU64>,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("tls", &self.stream.is_tls())
            .finish()
    }
}

pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn is_closed(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

impl Conn {
    /// The connection ended (or failed as closed): stale when it had
    /// served a response before and nothing of this one has arrived.
    fn ended(&self, kind: io::ErrorKind) -> ureq::Error {
        if self.received_before > 0 && self.received == self.received_before {
            ureq::Error::Io(io::Error::new(kind, StaleConnection(kind)))
        } else if kind == io::ErrorKind::UnexpectedEof {
            ureq::Error::Io(io::Error::new(
                kind,
                "the server closed the connection in the middle of the response",
            ))
        } else {
            ureq::Error::Io(io::Error::from(kind))
        }
    }
}

/// The longest one blocking socket read or write (or TLS handshake step)
/// waits before its limit is looked at again. The kernel rounds a socket
/// timeout up to the granularity of its timer wheel, about an eighth of
/// the timeout (with HZ=250, a 2.9 s timeout fires after up to 3.15 s, a
/// 20 s one after up to 22 s); waiting in slices of at most a second keeps
/// the overshoot to a few milliseconds.
pub(super) const SLICE: Duration = Duration::from_secs(1);

/// The socket timeout of the next slice before `end` (None: no limit).
pub(super) fn slice_until(end: Option<Instant>) -> Option<Duration> {
    end.map(|e| {
        e.saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), SLICE)
    })
}

/// Set the socket's read (or write) timeout to `want`, unless it is so
/// already (`cached`).
fn set_socket_timeout(
    socket: &Socket,
    cached: &mut Option<Duration>,
    want: Option<Duration>,
    write: bool,
) -> Result<(), ureq::Error> {
    if *cached != want {
        let set = if write {
            socket.set_write_timeout(want)
        } else {
            socket.set_read_timeout(want)
        };
        set.map_err(ureq::Error::Io)?;
        *cached = want;
    }
    Ok(())
}

/// When a step with this timeout must be over; Err when it already is.
fn step_end(timeout: &NextTimeout) -> Result<Option<Instant>, ureq::Error> {
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|d| Instant::now() + *d))
}

/// Whether a slice timed out before `end`: wait again.
fn time_left(end: Option<Instant>) -> bool {
    end.is_some_and(|e| Instant::now() < e)
}

impl Transport for Conn {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.used = true;
        if !self.sending {
            self.sending = true;
            self.received_before = self.received;
        }
        let timeout = timeout.for_write();
        let end = step_end(&timeout)?;
        let mut sent = 0;
        loop {
            let socket = self.stream.socket();
            set_socket_timeout(socket, &mut self.write_timeout, slice_until(end), true)?;
            let out = &self.buffers.output()[sent..amount];
            // The bytes, then a flush (TLS: the records rustls still holds).
            let step = if out.is_empty() {
                self.stream.flush().map(|_| None)
            } else {
                self.stream.write(out).map(Some)
            };
            match step {
                Ok(None) => return Ok(()),
                Ok(Some(0)) => return Err(ureq::Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(Some(n)) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) && time_left(end) => {}
                Err(e) if is_timeout(&e) => return Err(ureq::Error::Timeout(timeout.reason)),
                Err(e) if is_closed(e.kind()) => return Err(self.ended(e.kind())),
                Err(e) => return Err(ureq::Error::Io(e)),
            }
        }
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.used = true;
        self.sending = false;
        let timeout = timeout.for_read();
        let end = step_end(&timeout)?;
        let n = loop {
            let socket = self.stream.socket();
            set_socket_timeout(socket, &mut self.read_timeout, slice_until(end), false)?;
            let buf = self.buffers.input_append_buf();
            match self.stream.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) && time_left(end) => {}
                Err(e) if is_timeout(&e) => return Err(ureq::Error::Timeout(timeout.reason)),
                // rustls: the peer closed TCP without TLS's close_notify.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break 0,
                Err(e) if is_closed(e.kind()) => return Err(self.ended(e.kind())),
                Err(e) => return Err(ureq::Error::Io(e)),
            }
        };
        if n == 0 {
            if self.received_before > 0 && self.received == self.received_before {
                return Err(self.ended(io::ErrorKind::UnexpectedEof));
            }
            // End of file: ureq ends a body that runs to the close, and
            // reports anything else as a disconnection.
            return Ok(false);
        }
        if self.received == self.received_before {
            let first = &self.buffers.input_append_buf()[..n.min(RESPONSE_START_KEPT)];
            RESPONSE_START.with(|r| {
                let mut r = r.borrow_mut();
                r.clear();
                r.extend_from_slice(first);
            });
        }
        self.buffers.input_appended(n);
        self.received += n as u64;
        Ok(true)
    }

    fn is_open(&mut self) -> bool {
        if std::mem::take(&mut self.used) {
            return true;
        }
        let open = self.stream.idle_and_open();
        if !open {
            self.broken.fetch_add(1, Ordering::Relaxed);
        }
        open
    }

    fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }
}
