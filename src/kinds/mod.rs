//! The kinds of LXD objects, as data: where they live (parent, path), what
//! names them (key), their schema, what can be done with them (create,
//! save, patch, rename, delete) and what they can do beyond that
//! (actions). Everything generic reads this; a new kind is a row in
//! `table.rs`.
//!
//! This module depends on nothing else of the crate: build.rs includes it
//! to generate the typed C functions and the `LXD_KIND_*` constants.

mod table;

pub use table::KINDS;

/// One kind of LXD object. The discriminants are the C `lxd_kind` values:
/// fixed, never renumbered; new kinds are appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Kind {
    Instance = 0,
    Container = 1,
    VirtualMachine = 2,
    Image = 3,
    Profile = 4,
    Network = 5,
    StoragePool = 6,
    Project = 7,
    Certificate = 8,
    Operation = 9,
    InstanceSnapshot = 10,
    InstanceBackup = 11,
    ImageAlias = 12,
    StorageVolume = 13,
    StorageVolumeSnapshot = 14,
    StorageVolumeBackup = 15,
    NetworkForward = 16,
    NetworkAcl = 17,
    NetworkZone = 18,
    NetworkZoneRecord = 19,
    Warning = 20,
    Server = 21,
    NetworkPeer = 22,
    Cluster = 23,
    ClusterMember = 24,
    ClusterGroup = 25,
}

/// Whether requests for a kind carry the client's project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Project,
}

/// Which requests for a kind carry the client's cluster target
/// (`?target=member` or `@group`, see `Client::with_target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targeted {
    /// None: the kind is cluster-wide.
    Never,
    /// Only a create places the new object on the target (instances;
    /// a rename or an update of an instance never moves it).
    Create,
    /// Every request: the object is member-specific (a volume of a local
    /// pool, a pool's or network's per-member config, the server's).
    Always,
}

/// How objects of a kind are created, and how the key of a new one is
/// learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// POST the definition to the collection; the key is the definition's
    /// `field`. When the definition has none (LXD then picks a name), the
    /// key is the last segment of the first path in the finished
    /// operation's `resources[resource]`.
    Definition {
        field: &'static str,
        resource: Option<&'static str>,
    },
    /// POST; the key is `metadata[field]` of the finished operation
    /// (images: the fingerprint).
    OperationMetadata(&'static str),
    /// POST; the key is the last segment of the `Location` header
    /// (certificates).
    Location,
    /// Objects of the kind cannot be created.
    Never,
}

/// How a kind's list comes back from `GET collection?recursion=1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListShape {
    /// An array of objects.
    Array,
    /// Arrays of objects grouped by status (`{"running": [...], ...}`).
    ByStatus,
}

/// A kind that is a typed view of another: its objects are the other
/// kind's objects whose `type` is `type_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub of: Kind,
    pub type_value: &'static str,
}

/// Where an action's request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The object's own path (plus the action's `path`).
    Object,
    /// The parent object's path (snapshot restore: `PUT` on the instance).
    Parent,
    /// The kind's collection (`PUT /1.0/instances`: all instances).
    Collection,
}

/// What an action sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Nothing.
    None,
    /// The caller's arguments as a JSON object, with these fields (a JSON
    /// object, as text) put in first; arguments named in the action's path
    /// are left out.
    Args(&'static str),
    /// `{field: the object's key}`.
    Key(&'static str),
    /// The string argument of this name, as the raw request body.
    Raw(&'static str),
}

/// What an action gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Nothing (`null`).
    Nothing,
    /// The response's `metadata`.
    Document,
    /// A background operation: waited for (its final `metadata`) or not
    /// (the operation object, through `lxd_obj_operation`).
    Operation,
    /// The response body as bytes, in memory (`lxd_obj_action_bytes`).
    Bytes,
    /// The response body streamed to a local file (`lxd_obj_action_to_file`).
    File,
}

/// Something a kind can do beyond get, list, create, save and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// The name callers pass (`"start"`, `"restore"`, `"export"`).
    pub name: &'static str,
    pub method: &'static str,
    pub on: On,
    /// Appended to the target's path: `/state`, `/logs/{name}`,
    /// `/metadata/templates?path={path}`. `{arg}` is filled from the
    /// argument of that name (percent-encoded).
    pub path: &'static str,
    pub body: Body,
    pub returns: Returns,
    /// Sync the object afterwards (when it was waited for), keeping its
    /// local changes, as pylxd does after instance actions.
    pub sync: bool,
    /// The API extension the action needs beyond its kind's.
    pub extension: Option<&'static str>,
    /// Arguments that need an API extension of their own: LXD ignores an
    /// argument it does not know, so one passed to a server without the
    /// extension is refused (`ExtensionMissing`) rather than dropped.
    pub arg_extensions: &'static [(&'static str, &'static str)],
    /// The arguments it takes, for `lxd_kind_info` and the header.
    pub args: &'static str,
    /// One line for humans.
    pub doc: &'static str,
}

/// One attribute of a kind's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub writable: bool,
}

/// Everything the generic code needs to know about a kind.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: Kind,
    /// pylxd's class name (or, for kinds pylxd lacks, one in its style),
    /// used in warnings.
    pub class: &'static str,
    /// The name in C function names (`lxd_<c_name>_get`).
    pub c_name: &'static str,
    /// The kind whose objects hold these (snapshots: instances).
    pub parent: Option<Kind>,
    /// The collection's path: below `/1.0/` for a kind without a parent,
    /// below the parent object's path otherwise.
    pub segment: &'static str,
    /// Where single objects live, when not under `segment` (the typed
    /// instance kinds use `instances`: LXD answers it faster than its
    /// `containers` alias, and the type is checked on every fetch).
    pub item_segment: Option<&'static str>,
    /// The attribute that names an object in URLs.
    pub key: &'static str,
    /// An attribute whose value comes before the key's, with a `/`, in the
    /// object's key and URL, and its value when a definition leaves it
    /// out: a storage volume is `custom/vol1` (`…/volumes/custom/vol1`),
    /// its type then its name.
    pub key_prefix: Option<(&'static str, &'static str)>,
    /// One object of the kind, at `/1.0` (plus `segment` when not empty),
    /// with no key (the server itself).
    pub singleton: bool,
    pub attrs: &'static [Attr],
    /// Writable attributes that LXD's ETag for the kind does not cover: a
    /// change to them by someone else is looked for before a save.
    pub etag_blind: &'static [&'static str],
    /// Writable attributes that LXD's PATCH resets when the patch does not
    /// name them (LXD 5.0.2 makes an instance's description ""): a PATCH
    /// sends their value on the server along.
    pub patch_resets: &'static [&'static str],
    pub scope: Scope,
    pub targeted: Targeted,
    pub create: Create,
    /// `PUT` of the writable attributes saves an object.
    pub put: bool,
    /// `PATCH` updates part of an object.
    pub patch: bool,
    /// `POST` on the object with `{field: new key}` renames it.
    pub rename: Option<&'static str>,
    pub delete: bool,
    pub variant: Option<Variant>,
    pub list: ListShape,
    /// The API extension the kind needs.
    pub extension: Option<&'static str>,
    pub actions: &'static [Action],
}

impl Kind {
    pub(crate) const COUNT: usize = 26;

    pub fn from_i32(v: i32) -> Option<Kind> {
        let i = usize::try_from(v).ok()?;
        KINDS.get(i).map(|info| info.kind)
    }

    pub fn all() -> impl Iterator<Item = Kind> {
        KINDS.iter().map(|info| info.kind)
    }

    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }

    /// Whether objects of this kind may stand where `other` is asked for
    /// (a container is an instance).
    pub fn is_a(self, other: Kind) -> bool {
        self == other || self.info().variant.is_some_and(|v| v.of == other)
    }

    /// How many parent keys locate an object of this kind.
    pub fn depth(self) -> usize {
        match self.info().parent {
            None => 0,
            Some(p) => 1 + p.depth(),
        }
    }
}

impl KindInfo {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn writable(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.attrs.iter().filter(|a| a.writable).map(|a| a.name)
    }

    pub fn action(&self, name: &str) -> Option<&'static Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    pub fn creatable(&self) -> bool {
        self.create != Create::Never
    }

    /// A key split into its prefix and own part (`custom/vol1` → `custom`,
    /// `vol1`; a bare `vol1` takes the default prefix, as a create does);
    /// for kinds without a prefix, `None` and the key.
    pub fn split_key<'k>(&self, key: &'k str) -> (Option<&'k str>, &'k str) {
        match self.key_prefix {
            None => (None, key),
            Some((_, default)) => match key.split_once('/') {
                Some((p, k)) => (Some(p), k),
                None => (Some(default), key),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_kind_and_consistent() {
        assert_eq!(KINDS.len(), Kind::COUNT);
        for (i, info) in KINDS.iter().enumerate() {
            let k = info.kind;
            assert_eq!(k as usize, i, "{k:?} row out of place");
            assert_eq!(Kind::from_i32(i as i32), Some(k));
            let key = info.attr(info.key);
            assert!(
                info.singleton || key.is_some_and(|a| !a.writable),
                "{k:?}: key in schema, read-only"
            );
            assert!(
                !info.singleton || (info.parent.is_none() && !info.creatable() && !info.delete),
                "{k:?}: a singleton is top-level, made and kept by the server"
            );
            for b in info.patch_resets {
                assert!(
                    info.attr(b).is_some_and(|a| a.writable) && info.patch,
                    "{k:?}: PATCH-reset {b} must be a writable attribute of a patchable kind"
                );
            }
            for b in info.etag_blind {
                assert!(
                    info.attr(b).is_some_and(|a| a.writable),
                    "{k:?}: ETag-blind {b} must be a writable attribute"
                );
            }
            if let Some(p) = info.parent {
                assert!(
                    p.info().parent.is_none() || p.depth() < 4,
                    "{k:?}: parent chain"
                );
            }
            if let Some(v) = info.variant {
                assert!(
                    v.of.info().variant.is_none(),
                    "{k:?}: a variant of a variant"
                );
            }
            let mut names: Vec<_> = info.actions.iter().map(|a| a.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), info.actions.len(), "{k:?}: duplicate action");
            for a in info.actions {
                assert!(
                    matches!(a.method, "GET" | "PUT" | "POST" | "PATCH" | "DELETE"),
                    "{k:?}.{}",
                    a.name
                );
                assert!(
                    a.on != On::Parent || info.parent.is_some(),
                    "{k:?}.{}",
                    a.name
                );
                if let Body::Args(fixed) = a.body {
                    assert!(
                        fixed.starts_with('{') && fixed.ends_with('}'),
                        "{k:?}.{}",
                        a.name
                    );
                }
            }
            let mut c_names: Vec<_> = KINDS.iter().map(|i| i.c_name).collect();
            c_names.sort_unstable();
            c_names.dedup();
            assert_eq!(c_names.len(), KINDS.len());
        }
        assert_eq!(Kind::from_i32(-1), None);
        assert_eq!(Kind::from_i32(Kind::COUNT as i32), None);
    }

    #[test]
    fn names_and_status_are_read_only() {
        let i = Kind::Container.info();
        assert!(!i.attr("name").unwrap().writable);
        assert!(!i.attr("status").unwrap().writable);
        assert!(i.attr("config").unwrap().writable);
        assert!(i.attr("nonexistent").is_none());
        assert!(i.writable().any(|a| a == "devices"));
        assert!(Kind::Operation.info().writable().next().is_none());
        assert!(Kind::Container.is_a(Kind::Instance));
        assert!(!Kind::Instance.is_a(Kind::Container));
        assert_eq!(Kind::InstanceSnapshot.depth(), 1);
    }
}
