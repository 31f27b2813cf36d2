//! Entry points of the fuzz targets in `fuzz/`, compiled only under
//! `cfg(fuzzing)` (which cargo-fuzz sets): not part of the library's API.
//!
//! Each feeds bytes as a server could send them (or, for [`options`], as
//! a caller could pass them) to the library's own code, the way the
//! library itself does, and asserts only what must hold whatever the bytes
//! are: no panic, no unbounded allocation or wait, and cheap invariants of
//! what was parsed (a parsed value re-serialises to itself, a checked path
//! stays where it must).

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Once, OnceLock, mpsc};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use serde_json::{Map, Value, json};
use tungstenite::Message;

use crate::client::{
    ApiResponse, Client, MAX_MESSAGE, Options, decode_response, operation_outcome,
};
use crate::error::{Error, ErrorKind};
use crate::events::{Events, events_path};
use crate::exec::{self, ExecOptions, parse_command};
use crate::files::{
    FileOptions, check_name, folder_listing, link_inside, normalize, symlink_target,
};
use crate::kinds::Kind;
use crate::model::{self, Object, describe_kind};
use crate::sftp::{Attrs, Sftp};
use crate::transport::{
    Download, Endpoint, Limits, MAX_ERROR_BODY, Request, Response, Socket, Stream, Upload,
};
use crate::unknown_attrs as warnings;
use crate::upgrade;
use crate::ws::{Ws, wait_ready};

/// The longest error message any server can cause: its own text is cut at
/// [`MAX_MESSAGE`], and what the library adds (context, a quoted start of
/// a malformed answer) is short.
const MAX_ERROR_MESSAGE: usize = MAX_MESSAGE + 1024;

/// What any error caused by a server must look like.
fn check_error(e: &Error) {
    assert_ne!(e.kind, ErrorKind::Internal, "{e:?}");
    assert!(!e.message.is_empty(), "{e:?}");
    assert!(
        e.message.len() <= MAX_ERROR_MESSAGE,
        "an error message of {} bytes",
        e.message.len()
    );
}

/// Unknown attributes are reported, but not to the fuzzer's output.
fn quiet_warnings() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        warnings::global().set_sink(Some(Arc::new(|_: &str, _: &str, _: &str| {})));
    });
}

/// A server's bytes as a blocking stream: reads hand out at most `chunk`
/// bytes at a time (to exercise reassembly), then end of stream; writes
/// are taken and dropped.
struct Replay<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Replay<'_> {
    /// The first byte sets the chunk size (0: everything at once).
    fn new(data: &[u8]) -> Option<Replay<'_>> {
        let (&first, rest) = data.split_first()?;
        let chunk = if first == 0 {
            usize::MAX
        } else {
            usize::from(first)
        };
        Some(Replay { data: rest, chunk })
    }
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.chunk);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ----- envelope ---------------------------------------------------------------

/// `decode_response` on a status (the first two bytes, big-endian) and a
/// body (the rest), then what the library reads of an accepted document.
pub fn envelope(data: &[u8]) {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    match decode_response(status, body) {
        Ok(doc) => {
            assert!(status < 400);
            let kind = doc.get("type").and_then(Value::as_str);
            assert!(matches!(kind, Some("sync" | "async")), "{kind:?}");
            let resp = ApiResponse {
                http_status: status,
                etag: None,
                location: None,
                doc,
            };
            if let Some(id) = resp.operation_id() {
                assert!(resp.is_async());
                assert!(!id.is_empty(), "an empty operation id");
            }
            let meta = resp.metadata().clone();
            assert_eq!(resp.into_metadata(), meta);
        }
        Err(e) => {
            check_error(&e);
            if e.kind == ErrorKind::Protocol {
                assert!(status < 400);
                assert_eq!(e.http_status, 0);
            } else {
                assert!(e.http_status >= 400, "{e:?}");
            }
        }
    }
}

// ----- operation --------------------------------------------------------------

/// What the library reads of an operation document (`operation_outcome`,
/// an image's fingerprint, an exec's return code) and of an exec's
/// response (its operation and websocket secrets).
pub fn operation(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Value::Object(op) = &doc {
        let status = op.get("status").and_then(Value::as_str);
        match operation_outcome(op) {
            Ok(()) => assert_eq!(status, Some("Success")),
            Err(e) => {
                check_error(&e);
                assert_ne!(status, Some("Success"));
            }
        }
        match exec::exit_code_of(op) {
            Ok(_) => assert_ne!(status, Some("Running")),
            Err(e) => assert!(matches!(e.kind, ErrorKind::Timeout | ErrorKind::Protocol)),
        }
        for kind in [Kind::Image, Kind::InstanceSnapshot, Kind::InstanceBackup] {
            let _ = model::key_from_operation(kind.info(), op);
        }
    }
    // As the answer to an exec's POST (with a Location header, as a
    // certificate's create reads it).
    let location = doc
        .get("location")
        .and_then(Value::as_str)
        .map(str::to_string);
    let resp = ApiResponse {
        http_status: 202,
        etag: None,
        location,
        doc,
    };
    if let Some(key) = model::location_key(&resp) {
        assert!(!key.is_empty() && !key.contains(['/', '?']), "{key:?}");
    }
    if let Ok((op, fds)) = exec::exec_started(&resp) {
        assert!(!op.is_empty(), "an empty operation id");
        for fd in ["control", "0", "1", "2"] {
            let Ok(path) = exec::websocket_path(&op, &fds, fd) else {
                continue;
            };
            // Whatever the server named, the path is that one websocket's.
            let (p, q) = path.split_once('?').expect("a query");
            assert!(p.starts_with("/1.0/operations/") && p.ends_with("/websocket"));
            assert_eq!(p.matches('/').count(), 4, "{path}");
            assert!(q.starts_with("secret=") && !q.contains(['&', '?', '#']));
            assert!(path.bytes().all(|b| b.is_ascii_graphic()), "{path:?}");
        }
    }
}

// ----- object -----------------------------------------------------------------

/// A server document as an object of one kind: the first byte picks the
/// kind (low 4 bits) and whether the rest is a `recursion=1` list's
/// `metadata` (high bit) or one object's (as a GET returns it). Every
/// attribute is then read and set, and the object serialised.
pub fn object(data: &[u8]) {
    quiet_warnings();
    let Some((&sel, text)) = data.split_first() else {
        return;
    };
    // Kinds with a parent are built under one ("c1").
    let Some(kind) = Kind::from_i32(i32::from(sel & 0x0f) % Kind::COUNT as i32) else {
        return;
    };
    let parents: Vec<String> = (0..kind.depth()).map(|_| "c1".to_string()).collect();
    let Ok(doc) = serde_json::from_slice::<Value>(text) else {
        return;
    };
    let _ = describe_kind(kind);
    let client = Client::offline();
    let objects = if sel & 0x80 != 0 {
        match Object::from_list(&client, kind, &parents, doc) {
            Ok(objects) => objects,
            Err(e) => {
                check_error(&e);
                assert_eq!(e.kind, ErrorKind::Protocol);
                return;
            }
        }
    } else {
        let resp = ApiResponse {
            http_status: 200,
            etag: Some("\"fuzz\"".into()),
            location: None,
            doc: json!({"type": "sync", "metadata": doc}),
        };
        let made = model::fetched(kind, "k", resp)
            .and_then(|(attrs, etag)| Object::from_server(&client, kind, parents, attrs, etag));
        match made {
            Ok(o) => vec![o],
            Err(e) => {
                check_error(&e);
                assert!(matches!(e.kind, ErrorKind::Protocol | ErrorKind::NotFound));
                return;
            }
        }
    };
    for obj in &objects {
        exercise_object(obj);
    }
}

fn exercise_object(obj: &Object) {
    let info = obj.info();
    // A loaded object answers everything without a request (the offline
    // client would fail one).
    let Value::Object(server) = obj.to_json().expect("to_json of a loaded object") else {
        panic!("to_json gave no object");
    };
    // The key as the document gives it (a volume's carries its type: a
    // key attribute alone is not the key).
    assert_eq!(Some(obj.key()), model::key_of(info, &server));
    for (name, v) in &server {
        assert_eq!(&obj.get_attr(name).expect("a sent attribute"), v);
    }
    for a in info.attrs {
        if !server.contains_key(a.name) {
            assert_eq!(
                obj.get_attr(a.name).expect("a schema attribute"),
                Value::Null
            );
        }
    }
    let absent = "\u{0}not-an-attribute";
    if !server.contains_key(absent) {
        let e = obj.get_attr(absent).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownAttribute);
    }
    assert!(!obj.dirty());
    // Set every writable attribute to one of the document's values.
    let values: Vec<&Value> = server.values().collect();
    let mut set = Map::new();
    for (i, name) in info.writable().enumerate() {
        let v = values.get(i).map_or_else(|| json!(i), |v| (*v).clone());
        obj.set_attr(name, v.clone()).expect("a writable attribute");
        assert_eq!(obj.get_attr(name).unwrap(), v);
        set.insert(name.to_string(), v);
    }
    assert_eq!(obj.dirty(), !set.is_empty());
    for a in info.attrs.iter().filter(|a| !a.writable) {
        let e = obj.set_attr(a.name, Value::Null).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ReadOnly);
    }
    for name in server.keys().filter(|n| info.attr(n).is_none()) {
        let e = obj.set_attr(name, Value::Null).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownAttribute);
    }
    let Value::Object(all) = obj.to_json().unwrap() else {
        panic!("to_json gave no object");
    };
    for (k, v) in &server {
        assert_eq!(all.get(k), Some(set.get(k).unwrap_or(v)));
    }
    // A save would PUT exactly the writable attributes, as they read now.
    let body = obj.save_body();
    assert_eq!(body, set);
    assert!(serde_json::to_vec(&Value::Object(body)).is_ok());
}

// ----- pull_checks ------------------------------------------------------------

/// The checks of a recursive pull on what a server says of a tree. The
/// input is parts separated by 0xFF bytes: first `root` (the path the
/// caller asked for) and optionally, after a newline, the folder the
/// listing is of, relative to the root; then the body of that folder's
/// listing (LXD's JSON); then, in order, the bodies of the listed names
/// that are symlinks (the others are files). A first symlink body that
/// comes with an empty listing makes the root itself a symlink.
pub fn pull_checks(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0xff);
    let head = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let listing = parts.next().unwrap_or_default();
    let links: Vec<&[u8]> = parts.collect();
    let (asked, dir) = head.split_once('\n').unwrap_or((&head, ""));
    if !asked.starts_with('/') {
        return;
    }
    // What `follow` makes of the path asked for, and of a symlink there.
    let root = check_normalized(asked);
    if listing.is_empty() {
        if let Some(body) = links.first() {
            match symlink_target(&root, body) {
                Ok(t) => {
                    assert!(t.starts_with('/'), "{t:?}");
                    check_normalized(&t);
                }
                Err(e) => check_error(&e),
            }
        }
        return;
    }
    // The folder whose listing this is, as the walk reaches it: each of
    // its components was a listed name that passed the checks.
    let mut rel = PathBuf::new();
    let mut remote = root.trim_end_matches('/').to_string();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        if check_name(&remote, part).is_err() {
            return;
        }
        rel.push(part);
        remote = format!("{remote}/{part}");
    }
    let resp = Response {
        status: 200,
        headers: Default::default(),
        body: listing.to_vec(),
    };
    let mut names = match folder_listing(&remote, &resp) {
        Ok(names) => names,
        Err(e) => return check_error(&e),
    };
    names.sort();
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = check_name(&remote, name) {
            check_error(&e);
            assert_eq!(e.kind, ErrorKind::UnsafePath);
            continue;
        }
        // A plain name: one component, itself.
        let comps: Vec<Component> = Path::new(name).components().collect();
        assert_eq!(comps, [Component::Normal(name.as_ref())], "{name:?}");
        let child = format!("{}/{}", remote.trim_end_matches('/'), name);
        let link_rel = rel.join(name);
        let Some(body) = links.get(i) else { continue };
        let target = match symlink_target(&child, body) {
            Ok(t) => t,
            Err(e) => {
                check_error(&e);
                continue;
            }
        };
        assert!(target.starts_with('/'), "{target:?}");
        check_link(&root, &link_rel, &target);
    }
}

/// `normalize(path)` and its invariants: absolute, no `.`, `..` or empty
/// component, and normalized already.
fn check_normalized(path: &str) -> String {
    let n = normalize(Path::new(path));
    assert!(n.starts_with('/'), "{n:?}");
    if n != "/" {
        assert!(
            n[1..]
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != ".."),
            "{path:?} -> {n:?}"
        );
    }
    assert_eq!(normalize(Path::new(&n)), n);
    n
}

/// The symlink at `link_rel` in the tree pulled from `root` points to
/// `target`: it may be recreated only to point to the same place inside
/// the local copy.
fn check_link(root: &str, link_rel: &Path, target: &str) {
    let root_n = check_normalized(root);
    let target_n = check_normalized(target);
    let Some(local) = link_inside(root, link_rel, target) else {
        // Refused: the target lies outside the root.
        assert!(
            !(target_n == root_n || root_n == "/" || target_n.starts_with(&format!("{root_n}/"))),
            "{target:?} is inside {root:?}"
        );
        return;
    };
    // Relative, with `..` only in front.
    let mut parts = local.components().peekable();
    while parts.next_if_eq(&Component::ParentDir).is_some() {}
    assert!(
        parts.all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
        "{local:?}"
    );
    // Resolved (lexically) from the link's folder in a local copy at /L,
    // it stays in /L, at the target's place.
    let from = Path::new("/L").join(link_rel.parent().unwrap_or(Path::new("")));
    let resolved = normalize(&from.join(&local));
    let inside = if resolved == "/L" {
        ""
    } else {
        resolved
            .strip_prefix("/L/")
            .unwrap_or_else(|| panic!("{local:?} from {from:?} leaves the copy: {resolved}"))
    };
    let want = if root_n == "/" {
        target_n.trim_start_matches('/')
    } else if target_n == root_n {
        ""
    } else {
        &target_n[root_n.len() + 1..]
    };
    assert_eq!(
        inside, want,
        "{root:?} {link_rel:?} {target:?} -> {local:?}"
    );
}

// ----- sftp_reply -------------------------------------------------------------

/// SFTP replies: the first byte is how many bytes each read hands out
/// (0: all), the rest is what the server sends to INIT and then to a
/// sequence of STAT, LSTAT and SETSTAT requests (ids 1, 2, …).
pub fn sftp_reply(data: &[u8]) {
    let Some(stream) = Replay::new(data) else {
        return;
    };
    let mut sftp = match Sftp::new(stream) {
        Ok(s) => s,
        Err(e) => return check_error(&e),
    };
    for step in 0..8 {
        let done = match step % 4 {
            0 => sftp.stat("/root/x").map(|a| a.is_dir()),
            1 => sftp.lstat("/root/link").map(|a| a.is_dir()),
            2 => sftp
                .setstat(
                    "/root/d",
                    &Attrs {
                        uid_gid: Some((1000, 1000)),
                        ..Attrs::default()
                    },
                )
                .map(|()| None),
            _ => sftp
                .setstat(
                    "/root/d",
                    &Attrs {
                        permissions: Some(0o2775),
                        ..Attrs::default()
                    },
                )
                .map(|()| None),
        };
        if let Err(e) = done {
            check_error(&e);
            assert_ne!(e.kind, ErrorKind::InvalidArgument);
            if e.kind == ErrorKind::Connection {
                return;
            }
        }
    }
}

// ----- upgrade_head -----------------------------------------------------------

/// The answer to an HTTP upgrade (to SFTP): the first byte is how many
/// bytes each read hands out (0: all), the rest is what the server sends.
pub fn upgrade_head(data: &[u8]) {
    let Some(mut stream) = Replay::new(data) else {
        return;
    };
    let sent = stream.data;
    match upgrade::switched(&mut stream, "sftp upgrade of /1.0/instances/c/sftp", "sftp") {
        // A 101 to SFTP: what was read of the stream is its head alone
        // (bytes after it in the same read are refused; later ones are
        // the new protocol's).
        Ok(()) => {
            let head = &sent[..sent.len() - stream.data.len()];
            assert!(head.starts_with(b"HTTP/1.") && head.ends_with(b"\n"));
        }
        Err(e) => {
            check_error(&e);
            // A refusal's body is read up to its cap, never all of a flood.
            let read = sent.len() - stream.data.len();
            assert!(read as u64 <= crate::transport::MAX_HEAD as u64 + MAX_ERROR_BODY + 9216);
        }
    }
}

// ----- options ----------------------------------------------------------------

/// The caller's JSON option texts (client, exec, command, file options
/// with each allowed-key list), event type lists and endpoints: each
/// accepted value is within its bounds and re-serialises to itself.
pub fn options(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    client_options(text);
    exec_options(text);
    command(text);
    for allowed in [
        &["mode", "uid", "gid", "append"][..],
        &["mode", "uid", "gid", "parents"],
        &["mode", "uid", "gid"],
        &["keep_special_bits"],
    ] {
        file_options(text, allowed);
    }
    event_types(text);
    endpoint(text);
}

fn client_options(text: &str) {
    let o = match Options::from_json(Some(text)) {
        Ok(o) => o,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            return;
        }
    };
    assert_eq!(o.cert.is_some(), o.key.is_some());
    let ms = |d: Duration| u64::try_from(d.as_millis()).expect("milliseconds fit");
    for d in [o.timeout, o.deadline].into_iter().flatten() {
        assert!((1..=1u64 << 53).contains(&ms(d)));
    }
    if let Some(n) = o.max_response_bytes {
        assert!((1..=1u64 << 53).contains(&n));
    }
    let _ = o.tls();
    let mut m = Map::new();
    let path = |p: &PathBuf| json!(p.to_str().expect("a path from JSON text"));
    for (k, p) in [
        ("cert", &o.cert),
        ("key", &o.key),
        ("server_cert", &o.server_cert),
    ] {
        if let Some(p) = p {
            m.insert(k.into(), path(p));
        }
    }
    if let Some(v) = o.verify {
        m.insert("verify".into(), json!(v));
    }
    if let Some(d) = o.timeout {
        m.insert("timeout_ms".into(), json!(ms(d)));
    }
    if let Some(d) = o.deadline {
        m.insert("deadline_ms".into(), json!(ms(d)));
    }
    if let Some(n) = o.max_response_bytes {
        m.insert("max_response_bytes".into(), json!(n));
    }
    if let Some(p) = &o.project {
        m.insert("project".into(), json!(p));
    }
    let again = Options::from_json(Some(&Value::Object(m).to_string())).expect("re-parse");
    assert_eq!(again, o);
}

fn exec_options(text: &str) {
    let o = match ExecOptions::from_json(Some(text)) {
        Ok(o) => o,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            return;
        }
    };
    for (name, value) in &o.environment {
        assert!(!name.is_empty() && !name.contains(['=', '\0']), "{name:?}");
        assert!(value.as_str().is_some_and(|v| !v.contains('\0')));
    }
    assert!(o.cwd.as_ref().is_none_or(|c| !c.contains('\0')));
    let mut m = Map::new();
    m.insert("environment".into(), Value::Object(o.environment.clone()));
    if let Some(c) = &o.cwd {
        m.insert("cwd".into(), json!(c));
    }
    if let Some(u) = o.user {
        m.insert("user".into(), json!(u));
    }
    if let Some(g) = o.group {
        m.insert("group".into(), json!(g));
    }
    let timeout = o.timeout.map_or(0, |t| t.as_millis());
    m.insert("timeout_ms".into(), json!(u64::try_from(timeout).unwrap()));
    m.insert("width".into(), json!(o.width));
    m.insert("height".into(), json!(o.height));
    let again = ExecOptions::from_json(Some(&Value::Object(m).to_string())).expect("re-parse");
    assert_eq!(again.environment, o.environment);
    assert_eq!(
        (again.cwd, again.user, again.group, again.timeout),
        (o.cwd, o.user, o.group, o.timeout)
    );
    assert_eq!((again.width, again.height), (o.width, o.height));
}

fn command(text: &str) {
    match parse_command(text) {
        Ok(cmd) => {
            assert!(!cmd.is_empty());
            assert!(cmd.iter().all(|a| !a.contains('\0')));
            let again = parse_command(&serde_json::to_string(&cmd).unwrap()).expect("re-parse");
            assert_eq!(again, cmd);
        }
        Err(e) => assert_eq!(e.kind, ErrorKind::InvalidArgument),
    }
}

fn file_options(text: &str, allowed: &[&str]) {
    let o = match FileOptions::from_json(Some(text), allowed) {
        Ok(o) => o,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e:?}");
            return;
        }
    };
    if let Some(m) = o.mode {
        assert!(m <= 0o7777);
    }
    let mut back = Map::new();
    let mut put = |k: &str, v: Value| {
        if allowed.contains(&k) {
            back.insert(k.into(), v);
        }
    };
    if let Some(m) = o.mode {
        put("mode", json!(format!("{m:o}")));
    }
    if let Some(u) = o.uid {
        put("uid", json!(u));
    }
    if let Some(g) = o.gid {
        put("gid", json!(g));
    }
    put("append", json!(o.append));
    put("parents", json!(o.parents));
    put("keep_special_bits", json!(o.keep_special_bits));
    let again =
        FileOptions::from_json(Some(&Value::Object(back).to_string()), allowed).expect("re-parse");
    let fields = |o: &FileOptions| {
        (
            o.mode,
            o.uid,
            o.gid,
            o.append,
            o.parents,
            o.keep_special_bits,
        )
    };
    assert_eq!(fields(&again), fields(&o));
    // LXD reads the mode header with Go's ParseInt(s, 0, 32): octal only
    // with a leading 0, which it must have.
    for kind in ["file", "directory", "symlink"] {
        let headers = o.headers(kind);
        let mode = headers.iter().find(|(k, _)| *k == "X-LXD-mode");
        match (o.mode, mode) {
            (Some(m), Some((_, v))) => {
                let octal = v.strip_prefix('0').expect("a leading 0");
                assert_eq!(u32::from_str_radix(octal, 8), Ok(m), "{v:?}");
            }
            (None, None) => {}
            other => panic!("mode {other:?}"),
        }
    }
}

fn event_types(text: &str) {
    let path = match events_path(Some(text)) {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            return;
        }
    };
    let list = path
        .strip_prefix("/1.0/events?type=")
        .expect("a type query");
    // Only names and encoded commas: nothing else reaches the query.
    let decoded = list.replace("%2C", ",");
    assert!(
        decoded
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b','),
        "{path:?}"
    );
    assert_eq!(events_path(Some(&decoded)).expect("re-check"), path);
}

fn endpoint(text: &str) {
    match Endpoint::parse_with(Some(text), None, |_| false) {
        Ok(e) => {
            let again = match &e {
                Endpoint::Unix(p) => {
                    let p = p.to_str().expect("a path from text");
                    // "unix:" + "//x" would read as a URL: "//x" alone is the path.
                    if p.starts_with("//") {
                        p.to_string()
                    } else {
                        format!("unix:{p}")
                    }
                }
                // A host with brackets left over ("https://a::b]:1") is let
                // through, to fail at connect: it does not re-parse.
                Endpoint::Https { host, .. } if host.contains(['[', ']']) => return,
                Endpoint::Https { .. } => format!("https://{}", e.host_header()),
            };
            assert_eq!(Endpoint::parse_with(Some(&again), None, |_| false), Ok(e));
        }
        Err(e) => assert_eq!(e.kind, ErrorKind::InvalidArgument),
    }
}

// ----- events_ws --------------------------------------------------------------

/// Websocket frames as the server sends them, read as the event stream
/// does (`Events::next`) or as exec reads its streams (`Ws::try_read`).
/// Flags (first byte): bit 0 set: the rest is frames only; else it is the
/// whole answer to the handshake, `{accept}` standing for the
/// `Sec-WebSocket-Accept` value the client expects. Bit 1 set: read with
/// `try_read`, else with `Events::next`.
pub fn events_ws(data: &[u8]) {
    let Some((&flags, sent)) = data.split_first() else {
        return;
    };
    let (client, server) = UnixStream::pair().expect("socketpair");
    let step = Some(Duration::from_secs(5));
    client.set_read_timeout(step).unwrap();
    client.set_write_timeout(step).unwrap();
    let handshake = flags & 1 == 0;
    let answer = sent.to_vec();
    let done = on_server_thread(move || serve_ws(server, &answer, handshake));
    read_ws(client, handshake, flags & 2 == 0);
    done.wait();
}

/// The client's part of [`events_ws`]; its socket is closed on return.
fn read_ws(client: UnixStream, handshake: bool, as_events: bool) {
    let stream = Stream::Plain(Socket::Unix(client));
    let what = "websocket /1.0/events".to_string();
    let ws = if handshake {
        Ws::handshake(stream, "ws://lxd/1.0/events", what)
    } else {
        Ws::raw(stream, what)
    };
    match ws {
        Ok(ws) if as_events => read_events(Events { ws }),
        Ok(ws) => read_frames(ws),
        Err(e) => check_error(&e),
    }
}

/// Take events until the stream ends (the fake server always ends it).
fn read_events(mut events: Events) {
    loop {
        match events.next(Some(Duration::from_secs(5))) {
            Ok(Some(_event)) => {}
            Ok(None) => panic!("no event and no end within 5 s"),
            Err(e) => {
                check_error(&e);
                assert!(matches!(
                    e.kind,
                    ErrorKind::Connection | ErrorKind::Protocol
                ));
                // Asking again is fine too (and never waits: the server is done).
                if let Err(e) = events.next(Some(Duration::ZERO)) {
                    check_error(&e);
                }
                return;
            }
        }
    }
}

/// Read messages as exec's loop does, until the websocket is finished.
fn read_frames(mut ws: Ws) {
    let deadline = Some(Instant::now() + Duration::from_secs(5));
    loop {
        match ws.try_read() {
            Ok(Some(Message::Close(_))) => {
                assert!(ws.finished());
                assert!(matches!(ws.try_read(), Ok(None)));
                return;
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                assert!(!ws.finished());
                let ready = wait_ready(&[(ws.fd(), true, false)], deadline).unwrap();
                assert!(ready.is_some(), "no frame and no end within 5 s");
            }
            Err(e) => {
                check_error(&e);
                return;
            }
        }
    }
}

/// The fake websocket server: answers the handshake (if asked) with the
/// bytes given, then ends its side and takes whatever the client writes.
fn serve_ws(server: UnixStream, sent: &[u8], handshake: bool) {
    let _ = server.set_read_timeout(Some(Duration::from_secs(5)));
    let mut server = Socket::Unix(server);
    let mut answer = Cow::Borrowed(sent);
    if handshake {
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match server.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head);
        let key = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| v.trim())
            })
            .unwrap_or("");
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        answer = Cow::Owned(replace_all(sent, b"{accept}", accept.as_bytes()));
    }
    let _ = server.write_all(&answer);
    if let Socket::Unix(s) = &server {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut buf = [0u8; 4096];
    while let Ok(n) = server.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

fn replace_all(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

// ----- http_response ----------------------------------------------------------

/// A server's answers to two requests of one client, through the
/// library's HTTP transport (ureq over our connector) and LXD's envelope,
/// on kept-alive connections.
///
/// Input: byte 0 is flags: bits 0–2 and 3–5 pick how the first and the
/// second request are made (see [`request`]); bit 6: the server ends the
/// first connection after its answer. Byte 1: when not 0, each answer is
/// written in pieces of that many bytes, each once the client waits for
/// more (the first 64 pieces; then the rest). Bytes 2–3: the length of
/// the first answer (big-endian); the rest is the second answer. A
/// request beyond those (a resend) gets no answer: its connection is
/// closed.
///
/// The fake server writes each answer as soon as a request has arrived,
/// and ends a connection (so the client sees end of file) only when the
/// client waits for more of it: it knows that the client waits from the
/// client thread's state (sleeping) while nothing is left to send or read.
/// That keeps every run free of timeouts, and fast.
pub fn http_response(data: &[u8]) {
    let [flags, piece, hi, lo, rest @ ..] = data else {
        return;
    };
    let first = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
    let (a1, a2) = rest.split_at(first);
    let (control, server_control) = UnixStream::pair().expect("socketpair");
    let server = FakeHttp {
        listener: http_listener(),
        control: server_control,
        answers: [a1.to_vec(), a2.to_vec()],
        next: 0,
        piece: usize::from(*piece),
        close_first: flags & 0x40 != 0,
        client: ClientThread::this(),
        conns: Vec::new(),
        last: None,
    };
    let done = on_server_thread(move || server.serve());
    let client = Client::for_socket(socket_path());
    request(&client, flags & 7);
    request(&client, (flags >> 3) & 7);
    drop(client);
    drop(control);
    done.wait();
}

/// One socket path per process, for the fake HTTP server, in a folder of
/// its own that goes when the process exits (not when it crashes).
fn socket_path() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    extern "C" fn remove_dir() {
        if let Some(dir) = DIR.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("liblxd-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the fake server");
        let path = dir.join("http.socket");
        if DIR.set(dir).is_ok() {
            unsafe { libc::atexit(remove_dir) };
        }
        path
    })
}

/// The fake HTTP server's listening socket, bound once per process.
fn http_listener() -> &'static UnixListener {
    static LISTENER: OnceLock<UnixListener> = OnceLock::new();
    LISTENER.get_or_init(|| {
        let path = socket_path();
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind the fake server");
        listener.set_nonblocking(true).unwrap();
        listener
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs a fake server's part of one run on a thread kept for that: a new
/// thread per run would cost more than the run itself (under ASan).
fn on_server_thread(job: impl FnOnce() + Send + 'static) -> Finished {
    static JOBS: OnceLock<std::sync::Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let jobs = JOBS.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("fake-server".into())
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .expect("the fake server's thread");
        std::sync::Mutex::new(tx)
    });
    let (done, finished) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        job();
        let _ = done.send(());
    });
    jobs.lock()
        .unwrap()
        .send(job)
        .expect("the fake server's thread");
    Finished(finished)
}

/// The end of a job on the server thread.
struct Finished(mpsc::Receiver<()>);

impl Finished {
    fn wait(self) {
        self.0.recv().expect("the fake server finished");
    }
}

/// One request, made as the library makes it: 0 GET, 1 HEAD, 2 POST,
/// 3 PUT guarded by If-Match (resent on a stale connection), 4 DELETE,
/// all through `Client::request` (with LXD's envelope); 5 a GET with a
/// 200-byte cap on the body; 6 a GET whose 200 body streams to a sink (a
/// file pull); 7 a PUT of a 100-byte upload (a file push).
fn request(client: &Client, how: u8) {
    let checked = |r: crate::Result<ApiResponse>| match r {
        Ok(resp) => {
            if let Some(id) = resp.operation_id() {
                assert!(!id.is_empty());
            }
        }
        Err(e) => check_error(&e),
    };
    let path = "/1.0/instances?recursion=1";
    let body = json!({"name": "c1", "source": {"type": "none"}});
    match how {
        0 => checked(client.request("GET", path, None, &[])),
        1 => checked(client.request("HEAD", "/1.0/instances/c1", None, &[])),
        2 => checked(client.request("POST", "/1.0/instances", Some(&body), &[])),
        3 => checked(client.request(
            "PUT",
            "/1.0/profiles/p",
            Some(&body),
            &[("If-Match", "\"e\"")],
        )),
        4 => checked(client.request("DELETE", "/1.0/instances/c1", None, &[])),
        5 => raw_request(client, "GET", None, None, 200),
        6 => {
            let mut sink = Vec::new();
            let accept = |r: &Response| r.status == 200;
            let download = Download {
                sink: &mut sink,
                accept: &accept,
            };
            raw_request(client, "GET", None, Some(download), 1 << 20);
        }
        _ => {
            let mut data = &[b'x'; 100][..];
            let upload = Upload {
                reader: &mut data,
                len: 100,
                file: None,
            };
            raw_request(client, "PUT", Some(upload), None, 1 << 20);
        }
    }
}

/// A request through the transport alone, as file transfers make them,
/// its body read into memory up to `max_body`.
fn raw_request(
    client: &Client,
    method: &str,
    upload: Option<Upload<'_>>,
    download: Option<Download<'_>>,
    max_body: u64,
) {
    let req = Request {
        method,
        target: "/1.0/instances/c/files?path=%2Froot%2Fx",
        headers: &[],
        body: None,
    };
    let limits = Limits {
        io_timeout: Some(Duration::from_secs(5)),
        deadline: Some(Instant::now() + Duration::from_secs(10)),
        max_body,
    };
    match client.transport().send(&req, upload, download, &limits) {
        Ok(resp) => {
            let cap = if resp.status >= 400 {
                max_body.min(MAX_ERROR_BODY)
            } else {
                max_body
            };
            assert!(resp.body.len() as u64 <= cap, "{} > {cap}", resp.body.len());
            if let Err(e) = decode_response(resp.status, &resp.body) {
                check_error(&e);
            }
        }
        Err(e) => check_error(&e),
    }
}

/// The fake HTTP server of one run (see [`http_response`]).
struct FakeHttp {
    listener: &'static UnixListener,
    /// Readable (closed) once the client is done.
    control: UnixStream,
    answers: [Vec<u8>; 2],
    /// The next answer to give.
    next: usize,
    /// Write answers in pieces of this many bytes (0: whole).
    piece: usize,
    /// End the connection that got the first answer once it is written.
    close_first: bool,
    /// The client's thread.
    client: ClientThread,
    conns: Vec<FakeConn>,
    /// The connection that got the last answer.
    last: Option<usize>,
}

struct FakeConn {
    sock: Socket,
    /// Bytes of requests not yet complete.
    input: Vec<u8>,
    /// The answer being written, and how much of it is written.
    out: Vec<u8>,
    at: usize,
    /// Pieces written of the current answer.
    pieces: usize,
    /// The answer was the first one, to end with the connection.
    close_after: bool,
    /// Reads ended (the client closed it).
    gone: bool,
    /// Writes ended (we closed our side).
    shut: bool,
}

impl FakeConn {
    fn left(&self) -> &[u8] {
        &self.out[self.at..]
    }

    fn shut(&mut self) {
        if !self.shut {
            self.shut = true;
            self.at = self.out.len();
            if let Socket::Unix(s) = &self.sock {
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
        }
    }
}

const MAX_PIECES: usize = 64;

impl FakeHttp {
    fn serve(mut self) {
        let started = Instant::now();
        // 20 µs between looks at the client's state.
        let tick = Timespec {
            tv_sec: 0,
            tv_nsec: 20_000,
        };
        while started.elapsed() < Duration::from_secs(20) {
            let (ctl, new, ready) = {
                let mut fds = vec![
                    PollFd::new(&self.control, PollFlags::IN),
                    PollFd::new(&self.listener, PollFlags::IN),
                ];
                for c in self.conns.iter().filter(|c| !c.gone) {
                    fds.push(PollFd::new(&c.sock, PollFlags::IN));
                }
                match poll(&mut fds, Some(&tick)) {
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => panic!("poll: {e}"),
                }
                let ready: Vec<bool> = fds[2..].iter().map(|f| !f.revents().is_empty()).collect();
                (
                    !fds[0].revents().is_empty(),
                    !fds[1].revents().is_empty(),
                    ready,
                )
            };
            if ctl {
                // Connections the client opened and gave up on must not
                // reach the next run.
                while self.listener.accept().is_ok() {}
                return;
            }
            let mut progress = false;
            if new {
                while let Ok((sock, _)) = self.listener.accept() {
                    self.conns.push(FakeConn {
                        sock: Socket::Unix(sock),
                        input: Vec::new(),
                        out: Vec::new(),
                        at: 0,
                        pieces: 0,
                        close_after: false,
                        gone: false,
                        shut: false,
                    });
                    progress = true;
                }
            }
            let live: Vec<usize> = (0..self.conns.len())
                .filter(|&i| !self.conns[i].gone)
                .collect();
            for (i, r) in live.into_iter().zip(ready) {
                if r {
                    progress = true;
                    self.take_input(i);
                }
            }
            // Asleep and, after that, still nothing from it: it waits.
            if !progress && self.client.sleeps() && !self.pending() {
                self.client_waits();
            }
        }
        panic!("the fake server ran 20 s");
    }

    /// Whether a connection or a request is waiting to be taken, now.
    fn pending(&self) -> bool {
        let mut fds = vec![PollFd::new(&self.listener, PollFlags::IN)];
        for c in self.conns.iter().filter(|c| !c.gone) {
            fds.push(PollFd::new(&c.sock, PollFlags::IN));
        }
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        !matches!(poll(&mut fds, Some(&now)), Ok(0))
    }

    /// Read what arrived on connection `i`; answer each complete request.
    fn take_input(&mut self, i: usize) {
        let mut buf = [0u8; 16384];
        let c = &mut self.conns[i];
        match c.sock.read(&mut buf) {
            Ok(0) | Err(_) => {
                c.gone = true;
                return;
            }
            Ok(n) => c.input.extend_from_slice(&buf[..n]),
        }
        while let Some(len) = request_len(&self.conns[i].input) {
            self.conns[i].input.drain(..len);
            self.answer(i);
        }
    }

    /// Give connection `i` the next answer, or end it when none is left.
    fn answer(&mut self, i: usize) {
        self.last = Some(i);
        let answer = self.answers.get(self.next).cloned();
        self.next += 1;
        let c = &mut self.conns[i];
        if c.shut {
            return;
        }
        match answer {
            Some(a) => {
                c.out = a;
                c.at = 0;
                c.pieces = 0;
                c.close_after = self.next == 1 && self.close_first;
                self.write_piece(i);
            }
            None => c.shut(),
        }
    }

    /// Write the next piece of connection `i`'s answer (all of it when not
    /// writing in pieces).
    fn write_piece(&mut self, i: usize) {
        let c = &mut self.conns[i];
        if c.shut {
            return;
        }
        let left = c.out.len() - c.at;
        let n = if self.piece > 0 && c.pieces < MAX_PIECES {
            self.piece.min(left)
        } else {
            left
        };
        let written = c.sock.write(&c.out[c.at..c.at + n]);
        c.at = written.map_or(c.out.len(), |w| c.at + w);
        c.pieces += 1;
        if c.left().is_empty() && c.close_after {
            c.shut();
        }
    }

    /// The client sleeps and nothing is on its way: it waits for more of
    /// an answer. Send the next piece; else end the connection it waits
    /// on (or, not knowing which, every one).
    fn client_waits(&mut self) {
        if let Some(i) = (0..self.conns.len()).find(|&i| !self.conns[i].left().is_empty()) {
            return self.write_piece(i);
        }
        match self.last {
            Some(i) if !self.conns[i].shut => self.conns[i].shut(),
            _ => self.conns.iter_mut().for_each(FakeConn::shut),
        }
    }
}

/// The length of the first complete request in `input` (head and
/// Content-Length body), if it has all arrived.
fn request_len(input: &[u8]) -> Option<usize> {
    let head = input.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = String::from_utf8_lossy(&input[..head]).to_ascii_lowercase();
    let body = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (input.len() >= head + body).then_some(head + body)
}

/// The client's thread, as the fake server watches it.
struct ClientThread(std::fs::File);

impl ClientThread {
    /// The calling thread.
    fn this() -> ClientThread {
        let tid = unsafe { libc::gettid() };
        let stat = std::fs::File::open(format!("/proc/self/task/{tid}/stat"));
        ClientThread(stat.expect("the thread's /proc stat"))
    }

    /// Whether it is sleeping (blocked in a call).
    fn sleeps(&self) -> bool {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 512];
        let Ok(n) = self.0.read_at(&mut buf, 0) else {
            return true;
        };
        // "tid (name) S …": the state follows the last ')'.
        let stat = &buf[..n];
        let Some(end) = stat.iter().rposition(|b| *b == b')') else {
            return true;
        };
        stat.get(end + 2) == Some(&b'S')
    }
}
