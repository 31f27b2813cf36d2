// Storage volumes, networks, the server and trust (liblxd's issue 12),
// against the real daemons; outcomes read with lxc and on disk (the pool
// "default" uses the dir driver: a custom volume NAME is the folder
// .../storage-pools/default/custom/default_NAME).

#include "harness.hpp"

#include <cstdlib>
#include <cstring>

namespace {

const std::string main_pool = "/var/lib/lxd/storage-pools/default/";
const std::string second_dir = "/var/lib/lxd-liblxd-second";
const std::string on_second = "LXD_DIR=" + second_dir + " ";

std::string out(const std::string &cmd) {
    auto o = t::sh_out(cmd);
    return o ? *o : std::string("<failed: ") + cmd + ">";
}

std::string vol_file(const std::string &name, const std::string &file) {
    return main_pool + "custom/default_" + name + "/" + file;
}

std::string tmp_dir() {
    char tmpl[] = "/tmp/lxdt-cpp-vol-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
        return "/nonexistent";
    }
    t::defer_sh("rm -rf " + t::shq(tmpl));
    return tmpl;
}

} // namespace

// A custom volume: created (a folder on disk), its config set and saved,
// a snapshot restored over a changed file, a backup exported and imported
// as a second volume with the same file, all deleted.
TEST(custom_volume_lifecycle_with_snapshot_restore_and_backup_import) {
    std::string name = t::unique("vol");
    lxd::Object vol = t::new_volume(name);
    CHECK_EQ(vol.kind(), lxd::Kind::StorageVolume);
    CHECK_EQ(vol.key(), "custom/" + name);
    CHECK_EQ(out("lxc storage volume list default -f csv -c tn | grep -c '^custom," + name + "$'"),
             std::string("1"));
    REQUIRE(t::sh("echo one > " + t::shq(vol_file(name, "f.txt"))) == 0);

    vol.set("config", R"({"user.lxdt":"a"})");
    vol.save();
    CHECK_EQ(out("lxc storage volume get default " + name + " user.lxdt"), std::string("a"));
    vol.patch(R"({"description":"patched"})");
    CHECK_EQ(out("lxc query /1.0/storage-pools/default/volumes/custom/" + name +
                 " | jq -r .description"),
             std::string("patched"));

    lxd::Object snap = vol.snapshots().create(R"({"name":"s0"})");
    CHECK_EQ(snap.kind(), lxd::Kind::StorageVolumeSnapshot);
    CHECK_EQ(out("lxc query /1.0/storage-pools/default/volumes/custom/" + name +
                 "/snapshots | jq -r '.[]'"),
             "/1.0/storage-pools/default/volumes/custom/" + name + "/snapshots/s0");
    REQUIRE(t::sh("echo two > " + t::shq(vol_file(name, "f.txt"))) == 0);
    snap.restore();
    CHECK_EQ(out("cat " + t::shq(vol_file(name, "f.txt"))), std::string("one"));
    CHECK(vol.snapshots().exists("s0"));
    CHECK(!vol.snapshots().exists("s1"));

    // A backup of it, exported and imported as another volume.
    lxd::Object backup = vol.backups().create(R"({"name":"b0"})");
    CHECK_EQ(backup.kind(), lxd::Kind::StorageVolumeBackup);
    std::string file = tmp_dir() + "/b0.tar.gz";
    CHECK_EQ(backup.export_to(file).size(), std::size_t(1));
    // The volume's file and its snapshot's.
    CHECK_EQ(out("tar -tzf " + file + " | grep -c 'f.txt$'"), std::string("2"));
    std::string name2 = t::unique("volimp");
    t::defer_sh("lxc storage volume delete default " + name2 + " >/dev/null 2>&1");
    lxd::Object pool = t::client().storage_pools().get("default");
    lxd::Object imported = pool.import_volume(file, name2);
    CHECK_EQ(imported.key(), "custom/" + name2);
    CHECK_EQ(out("cat " + t::shq(vol_file(name2, "f.txt"))), std::string("one"));
    // Its name taken: LXD refuses.
    CHECK(THROWS(lxd::Error, (void)pool.import_volume(file, name2)));
    imported.remove();
    CHECK(t::sh("lxc storage volume show default " + name2 + " >/dev/null 2>&1") != 0);

    backup.remove();
    snap.remove();
    CHECK_EQ(out("lxc query /1.0/storage-pools/default/volumes/custom/" + name +
                 "/snapshots | jq length"),
             std::string("0"));
    vol.remove();
    CHECK(t::sh("lxc storage volume show default " + name + " >/dev/null 2>&1") != 0);
    CHECK(t::sh("test -e " + t::shq(vol_file(name, ""))) != 0);
}

// A volume copied to the second server in push mode: its file and its
// snapshot arrive; the source stays.
TEST(custom_volume_copies_to_the_second_server_in_push_mode) {
    std::string name = t::unique("volcp");
    lxd::Object vol = t::new_volume(name);
    REQUIRE(t::sh("echo pushed > " + t::shq(vol_file(name, "f.txt"))) == 0);
    (void)vol.snapshots().create(R"({"name":"s0"})");
    lxd::Client second(second_dir + "/unix.socket");
    lxd::Object pool2 = second.storage_pools().get("default");
    std::string copy_name = t::unique("volcp2");
    t::defer_sh(on_second + "lxc storage volume delete default " + copy_name + " >/dev/null 2>&1");
    lxd::VolumeCopyOptions o;
    o.name = copy_name;
    o.mode = lxd::CopyMode::Push;
    lxd::Object copy = vol.copy_to(pool2, o);
    CHECK_EQ(copy.key(), "custom/" + copy_name);
    CHECK_EQ(out("cat " + second_dir + "/storage-pools/default/custom/default_" + copy_name +
                 "/f.txt"),
             std::string("pushed"));
    CHECK_EQ(out(on_second + "lxc query /1.0/storage-pools/default/volumes/custom/" + copy_name +
                 "/snapshots | jq -r '.[]' | sed 's,.*/,,'"),
             std::string("s0"));
    CHECK_EQ(out("cat " + t::shq(vol_file(name, "f.txt"))), std::string("pushed"));
    // Again: the name is taken there.
    CHECK(THROWS(lxd::Error, (void)vol.copy_to(pool2, o)));
    copy.remove();
    CHECK(t::sh(on_second + "lxc storage volume show default " + copy_name + " >/dev/null 2>&1") !=
          0);
}

// A forward on a configuration-only bridge: created with a port, seen by
// lxc, patched, deleted. Peers are OVN's: LXD refuses a bridge's.
TEST(network_forward_on_a_documentation_range_bridge) {
    lxd::Object net = t::new_bridge();
    std::string bridge = net.key();
    lxd::Object fw = net.forwards().create(
        R"({"listen_address":"192.0.2.10","description":"lxdt",)"
        R"("ports":[{"protocol":"tcp","listen_port":"80","target_address":"192.0.2.20","target_port":"8080"}]})");
    CHECK_EQ(fw.kind(), lxd::Kind::NetworkForward);
    CHECK_EQ(fw.key(), std::string("192.0.2.10"));
    std::string show = "lxc query /1.0/networks/" + bridge + "/forwards/192.0.2.10";
    CHECK_EQ(out(show + " | jq -r '.ports[0] | [.listen_port, .target_address, .target_port] | join(\" \")'"),
             std::string("80 192.0.2.20 8080"));
    fw.patch(R"({"description":"patched"})");
    CHECK_EQ(out(show + " | jq -r .description"), std::string("patched"));
    CHECK_EQ(net.forwards().all().size(), std::size_t(1));
    CHECK(t::contains(net.state(), "192.0.2.1"));
    // Its leases (no DHCP: the gateway's only), as lxc reads them.
    std::string leases = net.leases();
    CHECK_EQ(t::jq(leases, "tojson"),
             out("lxc query /1.0/networks/" + bridge + "/leases | jq -c ."));
    CHECK_EQ(t::jq(leases, ".[] | select(.type == \"gateway\") | .address"),
             std::string("192.0.2.1"));
    CHECK(THROWS(lxd::Error, (void)net.peers().all()));
    fw.remove();
    CHECK_EQ(out("lxc query /1.0/networks/" + bridge + "/forwards | jq length"), std::string("0"));
}

// An ACL: created with a rule, renamed, patched, deleted.
TEST(network_acl_lifecycle) {
    std::string name = t::unique("acl");
    std::string renamed = t::unique("acl");
    t::defer_sh("lxc network acl delete " + name + " >/dev/null 2>&1");
    t::defer_sh("lxc network acl delete " + renamed + " >/dev/null 2>&1");
    lxd::Object acl = t::client().network_acls().create(
        R"({"name":)" + lxd::json_string(name) +
        R"(,"ingress":[{"action":"allow","source":"192.0.2.0/24","state":"enabled"}]})");
    CHECK_EQ(out("lxc query /1.0/network-acls/" + name + " | jq -r '.ingress[0].source'"),
             std::string("192.0.2.0/24"));
    acl.rename(renamed);
    CHECK_EQ(acl.key(), renamed);
    acl.patch(R"({"description":"patched"})");
    CHECK_EQ(out("lxc query /1.0/network-acls/" + renamed + " | jq -r .description"),
             std::string("patched"));
    CHECK(t::sh("lxc query /1.0/network-acls/" + name + " >/dev/null 2>&1") != 0);
    // Its log: LXD 5.0.2 keeps OVN ones only, and there is no OVN here.
    auto log = THROWS(lxd::ApiError, (void)acl.log());
    CHECK_MSG(log && t::contains(log->message(),
                                 "GET /1.0/network-acls/" + renamed + "/log: Only OVN"),
              log ? log->message() : std::string("(none)"));
    acl.remove();
    CHECK(t::sh("lxc query /1.0/network-acls/" + renamed + " >/dev/null 2>&1") != 0);
}

// A zone with an A record.
TEST(network_zone_with_a_record) {
    std::string zname = t::unique("zone") + ".example.net";
    lxd::Object zone = t::new_zone(zname);
    lxd::Object rec = zone.records().create(
        R"({"name":"www","entries":[{"type":"A","value":"192.0.2.30"}]})");
    CHECK_EQ(rec.kind(), lxd::Kind::NetworkZoneRecord);
    CHECK_EQ(out("lxc query /1.0/network-zones/" + zname +
                 "/records/www | jq -r '.entries[0] | .type + \" \" + .value'"),
             std::string("A 192.0.2.30"));
    CHECK(zone.records().exists("www"));
    rec.remove();
    CHECK(!zone.records().exists("www"));
    zone.remove();
    CHECK(t::sh("lxc query /1.0/network-zones/" + zname + " >/dev/null 2>&1") != 0);
}

// The server's config: a user.lxdt-cpp-* key set and saved (the whole map,
// ETag-guarded), then removed with a patch.
TEST(server_config_set_save_and_patch) {
    std::string key = "user." + t::unique("srv");
    t::defer_sh("lxc config unset " + key + " >/dev/null 2>&1");
    lxd::Object srv = t::client().server();
    CHECK_EQ(srv.kind(), lxd::Kind::Server);
    // Others may change the config meanwhile: the ETag refuses a stale save.
    bool saved = false;
    for (int attempt = 0; attempt < 5 && !saved; ++attempt) {
        srv.rollback();
        std::string config = srv.get("config");
        std::string merged = t::jq(config, "(. + {" + lxd::json_string(key) + ":\"1\"}) | tojson");
        REQUIRE(!merged.empty());
        srv.set("config", merged);
        try {
            srv.save();
            saved = true;
        } catch (const lxd::PreconditionFailed &) {
        }
    }
    REQUIRE(saved);
    CHECK_EQ(out("lxc config get " + key), std::string("1"));
    CHECK(t::contains(t::client().server().get("config"), key));
    srv.patch(R"({"config":{)" + lxd::json_string(key) + R"(:""}})");
    CHECK_EQ(out("lxc config get " + key), std::string(""));
    CHECK(!t::contains(srv.get("config"), key));
    CHECK(t::contains(srv.get("config"), "core.https_address"));
}

// A trust token: listed, then used by a fresh HTTPS client, which is then
// trusted (its certificate in LXD's trust store) and reads metrics; a
// second token revoked.
TEST(trust_token_authenticates_a_fresh_https_client) {
    std::string name = t::unique("tok");
    std::string dir = tmp_dir();
    std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
    REQUIRE(t::sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-keyout " + key + " -out " + cert +
                  " -days 1 -subj /CN=lxdt-cpp >/dev/null 2>&1") == 0);
    std::string fp = out("openssl x509 -in " + cert +
                         " -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f");
    REQUIRE(fp.size() == 64);
    t::defer_sh("lxc config trust remove " + fp + " >/dev/null 2>&1");
    t::defer([name] {
        try {
            t::client().revoke_trust_token(name);
        } catch (const lxd::Error &) {
        }
    });
    lxd::TrustTokenOptions o;
    o.name = name;
    std::string tok = t::client().create_trust_token(o);
    CHECK_EQ(t::jq(tok, ".client_name"), name);
    std::string token = t::jq(tok, ".token");
    REQUIRE(!token.empty());
    CHECK_EQ(t::jq(t::client().trust_tokens(),
                   "[.[] | select(.client_name == " + lxd::json_string(name) + ")] | length"),
             std::string("1"));

    lxd::ClientOptions co;
    co.cert = cert;
    co.key = key;
    co.server_cert = "/var/lib/lxd/server.crt";
    lxd::Client fresh("https://127.0.0.1:8443", co);
    CHECK(!fresh.trusted());
    CHECK(THROWS(lxd::Forbidden, (void)fresh.metrics()));
    fresh.authenticate(token);
    CHECK(fresh.trusted());
    CHECK_EQ(out("lxc config trust list -f csv | grep -c " + fp.substr(0, 12)), std::string("1"));
    CHECK(fresh.certificates().exists(fp));
    // The token is used up.
    CHECK_EQ(t::jq(t::client().trust_tokens(),
                   "[.[] | select(.client_name == " + lxd::json_string(name) + ")] | length"),
             std::string("0"));
    // Metrics: OpenMetrics text (of the running instances: none here, so
    // only the end marker) over HTTPS to a trusted client.
    std::string metrics = fresh.metrics();
    CHECK(t::contains(metrics, "# EOF"));

    // Another token, revoked: gone from the list.
    std::string name2 = t::unique("tok");
    lxd::TrustTokenOptions o2;
    o2.name = name2;
    std::string tok2 = t::client().create_trust_token(o2);
    t::client().revoke_trust_token(t::jq(tok2, ".id"));
    CHECK_EQ(t::jq(t::client().trust_tokens(),
                   "[.[] | select(.client_name == " + lxd::json_string(name2) + ")] | length"),
             std::string("0"));
    CHECK(THROWS(lxd::NotFound, t::client().revoke_trust_token(name2)));
}

// The server's hardware, as lxc reads it.
TEST(resources_match_the_server) {
    std::string r = t::client().resources();
    CHECK_EQ(t::jq(r, ".cpu.total"), out("lxc query /1.0/resources | jq -r .cpu.total"));
    CHECK_EQ(t::jq(r, ".memory.total > 0"), std::string("true"));
    // A pool's own (action "resources"): its totals as lxc reads them (the
    // used ones move with the other tests').
    std::string pool = t::client().storage_pools().get("default").resources();
    CHECK_EQ(t::jq(pool, "[.space.total, .inodes.total] | tojson"),
             out("lxc query /1.0/storage-pools/default/resources | "
                 "jq -c '[.space.total, .inodes.total]'"));
    CHECK_EQ(t::jq(pool, ".space.used > 0"), std::string("true"));
    lxd::Object profile = t::client().profiles().get("default");
    auto notpool = THROWS(lxd::InvalidArgument, (void)profile.resources());
    CHECK(notpool && notpool->http_status() == 0);
}

// Events of every project: a default-project client sees a profile made
// in another project.
TEST(events_of_all_projects) {
    std::string project = t::unique("evproj");
    std::string profile = t::unique("evprof");
    t::defer_sh("lxc project delete " + project + " >/dev/null 2>&1");
    t::defer_sh("lxc profile delete --project " + project + " " + profile + " >/dev/null 2>&1");
    REQUIRE(t::sh("lxc project create " + project + " >/dev/null") == 0);
    lxd::EventsOptions eo;
    eo.types = {"lifecycle"};
    eo.all_projects = true;
    lxd::Events all = t::client().events(eo);
    lxd::Events mine = t::client().events("lifecycle");
    REQUIRE(t::sh("lxc profile create --project " + project + " " + profile + " >/dev/null") == 0);
    bool seen = false;
    while (!seen) {
        std::optional<std::string> e = all.next(20000);
        if (!e) break;
        seen = t::contains(*e, profile) && t::contains(*e, "profile-created");
    }
    CHECK(seen);
    // The default project's stream does not carry it.
    bool leaked = false;
    while (std::optional<std::string> e = mine.next(0)) {
        leaked = leaked || t::contains(*e, profile);
    }
    CHECK(!leaked);
}
