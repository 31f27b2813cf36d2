//! One open connection to the daemon: a unix or TCP socket, plain or under
//! TLS, used by the HTTP client (as a ureq transport) and by websockets and
//! protocol upgrades (as a raw byte stream).
//!
//! Every write leaves through `send`/`sendmsg` with `MSG_NOSIGNAL`: a peer
//! that has gone gives `EPIPE`, never a SIGPIPE. A Rust program ignores
//! SIGPIPE at start-up, but the C, Go and Ruby programs that link liblxd do
//! not, and std's `write_vectored` (which rustls uses for TLS records) is a
//! plain `writev` that would raise it.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::net::{SendAncillaryBuffer, SendFlags, send, sendmsg};
use rustls::{ClientConnection, StreamOwned};

/// A connected stream socket whose writes never raise SIGPIPE.
#[derive(Debug)]
pub enum Socket {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Socket::Unix(s) => s.as_fd(),
            Socket::Tcp(s) => s.as_fd(),
        }
    }
}

fn retry_intr<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

impl Socket {
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Unix(s) => s.set_read_timeout(t),
            Socket::Tcp(s) => s.set_read_timeout(t),
        }
    }

    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Unix(s) => s.set_write_timeout(t),
            Socket::Tcp(s) => s.set_write_timeout(t),
        }
    }

    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Socket::Unix(s) => s.set_nonblocking(on),
            Socket::Tcp(s) => s.set_nonblocking(on),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Unix(s) => s.read(buf),
            Socket::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let fd = self.as_fd();
        retry_intr(|| send(fd, buf, SendFlags::NOSIGNAL))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let fd = self.as_fd();
        retry_intr(|| {
            sendmsg(
                fd,
                bufs,
                &mut SendAncillaryBuffer::default(),
                SendFlags::NOSIGNAL,
            )
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One open connection, plain or under TLS.
#[derive(Debug)]
pub enum Stream {
    Plain(Socket),
    Tls(Box<StreamOwned<ClientConnection, Socket>>),
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket().as_fd()
    }
}

impl Stream {
    pub fn socket(&self) -> &Socket {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.sock,
        }
    }

    /// Switch the socket between blocking and non-blocking reads and writes.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.socket().set_nonblocking(on)
    }

    /// Bound each blocking read and write (None: no limit).
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.socket().set_read_timeout(t)?;
        self.socket().set_write_timeout(t)
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Whether an idle connection can carry another request: nothing has
    /// arrived on it since its last response. Bytes there mean the server
    /// closed it (end of file), reset it, or sent something it never
    /// announced; all three rule it out. Under TLS, records that carry no
    /// data (session tickets, key updates) are taken in and do not count,
    /// and a close without `close_notify` counts as closed.
    pub fn idle_and_open(&mut self) -> bool {
        if !readable_now(self.socket()) {
            return true;
        }
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(t) => {
                if t.sock.set_nonblocking(true).is_err() {
                    return false;
                }
                let open = tls_only_housekeeping(t);
                open && t.sock.set_nonblocking(false).is_ok()
            }
        }
    }
}

/// Take in the TLS records waiting on a non-blocking socket; true when
/// none of them carried data or closed the connection.
fn tls_only_housekeeping(t: &mut StreamOwned<ClientConnection, Socket>) -> bool {
    loop {
        match t.conn.read_tls(&mut t.sock) {
            Ok(0) => return false,
            Ok(_) => match t.conn.process_new_packets() {
                Ok(state) if state.plaintext_bytes_to_read() > 0 || state.peer_has_closed() => {
                    return false;
                }
                Ok(_) => {}
                Err(_) => return false,
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Whether a socket is readable (or closed) right now, without blocking.
pub fn readable_now(fd: &impl AsFd) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&zero)) {
        Ok(n) => n > 0,
        Err(_) => true,
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_a_closed_peer_give_epipe_not_sigpipe() {
        // Rust ignores SIGPIPE, so this shows only the EPIPE; the C tests
        // (default dispositions) show that no signal is raised.
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let mut s = Socket::Unix(a);
        let data = vec![7u8; 64 * 1024];
        let mut saw_epipe = false;
        for _ in 0..8 {
            let e = s.write(&data).unwrap_err();
            saw_epipe |= e.kind() == io::ErrorKind::BrokenPipe;
            let bufs = [IoSlice::new(&data), IoSlice::new(&data)];
            let e = s.write_vectored(&bufs).unwrap_err();
            saw_epipe |= e.kind() == io::ErrorKind::BrokenPipe;
        }
        assert!(saw_epipe);
    }

    #[test]
    fn idle_probe_sees_close_and_unannounced_bytes() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut s = Stream::Plain(Socket::Unix(a));
        assert!(s.idle_and_open());
        (&b).write_all(b"x").unwrap();
        assert!(!s.idle_and_open());
        let (a, b) = UnixStream::pair().unwrap();
        let mut s = Stream::Plain(Socket::Unix(a));
        drop(b);
        assert!(!s.idle_and_open());
    }
}
