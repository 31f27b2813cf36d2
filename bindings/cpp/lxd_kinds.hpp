// lxd_kinds.hpp: the kinds of LXD objects, for lxd.hpp (which includes it;
// both are installed side by side).
//
// GENERATED from liblxd's own table of kinds (lxd_kind_info for every kind
// up to LXD_KIND_COUNT) by bindings/cpp/gen/gen_kinds.sh: do not edit.
// bindings/cpp/test.sh fails when this file is stale; to rewrite it:
//   bash bindings/cpp/gen/gen_kinds.sh bindings/cpp/lxd_kinds.hpp

#ifndef LXD_KINDS_HPP
#define LXD_KINDS_HPP

#include <lxd.h>

#include <cstddef>
#include <optional>

static_assert(LXD_KIND_COUNT == 26,
              "lxd_kinds.hpp does not match <lxd.h>: regenerate it (gen/gen_kinds.sh)");

namespace lxd {

/// The kinds of LXD objects (the values are liblxd's `LXD_KIND_*`), as
/// passed to Client::manager, ObjectRef::children and lxd::kind_info.
enum class Kind : lxd_kind {
    /// Instance objects: `/1.0/instances`, by name.
    Instance = LXD_KIND_INSTANCE,
    /// Container objects: `/1.0/containers`, by name; only the Instance objects of this type.
    Container = LXD_KIND_CONTAINER,
    /// VirtualMachine objects: `/1.0/virtual-machines`, by name; only the Instance objects of this
    /// type.
    VirtualMachine = LXD_KIND_VIRTUAL_MACHINE,
    /// Image objects: `/1.0/images`, by fingerprint.
    Image = LXD_KIND_IMAGE,
    /// Profile objects: `/1.0/profiles`, by name.
    Profile = LXD_KIND_PROFILE,
    /// Network objects: `/1.0/networks`, by name.
    Network = LXD_KIND_NETWORK,
    /// StoragePool objects: `/1.0/storage-pools`, by name; global (not in a project).
    StoragePool = LXD_KIND_STORAGE_POOL,
    /// Project objects: `/1.0/projects`, by name; global (not in a project).
    Project = LXD_KIND_PROJECT,
    /// Certificate objects: `/1.0/certificates`, by fingerprint; global (not in a project).
    Certificate = LXD_KIND_CERTIFICATE,
    /// Operation objects: `/1.0/operations`, by operation id; cannot be created.
    Operation = LXD_KIND_OPERATION,
    /// InstanceSnapshot objects, under Instance objects: `/1.0/instances/{instance}/snapshots`, by
    /// name.
    InstanceSnapshot = LXD_KIND_INSTANCE_SNAPSHOT,
    /// InstanceBackup objects, under Instance objects: `/1.0/instances/{instance}/backups`, by
    /// name; needs the API extension `container_backup`.
    InstanceBackup = LXD_KIND_INSTANCE_BACKUP,
    /// ImageAlias objects: `/1.0/images/aliases`, by name.
    ImageAlias = LXD_KIND_IMAGE_ALIAS,
    /// StorageVolume objects, under StoragePool objects:
    /// `/1.0/storage-pools/{storage_pool}/volumes`, by name.
    StorageVolume = LXD_KIND_STORAGE_VOLUME,
    /// StorageVolumeSnapshot objects, under StorageVolume objects:
    /// `/1.0/storage-pools/{storage_pool}/volumes/{storage_volume}/snapshots`, by name.
    StorageVolumeSnapshot = LXD_KIND_STORAGE_VOLUME_SNAPSHOT,
    /// StorageVolumeBackup objects, under StorageVolume objects:
    /// `/1.0/storage-pools/{storage_pool}/volumes/{storage_volume}/backups`, by name; needs the API
    /// extension `custom_volume_backup`.
    StorageVolumeBackup = LXD_KIND_STORAGE_VOLUME_BACKUP,
    /// NetworkForward objects, under Network objects: `/1.0/networks/{network}/forwards`, by
    /// listen_address; needs the API extension `network_forward`.
    NetworkForward = LXD_KIND_NETWORK_FORWARD,
    /// NetworkAcl objects: `/1.0/network-acls`, by name; needs the API extension `network_acl`.
    NetworkAcl = LXD_KIND_NETWORK_ACL,
    /// NetworkZone objects: `/1.0/network-zones`, by name; needs the API extension `network_dns`.
    NetworkZone = LXD_KIND_NETWORK_ZONE,
    /// NetworkZoneRecord objects, under NetworkZone objects:
    /// `/1.0/network-zones/{network_zone}/records`, by name; needs the API extension
    /// `network_dns_records`.
    NetworkZoneRecord = LXD_KIND_NETWORK_ZONE_RECORD,
    /// Warning objects: `/1.0/warnings`, by uuid; cannot be created; needs the API extension
    /// `warnings`.
    Warning = LXD_KIND_WARNING,
    /// Server objects: `/1.0`, one per server; global (not in a project); cannot be created.
    Server = LXD_KIND_SERVER,
    /// NetworkPeer objects, under Network objects: `/1.0/networks/{network}/peers`, by name; needs
    /// the API extension `network_peer`.
    NetworkPeer = LXD_KIND_NETWORK_PEER,
    /// Cluster objects: `/1.0/cluster`, one per server; global (not in a project); cannot be
    /// created; needs the API extension `clustering`.
    Cluster = LXD_KIND_CLUSTER,
    /// ClusterMember objects: `/1.0/cluster/members`, by server_name; global (not in a project);
    /// cannot be created; needs the API extension `clustering`.
    ClusterMember = LXD_KIND_CLUSTER_MEMBER,
    /// ClusterGroup objects: `/1.0/cluster/groups`, by name; global (not in a project); needs the
    /// API extension `clustering_groups`.
    ClusterGroup = LXD_KIND_CLUSTER_GROUP,
};

/// How many kinds there are (`LXD_KIND_COUNT`).
inline constexpr std::size_t kind_count = LXD_KIND_COUNT;

/// Every kind, in the order of their values.
inline constexpr Kind all_kinds[] = {
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
    Kind::InstanceSnapshot,
    Kind::InstanceBackup,
    Kind::ImageAlias,
    Kind::StorageVolume,
    Kind::StorageVolumeSnapshot,
    Kind::StorageVolumeBackup,
    Kind::NetworkForward,
    Kind::NetworkAcl,
    Kind::NetworkZone,
    Kind::NetworkZoneRecord,
    Kind::Warning,
    Kind::Server,
    Kind::NetworkPeer,
    Kind::Cluster,
    Kind::ClusterMember,
    Kind::ClusterGroup,
};

/// The kind's name as pylxd's class: "Instance", "InstanceSnapshot", ..., or "?".
[[nodiscard]] constexpr const char *to_string(Kind kind) noexcept {
    switch (kind) {
    case Kind::Instance: return "Instance";
    case Kind::Container: return "Container";
    case Kind::VirtualMachine: return "VirtualMachine";
    case Kind::Image: return "Image";
    case Kind::Profile: return "Profile";
    case Kind::Network: return "Network";
    case Kind::StoragePool: return "StoragePool";
    case Kind::Project: return "Project";
    case Kind::Certificate: return "Certificate";
    case Kind::Operation: return "Operation";
    case Kind::InstanceSnapshot: return "InstanceSnapshot";
    case Kind::InstanceBackup: return "InstanceBackup";
    case Kind::ImageAlias: return "ImageAlias";
    case Kind::StorageVolume: return "StorageVolume";
    case Kind::StorageVolumeSnapshot: return "StorageVolumeSnapshot";
    case Kind::StorageVolumeBackup: return "StorageVolumeBackup";
    case Kind::NetworkForward: return "NetworkForward";
    case Kind::NetworkAcl: return "NetworkAcl";
    case Kind::NetworkZone: return "NetworkZone";
    case Kind::NetworkZoneRecord: return "NetworkZoneRecord";
    case Kind::Warning: return "Warning";
    case Kind::Server: return "Server";
    case Kind::NetworkPeer: return "NetworkPeer";
    case Kind::Cluster: return "Cluster";
    case Kind::ClusterMember: return "ClusterMember";
    case Kind::ClusterGroup: return "ClusterGroup";
    }
    return "?";
}

/// The kind's name in liblxd's C functions (`lxd_<c_name>_get`): "instance",
/// "instance_snapshot", ..., or "?".
[[nodiscard]] constexpr const char *c_name(Kind kind) noexcept {
    switch (kind) {
    case Kind::Instance: return "instance";
    case Kind::Container: return "container";
    case Kind::VirtualMachine: return "virtual_machine";
    case Kind::Image: return "image";
    case Kind::Profile: return "profile";
    case Kind::Network: return "network";
    case Kind::StoragePool: return "storage_pool";
    case Kind::Project: return "project";
    case Kind::Certificate: return "certificate";
    case Kind::Operation: return "operation";
    case Kind::InstanceSnapshot: return "instance_snapshot";
    case Kind::InstanceBackup: return "instance_backup";
    case Kind::ImageAlias: return "image_alias";
    case Kind::StorageVolume: return "storage_volume";
    case Kind::StorageVolumeSnapshot: return "storage_volume_snapshot";
    case Kind::StorageVolumeBackup: return "storage_volume_backup";
    case Kind::NetworkForward: return "network_forward";
    case Kind::NetworkAcl: return "network_acl";
    case Kind::NetworkZone: return "network_zone";
    case Kind::NetworkZoneRecord: return "network_zone_record";
    case Kind::Warning: return "warning";
    case Kind::Server: return "server";
    case Kind::NetworkPeer: return "network_peer";
    case Kind::Cluster: return "cluster";
    case Kind::ClusterMember: return "cluster_member";
    case Kind::ClusterGroup: return "cluster_group";
    }
    return "?";
}

/// The kind whose objects those of `kind` live under (Kind::Instance for
/// snapshots and backups: reached with ObjectRef::children), or std::nullopt
/// for a top-level kind (reached with Client::manager).
[[nodiscard]] constexpr std::optional<Kind> parent_of(Kind kind) noexcept {
    switch (kind) {
    case Kind::InstanceSnapshot: return Kind::Instance;
    case Kind::InstanceBackup: return Kind::Instance;
    case Kind::StorageVolume: return Kind::StoragePool;
    case Kind::StorageVolumeSnapshot: return Kind::StorageVolume;
    case Kind::StorageVolumeBackup: return Kind::StorageVolume;
    case Kind::NetworkForward: return Kind::Network;
    case Kind::NetworkZoneRecord: return Kind::NetworkZone;
    case Kind::NetworkPeer: return Kind::Network;
    default: return std::nullopt;
    }
}

/// For a typed variant of a kind (Kind::Container), the general kind
/// (Kind::Instance); else std::nullopt.
[[nodiscard]] constexpr std::optional<Kind> variant_of(Kind kind) noexcept {
    switch (kind) {
    case Kind::Container: return Kind::Instance;
    case Kind::VirtualMachine: return Kind::Instance;
    default: return std::nullopt;
    }
}

/// Whether `kind` has one object and no key (kind_info's `singleton`):
/// Client::singleton(kind) fetches it; its manager has no list.
[[nodiscard]] constexpr bool is_singleton(Kind kind) noexcept {
    switch (kind) {
    case Kind::Server:
    case Kind::Cluster:
        return true;
    default: return false;
    }
}

namespace detail {

/// A kind and the name of its accessor (client.instances(), inst.snapshots()).
struct KindAccessor {
    Kind kind;
    const char *name;
};

/// Every kind with its accessor, in the order of their values.
inline constexpr KindAccessor kind_accessors[] = {
    {Kind::Instance, "instances"},
    {Kind::Container, "containers"},
    {Kind::VirtualMachine, "virtual_machines"},
    {Kind::Image, "images"},
    {Kind::Profile, "profiles"},
    {Kind::Network, "networks"},
    {Kind::StoragePool, "storage_pools"},
    {Kind::Project, "projects"},
    {Kind::Certificate, "certificates"},
    {Kind::Operation, "operations"},
    {Kind::InstanceSnapshot, "snapshots"},
    {Kind::InstanceBackup, "backups"},
    {Kind::ImageAlias, "image_aliases"},
    {Kind::StorageVolume, "storage_volumes"},
    {Kind::StorageVolumeSnapshot, "snapshots"},
    {Kind::StorageVolumeBackup, "backups"},
    {Kind::NetworkForward, "forwards"},
    {Kind::NetworkAcl, "network_acls"},
    {Kind::NetworkZone, "network_zones"},
    {Kind::NetworkZoneRecord, "records"},
    {Kind::Warning, "warnings"},
    {Kind::Server, "server"},
    {Kind::NetworkPeer, "peers"},
    {Kind::Cluster, "cluster"},
    {Kind::ClusterMember, "cluster_members"},
    {Kind::ClusterGroup, "cluster_groups"},
};

/// The managers of the top-level kinds, one accessor each: the base of
/// lxd::Client (Self), whose manager(kind) they call (M: lxd::Manager).
/// A singleton kind (lxd::is_singleton) has an accessor that fetches the
/// object itself (O: lxd::Object) with Self's singleton(kind).
template <typename Self, typename M, typename O> class KindManagers {
  public:
    /// Instance objects: `/1.0/instances`, by name.
    [[nodiscard]] M instances() const noexcept {
        return self().manager(Kind::Instance);
    }
    /// Container objects: `/1.0/containers`, by name; only the Instance objects of this type.
    [[nodiscard]] M containers() const noexcept {
        return self().manager(Kind::Container);
    }
    /// VirtualMachine objects: `/1.0/virtual-machines`, by name; only the Instance objects of this
    /// type.
    [[nodiscard]] M virtual_machines() const noexcept {
        return self().manager(Kind::VirtualMachine);
    }
    /// Image objects: `/1.0/images`, by fingerprint.
    [[nodiscard]] M images() const noexcept {
        return self().manager(Kind::Image);
    }
    /// Profile objects: `/1.0/profiles`, by name.
    [[nodiscard]] M profiles() const noexcept {
        return self().manager(Kind::Profile);
    }
    /// Network objects: `/1.0/networks`, by name.
    [[nodiscard]] M networks() const noexcept {
        return self().manager(Kind::Network);
    }
    /// StoragePool objects: `/1.0/storage-pools`, by name; global (not in a project).
    [[nodiscard]] M storage_pools() const noexcept {
        return self().manager(Kind::StoragePool);
    }
    /// Project objects: `/1.0/projects`, by name; global (not in a project).
    [[nodiscard]] M projects() const noexcept {
        return self().manager(Kind::Project);
    }
    /// Certificate objects: `/1.0/certificates`, by fingerprint; global (not in a project).
    [[nodiscard]] M certificates() const noexcept {
        return self().manager(Kind::Certificate);
    }
    /// Operation objects: `/1.0/operations`, by operation id; cannot be created.
    [[nodiscard]] M operations() const noexcept {
        return self().manager(Kind::Operation);
    }
    /// ImageAlias objects: `/1.0/images/aliases`, by name.
    [[nodiscard]] M image_aliases() const noexcept {
        return self().manager(Kind::ImageAlias);
    }
    /// NetworkAcl objects: `/1.0/network-acls`, by name; needs the API extension `network_acl`.
    [[nodiscard]] M network_acls() const noexcept {
        return self().manager(Kind::NetworkAcl);
    }
    /// NetworkZone objects: `/1.0/network-zones`, by name; needs the API extension `network_dns`.
    [[nodiscard]] M network_zones() const noexcept {
        return self().manager(Kind::NetworkZone);
    }
    /// Warning objects: `/1.0/warnings`, by uuid; cannot be created; needs the API extension
    /// `warnings`.
    [[nodiscard]] M warnings() const noexcept {
        return self().manager(Kind::Warning);
    }
    /// Server objects: `/1.0`, one per server; global (not in a project); cannot be created.
    /// Fetches it, fully loaded (a request each call).
    [[nodiscard]] O server() const {
        return self().singleton(Kind::Server);
    }
    /// Cluster objects: `/1.0/cluster`, one per server; global (not in a project); cannot be
    /// created; needs the API extension `clustering`. Fetches it, fully loaded (a request each
    /// call).
    [[nodiscard]] O cluster() const {
        return self().singleton(Kind::Cluster);
    }
    /// ClusterMember objects: `/1.0/cluster/members`, by server_name; global (not in a project);
    /// cannot be created; needs the API extension `clustering`.
    [[nodiscard]] M cluster_members() const noexcept {
        return self().manager(Kind::ClusterMember);
    }
    /// ClusterGroup objects: `/1.0/cluster/groups`, by name; global (not in a project); needs the
    /// API extension `clustering_groups`.
    [[nodiscard]] M cluster_groups() const noexcept {
        return self().manager(Kind::ClusterGroup);
    }

  protected:
    KindManagers() noexcept = default;

  private:
    [[nodiscard]] const Self &self() const noexcept { return static_cast<const Self &>(*this); }
};

/// The managers of the kinds that live under another object, one accessor
/// each: the base of lxd::ObjectRef (Self), whose children(kind) they call
/// (M: lxd::ChildManager).
/// On an object of another kind than the parent, their calls throw
/// lxd::InvalidArgument.
template <typename Self, typename M> class ChildManagers {
  public:
    /// This Instance's InstanceSnapshot objects: `/1.0/instances/{instance}/snapshots`, by name.
    /// This StorageVolume's StorageVolumeSnapshot objects:
    /// `/1.0/storage-pools/{storage_pool}/volumes/{storage_volume}/snapshots`, by name.
    /// (The kind follows this object's kind; on any other, the first's.)
    [[nodiscard]] M snapshots() const {
        switch (self().kind()) {
        case Kind::StorageVolume: return self().children(Kind::StorageVolumeSnapshot);
        default: return self().children(Kind::InstanceSnapshot);
        }
    }
    /// This Instance's InstanceBackup objects: `/1.0/instances/{instance}/backups`, by name; needs
    /// the API extension `container_backup`.
    /// This StorageVolume's StorageVolumeBackup objects:
    /// `/1.0/storage-pools/{storage_pool}/volumes/{storage_volume}/backups`, by name; needs the API
    /// extension `custom_volume_backup`.
    /// (The kind follows this object's kind; on any other, the first's.)
    [[nodiscard]] M backups() const {
        switch (self().kind()) {
        case Kind::StorageVolume: return self().children(Kind::StorageVolumeBackup);
        default: return self().children(Kind::InstanceBackup);
        }
    }
    /// This StoragePool's StorageVolume objects: `/1.0/storage-pools/{storage_pool}/volumes`, by
    /// name.
    [[nodiscard]] M storage_volumes() const {
        return self().children(Kind::StorageVolume);
    }
    /// This Network's NetworkForward objects: `/1.0/networks/{network}/forwards`, by
    /// listen_address; needs the API extension `network_forward`.
    [[nodiscard]] M forwards() const {
        return self().children(Kind::NetworkForward);
    }
    /// This NetworkZone's NetworkZoneRecord objects: `/1.0/network-zones/{network_zone}/records`,
    /// by name; needs the API extension `network_dns_records`.
    [[nodiscard]] M records() const {
        return self().children(Kind::NetworkZoneRecord);
    }
    /// This Network's NetworkPeer objects: `/1.0/networks/{network}/peers`, by name; needs the API
    /// extension `network_peer`.
    [[nodiscard]] M peers() const {
        return self().children(Kind::NetworkPeer);
    }

  protected:
    ChildManagers() noexcept = default;

  private:
    [[nodiscard]] const Self &self() const noexcept { return static_cast<const Self &>(*this); }
};

} // namespace detail
} // namespace lxd

#endif // LXD_KINDS_HPP
