//! HTTP/1.1 protocol upgrades (`Connection: Upgrade`, `Upgrade: <protocol>`,
//! answered by `101 Switching Protocols`) on a connection of their own, for
//! LXD endpoints that switch to another protocol, such as
//! `/1.0/instances/{name}/sftp`.
//!
//! Deliberately small and self-contained on top of the transport's HTTP
//! codec: it sends one GET and reads one response head, nothing more.

use std::io::{self, BufReader, Write};

use crate::client::{Client, decode_response};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Request, Stream, http, map_exchange_error};

/// Largest refusal body read: LXD's error documents are a few hundred
/// bytes, and a server must not make us buffer without limit.
const MAX_ERROR_BODY: usize = 256 * 1024;

/// Collects a response body up to [`MAX_ERROR_BODY`]; more is an error.
struct Capped {
    body: Vec<u8>,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.body.len() + buf.len() > MAX_ERROR_BODY {
            self.over = true;
            return Err(io::Error::other("response body too large"));
        }
        self.body.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Client {
    /// Open a new connection, ask for `path` (path and query, project
    /// included) to be switched to `protocol`, and return the raw stream
    /// once the server answers 101. The client's timeout bounds each read
    /// and write on the stream, during the upgrade and after it.
    ///
    /// Any other answer is LXD's error (status and message). Bytes that
    /// arrived right after the 101 head would be lost with the head's
    /// buffer, so they are refused as a protocol error: the protocols used
    /// here (SFTP) let the client speak first, so there are none.
    pub fn upgrade(&self, path: &str, protocol: &str) -> Result<Stream> {
        let what = format!(
            "{protocol} upgrade of {}",
            path.split('?').next().unwrap_or(path)
        );
        let mut stream = self.transport().open_stream()?;
        stream
            .set_timeout(Some(self.timeout()))
            .map_err(|e| Error::from_io(&what, &e))?;
        let req = Request {
            method: "GET",
            target: path,
            host: self.transport().host_header(),
            headers: &[("Connection", "Upgrade"), ("Upgrade", protocol)],
            body: None,
        };
        stream
            .write_all(&http::encode_request(&req))
            .and_then(|_| stream.flush())
            .map_err(|e| Error::from_io(&what, &e))?;
        let mut reader = BufReader::new(stream);
        let mut head = match http::read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => {
                return Err(Error::new(
                    ErrorKind::Connection,
                    format!("{what}: the server closed the connection without answering"),
                ));
            }
            Err(e) => return Err(map_exchange_error(&what, e)),
        };
        if head.status != 101 {
            let mut sink = Capped {
                body: Vec::new(),
                over: false,
            };
            if let Err(e) = http::read_body_to(&mut reader, &mut head, "GET", &mut sink) {
                if sink.over {
                    return Err(Error::protocol(format!(
                        "{what}: HTTP {} with a body over {MAX_ERROR_BODY} bytes",
                        head.status
                    )));
                }
                return Err(map_exchange_error(&what, e));
            }
            let err = match decode_response(head.status, &sink.body) {
                Err(e) => e,
                Ok(_) => Error::protocol(format!(
                    "the server answered HTTP {} instead of switching protocols",
                    head.status
                )),
            };
            return Err(err.with_context(&what));
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
        if !reader.buffer().is_empty() {
            return Err(Error::protocol(format!(
                "{what}: the server spoke before the client after switching protocols"
            )));
        }
        Ok(reader.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, Read};
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
        assert_eq!(e.kind, ErrorKind::Protocol);
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
