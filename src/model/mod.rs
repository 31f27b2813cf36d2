//! LXD objects and their lifecycle, as in pylxd: lazy sync on read, dirty
//! tracking on write, rollback, and save that never overwrites someone
//! else's change. One `Object` serves every kind; what differs between
//! kinds is data (`crate::kinds`).
//!
//! - `locator.rs`: the one place that builds URLs.
//! - `managers.rs`: get, all, exists, create (top-level and children).
//! - `actions.rs`: what kinds do beyond that, and operations.

mod actions;
mod locator;
mod managers;

use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::client::{ApiResponse, Client, Finished, Started};
use crate::error::{Error, ErrorKind, Result};
use crate::kinds::{Create, Kind, KindInfo};
use crate::unknown_attrs;

pub use actions::ActionOutput;
pub use locator::{Locator, collection_path, create_path};
#[cfg(fuzzing)]
pub(crate) use managers::{fetched, key_from_operation, location_key};

/// Mutable state of an object, behind the object's lock.
#[derive(Debug, Default)]
struct State {
    /// Where it lives. The key is empty while a create that learns its key
    /// from the operation is still running.
    loc: Locator,
    /// The server's state as last loaded.
    server: Map<String, Value>,
    /// Local changes not yet saved (attribute → new value).
    dirty: Map<String, Value>,
    /// ETag of `server`, when it came from a single-object GET.
    etag: Option<String>,
    /// Whether `server` holds the full object.
    loaded: bool,
    /// Set by a waited change (save, instance action): `server` was
    /// dropped unread; the next patch loads first, for its ETag guard.
    reload: bool,
    /// Background operation started by the last call made without waiting.
    pending: Option<Started>,
    /// The server has shown that this object existed (an operation this
    /// library started), even if it was never loaded.
    existed: bool,
    /// For an operation: the daemon's process id when it was seen, to
    /// tell a forgotten operation from one lost in a restart.
    seen_pid: Option<u64>,
    /// For an object LXD names, created without waiting: the keys its
    /// collection held before, to learn its key once created.
    keys_before: Option<Vec<String>>,
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

/// Warn about attributes the kind's schema lacks (they stay readable).
/// The key of an object from its server document: the key attribute,
/// after the prefix attribute (and a `/`) for kinds that have one.
pub(crate) fn key_of(info: &KindInfo, doc: &Map<String, Value>) -> Option<String> {
    if info.singleton {
        return Some(String::new());
    }
    let key = doc.get(info.key)?.as_str()?;
    // LXD 5.0.2 names a volume snapshot "VOLUME/SNAP" in lists (and "SNAP"
    // in a GET): a child's key is the part after its parent's.
    let key = match (info.parent, info.key_prefix) {
        (Some(_), None) => key.rsplit('/').next().unwrap_or(key),
        _ => key,
    };
    match info.key_prefix {
        None => Some(key.to_string()),
        Some((p, _)) => Some(format!("{}/{key}", doc.get(p)?.as_str()?)),
    }
}

/// LXD 5.0.2 refuses to delete what is still in use (a project with
/// objects, a profile, network or volume something uses) with a bare HTTP
/// 400 or 500: that is `Conflict`, with LXD's message.
fn in_use(e: Error) -> Error {
    const IN_USE: [&str; 3] = [
        "Only empty projects can be removed",
        "Only empty cluster groups can be removed",
        "in use",
    ];
    if e.kind == ErrorKind::Api && IN_USE.iter().any(|m| e.message.contains(m)) {
        Error {
            kind: ErrorKind::Conflict,
            ..e
        }
    } else {
        e
    }
}

fn check_schema(info: &KindInfo, attrs: &Map<String, Value>) {
    for name in attrs.keys() {
        if info.attr(name).is_none() {
            unknown_attrs::global().unknown_attribute(info.class, name);
        }
    }
}

fn as_object(value: Value, what: &str) -> Result<Map<String, Value>> {
    match value {
        Value::Object(m) => Ok(m),
        other => Err(Error::protocol(format!(
            "{what}: expected a JSON object, got {}",
            json_type_name(&other)
        ))),
    }
}

fn json_type_name(v: &Value) -> &'static str {
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

    /// A top-level object known only by its key; its attributes load on
    /// first read.
    pub fn lazy(client: &Client, kind: Kind, key: &str) -> Object {
        Object::lazy_at(client, kind, Locator::new(Vec::new(), key))
    }

    /// An object that a background operation of this library is making:
    /// its key may be known only once the operation ends (an image's
    /// fingerprint); first use waits for it.
    pub(crate) fn being_made(client: &Client, kind: Kind, loc: Locator, op: Started) -> Object {
        let obj = Object::lazy_at(client, kind, loc);
        obj.lock().pending = Some(op);
        obj
    }

    /// An object known only by where it lives.
    pub fn lazy_at(client: &Client, kind: Kind, loc: Locator) -> Object {
        let info = kind.info();
        let mut server = Map::new();
        if !loc.key.is_empty() {
            server.insert(info.key.to_string(), Value::String(loc.key.clone()));
        }
        Object::with_state(
            client,
            kind,
            State {
                loc,
                server,
                ..State::default()
            },
        )
    }

    /// Build an object from a server document (from a list or a GET).
    pub(crate) fn from_server(
        client: &Client,
        kind: Kind,
        parents: Vec<String>,
        attrs: Map<String, Value>,
        etag: Option<String>,
    ) -> Result<Object> {
        let info = kind.info();
        let key = key_of(info, &attrs).ok_or_else(|| {
            Error::protocol(format!("{} without a {:?} field", info.class, info.key))
        })?;
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
                loc: Locator::new(parents, key),
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
        self.lock().loc.key.clone()
    }

    /// Where the object lives: its parents' keys and its own.
    pub fn locator(&self) -> Locator {
        self.lock().loc.clone()
    }

    pub fn info(&self) -> &'static KindInfo {
        self.kind.info()
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

    /// Where the object lives, finishing first a create made without
    /// waiting: an object that was never loaded and still has its create
    /// operation pending may not exist yet (and may not know its key
    /// yet). A failed create is reported here, on first use.
    fn resolve(&self, st: &mut State) -> Result<Locator> {
        if !st.loaded
            && let Some(op) = st.pending.clone()
        {
            match self.client.wait_operation(&op.id, None) {
                Ok(done) => {
                    if st.loc.key.is_empty() {
                        st.loc.key = managers::learn_key(
                            &self.client,
                            self.kind,
                            &st.loc.parents,
                            &done,
                            st.keys_before.as_deref(),
                        )?;
                    }
                }
                // LXD forgets finished operations after a few seconds; the
                // caller waited on it already (unless the daemon restarted
                // and lost it). The object itself tells.
                Err(e) if e.kind == ErrorKind::NotFound && !st.loc.key.is_empty() => {
                    self.client.vanished_operation(&op.id, op.seen_pid)?
                }
                Err(e) => return Err(e),
            }
            st.pending = None;
        }
        if st.loc.key.is_empty() && !self.info().singleton {
            return Err(Error::new(
                ErrorKind::Internal,
                "object has neither a key nor a pending create",
            ));
        }
        Ok(st.loc.clone())
    }

    /// The path of the object, or of `suffix` below it, once a pending
    /// create has finished.
    pub(crate) fn path(&self, suffix: &str) -> Result<String> {
        let mut st = self.lock();
        let loc = self.resolve(&mut st)?;
        loc.path(&self.client, self.kind, suffix)
    }

    fn sync_locked(&self, st: &mut State) -> Result<()> {
        let loc = self.resolve(st)?;
        let (attrs, etag) = managers::fetch(&self.client, self.kind, &loc)?;
        check_schema(self.info(), &attrs);
        st.server = attrs;
        st.etag = etag;
        st.loaded = true;
        st.reload = false;
        Ok(())
    }

    /// Forget what was loaded but the key (to find the object again) and
    /// local changes: the next read loads the object.
    fn forget_loaded(&self, st: &mut State) {
        let key = self.info().key;
        st.etag = None;
        st.loaded = false;
        st.server.retain(|k, _| k == key);
    }

    /// [`Self::forget_loaded`] after a change the server applied: the next
    /// read, save or patch loads the object first, so a caller who reads
    /// nothing afterwards pays no request, and one who changes it again is
    /// guarded as after a sync.
    fn mark_stale(&self, st: &mut State) {
        self.forget_loaded(st);
        st.reload = true;
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

    /// Write local changes: nothing at all when nothing is dirty; else a
    /// PUT of the writable attributes with `If-Match`.
    ///
    /// `If-Match` alone does not protect everything: objects from a list
    /// have no ETag, some kinds have none at all (storage pools), and LXD's
    /// ETag leaves some writable attributes out (an instance's description,
    /// an image's expiry). In those cases the object is re-read first: if
    /// any writable attribute on the server differs from what this object
    /// last saw (and from what it would write), someone else changed it and
    /// the save fails with `PreconditionFailed`; else the fresh ETag guards
    /// the PUT.
    pub fn save(&self, wait: bool) -> Result<()> {
        let info = self.info();
        let mut st = self.lock();
        if st.dirty.is_empty() {
            return Ok(());
        }
        if !info.put {
            return Err(Error::invalid(format!(
                "{} objects cannot be changed (only created, renamed or deleted)",
                info.class
            )));
        }
        let loc = self.resolve(&mut st)?;
        // Never PUT a partial object: load what we have not seen. What was
        // just loaded is as fresh as a re-read would be: it needs none.
        let fresh_now = !st.loaded;
        if fresh_now {
            self.sync_locked(&mut st)?;
        }
        let etag = if fresh_now || (st.etag.is_some() && info.etag_blind.is_empty()) {
            st.etag.clone()
        } else {
            let (fresh, fresh_etag) = managers::fetch(&self.client, self.kind, &loc)?;
            let changed: Vec<&str> = info
                .writable()
                .filter(|a| {
                    let theirs = fresh.get(*a);
                    theirs != st.server.get(*a) && theirs != st.current(a)
                })
                .collect();
            if !changed.is_empty() {
                return Err(Error {
                    kind: ErrorKind::PreconditionFailed,
                    message: format!(
                        "{} {:?} changed on the server since it was loaded ({}); sync or rollback, then save again",
                        info.class,
                        loc.key,
                        changed.join(", ")
                    ),
                    http_status: 0,
                });
            }
            // With an ETag from our last load, it guards what the re-read
            // cannot see change between the re-read and the PUT.
            st.etag.clone().or(fresh_etag)
        };
        let body = Value::Object(put_body(info, &st));
        let path = loc.path(&self.client, self.kind, "")?;
        let sent = self.client.request(
            "PUT",
            &path,
            Some(&body),
            etag.as_deref().map(|e| ("If-Match", e)).as_slice(),
        );
        // Whatever the outcome, the server's ETag has moved on or is unknown.
        st.etag = None;
        // A failed operation leaves the local changes dirty, to fix and retry.
        let outcome = sent.and_then(|resp| self.record(&mut st, &resp, wait));
        match outcome {
            Ok(_) => {}
            // Refused, failed or lost on the way, but the server may hold
            // exactly what this save writes: a PUT resent to another
            // cluster member after its first attempt was applied (LXD then
            // answers 412, as the ETag moved because of it, or fails the
            // new operation as "a matching non-reusable operation has now
            // succeeded"), one whose answer was lost with its member, or
            // another writer who wrote the same. Nothing would be
            // overwritten: the save is done.
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::PreconditionFailed
                        | ErrorKind::OperationFailed
                        | ErrorKind::Api
                        | ErrorKind::Connection
                ) =>
            {
                let Ok((fresh, _)) = managers::fetch(&self.client, self.kind, &loc) else {
                    return Err(e);
                };
                let Value::Object(mine) = &body else {
                    return Err(e);
                };
                if !mine.iter().all(|(k, v)| fresh.get(k) == Some(v)) {
                    return Err(e);
                }
                st.pending = None;
            }
            Err(e) => return Err(e),
        }
        // The server has the new values now (what it stores may differ in
        // detail, and attributes it derives, such as an instance's
        // `expanded_config`, follow them).
        let dirty = std::mem::take(&mut st.dirty);
        if wait {
            // Applied: the next read loads the object as the server holds
            // it then (one GET, made only when something is read).
            self.mark_stale(&mut st);
        } else {
            // Maybe not applied yet: reads show what was written, and the
            // next save re-reads before its PUT (no ETag).
            st.server.extend(dirty);
        }
        Ok(())
    }

    /// Change part of the object on the server with LXD's PATCH: the
    /// fields of `patch` only (maps such as `config` are merged key by key
    /// by LXD), guarded by the ETag when one is known. Local changes stay
    /// local (and dirty). With `wait`, the object is synced afterwards;
    /// without, its next attribute read syncs it.
    pub fn patch(&self, patch: &Value, wait: bool) -> Result<()> {
        let info = self.info();
        if !info.patch {
            return Err(Error::invalid(format!(
                "{} objects have no partial update",
                info.class
            )));
        }
        let Value::Object(fields) = patch else {
            return Err(Error::invalid("a patch must be a JSON object"));
        };
        for name in fields.keys() {
            self.check_writable(name)?;
        }
        let mut st = self.lock();
        if st.reload {
            // After a waited save or action: guarded as the eager sync of
            // earlier versions guarded it.
            self.sync_locked(&mut st)?;
        }
        let loc = self.resolve(&mut st)?;
        let mut body = fields.clone();
        let resets: Vec<&str> = info
            .patch_resets
            .iter()
            .copied()
            .filter(|a| !body.contains_key(*a))
            .collect();
        // The guard: the ETag of the object as loaded (a change since then
        // fails the PATCH), else the one of the re-read below (a change
        // between that read and the PATCH fails it).
        let mut etag = st.etag.clone();
        if !resets.is_empty() {
            // What LXD would reset goes along as it is on the server.
            let (fresh, fresh_etag) = managers::fetch(&self.client, self.kind, &loc)?;
            for a in resets {
                if let Some(v) = fresh.get(a) {
                    body.insert(a.to_string(), v.clone());
                }
            }
            etag = etag.or(fresh_etag);
        }
        let path = loc.path(&self.client, self.kind, "")?;
        let resp = self.client.request(
            "PATCH",
            &path,
            Some(&Value::Object(body)),
            etag.as_deref().map(|e| ("If-Match", e)).as_slice(),
        )?;
        // What was loaded is stale now: the next read syncs (after the
        // operation, when it did not wait).
        self.forget_loaded(&mut st);
        self.record(&mut st, &resp, wait)?;
        if wait {
            self.sync_locked(&mut st)?;
        }
        Ok(())
    }

    /// Delete the object on the server.
    pub fn delete(&self, wait: bool) -> Result<()> {
        let info = self.info();
        if !info.delete {
            return Err(Error::invalid(format!(
                "{} objects cannot be deleted",
                info.class
            )));
        }
        let mut st = self.lock();
        let loc = self.resolve(&mut st)?;
        let path = loc.path(&self.client, self.kind, "")?;
        let resp = self
            .client
            .request("DELETE", &path, None, &[])
            .map_err(in_use)?;
        self.record(&mut st, &resp, wait).map(|_| ())
    }

    /// Wait for, or remember, the background operation a response started.
    fn record(
        &self,
        st: &mut State,
        resp: &ApiResponse,
        wait: bool,
    ) -> Result<Option<Map<String, Value>>> {
        match self.client.finish(resp, wait)? {
            Finished::Done(op) => {
                st.pending = None;
                Ok(op)
            }
            Finished::Pending(op) => {
                st.pending = Some(op);
                Ok(None)
            }
        }
    }

    /// Rename the object (POST `{field: new}` for kinds that allow it).
    pub fn rename(&self, new_name: &str, wait: bool) -> Result<()> {
        let info = self.info();
        let Some(field) = info.rename else {
            return Err(Error::invalid(format!(
                "{} objects cannot be renamed",
                info.class
            )));
        };
        if new_name.is_empty() {
            return Err(Error::invalid("the new name is empty"));
        }
        if info.key_prefix.is_some() && new_name.contains('/') {
            return Err(Error::invalid(format!(
                "the new name of a {} is its name alone, without its type",
                info.class
            )));
        }
        let mut st = self.lock();
        let loc = self.resolve(&mut st)?;
        let path = loc.path(&self.client, self.kind, "")?;
        let mut body = Map::new();
        body.insert(field.to_string(), Value::String(new_name.to_string()));
        let resp = self
            .client
            .request("POST", &path, Some(&Value::Object(body)), &[])?;
        // A failed rename leaves the object on its old name. Without wait,
        // the object follows the new name at once: callers wait on the
        // operation before using it further.
        self.record(&mut st, &resp, wait)?;
        st.loc.key = match info.split_key(&st.loc.key) {
            (Some(prefix), _) => format!("{prefix}/{new_name}"),
            (None, _) => new_name.to_string(),
        };
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

    /// Fail unless the object is of kind `want` (or a variant of it: a
    /// container is an instance).
    pub(crate) fn require(&self, want: Kind) -> Result<()> {
        if self.kind.is_a(want) {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{} is not {} {}",
                self.info().class,
                if want.info().class.starts_with(['A', 'E', 'I', 'O', 'U']) {
                    "an"
                } else {
                    "a"
                },
                want.info().class
            )))
        }
    }

    /// The path of `suffix` under this instance (e.g. `/exec`, `/files`),
    /// project included, once a pending create has finished.
    pub(crate) fn instance_path(&self, suffix: &str) -> Result<String> {
        self.require(Kind::Instance)?;
        self.path(suffix)
    }
}

/// The body of a save: every writable attribute, local changes winning.
fn put_body(info: &KindInfo, st: &State) -> Map<String, Value> {
    info.writable()
        .filter_map(|a| Some((a.to_string(), st.current(a)?.clone())))
        .collect()
}

/// What a binding needs to know of a kind, as JSON: its class, where it
/// lives, its key, what it supports, its actions and its attributes in
/// schema order with whether each can be set.
pub fn describe_kind(kind: Kind) -> Value {
    let info = kind.info();
    let attrs: Vec<_> = info
        .attrs
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "writable": a.writable}))
        .collect();
    let actions: Vec<_> = info
        .actions
        .iter()
        .map(|a| {
            serde_json::json!({
                "name": a.name,
                "method": a.method,
                "on": format!("{:?}", a.on).to_ascii_lowercase(),
                "path": a.path,
                "returns": format!("{:?}", a.returns).to_ascii_lowercase(),
                "args": a.args,
                "doc": a.doc,
                "extension": a.extension,
            })
        })
        .collect();
    let path = match info.parent {
        None if info.segment.is_empty() => "/1.0".to_string(),
        None => format!("/1.0/{}", info.segment),
        Some(p) => {
            let mut chain = vec![];
            let mut k = Some(kind);
            while let Some(cur) = k {
                chain.push(cur);
                k = cur.info().parent;
            }
            chain.reverse();
            let mut path = String::from("/1.0");
            for (i, c) in chain.iter().enumerate() {
                path.push('/');
                path.push_str(c.info().segment);
                if i + 1 < chain.len() {
                    path.push_str(&format!("/{{{}}}", c.info().c_name));
                }
            }
            let _ = p;
            path
        }
    };
    serde_json::json!({
        "kind": kind as i32,
        "class": info.class,
        "c_name": info.c_name,
        "parent": info.parent.map(|p| p as i32),
        "endpoint": path,
        "key": info.key,
        "key_prefix": info.key_prefix.map(|(attr, _)| attr),
        "singleton": info.singleton,
        "project_scoped": info.scope == crate::kinds::Scope::Project,
        "creatable": info.create != Create::Never,
        "savable": info.put,
        "patchable": info.patch,
        "renamable": info.rename.is_some(),
        "deletable": info.delete,
        "variant_of": info.variant.map(|v| v.of as i32),
        "extension": info.extension,
        "actions": actions,
        "attributes": attrs,
    })
}

#[cfg(test)]
mod tests;
