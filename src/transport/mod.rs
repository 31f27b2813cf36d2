//! Connections to an LXD daemon and HTTP/1.1 over them, through ureq.
//!
//! - [`Endpoint`]: where the daemon is (a unix socket or HTTPS).
//! - [`Dialer`]: opens a connection ([`Stream`]), for the HTTP client and
//!   for websockets and protocol upgrades, which need a raw stream.
//! - [`Transport`]: requests and responses, with kept-alive connections
//!   pooled by ureq, the retry rule of Go's net/http, bounded memory and
//!   time.
//!
//! What a response may cost is bounded: a body read into memory stops at
//! [`Limits::max_body`] (`LXD_ERR_RESPONSE_TOO_LARGE` beyond), an error
//! document at [`MAX_ERROR_BODY`], a response head at [`MAX_HEAD`]; bodies
//! streamed to the caller's sink (file pulls, exports) have no cap.

mod glue;
mod sendfile;
pub mod stream;
pub mod tls;

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::SendBody;
use ureq::http;

use crate::error::{Error, ErrorKind, Result};
use glue::{ConnectFailed, LxdConnector, NoResolver, StaleConnection};
pub use stream::{Socket, Stream, readable_now};

/// Where the daemon is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Https { host: String, port: u16 },
}

const SNAP_SOCKET: &str = "/var/snap/lxd/common/lxd/unix.socket";
const DEB_SOCKET: &str = "/var/lib/lxd/unix.socket";

impl Endpoint {
    /// Parse what a caller passed: None = the local daemon, `https://host[:port]`
    /// = HTTPS (port 8443 by default), `unix:/path` or any other text = a socket path.
    pub fn parse(endpoint: Option<&str>) -> Result<Endpoint> {
        Endpoint::parse_with(
            endpoint,
            std::env::var_os("LXD_DIR").map(PathBuf::from),
            |p| p.exists(),
        )
    }

    /// `parse` with the environment and file system passed in (for tests).
    pub fn parse_with(
        endpoint: Option<&str>,
        lxd_dir: Option<PathBuf>,
        exists: impl Fn(&Path) -> bool,
    ) -> Result<Endpoint> {
        let Some(text) = endpoint else {
            if let Some(dir) = lxd_dir.filter(|d| !d.as_os_str().is_empty()) {
                return Ok(Endpoint::Unix(dir.join("unix.socket")));
            }
            if exists(Path::new(SNAP_SOCKET)) {
                return Ok(Endpoint::Unix(SNAP_SOCKET.into()));
            }
            return Ok(Endpoint::Unix(DEB_SOCKET.into()));
        };
        if text.is_empty() {
            return Err(Error::invalid("endpoint is an empty string"));
        }
        if let Some(rest) = text.strip_prefix("https://") {
            let hostport = rest.trim_end_matches('/');
            if hostport.is_empty() || hostport.contains('/') {
                return Err(Error::invalid(format!(
                    "endpoint {text:?}: expected https://host[:port]"
                )));
            }
            let (host, port) = split_host_port(hostport)
                .ok_or_else(|| Error::invalid(format!("endpoint {text:?}: bad port")))?;
            return Ok(Endpoint::Https { host, port });
        }
        if text.contains("://") {
            return Err(Error::invalid(format!(
                "endpoint {text:?}: only https:// URLs and unix socket paths are supported"
            )));
        }
        let path = text.strip_prefix("unix:").unwrap_or(text);
        Ok(Endpoint::Unix(PathBuf::from(path)))
    }

    /// The value of the Host header.
    pub fn host_header(&self) -> String {
        match self {
            Endpoint::Unix(_) => "lxd".into(),
            Endpoint::Https { host, port } => {
                if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                }
            }
        }
    }
}

fn split_host_port(hostport: &str) -> Option<(String, u16)> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 8443,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        _ => Some((hostport.to_string(), 8443)),
    }
}

/// Opens connections to one endpoint: the unix socket, or TCP plus a
/// completed TLS handshake (so certificate problems surface as TLS errors,
/// not as failed requests).
#[derive(Debug)]
pub struct Dialer {
    endpoint: Endpoint,
    host_header: String,
    tls: Option<Arc<ClientConfig>>,
    connect_timeout: Duration,
    /// Connections found closed by the server or failed (a pooled one
    /// closed while idle, a request whose connection broke, a connect
    /// refused, a timeout): a daemon restart shows here (see
    /// [`Transport::broken_connections`]).
    broken: Arc<AtomicU64>,
}

impl Dialer {
    /// A new connection; `limit` caps the time it may take (with the
    /// TLS handshake) below the connect timeout.
    pub fn dial_within(&self, limit: Option<Duration>) -> Result<Stream> {
        let budget = limit.map_or(self.connect_timeout, |l| l.min(self.connect_timeout));
        if budget.is_zero() {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "cannot connect to {}: the call's deadline passed",
                    self.host_header
                ),
            ));
        }
        match &self.endpoint {
            Endpoint::Unix(path) => UnixStream::connect(path)
                .map(|s| Stream::Plain(Socket::Unix(s)))
                .map_err(|e| Error::from_io(&format!("cannot connect to {}", path.display()), &e)),
            Endpoint::Https { host, port } => self.dial_tls(host, *port, budget),
        }
    }

    pub fn dial(&self) -> Result<Stream> {
        self.dial_within(None)
    }

    fn dial_tls(&self, host: &str, port: u16, budget: Duration) -> Result<Stream> {
        let started = Instant::now();
        let ctx = format!("cannot connect to {}", self.host_header);
        let addrs: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| Error::from_io(&ctx, &e))?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        let mut tcp = None;
        for addr in addrs {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                last = io::Error::from(io::ErrorKind::TimedOut);
                break;
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or_else(|| Error::from_io(&ctx, &last))?;
        let _ = tcp.set_nodelay(true);
        let config = self
            .tls
            .clone()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "HTTPS without TLS config"))?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| Error::new(ErrorKind::Tls, format!("bad server name {host:?}: {e}")))?;
        let conn = ClientConnection::new(config, name)
            .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS setup: {e}")))?;
        let mut tls = StreamOwned::new(conn, Socket::Tcp(tcp));
        // In slices, so that the budget holds to the millisecond (see
        // glue::SLICE); rustls takes up again after a timed-out read or write.
        let end = Some(started + budget);
        while tls.conn.is_handshaking() {
            let slice = glue::slice_until(end);
            tls.sock
                .set_read_timeout(slice)
                .and_then(|_| tls.sock.set_write_timeout(slice))
                .map_err(|e| Error::from_io(&ctx, &e))?;
            match tls.conn.complete_io(&mut tls.sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if glue::is_timeout(&e) && Instant::now() < started + budget => {}
                Err(e) => return Err(handshake_error(&self.host_header, e)),
            }
        }
        // A new stream has no socket timeouts (its users set their own).
        tls.sock
            .set_read_timeout(None)
            .and_then(|_| tls.sock.set_write_timeout(None))
            .map_err(|e| Error::from_io(&ctx, &e))?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

fn handshake_error(host: &str, e: io::Error) -> Error {
    if glue::is_timeout(&e) {
        return Error::new(
            ErrorKind::Timeout,
            format!("TLS handshake with {host}: timed out: the server did not answer in time"),
        );
    }
    let mut err = Error::from_io(&format!("TLS handshake with {host}"), &e);
    if e.kind() == io::ErrorKind::InvalidData {
        err.kind = ErrorKind::Tls;
    }
    err
}

/// One HTTP request.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query, already percent-encoded, starting with `/`.
    pub target: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a [u8]>,
}

/// One HTTP response: status, headers, and the body when it was read into
/// memory (empty when it went to a [`Download`] sink).
#[derive(Debug, Default, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A request body streamed from a reader: exactly `len` bytes.
pub struct Upload<'a> {
    pub reader: &'a mut dyn Read,
    pub len: u64,
    /// The same bytes as an open file, from its current offset: over the
    /// unix socket the kernel sends them (`sendfile(2)`, no copy through
    /// this process) and `reader` is not read.
    pub file: Option<FileBody<'a>>,
}

/// A file to send as a request body (see [`Upload::file`]).
pub struct FileBody<'a> {
    pub fd: std::os::fd::BorrowedFd<'a>,
    /// Told each amount sent; false stops the transfer (`Cancelled`).
    pub sent: &'a dyn Fn(u64) -> bool,
}

/// Where a streamed response body goes: into `sink` when `accept` says so
/// after seeing the head, otherwise into `Response::body` (error documents,
/// folder listings), capped as any body in memory.
pub struct Download<'a> {
    pub sink: &'a mut dyn Write,
    pub accept: &'a dyn Fn(&Response) -> bool,
}

/// The time and memory one request may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Each read and each write (and the connect); None: no limit.
    pub io_timeout: Option<Duration>,
    /// The whole request, answer included; None: none.
    pub deadline: Option<Instant>,
    /// A body read into memory, in bytes.
    pub max_body: u64,
}

/// The largest response head (status line and headers) accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The largest error document read: LXD's are a few hundred bytes.
pub(crate) const MAX_ERROR_BODY: u64 = 1024 * 1024;
/// Connections kept alive per client.
const POOL_MAX: usize = 16;
const INPUT_BUFFER: usize = 128 * 1024;
const OUTPUT_BUFFER: usize = 64 * 1024;
const STREAM_CHUNK: usize = 256 * 1024;

/// Marks an error raised by the caller's reader or writer (a local file,
/// a progress callback), as opposed to the connection.
#[derive(Debug)]
pub struct LocalIoError(pub io::Error);

impl std::fmt::Display for LocalIoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::error::Error for LocalIoError {}

fn local_error(e: &io::Error) -> Option<&io::Error> {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<LocalIoError>())
        .map(|l| &l.0)
}

/// The caller's upload reader, its errors marked as local.
struct LocalReader<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}

impl Read for LocalReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io::Error::new(e.kind(), LocalIoError(e))),
            }
        };
        if n == 0 {
            let e = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the local file became shorter while it was sent",
            );
            return Err(io::Error::new(e.kind(), LocalIoError(e)));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The requests of one client to one daemon, or to the members of one
/// cluster (several endpoints). Thread-safe.
pub struct Transport {
    members: Vec<Member>,
    /// The member that answered last.
    answered: std::sync::atomic::AtomicUsize,
    /// Move to another member when the one in use stops answering.
    failover: bool,
    io_timeout: Option<Duration>,
}

/// One endpoint of a transport: its connections, and whether it answers.
struct Member {
    dialer: Arc<Dialer>,
    base: String,
    agent: ureq::Agent,
    health: Mutex<Health>,
}

/// A member that failed is left alone until `down_until`; each failure in
/// a row doubles the back-off, from [`BACKOFF_FIRST`] up to [`BACKOFF_MAX`].
#[derive(Debug, Default, Clone, Copy)]
struct Health {
    down_until: Option<Instant>,
    backoff: Duration,
}

/// How long a member that stopped answering is left alone at first.
pub(crate) const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// The longest a member is left alone before it is tried again.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(8);

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field(
                "endpoints",
                &self
                    .members
                    .iter()
                    .map(|m| &m.dialer.endpoint)
                    .collect::<Vec<_>>(),
            )
            .field("failover", &self.failover)
            .finish()
    }
}

/// How an attempt failed: on a stale pooled connection (resend if the
/// request allows), before any connection carried it (so it was not
/// sent), or for good.
enum Failure {
    Stale,
    Unsent(Error),
    Final(Error),
}

impl Member {
    fn new(
        endpoint: Endpoint,
        tls: Option<Arc<ClientConfig>>,
        io_timeout: Option<Duration>,
    ) -> Member {
        let base = match &endpoint {
            Endpoint::Unix(_) => "http://lxd".to_string(),
            Endpoint::Https { .. } => format!("https://{}", endpoint.host_header()),
        };
        let dialer = Arc::new(Dialer {
            host_header: endpoint.host_header(),
            endpoint,
            tls,
            connect_timeout: io_timeout.unwrap_or(Duration::from_secs(30)),
            broken: Arc::new(AtomicU64::new(0)),
        });
        let config = ureq::config::Config::builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("liblxd/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .max_response_header_size(MAX_HEAD)
            .input_buffer_size(INPUT_BUFFER)
            .output_buffer_size(OUTPUT_BUFFER)
            .max_idle_connections(POOL_MAX)
            .max_idle_connections_per_host(POOL_MAX)
            .max_idle_age(Duration::from_secs(3600))
            .timeout_per_read(io_timeout)
            .timeout_per_write(io_timeout)
            .build();
        let connector = LxdConnector {
            dialer: dialer.clone(),
            input_buffer: INPUT_BUFFER,
            output_buffer: OUTPUT_BUFFER,
        };
        Member {
            agent: ureq::Agent::with_parts(config, connector, NoResolver),
            dialer,
            base,
            health: Mutex::new(Health::default()),
        }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mark_down(&self) {
        let mut h = self.health();
        let now = Instant::now();
        h.backoff = if h.backoff.is_zero() {
            BACKOFF_FIRST
        } else {
            (h.backoff * 2).min(BACKOFF_MAX)
        };
        h.down_until = Some(now + h.backoff);
    }

    fn mark_up(&self) {
        let mut h = self.health();
        if h.down_until.is_some() || !h.backoff.is_zero() {
            *h = Health::default();
        }
    }
}

/// Whether a failure says the member is not answering (refused, reset,
/// timed out), as opposed to an answer or a problem of the request.
fn member_failed(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout)
}

impl Transport {
    /// `io_timeout` bounds each read, write and connect by default.
    pub fn new(
        endpoint: Endpoint,
        tls: Option<Arc<ClientConfig>>,
        io_timeout: Option<Duration>,
    ) -> Transport {
        Transport::with_members(vec![endpoint], tls, io_timeout, false)
    }

    /// A transport to the members of one cluster, in order of preference:
    /// with `failover`, a request goes to the first member that is not
    /// left alone after a failure, and moves on to the next when the
    /// member stops answering (see [`Transport::send`]); without, only
    /// the first member is used.
    pub fn with_members(
        endpoints: Vec<Endpoint>,
        tls: Option<Arc<ClientConfig>>,
        io_timeout: Option<Duration>,
        failover: bool,
    ) -> Transport {
        assert!(!endpoints.is_empty(), "a transport needs an endpoint");
        Transport {
            members: endpoints
                .into_iter()
                .map(|e| Member::new(e, tls.clone(), io_timeout))
                .collect(),
            failover,
            io_timeout,
            answered: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The member requests go to now: the first one (in the order given)
    /// that is not left alone after a failure; if all are, the one whose
    /// back-off ends first.
    pub fn current(&self) -> usize {
        self.pick(&[])
    }

    /// `current`, skipping the members of `tried`.
    fn pick(&self, tried: &[usize]) -> usize {
        if !self.failover || self.members.len() == 1 {
            return 0;
        }
        let now = Instant::now();
        let mut soonest: Option<(Instant, usize)> = None;
        for (i, m) in self.members.iter().enumerate() {
            if tried.contains(&i) {
                continue;
            }
            match m.health().down_until {
                None => return i,
                Some(t) if t <= now => return i,
                Some(t) => {
                    if soonest.is_none_or(|(s, _)| t < s) {
                        soonest = Some((t, i));
                    }
                }
            }
        }
        soonest.map_or(0, |(_, i)| i)
    }

    /// The endpoints, in order of preference.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.members.iter().map(|m| &m.dialer.endpoint)
    }

    /// The endpoint that answered the last request (before any: the
    /// first). The next request may go elsewhere: to a preferred member
    /// whose back-off is over.
    pub fn endpoint(&self) -> &Endpoint {
        &self.members[self.answered.load(Ordering::Relaxed)]
            .dialer
            .endpoint
    }

    /// A new connection for a websocket or a protocol upgrade, with the
    /// Host header of its member: to the member in use, or with failover
    /// to the next one that answers (nothing was sent on a connection that
    /// could not be opened).
    pub fn dial_within(&self, limit: Option<Duration>) -> Result<(Stream, &str)> {
        let mut tried = Vec::new();
        loop {
            let i = self.pick(&tried);
            let m = &self.members[i];
            match m.dialer.dial_within(limit) {
                Ok(s) => {
                    m.mark_up();
                    self.answered.store(i, Ordering::Relaxed);
                    return Ok((s, &m.dialer.host_header));
                }
                Err(e) if member_failed(&e) && self.failover && self.members.len() > 1 => {
                    m.mark_down();
                    tried.push(i);
                    if tried.len() == self.members.len() {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// How many connections were found closed or failed so far: pooled
    /// ones the server closed while idle, and those of requests that
    /// failed with a connection error or a timeout (or could not connect).
    /// It grows whenever the daemon restarts, whatever the client was
    /// doing then (it also grows when the daemon merely closes an idle
    /// connection or is slow).
    pub fn broken_connections(&self) -> u64 {
        self.members
            .iter()
            .map(|m| m.dialer.broken.load(Ordering::Relaxed))
            .sum()
    }

    /// Send one request and read its response: the body into memory (at
    /// most `limits.max_body` bytes), or into `download`'s sink when it
    /// accepts the head. An upload streams the request body from a reader.
    ///
    /// A request is sent again, on a new connection, only when it is
    /// idempotent (GET, HEAD; PUT, PATCH, DELETE guarded by If-Match; no
    /// streamed upload) and the kept-alive connection it went out on
    /// failed before any byte of the answer: the server had closed it.
    ///
    /// With several members and failover, a member that stops answering
    /// (connection refused or reset, timeout) is left alone for a back-off
    /// and the request goes to the next member when that is safe: always
    /// when no connection carried it; when it was sent, only if it is
    /// idempotent and nothing of the answer went to a download sink. A
    /// POST that may have reached the member is never resent: it fails
    /// with a connection error saying it may have been applied.
    pub fn send(
        &self,
        req: &Request<'_>,
        mut upload: Option<Upload<'_>>,
        mut download: Option<Download<'_>>,
        limits: &Limits,
    ) -> Result<Response> {
        let guarded = req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("if-match"));
        let idempotent = match req.method {
            "GET" | "HEAD" => true,
            "PUT" | "PATCH" | "DELETE" => guarded,
            _ => false,
        };
        let mut tried = Vec::new();
        loop {
            let i = self.pick(&tried);
            let m = &self.members[i];
            let mut written = false;
            let result = match download.as_mut() {
                Some(d) => {
                    let mut sink = Written {
                        inner: &mut *d.sink,
                        written: &mut written,
                    };
                    let d = Download {
                        sink: &mut sink,
                        accept: d.accept,
                    };
                    self.send_to(m, req, idempotent, upload.as_mut(), Some(d), limits)
                }
                None => self.send_to(m, req, idempotent, upload.as_mut(), None, limits),
            };
            let (e, sent) = match result {
                Ok(resp) => {
                    m.mark_up();
                    self.answered.store(i, Ordering::Relaxed);
                    return Ok(resp);
                }
                Err((e, sent)) => (e, sent),
            };
            let deadline_gone = limits.deadline.is_some_and(|d| Instant::now() >= d);
            if !member_failed(&e) || deadline_gone || self.members.len() == 1 || !self.failover {
                return Err(e);
            }
            m.mark_down();
            tried.push(i);
            let resend = !sent || (idempotent && upload.is_none() && !written);
            if !resend || tried.len() == self.members.len() {
                return Err(e);
            }
        }
    }

    /// `send` to one member, with the resends of stale kept-alive
    /// connections; on failure, the error and whether the request may
    /// have reached the member.
    fn send_to(
        &self,
        m: &Member,
        req: &Request<'_>,
        idempotent: bool,
        mut upload: Option<&mut Upload<'_>>,
        mut download: Option<Download<'_>>,
        limits: &Limits,
    ) -> std::result::Result<Response, (Error, bool)> {
        let ctx = || format!("{} {}", req.method, req.target);
        let resend = idempotent && upload.is_none();
        let mut attempts = 0;
        loop {
            let result = self.attempt(m, req, upload.as_deref_mut(), download.as_mut(), limits);
            let broke = match &result {
                Err(Failure::Stale) => true,
                Err(Failure::Final(e) | Failure::Unsent(e)) => member_failed(e),
                Ok(_) => false,
            };
            if broke {
                m.dialer.broken.fetch_add(1, Ordering::Relaxed);
            }
            match result {
                Ok(resp) => return Ok(resp),
                Err(Failure::Stale) if resend && attempts < POOL_MAX => attempts += 1,
                Err(Failure::Stale) => {
                    let mut msg = format!(
                        "{}: connection failure: the server closed the connection without answering",
                        ctx()
                    );
                    if !idempotent {
                        msg.push_str(" (the request may have been applied)");
                    }
                    return Err((Error::new(ErrorKind::Connection, msg), true));
                }
                // No connection carried it: nothing was applied.
                Err(Failure::Unsent(e)) => return Err((e, false)),
                Err(Failure::Final(mut e)) => {
                    if !idempotent && member_failed(&e) {
                        e.message.push_str(" (the request may have been applied)");
                    }
                    return Err((e, true));
                }
            }
        }
    }

    fn attempt(
        &self,
        m: &Member,
        req: &Request<'_>,
        upload: Option<&mut Upload<'_>>,
        download: Option<&mut Download<'_>>,
        limits: &Limits,
    ) -> std::result::Result<Response, Failure> {
        let ctx = || format!("{} {}", req.method, req.target);
        let mut builder = http::Request::builder()
            .method(req.method)
            .uri(format!("{}{}", m.base, req.target));
        for (k, v) in req.headers {
            builder = builder.header(*k, *v);
        }
        let mut resp = match (upload, req.body) {
            (Some(u), _) if u.file.is_some() && matches!(m.dialer.endpoint, Endpoint::Unix(_)) => {
                return self.send_file(m, req, u, limits);
            }
            (Some(u), _) => {
                let mut reader = LocalReader {
                    inner: &mut *u.reader,
                    left: u.len,
                };
                let built = builder
                    .header("Content-Length", u.len.to_string())
                    .body(SendBody::from_reader(&mut reader));
                self.run(m, &ctx, built, limits)?
            }
            (None, Some(bytes)) => self.run(m, &ctx, builder.body(bytes), limits)?,
            (None, None) if matches!(req.method, "POST" | "PUT" | "PATCH") => {
                self.run(m, &ctx, builder.body(&b""[..]), limits)?
            }
            (None, None) => self.run(m, &ctx, builder.body(()), limits)?,
        };
        let mut out = Response {
            status: resp.status().as_u16(),
            headers: std::mem::take(resp.headers_mut()),
            body: Vec::new(),
        };
        match download {
            Some(d) if (d.accept)(&out) => {
                let mut reader = resp.body_mut().as_reader();
                copy_to_sink(&mut reader, d.sink).map_err(|e| match local_error(&e) {
                    Some(l) => Failure::Final(Error::from_local_io(&ctx(), l)),
                    None => failure(&ctx(), ureq::Error::from(e)),
                })?;
            }
            _ => {
                let cap = if out.status >= 400 {
                    MAX_ERROR_BODY.min(limits.max_body)
                } else {
                    limits.max_body
                };
                // Sized from Content-Length (within the cap): one
                // allocation and no probing reads for the usual document.
                let hint = resp.body().content_length().unwrap_or(8 * 1024).min(cap);
                let mut body = Vec::with_capacity(usize::try_from(hint).unwrap_or(0) + 1);
                let read = resp
                    .body_mut()
                    .with_config()
                    .limit(cap)
                    .reader()
                    .read_to_end(&mut body);
                out.body = body;
                read.map_err(|e| match ureq::Error::from(e) {
                    ureq::Error::BodyExceedsLimit(_) => {
                        Failure::Final(too_large(&ctx(), out.status, cap))
                    }
                    e => failure(&ctx(), e),
                })?;
            }
        }
        Ok(out)
    }
}

impl Transport {
    fn run<S: ureq::AsSendBody>(
        &self,
        m: &Member,
        ctx: &dyn Fn() -> String,
        built: std::result::Result<http::Request<S>, http::Error>,
        limits: &Limits,
    ) -> std::result::Result<http::Response<ureq::Body>, Failure> {
        let request = built.map_err(|e| {
            Failure::Final(Error::invalid(format!(
                "{}: not a valid request: {e}",
                ctx()
            )))
        })?;
        // The agent's configuration covers the usual request; a deadline
        // or another I/O timeout needs a request-level one.
        let result = if limits.deadline.is_some() || limits.io_timeout != self.io_timeout {
            let global = match limits.deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Failure::Unsent(deadline_passed(&ctx())));
                    }
                    Some(left)
                }
                None => None,
            };
            let request = m
                .agent
                .configure_request(request)
                .timeout_global(global)
                .timeout_per_read(limits.io_timeout)
                .timeout_per_write(limits.io_timeout)
                .build();
            m.agent.run(request)
        } else {
            m.agent.run(request)
        };
        result.map_err(|e| failure(&ctx(), e))
    }
}

/// A sink that notes whether anything was written to it.
struct Written<'a, 'b> {
    inner: &'a mut dyn Write,
    written: &'b mut bool,
}

impl Write for Written<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            *self.written = true;
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn copy_to_sink(reader: &mut dyn Read, sink: &mut dyn Write) -> io::Result<()> {
    let mut buf = vec![0u8; STREAM_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.write_all(&buf[..n])
            .map_err(|e| io::Error::new(e.kind(), LocalIoError(e)))?;
    }
}

fn deadline_passed(ctx: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("{ctx}: timed out: the call's deadline passed"),
    )
}

fn too_large(ctx: &str, status: u16, cap: u64) -> Error {
    let what = if status >= 400 {
        "error response"
    } else {
        "response"
    };
    Error {
        kind: ErrorKind::ResponseTooLarge,
        message: format!(
            "{ctx}: the {what} (HTTP {status}) is larger than {cap} bytes; not read (see the max_response_bytes option)"
        ),
        http_status: 0,
    }
}

/// Map a ureq error to ours (or to a stale connection, to resend).
fn failure(ctx: &str, e: ureq::Error) -> Failure {
    use ureq::Timeout as T;
    let err = match e {
        ureq::Error::Io(io) => {
            if io.get_ref().is_some_and(|i| i.is::<StaleConnection>()) {
                return Failure::Stale;
            }
            if let Some(c) = io.get_ref().and_then(|i| i.downcast_ref::<ConnectFailed>()) {
                return Failure::Unsent(c.0.clone());
            }
            if let Some(l) = local_error(&io) {
                return Failure::Final(Error::from_local_io(ctx, l));
            }
            Error::from_io(ctx, &io)
        }
        ureq::Error::Timeout(T::Global) => deadline_passed(ctx),
        ureq::Error::Timeout(T::PerRead) => Error::new(
            ErrorKind::Timeout,
            format!("{ctx}: timed out: no data from the server within the timeout"),
        ),
        ureq::Error::Timeout(T::PerWrite) => Error::new(
            ErrorKind::Timeout,
            format!("{ctx}: timed out: the server took no data within the timeout"),
        ),
        ureq::Error::Timeout(t) => {
            Error::new(ErrorKind::Timeout, format!("{ctx}: timed out ({t})"))
        }
        ureq::Error::LargeResponseHeader(_, limit) => Error::protocol(format!(
            "{ctx}: malformed HTTP response: the response head is larger than {limit} bytes"
        )),
        ureq::Error::Protocol(p) => Error::protocol(format!(
            "{ctx}: malformed HTTP response: {p} (it began {:?})",
            glue::response_start()
        )),
        ureq::Error::BodyExceedsLimit(n) => too_large(ctx, 200, n),
        ureq::Error::Http(h) => Error::invalid(format!("{ctx}: not a valid request: {h}")),
        ureq::Error::BadUri(u) => Error::invalid(format!("{ctx}: not a valid request path: {u}")),
        other => Error::new(ErrorKind::Connection, format!("{ctx}: {other}")),
    };
    Failure::Final(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixListener;
    use std::sync::Mutex;

    /// What the fake server saw: one entry per request, "METHOD target".
    type Seen = Arc<Mutex<Vec<String>>>;

    /// A FAKE HTTP server on a unix socket (not LXD: a real daemon cannot
    /// be made to misbehave on demand). `serve` runs for each accepted
    /// connection with its number (0, 1, …) and the request log.
    fn fake(
        serve: impl Fn(usize, BufReader<UnixStream>, Seen) + Send + Sync + 'static,
    ) -> (tempfile::TempDir, Transport, Seen) {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("s")).unwrap();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let serve = Arc::new(serve);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let (serve, log) = (serve.clone(), log.clone());
                std::thread::spawn(move || serve(n, BufReader::new(stream), log));
            }
        });
        let t = Transport::new(
            Endpoint::Unix(dir.path().join("s")),
            None,
            Some(Duration::from_secs(5)),
        );
        (dir, t, seen)
    }

    /// Read one request (head and Content-Length body); None at end of file.
    fn read_request(r: &mut BufReader<UnixStream>, seen: &Seen) -> Option<String> {
        let mut first = String::new();
        if r.read_line(&mut first).ok()? == 0 {
            return None;
        }
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            r.read_line(&mut line).ok()?;
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().ok()?;
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).ok()?;
        let target = first.split(' ').take(2).collect::<Vec<_>>().join(" ");
        seen.lock().unwrap().push(target.clone());
        Some(target.split(' ').nth(1).unwrap_or("").to_string())
    }

    fn ok(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn limits() -> Limits {
        Limits {
            io_timeout: Some(Duration::from_secs(5)),
            deadline: None,
            max_body: 1 << 20,
        }
    }

    fn call(
        t: &Transport,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<Response> {
        let body = (method != "GET").then_some(&b"{}"[..]);
        t.send(
            &Request {
                method,
                target,
                headers,
                body,
            },
            None,
            None,
            &limits(),
        )
    }

    fn get(t: &Transport, target: &str) -> Result<Response> {
        call(t, "GET", target, &[])
    }

    /// A reader that must not be read: a body sent by sendfile(2) skips it.
    struct Unread;
    impl Read for Unread {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            panic!("the reader was read although the file went by sendfile")
        }
    }

    /// POST `len` bytes of a temporary file through the sendfile path;
    /// `stop_after`: the progress callback says stop once that much went.
    fn post_file(t: &Transport, len: usize, stop_after: Option<u64>) -> (Result<Response>, u64) {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&(0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>())
            .unwrap();
        use std::io::Seek;
        f.seek(io::SeekFrom::Start(0)).unwrap();
        let total = std::cell::Cell::new(0u64);
        let sent = |n: u64| {
            total.set(total.get() + n);
            stop_after.is_none_or(|s| total.get() < s)
        };
        let mut unread = Unread;
        let resp = t.send(
            &Request {
                method: "POST",
                target: "/1.0/instances/c/files?path=%2Fx",
                headers: &[("X-LXD-type", "file")],
                body: None,
            },
            Some(Upload {
                reader: &mut unread,
                len: len as u64,
                file: Some(FileBody {
                    fd: std::os::fd::AsFd::as_fd(&f),
                    sent: &sent,
                }),
            }),
            None,
            &limits(),
        );
        (resp, total.get())
    }

    #[test]
    fn a_file_body_goes_by_sendfile_and_the_answer_is_read_to_the_close() {
        const LEN: usize = 3 << 20;
        let (_d, t, seen) = fake(|_, mut r, seen| {
            let mut head = String::new();
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                head.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; LEN];
            r.read_exact(&mut body).unwrap();
            let intact = body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8);
            seen.lock().unwrap().push(format!("{head}intact={intact}"));
            // chunked, then the close the request asked for
            let doc = r#"{"type":"sync","status":"Success","status_code":200,"metadata":{}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{doc}\r\n0\r\n\r\n",
                doc.len()
            );
            r.get_mut().write_all(answer.as_bytes()).unwrap();
        });
        let (resp, total) = post_file(&t, LEN, None);
        let resp = resp.unwrap();
        assert_eq!(resp.status, 200);
        assert!(String::from_utf8_lossy(&resp.body).contains(r#""status_code":200"#));
        assert_eq!(total, LEN as u64);
        let seen = seen.lock().unwrap();
        let head = seen[0].to_ascii_lowercase();
        assert!(
            head.starts_with("post /1.0/instances/c/files?path=%2fx http/1.1\r\n"),
            "{head}"
        );
        for h in [
            "content-length: 3145728",
            "connection: close",
            "x-lxd-type: file",
            "host: ",
        ] {
            assert!(head.contains(h), "{h} missing in {head}");
        }
        assert!(head.ends_with("intact=true"), "{head}");
    }

    #[test]
    fn a_refusal_before_the_body_is_read_is_the_servers_answer() {
        let (_d, t, _seen) = fake(|_, mut r, _| {
            let mut line = String::new();
            while r.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let doc = r#"{"type":"error","error":"not found","error_code":404}"#;
            let answer = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n{doc}",
                doc.len()
            );
            r.get_mut().write_all(answer.as_bytes()).unwrap();
            // closes with most of the body unread
        });
        let (resp, _) = post_file(&t, 32 << 20, None);
        let resp = resp.unwrap();
        assert_eq!(resp.status, 404);
        assert!(String::from_utf8_lossy(&resp.body).contains("not found"));
    }

    #[test]
    fn the_progress_callback_stops_a_file_body() {
        let (_d, t, _seen) = fake(|_, mut r, _| {
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink);
        });
        let (resp, total) = post_file(&t, 8 << 20, Some(2 << 20));
        let e = resp.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled, "{e:?}");
        assert!((2 << 20..8 << 20).contains(&total), "{total}");
    }

    /// Answers each request with its own target, forever, on every connection.
    fn echo(_: usize, mut r: BufReader<UnixStream>, seen: Seen) {
        while let Some(target) = read_request(&mut r, &seen) {
            if r.get_mut().write_all(ok(&target).as_bytes()).is_err() {
                return;
            }
        }
    }

    #[test]
    fn connections_are_kept_alive_and_reused() {
        let (_d, t, seen) = fake(echo);
        for i in 0..10 {
            let path = format!("/1.0/{i}");
            assert_eq!(get(&t, &path).unwrap().body, path.as_bytes());
        }
        assert_eq!(seen.lock().unwrap().len(), 10);
        assert_eq!(t.broken_connections(), 0);
    }

    #[test]
    fn a_connection_closed_while_idle_is_replaced_transparently() {
        // The fake answers one request per connection, then closes it
        // without saying so, like a server whose idle timeout fired.
        let (_d, t, _) = fake(|_, mut r, seen| {
            if let Some(target) = read_request(&mut r, &seen) {
                let _ = r.get_mut().write_all(ok(&target).as_bytes());
            }
        });
        for i in 0..6 {
            let path = format!("/x/{i}");
            // Let the close arrive before the next request goes out.
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(get(&t, &path).unwrap().body, path.as_bytes());
        }
        assert!(t.broken_connections() >= 5);
    }

    #[test]
    fn informational_responses_are_skipped() {
        let (_d, t, _) = fake(|_, mut r, seen| {
            while let Some(target) = read_request(&mut r, &seen) {
                let resp = format!(
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n{}",
                    ok(&target)
                );
                let _ = r.get_mut().write_all(resp.as_bytes());
            }
        });
        assert_eq!(get(&t, "/first").unwrap().body, b"/first");
        assert_eq!(get(&t, "/second").unwrap().body, b"/second");
    }

    #[test]
    fn unannounced_bytes_never_reach_the_next_request() {
        // The fake follows its answer with a second, unasked-for one: a
        // connection that carries it must never serve another request.
        let (_d, t, _) = fake(|_, mut r, seen| {
            while let Some(target) = read_request(&mut r, &seen) {
                let resp = format!("{}{}", ok(&target), ok("/stale-extra"));
                let _ = r.get_mut().write_all(resp.as_bytes());
            }
        });
        for name in ["/first", "/second", "/third"] {
            std::thread::sleep(Duration::from_millis(5));
            assert_eq!(get(&t, name).unwrap().body, name.as_bytes());
        }
    }

    /// Reads a request, then closes the connection without answering, on
    /// every connection after the first (which answers one request, so the
    /// client has a kept-alive connection to reuse).
    fn drop_after_reading(n: usize, mut r: BufReader<UnixStream>, seen: Seen) {
        if n == 0
            && let Some(target) = read_request(&mut r, &seen)
        {
            let _ = r.get_mut().write_all(ok(&target).as_bytes());
            // Read the next request whole, answer nothing.
            read_request(&mut r, &seen);
        } else {
            read_request(&mut r, &seen);
        }
    }

    #[test]
    fn a_post_is_never_sent_twice() {
        let (_d, t, seen) = fake(drop_after_reading);
        get(&t, "/warm-up").unwrap();
        let e = call(&t, "POST", "/1.0/instances", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection, "{}", e.message);
        assert!(e.message.contains("may have been applied"), "{}", e.message);
        std::thread::sleep(Duration::from_millis(20));
        let posts = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.starts_with("POST"))
            .count();
        assert_eq!(posts, 1, "{:?}", seen.lock().unwrap());
    }

    #[test]
    fn failed_requests_count_as_broken_connections() {
        // What tells a client that the daemon may have restarted: not only
        // pooled connections found closed while idle, but the connection
        // of a request that broke under it, and a connect that failed.
        let (_d, t, _) = fake(drop_after_reading);
        get(&t, "/warm-up").unwrap();
        assert_eq!(t.broken_connections(), 0);
        call(&t, "POST", "/1.0/instances", &[]).unwrap_err();
        assert!(t.broken_connections() >= 1);
        let t = Transport::new(
            Endpoint::Unix("/nonexistent/x.socket".into()),
            None,
            Some(Duration::from_secs(1)),
        );
        get(&t, "/1.0").unwrap_err();
        assert_eq!(t.broken_connections(), 1);
        // A POST that no connection carried was not applied, and says so
        // by not saying it may have been.
        let e = call(&t, "POST", "/1.0/instances", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection);
        assert!(
            !e.message.contains("may have been applied"),
            "{}",
            e.message
        );
    }

    #[test]
    fn idempotent_requests_are_resent_after_a_stale_connection() {
        // Connection 0 answers one request, reads the next and drops it;
        // later connections answer everything.
        let (_d, t, seen) = fake(|n, r, seen| {
            if n == 0 {
                drop_after_reading(n, r, seen)
            } else {
                echo(n, r, seen)
            }
        });
        get(&t, "/warm-up").unwrap();
        assert_eq!(get(&t, "/again").unwrap().body, b"/again");
        let log = seen.lock().unwrap().clone();
        assert_eq!(log, ["GET /warm-up", "GET /again", "GET /again"]);
    }

    #[test]
    fn a_put_is_resent_only_when_guarded_by_if_match() {
        let (_d, t, seen) = fake(|n, r, seen| {
            if n % 2 == 0 {
                drop_after_reading(0, r, seen)
            } else {
                echo(n, r, seen)
            }
        });
        // Connection 0: warm-up answered, guarded PUT dropped, resent on 1.
        get(&t, "/warm-up").unwrap();
        let guarded = call(&t, "PUT", "/p", &[("If-Match", "\"e\"")]).unwrap();
        assert_eq!(guarded.body, b"/p");
        // An unguarded PUT on a stale connection fails and is not resent.
        drop(t);
        let (_d, t, seen2) = fake(drop_after_reading);
        get(&t, "/warm-up").unwrap();
        let e = call(&t, "PUT", "/q", &[]).unwrap_err();
        assert!(e.message.contains("may have been applied"), "{}", e.message);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            seen.lock()
                .unwrap()
                .iter()
                .filter(|s| *s == "PUT /p")
                .count(),
            2
        );
        assert_eq!(
            seen2
                .lock()
                .unwrap()
                .iter()
                .filter(|s| *s == "PUT /q")
                .count(),
            1
        );
    }

    /// Announces `len` bytes (or chunks forever) and streams zeros until
    /// the client goes away.
    fn huge(status: u16, chunked: bool) -> impl Fn(usize, BufReader<UnixStream>, Seen) {
        move |_, mut r, seen| {
            read_request(&mut r, &seen);
            let head = if chunked {
                format!("HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n\r\n")
            } else {
                format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
                    2u64 << 30
                )
            };
            let w = r.get_mut();
            if w.write_all(head.as_bytes()).is_err() {
                return;
            }
            let block = vec![b'0'; 64 * 1024];
            loop {
                let sent = if chunked {
                    w.write_all(format!("{:x}\r\n", block.len()).as_bytes())
                        .and_then(|_| w.write_all(&block))
                        .and_then(|_| w.write_all(b"\r\n"))
                } else {
                    w.write_all(&block)
                };
                if sent.is_err() {
                    return;
                }
            }
        }
    }

    #[test]
    fn bodies_in_memory_stop_at_the_cap() {
        for (status, chunked) in [(200, false), (200, true), (500, false), (500, true)] {
            let (_d, t, _) = fake(huge(status, chunked));
            let e = get(&t, "/big").unwrap_err();
            assert_eq!(e.kind, ErrorKind::ResponseTooLarge, "{}", e.message);
            assert!(
                e.message.contains(&format!("HTTP {status}")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn streamed_downloads_have_no_cap() {
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            let n = 3usize << 20;
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n");
            let _ = r.get_mut().write_all(head.as_bytes());
            let _ = r.get_mut().write_all(&vec![b'z'; n]);
        });
        let mut sink = Vec::new();
        let resp = t
            .send(
                &Request {
                    method: "GET",
                    target: "/file",
                    headers: &[],
                    body: None,
                },
                None,
                Some(Download {
                    sink: &mut sink,
                    accept: &|r| r.status == 200,
                }),
                &limits(),
            )
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(sink.len(), 3 << 20);
    }

    #[test]
    fn a_huge_head_is_a_protocol_error() {
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            let head = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n", "a".repeat(200_000));
            let _ = r.get_mut().write_all(head.as_bytes());
        });
        let e = get(&t, "/").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol, "{}", e.message);
    }

    #[test]
    fn not_http_is_a_protocol_error_that_shows_what_came() {
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            let _ = r.get_mut().write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
        });
        let e = get(&t, "/").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol, "{}", e.message);
        assert!(e.message.contains("SSH-2.0"), "{}", e.message);
    }

    #[test]
    fn a_deadline_bounds_a_trickling_response() {
        // One byte every 100 ms: each read is quick, the whole never ends.
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            let _ = r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if r.get_mut().write_all(b"x").is_err() {
                    return;
                }
            }
        });
        let started = Instant::now();
        let e = t
            .send(
                &Request {
                    method: "GET",
                    target: "/slow",
                    headers: &[],
                    body: None,
                },
                None,
                None,
                &Limits {
                    deadline: Some(Instant::now() + Duration::from_millis(600)),
                    ..limits()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
        assert!(e.message.contains("deadline"), "{}", e.message);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    fn get_within(t: &Transport, limits: &Limits) -> (Result<Response>, Duration) {
        let started = Instant::now();
        let r = t.send(
            &Request {
                method: "GET",
                target: "/1.0",
                headers: &[],
                body: None,
            },
            None,
            None,
            limits,
        );
        (r, started.elapsed())
    }

    #[test]
    fn a_timeout_of_seconds_is_not_overshot() {
        // The kernel fires a socket timeout of 2.5 s up to 250 ms late (its
        // timer wheel, HZ=250); reads wait in slices of at most a second.
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            std::thread::sleep(Duration::from_secs(4));
        });
        let limit = Duration::from_millis(2500);
        for per_read in [true, false] {
            let limits = if per_read {
                Limits {
                    io_timeout: Some(limit),
                    ..limits()
                }
            } else {
                Limits {
                    io_timeout: None,
                    deadline: Some(Instant::now() + limit),
                    ..limits()
                }
            };
            let (r, took) = get_within(&t, &limits);
            assert_eq!(r.unwrap_err().kind, ErrorKind::Timeout);
            assert!(took >= limit - Duration::from_millis(5), "{took:?}");
            assert!(took < limit + Duration::from_millis(100), "{took:?}");
        }
    }

    #[test]
    fn a_deadline_bounds_the_tls_handshake_of_a_new_connection() {
        // A server that takes the TCP connection and never answers the TLS
        // handshake (a frozen daemon): the call's deadline ends the
        // handshake, not the client's 10 s connect timeout.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().take(4).collect();
            std::thread::sleep(Duration::from_secs(5));
            drop(held);
        });
        let config = tls::client_config(&tls::TlsOptions {
            client_cert: None,
            trust: tls::ServerTrust::Insecure,
        })
        .unwrap();
        let t = Transport::new(
            Endpoint::Https {
                host: "127.0.0.1".into(),
                port,
            },
            Some(config),
            Some(Duration::from_secs(10)),
        );
        let (r, took) = get_within(
            &t,
            &Limits {
                deadline: Some(Instant::now() + Duration::from_millis(700)),
                ..limits()
            },
        );
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
        assert!(took < Duration::from_millis(800), "{took:?}: {}", e.message);
        assert!(e.message.contains("TLS handshake"), "{}", e.message);
        assert_eq!(t.broken_connections(), 1);
    }

    #[test]
    fn a_silent_server_times_out_per_read() {
        let (_d, t, _) = fake(|_, mut r, seen| {
            read_request(&mut r, &seen);
            std::thread::sleep(Duration::from_secs(3));
        });
        let e = t
            .send(
                &Request {
                    method: "GET",
                    target: "/silent",
                    headers: &[],
                    body: None,
                },
                None,
                None,
                &Limits {
                    io_timeout: Some(Duration::from_millis(300)),
                    ..limits()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
    }

    /// FAKE members of a cluster: one serving each connection with `first`,
    /// the other echoing; a transport with failover over both (the first
    /// preferred).
    fn two_members(
        first: impl Fn(usize, BufReader<UnixStream>, Seen) + Send + Sync + 'static,
        failover: bool,
    ) -> (Vec<tempfile::TempDir>, Transport, Seen, Seen) {
        let (d1, t1, seen1) = fake(first);
        let (d2, t2, seen2) = fake(echo);
        let endpoints = vec![t1.endpoint().clone(), t2.endpoint().clone()];
        let t = Transport::with_members(endpoints, None, Some(Duration::from_secs(5)), failover);
        (vec![d1, d2], t, seen1, seen2)
    }

    fn count(seen: &Seen, prefix: &str) -> usize {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|s| s.starts_with(prefix))
            .count()
    }

    #[test]
    fn a_member_that_drops_requests_is_left_for_the_next_one() {
        let (_d, t, seen1, seen2) = two_members(drop_after_reading, true);
        assert_eq!(t.current(), 0);
        get(&t, "/warm-up").unwrap();
        // GET, and PUT guarded by an ETag: resent to the other member.
        let r = get(&t, "/1.0/a").unwrap();
        assert_eq!(r.body, b"/1.0/a");
        assert_eq!(t.current(), 1, "the failed member is left alone");
        assert_eq!(count(&seen2, "GET /1.0/a"), 1);
        assert!(count(&seen1, "GET /1.0/a") >= 1);
        call(&t, "PUT", "/1.0/b", &[("If-Match", "\"x\"")]).unwrap();
        assert_eq!(count(&seen2, "PUT /1.0/b"), 1);
    }

    #[test]
    fn a_post_that_may_have_reached_a_member_is_never_resent_to_another() {
        let (_d, t, seen1, seen2) = two_members(drop_after_reading, true);
        get(&t, "/warm-up").unwrap();
        let e = call(&t, "POST", "/1.0/instances", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection, "{}", e.message);
        assert!(e.message.contains("may have been applied"), "{}", e.message);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(count(&seen1, "POST"), 1);
        assert_eq!(
            count(&seen2, "POST"),
            0,
            "the POST went to the other member too"
        );
        // A PUT without an ETag is not resent either.
        let (_d, t, _seen1, seen2) = two_members(drop_after_reading, true);
        get(&t, "/warm-up").unwrap();
        assert!(call(&t, "PUT", "/1.0/c", &[]).is_err());
        assert_eq!(count(&seen2, "PUT"), 0);
        // The next call goes to the member that answers.
        assert_eq!(get(&t, "/1.0/d").unwrap().body, b"/1.0/d");
        assert_eq!(count(&seen2, "GET /1.0/d"), 1);
    }

    #[test]
    fn an_unreachable_member_is_skipped_for_every_method_then_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let gone = Endpoint::Unix(dir.path().join("later"));
        let (_d2, t2, seen2) = fake(echo);
        let t = Transport::with_members(
            vec![gone, t2.endpoint().clone()],
            None,
            Some(Duration::from_secs(5)),
            true,
        );
        // Nothing was sent to the first: even a POST goes to the second.
        assert_eq!(call(&t, "POST", "/1.0/x", &[]).unwrap().body, b"/1.0/x");
        assert_eq!(count(&seen2, "POST /1.0/x"), 1);
        assert_eq!(t.current(), 1);
        assert_eq!(t.endpoint(), t2.endpoint(), "the member that answered");
        // The first member comes up; after its back-off it is used again.
        let listener = UnixListener::bind(dir.path().join("later")).unwrap();
        let seen1: Seen = Arc::default();
        let log = seen1.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = log.clone();
                std::thread::spawn(move || echo(0, BufReader::new(stream), log));
            }
        });
        std::thread::sleep(BACKOFF_FIRST + Duration::from_millis(50));
        assert_eq!(t.current(), 0);
        assert_eq!(get(&t, "/1.0/y").unwrap().body, b"/1.0/y");
        assert_eq!(count(&seen1, "GET /1.0/y"), 1);
        // Websocket and upgrade connections follow the same rule.
        let (_, host) = t.dial_within(None).unwrap();
        assert_eq!(host, "lxd");
    }

    #[test]
    fn failover_off_stays_on_the_first_member() {
        let (_d, t, _seen1, seen2) = two_members(drop_after_reading, false);
        get(&t, "/warm-up").unwrap();
        assert!(get(&t, "/1.0/a").is_err());
        assert_eq!(t.current(), 0);
        assert!(seen2.lock().unwrap().is_empty());
    }

    #[test]
    fn back_off_doubles_up_to_its_limit_and_resets_on_an_answer() {
        let m = Member::new(Endpoint::Unix("/nonexistent/x".into()), None, None);
        let mut last = Duration::ZERO;
        for _ in 0..10 {
            m.mark_down();
            let b = m.health().backoff;
            assert!(b >= last && b <= BACKOFF_MAX);
            last = b;
        }
        assert_eq!(last, BACKOFF_MAX);
        m.mark_up();
        assert!(m.health().down_until.is_none());
        m.mark_down();
        assert_eq!(m.health().backoff, BACKOFF_FIRST);
    }

    #[test]
    fn unreachable_socket_is_a_connection_error() {
        let t = Transport::new(
            Endpoint::Unix("/nonexistent/x.socket".into()),
            None,
            Some(Duration::from_secs(1)),
        );
        let e = get(&t, "/1.0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection);
        assert!(e.message.contains("/nonexistent/x.socket"), "{}", e.message);
    }

    fn parse(e: Option<&str>, dir: Option<&str>, snap: bool) -> Result<Endpoint> {
        Endpoint::parse_with(e, dir.map(PathBuf::from), |p| {
            snap && p == Path::new(SNAP_SOCKET)
        })
    }

    #[test]
    fn default_endpoint_follows_lxd_dir_then_snap_then_deb() {
        assert_eq!(
            parse(None, Some("/srv/lxd"), true).unwrap(),
            Endpoint::Unix("/srv/lxd/unix.socket".into())
        );
        assert_eq!(
            parse(None, None, true).unwrap(),
            Endpoint::Unix(SNAP_SOCKET.into())
        );
        assert_eq!(
            parse(None, None, false).unwrap(),
            Endpoint::Unix(DEB_SOCKET.into())
        );
        assert_eq!(
            parse(None, Some(""), false).unwrap(),
            Endpoint::Unix(DEB_SOCKET.into())
        );
    }

    #[test]
    fn explicit_endpoints() {
        assert_eq!(
            parse(Some("/tmp/x.socket"), None, false).unwrap(),
            Endpoint::Unix("/tmp/x.socket".into())
        );
        assert_eq!(
            parse(Some("unix:/tmp/y"), None, false).unwrap(),
            Endpoint::Unix("/tmp/y".into())
        );
        assert_eq!(
            parse(Some("https://127.0.0.1:8443"), None, false).unwrap(),
            Endpoint::Https {
                host: "127.0.0.1".into(),
                port: 8443
            }
        );
        assert_eq!(
            parse(Some("https://lxd.example/"), None, false).unwrap(),
            Endpoint::Https {
                host: "lxd.example".into(),
                port: 8443
            }
        );
        let v6 = parse(Some("https://[::1]:9443"), None, false).unwrap();
        assert_eq!(
            v6,
            Endpoint::Https {
                host: "::1".into(),
                port: 9443
            }
        );
        assert_eq!(v6.host_header(), "[::1]:9443");
        for bad in [
            "",
            "http://x",
            "https://",
            "https://h:notaport",
            "https://h/1.0",
        ] {
            let e = parse(Some(bad), None, false).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad}");
        }
    }
}
