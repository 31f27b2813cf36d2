//! Instances that move between servers: copy in LXD's three modes and
//! move (copy, then delete the source).
//!
//! - pull: the source offers the instance (a migration operation with one
//!   secret per websocket); the target connects to the source and pulls.
//!   The target must reach the source's HTTPS address.
//! - push: the target waits for the instance (an operation with secrets);
//!   the source connects to the target and pushes. The source must reach
//!   the target.
//! - relay: both wait; this client connects to both and hands every
//!   websocket message on, for servers that cannot reach each other.
//!
//! When source and target are one server, a copy is LXD's local copy.

use serde_json::{Map, Value, json};
use tungstenite::Message;

use crate::client::{ApiResponse, Client, Finished};
use crate::error::{Error, ErrorKind, Result};
use crate::images::server_address;
use crate::kinds::Kind;
use crate::model::{Locator, Object};
use crate::ws::{Ws, wait_ready};

/// Who connects to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Pull,
    Push,
    Relay,
}

impl Mode {
    /// `"pull"`, `"push"` or `"relay"`.
    pub fn from_json(v: &Value) -> Result<Mode> {
        match v.as_str() {
            Some("pull") => Ok(Mode::Pull),
            Some("push") => Ok(Mode::Push),
            Some("relay") => Ok(Mode::Relay),
            _ => Err(Error::invalid(
                "copy option \"mode\" must be \"pull\", \"push\" or \"relay\"",
            )),
        }
    }
}

/// Options of an instance copy or move, from JSON.
#[derive(Debug, Default)]
pub struct MoveOptions {
    /// The copy's name (default: the source's).
    pub name: Option<String>,
    pub mode: Mode,
    /// Without the snapshots.
    pub instance_only: bool,
    /// Bring an existing copy up to date (only what changed moves).
    pub refresh: bool,
    /// Config keys set on the copy (over the source's).
    pub config: Map<String, Value>,
    /// The copy's profiles (default: the source's; they must exist on the
    /// target).
    pub profiles: Option<Vec<Value>>,
    /// The target's storage pool for the root disk.
    pub pool: Option<String>,
}

const KNOWN: &str = "name, mode, instance_only, refresh, config, profiles, pool";

impl MoveOptions {
    pub fn from_json(text: Option<&str>) -> Result<MoveOptions> {
        let mut o = MoveOptions::default();
        let Some(map) = crate::images::options_map(text, "copy options")? else {
            return Ok(o);
        };
        let bad = |k: &str, want: &str| Error::invalid(format!("copy option {k:?} must be {want}"));
        for (k, v) in &map {
            match k.as_str() {
                "name" => {
                    o.name = Some(
                        v.as_str()
                            .filter(|n| !n.is_empty())
                            .ok_or_else(|| bad(k, "a non-empty string"))?
                            .to_string(),
                    )
                }
                "mode" => o.mode = Mode::from_json(v)?,
                "instance_only" => {
                    o.instance_only = v.as_bool().ok_or_else(|| bad(k, "true or false"))?
                }
                "refresh" => o.refresh = v.as_bool().ok_or_else(|| bad(k, "true or false"))?,
                "config" => {
                    o.config = v
                        .as_object()
                        .filter(|m| m.values().all(Value::is_string))
                        .ok_or_else(|| bad(k, "an object of strings"))?
                        .clone()
                }
                "profiles" => {
                    o.profiles = Some(
                        v.as_array()
                            .filter(|a| a.iter().all(Value::is_string))
                            .ok_or_else(|| bad(k, "a list of names"))?
                            .clone(),
                    )
                }
                "pool" => {
                    o.pool = Some(
                        v.as_str()
                            .filter(|n| !n.is_empty())
                            .ok_or_else(|| bad(k, "a non-empty string"))?
                            .to_string(),
                    )
                }
                other => {
                    return Err(Error::invalid(format!(
                        "unknown copy option {other:?} (known: {KNOWN})"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// Config keys that describe the source's own runtime (MAC addresses,
/// last state, id maps, its UUID) stay behind, as with `lxc copy`; the
/// base image goes along (the target may have it and copy less).
fn travels(key: &str) -> bool {
    key == "volatile.base_image" || !key.starts_with("volatile.")
}

/// The target's `POST /1.0/instances` body for a copy of `inst` (the
/// source's document), without its `source`.
fn definition(inst: &Map<String, Value>, name: &str, opts: &MoveOptions) -> Map<String, Value> {
    let mut def = Map::new();
    def.insert("name".into(), json!(name));
    for k in [
        "architecture",
        "description",
        "ephemeral",
        "stateful",
        "type",
    ] {
        if let Some(v) = inst.get(k) {
            def.insert(k.into(), v.clone());
        }
    }
    let mut config: Map<String, Value> = inst
        .get("config")
        .and_then(Value::as_object)
        .map(|c| {
            c.iter()
                .filter(|(k, _)| travels(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    config.extend(opts.config.clone());
    def.insert("config".into(), Value::Object(config));
    let mut devices = inst
        .get("devices")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(pool) = &opts.pool {
        let root = devices
            .iter()
            .find(|(_, d)| {
                d.get("type").and_then(Value::as_str) == Some("disk")
                    && d.get("path").and_then(Value::as_str) == Some("/")
            })
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| "root".into());
        let mut dev = devices
            .get(&root)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        dev.insert("type".into(), json!("disk"));
        dev.insert("path".into(), json!("/"));
        dev.insert("pool".into(), json!(pool));
        devices.insert(root, Value::Object(dev));
    }
    def.insert("devices".into(), Value::Object(devices));
    let profiles = match &opts.profiles {
        Some(p) => Value::Array(p.clone()),
        None => inst.get("profiles").cloned().unwrap_or(json!([])),
    };
    def.insert("profiles".into(), profiles);
    def
}

/// The operation's websocket secrets (`metadata` of an operation).
fn secrets(resp: &ApiResponse, what: &str) -> Result<Map<String, Value>> {
    resp.metadata()
        .get("metadata")
        .and_then(Value::as_object)
        .filter(|m| m.get("control").is_some_and(Value::is_string))
        .cloned()
        .ok_or_else(|| {
            Error::protocol(format!(
                "{what}: the migration operation offered no websockets"
            ))
        })
}

fn op_id(resp: &ApiResponse, what: &str) -> Result<String> {
    resp.operation_id()
        .ok_or_else(|| Error::protocol(format!("{what}: LXD started no operation")))
}

/// Whether two clients talk to one server (and so a copy is local).
fn same_server(a: &Client, b: &Client) -> Result<bool> {
    let (ia, ib) = (a.refresh_host_info()?, b.refresh_host_info()?);
    let key = |i: &Value| {
        (
            i.pointer("/environment/certificate").cloned(),
            i.pointer("/environment/server_pid").cloned(),
        )
    };
    Ok(key(&ia).0.is_some() && key(&ia) == key(&ib))
}

/// Copy instance `src` to the server of `target`. With `wait`, the copy
/// loaded; without (pull and push), the copy learns its state when the
/// target's operation ends. On failure the source is as it was.
pub fn copy_to(src: &Object, target: &Client, opts: &MoveOptions, wait: bool) -> Result<Object> {
    src.require(Kind::Instance)?;
    if opts.mode == Mode::Relay && !wait {
        return Err(Error::invalid(
            "a relayed copy runs through this call (the client carries the data): copy with wait",
        ));
    }
    let source = src.client();
    let src_name = src.key();
    let src_path = src.path("")?;
    let doc = match source.request("GET", &src_path, None, &[])?.into_metadata() {
        Value::Object(m) => m,
        _ => return Err(Error::protocol(format!("GET {src_path}: no instance"))),
    };
    let name = opts.name.clone().unwrap_or_else(|| src_name.clone());
    if !opts.refresh && Object::exists(target, Kind::Instance, &name)? {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the target has an instance named {name:?} already (a copy with refresh brings it up to date)"
            ),
        ));
    }
    let mut def = definition(&doc, &name, opts);
    let base_image = doc
        .get("config")
        .and_then(|c| c.get("volatile.base_image"))
        .cloned()
        .unwrap_or(json!(""));

    if same_server(source, target)? {
        let mut s = json!({
            "type": "copy",
            "source": src_name,
            "instance_only": opts.instance_only,
            "refresh": opts.refresh,
        });
        if source.project() != target.project() {
            s["project"] = json!(source.project().unwrap_or("default"));
        }
        def.insert("source".into(), s);
        return Object::create(target, Kind::Instance, &Value::Object(def), wait).map_err(taken);
    }

    let migration_source = json!({
        "type": "migration",
        "base-image": base_image,
        "instance_only": opts.instance_only,
        "container_only": opts.instance_only,
        "refresh": opts.refresh,
        "live": false,
    });
    let offer = json!({
        "name": src_name,
        "migration": true,
        "live": false,
        "instance_only": opts.instance_only,
        "container_only": opts.instance_only,
    });
    Transfer {
        source,
        src_path,
        offer,
        target,
        target_path: target.with_project("/1.0/instances"),
        def,
        migration_source,
        kind: Kind::Instance,
        loc: Locator::new(Vec::new(), name),
    }
    .run(opts.mode, wait)
}

/// One object moving between servers over LXD's migration websockets:
/// the source's path and its offer, the target's collection and the
/// definition to POST there (its `source` is added per mode), and where
/// the copy will be.
struct Transfer<'a> {
    source: &'a Client,
    src_path: String,
    offer: Value,
    target: &'a Client,
    target_path: String,
    def: Map<String, Value>,
    migration_source: Value,
    kind: Kind,
    loc: Locator,
}

impl Transfer<'_> {
    fn create(&self, def: &Map<String, Value>) -> Result<ApiResponse> {
        self.target
            .request(
                "POST",
                &self.target_path,
                Some(&Value::Object(def.clone())),
                &[],
            )
            .map_err(taken)
    }

    fn run(self, mode: Mode, wait: bool) -> Result<Object> {
        let (source, target) = (self.source, self.target);
        let mut def = self.def.clone();
        let mut migration_source = self.migration_source.clone();
        match mode {
            Mode::Pull => {
                let offered = source.request("POST", &self.src_path, Some(&self.offer), &[])?;
                let src_op = op_id(&offered, "the source")?;
                let secrets = secrets(&offered, "the source")?;
                let (url, cert) = server_address(source)?;
                migration_source["mode"] = json!("pull");
                migration_source["operation"] = json!(format!("{url}/1.0/operations/{src_op}"));
                migration_source["certificate"] = json!(cert);
                migration_source["secrets"] = Value::Object(secrets);
                def.insert("source".into(), migration_source);
                let created = self.create(&def).inspect_err(|_| {
                    let _ = source.cancel_operation(&src_op);
                })?;
                self.finish(&created, wait, Some(&src_op))
            }
            Mode::Push => {
                migration_source["mode"] = json!("push");
                def.insert("source".into(), migration_source);
                let created = self.create(&def)?;
                let tgt_op = op_id(&created, "the target")?;
                let secrets = secrets(&created, "the target")?;
                let (url, cert) = server_address(target).inspect_err(|_| {
                    let _ = target.cancel_operation(&tgt_op);
                })?;
                let mut push = self.offer.clone();
                push["target"] = json!({
                    "operation": format!("{url}/1.0/operations/{tgt_op}"),
                    "certificate": cert,
                    "secrets": secrets,
                });
                let pushed = source.request("POST", &self.src_path, Some(&push), &[]);
                let pushed = pushed.inspect_err(|_| {
                    let _ = target.cancel_operation(&tgt_op);
                })?;
                let src_op = pushed.operation_id();
                self.finish(&created, wait, src_op.as_deref())
            }
            Mode::Relay => {
                let offered = source.request("POST", &self.src_path, Some(&self.offer), &[])?;
                let src_op = op_id(&offered, "the source")?;
                let src_secrets = secrets(&offered, "the source")?;
                migration_source["mode"] = json!("push");
                def.insert("source".into(), migration_source);
                let created = self.create(&def).inspect_err(|_| {
                    let _ = source.cancel_operation(&src_op);
                })?;
                let tgt_op = op_id(&created, "the target")?;
                let tgt_secrets = secrets(&created, "the target")?;
                let relayed = relay(source, &src_op, &src_secrets, target, &tgt_op, &tgt_secrets);
                if let Err(e) = relayed {
                    let _ = source.cancel_operation(&src_op);
                    let _ = target.cancel_operation(&tgt_op);
                    return Err(e);
                }
                self.finish(&created, true, Some(&src_op))
            }
        }
    }

    /// After the target's create was accepted: wait (the source's
    /// operation too, so that its failure is reported), or hand the
    /// operation over.
    fn finish(&self, created: &ApiResponse, wait: bool, source_op: Option<&str>) -> Result<Object> {
        match self.target.finish(created, wait)? {
            Finished::Done(_) => {
                if let Some(id) = source_op {
                    // The source's side ended with the target's; its
                    // verdict matters only when the target's hid a failure.
                    match self
                        .source
                        .wait_for(id, Some(std::time::Duration::from_secs(10)))
                    {
                        Ok(op) => crate::client::operation_outcome(&op)
                            .map_err(|e| e.with_context("the source's side of the migration"))?,
                        Err(e) if e.kind == ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
                Object::get_at(self.target, self.kind, self.loc.clone())
            }
            Finished::Pending(op) => Ok(Object::being_made(
                self.target,
                self.kind,
                self.loc.clone(),
                op,
            )),
        }
    }
}

/// LXD's answer for a name that is taken (HTTP 500 "… already exists"
/// from 5.0.2) as `Conflict`.
fn taken(e: Error) -> Error {
    e.conflict_if_exists(&[ErrorKind::Api, ErrorKind::OperationFailed])
}

/// Move instance `src` to the server of `target`: copy it (with its
/// snapshots unless `instance_only`), then delete the source. The source
/// must be stopped. On failure of the copy the source is untouched; when
/// the copy succeeded but the source cannot be deleted, the error says so
/// and both exist.
pub fn move_to(src: &Object, target: &Client, opts: &MoveOptions) -> Result<Object> {
    src.require(Kind::Instance)?;
    let status = src
        .client()
        .request("GET", &src.path("")?, None, &[])?
        .into_metadata();
    if status.get("status").and_then(Value::as_str) != Some("Stopped") {
        return Err(Error::invalid(format!(
            "{} is not stopped: stop it before moving it",
            src.key()
        )));
    }
    let copy = copy_to(src, target, opts, true)?;
    let path = src.path("")?;
    let deleted = src
        .client()
        .request("DELETE", &path, None, &[])
        .and_then(|resp| src.client().finish(&resp, true).map(|_| ()));
    deleted.map_err(|e| {
        e.with_context(&format!(
            "the copy on the target exists, but the source {} could not be deleted",
            src.key()
        ))
    })?;
    Ok(copy)
}

// ----- storage volumes ------------------------------------------------------------

/// Options of a volume copy or move, from JSON.
#[derive(Debug, Default)]
pub struct VolumeCopyOptions {
    /// The copy's name (default: the source's).
    pub name: Option<String>,
    pub mode: Mode,
    /// Without the snapshots.
    pub volume_only: bool,
    /// Bring an existing copy up to date.
    pub refresh: bool,
}

impl VolumeCopyOptions {
    pub fn from_json(text: Option<&str>) -> Result<VolumeCopyOptions> {
        let mut o = VolumeCopyOptions::default();
        let Some(map) = crate::images::options_map(text, "volume copy options")? else {
            return Ok(o);
        };
        let bad = |k: &str, want: &str| {
            Error::invalid(format!("volume copy option {k:?} must be {want}"))
        };
        for (k, v) in &map {
            match k.as_str() {
                "name" => {
                    o.name = Some(
                        v.as_str()
                            .filter(|n| !n.is_empty() && !n.contains('/'))
                            .ok_or_else(|| bad(k, "a plain name"))?
                            .to_string(),
                    )
                }
                "mode" => o.mode = Mode::from_json(v)?,
                "volume_only" => {
                    o.volume_only = v.as_bool().ok_or_else(|| bad(k, "true or false"))?
                }
                "refresh" => o.refresh = v.as_bool().ok_or_else(|| bad(k, "true or false"))?,
                other => {
                    return Err(Error::invalid(format!(
                        "unknown volume copy option {other:?} (known: name, mode, volume_only, refresh)"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// Copy custom volume `vol` into storage pool `pool` (an object of the
/// target's client: the same server, another pool or the same, or another
/// server). With `wait`, the copy loaded.
pub fn volume_copy_to(
    vol: &Object,
    pool: &Object,
    opts: &VolumeCopyOptions,
    wait: bool,
) -> Result<Object> {
    vol.require(Kind::StorageVolume)?;
    pool.require(Kind::StoragePool)?;
    if opts.mode == Mode::Relay && !wait {
        return Err(Error::invalid(
            "a relayed copy runs through this call (the client carries the data): copy with wait",
        ));
    }
    let src_loc = vol.locator();
    let (Some("custom"), src_name) = Kind::StorageVolume.info().split_key(&src_loc.key) else {
        return Err(Error::invalid("only custom volumes can be copied"));
    };
    let src_name = src_name.to_string();
    let src_pool = src_loc.parents.first().cloned().unwrap_or_default();
    let (source, target) = (vol.client(), pool.client());
    let name = opts.name.clone().unwrap_or_else(|| src_name.clone());
    let loc = Locator::new(vec![pool.key()], format!("custom/{name}"));
    if !opts.refresh && Object::exists_at(target, Kind::StorageVolume, &loc)? {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "pool {} has a custom volume named {name:?} already",
                pool.key()
            ),
        ));
    }
    let src_path = vol.path("")?;
    let doc = match source.request("GET", &src_path, None, &[])?.into_metadata() {
        Value::Object(m) => m,
        _ => return Err(Error::protocol(format!("GET {src_path}: no volume"))),
    };
    let mut def = Map::new();
    def.insert("name".into(), json!(name));
    def.insert("type".into(), json!("custom"));
    for k in ["config", "description", "content_type"] {
        if let Some(v) = doc.get(k) {
            def.insert(k.into(), v.clone());
        }
    }
    let target_path =
        crate::model::collection_path(target, Kind::StorageVolume, &[pool.key()], "")?;
    if same_server(source, target)? {
        let mut s = json!({
            "type": "copy",
            "pool": src_pool,
            "name": src_name,
            "volume_only": opts.volume_only,
            "refresh": opts.refresh,
        });
        if source.project() != target.project() {
            s["project"] = json!(source.project().unwrap_or("default"));
        }
        def.insert("source".into(), s);
        let resp = target
            .request("POST", &target_path, Some(&Value::Object(def)), &[])
            .map_err(taken)?;
        return match target.finish(&resp, wait)? {
            Finished::Done(_) => Object::get_at(target, Kind::StorageVolume, loc),
            Finished::Pending(op) => Ok(Object::being_made(target, Kind::StorageVolume, loc, op)),
        };
    }
    Transfer {
        source,
        src_path,
        offer: json!({"name": src_name, "migration": true, "volume_only": opts.volume_only}),
        target,
        target_path,
        def,
        migration_source: json!({
            "type": "migration",
            "volume_only": opts.volume_only,
            "refresh": opts.refresh,
        }),
        kind: Kind::StorageVolume,
        loc,
    }
    .run(opts.mode, wait)
}

/// Move custom volume `vol` into pool `pool`: on one server LXD moves it
/// (renamed with `name`); to another server, a copy then the source's
/// deletion. The volume must not be in use.
pub fn volume_move_to(vol: &Object, pool: &Object, opts: &VolumeCopyOptions) -> Result<Object> {
    vol.require(Kind::StorageVolume)?;
    pool.require(Kind::StoragePool)?;
    let (source, target) = (vol.client(), pool.client());
    if same_server(source, target)? && source.project() == target.project() {
        let src_loc = vol.locator();
        let (_, src_name) = Kind::StorageVolume.info().split_key(&src_loc.key);
        let name = opts.name.clone().unwrap_or_else(|| src_name.to_string());
        let body = json!({"name": name, "pool": pool.key()});
        let resp = source
            .request("POST", &vol.path("")?, Some(&body), &[])
            .map_err(taken)?;
        source.finish(&resp, true)?;
        return Object::get_at(
            target,
            Kind::StorageVolume,
            Locator::new(vec![pool.key()], format!("custom/{name}")),
        );
    }
    let copy = volume_copy_to(vol, pool, opts, true)?;
    let deleted = source
        .request("DELETE", &vol.path("")?, None, &[])
        .and_then(|resp| source.finish(&resp, true).map(|_| ()));
    deleted.map_err(|e| {
        e.with_context(&format!(
            "the copy on the target exists, but the source volume {} could not be deleted",
            vol.key()
        ))
    })?;
    Ok(copy)
}

// ----- relay -------------------------------------------------------------------

/// One websocket of the migration, open on both servers.
struct Pair {
    name: String,
    source: Ws,
    target: Ws,
    done: bool,
}

fn operation_ws(client: &Client, op: &str, secret: &str) -> Result<Ws> {
    let path = client.with_project(&format!(
        "/1.0/operations/{}/websocket?secret={}",
        crate::client::encode_component(op),
        crate::client::encode_component(secret)
    ));
    Ok(client.websocket(&path)?.verbatim())
}

/// Connect every websocket the target expects to the source's of the
/// same name and hand messages on both ways until each pair closes. One
/// thread, no buffering beyond one message per direction.
fn relay(
    source: &Client,
    src_op: &str,
    src_secrets: &Map<String, Value>,
    target: &Client,
    tgt_op: &str,
    tgt_secrets: &Map<String, Value>,
) -> Result<()> {
    let secret =
        |m: &Map<String, Value>, n: &str| m.get(n).and_then(Value::as_str).map(str::to_string);
    let mut names: Vec<&String> = tgt_secrets.keys().collect();
    // The control websocket first, as LXD expects.
    names.sort_by_key(|n| (n.as_str() != "control", n.to_string()));
    let mut pairs = Vec::new();
    for n in names {
        let (Some(s), Some(t)) = (secret(src_secrets, n), secret(tgt_secrets, n)) else {
            return Err(Error::protocol(format!(
                "the target expects the {n:?} websocket, which the source does not offer"
            )));
        };
        pairs.push(Pair {
            name: n.clone(),
            source: operation_ws(source, src_op, &s)?,
            target: operation_ws(target, tgt_op, &t)?,
            done: false,
        });
    }
    let deadline = source.deadline();
    while pairs.iter().any(|p| !p.done) {
        let mut progressed = false;
        for p in pairs.iter_mut().filter(|p| !p.done) {
            progressed |= pump(&mut p.source, &mut p.target, &p.name)?;
            progressed |= pump(&mut p.target, &mut p.source, &p.name)?;
            if p.source.finished() || p.target.finished() {
                // Either side ending ends the pair (as LXD's own proxy).
                let _ = p.source.close();
                let _ = p.target.close();
                p.done = true;
            }
        }
        if progressed {
            continue;
        }
        let mut fds = Vec::new();
        for p in pairs.iter().filter(|p| !p.done) {
            fds.push((
                p.source.fd(),
                !p.target.write_pending(),
                p.source.write_pending(),
            ));
            fds.push((
                p.target.fd(),
                !p.source.write_pending(),
                p.target.write_pending(),
            ));
        }
        if fds.is_empty() {
            break;
        }
        if wait_ready(&fds, deadline)?.is_none() {
            return Err(Error::new(
                ErrorKind::Timeout,
                "relaying the migration: the call's deadline passed",
            ));
        }
    }
    Ok(())
}

/// Hand on what `from` has, while `to` takes it. True when a message moved.
fn pump(from: &mut Ws, to: &mut Ws, name: &str) -> Result<bool> {
    to.flush()?;
    let mut moved = false;
    while !to.write_pending() {
        match from
            .try_read()
            .map_err(|e| e.with_context(&format!("relaying {name}")))?
        {
            None => break,
            Some(Message::Close(_)) => break,
            Some(msg @ (Message::Binary(_) | Message::Text(_))) => {
                to.queue(msg)?;
                moved = true;
            }
            // Pings are answered by each side's own websocket.
            Some(_) => moved = true,
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse() {
        let o = MoveOptions::from_json(Some(
            r#"{"name":"c2","mode":"relay","instance_only":true,"refresh":true,"config":{"user.a":"b"},"profiles":["default"],"pool":"p"}"#,
        ))
        .unwrap();
        assert_eq!(o.mode, Mode::Relay);
        assert!(o.instance_only && o.refresh);
        for bad in [
            r#"{"mode":"teleport"}"#,
            r#"{"name":""}"#,
            r#"{"config":{"a":1}}"#,
            r#"{"profiles":"default"}"#,
            r#"{"live":true}"#,
            "[]",
        ] {
            assert!(MoveOptions::from_json(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_copy_leaves_the_source_runtime_behind() {
        let inst = json!({
            "name": "c1", "architecture": "x86_64", "type": "container", "ephemeral": false,
            "stateful": false, "description": "d", "profiles": ["default"],
            "config": {"user.a": "1", "volatile.base_image": "abc", "volatile.eth0.hwaddr": "x", "volatile.uuid": "u"},
            "devices": {"root": {"type": "disk", "path": "/", "pool": "default"}},
            "status": "Stopped"
        });
        let opts = MoveOptions {
            pool: Some("fast".into()),
            config: [("user.b".to_string(), json!("2"))].into_iter().collect(),
            ..MoveOptions::default()
        };
        let def = definition(inst.as_object().unwrap(), "c2", &opts);
        assert_eq!(def["name"], "c2");
        assert_eq!(
            def["config"],
            json!({"user.a": "1", "user.b": "2", "volatile.base_image": "abc"})
        );
        assert_eq!(def["devices"]["root"]["pool"], "fast");
        assert!(def.get("status").is_none());
    }
}
