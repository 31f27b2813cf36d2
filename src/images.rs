//! Images that move: upload from local files (a unified tarball, or split
//! metadata and rootfs through LXD's multipart upload), export to local
//! files (one, or two for a split image), and copy to another server.
//! Everything streams: memory stays flat whatever the image's size.

use std::cell::RefCell;
use std::fs;
use std::io::{self, Cursor, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::client::{Client, Finished, decode_response, encode_component};
use crate::error::{Error, ErrorKind, Result};
use crate::files::{LazyFile, Meter, MeteredReader, MeteredWriter, Progress};
use crate::kinds::Kind;
use crate::model::{Locator, Object};
use crate::transport::{Download, FileBody, Request, Response, Upload};

/// Options of an upload, from JSON.
#[derive(Debug, Default)]
pub struct UploadOptions {
    pub public: Option<bool>,
    pub auto_update: Option<bool>,
    /// (name, description) of aliases to point at the new image.
    pub aliases: Vec<(String, String)>,
    pub properties: Map<String, Value>,
    pub filename: Option<String>,
}

fn want_bool(k: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::invalid(format!("image option {k:?} must be true or false")))
}

/// Aliases as `["a", "b"]` or `[{"name": "a", "description": "…"}]`.
fn parse_aliases(v: &Value) -> Result<Vec<(String, String)>> {
    let bad = || {
        Error::invalid(
            "image option \"aliases\" must be a list of names or of {\"name\", \"description\"}",
        )
    };
    let list = v.as_array().ok_or_else(bad)?;
    list.iter()
        .map(|a| match a {
            Value::String(n) if !n.is_empty() => Ok((n.clone(), String::new())),
            Value::Object(m) => {
                let name = m
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(bad)?;
                let desc = m.get("description").and_then(Value::as_str).unwrap_or("");
                Ok((name.to_string(), desc.to_string()))
            }
            _ => Err(bad()),
        })
        .collect()
}

/// Options given as a JSON object (NULL: none): the object's members.
pub(crate) fn options_map(text: Option<&str>, what: &str) -> Result<Option<Map<String, Value>>> {
    let Some(text) = text else { return Ok(None) };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(Error::invalid(format!("{what} must be a JSON object"))),
        Err(e) => Err(Error::invalid(format!("{what} are not valid JSON: {e}"))),
    }
}

impl UploadOptions {
    pub fn from_json(text: Option<&str>) -> Result<UploadOptions> {
        let mut o = UploadOptions::default();
        let Some(map) = options_map(text, "image options")? else {
            return Ok(o);
        };
        for (k, v) in &map {
            match k.as_str() {
                "public" => o.public = Some(want_bool(k, v)?),
                "auto_update" => o.auto_update = Some(want_bool(k, v)?),
                "aliases" => o.aliases = parse_aliases(v)?,
                "properties" => {
                    let Value::Object(p) = v else {
                        return Err(Error::invalid(
                            "image option \"properties\" must be an object of strings",
                        ));
                    };
                    if p.values().any(|x| !x.is_string()) {
                        return Err(Error::invalid(
                            "image option \"properties\" must be an object of strings",
                        ));
                    }
                    o.properties = p.clone();
                }
                "filename" => {
                    o.filename = Some(
                        v.as_str()
                            .filter(|f| !f.is_empty() && !f.contains(['/', '\0', '\r', '\n']))
                            .ok_or_else(|| {
                                Error::invalid(
                                    "image option \"filename\" must be a plain file name",
                                )
                            })?
                            .to_string(),
                    )
                }
                other => {
                    return Err(Error::invalid(format!(
                        "unknown image option {other:?} (known: public, auto_update, aliases, properties, filename)"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// A file to send, opened, with its length.
fn open_sized(path: &Path) -> Result<(fs::File, u64)> {
    let ctx = || format!("cannot read {}", path.display());
    let f = fs::File::open(path).map_err(|e| Error::from_local_io(&ctx(), &e))?;
    let m = f.metadata().map_err(|e| Error::from_local_io(&ctx(), &e))?;
    if !m.is_file() {
        return Err(Error::invalid(format!("{} is not a file", path.display())));
    }
    Ok((f, m.len()))
}

/// A boundary that appears in no part's header (the files are not
/// scanned: a multipart reader looks for the boundary only at a line
/// start after `--`, and a 32-hex-digit random token there is as unlikely
/// as a hash collision).
fn boundary() -> String {
    let mut bytes = [0u8; 16];
    let ok = fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !ok {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = t.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("liblxd-{hex}")
}

/// Upload an image: `unified` is a unified tarball, or with `rootfs` the
/// metadata tarball of a split image. With `wait` the image is loaded
/// (and aliases and auto_update applied); without, the object holds the
/// operation and learns its fingerprint on first use.
pub fn upload(
    client: &Client,
    first: &Path,
    rootfs: Option<&Path>,
    opts: &UploadOptions,
    wait: bool,
    progress: Option<Progress<'_>>,
) -> Result<Object> {
    if !wait && (!opts.aliases.is_empty() || opts.auto_update.is_some()) {
        return Err(Error::invalid(
            "aliases and auto_update are set once the upload has finished: upload with wait",
        ));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(p) = opts.public {
        headers.push(("X-LXD-public".into(), p.to_string()));
    }
    if let Some(f) = &opts.filename {
        headers.push(("X-LXD-filename".into(), f.clone()));
    }
    if !opts.properties.is_empty() {
        let q: Vec<String> = opts
            .properties
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    encode_component(k),
                    encode_component(v.as_str().unwrap_or(""))
                )
            })
            .collect();
        headers.push(("X-LXD-properties".into(), q.join("&")));
    }
    let (meta, meta_len) = open_sized(first)?;
    let path = client.with_project("/1.0/images");
    let resp = match rootfs {
        None => {
            headers.push(("Content-Type".into(), "application/octet-stream".into()));
            let meter = Meter::new(meta_len, progress);
            meter.report()?;
            let mut reader = MeteredReader {
                inner: &meta,
                meter: &meter,
            };
            let sent = |n: u64| meter.add(n);
            let file = FileBody {
                fd: meta.as_fd(),
                sent: &sent,
            };
            send_upload(client, &path, &headers, &mut reader, meta_len, Some(file))
                .map_err(|e| meter.check(e))?
        }
        Some(root) => {
            let (rootfs, root_len) = open_sized(root)?;
            let b = boundary();
            let part = |name: &str, file: &str| {
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
            };
            let head = part("metadata", "metadata");
            let mid = format!("\r\n{}", part("rootfs", "rootfs"));
            let tail = format!("\r\n--{b}--\r\n");
            let total =
                head.len() as u64 + meta_len + mid.len() as u64 + root_len + tail.len() as u64;
            headers.push((
                "Content-Type".into(),
                format!("multipart/form-data; boundary={b}"),
            ));
            let meter = Meter::new(meta_len + root_len, progress);
            meter.report()?;
            // Only the files' bytes count, not the multipart framing.
            let meta = MeteredReader {
                inner: meta.take(meta_len),
                meter: &meter,
            };
            let rootfs = MeteredReader {
                inner: rootfs.take(root_len),
                meter: &meter,
            };
            let mut body = Cursor::new(head)
                .chain(meta)
                .chain(Cursor::new(mid))
                .chain(rootfs)
                .chain(Cursor::new(tail));
            send_upload(client, &path, &headers, &mut body, total, None)
                .map_err(|e| meter.check(e))?
        }
    };
    let started_fp = resp
        .metadata()
        .pointer("/metadata/fingerprint")
        .and_then(Value::as_str)
        .map(str::to_string);
    match client.finish(&resp, wait)? {
        Finished::Done(op) => {
            let fp = op
                .as_ref()
                .and_then(|o| o.get("metadata"))
                .and_then(|m| m.get("fingerprint"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .or(started_fp)
                .ok_or_else(|| Error::protocol("the upload's operation named no fingerprint"))?;
            finish_image(client, &fp, opts.auto_update, &opts.aliases)
        }
        Finished::Pending(op) => Ok(Object::being_made(
            client,
            Kind::Image,
            Locator::new(Vec::new(), ""),
            op,
        )),
    }
}

/// After an image arrived: auto_update and aliases, then the image loaded.
fn finish_image(
    client: &Client,
    fp: &str,
    auto_update: Option<bool>,
    aliases: &[(String, String)],
) -> Result<Object> {
    if let Some(au) = auto_update {
        let path = client.with_project(&format!("/1.0/images/{}", encode_component(fp)));
        client.request("PATCH", &path, Some(&json!({"auto_update": au})), &[])?;
    }
    for (name, description) in aliases {
        let path = client.with_project("/1.0/images/aliases");
        client
            .request(
                "POST",
                &path,
                Some(&json!({"name": name, "description": description, "target": fp})),
                &[],
            )
            .map_err(|e| e.with_context(&format!("alias {name:?} of image {fp}")))?;
    }
    Object::get(client, Kind::Image, fp)
}

/// POST a streamed body; LXD's answer decoded. An image LXD has already
/// is `Conflict`.
fn send_upload(
    client: &Client,
    path: &str,
    headers: &[(String, String)],
    body: &mut dyn Read,
    len: u64,
    file: Option<FileBody<'_>>,
) -> Result<crate::client::ApiResponse> {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let req = Request {
        method: "POST",
        target: path,
        headers: &headers,
        body: None,
    };
    let resp = client.transport().send(
        &req,
        Some(Upload {
            reader: body,
            len,
            file,
        }),
        None,
        &client.limits(),
    )?;
    let doc = decode_response(resp.status, &resp.body)
        .map_err(|e| e.with_context(&format!("POST {path}")))?;
    Ok(crate::client::ApiResponse {
        http_status: resp.status,
        etag: None,
        location: resp.header("location").map(str::to_string),
        doc,
    })
}

/// LXD's failure for an image it already has, as `Conflict`.
pub(crate) fn conflict_if_exists(e: Error) -> Error {
    e.conflict_if_exists(&[ErrorKind::OperationFailed])
}

// ----- publish ------------------------------------------------------------

/// Publish an instance or one of its snapshots as an image on the same
/// server (and project). `opts`: `aliases` (names, or objects with name
/// and description), `public`, `auto_update`, `properties`,
/// `compression_algorithm`, `expires_at`, `filename`, `profiles`. With
/// `wait`, the new image loaded; without, the object learns its
/// fingerprint when the operation ends.
pub fn publish(source: &Object, opts: Option<&Value>, wait: bool) -> Result<Object> {
    let name = match source.kind() {
        k if k.is_a(Kind::Instance) => ("instance", source.key()),
        Kind::InstanceSnapshot => {
            let loc = source.locator();
            let parent = loc.parents.first().cloned().unwrap_or_default();
            ("snapshot", format!("{parent}/{}", loc.key))
        }
        _ => {
            return Err(Error::invalid(format!(
                "only an instance or a snapshot can be published, not {}",
                source.info().class
            )));
        }
    };
    const KNOWN: [&str; 8] = [
        "aliases",
        "public",
        "auto_update",
        "properties",
        "compression_algorithm",
        "expires_at",
        "filename",
        "profiles",
    ];
    let mut def = Map::new();
    match opts {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if !KNOWN.contains(&k.as_str()) {
                    return Err(Error::invalid(format!(
                        "unknown publish option {k:?} (known: {})",
                        KNOWN.join(", ")
                    )));
                }
                let v = if k == "aliases" {
                    Value::Array(
                        parse_aliases(v)?
                            .into_iter()
                            .map(|(n, d)| json!({"name": n, "description": d}))
                            .collect(),
                    )
                } else {
                    v.clone()
                };
                def.insert(k.clone(), v);
            }
        }
        Some(_) => return Err(Error::invalid("publish options must be a JSON object")),
    }
    def.insert("source".into(), json!({"type": name.0, "name": name.1}));
    Object::create(source.client(), Kind::Image, &Value::Object(def), wait)
}

// ----- export ---------------------------------------------------------------

/// A file name the server suggested, if it is a plain one.
fn plain_name(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255;
    ok.then_some(name)
}

/// The `filename` parameter of a Content-Disposition header.
fn disposition_filename(v: &str) -> Option<String> {
    v.split(';').find_map(|p| {
        let p = p.trim();
        let rest = p.strip_prefix("filename=")?;
        Some(rest.trim_matches('"').to_string())
    })
}

/// Export `image` into `folder` (which must exist): one file for a unified
/// image, two for a split one (metadata, then rootfs), named as LXD names
/// them (or after the fingerprint when LXD suggests no plain name).
/// Existing files are replaced; nothing is written through a symlink.
pub fn export(
    image: &Object,
    folder: &Path,
    progress: Option<Progress<'_>>,
) -> Result<Vec<PathBuf>> {
    image.require(Kind::Image)?;
    if !folder.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("{} is not a folder", folder.display()),
        ));
    }
    let fp = image.key();
    let path = image.path("/export")?;
    let client = image.client();
    let meter = Meter::new(0, progress);
    // The response head (content type, suggested file name) as the
    // transport accepts it; the sink reads it before the first byte.
    let head: RefCell<Option<Head>> = RefCell::new(None);
    let mut sink = ExportSink::new(folder, &fp, &head);
    let req = Request {
        method: "GET",
        target: &path,
        headers: &[],
        body: None,
    };
    let sent = {
        let accept = |r: &Response| {
            let ok = r.status < 300;
            if ok {
                meter.total.set(
                    r.header("content-length")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0),
                );
                *head.borrow_mut() = Some(Head {
                    content_type: r.header("content-type").unwrap_or("").to_string(),
                    disposition: r.header("content-disposition").map(str::to_string),
                });
            }
            ok
        };
        let mut writer = MeteredWriter {
            inner: &mut sink,
            meter: &meter,
        };
        client.transport().send(
            &req,
            None,
            Some(Download {
                sink: &mut writer,
                accept: &accept,
            }),
            &client.limits(),
        )
    };
    let outcome = sent.map_err(|e| meter.check(e)).and_then(|resp| {
        if resp.status >= 400 {
            let err = decode_response(resp.status, &resp.body)
                .err()
                .unwrap_or_else(|| Error::from_http(resp.status, ""));
            return Err(err.with_context(&format!("GET {path}")));
        }
        sink.finish()?;
        meter.report()
    });
    match outcome {
        Ok(()) => Ok(sink.written),
        Err(e) => {
            for f in &sink.written {
                let _ = fs::remove_file(f);
            }
            Err(e)
        }
    }
}

/// Where an export's body goes: straight into one file, or split by a
/// multipart parser into one file per part. Memory: a few KiB of header
/// and a boundary's length of look-behind.
/// What an export's response head says about its body.
struct Head {
    content_type: String,
    disposition: Option<String>,
}

struct ExportSink<'a> {
    folder: &'a Path,
    fp: &'a str,
    head: &'a RefCell<Option<Head>>,
    started: bool,
    /// The multipart boundary line ("\r\n--B"), for a split image.
    delimiter: Option<Vec<u8>>,
    /// Unified: the file's name, decided at the response head.
    single: Option<String>,
    state: Part,
    /// Bytes held back: they might start a delimiter.
    held: Vec<u8>,
    file: Option<fs::File>,
    written: Vec<PathBuf>,
    parts: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    /// Before the first delimiter.
    Preamble,
    /// Reading a part's headers (bytes so far).
    Headers,
    Body,
    /// After a delimiter: "--" ends, CRLF starts a part.
    AfterDelimiter,
    Done,
}

const MAX_PART_HEAD: usize = 8 * 1024;

impl<'a> ExportSink<'a> {
    fn new(folder: &'a Path, fp: &'a str, head: &'a RefCell<Option<Head>>) -> ExportSink<'a> {
        ExportSink {
            folder,
            fp,
            head,
            started: false,
            delimiter: None,
            single: None,
            state: Part::Preamble,
            held: Vec::new(),
            file: None,
            written: Vec::new(),
            parts: 0,
        }
    }

    /// Decide, from the response head, how the body is stored.
    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let head = self.head.borrow();
        let (ctype, disposition) = match head.as_ref() {
            Some(h) => (h.content_type.as_str(), h.disposition.as_deref()),
            None => ("", None),
        };
        if let Some(b) = ctype.strip_prefix("multipart/").and_then(|rest| {
            rest.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
        }) {
            // The first delimiter may come without the leading CRLF.
            self.delimiter = Some(format!("\r\n--{}", b.trim_matches('"')).into_bytes());
            self.held = b"\r\n".to_vec();
        } else {
            let suggested = disposition
                .and_then(disposition_filename)
                .filter(|n| plain_name(n).is_some());
            self.single = Some(suggested.unwrap_or_else(|| format!("{}.tar", self.fp)));
        }
    }

    fn open(&mut self, name: &str) -> io::Result<()> {
        let dest = self.folder.join(name);
        if self.written.contains(&dest) {
            return Err(io::Error::other(format!("two parts named {name}")));
        }
        let file = LazyFile {
            dest: &dest,
            file: None,
        }
        .open()?;
        self.written.push(dest);
        self.file = Some(file);
        Ok(())
    }

    /// Write the first `n` held bytes to the current part's file.
    fn write_held(&mut self, n: usize) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.write_all(&self.held[..n]),
            None => Ok(()),
        }
    }

    /// Take in `data` of a multipart body.
    fn feed(&mut self, data: &[u8]) -> io::Result<()> {
        let delim_len = self.delimiter.as_ref().map_or(0, Vec::len);
        self.held.extend_from_slice(data);
        loop {
            match self.state {
                Part::Done => {
                    self.held.clear();
                    return Ok(());
                }
                Part::Preamble | Part::Body => {
                    let delim = self.delimiter.as_deref().unwrap_or_default();
                    match find(&self.held, delim) {
                        Some(i) => {
                            if self.state == Part::Body {
                                self.write_held(i)?;
                                self.file = None;
                            }
                            self.held.drain(..i + delim_len);
                            self.state = Part::AfterDelimiter;
                        }
                        None => {
                            // Keep what could be the start of a delimiter.
                            let keep = delim_len.saturating_sub(1).min(self.held.len());
                            let cut = self.held.len() - keep;
                            if self.state == Part::Body {
                                self.write_held(cut)?;
                            }
                            self.held.drain(..cut);
                            return Ok(());
                        }
                    }
                }
                Part::AfterDelimiter => {
                    if self.held.len() < 2 {
                        return Ok(());
                    }
                    if self.held.starts_with(b"--") {
                        self.state = Part::Done;
                    } else if self.held.starts_with(b"\r\n") {
                        self.held.drain(..2);
                        self.state = Part::Headers;
                    } else {
                        return Err(bad_multipart("no line end after a boundary"));
                    }
                }
                Part::Headers => match find(&self.held, b"\r\n\r\n") {
                    Some(i) => {
                        let head = String::from_utf8_lossy(&self.held[..i]).into_owned();
                        self.held.drain(..i + 4);
                        self.parts += 1;
                        let name = part_file_name(&head, self.fp, self.parts);
                        self.open(&name)?;
                        self.state = Part::Body;
                    }
                    None if self.held.len() > MAX_PART_HEAD => {
                        return Err(bad_multipart("a part's headers are too long"));
                    }
                    None => return Ok(()),
                },
            }
        }
    }

    fn finish(&mut self) -> Result<()> {
        self.start();
        match (&self.delimiter, &self.single) {
            (None, Some(name)) => {
                if self.file.is_none() && self.written.is_empty() {
                    let name = name.clone();
                    self.open(&name).map_err(|e| {
                        Error::from_local_io(
                            &format!("cannot write into {}", self.folder.display()),
                            &e,
                        )
                    })?;
                }
                Ok(())
            }
            (Some(_), _) if self.state == Part::Done && self.parts > 0 => Ok(()),
            (Some(_), _) => Err(Error::protocol(
                "the image export ended in the middle of its parts",
            )),
            (None, None) => Ok(()),
        }
    }
}

fn bad_multipart(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed multipart export: {what}"),
    )
}

/// The file name of a part: LXD's suggestion when plain, else after the
/// fingerprint and the part's name.
fn part_file_name(head: &str, fp: &str, n: usize) -> String {
    let disposition = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then(|| v.trim().to_string())
    });
    let suggested = disposition.as_deref().and_then(disposition_filename);
    if let Some(name) = suggested.as_deref().and_then(plain_name) {
        return name.to_string();
    }
    let form = disposition
        .as_deref()
        .and_then(|d| {
            d.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("name=")
                    .map(|n| n.trim_matches('"').to_string())
            })
        })
        .filter(|n| plain_name(n).is_some())
        .unwrap_or_else(|| format!("part{n}"));
    format!("{fp}.{form}")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Write for ExportSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.start();
        if self.delimiter.is_some() {
            self.feed(buf)?;
        } else {
            if self.file.is_none() && self.written.is_empty() {
                let name = self
                    .single
                    .clone()
                    .unwrap_or_else(|| format!("{}.tar", self.fp));
                self.open(&name)?;
            }
            if let Some(f) = self.file.as_mut() {
                f.write_all(buf)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

// ----- copy to another server -------------------------------------------------

/// Options of an image copy, from JSON.
#[derive(Debug, Default)]
pub struct CopyOptions {
    /// Copy the image's aliases (default true).
    pub copy_aliases: bool,
    /// More aliases for the copy.
    pub aliases: Vec<(String, String)>,
    pub public: Option<bool>,
    pub auto_update: Option<bool>,
    /// Who connects to whom (pull by default).
    pub mode: crate::migration::Mode,
}

impl CopyOptions {
    pub fn from_json(text: Option<&str>) -> Result<CopyOptions> {
        let mut o = CopyOptions {
            copy_aliases: true,
            ..CopyOptions::default()
        };
        let Some(map) = options_map(text, "copy options")? else {
            return Ok(o);
        };
        for (k, v) in &map {
            match k.as_str() {
                "copy_aliases" => o.copy_aliases = want_bool(k, v)?,
                "aliases" => o.aliases = parse_aliases(v)?,
                "public" => o.public = Some(want_bool(k, v)?),
                "auto_update" => o.auto_update = Some(want_bool(k, v)?),
                "mode" => o.mode = crate::migration::Mode::from_json(v)?,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown copy option {other:?} (known: copy_aliases, aliases, public, auto_update, mode)"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// How another server reaches this client's server: its HTTPS address
/// and certificate (from `GET /1.0`).
pub(crate) fn server_address(client: &Client) -> Result<(String, String)> {
    let info = client.refresh_host_info()?;
    let addr = info
        .pointer("/environment/addresses")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::invalid(
                "the source server listens on no network address (core.https_address is unset): another server cannot reach it",
            )
        })?;
    let cert = info
        .pointer("/environment/certificate")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::protocol("the source server did not send its certificate"))?;
    let url = if addr.starts_with('[') || !addr.contains(':') || addr.matches(':').count() == 1 {
        format!("https://{addr}")
    } else {
        format!("https://[{addr}]")
    };
    Ok((url, cert.to_string()))
}

/// Copy `image` to the server of `target`. Pull (the default): the target
/// fetches it from this image's server over HTTPS (a private image through
/// a one-time secret of the source). Push: the source sends it to the
/// target (through a secret of the target). Relay: this client exports it
/// into a temporary folder and uploads it (servers that cannot reach each
/// other; memory stays flat, the disk holds one copy meanwhile). With
/// `wait`, the copy on the target, loaded.
pub fn copy_to(image: &Object, target: &Client, opts: &CopyOptions, wait: bool) -> Result<Object> {
    use crate::migration::Mode;
    image.require(Kind::Image)?;
    let source = image.client();
    let fp = image.key();
    let mut aliases: Vec<Value> = Vec::new();
    if opts.copy_aliases
        && let Value::Array(list) = image.get_attr("aliases")?
    {
        aliases.extend(list.into_iter().filter(|a| a.get("name").is_some()));
    }
    aliases.extend(
        opts.aliases
            .iter()
            .map(|(n, d)| json!({"name": n, "description": d})),
    );
    let profiles = image.get_attr("profiles")?;
    // The target has it already: nothing to move (LXD would only add the
    // aliases, after asking the source). The aliases are made here;
    // those it has for this image already are fine.
    if Object::exists(target, Kind::Image, &fp)? {
        for a in &aliases {
            let Some(name) = a.get("name").and_then(Value::as_str) else {
                continue;
            };
            let path =
                target.with_project(&format!("/1.0/images/aliases/{}", encode_component(name)));
            match target.request("GET", &path, None, &[]) {
                Ok(resp) => {
                    let points_at = resp
                        .metadata()
                        .get("target")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    if points_at.as_deref() != Some(fp.as_str()) {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "the target has the image, and an alias {name:?} for another one ({})",
                                points_at.unwrap_or_default()
                            ),
                        ));
                    }
                }
                Err(e) if e.kind == ErrorKind::NotFound => {
                    let desc = a.get("description").and_then(Value::as_str).unwrap_or("");
                    finish_image(target, &fp, None, &[(name.to_string(), desc.to_string())])?;
                }
                Err(e) => return Err(e),
            }
        }
        return Object::get(target, Kind::Image, &fp);
    }
    match opts.mode {
        Mode::Pull => {}
        Mode::Push => return push_to(image, target, opts, aliases, profiles, wait),
        Mode::Relay => {
            if !wait {
                return Err(Error::invalid(
                    "a relayed copy runs through this call (the client carries the data): copy with wait",
                ));
            }
            return relay_to(image, target, opts, aliases);
        }
    }
    let public = image.get_attr("public")?.as_bool().unwrap_or(false);
    let (url, cert) = server_address(source)?;
    let mut src = json!({
        "type": "image",
        "mode": "pull",
        "server": url,
        "protocol": "lxd",
        "certificate": cert,
        "fingerprint": fp,
    });
    if let Some(p) = source.project() {
        src["project"] = json!(p);
    }
    // A private image needs a one-time secret, used up by the download.
    let mut secret_op = None;
    if !public {
        let op = image.action("secret", None, false)?;
        let secret = op
            .pointer("/metadata/secret")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::protocol("the image secret operation named no secret"))?;
        src["secret"] = json!(secret);
        secret_op = op.get("id").and_then(Value::as_str).map(str::to_string);
    }
    let mut def = json!({"source": src, "aliases": aliases});
    if profiles.is_array() {
        def["profiles"] = profiles;
    }
    if let Some(p) = opts.public {
        def["public"] = json!(p);
    }
    if let Some(a) = opts.auto_update {
        def["auto_update"] = json!(a);
    }
    let made = Object::create(target, Kind::Image, &def, wait).map_err(conflict_if_exists);
    // Over (or failed): a secret the target did not use is withdrawn.
    if (wait || made.is_err())
        && let Some(id) = secret_op
    {
        let _ = source.cancel_operation(&id);
    }
    made
}

/// Push mode: the target hands out a secret for an upload of this
/// fingerprint; the source sends the image there.
fn push_to(
    image: &Object,
    target: &Client,
    opts: &CopyOptions,
    aliases: Vec<Value>,
    profiles: Value,
    wait: bool,
) -> Result<Object> {
    let fp = image.key();
    let mut def = json!({"source": {"fingerprint": fp, "mode": "push"}, "aliases": aliases});
    if let Some(p) = opts.public {
        def["public"] = json!(p);
    }
    let path = target.with_project("/1.0/images");
    let token = target.request("POST", &path, Some(&def), &[])?;
    let token_op = token
        .operation_id()
        .ok_or_else(|| Error::protocol("the target started no operation for the push"))?;
    let secret = token
        .metadata()
        .pointer("/metadata/secret")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::protocol("the target handed out no secret for the push"));
    let secret = secret.inspect_err(|_| {
        let _ = target.cancel_operation(&token_op);
    })?;
    let (url, cert) = server_address(target).inspect_err(|_| {
        let _ = target.cancel_operation(&token_op);
    })?;
    let mut body = json!({
        "target": url,
        "certificate": cert,
        "secret": secret,
        "aliases": def["aliases"].clone(),
    });
    if let Some(p) = target.project() {
        body["project"] = json!(p);
    }
    if profiles.is_array() {
        body["profiles"] = profiles;
    }
    let source = image.client();
    let export_path = image.path("/export")?;
    let sent = source
        .request("POST", &export_path, Some(&body), &[])
        .and_then(|resp| source.finish(&resp, wait));
    let sent = match sent {
        Ok(s) => s,
        Err(e) => {
            let _ = target.cancel_operation(&token_op);
            return Err(e);
        }
    };
    match sent {
        Finished::Done(_) => {
            let _ = target.cancel_operation(&token_op);
            let img = Object::get(target, Kind::Image, &fp)?;
            if let Some(au) = opts.auto_update {
                img.patch(&json!({"auto_update": au}), true)?;
            }
            Ok(img)
        }
        // The source's operation: once it ends the image is on the target.
        Finished::Pending(op) => Ok(Object::being_made(
            target,
            Kind::Image,
            Locator::new(Vec::new(), fp),
            op,
        )),
    }
}

/// A private folder under the system's temporary one, removed with
/// everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..8 {
            let p = base.join(format!(
                "liblxd-image-{}-{}",
                std::process::id(),
                &boundary()[7..19]
            ));
            match fs::DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) => last = Some(e),
            }
        }
        let e = last.unwrap_or_else(|| io::Error::other("no name"));
        Err(Error::from_local_io(
            &format!("cannot make a temporary folder in {}", base.display()),
            &e,
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Relay mode: export into a temporary folder, upload from there.
fn relay_to(
    image: &Object,
    target: &Client,
    opts: &CopyOptions,
    aliases: Vec<Value>,
) -> Result<Object> {
    let dir = TempDir::new()?;
    let files = export(image, &dir.0, None)?;
    let up = UploadOptions {
        public: opts.public,
        auto_update: opts.auto_update,
        aliases: aliases
            .iter()
            .filter_map(|a| {
                Some((
                    a.get("name")?.as_str()?.to_string(),
                    a.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ))
            })
            .collect(),
        properties: Map::new(),
        filename: image
            .get_attr("filename")?
            .as_str()
            .filter(|f| !f.is_empty() && !f.contains(['/', '\0', '\r', '\n']))
            .map(str::to_string),
    };
    let (first, rootfs) = match files.as_slice() {
        [one] => (one, None),
        [meta, root] => (meta, Some(root.as_path())),
        _ => return Err(Error::protocol("the image export gave no file")),
    };
    upload(target, first, rootfs, &up, true, None)
}

/// Bring an image from a remote image server onto `client`'s server
/// (`lxc image copy remote:alias local:`): the server downloads it itself.
/// `source`: `server` (an https URL), `protocol` (`"simplestreams"` or
/// `"lxd"`, default `"simplestreams"`), `alias` or `fingerprint`,
/// `certificate` (PEM: the server's certificate, trusted for this
/// download; needed for a self-signed one), `secret` (a private LXD
/// image's), `image_type` (`"container"` or `"virtual-machine"`).
pub fn pull(client: &Client, source: &Value, opts: &CopyOptions, wait: bool) -> Result<Object> {
    let Value::Object(src) = source else {
        return Err(Error::invalid("the image source must be a JSON object"));
    };
    const KNOWN: [&str; 7] = [
        "server",
        "protocol",
        "alias",
        "fingerprint",
        "certificate",
        "secret",
        "image_type",
    ];
    if let Some(k) = src.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Error::invalid(format!(
            "unknown image source field {k:?} (known: {})",
            KNOWN.join(", ")
        )));
    }
    let text = |k: &str| src.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    let server = text("server")
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
        .ok_or_else(|| Error::invalid("the image source needs a \"server\" URL (https://…)"))?;
    let protocol = text("protocol").unwrap_or("simplestreams");
    if !matches!(protocol, "simplestreams" | "lxd") {
        return Err(Error::invalid(format!(
            "unknown image protocol {protocol:?} (simplestreams or lxd)"
        )));
    }
    if text("alias").is_some() == text("fingerprint").is_some() {
        return Err(Error::invalid(
            "the image source needs either an \"alias\" or a \"fingerprint\"",
        ));
    }
    let mut s = json!({"type": "image", "mode": "pull", "server": server, "protocol": protocol});
    for k in [
        "alias",
        "fingerprint",
        "certificate",
        "secret",
        "image_type",
    ] {
        if let Some(v) = text(k) {
            s[k] = json!(v);
        }
    }
    let aliases: Vec<Value> = opts
        .aliases
        .iter()
        .map(|(n, d)| json!({"name": n, "description": d}))
        .collect();
    let mut def = json!({"source": s, "aliases": aliases});
    if let Some(p) = opts.public {
        def["public"] = json!(p);
    }
    if let Some(a) = opts.auto_update {
        def["auto_update"] = json!(a);
    }
    Object::create(client, Kind::Image, &def, wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &[u8], chunk: usize) -> (tempfile::TempDir, Vec<PathBuf>, io::Result<()>) {
        let dir = tempfile::tempdir().unwrap();
        let head = RefCell::new(Some(Head {
            content_type: "multipart/form-data; boundary=XyZ".into(),
            disposition: None,
        }));
        let mut sink = ExportSink::new(dir.path(), "fp", &head);
        let mut r = Ok(());
        for c in body.chunks(chunk) {
            if let Err(e) = sink.write(c) {
                r = Err(e);
                break;
            }
        }
        let fin = sink.finish();
        let r = r.and(fin.map_err(|e| io::Error::other(e.message)));
        let w = sink.written.clone();
        (dir, w, r)
    }

    #[test]
    fn a_split_export_lands_in_two_files_whatever_the_chunks() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"meta-fp.tar.xz\"\r\n\r\nMETA\r\n--XyZ\r\nContent-Disposition: form-data; name=\"rootfs\"; filename=\"fp.squashfs\"\r\n\r\nROOT--XyZ\r\nX\r\n--XyZ--\r\n";
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let (dir, written, r) = split(body, chunk);
            r.unwrap();
            assert_eq!(written.len(), 2, "chunk {chunk}");
            assert_eq!(
                fs::read(dir.path().join("meta-fp.tar.xz")).unwrap(),
                b"META"
            );
            assert_eq!(
                fs::read(dir.path().join("fp.squashfs")).unwrap(),
                b"ROOT--XyZ\r\nX"
            );
        }
    }

    #[test]
    fn server_names_must_be_plain_and_parts_well_formed() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"../../etc/passwd\"\r\n\r\nM\r\n--XyZ--\r\n";
        let (dir, written, r) = split(body, 5);
        r.unwrap();
        assert_eq!(written, vec![dir.path().join("fp.metadata")]);
        // Cut short: an error, not a success.
        let (_d, _w, r) = split(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxx",
            4,
        );
        assert!(r.is_err());
        // Endless headers: refused, memory bounded.
        let mut big = b"--XyZ\r\n".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_PART_HEAD + 10));
        let (_d, _w, r) = split(&big, 1000);
        assert!(r.is_err());
    }

    #[test]
    fn options_parse_and_refuse() {
        let o = UploadOptions::from_json(Some(
            r#"{"public":true,"aliases":["a",{"name":"b","description":"d"}],"properties":{"os":"x"},"filename":"f.tar"}"#,
        ))
        .unwrap();
        assert_eq!(
            o.aliases,
            vec![("a".into(), "".into()), ("b".into(), "d".into())]
        );
        for bad in [
            r#"{"public":1}"#,
            r#"{"filename":"a/b"}"#,
            r#"{"properties":{"a":1}}"#,
            r#"{"x":1}"#,
            "[]",
        ] {
            assert!(UploadOptions::from_json(Some(bad)).is_err(), "{bad}");
        }
        assert!(CopyOptions::from_json(None).unwrap().copy_aliases);
        assert!(CopyOptions::from_json(Some(r#"{"nope":1}"#)).is_err());
    }
}
