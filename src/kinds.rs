//! The kinds of LXD objects, as data: endpoint, key, class name, schema.
//! Everything generic (get, all, exists, create, save, delete) reads this.

/// One kind of LXD object. The discriminants are the C `lxd_kind` values.
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
}

/// How the key of a newly created object is learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKey {
    /// The definition's key attribute (`name`).
    FromDefinition,
    /// The `fingerprint` in the finished operation's metadata (images).
    FromOperation,
    /// The last segment of the `Location` header (certificates).
    FromLocation,
    /// The kind cannot be created.
    NotCreatable,
}

/// One attribute of a kind's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub name: &'static str,
    pub writable: bool,
}

const fn rw(name: &'static str) -> Attr {
    Attr {
        name,
        writable: true,
    }
}
const fn ro(name: &'static str) -> Attr {
    Attr {
        name,
        writable: false,
    }
}

/// Everything the generic code needs to know about a kind.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: Kind,
    /// pylxd's class name, used in warnings.
    pub class: &'static str,
    /// The name in C function names (`lxd_<c_name>_get`).
    pub c_name: &'static str,
    /// Collection path under /1.0 (lists and creates).
    pub endpoint: &'static str,
    /// Path under /1.0 of single objects. The typed instance kinds use
    /// `instances` (LXD answers it faster than its `containers` alias, and
    /// the type is checked on every fetch).
    pub item_endpoint: &'static str,
    /// The attribute that names an object in URLs.
    pub key: &'static str,
    pub attrs: &'static [Attr],
    /// Whether requests carry the client's `project`.
    pub project_scoped: bool,
    pub new_key: NewKey,
    /// `POST {endpoint}/{key}` with `{"name": …}` renames.
    pub renamable: bool,
    /// Value of `type` that objects of this kind carry, and that create sets.
    pub instance_type: Option<&'static str>,
}

const INSTANCE_ATTRS: &[Attr] = &[
    rw("architecture"),
    rw("config"),
    ro("created_at"),
    rw("description"),
    rw("devices"),
    rw("ephemeral"),
    ro("expanded_config"),
    ro("expanded_devices"),
    ro("last_used_at"),
    ro("location"),
    ro("name"),
    rw("profiles"),
    ro("project"),
    rw("restore"),
    rw("stateful"),
    ro("status"),
    ro("status_code"),
    ro("type"),
];

const fn instance_like(
    kind: Kind,
    class: &'static str,
    c_name: &'static str,
    endpoint: &'static str,
    instance_type: Option<&'static str>,
) -> KindInfo {
    KindInfo {
        kind,
        class,
        c_name,
        endpoint,
        item_endpoint: "instances",
        key: "name",
        attrs: INSTANCE_ATTRS,
        project_scoped: true,
        new_key: NewKey::FromDefinition,
        renamable: true,
        instance_type,
    }
}

static KINDS: [KindInfo; 10] = [
    instance_like(Kind::Instance, "Instance", "instance", "instances", None),
    instance_like(
        Kind::Container,
        "Container",
        "container",
        "containers",
        Some("container"),
    ),
    instance_like(
        Kind::VirtualMachine,
        "VirtualMachine",
        "virtual_machine",
        "virtual-machines",
        Some("virtual-machine"),
    ),
    KindInfo {
        kind: Kind::Image,
        class: "Image",
        c_name: "image",
        endpoint: "images",
        item_endpoint: "images",
        key: "fingerprint",
        attrs: &[
            ro("aliases"),
            ro("architecture"),
            rw("auto_update"),
            ro("cached"),
            ro("created_at"),
            rw("expires_at"),
            ro("filename"),
            ro("fingerprint"),
            ro("last_used_at"),
            rw("profiles"),
            rw("properties"),
            rw("public"),
            ro("size"),
            ro("type"),
            ro("update_source"),
            ro("uploaded_at"),
        ],
        project_scoped: true,
        new_key: NewKey::FromOperation,
        renamable: false,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::Profile,
        class: "Profile",
        c_name: "profile",
        endpoint: "profiles",
        item_endpoint: "profiles",
        key: "name",
        attrs: &[
            rw("config"),
            rw("description"),
            rw("devices"),
            ro("name"),
            ro("used_by"),
        ],
        project_scoped: true,
        new_key: NewKey::FromDefinition,
        renamable: true,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::Network,
        class: "Network",
        c_name: "network",
        endpoint: "networks",
        item_endpoint: "networks",
        key: "name",
        attrs: &[
            rw("config"),
            rw("description"),
            ro("locations"),
            ro("managed"),
            ro("name"),
            ro("status"),
            ro("type"),
            ro("used_by"),
        ],
        project_scoped: true,
        new_key: NewKey::FromDefinition,
        renamable: true,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::StoragePool,
        class: "StoragePool",
        c_name: "storage_pool",
        endpoint: "storage-pools",
        item_endpoint: "storage-pools",
        key: "name",
        attrs: &[
            rw("config"),
            rw("description"),
            ro("driver"),
            ro("locations"),
            ro("name"),
            ro("status"),
            ro("used_by"),
        ],
        project_scoped: false,
        new_key: NewKey::FromDefinition,
        renamable: false,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::Project,
        class: "Project",
        c_name: "project",
        endpoint: "projects",
        item_endpoint: "projects",
        key: "name",
        attrs: &[rw("config"), rw("description"), ro("name"), ro("used_by")],
        project_scoped: false,
        new_key: NewKey::FromDefinition,
        renamable: true,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::Certificate,
        class: "Certificate",
        c_name: "certificate",
        endpoint: "certificates",
        item_endpoint: "certificates",
        key: "fingerprint",
        attrs: &[
            rw("certificate"),
            ro("fingerprint"),
            rw("name"),
            rw("projects"),
            rw("restricted"),
            rw("type"),
        ],
        project_scoped: false,
        new_key: NewKey::FromLocation,
        renamable: false,
        instance_type: None,
    },
    KindInfo {
        kind: Kind::Operation,
        class: "Operation",
        c_name: "operation",
        endpoint: "operations",
        item_endpoint: "operations",
        key: "id",
        attrs: &[
            ro("class"),
            ro("created_at"),
            ro("description"),
            ro("err"),
            ro("id"),
            ro("location"),
            ro("may_cancel"),
            ro("metadata"),
            ro("resources"),
            ro("status"),
            ro("status_code"),
            ro("updated_at"),
        ],
        project_scoped: true,
        new_key: NewKey::NotCreatable,
        renamable: false,
        instance_type: None,
    },
];

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Instance,
        Kind::Container,
        Kind::VirtualMachine,
        Kind::Image,
        Kind::Profile,
        Kind::Network,
        Kind::StoragePool,
        Kind::Project,
        Kind::Certificate,
        Kind::Operation,
    ];

    pub fn from_i32(v: i32) -> Option<Kind> {
        Kind::ALL.get(usize::try_from(v).ok()?).copied()
    }

    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }

    pub fn is_instance(self) -> bool {
        matches!(
            self,
            Kind::Instance | Kind::Container | Kind::VirtualMachine
        )
    }
}

impl KindInfo {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn writable(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.attrs.iter().filter(|a| a.writable).map(|a| a.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_kind() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(k.info().kind, *k);
            assert_eq!(*k as i32, i as i32);
            assert_eq!(Kind::from_i32(i as i32), Some(*k));
            assert!(k.info().attr(k.info().key).is_some(), "{k:?} key in schema");
            assert!(
                !k.info().attr(k.info().key).unwrap().writable,
                "{k:?} key read-only"
            );
        }
        assert_eq!(Kind::from_i32(-1), None);
        assert_eq!(Kind::from_i32(10), None);
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
    }
}
