//! Get, list, exists and create, for top-level kinds and for children
//! under a parent object: one generic path for every kind.

use serde_json::{Map, Value};

use super::locator::{Locator, collection_path, create_path};
use super::{Object, as_object, json_type_name};
use crate::client::{ApiResponse, Client, Finished};
use crate::error::{Error, ErrorKind, Result};
use crate::kinds::{Create, Kind, KindInfo, ListShape};

/// Fail with `ExtensionMissing` before any request when the server lacks
/// the kind's API extension.
pub(super) fn check_extension(client: &Client, info: &KindInfo) -> Result<()> {
    match info.extension {
        Some(ext) => client
            .require_extension(ext)
            .map_err(|e| e.with_context(&format!("{} objects", info.class))),
        None => Ok(()),
    }
}

/// `GET` one object: its attributes and ETag. For the typed instance kinds,
/// an instance of another type is "not found".
pub(super) fn fetch(
    client: &Client,
    kind: Kind,
    loc: &Locator,
) -> Result<(Map<String, Value>, Option<String>)> {
    check_extension(client, kind.info())?;
    let path = loc.path(client, kind, "")?;
    let resp = client.request("GET", &path, None, &[])?;
    fetched(kind, &loc.key, resp)
}

/// The object a `GET` of `key` answered: a JSON object, of the kind's
/// variant type; and its ETag.
pub(crate) fn fetched(
    kind: Kind,
    key: &str,
    resp: ApiResponse,
) -> Result<(Map<String, Value>, Option<String>)> {
    let info = kind.info();
    let etag = resp.etag.clone();
    let attrs = as_object(resp.into_metadata(), info.class)?;
    let actual_type = attrs.get("type").and_then(Value::as_str);
    if let (Some(v), Some(actual)) = (info.variant, actual_type)
        && v.type_value != actual
    {
        return Err(Error {
            kind: ErrorKind::NotFound,
            message: format!("{} {key:?} not found (it is a {actual})", info.class),
            http_status: 404,
        });
    }
    Ok((attrs, etag))
}

pub(crate) fn location_key(resp: &ApiResponse) -> Option<String> {
    let loc = resp.location.as_deref()?;
    let path = loc.split('?').next()?;
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The key of an object whose create operation `op` finished.
pub(crate) fn key_from_operation(info: &KindInfo, op: &Map<String, Value>) -> Result<String> {
    let found = match info.create {
        Create::OperationMetadata(field) => op
            .get("metadata")
            .and_then(|m| m.get(field))
            .and_then(Value::as_str)
            .map(str::to_string),
        Create::Definition {
            resource: Some(res),
            ..
        } => op
            .get("resources")
            .and_then(|r| r.get(res))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .and_then(|p| p.split('?').next())
            .and_then(|p| p.rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        _ => None,
    };
    found.ok_or_else(|| {
        Error::protocol(format!(
            "created a {} but its operation did not say which",
            info.class
        ))
    })
}

/// The keys of the objects of `kind` below `parents` (the collection's
/// list of paths, without recursion).
fn collection_keys(client: &Client, kind: Kind, parents: &[String]) -> Result<Vec<String>> {
    let path = collection_path(client, kind, parents, "")?;
    let resp = client.request("GET", &path, None, &[])?;
    // The last segment of each path; the last two for a kind whose key
    // has a prefix (`…/volumes/custom/vol1`).
    let parts = if kind.info().key_prefix.is_some() {
        2
    } else {
        1
    };
    Ok(match resp.into_metadata() {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|p| {
                let p = p.split('?').next()?;
                let segs: Vec<&str> = p.rsplit('/').take(parts).collect();
                (segs.len() == parts).then(|| {
                    segs.iter()
                        .rev()
                        .map(|s| decode_component(s))
                        .collect::<Vec<_>>()
                        .join("/")
                })
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// Undo `encode_component` (and any other percent-encoding).
fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The key of an object LXD named itself, once its create operation `op`
/// finished: from the operation, or else (LXD 5.0.2 does not name a new
/// snapshot in the operation's resources) the one key of the collection
/// that was not there before the create (`before`).
pub(super) fn learn_key(
    client: &Client,
    kind: Kind,
    parents: &[String],
    op: &Map<String, Value>,
    before: Option<&[String]>,
) -> Result<String> {
    let err = match key_from_operation(kind.info(), op) {
        Ok(key) => return Ok(key),
        Err(e) => e,
    };
    let Some(before) = before else {
        return Err(err);
    };
    let mut new: Vec<String> = collection_keys(client, kind, parents)?
        .into_iter()
        .filter(|k| !before.contains(k))
        .collect();
    match new.len() {
        1 => Ok(new.remove(0)),
        0 => Err(err),
        _ => Err(Error::protocol(format!(
            "created a {} but its operation did not say which, and {} appeared meanwhile ({})",
            kind.info().class,
            new.len(),
            new.join(", ")
        ))),
    }
}

impl Object {
    /// `GET` one top-level object by key, with its ETag.
    pub fn get(client: &Client, kind: Kind, key: &str) -> Result<Object> {
        Object::get_at(client, kind, Locator::new(Vec::new(), key))
    }

    /// `GET` one object where it lives.
    pub fn get_at(client: &Client, kind: Kind, loc: Locator) -> Result<Object> {
        let (attrs, etag) = fetch(client, kind, &loc)?;
        Object::from_server(client, kind, loc.parents, attrs, etag)
    }

    /// Whether an object exists there (404 is `false`, other errors are errors).
    pub fn exists_at(client: &Client, kind: Kind, loc: &Locator) -> Result<bool> {
        match fetch(client, kind, loc) {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn exists(client: &Client, kind: Kind, key: &str) -> Result<bool> {
        Object::exists_at(client, kind, &Locator::new(Vec::new(), key))
    }

    /// All top-level objects of a kind, full, in one request (`recursion=1`).
    pub fn all(client: &Client, kind: Kind) -> Result<Vec<Object>> {
        Object::all_under(client, kind, &[])
    }

    /// All objects of a kind below `parents`, full, in one request.
    pub fn all_under(client: &Client, kind: Kind, parents: &[String]) -> Result<Vec<Object>> {
        let info = kind.info();
        check_extension(client, info)?;
        let path = collection_path(client, kind, parents, "?recursion=1")?;
        let resp = client.request("GET", &path, None, &[])?;
        Object::from_list(client, kind, parents, resp.into_metadata())
    }

    /// The objects of a list's `metadata` (from a `recursion=1` GET).
    pub(crate) fn from_list(
        client: &Client,
        kind: Kind,
        parents: &[String],
        metadata: Value,
    ) -> Result<Vec<Object>> {
        let info = kind.info();
        let items: Vec<Value> = match (metadata, info.list) {
            (Value::Array(a), _) => a,
            (Value::Object(groups), ListShape::ByStatus) => groups
                .into_iter()
                .filter_map(|(_, v)| match v {
                    Value::Array(a) => Some(a),
                    _ => None,
                })
                .flatten()
                .collect(),
            (Value::Null, _) => Vec::new(),
            (other, _) => {
                return Err(Error::protocol(format!(
                    "list of {}: expected an array, got {}",
                    info.class,
                    json_type_name(&other)
                )));
            }
        };
        items
            .into_iter()
            .filter(|v| match info.variant {
                // Belt and braces: the typed endpoints already filter.
                Some(var) => v
                    .get("type")
                    .and_then(Value::as_str)
                    .is_none_or(|t| t == var.type_value),
                None => true,
            })
            .map(|v| {
                let attrs = as_object(v, info.class)?;
                Object::from_server(client, kind, parents.to_vec(), attrs, None)
            })
            .collect()
    }

    /// Create a top-level object from a JSON definition (the body of LXD's
    /// POST). With `wait`, the result is loaded from the server once
    /// created; without, it holds the background operation (see
    /// [`Object::pending_operation`]).
    pub fn create(client: &Client, kind: Kind, definition: &Value, wait: bool) -> Result<Object> {
        Object::create_under(client, kind, Vec::new(), definition, wait)
    }

    /// Create an object below `parents`.
    pub fn create_under(
        client: &Client,
        kind: Kind,
        parents: Vec<String>,
        definition: &Value,
        wait: bool,
    ) -> Result<Object> {
        let info = kind.info();
        let Value::Object(def) = definition else {
            return Err(Error::invalid("a definition must be a JSON object"));
        };
        let mut def = def.clone();
        if info.create == Create::Never {
            return Err(Error::invalid(format!(
                "{} objects cannot be created",
                info.class
            )));
        }
        check_extension(client, info)?;
        if let Some(v) = info.variant {
            match def.get("type").and_then(Value::as_str) {
                None => {
                    def.insert("type".into(), Value::String(v.type_value.into()));
                }
                Some(given) if given != v.type_value => {
                    return Err(Error::invalid(format!(
                        "definition has type {given:?} but a {} is of type {:?}",
                        info.class, v.type_value
                    )));
                }
                Some(_) => {}
            }
        }
        let mut key = match info.create {
            Create::Definition { field, resource } => {
                match def.get(field).and_then(Value::as_str) {
                    Some(name) if !name.is_empty() => match info.key_prefix {
                        None => name.to_string(),
                        // The prefix attribute (a volume's type), as given
                        // or its default, which the definition then names.
                        Some((attr, default)) => {
                            let prefix = def
                                .get(attr)
                                .and_then(Value::as_str)
                                .unwrap_or(default)
                                .to_string();
                            let name = name.to_string();
                            def.insert(attr.to_string(), Value::String(prefix.clone()));
                            format!("{prefix}/{name}")
                        }
                    },
                    // LXD names it (snapshot0, backup0): learned from the
                    // finished operation.
                    _ if resource.is_some() && !def.contains_key(field) => String::new(),
                    _ => {
                        return Err(Error::invalid(format!(
                            "a {} definition needs a non-empty {field:?}",
                            info.class
                        )));
                    }
                }
            }
            _ => String::new(),
        };
        // When LXD names the object, what the collection held before tells
        // the new one apart, should the operation not name it.
        let before = if key.is_empty() && matches!(info.create, Create::Definition { .. }) {
            Some(collection_keys(client, kind, &parents)?)
        } else {
            None
        };
        let path = create_path(client, kind, &parents)?;
        let resp = client.request("POST", &path, Some(&Value::Object(def)), &[])?;
        if info.create == Create::Location {
            key = location_key(&resp).ok_or_else(|| {
                Error::protocol(format!("created {} but got no Location", info.class))
            })?;
        }
        match client.finish(&resp, wait)? {
            Finished::Done(op) => {
                if key.is_empty() {
                    let op = op.ok_or_else(|| {
                        Error::protocol(format!(
                            "created a {} without an operation to name it",
                            info.class
                        ))
                    })?;
                    key = learn_key(client, kind, &parents, &op, before.as_deref())?;
                }
                Object::get_at(client, kind, Locator::new(parents, key))
            }
            Finished::Pending(op) => {
                let obj = Object::lazy_at(client, kind, Locator::new(parents, key));
                let mut st = obj.lock();
                st.pending = Some(op);
                st.keys_before = before;
                drop(st);
                Ok(obj)
            }
        }
    }

    /// The keys that locate a child of `kind` under this object; fails
    /// unless this object is of the child's parent kind.
    pub(crate) fn parents_for(&self, kind: Kind) -> Result<Vec<String>> {
        let info = kind.info();
        let Some(parent) = info.parent else {
            return Err(Error::invalid(format!(
                "{} objects live at the top level, not under another object",
                info.class
            )));
        };
        self.require(parent)?;
        let mut st = self.lock();
        let loc = self.resolve(&mut st)?;
        Ok(loc.child_parents())
    }

    /// `GET` the child of `kind` named `key` under this object.
    pub fn child_get(&self, kind: Kind, key: &str) -> Result<Object> {
        let parents = self.parents_for(kind)?;
        Object::get_at(&self.client, kind, Locator::new(parents, key))
    }

    pub fn child_exists(&self, kind: Kind, key: &str) -> Result<bool> {
        let parents = self.parents_for(kind)?;
        Object::exists_at(&self.client, kind, &Locator::new(parents, key))
    }

    pub fn child_all(&self, kind: Kind) -> Result<Vec<Object>> {
        let parents = self.parents_for(kind)?;
        Object::all_under(&self.client, kind, &parents)
    }

    pub fn child_create(&self, kind: Kind, definition: &Value, wait: bool) -> Result<Object> {
        let parents = self.parents_for(kind)?;
        Object::create_under(&self.client, kind, parents, definition, wait)
    }

    /// Create a custom storage volume in pool `pool` from a volume backup
    /// tarball (one made by a volume backup's `export`), streamed.
    /// `name` is the new volume's name.
    pub fn import_volume_backup(
        pool: &Object,
        local: &std::path::Path,
        name: &str,
        wait: bool,
        progress: Option<crate::files::Progress<'_>>,
    ) -> Result<Object> {
        pool.require(Kind::StoragePool)?;
        if name.is_empty() || name.contains('/') {
            return Err(Error::invalid("the new volume needs a plain name"));
        }
        let client = pool.client();
        let parents = vec![pool.key()];
        let base = collection_path(client, Kind::StorageVolume, &parents, "")?;
        // The custom volumes' collection: …/volumes/custom (?project=…).
        let path = match base.split_once('?') {
            Some((p, q)) => format!("{p}/custom?{q}"),
            None => format!("{base}/custom"),
        };
        let headers = [("X-LXD-name", name)];
        let resp = crate::files::upload_from(client, &path, local, &headers, progress)?;
        let loc = Locator::new(parents, format!("custom/{name}"));
        match client.finish(&resp, wait)? {
            Finished::Done(_) => Object::get_at(client, Kind::StorageVolume, loc),
            Finished::Pending(op) => Ok(Object::being_made(client, Kind::StorageVolume, loc, op)),
        }
    }

    /// Create an instance from a backup tarball `local` (streamed; with
    /// `progress`). `options`: `name` (default: the backup's), `pool`.
    pub fn import_backup(
        client: &Client,
        local: &std::path::Path,
        options: Option<&Value>,
        wait: bool,
        progress: Option<crate::files::Progress<'_>>,
    ) -> Result<Object> {
        let mut name = None;
        let mut pool = None;
        match options {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let text = v.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
                        Error::invalid(format!("import option {k:?} must be a non-empty string"))
                    })?;
                    match k.as_str() {
                        "name" => name = Some(text.to_string()),
                        "pool" => pool = Some(text.to_string()),
                        other => {
                            return Err(Error::invalid(format!(
                                "unknown import option {other:?} (known: name, pool)"
                            )));
                        }
                    }
                }
            }
            Some(_) => return Err(Error::invalid("import options must be a JSON object")),
        }
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(n) = &name {
            headers.push(("X-LXD-name", n));
        }
        if let Some(p) = &pool {
            headers.push(("X-LXD-pool", p));
        }
        let path = create_path(client, Kind::Instance, &[])?;
        let resp = crate::files::upload_from(client, &path, local, &headers, progress)?;
        let key_of = |op: &Map<String, Value>| -> Result<String> {
            op.get("resources")
                .and_then(|r| r.get("instances"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .and_then(|p| p.split('?').next())
                .and_then(|p| p.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| Error::protocol("the import did not say which instance it made"))
        };
        // The operation names the instance from the start.
        let key = match (&name, resp.metadata()) {
            (Some(n), _) => n.clone(),
            (None, Value::Object(op)) => key_of(op)?,
            _ => return Err(Error::protocol("the import started no operation")),
        };
        match client.finish(&resp, wait)? {
            Finished::Done(_) => Object::get(client, Kind::Instance, &key),
            Finished::Pending(op) => {
                let obj = Object::lazy(client, Kind::Instance, &key);
                obj.lock().pending = Some(op);
                Ok(obj)
            }
        }
    }

    /// The image an alias points at (`GET /1.0/images/aliases/{alias}`, then the image).
    pub fn image_by_alias(client: &Client, alias: &str) -> Result<Object> {
        if alias.is_empty() {
            return Err(Error::invalid("empty image alias"));
        }
        let path = client.with_project(&format!(
            "/1.0/images/aliases/{}",
            crate::client::encode_component(alias)
        ));
        let resp = client.request("GET", &path, None, &[])?;
        let target = resp
            .metadata()
            .get("target")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::protocol(format!("image alias {alias:?} has no target")))?
            .to_string();
        Object::get(client, Kind::Image, &target)
    }
}

#[cfg(test)]
mod tests {
    use super::decode_component;

    #[test]
    fn keys_in_listed_paths_are_decoded() {
        assert_eq!(decode_component("snap0"), "snap0");
        assert_eq!(decode_component("a%20b%2Fc"), "a b/c");
        assert_eq!(decode_component("caf%C3%A9"), "café");
        // Not an escape: kept as it is.
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz"), "%zz");
    }
}
