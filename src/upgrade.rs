//! HTTP/1.1 protocol upgrades (`Connection: Upgrade`, `Upgrade: <protocol>`,
//! answered by `101 Switching Protocols`) on a connection of their own, for
//! LXD endpoints that switch to another protocol, such as
//! `/1.0/instances/{name}/sftp`. (Websockets use tungstenite's handshake.)
//!
//! ureq hands out no connection after a 101, so this sends one GET itself
//! and reads one response head, parsed by httparse (the parser ureq's own
//! protocol crate uses).

use std::io::{Read, Write};

use crate::client::{Client, decode_response};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{MAX_ERROR_BODY, MAX_HEAD, Stream};

/// A response head, parsed, and the bytes that came after it.
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) rest: Vec<u8>,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read until a whole response head has arrived (at most [`MAX_HEAD`]).
pub(crate) fn read_head(stream: &mut impl Read, what: &str) -> Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| Error::from_io(what, &e))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Connection,
                format!("{what}: the server closed the connection without answering"),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                return Ok(Head {
                    status: resp.code.unwrap_or(0),
                    headers: resp
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                    rest: buf[len..].to_vec(),
                });
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(Error::protocol(format!(
                    "{what}: malformed HTTP response: the head is larger than {MAX_HEAD} bytes"
                )));
            }
            Err(e) => {
                let start = String::from_utf8_lossy(&buf[..buf.len().min(64)]).into_owned();
                return Err(Error::protocol(format!(
                    "{what}: malformed HTTP response: {e} (it began {start:?})"
                )));
            }
        }
    }
}

/// The body after `head`: what Content-Length announces (or everything up
/// to the close), at most `cap` bytes (more is `ResponseTooLarge`). A
/// body that ends before its Content-Length comes back as it is.
pub(crate) fn read_body(
    stream: &mut impl Read,
    head: &Head,
    cap: u64,
    what: &str,
) -> Result<Vec<u8>> {
    let too_large = || {
        let kind = if head.status >= 400 {
            "an error body"
        } else {
            "a body"
        };
        Error::new(
            ErrorKind::ResponseTooLarge,
            format!(
                "{what}: HTTP {} with {kind} over {cap} bytes; not read",
                head.status
            ),
        )
    };
    let want = match head.header("content-length") {
        Some(l) => l
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::protocol(format!("{what}: bad Content-Length {l:?}")))?,
        None => u64::MAX,
    };
    if want != u64::MAX && want > cap {
        return Err(too_large());
    }
    let mut body = head.rest.clone();
    let limit = want.min(cap.saturating_add(1));
    let mut chunk = [0u8; 8192];
    while (body.len() as u64) < limit {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from_io(what, &e)),
        }
    }
    if body.len() as u64 > cap {
        return Err(too_large());
    }
    body.truncate(usize::try_from(want).unwrap_or(usize::MAX).min(body.len()));
    Ok(body)
}

impl Client {
    /// Open a new connection, ask for `path` (path and query, project
    /// included) to be switched to `protocol`, and return the raw stream
    /// once the server answers 101. The client's timeout (cut by the
    /// call's deadline) bounds each read and write on the stream, during
    /// the upgrade and after it.
    ///
    /// Any other answer is LXD's error (status and message). Bytes that
    /// arrived right after the 101 head are refused as a protocol error:
    /// the protocols used here (SFTP) let the client speak first.
    pub fn upgrade(&self, path: &str, protocol: &str) -> Result<Stream> {
        let what = format!(
            "{protocol} upgrade of {}",
            path.split('?').next().unwrap_or(path)
        );
        let step = self.step_timeout(&what)?;
        let (mut stream, host) = self.transport().dial_within(Some(step))?;
        stream
            .set_timeout(Some(step))
            .map_err(|e| Error::from_io(&what, &e))?;
        if path.contains(['\r', '\n', ' ']) || protocol.contains(['\r', '\n']) {
            return Err(Error::invalid(format!("{what}: not a valid request")));
        }
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: liblxd/{}\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
        );
        stream
            .write_all(request.as_bytes())
            .and_then(|_| stream.flush())
            .map_err(|e| Error::from_io(&what, &e))?;
        switched(&mut stream, &what, protocol)?;
        Ok(stream)
    }
}

/// Read the answer to an upgrade to `protocol`: Ok once a 101 that
/// switches to it has been read, with nothing after its head; else LXD's
/// error (status and message) or a protocol error.
pub(crate) fn switched(stream: &mut impl Read, what: &str, protocol: &str) -> Result<()> {
    let head = read_head(stream, what)?;
    if head.status != 101 {
        let body = read_body(stream, &head, MAX_ERROR_BODY, what)?;
        let err = match decode_response(head.status, &body) {
            Err(e) => e,
            Ok(_) => Error::protocol(format!(
                "the server answered HTTP {} instead of switching protocols",
                head.status
            )),
        };
        return Err(err.with_context(what));
    }
    let agreed = head
        .header("upgrade")
        .is_some_and(|p| p.eq_ignore_ascii_case(protocol));
    if !agreed {
        return Err(Error::protocol(format!(
            "{what}: the server switched to {:?}, not {protocol:?}",
            head.header("upgrade").unwrap_or("")
        )));
    }
    if !head.rest.is_empty() {
        return Err(Error::protocol(format!(
            "{what}: the server spoke before the client after switching protocols"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, BufRead};
    use std::os::unix::net::UnixListener;
    use std::thread::JoinHandle;

    /// A fake HTTP server on a unix socket (not LXD): takes one
    /// connection, reads the request head, writes `answer`, then echoes
    /// whatever it reads until the client closes (an empty `answer`: hangs
    /// up at once). Returns the head.
    fn fake_server(answer: Vec<u8>) -> (tempfile::TempDir, JoinHandle<String>) {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("s")).unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut r = io::BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            // No answer: hang up. Write errors are expected once the
            // client hangs up on a refusal.
            if !answer.is_empty() && r.get_mut().write_all(&answer).is_ok() {
                let mut buf = [0u8; 256];
                while let Ok(n) = r.read(&mut buf) {
                    if n == 0 || r.get_mut().write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
            head
        });
        (dir, server)
    }

    fn client(dir: &tempfile::TempDir) -> Client {
        Client::for_socket(&dir.path().join("s"))
    }

    const SWITCH: &[u8] =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: sftp\r\nConnection: Upgrade\r\n\r\n";

    #[test]
    fn a_101_gives_the_raw_stream_after_the_head() {
        let (dir, server) = fake_server(SWITCH.to_vec());
        let mut stream = client(&dir)
            .upgrade("/1.0/instances/c/sftp?project=p", "sftp")
            .unwrap();
        stream.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        stream.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"ping");
        drop(stream);
        let head = server.join().unwrap();
        assert!(
            head.starts_with("GET /1.0/instances/c/sftp?project=p HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nConnection: Upgrade\r\n"), "{head}");
        assert!(head.contains("\r\nUpgrade: sftp\r\n"), "{head}");
    }

    #[test]
    fn a_refusal_is_lxds_error() {
        let body = br#"{"type":"error","error":"Instance not found","error_code":404}"#;
        let mut answer = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(body);
        let (dir, _server) = fake_server(answer);
        let e = client(&dir)
            .upgrade("/1.0/instances/c/sftp", "sftp")
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.http_status, 404);
        assert_eq!(
            e.message,
            "sftp upgrade of /1.0/instances/c/sftp: Instance not found"
        );
    }

    #[test]
    fn a_success_that_does_not_switch_is_a_protocol_error() {
        let body = br#"{"type":"sync","metadata":{}}"#;
        let mut answer =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        answer.extend_from_slice(body);
        let (dir, _server) = fake_server(answer);
        let e = client(&dir).upgrade("/x", "sftp").err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_switch_to_another_protocol_is_refused() {
        let (dir, _server) =
            fake_server(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec());
        let e = client(&dir).upgrade("/x", "sftp").err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("websocket"), "{}", e.message);
    }

    #[test]
    fn bytes_right_after_the_head_are_refused_not_lost() {
        let mut answer = SWITCH.to_vec();
        answer.extend_from_slice(b"early");
        let (dir, _server) = fake_server(answer);
        let e = client(&dir).upgrade("/x", "sftp").err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_huge_refusal_body_is_not_buffered() {
        let mut answer =
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 10485760\r\n\r\n".to_vec();
        answer.extend(std::iter::repeat_n(b'x', 10 << 20));
        let (dir, _server) = fake_server(answer);
        let e = client(&dir).upgrade("/x", "sftp").err().unwrap();
        assert_eq!(e.kind, ErrorKind::ResponseTooLarge);
        assert!(e.message.contains("body over"), "{}", e.message);
    }

    #[test]
    fn a_server_that_hangs_up_is_a_connection_error() {
        let (dir, server) = fake_server(Vec::new());
        let e = client(&dir).upgrade("/x", "sftp").err().unwrap();
        assert_eq!(e.kind, ErrorKind::Connection);
        server.join().unwrap();
    }
}
