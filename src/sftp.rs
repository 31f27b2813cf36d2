//! A small SFTP client: protocol version 3 (draft-ietf-secsh-filexfer-02)
//! over any blocking byte stream, with just the requests liblxd needs
//! (STAT, LSTAT, SETSTAT).
//!
//! LXD serves SFTP on `/1.0/instances/{name}/sftp` (an HTTP upgrade, see
//! `upgrade.rs`); it can change what the files API cannot, such as the
//! owner and mode of a folder that already exists.
//!
//! The server is not trusted with memory: every reply is at most
//! [`MAX_PACKET`] bytes, checked before anything is allocated, and every
//! field is read against what is left of its packet, so a hostile or broken
//! server gives an error, never a panic or a huge allocation.
//!
//! Wire format: every packet is `uint32 length` (of what follows), `byte
//! type`, then the fields of the type. Integers are big-endian; a string
//! is `uint32 length` and that many bytes. Requests after INIT carry a
//! `uint32 id` that the reply repeats.

use std::io::{self, Read, Write};

use crate::error::{Error, ErrorKind, Result};

/// The protocol version spoken (and the only one accepted).
const VERSION: u32 = 3;

/// Largest packet accepted from the server, or sent. Replies to the
/// requests here are tens of bytes; 256 KiB also covers a server's
/// VERSION with many extensions, and bounds what a hostile length field
/// could make us allocate.
pub(crate) const MAX_PACKET: u32 = 256 * 1024;

// Packet types (draft-02 section 3).
const FXP_INIT: u8 = 1;
const FXP_VERSION: u8 = 2;
const FXP_LSTAT: u8 = 7;
const FXP_SETSTAT: u8 = 9;
const FXP_STAT: u8 = 17;
const FXP_STATUS: u8 = 101;
const FXP_ATTRS: u8 = 105;

// ATTRS flags (section 5): which optional fields follow, in this order.
const ATTR_SIZE: u32 = 0x0000_0001;
const ATTR_UIDGID: u32 = 0x0000_0002;
const ATTR_PERMISSIONS: u32 = 0x0000_0004;
const ATTR_ACMODTIME: u32 = 0x0000_0008;
const ATTR_EXTENDED: u32 = 0x8000_0000;

// Status codes (section 7).
const FX_OK: u32 = 0;
const FX_NO_SUCH_FILE: u32 = 2;
const FX_PERMISSION_DENIED: u32 = 3;

/// The file type bits of `permissions` (as `st_mode`), and a folder's.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;

/// File attributes (SFTP's ATTRS): each field is present or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attrs {
    pub size: Option<u64>,
    /// Owner and group, numeric; the protocol only carries them together.
    pub uid_gid: Option<(u32, u32)>,
    /// `st_mode`: file type bits as well as permission bits.
    pub permissions: Option<u32>,
    /// Access and modification times, in seconds since the epoch.
    pub times: Option<(u32, u32)>,
}

impl Attrs {
    /// Whether the type bits of `permissions` say folder; None when the
    /// server did not send permissions.
    pub fn is_dir(&self) -> Option<bool> {
        self.permissions.map(|p| p & S_IFMT == S_IFDIR)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut flags = 0;
        if self.size.is_some() {
            flags |= ATTR_SIZE;
        }
        if self.uid_gid.is_some() {
            flags |= ATTR_UIDGID;
        }
        if self.permissions.is_some() {
            flags |= ATTR_PERMISSIONS;
        }
        if self.times.is_some() {
            flags |= ATTR_ACMODTIME;
        }
        put_u32(out, flags);
        if let Some(size) = self.size {
            out.extend_from_slice(&size.to_be_bytes());
        }
        if let Some((uid, gid)) = self.uid_gid {
            put_u32(out, uid);
            put_u32(out, gid);
        }
        if let Some(p) = self.permissions {
            put_u32(out, p);
        }
        if let Some((atime, mtime)) = self.times {
            put_u32(out, atime);
            put_u32(out, mtime);
        }
    }

    fn decode(r: &mut Fields<'_>) -> Result<Attrs> {
        let flags = r.u32()?;
        let mut a = Attrs::default();
        if flags & ATTR_SIZE != 0 {
            a.size = Some(r.u64()?);
        }
        if flags & ATTR_UIDGID != 0 {
            a.uid_gid = Some((r.u32()?, r.u32()?));
        }
        if flags & ATTR_PERMISSIONS != 0 {
            a.permissions = Some(r.u32()?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            a.times = Some((r.u32()?, r.u32()?));
        }
        if flags & ATTR_EXTENDED != 0 {
            // Name/value pairs we have no use for. The count comes from the
            // server: nothing is allocated for it, and each pair consumes at
            // least 8 bytes of the (bounded) packet or fails, so the loop
            // ends quickly whatever the count says.
            let count = r.u32()?;
            for _ in 0..count {
                r.string()?;
                r.string()?;
            }
        }
        Ok(a)
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    // Callers keep packets under MAX_PACKET, so the length fits.
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s);
}

/// Reads the fields of one received packet; running out of bytes is a
/// protocol error.
struct Fields<'a> {
    buf: &'a [u8],
    what: &'a str,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(Error::protocol(format!(
                "{}: the server's SFTP reply is truncated",
                self.what
            )));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64> {
        let hi = self.u32()? as u64;
        let lo = self.u32()? as u64;
        Ok(hi << 32 | lo)
    }

    /// A string's bytes, borrowed from the packet (a length larger than
    /// the rest of the packet is an error, never an allocation).
    fn string(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

fn status_name(code: u32) -> &'static str {
    match code {
        0 => "SSH_FX_OK",
        1 => "SSH_FX_EOF",
        2 => "SSH_FX_NO_SUCH_FILE",
        3 => "SSH_FX_PERMISSION_DENIED",
        4 => "SSH_FX_FAILURE",
        5 => "SSH_FX_BAD_MESSAGE",
        6 => "SSH_FX_NO_CONNECTION",
        7 => "SSH_FX_CONNECTION_LOST",
        8 => "SSH_FX_OP_UNSUPPORTED",
        _ => "unknown SFTP status",
    }
}

/// The error for a STATUS reply other than OK: the kind follows the code,
/// the message is the server's (it names the system call and errno text).
fn status_error(what: &str, code: u32, message: &[u8]) -> Error {
    let kind = match code {
        FX_NO_SUCH_FILE => ErrorKind::NotFound,
        FX_PERMISSION_DENIED => ErrorKind::Forbidden,
        _ => ErrorKind::Api,
    };
    let message = String::from_utf8_lossy(message);
    let text = if message.is_empty() {
        format!("{} ({code})", status_name(code))
    } else {
        format!("{message} ({})", status_name(code))
    };
    Error::new(kind, format!("{what}: {text}"))
}

/// One SFTP session over `stream`. Requests are sent one at a time, each
/// waiting for its reply, so replies come back in order.
pub struct Sftp<S> {
    stream: S,
    next_id: u32,
}

impl<S: Read + Write> Sftp<S> {
    /// Start a session: INIT with version 3, and the server's VERSION,
    /// which must say 3 too (its extensions are ignored).
    pub fn new(stream: S) -> Result<Sftp<S>> {
        let mut sftp = Sftp { stream, next_id: 1 };
        let what = "SFTP init";
        let mut body = Vec::with_capacity(4);
        put_u32(&mut body, VERSION);
        sftp.send(what, FXP_INIT, &body)?;
        let (kind, reply) = sftp.recv(what)?;
        if kind != FXP_VERSION {
            return Err(Error::protocol(format!(
                "{what}: the server answered with packet type {kind}, not VERSION"
            )));
        }
        let mut r = Fields { buf: &reply, what };
        let version = r.u32()?;
        if version != VERSION {
            return Err(Error::protocol(format!(
                "{what}: the server speaks SFTP version {version}, not {VERSION}"
            )));
        }
        // Extension name/data pairs follow: read to check they are well
        // formed, and ignore them.
        while !r.buf.is_empty() {
            r.string()?;
            r.string()?;
        }
        Ok(sftp)
    }

    /// The attributes of `path`, following symlinks.
    pub fn stat(&mut self, path: &str) -> Result<Attrs> {
        self.attrs_of(FXP_STAT, "stat", path)
    }

    /// The attributes of `path` itself (a symlink is not followed).
    pub fn lstat(&mut self, path: &str) -> Result<Attrs> {
        self.attrs_of(FXP_LSTAT, "lstat", path)
    }

    /// Change the attributes of `path` that `attrs` holds (the server
    /// follows symlinks).
    pub fn setstat(&mut self, path: &str, attrs: &Attrs) -> Result<()> {
        let what = format!("SFTP setstat {path}");
        let (kind, reply) = self.call(&what, FXP_SETSTAT, path, Some(attrs))?;
        let mut r = Fields {
            buf: &reply,
            what: &what,
        };
        match kind {
            FXP_STATUS => match r.u32()? {
                FX_OK => Ok(()),
                code => Err(status_error(&what, code, Self::status_message(&mut r))),
            },
            other => Err(Error::protocol(format!(
                "{what}: the server answered with packet type {other}, not STATUS"
            ))),
        }
    }

    /// The stream, for the caller to close or reuse.
    pub fn into_inner(self) -> S {
        self.stream
    }

    fn attrs_of(&mut self, kind: u8, name: &str, path: &str) -> Result<Attrs> {
        let what = format!("SFTP {name} {path}");
        let (kind, reply) = self.call(&what, kind, path, None)?;
        let mut r = Fields {
            buf: &reply,
            what: &what,
        };
        match kind {
            FXP_ATTRS => Attrs::decode(&mut r),
            FXP_STATUS => match r.u32()? {
                FX_OK => Err(Error::protocol(format!(
                    "{what}: the server answered OK without the attributes"
                ))),
                code => Err(status_error(&what, code, Self::status_message(&mut r))),
            },
            other => Err(Error::protocol(format!(
                "{what}: the server answered with packet type {other}, not ATTRS or STATUS"
            ))),
        }
    }

    /// Send request `kind` on `path` (with `attrs`: SETSTAT) and receive
    /// the reply: its type and the bytes after its id, which must be the
    /// request's.
    fn call(
        &mut self,
        what: &str,
        kind: u8,
        path: &str,
        attrs: Option<&Attrs>,
    ) -> Result<(u8, Vec<u8>)> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut body = Vec::with_capacity(4 + 4 + path.len() + 32);
        put_u32(&mut body, id);
        put_string(&mut body, path.as_bytes());
        if let Some(a) = attrs {
            a.encode(&mut body);
        }
        // The type byte makes the packet one longer than the body.
        if body.len() >= MAX_PACKET as usize {
            return Err(Error::invalid(format!("{what}: the path is too long")));
        }
        self.send(what, kind, &body)?;
        let (kind, mut reply) = self.recv(what)?;
        let got = Fields { buf: &reply, what }.u32()?;
        if got != id {
            return Err(Error::protocol(format!(
                "{what}: the server answered request {got}, not {id}"
            )));
        }
        reply.drain(..4);
        Ok((kind, reply))
    }

    /// The message of a STATUS reply. Version 3 servers send it (and a
    /// language tag, ignored); older ones did not, so a missing or
    /// malformed message is taken as none: the code alone still decides.
    fn status_message<'a>(r: &mut Fields<'a>) -> &'a [u8] {
        r.string().unwrap_or(b"")
    }

    /// Send one packet: length, type, body, in one write.
    fn send(&mut self, what: &str, kind: u8, body: &[u8]) -> Result<()> {
        let mut packet = Vec::with_capacity(5 + body.len());
        put_u32(&mut packet, 1 + body.len() as u32);
        packet.push(kind);
        packet.extend_from_slice(body);
        self.stream
            .write_all(&packet)
            .and_then(|_| self.stream.flush())
            .map_err(|e| Error::from_io(what, &e))
    }

    /// Receive one packet: its type and the bytes after the type. The
    /// announced length is checked before any allocation, and the buffer
    /// grows only with bytes that really arrive.
    fn recv(&mut self, what: &str) -> Result<(u8, Vec<u8>)> {
        let mut len = [0u8; 4];
        self.stream
            .read_exact(&mut len)
            .map_err(|e| closed_or_io(what, e))?;
        let len = u32::from_be_bytes(len);
        if len == 0 {
            return Err(Error::protocol(format!(
                "{what}: the server sent an empty SFTP packet"
            )));
        }
        if len > MAX_PACKET {
            return Err(Error::protocol(format!(
                "{what}: the server announced an SFTP packet of {len} bytes (at most {MAX_PACKET} accepted)"
            )));
        }
        let mut packet = Vec::new();
        let got = (&mut self.stream)
            .take(len as u64)
            .read_to_end(&mut packet)
            .map_err(|e| Error::from_io(what, &e))?;
        if got < len as usize {
            return Err(Error::new(
                ErrorKind::Connection,
                format!("{what}: the server closed the SFTP session inside a packet"),
            ));
        }
        let kind = packet[0];
        packet.remove(0);
        Ok((kind, packet))
    }
}

fn closed_or_io(what: &str, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return Error::new(
            ErrorKind::Connection,
            format!("{what}: the server closed the SFTP session"),
        );
    }
    Error::from_io(what, &e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Given a request's type and body, the raw bytes the fake answers.
    type Answer = dyn FnMut(u8, &[u8]) -> Vec<u8>;

    /// A fake SFTP server in memory (not LXD's): the client's writes are
    /// cut into packets, each is logged and handed to `answer`, whose raw
    /// bytes become what the client reads next. Reading with nothing
    /// queued is end of stream.
    struct FakeSftpServer {
        input: Vec<u8>,
        output: VecDeque<u8>,
        answer: Box<Answer>,
        requests: Vec<(u8, Vec<u8>)>,
    }

    impl FakeSftpServer {
        fn new(answer: impl FnMut(u8, &[u8]) -> Vec<u8> + 'static) -> FakeSftpServer {
            FakeSftpServer {
                input: Vec::new(),
                output: VecDeque::new(),
                answer: Box::new(answer),
                requests: Vec::new(),
            }
        }
    }

    impl Write for FakeSftpServer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.input.extend_from_slice(buf);
            while self.input.len() >= 4 {
                let len = u32::from_be_bytes(self.input[..4].try_into().unwrap()) as usize;
                if self.input.len() < 4 + len {
                    break;
                }
                let packet: Vec<u8> = self.input.drain(..4 + len).skip(4).collect();
                let out = (self.answer)(packet[0], &packet[1..]);
                self.output.extend(out);
                self.requests.push((packet[0], packet[1..].to_vec()));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for FakeSftpServer {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.output.len());
            for (i, b) in self.output.drain(..n).enumerate() {
                buf[i] = b;
            }
            Ok(n)
        }
    }

    fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        put_u32(&mut p, 1 + body.len() as u32);
        p.push(kind);
        p.extend_from_slice(body);
        p
    }

    fn version_reply() -> Vec<u8> {
        let mut b = Vec::new();
        put_u32(&mut b, 3);
        put_string(&mut b, b"posix-rename@openssh.com");
        put_string(&mut b, b"1");
        packet(FXP_VERSION, &b)
    }

    fn status_reply(id: u32, code: u32, msg: &str) -> Vec<u8> {
        let mut b = Vec::new();
        put_u32(&mut b, id);
        put_u32(&mut b, code);
        put_string(&mut b, msg.as_bytes());
        put_string(&mut b, b"");
        packet(FXP_STATUS, &b)
    }

    fn request_id(body: &[u8]) -> u32 {
        u32::from_be_bytes(body[..4].try_into().unwrap())
    }

    /// A well-behaved fake: VERSION to INIT, the given attributes to
    /// STAT/LSTAT, OK to SETSTAT.
    fn good_server(attrs: Attrs) -> FakeSftpServer {
        FakeSftpServer::new(move |kind, body| match kind {
            FXP_INIT => version_reply(),
            FXP_STAT | FXP_LSTAT => {
                let mut b = Vec::new();
                put_u32(&mut b, request_id(body));
                attrs.encode(&mut b);
                packet(FXP_ATTRS, &b)
            }
            FXP_SETSTAT => status_reply(request_id(body), FX_OK, "Success"),
            _ => status_reply(request_id(body), 8, "unsupported"),
        })
    }

    /// A session whose every request after INIT is answered with the raw
    /// bytes `reply` gives for the request's id.
    fn session_answering(reply: impl Fn(u32) -> Vec<u8> + 'static) -> Sftp<FakeSftpServer> {
        Sftp::new(FakeSftpServer::new(move |kind, body| match kind {
            FXP_INIT => version_reply(),
            _ => reply(request_id(body)),
        }))
        .unwrap()
    }

    #[test]
    fn init_sends_version_3_and_reads_the_servers_version_and_extensions() {
        let sftp = Sftp::new(good_server(Attrs::default())).unwrap();
        let server = sftp.into_inner();
        assert_eq!(server.requests, vec![(FXP_INIT, vec![0, 0, 0, 3])]);
        assert_eq!(server.input, b"");
    }

    #[test]
    fn stat_and_lstat_send_the_path_and_decode_every_attribute() {
        let attrs = Attrs {
            size: Some(4096),
            uid_gid: Some((1000, 1001)),
            permissions: Some(0o40755),
            times: Some((1, 2)),
        };
        let mut sftp = Sftp::new(good_server(attrs)).unwrap();
        assert_eq!(sftp.stat("/root/d").unwrap(), attrs);
        assert_eq!(sftp.lstat("/root/d").unwrap(), attrs);
        assert_eq!(attrs.is_dir(), Some(true));
        let server = sftp.into_inner();
        let mut want = vec![0, 0, 0, 1, 0, 0, 0, 7];
        want.extend_from_slice(b"/root/d");
        assert_eq!(server.requests[1], (FXP_STAT, want.clone()));
        want[3] = 2;
        assert_eq!(server.requests[2], (FXP_LSTAT, want));
    }

    #[test]
    fn attributes_with_extended_pairs_decode_and_the_pairs_are_skipped() {
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, ATTR_PERMISSIONS | ATTR_EXTENDED);
            put_u32(&mut b, 0o100644);
            put_u32(&mut b, 2);
            for s in ["a", "1", "b", "2"] {
                put_string(&mut b, s.as_bytes());
            }
            packet(FXP_ATTRS, &b)
        });
        let a = sftp.stat("/f").unwrap();
        assert_eq!(a.permissions, Some(0o100644));
        assert_eq!(a.is_dir(), Some(false));
        assert_eq!(a.uid_gid, None);
    }

    #[test]
    fn setstat_encodes_fields_in_the_protocols_order() {
        let mut sftp = Sftp::new(good_server(Attrs::default())).unwrap();
        sftp.setstat(
            "/x",
            &Attrs {
                uid_gid: Some((1000, 1001)),
                ..Attrs::default()
            },
        )
        .unwrap();
        sftp.setstat(
            "/x",
            &Attrs {
                permissions: Some(0o700),
                ..Attrs::default()
            },
        )
        .unwrap();
        sftp.setstat(
            "/x",
            &Attrs {
                size: Some(5),
                uid_gid: Some((7, 8)),
                permissions: Some(0o644),
                times: Some((9, 10)),
            },
        )
        .unwrap();
        let server = sftp.into_inner();
        let head = |id: u8| vec![0, 0, 0, id, 0, 0, 0, 2, b'/', b'x'];
        let with = |id: u8, fields: &[u32]| {
            let mut b = head(id);
            for f in fields {
                put_u32(&mut b, *f);
            }
            (FXP_SETSTAT, b)
        };
        assert_eq!(server.requests[1], with(1, &[ATTR_UIDGID, 1000, 1001]));
        assert_eq!(server.requests[2], with(2, &[ATTR_PERMISSIONS, 0o700]));
        assert_eq!(
            server.requests[3],
            with(3, &[0xf, 0, 5, 7, 8, 0o644, 9, 10])
        );
    }

    #[test]
    fn status_codes_map_to_error_kinds_with_the_servers_message() {
        let cases = [
            (FX_NO_SUCH_FILE, ErrorKind::NotFound),
            (FX_PERMISSION_DENIED, ErrorKind::Forbidden),
            (4, ErrorKind::Api),
            (8, ErrorKind::Api),
            (99, ErrorKind::Api),
        ];
        for (code, kind) in cases {
            let mut sftp = session_answering(move |id| status_reply(id, code, "chown /x: oops"));
            let e = sftp.setstat("/x", &Attrs::default()).unwrap_err();
            assert_eq!(e.kind, kind, "{code}");
            assert!(e.message.contains("chown /x: oops"), "{}", e.message);
            assert!(e.message.starts_with("SFTP setstat /x: "), "{}", e.message);
            let e = sftp.stat("/x").unwrap_err();
            assert_eq!(e.kind, kind, "{code}");
        }
        // A STATUS without message (older servers) still maps by its code.
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, FX_NO_SUCH_FILE);
            packet(FXP_STATUS, &b)
        });
        let e = sftp.stat("/x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("SSH_FX_NO_SUCH_FILE"), "{}", e.message);
    }

    #[test]
    fn ok_status_to_stat_is_a_protocol_error() {
        let mut sftp = session_answering(|id| status_reply(id, FX_OK, ""));
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_reply_to_another_request_is_a_protocol_error() {
        let mut sftp = session_answering(|id| status_reply(id + 1, FX_OK, ""));
        let e = sftp.setstat("/x", &Attrs::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("request 2, not 1"), "{}", e.message);
    }

    #[test]
    fn a_reply_of_the_wrong_type_is_a_protocol_error() {
        // HANDLE (102) to STAT; ATTRS to SETSTAT.
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_string(&mut b, b"h");
            packet(102, &b)
        });
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Protocol);
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, 0);
            packet(FXP_ATTRS, &b)
        });
        let e = sftp.setstat("/x", &Attrs::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_wrong_version_or_a_reply_other_than_version_to_init_is_refused() {
        for version in [2u32, 4, 6] {
            let server = FakeSftpServer::new(move |_, _| {
                let mut b = Vec::new();
                put_u32(&mut b, version);
                packet(FXP_VERSION, &b)
            });
            let e = Sftp::new(server).err().unwrap();
            assert_eq!(e.kind, ErrorKind::Protocol, "{version}");
        }
        let server = FakeSftpServer::new(|_, _| status_reply(0, 4, "no"));
        assert_eq!(Sftp::new(server).err().unwrap().kind, ErrorKind::Protocol);
        // An extension whose data string is cut short.
        let server = FakeSftpServer::new(|_, _| {
            let mut b = Vec::new();
            put_u32(&mut b, 3);
            put_string(&mut b, b"ext");
            put_u32(&mut b, 10);
            packet(FXP_VERSION, &b)
        });
        assert_eq!(Sftp::new(server).err().unwrap().kind, ErrorKind::Protocol);
    }

    #[test]
    fn truncated_packets_and_fields_are_errors() {
        // The stream ends inside the length, and inside the packet.
        let server = FakeSftpServer::new(|_, _| vec![0, 0]);
        assert_eq!(Sftp::new(server).err().unwrap().kind, ErrorKind::Connection);
        let server = FakeSftpServer::new(|_, _| {
            let mut p = version_reply();
            p.truncate(p.len() - 3);
            p
        });
        assert_eq!(Sftp::new(server).err().unwrap().kind, ErrorKind::Connection);
        // No answer at all.
        let mut sftp = session_answering(|_| Vec::new());
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Connection);
        // Whole packets whose fields are cut short: flags promise uid/gid
        // that are missing; a status without code; no id at all.
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, ATTR_UIDGID | ATTR_PERMISSIONS);
            put_u32(&mut b, 1000);
            packet(FXP_ATTRS, &b)
        });
        let e = sftp.stat("/x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("truncated"), "{}", e.message);
        let mut sftp = session_answering(|id| packet(FXP_STATUS, &id.to_be_bytes()));
        let e = sftp.setstat("/x", &Attrs::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        let mut sftp = session_answering(|_| packet(FXP_STATUS, &[]));
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Protocol);
        // A zero length (not even a type byte).
        let mut sftp = session_answering(|_| vec![0, 0, 0, 0]);
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Protocol);
    }

    /// A hostile server that announces a huge packet and then sends bytes
    /// without end: the client must refuse on the length, before reading
    /// or allocating any of it.
    struct EndlessServer {
        header: VecDeque<u8>,
        served: u64,
    }

    impl Read for EndlessServer {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.header.is_empty() {
                let n = buf.len().min(self.header.len());
                for (i, b) in self.header.drain(..n).enumerate() {
                    buf[i] = b;
                }
                return Ok(n);
            }
            buf.fill(b'A');
            self.served += buf.len() as u64;
            Ok(buf.len())
        }
    }

    impl Write for EndlessServer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_huge_announced_length_is_refused_before_reading_it() {
        for len in [u32::MAX, MAX_PACKET + 1, 1 << 30] {
            let server = EndlessServer {
                header: len.to_be_bytes().into_iter().collect(),
                served: 0,
            };
            let mut sftp = Sftp {
                stream: server,
                next_id: 1,
            };
            let e = sftp.stat("/x").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Protocol, "{len}");
            assert!(e.message.contains("at most"), "{}", e.message);
            assert_eq!(sftp.stream.served, 0, "bytes were read after the length");
        }
        // Exactly the limit is read (and found not to be a VERSION); no
        // more than the limit is consumed.
        let server = EndlessServer {
            header: MAX_PACKET.to_be_bytes().into_iter().collect(),
            served: 0,
        };
        let e = Sftp::new(server).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Protocol);
    }

    #[test]
    fn huge_string_and_extension_counts_are_errors_not_allocations() {
        // A status message announcing 4 GiB: taken as no message.
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, 4);
            put_u32(&mut b, u32::MAX);
            b.extend_from_slice(b"short");
            packet(FXP_STATUS, &b)
        });
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Api);
        // Attributes announcing 4 billion extended pairs, with one present.
        let mut sftp = session_answering(|id| {
            let mut b = Vec::new();
            put_u32(&mut b, id);
            put_u32(&mut b, ATTR_EXTENDED);
            put_u32(&mut b, u32::MAX);
            put_string(&mut b, b"k");
            put_string(&mut b, b"v");
            packet(FXP_ATTRS, &b)
        });
        assert_eq!(sftp.stat("/x").unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn a_path_too_long_for_a_packet_is_refused_before_sending() {
        let mut sftp = Sftp::new(good_server(Attrs::default())).unwrap();
        let long = "/".repeat(MAX_PACKET as usize);
        let e = sftp.stat(&long).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert_eq!(sftp.into_inner().requests.len(), 1);
    }

    /// Mutated and truncated replies never panic: each decodes or errors.
    #[test]
    fn random_mutations_of_replies_never_panic() {
        let mut attrs = Vec::new();
        put_u32(&mut attrs, 1);
        Attrs {
            size: Some(1),
            uid_gid: Some((2, 3)),
            permissions: Some(0o40755),
            times: Some((4, 5)),
        }
        .encode(&mut attrs);
        let seeds = [
            version_reply(),
            packet(FXP_ATTRS, &attrs),
            status_reply(1, 2, "stat /x: no such file or directory"),
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let mut buf = seeds[round % seeds.len()].clone();
            for _ in 0..(next() % 6) {
                let i = (next() as usize) % buf.len();
                match next() % 4 {
                    0 => buf[i] = next() as u8,
                    1 => {
                        buf.remove(i);
                    }
                    2 => buf.insert(i, [0, 0xff, 1, 3, 105][(next() % 5) as usize]),
                    _ => buf.truncate(i),
                }
                if buf.is_empty() {
                    break;
                }
            }
            // As the reply to INIT, and as the reply to a STAT.
            let first = buf.clone();
            let _ = Sftp::new(FakeSftpServer::new(move |_, _| first.clone()));
            let mut sftp = session_answering(move |_| buf.clone());
            let _ = sftp.stat("/x");
        }
    }
}
