//! What kinds do beyond get, list, create, save and delete, as described
//! by their table's actions; and background operations (wait, cancel),
//! whose "forgotten or lost" rule is logic of its own.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::Object;
use super::locator::{Locator, collection_path};
use super::managers::check_extension;
use crate::client::{Client, encode_component, operation_outcome};
use crate::error::{Error, ErrorKind, Result};
use crate::kinds::{Action, Body, Kind, On, Returns};

/// What an action gave back.
#[derive(Debug)]
pub enum ActionOutput {
    Json(Value),
    Bytes(Vec<u8>),
}

/// Progress of a download: bytes done and in all (0 when unknown); false
/// stops it.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64) -> bool;

/// An action's request, ready to send.
struct Prepared {
    method: &'static str,
    path: String,
    body: Option<Value>,
    raw: Option<Vec<u8>>,
}

fn find_action(kind: Kind, name: &str) -> Result<&'static Action> {
    let info = kind.info();
    info.action(name).ok_or_else(|| {
        let known: Vec<_> = info.actions.iter().map(|a| a.name).collect();
        Error::invalid(if known.is_empty() {
            format!(
                "{} objects have no actions (asked for {name:?})",
                info.class
            )
        } else {
            format!(
                "{} objects have no action {name:?} (they have: {})",
                info.class,
                known.join(", ")
            )
        })
    })
}

/// An action run on one object: not one of the whole collection (that
/// would reach every object of the kind: `lxd_collection_action` says so).
fn find_object_action(kind: Kind, name: &str) -> Result<&'static Action> {
    let action = find_action(kind, name)?;
    if action.on == On::Collection {
        return Err(Error::invalid(format!(
            "action {name:?} acts on all {} objects at once, not on one: use lxd_collection_action",
            kind.info().class
        )));
    }
    Ok(action)
}

/// An argument as text for a path (strings as they are, numbers and
/// booleans as JSON).
fn arg_text(action: &Action, args: &Map<String, Value>, name: &str) -> Result<String> {
    match args.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
        _ => Err(Error::invalid(format!(
            "action {:?} needs the argument {name:?} (a non-empty string)",
            action.name
        ))),
    }
}

/// Fill `{name}` placeholders of an action's path from the arguments;
/// returns the path and the names used.
fn fill_path(action: &Action, args: &Map<String, Value>) -> Result<(String, Vec<String>)> {
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = action.path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Error::new(ErrorKind::Internal, "bad action path template"))?;
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        out.push_str(&encode_component(&arg_text(action, args, name)?));
        used.push(name.to_string());
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// Append a path suffix that may hold a query to a path that may too.
fn join(path: String, suffix: &str) -> String {
    match (path.split_once('?'), suffix.split_once('?')) {
        (Some((p, q)), Some((s, sq))) => format!("{p}{s}?{sq}&{q}"),
        (Some((p, q)), None) => format!("{p}{suffix}?{q}"),
        _ => format!("{path}{suffix}"),
    }
}

fn prepare(
    client: &Client,
    kind: Kind,
    action: &'static Action,
    target: Target<'_>,
    args: Option<&Value>,
) -> Result<Prepared> {
    let args = match args {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(Error::invalid("action arguments must be a JSON object")),
    };
    check_extension(client, kind.info())?;
    if let Some(ext) = action.extension {
        client.require_extension(ext)?;
    }
    for (arg, ext) in action.arg_extensions {
        if args.contains_key(*arg) {
            client.require_extension(ext).map_err(|e| {
                Error::new(
                    e.kind,
                    format!("action {:?}, argument {arg:?}: {}", action.name, e.message),
                )
            })?;
        }
    }
    let (suffix, used) = fill_path(action, &args)?;
    let path = match target {
        Target::Object(loc) => match action.on {
            On::Object => loc.path(client, kind, "")?,
            On::Parent => {
                let parent = kind.info().parent.ok_or_else(|| {
                    Error::new(
                        ErrorKind::Internal,
                        "a parent action of a kind without parent",
                    )
                })?;
                let ploc = loc.parent().ok_or_else(|| {
                    Error::new(ErrorKind::Internal, "an object without its parent's key")
                })?;
                ploc.path(client, parent, "")?
            }
            On::Collection => collection_path(client, kind, &loc.parents, "")?,
        },
        Target::Collection(parents) => collection_path(client, kind, parents, "")?,
    };
    let path = join(path, &suffix);
    let mut body = None;
    let mut raw = None;
    match action.body {
        Body::None => {}
        Body::Args(fixed) => {
            let mut m: Map<String, Value> = serde_json::from_str(fixed)
                .map_err(|e| Error::new(ErrorKind::Internal, format!("action body: {e}")))?;
            for (k, v) in args {
                if used.contains(&k) {
                    continue;
                }
                // What the action is (`{"action": "start"}`) is not the
                // caller's to change.
                match m.get(&k) {
                    Some(fixed) if *fixed != v => {
                        return Err(Error::invalid(format!(
                            "action {:?}: argument {k:?} is fixed to {fixed}",
                            action.name
                        )));
                    }
                    _ => {
                        m.insert(k, v);
                    }
                }
            }
            body = Some(Value::Object(m));
        }
        Body::Key(field) => {
            let Target::Object(loc) = target else {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "a key body without an object",
                ));
            };
            body = Some(serde_json::json!({ field: loc.key }));
        }
        Body::Raw(arg) => match args.get(arg) {
            Some(Value::String(s)) => raw = Some(s.clone().into_bytes()),
            _ => {
                return Err(Error::invalid(format!(
                    "action {:?} needs the argument {arg:?} (a string)",
                    action.name
                )));
            }
        },
    }
    Ok(Prepared {
        method: action.method,
        path,
        body,
        raw,
    })
}

#[derive(Clone, Copy)]
enum Target<'a> {
    Object(&'a Locator),
    Collection(&'a [String]),
}

fn wrong_returns(action: &Action, entry: &str) -> Error {
    let right = match action.returns {
        Returns::Bytes => "lxd_obj_action_bytes",
        Returns::File => "lxd_obj_action_to_file",
        _ => "lxd_obj_action",
    };
    Error::invalid(format!(
        "action {:?} is not run with {entry}: use {right}",
        action.name
    ))
}

impl Object {
    /// Run action `name` with `args` (a JSON object, or None): an action
    /// that returns nothing, a document, or a background operation (waited
    /// for when `wait`). Returns `null`, the document, or the operation
    /// (final when waited for; as it started otherwise, and then also
    /// through [`Object::pending_operation`]).
    pub fn action(&self, name: &str, args: Option<&Value>, wait: bool) -> Result<Value> {
        let action = find_object_action(self.kind, name)?;
        if matches!(action.returns, Returns::Bytes | Returns::File) {
            return Err(wrong_returns(action, "lxd_obj_action"));
        }
        let mut st = self.lock();
        let loc = self.resolve(&mut st)?;
        let req = prepare(&self.client, self.kind, action, Target::Object(&loc), args)?;
        let resp = match &req.raw {
            Some(bytes) => self.client.request_raw(req.method, &req.path, bytes, &[])?,
            None => self
                .client
                .request(req.method, &req.path, req.body.as_ref(), &[])?,
        };
        let out = match action.returns {
            Returns::Document => resp.into_metadata(),
            _ if resp.operation_id().is_some() => {
                let started = resp.metadata().clone();
                match self.record(&mut st, &resp, wait)? {
                    Some(done) => Value::Object(done),
                    None if wait => Value::Null,
                    None => started,
                }
            }
            _ => Value::Null,
        };
        if action.sync && wait && action.on == On::Object {
            // Applied: the next read loads the object as it is then.
            self.mark_stale(&mut st);
        }
        Ok(out)
    }

    /// Run action `name` that returns bytes (a log file, a template).
    pub fn action_bytes(&self, name: &str, args: Option<&Value>) -> Result<Vec<u8>> {
        let action = find_object_action(self.kind, name)?;
        if action.returns != Returns::Bytes {
            return Err(wrong_returns(action, "lxd_obj_action_bytes"));
        }
        let loc = {
            let mut st = self.lock();
            self.resolve(&mut st)?
        };
        let req = prepare(&self.client, self.kind, action, Target::Object(&loc), args)?;
        self.client.get_bytes(&req.path)
    }

    /// Run action `name` that returns a file (a backup export), streaming
    /// it to `local` (replaced if it exists) with `progress`.
    pub fn action_to_file(
        &self,
        name: &str,
        args: Option<&Value>,
        local: &Path,
        progress: Option<Progress<'_>>,
    ) -> Result<()> {
        let action = find_object_action(self.kind, name)?;
        if action.returns != Returns::File {
            return Err(wrong_returns(action, "lxd_obj_action_to_file"));
        }
        let loc = {
            let mut st = self.lock();
            self.resolve(&mut st)?
        };
        let req = prepare(&self.client, self.kind, action, Target::Object(&loc), args)?;
        crate::files::download_to(&self.client, &req.path, local, progress)
    }

    /// Run an action of the collection of `kind` below `parents` (for
    /// example `set_state_all` of instances).
    pub fn collection_action(
        client: &Client,
        kind: Kind,
        parents: &[String],
        name: &str,
        args: Option<&Value>,
        wait: bool,
    ) -> Result<Value> {
        let action = find_action(kind, name)?;
        if action.on != On::Collection {
            return Err(Error::invalid(format!(
                "action {name:?} acts on one {}, not on all of them",
                kind.info().class
            )));
        }
        let req = prepare(client, kind, action, Target::Collection(parents), args)?;
        let resp = client.request(req.method, &req.path, req.body.as_ref(), &[])?;
        if action.returns == Returns::Document {
            return Ok(resp.into_metadata());
        }
        let started = resp.metadata().clone();
        match client.finish(&resp, wait)? {
            crate::client::Finished::Done(Some(op)) => Ok(Value::Object(op)),
            crate::client::Finished::Done(None) => Ok(Value::Null),
            crate::client::Finished::Pending(_) => Ok(started),
        }
    }

    // ----- operations -------------------------------------------------------

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
        self.require(Kind::Operation)?;
        let mut st = self.lock();
        let key = st.loc.key.clone();
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
        self.require(Kind::Operation)?;
        let key = self.lock().loc.key.clone();
        self.client.cancel_operation(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_argument_the_server_would_ignore_is_refused() {
        let c = Client::offline_knowing(&["clustering", "clustering_evacuation"]);
        let m = Locator::new(vec![], "m2");
        let evacuate = find_action(Kind::ClusterMember, "evacuate").unwrap();
        let p = prepare(&c, Kind::ClusterMember, evacuate, Target::Object(&m), None).unwrap();
        assert_eq!(p.path, "/1.0/cluster/members/m2/state");
        let e = prepare(
            &c,
            Kind::ClusterMember,
            evacuate,
            Target::Object(&m),
            Some(&json!({"mode": "stop"})),
        )
        .err()
        .unwrap();
        assert_eq!(e.kind, ErrorKind::ExtensionMissing);
        assert!(
            e.message.contains("clustering_evacuation_mode"),
            "{}",
            e.message
        );
        // What the action is cannot be changed by an argument.
        let e = prepare(
            &c,
            Kind::ClusterMember,
            evacuate,
            Target::Object(&m),
            Some(&json!({"action": "restore"})),
        )
        .err()
        .unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn action_requests_are_built_from_the_table() {
        let c = Client::offline_knowing(&["container_edit_metadata", "container_backup"]);
        let inst = Locator::new(vec![], "c1");
        let start = find_action(Kind::Instance, "start").unwrap();
        let p = prepare(
            &c,
            Kind::Instance,
            start,
            Target::Object(&inst),
            Some(&json!({"timeout": 30, "force": true})),
        )
        .unwrap();
        assert_eq!(
            (p.method, p.path.as_str()),
            ("PUT", "/1.0/instances/c1/state")
        );
        assert_eq!(
            p.body.unwrap(),
            json!({"action": "start", "timeout": 30, "force": true})
        );
        let log = find_action(Kind::Instance, "log").unwrap();
        let p = prepare(
            &c,
            Kind::Instance,
            log,
            Target::Object(&inst),
            Some(&json!({"name": "lxc.log"})),
        )
        .unwrap();
        assert_eq!(p.path, "/1.0/instances/c1/logs/lxc.log");
        assert!(p.body.is_none());
        let tpl = find_action(Kind::Instance, "put_template").unwrap();
        let p = prepare(
            &c,
            Kind::Instance,
            tpl,
            Target::Object(&inst),
            Some(&json!({"path": "a b.tpl", "content": "hi {{x}}"})),
        )
        .unwrap();
        assert_eq!(
            p.path,
            "/1.0/instances/c1/metadata/templates?path=a%20b.tpl"
        );
        assert_eq!(p.raw.as_deref(), Some(&b"hi {{x}}"[..]));
        let snap = Locator::new(vec!["c1".into()], "s0");
        let restore = find_action(Kind::InstanceSnapshot, "restore").unwrap();
        let p = prepare(
            &c,
            Kind::InstanceSnapshot,
            restore,
            Target::Object(&snap),
            None,
        )
        .unwrap();
        assert_eq!((p.method, p.path.as_str()), ("PUT", "/1.0/instances/c1"));
        assert_eq!(p.body.unwrap(), json!({"restore": "s0"}));
        let all = find_action(Kind::Instance, "set_state_all").unwrap();
        let p = prepare(
            &c,
            Kind::Instance,
            all,
            Target::Collection(&[]),
            Some(&json!({"state": {"action": "stop"}})),
        )
        .unwrap();
        assert_eq!(p.path, "/1.0/instances");
        // A missing path argument, a wrong entry point, an unknown action.
        assert!(prepare(&c, Kind::Instance, log, Target::Object(&inst), None).is_err());
        let o = Object::lazy(&c, Kind::Instance, "c1");
        assert_eq!(
            o.action("log", None, true).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        assert!(
            o.action("fly", None, true)
                .unwrap_err()
                .message
                .contains("start")
        );
        assert_eq!(
            o.action_bytes("start", None).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        // A collection's action is not run through one object (the offline
        // client proves nothing was sent).
        let e = o
            .action(
                "set_state_all",
                Some(&json!({"state": {"action": "stop"}})),
                true,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.contains("lxd_collection_action"));
    }

    #[test]
    fn queries_join() {
        assert_eq!(
            join("/a?project=p".into(), "/t?path=x"),
            "/a/t?path=x&project=p"
        );
        assert_eq!(join("/a?project=p".into(), "/s"), "/a/s?project=p");
        assert_eq!(join("/a".into(), "/t?path=x"), "/a/t?path=x");
    }
}
