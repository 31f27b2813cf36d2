//! A small HTTP/1.1 client codec: writes one request, reads one response
//! (Content-Length, chunked, or until close), over any byte stream.
//!
//! LXD is reached over a unix socket as often as over TLS, and the exec and
//! events websockets later need the raw stream of a connection; one codec
//! over `Read + Write` serves all of that and keeps connections alive.

use std::io::{self, BufRead, Read, Write};

/// One HTTP request as the transport sends it.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query, already percent-encoded, starting with `/`.
    pub target: &'a str,
    pub host: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a [u8]>,
}

/// One HTTP response: status, the headers we keep, the body.
#[derive(Debug, Default, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// False when the server asked to close, or the body ran to EOF.
    pub keep_alive: bool,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const MAX_HEAD: usize = 64 * 1024;

/// Serialise a request head and body in one buffer, so it leaves in one write.
pub fn encode_request(req: &Request<'_>) -> Vec<u8> {
    encode_with_length(req, None)
}

/// Serialise only the head of a request whose body of `len` bytes the
/// caller streams after it (`req.body` is ignored).
pub fn encode_head(req: &Request<'_>, len: u64) -> Vec<u8> {
    encode_with_length(req, Some(len))
}

fn encode_with_length(req: &Request<'_>, streamed: Option<u64>) -> Vec<u8> {
    let body_len = req.body.map_or(0, |b| b.len());
    let mut out = Vec::with_capacity(256 + if streamed.is_some() { 0 } else { body_len });
    let _ = write!(
        out,
        "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: liblxd/{}\r\nAccept: application/json\r\n",
        req.method,
        req.target,
        req.host,
        env!("CARGO_PKG_VERSION")
    );
    for (k, v) in req.headers {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    if let Some(len) = streamed {
        let _ = write!(out, "Content-Length: {len}\r\n\r\n");
    } else if let Some(body) = req.body {
        let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
        out.extend_from_slice(body);
    } else if matches!(req.method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    } else {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, HttpFormatError(msg.into()))
}

/// Marks an I/O error as "the server sent something that is not HTTP".
#[derive(Debug)]
pub struct HttpFormatError(pub String);

impl std::fmt::Display for HttpFormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed HTTP response: {}", self.0)
    }
}

impl std::error::Error for HttpFormatError {}

fn read_line(r: &mut impl BufRead, line: &mut String, budget: &mut usize) -> io::Result<usize> {
    line.clear();
    let n = r.take(*budget as u64 + 1).read_line(line)?;
    if n > *budget {
        return Err(bad("response head too large"));
    }
    *budget -= n;
    Ok(n)
}

/// Read the status line and headers. `Ok(None)` means the peer closed the
/// connection before sending a single byte (a stale keep-alive connection).
pub fn read_head(r: &mut impl BufRead) -> io::Result<Option<Response>> {
    let mut budget = MAX_HEAD;
    let mut line = String::new();
    if read_line(r, &mut line, &mut budget)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("bad status line {:?}", line.trim_end())));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {:?}", line.trim_end())))?;
    let mut resp = Response {
        status,
        keep_alive: version != "HTTP/1.0",
        ..Response::default()
    };
    loop {
        if read_line(r, &mut line, &mut budget)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the response head",
            ));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line {l:?}")))?;
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("connection") {
            resp.keep_alive = !v.eq_ignore_ascii_case("close");
        }
        resp.headers.push((k.to_string(), v.to_string()));
    }
    Ok(Some(resp))
}

/// Read the body that the head announces into `resp.body`.
pub fn read_body(r: &mut impl BufRead, resp: &mut Response, method: &str) -> io::Result<()> {
    let mut body = std::mem::take(&mut resp.body);
    let result = read_body_to(r, resp, method, &mut body);
    resp.body = body;
    result
}

/// Whether a response to `method` carries a body at all.
fn has_body(resp: &Response, method: &str) -> bool {
    !(method == "HEAD" || resp.status / 100 == 1 || resp.status == 204 || resp.status == 304)
}

/// Copy the body that the head announces into `sink`, streaming: memory
/// stays at one buffer whatever the size. A body that runs to EOF clears
/// `resp.keep_alive`.
pub fn read_body_to(
    r: &mut impl BufRead,
    resp: &mut Response,
    method: &str,
    sink: &mut dyn Write,
) -> io::Result<()> {
    if !has_body(resp, method) {
        return Ok(());
    }
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(r, sink);
    }
    if let Some(len) = resp.header("content-length") {
        let len: u64 = len
            .parse()
            .map_err(|_| bad(format!("bad Content-Length {len:?}")))?;
        let got = copy_large(r, sink, len)?;
        if got < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the response body",
            ));
        }
        return Ok(());
    }
    resp.keep_alive = false;
    copy_large(r, sink, u64::MAX)?;
    Ok(())
}

/// Copy up to `limit` bytes (or to EOF) with a large buffer: a `BufReader`
/// hands reads at least as large as its own buffer straight to the socket,
/// so a big body moves in few system calls, whatever the reader's buffer.
fn copy_large(r: &mut impl BufRead, sink: &mut dyn Write, limit: u64) -> io::Result<u64> {
    const CHUNK: usize = 256 * 1024;
    let mut buf = Vec::new();
    let mut done = 0u64;
    while done < limit {
        let want = (limit - done).min(CHUNK as u64) as usize;
        if want <= 64 * 1024 {
            // Small rest (the usual JSON document): no big buffer.
            let got = io::copy(&mut r.take(want as u64), sink)?;
            done += got;
            if got < want as u64 {
                break;
            }
            continue;
        }
        if buf.is_empty() {
            buf = vec![0u8; CHUNK];
        }
        let n = match r.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.write_all(&buf[..n])?;
        done += n as u64;
    }
    Ok(done)
}

fn read_chunked(r: &mut impl BufRead, body: &mut dyn Write) -> io::Result<()> {
    let mut line = String::new();
    loop {
        let mut budget = 1024;
        if read_line(r, &mut line, &mut budget)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a chunked body",
            ));
        }
        let size_text = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut budget = MAX_HEAD;
                if read_line(r, &mut line, &mut budget)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        let got = copy_large(r, body, size as u64)?;
        if got < size as u64 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a chunk",
            ));
        }
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parse(raw: &[u8]) -> io::Result<Response> {
        let mut c = Cursor::new(raw.to_vec());
        let mut resp = read_head(&mut c)?.expect("head");
        read_body(&mut c, &mut resp, "GET")?;
        Ok(resp)
    }

    #[test]
    fn encodes_get_without_body_and_put_with_length() {
        let get = encode_request(&Request {
            method: "GET",
            target: "/1.0",
            host: "lxd",
            headers: &[],
            body: None,
        });
        let text = String::from_utf8(get).unwrap();
        assert!(text.starts_with("GET /1.0 HTTP/1.1\r\nHost: lxd\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
        assert!(!text.contains("Content-Length"));
        let put = encode_request(&Request {
            method: "PUT",
            target: "/1.0/profiles/p",
            host: "lxd",
            headers: &[("If-Match", "\"abc\"")],
            body: Some(b"{}"),
        });
        let text = String::from_utf8(put).unwrap();
        assert!(text.contains("If-Match: \"abc\"\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }

    #[test]
    fn reads_content_length_body() {
        let r = parse(b"HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nContent-Length: 5\r\n\r\nhelloEXTRA")
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("etag"), Some("\"e1\""));
        assert_eq!(r.body, b"hello");
        assert!(r.keep_alive);
    }

    #[test]
    fn reads_chunked_body() {
        let r = parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn body_until_close_disables_keep_alive() {
        let r = parse(b"HTTP/1.1 200 OK\r\n\r\nall of it").unwrap();
        assert_eq!(r.body, b"all of it");
        assert!(!r.keep_alive);
        let r =
            parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(!r.keep_alive);
    }

    /// Mutated and truncated responses never panic: each parses or errors.
    #[test]
    fn random_mutations_never_panic() {
        let seeds: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 24\r\n\r\n{\"type\":\"sync\",\"a\":1}",
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x\r\n1}\n\r\n0\r\nT: v\r\n\r\n",
            b"HTTP/1.0 202 Accepted\r\nConnection: close\r\n\r\n{\"type\":\"async\"}",
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let mut buf = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 6) {
                let i = (next() as usize) % buf.len();
                match next() % 4 {
                    0 => buf[i] = next() as u8,
                    1 => {
                        buf.remove(i);
                    }
                    2 => buf.insert(i, b"\r\n:0;f9"[(next() % 7) as usize]),
                    _ => buf.truncate(i),
                }
                if buf.is_empty() {
                    break;
                }
            }
            let mut c = Cursor::new(buf.clone());
            if let Ok(Some(mut resp)) = read_head(&mut c)
                && read_body(&mut c, &mut resp, "GET").is_ok()
            {
                let _ = crate::client::decode_response(resp.status, &resp.body);
            }
            let _ = crate::client::decode_response(200, &buf);
        }
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 abc OK\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").is_err());
        let mut empty = Cursor::new(Vec::new());
        assert!(read_head(&mut empty).unwrap().is_none());
    }
}
