//! The one table of kinds. A row per kind, in `lxd_kind` order.

use super::{
    Action, Attr, Body, Create, Kind, KindInfo, ListShape, On, Returns, Scope, Targeted, Variant,
};

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

/// An action with the usual defaults: on the object, no body, nothing back.
const fn act(name: &'static str, method: &'static str, path: &'static str) -> Action {
    Action {
        name,
        method,
        on: On::Object,
        path,
        body: Body::None,
        returns: Returns::Nothing,
        sync: false,
        extension: None,
        arg_extensions: &[],
        args: "",
        doc: "",
    }
}

impl Action {
    const fn on(mut self, on: On) -> Action {
        self.on = on;
        self
    }
    const fn body(mut self, body: Body) -> Action {
        self.body = body;
        self
    }
    const fn returns(mut self, returns: Returns) -> Action {
        self.returns = returns;
        self
    }
    const fn sync(mut self) -> Action {
        self.sync = true;
        self
    }
    const fn args(mut self, args: &'static str) -> Action {
        self.args = args;
        self
    }
    const fn needs(mut self, extension: &'static str) -> Action {
        self.extension = Some(extension);
        self
    }
    const fn arg_needs(mut self, args: &'static [(&'static str, &'static str)]) -> Action {
        self.arg_extensions = args;
        self
    }
    const fn doc(mut self, doc: &'static str) -> Action {
        self.doc = doc;
        self
    }
}

/// A state change (`PUT …/state {"action": …}`): an operation; the object loads again on its next read after a waited one.
const fn state_change(name: &'static str, fixed: &'static str, doc: &'static str) -> Action {
    act(name, "PUT", "/state")
        .body(Body::Args(fixed))
        .returns(Returns::Operation)
        .sync()
        .args("timeout (seconds, -1: LXD's default), force (bool), stateful (bool)")
        .doc(doc)
}

const INSTANCE_ACTIONS: &[Action] = &[
    state_change("start", r#"{"action":"start"}"#, "Start the instance."),
    state_change(
        "stop",
        r#"{"action":"stop"}"#,
        "Stop the instance: cleanly within `timeout`, or at once with `force`.",
    ),
    state_change("restart", r#"{"action":"restart"}"#, "Restart the instance."),
    state_change("freeze", r#"{"action":"freeze"}"#, "Freeze (pause) the instance."),
    state_change("unfreeze", r#"{"action":"unfreeze"}"#, "Unfreeze (resume) the instance."),
    act("state", "GET", "/state")
        .returns(Returns::Document)
        .doc("The runtime state: status, processes, memory, disk, network."),
    act("logs", "GET", "/logs")
        .returns(Returns::Document)
        .doc("The instance's log files, as a list of their paths."),
    act("log", "GET", "/logs/{name}")
        .returns(Returns::Bytes)
        .args("name (a file name from `logs`)")
        .doc("One log file's content."),
    act("delete_log", "DELETE", "/logs/{name}")
        .args("name")
        .doc("Delete one log file (LXD refuses the current lxc.log and console.log)."),
    act("console_log", "GET", "/console")
        .needs("console")
        .returns(Returns::Bytes)
        .doc("The console log (what the instance wrote to its console)."),
    act("clear_console_log", "DELETE", "/console")
        .needs("console")
        .doc("Empty the console log."),
    act("metadata", "GET", "/metadata")
        .needs("container_edit_metadata")
        .returns(Returns::Document)
        .doc("The instance's metadata.yaml, as JSON (architecture, creation_date, properties, templates)."),
    act("set_metadata", "PUT", "/metadata")
        .needs("container_edit_metadata")
        .body(Body::Args("{}"))
        .args("the whole metadata document")
        .doc("Replace the instance's metadata."),
    act("patch_metadata", "PATCH", "/metadata")
        .needs("container_edit_metadata")
        .body(Body::Args("{}"))
        .args("the fields of the metadata to change")
        .doc("Change part of the instance's metadata."),
    act("templates", "GET", "/metadata/templates")
        .needs("container_edit_metadata")
        .returns(Returns::Document)
        .doc("The names of the instance's template files."),
    act("template", "GET", "/metadata/templates?path={path}")
        .needs("container_edit_metadata")
        .returns(Returns::Bytes)
        .args("path (a template file name)")
        .doc("One template file's content."),
    act("put_template", "POST", "/metadata/templates?path={path}")
        .needs("container_edit_metadata")
        .body(Body::Raw("content"))
        .args("path, content (the file's text)")
        .doc("Create or replace a template file."),
    act("delete_template", "DELETE", "/metadata/templates?path={path}")
        .needs("container_edit_metadata")
        .args("path")
        .doc("Delete a template file."),
    act("set_state_all", "PUT", "")
        .on(On::Collection)
        .body(Body::Args("{}"))
        .returns(Returns::Operation)
        .args("state: {action, timeout, force, stateful}")
        .doc("Change the state of every instance of the project at once (PUT /1.0/instances)."),
];

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
    segment: &'static str,
    variant: Option<Variant>,
) -> KindInfo {
    KindInfo {
        kind,
        class,
        c_name,
        parent: None,
        segment,
        item_segment: if variant.is_some() {
            Some("instances")
        } else {
            None
        },
        key: "name",
        key_prefix: None,
        singleton: false,
        attrs: INSTANCE_ATTRS,
        // LXD 5.0.2's instance ETag covers neither (a change of either
        // keeps the ETag).
        etag_blind: &["description", "stateful"],
        // LXD 5.0.2's instance PATCH sets the description to "" unless the
        // patch names it.
        patch_resets: &["description"],
        scope: Scope::Project,
        targeted: Targeted::Create,
        create: Create::Definition {
            field: "name",
            resource: None,
        },
        put: true,
        patch: true,
        rename: Some("name"),
        delete: true,
        variant,
        list: ListShape::Array,
        extension: None,
        actions: INSTANCE_ACTIONS,
    }
}

const fn plain(
    kind: Kind,
    class: &'static str,
    c_name: &'static str,
    segment: &'static str,
    attrs: &'static [Attr],
) -> KindInfo {
    KindInfo {
        kind,
        class,
        c_name,
        parent: None,
        segment,
        item_segment: None,
        key: "name",
        key_prefix: None,
        singleton: false,
        attrs,
        etag_blind: &[],
        patch_resets: &[],
        scope: Scope::Project,
        targeted: Targeted::Never,
        create: Create::Definition {
            field: "name",
            resource: None,
        },
        put: true,
        patch: true,
        rename: Some("name"),
        delete: true,
        variant: None,
        list: ListShape::Array,
        extension: None,
        actions: &[],
    }
}

pub static KINDS: [KindInfo; Kind::COUNT] = [
    instance_like(Kind::Instance, "Instance", "instance", "instances", None),
    instance_like(
        Kind::Container,
        "Container",
        "container",
        "containers",
        Some(Variant {
            of: Kind::Instance,
            type_value: "container",
        }),
    ),
    instance_like(
        Kind::VirtualMachine,
        "VirtualMachine",
        "virtual_machine",
        "virtual-machines",
        Some(Variant {
            of: Kind::Instance,
            type_value: "virtual-machine",
        }),
    ),
    KindInfo {
        key: "fingerprint",
        // LXD 5.0.2's image ETag leaves out the expiry date.
        etag_blind: &["expires_at"],
        create: Create::OperationMetadata("fingerprint"),
        rename: None,
        actions: &[
            act("secret", "POST", "/secret")
                .returns(Returns::Operation)
                .doc("A one-time secret (in the operation's metadata) that lets another server copy this image even when it is private; the operation ends when the secret is used."),
            act("refresh", "POST", "/refresh")
                .returns(Returns::Operation)
                .doc("Refresh the image from the image server it came from: the result's metadata says {\"refreshed\": true|false}. Only images pulled by alias from a server have a source to refresh from (an uploaded image, or one pulled by fingerprint, fails: LXD_ERR_OPERATION_FAILED, \"Image source not found\")."),
        ],
        ..plain(
            Kind::Image,
            "Image",
            "image",
            "images",
            &[
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
        )
    },
    plain(
        Kind::Profile,
        "Profile",
        "profile",
        "profiles",
        &[
            rw("config"),
            rw("description"),
            rw("devices"),
            ro("name"),
            ro("used_by"),
        ],
    ),
    KindInfo {
        targeted: Targeted::Always,
        // LXD 5.0.2's network PATCH sets the description to "" unless the
        // patch names it.
        patch_resets: &["description"],
        actions: &[
            act("state", "GET", "/state")
                .returns(Returns::Document)
                .needs("network_state")
                .doc("The network's runtime state: addresses, counters, MTU, bridge details."),
            act("leases", "GET", "/leases")
                .returns(Returns::Document)
                .needs("network_leases")
                .doc("The DHCP leases of a managed network."),
        ],
        ..plain(
            Kind::Network,
            "Network",
            "network",
            "networks",
            &[
                rw("config"),
                rw("description"),
                ro("locations"),
                ro("managed"),
                ro("name"),
                ro("status"),
                ro("type"),
                ro("used_by"),
            ],
        )
    },
    KindInfo {
        targeted: Targeted::Always,
        scope: Scope::Global,
        rename: None,
        // So does its storage pool PATCH.
        patch_resets: &["description"],
        actions: &[act("resources", "GET", "/resources")
            .returns(Returns::Document)
            .needs("resources")
            .doc("The pool's space and inodes: used and total.")],
        ..plain(
            Kind::StoragePool,
            "StoragePool",
            "storage_pool",
            "storage-pools",
            &[
                rw("config"),
                rw("description"),
                ro("driver"),
                ro("locations"),
                ro("name"),
                ro("status"),
                ro("used_by"),
            ],
        )
    },
    KindInfo {
        scope: Scope::Global,
        actions: &[act("state", "GET", "/state")
            .returns(Returns::Document)
            .needs("project_usage")
            .doc("The project's resource usage against its limits.")],
        ..plain(
            Kind::Project,
            "Project",
            "project",
            "projects",
            &[rw("config"), rw("description"), ro("name"), ro("used_by")],
        )
    },
    KindInfo {
        key: "fingerprint",
        scope: Scope::Global,
        create: Create::Location,
        rename: None,
        ..plain(
            Kind::Certificate,
            "Certificate",
            "certificate",
            "certificates",
            &[
                rw("certificate"),
                ro("fingerprint"),
                rw("name"),
                rw("projects"),
                rw("restricted"),
                rw("type"),
            ],
        )
    },
    KindInfo {
        key: "id",
        create: Create::Never,
        put: false,
        patch: false,
        rename: None,
        list: ListShape::ByStatus,
        ..plain(
            Kind::Operation,
            "Operation",
            "operation",
            "operations",
            &[
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
        )
    },
    KindInfo {
        parent: Some(Kind::Instance),
        create: Create::Definition {
            field: "name",
            resource: Some("instances_snapshots"),
        },
        actions: &[act("restore", "PUT", "")
            .on(On::Parent)
            .body(Body::Key("restore"))
            .returns(Returns::Operation)
            .doc("Restore the instance to this snapshot (files and configuration).")],
        ..plain(
            Kind::InstanceSnapshot,
            "InstanceSnapshot",
            "instance_snapshot",
            "snapshots",
            &[
                ro("architecture"),
                ro("config"),
                ro("created_at"),
                ro("devices"),
                ro("ephemeral"),
                ro("expanded_config"),
                ro("expanded_devices"),
                rw("expires_at"),
                ro("last_used_at"),
                ro("name"),
                ro("profiles"),
                ro("size"),
                ro("stateful"),
            ],
        )
    },
    KindInfo {
        parent: Some(Kind::Instance),
        create: Create::Definition {
            field: "name",
            resource: Some("backups"),
        },
        put: false,
        patch: false,
        extension: Some("container_backup"),
        actions: &[act("export", "GET", "/export")
            .returns(Returns::File)
            .doc("The backup tarball, streamed to a local file.")],
        ..plain(
            Kind::InstanceBackup,
            "InstanceBackup",
            "instance_backup",
            "backups",
            &[
                ro("container_only"),
                ro("created_at"),
                ro("expires_at"),
                ro("instance_only"),
                ro("name"),
                ro("optimized_storage"),
            ],
        )
    },
    KindInfo {
        segment: "images/aliases",
        etag_blind: &[],
        // LXD 5.0.2 answers an alias's PATCH only after 20 s, with "context
        // deadline exceeded" (it never applies it); PUT works.
        patch: false,
        ..plain(
            Kind::ImageAlias,
            "ImageAlias",
            "image_alias",
            "images/aliases",
            &[
                rw("description"),
                ro("name"),
                rw("target"),
                ro("type"),
            ],
        )
    },
    KindInfo {
        targeted: Targeted::Always,
        parent: Some(Kind::StoragePool),
        key_prefix: Some(("type", "custom")),
        // LXD 5.0.2's ETag of a volume covers its name, type and config.
        etag_blind: &["description"],
        // The pool's volumes of every project; renamed with `name`.
        actions: &[act("state", "GET", "/state")
            .returns(Returns::Document)
            .needs("storage_volume_state")
            .doc("The volume's usage (bytes used, where the driver can tell).")],
        ..plain(
            Kind::StorageVolume,
            "StorageVolume",
            "storage_volume",
            "volumes",
            &[
                rw("config"),
                ro("content_type"),
                ro("created_at"),
                rw("description"),
                ro("location"),
                ro("name"),
                ro("project"),
                rw("restore"),
                ro("type"),
                ro("used_by"),
            ],
        )
    },
    KindInfo {
        targeted: Targeted::Always,
        parent: Some(Kind::StorageVolume),
        create: Create::Definition {
            field: "name",
            resource: Some("storage_volume_snapshots"),
        },
        actions: &[act("restore", "PUT", "")
            .on(On::Parent)
            .body(Body::Key("restore"))
            .returns(Returns::Operation)
            .doc("Restore the volume to this snapshot.")],
        ..plain(
            Kind::StorageVolumeSnapshot,
            "StorageVolumeSnapshot",
            "storage_volume_snapshot",
            "snapshots",
            &[
                ro("config"),
                ro("content_type"),
                ro("created_at"),
                rw("description"),
                rw("expires_at"),
                ro("name"),
            ],
        )
    },
    KindInfo {
        targeted: Targeted::Always,
        parent: Some(Kind::StorageVolume),
        create: Create::Definition {
            field: "name",
            resource: Some("backups"),
        },
        put: false,
        patch: false,
        extension: Some("custom_volume_backup"),
        actions: &[act("export", "GET", "/export")
            .returns(Returns::File)
            .doc("The backup tarball, streamed to a local file.")],
        ..plain(
            Kind::StorageVolumeBackup,
            "StorageVolumeBackup",
            "storage_volume_backup",
            "backups",
            &[
                ro("created_at"),
                ro("expires_at"),
                ro("name"),
                ro("optimized_storage"),
                ro("volume_only"),
            ],
        )
    },
    KindInfo {
        parent: Some(Kind::Network),
        key: "listen_address",
        // LXD 5.0.2 sends an ETag for a forward but its PUT and PATCH
        // ignore If-Match: every writable attribute is re-read before a save.
        etag_blind: &["config", "description", "ports"],
        create: Create::Definition {
            field: "listen_address",
            resource: None,
        },
        rename: None,
        extension: Some("network_forward"),
        ..plain(
            Kind::NetworkForward,
            "NetworkForward",
            "network_forward",
            "forwards",
            &[
                rw("config"),
                rw("description"),
                ro("listen_address"),
                ro("location"),
                rw("ports"),
            ],
        )
    },
    KindInfo {
        extension: Some("network_acl"),
        actions: &[act("log", "GET", "/log")
            .returns(Returns::Bytes)
            .needs("network_acl_log")
            .doc("The ACL's log (OVN networks only: others answer an error).")],
        ..plain(
            Kind::NetworkAcl,
            "NetworkAcl",
            "network_acl",
            "network-acls",
            &[
                rw("config"),
                rw("description"),
                rw("egress"),
                rw("ingress"),
                ro("name"),
                ro("used_by"),
            ],
        )
    },
    KindInfo {
        rename: None,
        extension: Some("network_dns"),
        ..plain(
            Kind::NetworkZone,
            "NetworkZone",
            "network_zone",
            "network-zones",
            &[rw("config"), rw("description"), ro("name"), ro("used_by")],
        )
    },
    KindInfo {
        parent: Some(Kind::NetworkZone),
        rename: None,
        extension: Some("network_dns_records"),
        ..plain(
            Kind::NetworkZoneRecord,
            "NetworkZoneRecord",
            "network_zone_record",
            "records",
            &[rw("config"), rw("description"), rw("entries"), ro("name")],
        )
    },
    KindInfo {
        key: "uuid",
        create: Create::Never,
        rename: None,
        extension: Some("warnings"),
        ..plain(
            Kind::Warning,
            "Warning",
            "warning",
            "warnings",
            &[
                ro("count"),
                ro("entity_url"),
                ro("first_seen_at"),
                ro("last_message"),
                ro("last_seen_at"),
                ro("location"),
                ro("project"),
                ro("severity"),
                rw("status"),
                ro("type"),
                ro("uuid"),
            ],
        )
    },
    KindInfo {
        targeted: Targeted::Always,
        key: "",
        singleton: true,
        scope: Scope::Global,
        create: Create::Never,
        rename: None,
        delete: false,
        ..plain(
            Kind::Server,
            "Server",
            "server",
            "",
            &[
                ro("api_extensions"),
                ro("api_status"),
                ro("api_version"),
                ro("auth"),
                ro("auth_methods"),
                rw("config"),
                ro("environment"),
                ro("public"),
            ],
        )
    },
    KindInfo {
        // OVN networks only: LXD answers a bridge's peers with an error.
        parent: Some(Kind::Network),
        rename: None,
        extension: Some("network_peer"),
        ..plain(
            Kind::NetworkPeer,
            "NetworkPeer",
            "network_peer",
            "peers",
            &[
                rw("config"),
                rw("description"),
                ro("name"),
                ro("status"),
                ro("target_network"),
                ro("target_project"),
                ro("used_by"),
            ],
        )
    },
    KindInfo {
        // The cluster itself (GET/PUT /1.0/cluster): on a standalone
        // server `enabled` is false; setting it (with `server_name`) and
        // saving turns the server into a cluster of one.
        key: "",
        singleton: true,
        scope: Scope::Global,
        create: Create::Never,
        patch: false,
        rename: None,
        delete: false,
        extension: Some("clustering"),
        actions: &[
            act("join", "PUT", "")
                .body(Body::Args(r#"{"enabled":true}"#))
                .returns(Returns::Operation)
                .args("server_name, server_address, cluster_address, cluster_certificate, cluster_password (a join token), member_config")
                .doc("Join this standalone server to an existing cluster."),
            act("update_certificate", "PUT", "/certificate")
                .body(Body::Args("{}"))
                .needs("clustering_update_cert")
                .args("cluster_certificate, cluster_certificate_key (PEM)")
                .doc("Replace the cluster's certificate and key on every member."),
        ],
        ..plain(
            Kind::Cluster,
            "Cluster",
            "cluster",
            "cluster",
            &[rw("enabled"), rw("member_config"), rw("server_name")],
        )
    },
    KindInfo {
        key: "server_name",
        scope: Scope::Global,
        create: Create::Never,
        rename: Some("server_name"),
        extension: Some("clustering"),
        actions: &[
            act("evacuate", "POST", "/state")
                .body(Body::Args(r#"{"action":"evacuate"}"#))
                .returns(Returns::Operation)
                .needs("clustering_evacuation")
                .arg_needs(&[("mode", "clustering_evacuation_mode")])
                .args("mode (stop, migrate, live-migrate; needs the API extension clustering_evacuation_mode, which LXD 5.0.2 lacks: there each instance's cluster.evacuate config decides)")
                .doc("Move or stop the member's instances and mark it evacuated."),
            act("restore", "POST", "/state")
                .body(Body::Args(r#"{"action":"restore"}"#))
                .returns(Returns::Operation)
                .needs("clustering_evacuation")
                .doc("Bring an evacuated member's instances back."),
        ],
        ..plain(
            Kind::ClusterMember,
            "ClusterMember",
            "cluster_member",
            "cluster/members",
            &[
                ro("architecture"),
                rw("config"),
                ro("database"),
                rw("description"),
                rw("failure_domain"),
                rw("groups"),
                ro("message"),
                rw("roles"),
                ro("server_name"),
                ro("status"),
                ro("url"),
            ],
        )
    },
    KindInfo {
        // LXD 5.0.2 sends an ETag for a cluster group but its PUT ignores
        // If-Match: every writable attribute is re-read before a save.
        etag_blind: &["description", "members"],
        scope: Scope::Global,
        extension: Some("clustering_groups"),
        ..plain(
            Kind::ClusterGroup,
            "ClusterGroup",
            "cluster_group",
            "cluster/groups",
            &[rw("description"), rw("members"), ro("name")],
        )
    },
];
