//! LXD objects and their lifecycle, as in pylxd: lazy sync on read, dirty
//! tracking on write, rollback, and ETag-protected save.

use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use std::time::Duration;

use crate::client::{ApiResponse, Client, Finished, Started, encode_component, operation_outcome};
use crate::error::{Error, ErrorKind, Result};
use crate::kinds::{Kind, KindInfo, NewKey};
use crate::warnings;

/// Mutable state of an object, behind the object's lock.
#[derive(Debug, Default)]
struct State {
    /// Key in URLs (name, fingerprint or id); empty while a create that
    /// learns its key from the operation is still running.
    key: String,
    /// The server's state as last loaded.
    server: Map<String, Value>,
    /// Local changes not yet saved (attribute → new value).
    dirty: Map<String, Value>,
    /// ETag of `server`, when it came from a single-object GET.
    etag: Option<String>,
    /// Whether `server` holds the full object.
    loaded: bool,
    /// Background operation started by the last call made without waiting.
    pending: Option<Started>,
    /// The server has shown that this object existed (an operation this
    /// library started), even if it was never loaded.
    existed: bool,
    /// For an operation: the daemon's process id when it was seen, to
    /// tell a forgotten operation from one lost in a restart.
    seen_pid: Option<u64>,
}

impl State {
    /// The current value of an attribute: the local change, else the server's.
    fn current(&self, name: &str) -> Option<&Value> {
        self.dirty.get(name).or_else(|| self.server.get(name))
    }
}

/// One LXD object of any kind. Methods lock the object, so one object can
/// be used from several threads (calls on it are serialised).
#[derive(Debug)]
pub struct Object {
    client: Client,
    kind: Kind,
    state: Mutex<State>,
}

fn scoped(client: &Client, info: &KindInfo, path: String) -> String {
    if info.project_scoped {
        client.with_project(&path)
    } else {
        path
    }
}

/// The collection path of a kind, with `query` (e.g. `?recursion=1`).
fn collection(client: &Client, info: &KindInfo, query: &str) -> String {
    scoped(client, info, format!("/1.0/{}{query}", info.endpoint))
}

/// The path of one object, or of `suffix` under it (e.g. `/state`).
fn item(client: &Client, info: &KindInfo, key: &str, suffix: &str) -> String {
    let path = format!(
        "/1.0/{}/{}{suffix}",
        info.item_endpoint,
        encode_component(key)
    );
    scoped(client, info, path)
}

/// Warn about attributes the kind's schema lacks (they stay readable).
fn check_schema(info: &KindInfo, attrs: &Map<String, Value>) {
    for name in attrs.keys() {
        if info.attr(name).is_none() {
            warnings::global().unknown_attribute(info.class, name);
        }
    }
}

fn as_object(value: Value, what: &str) -> Result<Map<String, Value>> {
    match value {
        Value::Object(m) => Ok(m),
        other => Err(Error::protocol(format!(
            "{what}: expected a JSON object, got {}",
            kind_of(&other)
        ))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Object {
    fn with_state(client: &Client, kind: Kind, state: State) -> Object {
        Object {
            client: client.clone(),
            kind,
            state: Mutex::new(state),
        }
    }

    /// An operation that a call of this library started.
    pub fn started_operation(client: &Client, started: &Started) -> Object {
        let op = Object::lazy(client, Kind::Operation, &started.id);
        let mut st = op.lock();
        st.existed = true;
        st.seen_pid = started.seen_pid;
        drop(st);
        op
    }

    /// An object known only by its key; its attributes load on first read.
    pub fn lazy(client: &Client, kind: Kind, key: &str) -> Object {
        let info = kind.info();
        let mut server = Map::new();
        if !key.is_empty() {
            server.insert(info.key.to_string(), Value::String(key.to_string()));
        }
        Object::with_state(
            client,
            kind,
            State {
                key: key.to_string(),
                server,
                ..State::default()
            },
        )
    }

    /// Build an object from a server document (from a list or a GET).
    pub(crate) fn from_server(
        client: &Client,
        kind: Kind,
        attrs: Map<String, Value>,
        etag: Option<String>,
    ) -> Result<Object> {
        let info = kind.info();
        let key = attrs
            .get(info.key)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::protocol(format!("{} without a {:?} field", info.class, info.key))
            })?
            .to_string();
        check_schema(info, &attrs);
        let seen_pid = if kind == Kind::Operation {
            client.server_pid()
        } else {
            None
        };
        Ok(Object::with_state(
            client,
            kind,
            State {
                key,
                server: attrs,
                etag,
                loaded: true,
                seen_pid,
                ..State::default()
            },
        ))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn key(&self) -> String {
        self.lock().key.clone()
    }

    pub fn info(&self) -> &'static KindInfo {
        self.kind.info()
    }

    // ----- managers ---------------------------------------------------------

    /// `GET` one object by key, with its ETag.
    pub fn get(client: &Client, kind: Kind, key: &str) -> Result<Object> {
        if key.is_empty() {
            return Err(Error::invalid(format!("empty {} key", kind.info().class)));
        }
        let (attrs, etag) = fetch(client, kind, key)?;
        Object::from_server(client, kind, attrs, etag)
    }

    /// The image an alias points at (`GET /1.0/images/aliases/{alias}`, then the image).
    pub fn image_by_alias(client: &Client, alias: &str) -> Result<Object> {
        if alias.is_empty() {
            return Err(Error::invalid("empty image alias"));
        }
        let path = client.with_project(&format!("/1.0/images/aliases/{}", encode_component(alias)));
        let resp = client.request("GET", &path, None, &[])?;
        let target = resp
            .metadata()
            .get("target")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::protocol(format!("image alias {alias:?} has no target")))?
            .to_string();
        Object::get(client, Kind::Image, &target)
    }

    /// Whether an object with this key exists (404 is `false`, other errors are errors).
    pub fn exists(client: &Client, kind: Kind, key: &str) -> Result<bool> {
        match fetch(client, kind, key) {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// All objects of a kind, full, in one request (`recursion=1`).
    pub fn all(client: &Client, kind: Kind) -> Result<Vec<Object>> {
        let info = kind.info();
        let resp = client.request("GET", &collection(client, info, "?recursion=1"), None, &[])?;
        Object::from_list(client, kind, resp.into_metadata())
    }

    /// The objects of a list's `metadata` (from a `recursion=1` GET).
    pub(crate) fn from_list(client: &Client, kind: Kind, metadata: Value) -> Result<Vec<Object>> {
        let info = kind.info();
        let items: Vec<Value> = match metadata {
            Value::Array(a) => a,
            // Operations come grouped by status: {"running": [...], "success": [...]}.
            Value::Object(groups) if kind == Kind::Operation => groups
                .into_iter()
                .filter_map(|(_, v)| match v {
                    Value::Array(a) => Some(a),
                    _ => None,
                })
                .flatten()
                .collect(),
            Value::Null if kind == Kind::Operation => Vec::new(),
            other => {
                return Err(Error::protocol(format!(
                    "list of {}: expected an array, got {}",
                    info.class,
                    kind_of(&other)
                )));
            }
        };
        items
            .into_iter()
            .filter(|v| match info.instance_type {
                // Belt and braces: the typed endpoints already filter.
                Some(t) => v
                    .get("type")
                    .and_then(Value::as_str)
                    .is_none_or(|vt| vt == t),
                None => true,
            })
            .map(|v| {
                let attrs = as_object(v, info.class)?;
                Object::from_server(client, kind, attrs, None)
            })
            .collect()
    }

    /// Create an object from a JSON definition (the body of LXD's POST).
    /// With `wait`, the result is loaded from the server once created;
    /// without, it holds the background operation (see [`Object::pending_operation`]).
    pub fn create(client: &Client, kind: Kind, definition: &Value, wait: bool) -> Result<Object> {
        let info = kind.info();
        let Value::Object(def) = definition else {
            return Err(Error::invalid("a definition must be a JSON object"));
        };
        let mut def = def.clone();
        if info.new_key == NewKey::NotCreatable {
            return Err(Error::invalid(format!(
                "{} objects cannot be created",
                info.class
            )));
        }
        if let Some(t) = info.instance_type {
            match def.get("type").and_then(Value::as_str) {
                None => {
                    def.insert("type".into(), Value::String(t.into()));
                }
                Some(given) if given != t => {
                    return Err(Error::invalid(format!(
                        "definition has type {given:?} but a {} is of type {t:?}",
                        info.class
                    )));
                }
                Some(_) => {}
            }
        }
        let mut key = match info.new_key {
            NewKey::FromDefinition => {
                let name = def.get(info.key).and_then(Value::as_str).unwrap_or("");
                if name.is_empty() {
                    return Err(Error::invalid(format!(
                        "a {} definition needs a non-empty {:?}",
                        info.class, info.key
                    )));
                }
                name.to_string()
            }
            _ => String::new(),
        };
        let resp = client.request(
            "POST",
            &collection(client, info, ""),
            Some(&Value::Object(def)),
            &[],
        )?;
        if info.new_key == NewKey::FromLocation {
            key = location_key(&resp).ok_or_else(|| {
                Error::protocol(format!("created {} but got no Location", info.class))
            })?;
        }
        match client.finish(&resp, wait)? {
            Finished::Done(op) => {
                if info.new_key == NewKey::FromOperation {
                    key = op.as_ref().and_then(key_from_operation).ok_or_else(|| {
                        Error::protocol(format!(
                            "created {} but the operation named no fingerprint",
                            info.class
                        ))
                    })?;
                }
                Object::get(client, kind, &key)
            }
            Finished::Pending(op) => {
                let obj = Object::lazy(client, kind, &key);
                obj.lock().pending = Some(op);
                Ok(obj)
            }
        }
    }

    // ----- attributes -------------------------------------------------------

    /// Read an attribute as JSON. An attribute not yet loaded syncs first;
    /// a schema attribute the server does not send reads as `null`.
    pub fn get_attr(&self, name: &str) -> Result<Value> {
        let info = self.info();
        let mut st = self.lock();
        if let Some(v) = st.current(name) {
            return Ok(v.clone());
        }
        if !st.loaded {
            self.sync_locked(&mut st)?;
            if let Some(v) = st.current(name) {
                return Ok(v.clone());
            }
        }
        if info.attr(name).is_some() {
            Ok(Value::Null)
        } else {
            Err(Error::new(
                ErrorKind::UnknownAttribute,
                format!("{} has no attribute {name:?}", info.class),
            ))
        }
    }

    /// Set a writable attribute (the whole value: setting `config` replaces
    /// the map). Marks the object dirty.
    pub fn set_attr(&self, name: &str, value: Value) -> Result<()> {
        self.check_writable(name)?;
        self.lock().dirty.insert(name.to_string(), value);
        Ok(())
    }

    /// `UnknownAttribute` or `ReadOnly` unless `name` can be set.
    pub fn check_writable(&self, name: &str) -> Result<()> {
        let info = self.info();
        match info.attr(name) {
            None => Err(Error::new(
                ErrorKind::UnknownAttribute,
                format!("{} has no attribute {name:?}", info.class),
            )),
            Some(a) if !a.writable => Err(Error::new(
                ErrorKind::ReadOnly,
                format!("{}.{name} is read-only", info.class),
            )),
            Some(_) => Ok(()),
        }
    }

    pub fn dirty(&self) -> bool {
        !self.lock().dirty.is_empty()
    }

    /// The whole object as a JSON object, local changes included.
    pub fn to_json(&self) -> Result<Value> {
        let mut st = self.lock();
        if !st.loaded {
            self.sync_locked(&mut st)?;
        }
        let mut all = st.server.clone();
        for (k, v) in &st.dirty {
            all.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(all))
    }

    /// What a save would PUT now (see [`put_body`]).
    #[cfg(any(test, fuzzing))]
    pub(crate) fn save_body(&self) -> Map<String, Value> {
        put_body(self.info(), &self.lock())
    }

    // ----- lifecycle --------------------------------------------------------

    /// The object's key, finishing first a create made without waiting:
    /// an object that was never loaded and still has its create operation
    /// pending may not exist yet (and an image does not know its key yet).
    /// A failed create is reported here, on first use.
    fn resolve_key(&self, st: &mut State) -> Result<String> {
        if !st.loaded
            && let Some(op) = st.pending.clone()
        {
            match self.client.wait_operation(&op.id, None) {
                Ok(done) => {
                    if st.key.is_empty() {
                        st.key = key_from_operation(&done).ok_or_else(|| {
                            Error::protocol("the create operation named no fingerprint")
                        })?;
                    }
                }
                // LXD forgets finished operations after a few seconds; the
                // caller waited on it already (unless the daemon restarted
                // and lost it). The object itself tells.
                Err(e) if e.kind == ErrorKind::NotFound && !st.key.is_empty() => {
                    self.client.vanished_operation(&op.id, op.seen_pid)?
                }
                Err(e) => return Err(e),
            }
            st.pending = None;
        }
        if st.key.is_empty() {
            return Err(Error::new(
                ErrorKind::Internal,
                "object has neither a key nor a pending create",
            ));
        }
        Ok(st.key.clone())
    }

    fn sync_locked(&self, st: &mut State) -> Result<()> {
        let key = self.resolve_key(st)?;
        let (attrs, etag) = fetch(&self.client, self.kind, &key)?;
        check_schema(self.info(), &attrs);
        st.server = attrs;
        st.etag = etag;
        st.loaded = true;
        Ok(())
    }

    /// Refresh from the server, keeping local changes.
    pub fn sync(&self) -> Result<()> {
        let mut st = self.lock();
        self.sync_locked(&mut st)
    }

    /// Drop local changes and take the server's state. If the server cannot
    /// be read, nothing changes (the local changes are not lost).
    pub fn rollback(&self) -> Result<()> {
        let mut st = self.lock();
        self.sync_locked(&mut st)?;
        st.dirty.clear();
        Ok(())
    }

    /// Write local changes: nothing at all when nothing is dirty; else a PUT
    /// of the writable attributes with `If-Match`. An object whose ETag is
    /// unknown (it came from a list, or a save without wait) is first
    /// re-read: if the server's writable attributes differ from what this
    /// object last saw, the save fails with `PreconditionFailed`; else the
    /// fresh ETag guards the PUT.
    pub fn save(&self, wait: bool) -> Result<()> {
        let info = self.info();
        let mut st = self.lock();
        if st.dirty.is_empty() {
            return Ok(());
        }
        let key = self.resolve_key(&mut st)?;
        if !st.loaded {
            // Never PUT a partial object: load what we have not seen.
            self.sync_locked(&mut st)?;
        }
        let etag = match st.etag.clone() {
            Some(e) => Some(e),
            None => {
                let (fresh, fresh_etag) = fetch(&self.client, self.kind, &key)?;
                let changed: Vec<&str> = info
                    .writable()
                    .filter(|a| fresh.get(*a) != st.server.get(*a))
                    .collect();
                if !changed.is_empty() {
                    return Err(Error {
                        kind: ErrorKind::PreconditionFailed,
                        message: format!(
                            "{} {key:?} changed on the server since it was loaded ({}); sync or rollback, then save again",
                            info.class,
                            changed.join(", ")
                        ),
                        http_status: 0,
                    });
                }
                // LXD sends no ETag for some kinds (storage pools): then the
                // comparison above is the only guard.
                fresh_etag
            }
        };
        let body = put_body(info, &st);
        let path = item(&self.client, info, &key, "");
        let resp = self.client.request(
            "PUT",
            &path,
            Some(&Value::Object(body)),
            etag.as_deref().map(|e| ("If-Match", e)).as_slice(),
        )?;
        // Whatever the outcome, the server's ETag has moved on or is unknown.
        st.etag = None;
        // A failed operation leaves the local changes dirty, to fix and retry.
        self.record(&mut st, &resp, wait)?;
        // The server has the new values now (what it stores may differ in
        // detail: the sync below, or the next save's re-read, sees that).
        let dirty = std::mem::take(&mut st.dirty);
        st.server.extend(dirty);
        if wait {
            self.sync_locked(&mut st)?;
        }
        Ok(())
    }

    /// Delete the object on the server.
    pub fn delete(&self, wait: bool) -> Result<()> {
        let info = self.info();
        let mut st = self.lock();
        let key = self.resolve_key(&mut st)?;
        let path = item(&self.client, info, &key, "");
        let resp = self.client.request("DELETE", &path, None, &[])?;
        self.record(&mut st, &resp, wait)
    }

    /// Wait for, or remember, the background operation a response started.
    fn record(&self, st: &mut State, resp: &ApiResponse, wait: bool) -> Result<()> {
        match self.client.finish(resp, wait)? {
            Finished::Done(_) => st.pending = None,
            Finished::Pending(op) => st.pending = Some(op),
        }
        Ok(())
    }

    /// Rename (instances, profiles, networks, projects).
    pub fn rename(&self, new_name: &str, wait: bool) -> Result<()> {
        let info = self.info();
        if !info.renamable {
            return Err(Error::invalid(format!(
                "{} objects cannot be renamed",
                info.class
            )));
        }
        if new_name.is_empty() {
            return Err(Error::invalid("the new name is empty"));
        }
        let mut st = self.lock();
        let key = self.resolve_key(&mut st)?;
        let path = item(&self.client, info, &key, "");
        let body = serde_json::json!({ "name": new_name });
        let resp = self.client.request("POST", &path, Some(&body), &[])?;
        // A failed rename leaves the object on its old name. Without wait,
        // the object follows the new name at once: callers wait on the
        // operation before using it further.
        self.record(&mut st, &resp, wait)?;
        st.key = new_name.to_string();
        st.server
            .insert(info.key.to_string(), Value::String(new_name.to_string()));
        st.etag = None;
        Ok(())
    }

    /// The background operation started by this object's last call made
    /// without waiting, if it has not been waited on.
    pub fn pending_operation(&self) -> Option<Started> {
        self.lock().pending.clone()
    }

    // ----- instances --------------------------------------------------------

    pub(crate) fn require_instance(&self) -> Result<()> {
        if self.kind.is_instance() {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{} is not an instance",
                self.info().class
            )))
        }
    }

    /// `PUT …/state` with an action: start, stop, restart, freeze, unfreeze.
    /// With wait, the object is synced afterwards (as pylxd does), keeping
    /// local changes.
    pub fn instance_action(
        &self,
        action: &str,
        timeout_s: i32,
        force: bool,
        wait: bool,
    ) -> Result<()> {
        self.require_instance()?;
        let info = self.info();
        let mut st = self.lock();
        let key = self.resolve_key(&mut st)?;
        let path = item(&self.client, info, &key, "/state");
        let body = serde_json::json!({
            "action": action,
            "timeout": timeout_s,
            "force": force,
            "stateful": false,
        });
        let resp = self.client.request("PUT", &path, Some(&body), &[])?;
        self.record(&mut st, &resp, wait)?;
        if wait {
            self.sync_locked(&mut st)?;
        }
        Ok(())
    }

    /// The path of `suffix` under this instance (e.g. `/exec`, `/files`),
    /// project included, once a pending create has finished.
    pub(crate) fn instance_path(&self, suffix: &str) -> Result<String> {
        self.require_instance()?;
        let mut st = self.lock();
        let key = self.resolve_key(&mut st)?;
        Ok(item(&self.client, self.info(), &key, suffix))
    }

    /// `GET …/state`: the instance's runtime state document.
    pub fn instance_state(&self) -> Result<Value> {
        self.require_instance()?;
        let info = self.info();
        let mut st = self.lock();
        let key = self.resolve_key(&mut st)?;
        let path = item(&self.client, info, &key, "/state");
        Ok(self
            .client
            .request("GET", &path, None, &[])?
            .into_metadata())
    }

    // ----- operations -------------------------------------------------------

    fn require_operation(&self) -> Result<()> {
        if self.kind == Kind::Operation {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{} is not an operation",
                self.info().class
            )))
        }
    }

    /// Wait for this operation to end, up to `timeout` (None: as long as
    /// it runs; the call's deadline still applies). Its attributes then
    /// hold the final state, or the state when the time was up.
    ///
    /// LXD forgets a finished operation a few seconds after it ended. An
    /// operation known to have existed (started by this library, or loaded
    /// before) that the server no longer knows has therefore ended: the
    /// wait succeeds and the attributes stay as last seen — unless the
    /// daemon restarted since it was seen, which lost the operation
    /// (`OperationLost`).
    pub fn operation_wait(&self, timeout: Option<Duration>) -> Result<()> {
        self.require_operation()?;
        let mut st = self.lock();
        let key = st.key.clone();
        match self.client.wait_for(&key, timeout) {
            Ok(op) => {
                let outcome = operation_outcome(&op);
                st.server = op;
                st.loaded = true;
                outcome
            }
            Err(e) if e.kind == ErrorKind::NotFound && (st.existed || st.loaded) => {
                self.client.vanished_operation(&key, st.seen_pid)
            }
            Err(e) => Err(e),
        }
    }

    /// Ask the server to cancel this operation.
    pub fn operation_cancel(&self) -> Result<()> {
        self.require_operation()?;
        let key = self.lock().key.clone();
        self.client.cancel_operation(&key)
    }
}

/// The body of a save: every writable attribute, local changes winning.
fn put_body(info: &KindInfo, st: &State) -> Map<String, Value> {
    info.writable()
        .filter_map(|a| Some((a.to_string(), st.current(a)?.clone())))
        .collect()
}

pub(crate) fn location_key(resp: &ApiResponse) -> Option<String> {
    let loc = resp.location.as_deref()?;
    let path = loc.split('?').next()?;
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn key_from_operation(op: &Map<String, Value>) -> Option<String> {
    op.get("metadata")
        .and_then(|m| m.get("fingerprint"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `GET` one object: its attributes and ETag. For the typed instance kinds,
/// an instance of another type is "not found".
fn fetch(client: &Client, kind: Kind, key: &str) -> Result<(Map<String, Value>, Option<String>)> {
    let info = kind.info();
    let path = item(client, info, key, "");
    let resp = client.request("GET", &path, None, &[])?;
    fetched(kind, key, resp)
}

/// The object a `GET` of `key` answered: a JSON object, of the kind's
/// instance type; and its ETag.
pub(crate) fn fetched(
    kind: Kind,
    key: &str,
    resp: ApiResponse,
) -> Result<(Map<String, Value>, Option<String>)> {
    let info = kind.info();
    let etag = resp.etag.clone();
    let attrs = as_object(resp.into_metadata(), info.class)?;
    let actual_type = attrs.get("type").and_then(Value::as_str);
    if let (Some(want), Some(actual)) = (info.instance_type, actual_type)
        && want != actual
    {
        return Err(Error {
            kind: ErrorKind::NotFound,
            message: format!("{} {key:?} not found (it is a {actual})", info.class),
            http_status: 404,
        });
    }
    Ok((attrs, etag))
}

/// What a binding needs to know of the kind, as JSON: its class, key,
/// collection path, what it supports, and its attributes in schema
/// order with whether each can be set.
pub fn describe_kind(kind: Kind) -> Value {
    let info = kind.info();
    let attrs: Vec<_> = info
        .attrs
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "writable": a.writable}))
        .collect();
    serde_json::json!({
        "kind": kind as i32,
        "class": info.class,
        "c_name": info.c_name,
        "endpoint": format!("/1.0/{}", info.endpoint),
        "key": info.key,
        "project_scoped": info.project_scoped,
        "creatable": info.new_key != NewKey::NotCreatable,
        "renamable": info.renamable,
        "attributes": attrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(extra: Value) -> Object {
        let mut attrs = json!({
            "name": "c1",
            "status": "Stopped",
            "config": {"user.a": "1"},
            "devices": {},
            "profiles": ["default"],
            "description": "",
        });
        if let (Value::Object(a), Value::Object(e)) = (&mut attrs, extra) {
            a.extend(e);
        }
        let Value::Object(attrs) = attrs else {
            unreachable!()
        };
        Object::from_server(
            &Client::offline(),
            Kind::Container,
            attrs,
            Some("\"e1\"".into()),
        )
        .unwrap()
    }

    #[test]
    fn describe_lists_the_schema_in_order() {
        let d = describe_kind(Kind::Profile);
        assert_eq!(d["class"], "Profile");
        assert_eq!(d["key"], "name");
        assert_eq!(d["endpoint"], "/1.0/profiles");
        assert_eq!(d["creatable"], true);
        let attrs = d["attributes"].as_array().unwrap();
        assert_eq!(attrs.len(), Kind::Profile.info().attrs.len());
        let name = attrs.iter().find(|a| a["name"] == "name").unwrap();
        assert_eq!(name["writable"], false);
        assert_eq!(describe_kind(Kind::Operation)["creatable"], false);
    }

    #[test]
    fn attributes_read_as_json() {
        let o = container(json!({}));
        assert_eq!(o.get_attr("name").unwrap().to_string(), "\"c1\"");
        assert_eq!(o.get_attr("config").unwrap(), json!({"user.a": "1"}));
        // In the schema but not sent: null, without a request.
        assert_eq!(o.get_attr("location").unwrap(), Value::Null);
        let e = o.get_attr("bogus").unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownAttribute);
    }

    #[test]
    fn attributes_beyond_the_schema_stay_readable() {
        let o = container(json!({"shiny": 42}));
        assert_eq!(o.get_attr("shiny").unwrap(), json!(42));
        assert_eq!(o.to_json().unwrap()["shiny"], json!(42));
        assert_eq!(
            o.set_attr("shiny", json!(1)).unwrap_err().kind,
            ErrorKind::UnknownAttribute
        );
    }

    #[test]
    fn setting_tracks_dirtiness_and_checks_the_schema() {
        let o = container(json!({}));
        assert!(!o.dirty());
        assert_eq!(
            o.set_attr("name", json!("x")).unwrap_err().kind,
            ErrorKind::ReadOnly
        );
        assert_eq!(
            o.set_attr("status", json!("Running")).unwrap_err().kind,
            ErrorKind::ReadOnly
        );
        assert_eq!(
            o.set_attr("nope", json!(1)).unwrap_err().kind,
            ErrorKind::UnknownAttribute
        );
        assert!(!o.dirty());
        o.set_attr("config", json!({"user.b": "2"})).unwrap();
        assert!(o.dirty());
        // The whole map is replaced, as assignment in pylxd.
        assert_eq!(o.get_attr("config").unwrap(), json!({"user.b": "2"}));
        let all = o.to_json().unwrap();
        assert_eq!(all["config"], json!({"user.b": "2"}));
        assert_eq!(all["name"], json!("c1"));
    }

    #[test]
    fn save_body_has_writable_attributes_only_with_local_changes() {
        let o = container(json!({}));
        o.set_attr("description", json!("d")).unwrap();
        let body = o.save_body();
        assert_eq!(body.get("description"), Some(&json!("d")));
        assert_eq!(body.get("config"), Some(&json!({"user.a": "1"})));
        assert!(body.get("name").is_none());
        assert!(body.get("status").is_none());
        // Writable but never sent by the server nor set: not invented.
        assert!(body.get("restore").is_none());
    }

    #[test]
    fn clean_save_sends_nothing() {
        // The offline client fails any request, so success proves none was made.
        let o = container(json!({}));
        o.save(true).unwrap();
        o.set_attr("description", json!("d")).unwrap();
        assert_eq!(o.save(true).unwrap_err().kind, ErrorKind::Connection);
        assert!(o.dirty(), "a failed save keeps the local changes");
    }

    #[test]
    fn failed_rollback_loses_nothing() {
        let o = container(json!({}));
        o.set_attr("description", json!("d")).unwrap();
        assert_eq!(o.rollback().unwrap_err().kind, ErrorKind::Connection);
        assert!(o.dirty());
        assert_eq!(o.get_attr("description").unwrap(), json!("d"));
    }

    #[test]
    fn objects_need_their_key() {
        let Value::Object(attrs) = json!({"status": "Running"}) else {
            unreachable!()
        };
        let e = Object::from_server(&Client::offline(), Kind::Container, attrs, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
    }

    #[test]
    fn lazy_objects_know_only_their_key() {
        let o = Object::lazy(&Client::offline(), Kind::Profile, "p1");
        assert_eq!(o.key(), "p1");
        assert_eq!(o.get_attr("name").unwrap(), json!("p1"));
        // Anything else needs a sync, which the offline client cannot do.
        assert_eq!(
            o.get_attr("config").unwrap_err().kind,
            ErrorKind::Connection
        );
    }

    #[test]
    fn instance_and_operation_calls_check_the_kind() {
        let p = Object::lazy(&Client::offline(), Kind::Profile, "p1");
        assert_eq!(
            p.instance_action("start", -1, false, true)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            p.operation_wait(Some(Duration::from_secs(1)))
                .unwrap_err()
                .kind,
            ErrorKind::InvalidArgument
        );
        let img = Object::lazy(&Client::offline(), Kind::Image, "abc");
        assert_eq!(
            img.rename("x", true).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn operations_cannot_be_created_and_definitions_are_objects() {
        let c = Client::offline();
        let e = Object::create(&c, Kind::Operation, &json!({}), true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        let e = Object::create(&c, Kind::Profile, &json!([1]), true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        let e = Object::create(&c, Kind::Profile, &json!({"config": {}}), true).unwrap_err();
        assert!(e.message.contains("name"));
        let e = Object::create(
            &c,
            Kind::Container,
            &json!({"name": "x", "type": "virtual-machine"}),
            true,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
    }
}
