//! Where an object lives: the one place that builds URLs, from (kind,
//! parent keys, key).

use crate::client::{Client, encode_component};
use crate::error::{Error, Result};
use crate::kinds::{Kind, Scope, Targeted};

/// An object's address: its kind, the keys of its parents (outermost
/// first: a snapshot's instance), and its own key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locator {
    pub parents: Vec<String>,
    pub key: String,
}

/// A key as one path segment (two for a kind whose key has a prefix:
/// `custom/vol1`). "." and ".." would name another path, and an empty key
/// none: they are refused.
fn segment(kind: Kind, key: &str) -> Result<String> {
    let info = kind.info();
    let bad = |part: &str| part.is_empty() || part == "." || part == "..";
    let invalid = || {
        let what = match info.key_prefix {
            Some((p, _)) => format!("{p}/{}", info.key),
            None => info.key.to_string(),
        };
        Err(Error::invalid(format!(
            "{key:?} is not a valid {} {what}",
            info.class
        )))
    };
    match (info.key_prefix, info.split_key(key)) {
        (None, (_, k)) if !bad(k) => Ok(encode_component(k)),
        (Some(_), (Some(p), k)) if !bad(p) && !bad(k) => {
            Ok(format!("{}/{}", encode_component(p), encode_component(k)))
        }
        _ => invalid(),
    }
}

fn scoped(client: &Client, kind: Kind, path: String) -> String {
    let path = match kind.info().scope {
        Scope::Project => client.with_project(&path),
        Scope::Global => path,
    };
    match kind.info().targeted {
        Targeted::Always => client.with_target(&path),
        Targeted::Create | Targeted::Never => path,
    }
}

/// The path a create of `kind` below `parents` is POSTed to: the
/// collection's, with the client's target for kinds placed on a member.
pub fn create_path(client: &Client, kind: Kind, parents: &[String]) -> Result<String> {
    let path = collection_path(client, kind, parents, "")?;
    Ok(match kind.info().targeted {
        Targeted::Create => client.with_target(&path),
        Targeted::Always | Targeted::Never => path,
    })
}

/// `/1.0/...` of the collection of `kind` below `parents`, without a query.
fn raw_collection(kind: Kind, parents: &[String]) -> Result<String> {
    let info = kind.info();
    if info.singleton {
        return Err(Error::invalid(format!(
            "there is one {}: get it, there is no list",
            info.class
        )));
    }
    match info.parent {
        None => Ok(format!("/1.0/{}", info.segment)),
        Some(p) => {
            let Some((key, outer)) = parents.split_last() else {
                return Err(Error::invalid(format!(
                    "a {} lives under a {}: give its parent",
                    info.class,
                    p.info().class
                )));
            };
            Ok(format!("{}/{}", raw_item(p, outer, key)?, info.segment))
        }
    }
}

fn raw_item(kind: Kind, parents: &[String], key: &str) -> Result<String> {
    let info = kind.info();
    if info.singleton {
        if !key.is_empty() {
            return Err(Error::invalid(format!(
                "there is one {}: it has no key (give \"\")",
                info.class
            )));
        }
        return Ok(match info.segment {
            "" => "/1.0".to_string(),
            seg => format!("/1.0/{seg}"),
        });
    }
    let base = match (info.parent, info.item_segment) {
        (None, Some(seg)) => format!("/1.0/{seg}"),
        _ => raw_collection(kind, parents)?,
    };
    Ok(format!("{base}/{}", segment(kind, key)?))
}

/// The collection's path with `query` (e.g. `?recursion=1`) and, for a
/// project-scoped kind, the client's project.
pub fn collection_path(
    client: &Client,
    kind: Kind,
    parents: &[String],
    query: &str,
) -> Result<String> {
    Ok(scoped(
        client,
        kind,
        format!("{}{query}", raw_collection(kind, parents)?),
    ))
}

impl Locator {
    pub fn new(parents: Vec<String>, key: impl Into<String>) -> Locator {
        Locator {
            parents,
            key: key.into(),
        }
    }

    /// The object's path, or that of `suffix` below it (`/state`,
    /// `/logs/x`, `?path=…`), with the project for a project-scoped kind.
    pub fn path(&self, client: &Client, kind: Kind, suffix: &str) -> Result<String> {
        let item = raw_item(kind, &self.parents, &self.key)?;
        Ok(scoped(client, kind, format!("{item}{suffix}")))
    }

    /// The parent's own locator (for an object of a kind with a parent).
    pub fn parent(&self) -> Option<Locator> {
        let (key, outer) = self.parents.split_last()?;
        Some(Locator::new(outer.to_vec(), key.clone()))
    }

    /// The keys a child of this object is located by.
    pub fn child_parents(&self) -> Vec<String> {
        let mut p = self.parents.clone();
        p.push(self.key.clone());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_from_kind_parents_and_key() {
        let c = Client::offline();
        let snap = Locator::new(vec!["c 1".into()], "s/0");
        assert_eq!(
            snap.path(&c, Kind::InstanceSnapshot, "").unwrap(),
            "/1.0/instances/c%201/snapshots/s%2F0"
        );
        assert_eq!(
            collection_path(&c, Kind::InstanceBackup, &["c1".into()], "?recursion=1").unwrap(),
            "/1.0/instances/c1/backups?recursion=1"
        );
        // Typed instance kinds: list on their own endpoint, items on instances.
        assert_eq!(
            collection_path(&c, Kind::Container, &[], "").unwrap(),
            "/1.0/containers"
        );
        assert_eq!(
            Locator::new(vec![], "c1")
                .path(&c, Kind::Container, "/state")
                .unwrap(),
            "/1.0/instances/c1/state"
        );
        assert_eq!(snap.parent().unwrap(), Locator::new(vec![], "c 1"));
        // A volume's key is its type and name: two segments.
        let vol = Locator::new(vec!["p1".into()], "custom/v 1");
        assert_eq!(
            vol.path(&c, Kind::StorageVolume, "/state").unwrap(),
            "/1.0/storage-pools/p1/volumes/custom/v%201/state"
        );
        assert_eq!(
            Locator::new(vec!["p1".into(), "custom/v1".into()], "s0")
                .path(&c, Kind::StorageVolumeSnapshot, "")
                .unwrap(),
            "/1.0/storage-pools/p1/volumes/custom/v1/snapshots/s0"
        );
        // A bare name is a custom volume's (the type a create defaults to).
        assert_eq!(
            Locator::new(vec!["p1".into()], "v1")
                .path(&c, Kind::StorageVolume, "")
                .unwrap(),
            "/1.0/storage-pools/p1/volumes/custom/v1"
        );
        for bad in ["custom/", "/v1", "custom/..", "./v1", ".."] {
            assert!(
                Locator::new(vec!["p1".into()], bad)
                    .path(&c, Kind::StorageVolume, "")
                    .is_err(),
                "{bad}"
            );
        }
        // A client's target: on an instance's create only; on every
        // request for what lives on a member.
        let t = c.derive(None, Some(Some("m2".into())));
        assert_eq!(
            create_path(&t, Kind::Instance, &[]).unwrap(),
            "/1.0/instances?target=m2"
        );
        assert_eq!(
            Locator::new(vec![], "c1")
                .path(&t, Kind::Instance, "")
                .unwrap(),
            "/1.0/instances/c1"
        );
        assert_eq!(
            Locator::new(vec!["p1".into()], "v1")
                .path(&t, Kind::StorageVolume, "")
                .unwrap(),
            "/1.0/storage-pools/p1/volumes/custom/v1?target=m2"
        );
        assert_eq!(
            create_path(&t, Kind::Profile, &[]).unwrap(),
            "/1.0/profiles"
        );
        // A slash in a key without a prefix stays one segment.
        assert_eq!(
            Locator::new(vec![], "a/b")
                .path(&c, Kind::Profile, "")
                .unwrap(),
            "/1.0/profiles/a%2Fb"
        );
        assert_eq!(
            collection_path(&c, Kind::NetworkZoneRecord, &["z1".into()], "").unwrap(),
            "/1.0/network-zones/z1/records"
        );
        assert!(collection_path(&c, Kind::InstanceSnapshot, &[], "").is_err());
        for bad in ["", ".", ".."] {
            assert!(
                Locator::new(vec![], bad)
                    .path(&c, Kind::Profile, "")
                    .is_err()
            );
        }
    }
}
