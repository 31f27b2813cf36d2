// Instances that move between the two real daemons (the main one and the
// second, scripts/lxd-private.sh second: LXD_DIR /var/lib/lxd-liblxd-second,
// HTTPS 127.0.0.2:8443), and instances published as images:
// ObjectRef::copy_to in each lxd::CopyMode (with and without snapshots),
// a refresh of an existing copy, a taken name (lxd::Conflict, the source
// intact), a local copy (both clients on one server), move_to (a running
// instance refused; then gone from the main server, on the second), and
// publish of an instance and of a snapshot.
//
// One stopped source container serves the file: it holds a file of its
// own content and a snapshot s0. Outcomes are read with lxc (the second
// server's with LXD_DIR): the copies' file checksum and snapshots.

#include "harness.hpp"

#include <cstdlib>
#include <memory>

namespace {

const std::string second_dir = "/var/lib/lxd-liblxd-second";
const std::string on_second = "LXD_DIR=" + second_dir + " ";
const std::string mark = "/lxdt-migration.txt";

std::string out(const std::string &cmd) { return t::sh_out(cmd).value_or("(failed: " + cmd + ")"); }

std::string jq(const std::string &json, const std::string &filter) {
    return out("printf '%s' " + t::shq(json) + " | jq -r " + t::shq(filter));
}

struct Shared {
    std::unique_ptr<lxd::Client> second;
    std::string name, sum;
    lxd::Object source;
};

std::unique_ptr<Shared> shared;

void drop_shared() {
    if (shared) {
        std::string name = shared->name;
        shared.reset();
        if (!name.empty()) {
            t::sh("lxc delete -f " + name + " >/dev/null 2>&1");
        }
    }
}

Shared &state() {
    if (!shared) {
        shared = std::make_unique<Shared>();
        std::atexit(drop_shared);
    }
    return *shared;
}

// A client of the second server, on its unix socket.
lxd::Client &second() {
    Shared &s = state();
    if (!s.second) {
        s.second = std::make_unique<lxd::Client>(second_dir + "/unix.socket");
    }
    return *s.second;
}

// A stopped container `name` with `mark` (content of its own) and a
// snapshot s0; the md5 of the file.
std::string prepare(lxd::Object &o, const std::string &name) {
    o = t::client().containers().create(t::busybox(name));
    o.files().put(mark, "migrated from " + name + " at " + out("date +%s%N"));
    (void)o.snapshots().create(R"({"name":"s0"})");
    return out("lxc file pull " + name + mark + " - | md5sum | cut -d' ' -f1");
}

// The source shared by the tests (made on first use, deleted at exit).
Shared &source() {
    Shared &s = state();
    if (!s.source) {
        s.name = t::unique("mig-src");
        s.sum = prepare(s.source, s.name);
    }
    return s;
}

std::string second_sum(const std::string &name) {
    return out(on_second + "lxc file pull " + name + mark + " - | md5sum | cut -d' ' -f1");
}

std::string second_snapshots(const std::string &name) {
    return out(on_second + "lxc query /1.0/instances/" + name +
               "/snapshots | jq -r '.[]' | sed 's|.*/||' | tr '\\n' ' '");
}

void copy_in_mode(lxd::CopyMode mode, const char *label, bool instance_only) {
    Shared &s = source();
    std::string name = t::unique(label);
    t::defer_sh(on_second + "lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::CopyOptions o;
    o.name = name;
    o.mode = mode;
    o.instance_only = instance_only;
    o.config = {{"user.copied", label}};
    lxd::Object copy = s.source.copy_to(second(), o);
    // The object is the copy, on the second server.
    CHECK_EQ(copy.key(), name);
    CHECK_EQ(copy.get("status"), lxd::json_string("Stopped"));
    CHECK_EQ(out(on_second + "lxc list " + name + " -c ns --format csv"), name + ",STOPPED");
    CHECK_EQ(second_sum(name), s.sum);
    CHECK_EQ(second_snapshots(name), instance_only ? "" : "s0 ");
    CHECK_EQ(out(on_second + "lxc config get " + name + " user.copied"), label);
    // The source is untouched.
    CHECK_EQ(out("lxc list " + s.name + " -c s --format csv"), "STOPPED");
    CHECK_EQ(out("lxc query /1.0/instances/" + s.name + "/snapshots | jq length"), "1");
}

} // namespace

TEST(instance_copy_pull_with_snapshots) { copy_in_mode(lxd::CopyMode::Pull, "pull", false); }
TEST(instance_copy_push_instance_only) { copy_in_mode(lxd::CopyMode::Push, "push", true); }
TEST(instance_copy_relay_with_snapshots) { copy_in_mode(lxd::CopyMode::Relay, "relay", false); }

// A refresh brings a change of the source to an existing copy; without
// refresh the name is taken: lxd::Conflict, copy and source as they were.
TEST(instance_copy_refresh_and_a_taken_name) {
    Shared &s = source();
    std::string name = t::unique("refresh");
    t::defer_sh(on_second + "lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::CopyOptions o;
    o.name = name;
    lxd::Object copy = s.source.copy_to(second(), o);
    CHECK_EQ(second_sum(name), s.sum);
    CHECK_EQ(t::sh(on_second + "lxc file pull " + name + "/lxdt-extra.txt - >/dev/null 2>&1") != 0,
             true);

    std::string extra = "refreshed " + name;
    s.source.files().put("/lxdt-extra.txt", extra);
    t::defer_sh("lxc file delete " + s.name + "/lxdt-extra.txt >/dev/null 2>&1");
    lxd::CopyOptions r = o;
    r.refresh = true;
    lxd::Object again = s.source.copy_to(second(), r);
    CHECK_EQ(again.key(), name);
    CHECK_EQ(out(on_second + "lxc file pull " + name + "/lxdt-extra.txt -"), extra);
    CHECK_EQ(second_sum(name), s.sum);

    auto taken = THROWS(lxd::Conflict, (void)s.source.copy_to(second(), o));
    CHECK(taken && taken->code() == LXD_ERR_CONFLICT);
    CHECK_EQ(second_sum(name), s.sum);
    CHECK_EQ(out(on_second + "lxc list " + name + " -c n --format csv"), name);
    CHECK_EQ(out("lxc file pull " + s.name + mark + " - | md5sum | cut -d' ' -f1"), s.sum);
    CHECK_EQ(out("lxc list " + s.name + " -c s --format csv"), "STOPPED");

    // Refused before any request: relay without wait, an empty target.
    lxd::CopyOptions relay;
    relay.mode = lxd::CopyMode::Relay;
    CHECK(THROWS(lxd::InvalidArgument, (void)s.source.copy_to(second(), relay, false)));
    lxd::Client gone;
    gone.close();
    CHECK(THROWS(lxd::InvalidArgument, (void)s.source.copy_to(gone, o)));
    CHECK(THROWS(lxd::InvalidArgument, (void)s.source.move_to(gone)));
}

// A local copy (both clients on the main server) is then moved to the
// second server: refused while it runs; afterwards only there.
TEST(instance_local_copy_then_move_to_the_second_server) {
    Shared &s = source();
    std::string name = t::unique("move");
    t::defer_sh("lxc delete -f " + name + " >/dev/null 2>&1");
    t::defer_sh(on_second + "lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::CopyOptions o;
    o.name = name;
    lxd::Object local = s.source.copy_to(t::client(), o);
    CHECK_EQ(out("lxc file pull " + name + mark + " - | md5sum | cut -d' ' -f1"), s.sum);
    CHECK_EQ(out("lxc query /1.0/instances/" + name + "/snapshots | jq -r '.[]' | sed 's|.*/||'"),
             "s0");

    local.start();
    CHECK(THROWS(lxd::InvalidArgument, (void)local.move_to(second())));
    CHECK_EQ(out("lxc list " + name + " -c s --format csv"), "RUNNING");
    CHECK_EQ(out(on_second + "lxc list " + name + " -c n --format csv"), "");
    local.stop(-1, true);

    lxd::CopyOptions push;
    push.mode = lxd::CopyMode::Push;
    lxd::Object moved = local.move_to(second(), push);
    CHECK_EQ(moved.key(), name);
    CHECK_EQ(out("lxc list " + name + " -c n --format csv"), "");
    CHECK_EQ(out(on_second + "lxc list " + name + " -c ns --format csv"), name + ",STOPPED");
    CHECK_EQ(second_sum(name), s.sum);
    CHECK_EQ(second_snapshots(name), "s0 ");
}

TEST(publish_an_instance_and_a_snapshot) {
    Shared &s = source();
    std::string alias = t::unique("pub");
    t::defer_sh("lxc image alias delete " + alias + " >/dev/null 2>&1");
    lxd::PublishOptions o;
    o.aliases = {alias};
    o.public_ = true;
    o.properties = {{"lxdt.from", s.name}};
    o.compression_algorithm = "none";
    lxd::Object img = s.source.publish(o);
    std::string fp = jq(img.get("fingerprint"), ".");
    t::defer_sh("lxc image delete " + fp + " >/dev/null 2>&1");
    CHECK(img.kind() == lxd::Kind::Image);
    CHECK_EQ(fp.size(), std::size_t(64));
    CHECK_EQ(out("lxc query /1.0/images/aliases/" + alias + " | jq -r .target"), fp);
    CHECK_EQ(out("lxc query /1.0/images/" + fp +
                 " | jq -r '[.public, .properties[\"lxdt.from\"]] | join(\",\")'"),
             "true," + s.name);
    // The image holds the instance's file: its exported rootfs has it.
    std::string dir = out("mktemp -d /tmp/lxdt-cpp-pub-XXXXXX");
    t::defer_sh("rm -rf " + t::shq(dir));
    std::vector<std::string> files = img.export_to(dir);
    REQUIRE_EQ(files.size(), std::size_t(1));
    CHECK_EQ(out("tar -xOf " + t::shq(files[0]) + " rootfs" + mark + " | md5sum | cut -d' ' -f1"),
             s.sum);

    // A snapshot, not waited for: the image learns its fingerprint.
    lxd::Object snap = s.source.snapshots().get("s0");
    lxd::Object img2 = snap.publish({}, false);
    std::optional<lxd::Object> op = img2.operation();
    REQUIRE(op.has_value());
    op->wait(120);
    std::string fp2 = jq(img2.get("fingerprint"), ".");
    t::defer_sh("lxc image delete " + fp2 + " >/dev/null 2>&1");
    CHECK_EQ(fp2.size(), std::size_t(64));
    CHECK_EQ(out("lxc query /1.0/images/" + fp2 + " | jq -r .public"), "false");

    // Not an instance nor a snapshot.
    CHECK(THROWS(lxd::InvalidArgument, (void)img.publish()));
}
