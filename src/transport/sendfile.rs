//! Uploads of a local file over the unix socket with `sendfile(2)`: the
//! kernel moves the file's pages to the socket, with no copy through this
//! process (a 32 MiB push: ~5 ms of CPU instead of ~20 through ureq's
//! buffers). One request on a connection of its own (`Connection: close`),
//! its head written here and the answer's head parsed by httparse, as for
//! protocol upgrades; everything else keeps going through ureq.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::Instant;

use rustix::io::Errno;

use super::{
    Failure, Limits, MAX_ERROR_BODY, Member, Request, Response, Transport, Upload, deadline_passed,
};
use crate::error::{Error, ErrorKind};
use crate::upgrade::{Head, read_body, read_head};

/// Bytes handed to one sendfile call: small enough for the progress
/// callback to be called often, large enough to cost nothing.
const SENDFILE_CHUNK: usize = 1 << 20;

impl Transport {
    /// `req` with the body of `u` (which has a file) sent by the kernel.
    pub(super) fn send_file(
        &self,
        m: &Member,
        req: &Request<'_>,
        u: &mut Upload<'_>,
        limits: &Limits,
    ) -> Result<Response, Failure> {
        let ctx = format!("{} {}", req.method, req.target);
        let Some(file) = u.file.as_ref() else {
            return Err(Failure::Final(Error::invalid(format!(
                "{ctx}: no file to send"
            ))));
        };
        let left_of_deadline = || {
            limits
                .deadline
                .map(|d| d.saturating_duration_since(Instant::now()))
        };
        let step = match (limits.io_timeout, left_of_deadline()) {
            (_, Some(left)) if left.is_zero() => {
                return Err(Failure::Unsent(deadline_passed(&ctx)));
            }
            (Some(t), Some(left)) => Some(t.min(left)),
            (t, left) => t.or(left),
        };
        let bad = |s: &str| s.contains(['\r', '\n']);
        if bad(req.target)
            || req.target.contains(' ')
            || req.headers.iter().any(|(k, v)| bad(k) || bad(v))
        {
            return Err(Failure::Final(Error::invalid(format!(
                "{ctx}: not a valid request"
            ))));
        }
        let mut stream = m.dialer.dial_within(step).map_err(Failure::Unsent)?;
        let io_err = |e: &std::io::Error| Failure::Final(Error::from_io(&ctx, e));
        stream.set_timeout(step).map_err(|e| io_err(&e))?;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: liblxd/{}\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            req.method,
            req.target,
            m.dialer.host_header,
            env!("CARGO_PKG_VERSION"),
            u.len
        );
        for (k, v) in req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(|e| io_err(&e))?;

        // The body. A server that refuses the request early answers and
        // closes: the send then breaks, and its answer says why.
        let mut left = u.len;
        while left > 0 {
            if limits.deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Failure::Final(deadline_passed(&ctx)));
            }
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(SENDFILE_CHUNK);
            match rustix::fs::sendfile(stream.as_fd(), file.fd, None, want) {
                Ok(0) => {
                    return Err(Failure::Final(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "{ctx}: the local file ended {left} bytes before its size at the start (did it shrink?)"
                        ),
                    )));
                }
                Ok(n) => {
                    left -= n as u64;
                    if !(file.sent)(n as u64) {
                        return Err(Failure::Final(Error::new(
                            ErrorKind::Cancelled,
                            "the progress callback stopped the transfer",
                        )));
                    }
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => {
                    return Err(Failure::Final(Error::new(
                        ErrorKind::Timeout,
                        format!("{ctx}: timed out sending the file"),
                    )));
                }
                Err(Errno::PIPE | Errno::CONNRESET) => break,
                Err(e) => {
                    let e = std::io::Error::from(e);
                    // The file's side (EIO, …) is the caller's, not the connection's.
                    return Err(Failure::Final(Error::from_local_io(&ctx, &e)));
                }
            }
        }

        let head = read_head(&mut stream, &ctx).map_err(Failure::Final)?;
        let cap = if head.status >= 400 {
            MAX_ERROR_BODY.min(limits.max_body)
        } else {
            limits.max_body
        };
        let raw = read_body(&mut stream, &head, cap, &ctx).map_err(Failure::Final)?;
        let chunked = head
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
        let body = if chunked {
            dechunk(&raw).ok_or_else(|| {
                Failure::Final(Error::protocol(format!(
                    "{ctx}: malformed HTTP response: bad chunked body"
                )))
            })?
        } else {
            let announced = head
                .header("content-length")
                .and_then(|l| l.trim().parse::<usize>().ok());
            if announced.is_some_and(|n| raw.len() < n) {
                return Err(Failure::Final(Error::protocol(format!(
                    "{ctx}: malformed HTTP response: the body is shorter than its Content-Length"
                ))));
            }
            raw
        };
        Ok(Response {
            status: head.status,
            headers: header_map(&head),
            body,
        })
    }
}

/// A chunked body (RFC 9112 7.1) decoded; None when malformed or cut.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&raw[..eol]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Some(out); // trailers, if any, are ignored
        }
        if raw.len() < size + 2 || &raw[size..size + 2] != b"\r\n" {
            return None;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

fn header_map(head: &Head) -> ureq::http::HeaderMap {
    let mut map = ureq::http::HeaderMap::new();
    for (k, v) in &head.headers {
        if let (Ok(name), Ok(value)) = (
            ureq::http::HeaderName::from_bytes(k.as_bytes()),
            ureq::http::HeaderValue::from_str(v),
        ) {
            map.append(name, value);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn chunked_bodies_decode_and_cut_ones_do_not() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\n").as_deref(),
            Some(&b"Wikipedia "[..])
        );
        assert_eq!(dechunk(b"4\r\nWi"), None);
        assert_eq!(dechunk(b"zz\r\n"), None);
        assert_eq!(dechunk(b"").as_deref(), None);
    }
}
