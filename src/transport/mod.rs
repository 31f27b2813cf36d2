//! Connections to an LXD daemon: a unix socket or HTTPS, pooled and kept
//! alive, carrying one HTTP/1.1 request at a time each.

pub mod http;
pub mod tls;

use std::io::{self, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::error::{Error, ErrorKind, Result};
pub use http::{Request, Response};

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

/// One open connection.
pub enum Stream {
    Unix(UnixStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Unix(s) => s.as_fd(),
            Stream::Tls(s) => s.sock.as_fd(),
        }
    }
}

impl Stream {
    /// Switch the socket between blocking and non-blocking reads and writes.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_nonblocking(on),
            Stream::Tls(s) => s.sock.set_nonblocking(on),
        }
    }

    /// Bound each blocking read and write (None: no limit).
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Unix(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Tls(s) => {
                s.sock.set_read_timeout(t)?;
                s.sock.set_write_timeout(t)
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            // std sends on sockets with MSG_NOSIGNAL, so a peer that has
            // gone gives EPIPE, not a SIGPIPE that would kill the C program
            // (tests/c/test_transport.c guards this).
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

type Conn = BufReader<Stream>;

const POOL_MAX: usize = 16;

/// A thread-safe connection pool to one endpoint.
pub struct Transport {
    endpoint: Endpoint,
    host_header: String,
    tls: Option<Arc<ClientConfig>>,
    connect_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
}

impl Transport {
    pub fn new(
        endpoint: Endpoint,
        tls: Option<Arc<ClientConfig>>,
        connect_timeout: Duration,
    ) -> Transport {
        Transport {
            host_header: endpoint.host_header(),
            endpoint,
            tls,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The Host header for this endpoint (computed once).
    pub fn host_header(&self) -> &str {
        &self.host_header
    }

    fn connect(&self) -> Result<Conn> {
        Ok(BufReader::with_capacity(16 * 1024, self.open_stream()?))
    }

    /// A new connection of its own, outside the pool (for websockets).
    pub fn open_stream(&self) -> Result<Stream> {
        let stream = match &self.endpoint {
            Endpoint::Unix(path) => UnixStream::connect(path).map(Stream::Unix).map_err(|e| {
                Error::from_io(&format!("cannot connect to {}", path.display()), &e)
            })?,
            Endpoint::Https { host, port } => {
                let ctx = format!("cannot connect to {}", self.host_header);
                let addrs: Vec<_> = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| Error::from_io(&ctx, &e))?
                    .collect();
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
                let mut tcp = None;
                for addr in addrs {
                    match TcpStream::connect_timeout(&addr, self.connect_timeout) {
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
                let name = ServerName::try_from(host.clone()).map_err(|e| {
                    Error::new(ErrorKind::Tls, format!("bad server name {host:?}: {e}"))
                })?;
                let conn = ClientConnection::new(config, name)
                    .map_err(|e| Error::new(ErrorKind::Tls, format!("TLS setup: {e}")))?;
                let mut tls = StreamOwned::new(conn, tcp);
                tls.sock
                    .set_read_timeout(Some(self.connect_timeout))
                    .map_err(|e| Error::from_io(&ctx, &e))?;
                // Complete the handshake now, so certificate problems are
                // reported as TLS errors and not as request failures.
                while tls.conn.is_handshaking() {
                    tls.conn
                        .complete_io(&mut tls.sock)
                        .map_err(|e| handshake_error(&self.host_header, e))?;
                }
                Stream::Tls(Box::new(tls))
            }
        };
        Ok(stream)
    }

    fn checkout(&self) -> Option<Conn> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// A pooled connection that still looks open (an idle connection the
    /// server closed reads as ready), or a new one.
    fn checkout_live(&self) -> Result<Conn> {
        while let Some(conn) = self.checkout() {
            if conn.buffer().is_empty() && !ready_now(conn.get_ref()) {
                return Ok(conn);
            }
        }
        self.connect()
    }

    fn checkin(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_MAX {
            idle.push(conn);
        }
    }

    /// Send one request and read its whole response. `timeout` bounds each
    /// read and write (None: wait as long as the server takes).
    pub fn send(&self, req: &Request<'_>, timeout: Option<Duration>) -> Result<Response> {
        let wire = http::encode_request(req);
        let ctx = || format!("{} {}", req.method, req.target);
        // A pooled connection may have been closed by the server while idle;
        // if it fails before any response byte arrives, retry once on a new one.
        if let Some(conn) = self.checkout() {
            match self.exchange(conn, &wire, req.method, timeout) {
                Ok(resp) => return Ok(resp),
                Err(Attempt::Stale) => {}
                Err(Attempt::Failed(e)) => return Err(map_exchange_error(&ctx(), e)),
            }
        }
        let conn = self.connect()?;
        match self.exchange(conn, &wire, req.method, timeout) {
            Ok(resp) => Ok(resp),
            Err(Attempt::Stale) => Err(Error::new(
                ErrorKind::Connection,
                format!(
                    "{}: the server closed the connection without answering",
                    ctx()
                ),
            )),
            Err(Attempt::Failed(e)) => Err(map_exchange_error(&ctx(), e)),
        }
    }

    fn exchange(
        &self,
        mut conn: Conn,
        wire: &[u8],
        method: &str,
        timeout: Option<Duration>,
    ) -> std::result::Result<Response, Attempt> {
        conn.get_ref()
            .set_timeout(timeout)
            .map_err(Attempt::Failed)?;
        let sent = conn
            .get_mut()
            .write_all(wire)
            .and_then(|_| conn.get_mut().flush());
        if let Err(e) = sent {
            return Err(match e.kind() {
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => Attempt::Stale,
                _ => Attempt::Failed(e),
            });
        }
        let mut resp = match http::read_head(&mut conn) {
            Ok(Some(resp)) => resp,
            Ok(None) => return Err(Attempt::Stale),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Err(Attempt::Stale),
            Err(e) => return Err(Attempt::Failed(e)),
        };
        http::read_body(&mut conn, &mut resp, method).map_err(Attempt::Failed)?;
        if resp.keep_alive {
            self.checkin(conn);
        }
        Ok(resp)
    }
}

/// A request body streamed from a reader: exactly `len` bytes.
pub struct Upload<'a> {
    pub reader: &'a mut dyn Read,
    pub len: u64,
}

/// Where a streamed response body goes: into `sink` when `accept` says so
/// after seeing the head, otherwise into `Response::body` (error documents).
pub struct Download<'a> {
    pub sink: &'a mut dyn Write,
    pub accept: &'a dyn Fn(&Response) -> bool,
}

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

struct LocalWriter<'a>(&'a mut dyn Write, Option<io::Error>);

impl Write for LocalWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(|e| {
            self.1 = Some(e);
            io::Error::other("the local writer failed")
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Transport {
    /// Send one request whose body is streamed from `upload`, and stream
    /// the response body into `download` when it accepts the head. Memory
    /// stays at a buffer or two whatever the sizes. Errors of the caller's
    /// own reader or writer come back as io errors wrapping [`LocalIoError`].
    pub fn send_streaming(
        &self,
        req: &Request<'_>,
        upload: Option<Upload<'_>>,
        download: Option<Download<'_>>,
        timeout: Option<Duration>,
    ) -> Result<Response> {
        let ctx = || format!("{} {}", req.method, req.target);
        let head = match &upload {
            Some(u) => http::encode_head(req, u.len),
            None => http::encode_request(req),
        };
        let mut conn = self.checkout_live()?;
        conn.get_ref()
            .set_timeout(timeout)
            .map_err(|e| Error::from_io(&ctx(), &e))?;
        let sent = conn
            .get_mut()
            .write_all(&head)
            .and_then(|_| conn.get_mut().flush());
        if let Err(e) = sent {
            if !matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) {
                return Err(map_exchange_error(&ctx(), e));
            }
            // Closed under us between the check and the write: once more on
            // a new connection (nothing of the body was read yet).
            conn = self.connect()?;
            conn.get_ref()
                .set_timeout(timeout)
                .map_err(|e| Error::from_io(&ctx(), &e))?;
            conn.get_mut()
                .write_all(&head)
                .map_err(|e| map_exchange_error(&ctx(), e))?;
        }
        let mut body_error = None;
        if let Some(u) = upload {
            body_error = copy_body(u, conn.get_mut()).err();
        }
        // A connection error while sending the body: the server may have
        // answered early (an error) and closed; its answer says more than
        // the broken pipe does, so read on.
        if let Some(local) = body_error.as_ref().and_then(local_error) {
            return Err(Error::from_local_io(&ctx(), local));
        }
        let mut resp = match http::read_head(&mut conn) {
            Ok(Some(resp)) => resp,
            Ok(None) => {
                return Err(Error::new(
                    ErrorKind::Connection,
                    format!(
                        "{}: the server closed the connection without answering",
                        ctx()
                    ),
                ));
            }
            Err(e) => return Err(map_exchange_error(&ctx(), e)),
        };
        let result = match download {
            Some(d) if (d.accept)(&resp) => {
                let mut w = LocalWriter(d.sink, None);
                let r = http::read_body_to(&mut conn, &mut resp, req.method, &mut w);
                match (r, w.1.take()) {
                    (Ok(()), _) => Ok(()),
                    (Err(_), Some(local)) => Err(io::Error::new(local.kind(), LocalIoError(local))),
                    (Err(e), None) => Err(e),
                }
            }
            _ => http::read_body(&mut conn, &mut resp, req.method),
        };
        result.map_err(|e| match local_error(&e) {
            Some(local) => Error::from_local_io(&ctx(), local),
            None => map_exchange_error(&ctx(), e),
        })?;
        if resp.keep_alive && body_error.is_none() {
            self.checkin(conn);
        }
        Ok(resp)
    }
}

fn local_error(e: &io::Error) -> Option<&io::Error> {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<LocalIoError>())
        .map(|l| &l.0)
}

/// Copy exactly `u.len` bytes of the upload to the connection.
fn copy_body(u: Upload<'_>, out: &mut Stream) -> io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = u.len;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = match u.reader.read(&mut buf[..want]) {
            Ok(0) => {
                let e = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the local file became shorter while it was sent",
                );
                return Err(io::Error::new(e.kind(), LocalIoError(e)));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io::Error::new(e.kind(), LocalIoError(e))),
        };
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.flush()
}

/// Whether a socket is readable (or closed) right now, without blocking.
pub fn ready_now(fd: &impl AsFd) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&zero)) {
        Ok(n) => n > 0,
        Err(_) => true,
    }
}

enum Attempt {
    Stale,
    Failed(io::Error),
}

fn handshake_error(host: &str, e: io::Error) -> Error {
    let mut err = Error::from_io(&format!("TLS handshake with {host}"), &e);
    if e.kind() == io::ErrorKind::InvalidData {
        err.kind = ErrorKind::Tls;
    }
    err
}

/// An I/O error of an HTTP exchange: a malformed response is a protocol
/// error, anything else the connection's.
pub(crate) fn map_exchange_error(ctx: &str, e: io::Error) -> Error {
    let is_format = e
        .get_ref()
        .is_some_and(|i| i.downcast_ref::<http::HttpFormatError>().is_some());
    if is_format {
        return Error::protocol(format!("{ctx}: {e}"));
    }
    Error::from_io(ctx, &e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::os::unix::net::UnixListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fake HTTP server on a unix socket (not LXD): answers each request
    /// with its own path as the body, and closes every connection after
    /// `per_conn` requests. Counts the connections it accepted.
    fn fake_server(per_conn: usize) -> (tempfile::TempDir, Arc<AtomicUsize>) {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("s")).unwrap();
        let conns = Arc::new(AtomicUsize::new(0));
        let counter = conns.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut r = BufReader::new(stream);
                for _ in 0..per_conn {
                    let mut first = String::new();
                    if r.read_line(&mut first).unwrap_or(0) == 0 {
                        break;
                    }
                    let mut line = String::new();
                    while r.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    let path = first.split(' ').nth(1).unwrap_or("").to_string();
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{path}",
                        path.len()
                    );
                    if r.get_mut().write_all(resp.as_bytes()).is_err() {
                        break;
                    }
                }
            }
        });
        (dir, conns)
    }

    fn get(t: &Transport, path: &str) -> Result<Response> {
        t.send(
            &Request {
                method: "GET",
                target: path,
                host: "lxd",
                headers: &[],
                body: None,
            },
            Some(Duration::from_secs(5)),
        )
    }

    #[test]
    fn connections_are_kept_alive_and_reused() {
        let (dir, conns) = fake_server(usize::MAX);
        let t = Transport::new(
            Endpoint::Unix(dir.path().join("s")),
            None,
            Duration::from_secs(5),
        );
        for i in 0..10 {
            let path = format!("/1.0/{i}");
            assert_eq!(get(&t, &path).unwrap().body, path.as_bytes());
        }
        assert_eq!(conns.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_connection_closed_while_idle_is_replaced_transparently() {
        let (dir, conns) = fake_server(2);
        let t = Transport::new(
            Endpoint::Unix(dir.path().join("s")),
            None,
            Duration::from_secs(5),
        );
        for i in 0..6 {
            let path = format!("/x/{i}");
            assert_eq!(get(&t, &path).unwrap().body, path.as_bytes());
        }
        assert_eq!(conns.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn unreachable_socket_is_a_connection_error() {
        let t = Transport::new(
            Endpoint::Unix("/nonexistent/x.socket".into()),
            None,
            Duration::from_secs(1),
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
