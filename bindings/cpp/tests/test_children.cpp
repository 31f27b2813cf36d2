// Objects that live under an instance, through its child managers
// (inst.snapshots(), inst.backups(), inst.children(kind)): snapshots
// created, listed, fetched, updated (expires_at, by save and by patch),
// restored (the file's content comes back), renamed and deleted; backups
// created, exported to a tarball (which holds the file) and imported as a
// new instance (which starts and has the file). Every outcome is checked
// with lxc or tar.

#include "harness.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <set>

namespace {

// The names of an instance's snapshots (or backups), as lxc sees them,
// sorted and comma-separated.
std::string lxc_children(const std::string &instance, const std::string &what) {
    return t::sh_out("lxc query /1.0/instances/" + instance + "/" + what +
                     " | jq -r '[.[] | split(\"/\") | last] | sort | join(\",\")'")
        .value_or("(lxc failed)");
}

std::string lxc_file(const std::string &instance, const std::string &path) {
    return t::sh_out("lxc file pull " + instance + path + " -").value_or("(lxc failed)");
}

// The keys of a list's objects, sorted and comma-separated.
std::string keys(const lxd::List &list) {
    std::set<std::string> sorted;
    for (lxd::ObjectRef o : list) {
        sorted.insert(o.key());
    }
    std::string out;
    for (const std::string &k : sorted) {
        out += (out.empty() ? "" : ",") + k;
    }
    return out;
}

// A fresh temporary folder, removed after the test.
std::string temp_dir() {
    char tmpl[] = "/tmp/lxdt-cpp-children-XXXXXX";
    char *d = mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    std::string dir = d;
    t::defer_sh("rm -rf " + t::shq(dir));
    return dir;
}

long long file_size(const std::string &path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

} // namespace

TEST(snapshots_create_list_get_update_restore_rename_delete) {
    std::string name = t::unique("snap");
    lxd::Object c = t::new_container(name);
    lxd::Files f = c.files();
    f.put("/root/f", "v1");

    lxd::ChildManager snaps = c.snapshots();
    CHECK(snaps.kind() == lxd::Kind::InstanceSnapshot);
    CHECK_EQ(snaps.info(), lxd::kind_info(lxd::Kind::InstanceSnapshot));
    CHECK(!snaps.exists("s0"));
    CHECK_EQ(snaps.all().size(), std::size_t(0));

    lxd::Object s0 = snaps.create(R"({"name":"s0"})");
    CHECK(s0.kind() == lxd::Kind::InstanceSnapshot);
    CHECK_EQ(s0.key(), std::string("s0"));
    CHECK_EQ(lxc_children(name, "snapshots"), std::string("s0"));

    // Without a name LXD picks one, which the object learns.
    f.put("/root/f", "v2");
    lxd::Object auto_named = snaps.create("{}");
    std::string auto_key = auto_named.key();
    CHECK(!auto_key.empty() && auto_key != "s0");
    CHECK_EQ(lxc_children(name, "snapshots"), "s0," + auto_key);

    // all, get, exists, and a missing one.
    lxd::List all = snaps.all();
    CHECK_EQ(keys(all), "s0," + auto_key);
    for (lxd::ObjectRef o : all) {
        CHECK(o.kind() == lxd::Kind::InstanceSnapshot);
    }
    lxd::Object again = snaps.get("s0");
    CHECK_EQ(again.get("name"), std::string(R"("s0")"));
    CHECK(snaps.exists("s0"));
    CHECK(c.children(lxd::Kind::InstanceSnapshot).exists(auto_key));
    auto nf = THROWS(lxd::NotFound, (void)snaps.get("lxdt-cpp-none"));
    CHECK(nf && nf->http_status() == 404);

    // expires_at: set and saved, then patched; read-only attributes refused.
    std::string snap_path = "lxc query /1.0/instances/" + name + "/snapshots/s0";
    s0.set("expires_at", R"("2031-01-02T03:04:05Z")");
    s0.save(true);
    CHECK(!s0.dirty());
    CHECK_EQ(t::sh_out(snap_path + " | jq -r '.expires_at[:19]'"),
             std::optional<std::string>("2031-01-02T03:04:05"));
    s0.patch(R"({"expires_at":"2032-06-07T08:09:10Z"})");
    CHECK_EQ(t::sh_out(snap_path + " | jq -r '.expires_at[:19]'"),
             std::optional<std::string>("2032-06-07T08:09:10"));
    CHECK(t::contains(s0.get("expires_at"), "2032-06-07T08:09:10"));
    THROWS(lxd::ReadOnly, s0.set("stateful", "true"));
    THROWS(lxd::ReadOnly, s0.patch(R"({"config":{}})"));

    // restore: the file comes back, through restore() and the generic action.
    f.put("/root/f", "v3");
    s0.restore();
    CHECK_EQ(lxc_file(name, "/root/f"), std::string("v1"));
    std::string op = auto_named.action("restore");
    CHECK(t::contains(op, "Success"));
    CHECK_EQ(lxc_file(name, "/root/f"), std::string("v2"));

    // rename: the object follows the new name.
    s0.rename("s0-renamed");
    CHECK_EQ(s0.key(), std::string("s0-renamed"));
    CHECK_EQ(lxc_children(name, "snapshots"),
             auto_key < "s0-renamed" ? auto_key + ",s0-renamed" : "s0-renamed," + auto_key);
    CHECK_EQ(s0.get("name"), std::string(R"("s0-renamed")"));
    CHECK(!snaps.exists("s0"));

    // delete.
    s0.remove();
    CHECK_EQ(lxc_children(name, "snapshots"), auto_key);
    CHECK(!snaps.exists("s0-renamed"));

    // Every kind that lives under an instance: a missing key is NotFound.
    for (lxd::Kind k : lxd::all_kinds) {
        if (lxd::parent_of(k) == lxd::Kind::Instance) {
            CHECK_MSG(THROWS(lxd::NotFound, (void)c.children(k).get("lxdt-cpp-none")).has_value(),
                      lxd::to_string(k));
            CHECK_MSG(!c.children(k).exists("lxdt-cpp-none"), lxd::to_string(k));
        }
    }
    // A parent of another kind, a top-level kind as a child, an empty parent.
    lxd::Object profile = t::client().profiles().get("default");
    THROWS(lxd::InvalidArgument, (void)profile.snapshots().all());
    THROWS(lxd::InvalidArgument, (void)c.children(lxd::Kind::Profile).get("default"));
    lxd::ObjectRef empty;
    THROWS(lxd::InvalidArgument, (void)empty.snapshots());
    THROWS(lxd::InvalidArgument, (void)lxd::ChildManager(empty, lxd::Kind::InstanceSnapshot).all());
}

TEST(backups_create_export_and_import_as_a_new_instance) {
    std::string name = t::unique("backup");
    lxd::Object c = t::new_container(name);
    c.files().put("/root/f", "backed up\n");
    std::string dir = temp_dir();

    lxd::ChildManager backups = c.backups();
    CHECK(backups.kind() == lxd::Kind::InstanceBackup);
    lxd::Object b0 = backups.create(
        R"({"name":"b0","instance_only":true,"compression_algorithm":"gzip"})");
    CHECK(b0.kind() == lxd::Kind::InstanceBackup);
    CHECK_EQ(b0.key(), std::string("b0"));
    CHECK_EQ(lxc_children(name, "backups"), std::string("b0"));
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + "/backups/b0 | jq .instance_only"),
             std::optional<std::string>("true"));
    CHECK(backups.exists("b0"));
    CHECK_EQ(keys(backups.all()), std::string("b0"));
    CHECK_EQ(backups.get("b0").get("instance_only"), std::string("true"));
    // Nothing of a backup can be changed in place.
    THROWS(lxd::ReadOnly, b0.set("expires_at", R"("2031-01-01T00:00:00Z")"));
    THROWS(lxd::InvalidArgument, b0.patch(R"({"expires_at":"2031-01-01T00:00:00Z"})"));

    // export: the tarball holds the file; progress reaches its size.
    std::string tarball = dir + "/b0.tar.gz";
    std::uint64_t last_done = 0;
    int calls = 0;
    b0.export_to(tarball, [&](std::uint64_t done, std::uint64_t) {
        ++calls;
        last_done = done;
        return true;
    });
    CHECK(calls > 0);
    CHECK(file_size(tarball) > 0);
    CHECK_EQ(static_cast<long long>(last_done), file_size(tarball));
    CHECK_EQ(t::sh_out("tar -xzOf " + tarball + " backup/container/rootfs/root/f"),
             std::optional<std::string>("backed up"));
    // The generic action does the same.
    std::string again = dir + "/again.tar.gz";
    b0.action_to_file("export", std::nullopt, again);
    CHECK_EQ(t::sh("cmp -s " + tarball + " " + again), 0);
    // Stopped by its progress callback: lxd::Cancelled, and no file left.
    std::string stopped = dir + "/stopped.tar.gz";
    THROWS(lxd::Cancelled, b0.export_to(stopped, [](std::uint64_t, std::uint64_t) { return false; }));
    CHECK_EQ(file_size(stopped), -1LL);

    // import: a new instance that starts and has the file.
    std::string imported = t::unique("imported");
    t::defer_sh("lxc delete -f " + imported + " >/dev/null 2>&1");
    lxd::ImportOptions io;
    io.name = imported;
    std::uint64_t sent = 0;
    lxd::Object n = t::client().import_instance(tarball, io, true,
                                                [&](std::uint64_t done, std::uint64_t) {
                                                    sent = done;
                                                    return true;
                                                });
    CHECK_EQ(n.key(), imported);
    CHECK_EQ(static_cast<long long>(sent), file_size(tarball));
    CHECK_EQ(t::sh_out("lxc list -c n --format csv " + t::shq("^" + imported + "$")),
             std::optional<std::string>(imported));
    n.start(-1, false, true);
    CHECK_EQ(t::sh_out("lxc exec " + imported + " -- cat /root/f"),
             std::optional<std::string>("backed up"));
    // The same name again is LXD's refusal; a missing file is NotFound.
    THROWS(lxd::Error, (void)t::client().import_instance(tarball, io));
    THROWS(lxd::NotFound, (void)t::client().import_instance(dir + "/missing.tar.gz"));

    // rename, delete.
    b0.rename("b1");
    CHECK_EQ(b0.key(), std::string("b1"));
    CHECK_EQ(lxc_children(name, "backups"), std::string("b1"));
    b0.remove();
    CHECK_EQ(lxc_children(name, "backups"), std::string(""));
    CHECK(!backups.exists("b1"));
}
