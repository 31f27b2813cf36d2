// What objects do beyond their attributes: the instance's typed actions
// (logs, console log, metadata, templates), its console session, the
// generic action / action_bytes / action_to_file / collection_action and
// their refusals, PATCH, set_state_all (in a project of the test's own,
// never the default one), and lxd::ExtensionMissing before any request
// (from a FAKE LXD without the extensions, tests/fake_lxd.hpp: the real
// LXD 5.0.2 has them all). Outcomes are checked with lxc.

#include "fake_lxd.hpp"
#include "harness.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

namespace {

struct Box {
    std::string name;
    lxd::Object obj;
};

std::unique_ptr<Box> box_holder;

void drop_box() {
    if (box_holder) {
        std::string name = box_holder->name;
        box_holder.reset();
        t::sh("lxc delete -f " + name + " >/dev/null 2>&1");
    }
}

// The running container the action tests share (made on first use,
// deleted at exit).
Box &box() {
    if (!box_holder) {
        std::string name = t::unique("actions");
        std::atexit(drop_box);
        box_holder = std::make_unique<Box>();
        box_holder->name = name;
        box_holder->obj = t::client().containers().create(t::busybox(name), true);
        box_holder->obj.start(-1, false, true);
    }
    return *box_holder;
}

// Write `text` (a line) to the instance's console from inside it.
void to_console(const std::string &instance, const std::string &text) {
    CHECK_EQ(t::sh("lxc exec " + instance + " -- sh -c " + t::shq("echo " + text + " >/dev/console")),
             0);
}

// Read from `s` until the output so far contains `needle` (or 20 s passed).
std::string read_until(lxd::ExecSession &s, const std::string &needle) {
    std::string got;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!t::contains(got, needle) && std::chrono::steady_clock::now() < until) {
        std::optional<std::string> chunk = s.read(500);
        if (chunk && chunk->empty()) {
            break; // end of output
        }
        if (chunk) {
            got += *chunk;
        }
    }
    return got;
}

// jq `filter` applied to `json`; its output (raw), or "(jq failed)".
std::string jq(const std::string &json, const std::string &filter) {
    char path[] = "/tmp/lxdt-cpp-actions-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
        std::ofstream f(path, std::ios::binary);
        f << json;
    }
    std::optional<std::string> out = t::sh_out("jq -cr " + t::shq(filter) + " " + path);
    std::remove(path);
    return out.value_or("(jq failed)");
}

} // namespace

TEST(logs_list_read_and_delete_log_files) {
    Box &b = box();
    std::string logs = b.obj.logs();
    CHECK_EQ(jq(logs, "map(split(\"/\") | last) | index(\"lxc.log\") != null"), std::string("true"));
    CHECK_EQ(logs, b.obj.action("logs"));
    // lxc.log, byte for byte as lxc reads it (LXD may append while we
    // read: the earlier copy is a prefix of the later one).
    std::string mine = b.obj.log("lxc.log");
    std::optional<std::string> lxc =
        t::sh_out("lxc query --raw /1.0/instances/" + b.name + "/logs/lxc.log");
    REQUIRE(lxc.has_value());
    CHECK(!mine.empty());
    std::string trimmed = mine;
    while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
    CHECK_MSG(lxc->rfind(trimmed, 0) == 0, "log(\"lxc.log\") is not what lxc reads");
    CHECK_EQ(b.obj.action_bytes("log", R"({"name":"lxc.log"})").substr(0, mine.size()), mine);
    // LXD refuses to delete lxc.log and lxc.conf: they stay.
    auto e = THROWS(lxd::ApiError, b.obj.delete_log("lxc.log"));
    CHECK(e && e->http_status() == 400);
    THROWS(lxd::ApiError, b.obj.delete_log("lxc.conf"));
    std::string listed = t::sh_out("lxc query /1.0/instances/" + b.name + "/logs").value_or("");
    CHECK(t::contains(listed, "/lxc.log\""));
    CHECK(t::contains(listed, "/lxc.conf\""));
    // A log that may be deleted (LXD's own are exec_*.log and the like),
    // put where the daemon keeps this instance's logs.
    std::string extra = "/var/lib/lxd/logs/" + b.name + "/exec_lxdt.log";
    REQUIRE_EQ(t::sh("printf 'lxdt log line\\n' >" + t::shq(extra)), 0);
    t::defer_sh("rm -f " + t::shq(extra));
    CHECK_EQ(b.obj.log("exec_lxdt.log"), std::string("lxdt log line\n"));
    b.obj.delete_log("exec_lxdt.log");
    CHECK_EQ(t::sh("test -e " + t::shq(extra)), 1);
    CHECK(!t::contains(t::sh_out("lxc query /1.0/instances/" + b.name + "/logs").value_or("exec_lxdt"),
                       "exec_lxdt.log"));
    THROWS(lxd::Error, (void)b.obj.log("lxdt-cpp-none.log"));
}

// Write `marker` to the console and read the console log with `read`
// until it holds it: LXD 5.0.2 hands out a running container's console
// buffer once (a read gives what came since the last one) and, when it has
// nothing to give or is not ready yet, answers HTTP 500 "open : no such
// file or directory" (lxd::ApiError). True once a read held the marker.
static bool console_log_gets(const std::string &instance, const std::string &marker,
                      const std::function<std::string()> &read) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        to_console(instance, marker);
        try {
            if (t::contains(read(), marker)) {
                return true;
            }
        } catch (const lxd::ApiError &) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

TEST(console_log_read_and_cleared) {
    Box &b = box();
    std::string marker = "lxdt-cpp-console-log-" + std::to_string(getpid());
    CHECK(console_log_gets(b.name, marker, [&] { return b.obj.console_log(); }));
    // The generic action reads it too.
    CHECK(console_log_gets(b.name, marker + "-generic",
                           [&] { return b.obj.action_bytes("console_log"); }));
    // Cleared: neither lxc nor we read what was written before.
    std::string marker2 = marker + "-cleared";
    to_console(b.name, marker2);
    b.obj.clear_console_log();
    CHECK(!t::contains(t::sh_out("lxc query /1.0/instances/" + b.name + "/console 2>/dev/null")
                           .value_or(""),
                       marker2));
    try {
        CHECK(!t::contains(b.obj.console_log(), marker2));
    } catch (const lxd::ApiError &) {
        // nothing came since: LXD's error
    }
}

TEST(metadata_and_templates_round_trip) {
    Box &b = box();
    std::string md = b.obj.metadata();
    CHECK_EQ(jq(md, ".architecture | type"), std::string("string"));
    CHECK_EQ(md, b.obj.action("metadata"));
    // Replace it whole, with one property changed.
    std::string changed = jq(md, ".properties.description = \"lxdt-cpp described\"");
    b.obj.set_metadata(changed);
    std::string show = "lxc config metadata show " + b.name;
    CHECK(t::contains(t::sh_out(show).value_or(""), "description: lxdt-cpp described"));
    // Patch one field: the others stay.
    b.obj.patch_metadata(R"({"expiry_date":1234567890})");
    std::string after = t::sh_out(show).value_or("");
    CHECK(t::contains(after, "expiry_date: 1234567890"));
    CHECK(t::contains(after, "description: lxdt-cpp described"));
    CHECK_EQ(jq(b.obj.metadata(), ".properties.description"), std::string("lxdt-cpp described"));

    // Templates: put, list, read, delete.
    std::string content = "name: {{ container.name }}\n";
    b.obj.put_template("lxdt.tpl", content);
    CHECK(t::contains(t::sh_out("lxc config template list " + b.name).value_or(""), "lxdt.tpl"));
    CHECK_EQ(t::sh_out("lxc config template show " + b.name + " lxdt.tpl"),
             std::optional<std::string>("name: {{ container.name }}"));
    CHECK_EQ(b.obj.get_template("lxdt.tpl"), content);
    CHECK_EQ(b.obj.action_bytes("template", R"({"path":"lxdt.tpl"})"), content);
    CHECK_EQ(jq(b.obj.templates(), "index(\"lxdt.tpl\") != null"), std::string("true"));
    b.obj.delete_template("lxdt.tpl");
    CHECK(!t::contains(t::sh_out("lxc config template list " + b.name).value_or("lxdt.tpl"),
                       "lxdt.tpl"));
    THROWS(lxd::NotFound, (void)b.obj.get_template("lxdt.tpl"));
}

TEST(generic_actions_run_and_refuse_what_they_cannot) {
    Box &b = box();
    std::string state = b.obj.action("state");
    CHECK_EQ(jq(state, ".status"), std::string("Running"));
    CHECK_EQ(jq(state, ".pid > 0"), std::string("true"));
    // No such action; an action of another entry point; bad arguments.
    auto e = THROWS(lxd::InvalidArgument, (void)b.obj.action("lxdt-no-such-action"));
    CHECK(e && e->http_status() == 0);
    THROWS(lxd::InvalidArgument, (void)b.obj.action("log", R"({"name":"lxc.log"})"));
    THROWS(lxd::InvalidArgument, (void)b.obj.action_bytes("logs"));
    THROWS(lxd::InvalidArgument, b.obj.action_to_file("log", R"({"name":"lxc.log"})", "/tmp/x"));
    THROWS(lxd::InvalidArgument, (void)b.obj.action_bytes("log")); // no name
    THROWS(lxd::InvalidArgument, (void)b.obj.action("metadata", "{not json"));
    // Actions of other kinds.
    THROWS(lxd::InvalidArgument, b.obj.restore());
    THROWS(lxd::InvalidArgument, b.obj.export_to("/tmp/lxdt-cpp-never"));
    lxd::Object profile = t::client().profiles().get("default");
    THROWS(lxd::InvalidArgument, (void)profile.logs());
    THROWS(lxd::InvalidArgument,
           (void)t::client().collection_action(lxd::Kind::Profile, "set_state_all", "{}"));
    THROWS(lxd::InvalidArgument,
           (void)t::client().collection_action(lxd::Kind::Instance, "logs", std::nullopt));
    // The instance is as it was.
    CHECK_EQ(t::sh_out("lxc list -c s --format csv " + t::shq("^" + b.name + "$")),
             std::optional<std::string>("RUNNING"));
}

TEST(console_session_reads_writes_resizes_and_ends_with_the_instance) {
    std::string name = t::unique("console");
    lxd::Object c = t::new_container(name, true);
    lxd::ConsoleOptions co;
    co.width = 100;
    co.height = 30;
    lxd::ExecSession s = c.console(co);
    // What the instance writes to its console arrives.
    std::string marker = "lxdt-cpp-console-" + std::to_string(getpid());
    to_console(name, marker);
    CHECK(t::contains(read_until(s, marker), marker));
    // What is typed reaches a reader of the console inside.
    lxd::ExecSession reader =
        c.exec_interactive({"sh", "-c", "head -n 1 </dev/console >/root/typed"});
    CHECK(t::eventually(
        [&] {
            auto ps = t::sh_out("lxc exec " + name + " -- ps");
            return ps && t::contains(*ps, "head -n 1");
        },
        10));
    s.write("typed into the console\n");
    CHECK_EQ(reader.wait(20000), std::optional<int>(0));
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- cat /root/typed"),
             std::optional<std::string>("typed into the console"));
    // Resizing is accepted (LXD 5.0.2 does not pass a console's size on to
    // the container's /dev/console: `stty size` there fails either way).
    s.resize(120, 40);
    // No command: no signal; it runs until the instance stops. (That a stop
    // ends it with 0 is tested in C on a daemon of its own: LXD 5.0.2 can
    // crash on it.) Closed first, then the instance stopped.
    THROWS(lxd::InvalidArgument, s.signal(15));
    CHECK_EQ(s.wait(200), std::optional<int>());
    s.close();
    CHECK(!s);
    c.stop(-1, true, true);
    // A console of a stopped instance is LXD's refusal.
    THROWS(lxd::Error, (void)c.console());
}

TEST(patch_changes_only_the_given_fields_and_keeps_local_changes) {
    std::string name = t::unique("patch");
    t::defer_sh("lxc profile delete " + name + " >/dev/null 2>&1");
    lxd::Object p = t::client().profiles().create(
        R"({"name":)" + lxd::json_string(name) +
        R"(,"description":"before","config":{"user.a":"1","user.b":"2"}})");
    auto get = [&](const std::string &key) {
        return t::sh_out("lxc profile get " + name + " " + key).value_or("(lxc failed)");
    };
    p.set("description", R"("local only")");
    p.patch(R"({"config":{"user.b":"3","user.c":"4"}})");
    CHECK_EQ(get("user.a"), std::string("1"));
    CHECK_EQ(get("user.b"), std::string("3"));
    CHECK_EQ(get("user.c"), std::string("4"));
    CHECK_EQ(t::sh_out("lxc query /1.0/profiles/" + name + " | jq -r .description"),
             std::optional<std::string>("before"));
    // The local change stays local; the patched fields are synced.
    CHECK(p.dirty());
    CHECK_EQ(p.get("description"), std::string(R"("local only")"));
    CHECK_EQ(jq(p.get("config"), ".\"user.c\""), std::string("4"));
    p.rollback();
    // A key set to "" is removed.
    p.patch(R"({"config":{"user.a":""}})");
    CHECK_EQ(t::sh_out("lxc query /1.0/profiles/" + name + " | jq '.config | has(\"user.a\")'"),
             std::optional<std::string>("false"));
    // Changed on the server since the last sync: refused, nothing sent.
    REQUIRE_EQ(t::sh("lxc profile set " + name + " user.d 5"), 0);
    THROWS(lxd::PreconditionFailed, p.patch(R"({"config":{"user.e":"6"}})"));
    CHECK_EQ(get("user.e"), std::string(""));
    p.sync();
    p.patch(R"({"config":{"user.e":"6"}})");
    CHECK_EQ(get("user.e"), std::string("6"));
    CHECK_EQ(get("user.d"), std::string("5"));
    // Fields that cannot be patched.
    THROWS(lxd::ReadOnly, p.patch(R"({"name":"other"})"));
    THROWS(lxd::UnknownAttribute, p.patch(R"({"lxdt_no_such":1})"));
    THROWS(lxd::InvalidArgument, p.patch("[1]"));
    CHECK_EQ(get("user.e"), std::string("6"));
}

TEST(set_state_all_changes_every_instance_of_its_own_project_only) {
    // A project of our own (images and profiles shared with the default
    // project), so that only our instances are touched.
    std::string project = t::unique("proj");
    t::defer_sh("lxc project delete " + project + " >/dev/null 2>&1");
    t::client().projects().create(
        R"({"name":)" + lxd::json_string(project) +
        R"(,"config":{"features.images":"false","features.profiles":"false"}})");
    lxd::ClientOptions opts;
    opts.project = project;
    lxd::Client pc(std::nullopt, opts);
    std::string a = t::unique("ssa");
    std::string b = t::unique("ssa");
    for (const std::string &n : {a, b}) {
        t::defer_sh("lxc delete -f --project " + project + " " + n + " >/dev/null 2>&1");
        pc.containers().create(t::busybox(n), true);
    }
    // One of ours in the default project, which must stay as it is.
    std::string outside = t::unique("ssa-outside");
    lxd::Object out = t::new_container(outside);
    auto states = [&] {
        return t::sh_out("lxc list --project " + project + " -c ns --format csv | sort")
            .value_or("(lxc failed)");
    };
    auto outside_state = [&] {
        return t::sh_out("lxc list -c s --format csv " + t::shq("^" + outside + "$"))
            .value_or("(lxc failed)");
    };

    std::string op = pc.set_state_all("start", -1, false, true);
    CHECK_EQ(jq(op, ".status"), std::string("Success"));
    CHECK_EQ(states(), a + ",RUNNING\n" + b + ",RUNNING");
    CHECK_EQ(outside_state(), std::string("STOPPED"));

    // The generic collection action, not waited for: the operation to wait on.
    std::string started = pc.collection_action(
        lxd::Kind::Instance, "set_state_all",
        R"({"state":{"action":"stop","timeout":-1,"force":true}})", false);
    std::string id = jq(started, ".id");
    REQUIRE(!id.empty() && id != "null");
    lxd::Object running = pc.operations().get(id);
    running.wait(60);
    CHECK_EQ(states(), a + ",STOPPED\n" + b + ",STOPPED");
    CHECK_EQ(outside_state(), std::string("STOPPED"));
}

TEST(extension_missing_is_thrown_before_any_request) {
    // A FAKE LXD whose host info lists no extension but "instances", with one instance.
    t::FakeLxdServer fake(R"(["instances"])",
                          [](const std::string &method,
                             const std::string &target) -> std::optional<std::string> {
                              if (method == "GET" && target.rfind("/1.0/instances/i1", 0) == 0) {
                                  return R"({"name":"i1","status":"Running","status_code":103,)"
                                         R"("type":"container","architecture":"x86_64",)"
                                         R"("config":{},"devices":{},"profiles":[],)"
                                         R"("expanded_config":{},"expanded_devices":{},)"
                                         R"("ephemeral":false,"stateful":false,"description":"",)"
                                         R"("project":"default","location":"none",)"
                                         R"("created_at":"2024-01-01T00:00:00Z",)"
                                         R"("last_used_at":"2024-01-01T00:00:00Z"})";
                              }
                              return std::nullopt;
                          });
    lxd::Client c(fake.path());
    CHECK(!c.has_api_extension("console"));
    lxd::Object i = c.instances().get("i1");
    int before = fake.requests();
    auto e = THROWS(lxd::ExtensionMissing, (void)i.console_log());
    REQUIRE(e.has_value());
    CHECK_EQ(e->code(), LXD_ERR_EXTENSION_MISSING);
    CHECK_EQ(e->http_status(), 0);
    CHECK_MSG(t::contains(e->message(), "console"), e->message());
    CHECK_EQ(std::string(e->status_name()), std::string("LXD_ERR_EXTENSION_MISSING"));
    THROWS(lxd::ExtensionMissing, i.clear_console_log());
    THROWS(lxd::ExtensionMissing, (void)i.metadata());
    THROWS(lxd::ExtensionMissing, i.put_template("t.tpl", "x"));
    auto m = THROWS(lxd::ExtensionMissing, (void)i.backups().all());
    CHECK(m && t::contains(m->message(), "container_backup"));
    THROWS(lxd::ExtensionMissing, (void)i.backups().create("{}"));
    THROWS(lxd::ExtensionMissing, (void)i.backups().exists("b0"));
    CHECK_EQ(fake.requests(), before);
    // Also caught as the base class, as any other error.
    try {
        (void)i.templates();
        CHECK(false);
    } catch (const lxd::Error &err) {
        CHECK_EQ(err.code(), LXD_ERR_EXTENSION_MISSING);
    }
    CHECK_EQ(fake.requests(), before);
}
