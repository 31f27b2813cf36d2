// lxd::kind_info / Manager::info: each kind described as JSON (parsed here
// with jq), checked against real outcomes: for real objects, every
// attribute listed as writable can be set to its current value (and, on
// objects of ours, saved), the others throw lxd::ReadOnly, and every key
// of to_json() is listed; invalid kinds throw lxd::InvalidArgument.

#include "harness.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

namespace {

// jq `filter` applied to `json` (through a temporary file), its output
// lines; REQUIREs that jq succeeded.
std::vector<std::string> jq_lines(const std::string &json, const std::string &filter) {
    char path[] = "/tmp/lxdt-cpp-kindinfo-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
        std::ofstream f(path, std::ios::binary);
        f << json;
    }
    std::optional<std::string> out = t::sh_out("jq -r " + t::shq(filter) + " " + path);
    std::remove(path);
    REQUIRE_EQ(out.has_value(), true);
    std::vector<std::string> lines;
    std::string line;
    for (char ch : *out + "\n") {
        if (ch == '\n') {
            if (!line.empty()) lines.push_back(line);
            line.clear();
        } else {
            line += ch;
        }
    }
    return lines;
}

std::string jq1(const std::string &json, const std::string &filter) {
    std::vector<std::string> l = jq_lines(json, filter);
    return l.size() == 1 ? l[0] : "<" + std::to_string(l.size()) + " lines>";
}

struct Attrs {
    std::vector<std::string> writable, read_only;
    std::set<std::string> all;
};

Attrs attrs_of(lxd::Kind k) {
    std::string info = lxd::kind_info(k);
    Attrs a;
    a.writable = jq_lines(info, ".attributes[] | select(.writable) | .name");
    a.read_only = jq_lines(info, ".attributes[] | select(.writable | not) | .name");
    a.all.insert(a.writable.begin(), a.writable.end());
    a.all.insert(a.read_only.begin(), a.read_only.end());
    return a;
}

// On `o`: writable attributes take their own value back, read-only ones
// throw lxd::ReadOnly (also with a value that is not JSON: the attribute
// is checked first), every key of to_json() is listed. Returns the
// number of writable attributes set.
std::size_t check_object(lxd::ObjectRef o, const Attrs &a) {
    std::string what = std::string(lxd::to_string(o.kind())) + " " + o.key();
    for (const std::string &attr : a.writable) {
        std::string v = o.get(attr);
        try {
            o.set(attr, v);
        } catch (const lxd::Error &e) {
            CHECK_MSG(false, what + ": set(" + attr + ", " + v + "): " + e.what());
        }
        CHECK_EQ(o.get(attr), v);
    }
    for (const std::string &attr : a.read_only) {
        std::string v = o.get(attr);
        auto ro = THROWS(lxd::ReadOnly, o.set(attr, v));
        CHECK_MSG(ro.has_value(), what + ": " + attr);
        CHECK(THROWS(lxd::ReadOnly, o.set(attr, "{not json")).has_value());
        CHECK_EQ(o.get(attr), v);
    }
    for (const std::string &key : jq_lines(o.to_json(), "keys[]")) {
        CHECK_MSG(a.all.count(key) == 1, what + ": to_json key " + key + " not in kind_info");
    }
    return a.writable.size();
}

} // namespace

TEST(kind_info_describes_every_kind) {
    for (lxd::Kind k : lxd::all_kinds) {
        std::string info = lxd::kind_info(k);
        std::string name = lxd::to_string(k);
        CHECK_EQ(t::client().manager(k).info(), info);
        CHECK_EQ(jq1(info, ".kind"), std::to_string(static_cast<int>(k)));
        CHECK_EQ(jq1(info, ".class"), name);
        CHECK_EQ(jq1(info, ".endpoint | startswith(\"/1.0/\")"), std::string("true"));
        CHECK_EQ(jq1(info, ".c_name | type"), std::string("string"));
        CHECK_EQ(jq1(info, "[.project_scoped, .creatable, .renamable] | map(type) | unique[]"),
                 std::string("boolean"));
        CHECK_EQ(jq1(info, ".key as $k | [.attributes[] | select(.name == $k)] | length"),
                 std::string("1"));
        CHECK_MSG(!attrs_of(k).all.empty(), name);
    }
    lxd::Kind instance = lxd::Kind::Instance;
    CHECK_EQ(jq1(lxd::kind_info(instance), "[.endpoint, .key, .c_name] | join(\" \")"),
             std::string("/1.0/instances name instance"));
    CHECK_EQ(jq1(lxd::kind_info(lxd::Kind::Image), ".key"), std::string("fingerprint"));
    CHECK_EQ(jq1(lxd::kind_info(lxd::Kind::Operation), ".creatable"), std::string("false"));
    Attrs c = attrs_of(lxd::Kind::Container);
    CHECK(c.all.count("config") == 1 && c.all.count("status") == 1);
    CHECK_EQ(jq1(lxd::kind_info(lxd::Kind::Container),
                 "[.attributes[] | select(.name == \"name\" or .name == \"status\") | "
                 ".writable] | unique[]"),
             std::string("false"));
}

TEST(kind_info_rejects_what_is_not_a_kind) {
    int past = static_cast<int>(LXD_KIND_OPERATION) + 1;
    auto e = THROWS(lxd::InvalidArgument, (void)lxd::kind_info(static_cast<lxd::Kind>(past)));
    CHECK(e && e->code() == LXD_ERR_INVALID_ARGUMENT && e->http_status() == 0);
    CHECK(THROWS(lxd::InvalidArgument, (void)lxd::kind_info(static_cast<lxd::Kind>(-1))));
    lxd::Manager bogus(t::client(), static_cast<lxd::Kind>(past));
    CHECK(THROWS(lxd::InvalidArgument, (void)bogus.info()));
}

TEST(kind_info_matches_a_real_container) {
    std::string name = t::unique("kindinfo");
    lxd::Object c = t::new_container(name);
    Attrs a = attrs_of(lxd::Kind::Container);
    CHECK(a.writable.size() >= 5 && a.read_only.size() >= 5);
    std::string before = *t::sh_out("lxc query /1.0/instances/" + name +
                                    " | jq -cS '{config, devices, profiles, description, "
                                    "ephemeral, architecture, stateful}'");
    CHECK_EQ(check_object(c, a), a.writable.size());
    // Every writable attribute set to its own value: the save goes through
    // and the server's state is what it was.
    CHECK(c.dirty());
    c.save(true);
    CHECK(!c.dirty());
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name +
                       " | jq -cS '{config, devices, profiles, description, "
                       "ephemeral, architecture, stateful}'"),
             std::optional<std::string>(before));
    // Through the generic Instance kind as well.
    lxd::Object i = t::client().instances().get(name);
    check_object(i, attrs_of(lxd::Kind::Instance));
    i.rollback();
}

TEST(kind_info_matches_a_real_profile) {
    std::string name = t::unique("kindprof");
    t::defer_sh("lxc profile delete " + name + " >/dev/null 2>&1");
    lxd::Object p =
        t::client().profiles().create(R"({"name":)" + lxd::json_string(name) +
                                      R"(,"description":"kind info","config":{"user.k":"v"}})");
    Attrs a = attrs_of(lxd::Kind::Profile);
    check_object(p, a);
    p.save(true);
    CHECK_EQ(t::sh_out("lxc profile get " + name + " user.k"), std::optional<std::string>("v"));
    CHECK_EQ(t::sh_out("lxc query /1.0/profiles/" + name + " | jq -r .description"),
             std::optional<std::string>("kind info"));
}

// Objects of every other kind that exist on the daemon: checked locally
// (set without save sends nothing), to_json keys all listed.
TEST(kind_info_matches_existing_objects_of_every_kind) {
    lxd::Object img = t::client().images().get_by_alias("busybox");
    check_object(img, attrs_of(lxd::Kind::Image));
    img.rollback();
    for (lxd::Kind k : {lxd::Kind::Profile, lxd::Kind::Network, lxd::Kind::StoragePool,
                        lxd::Kind::Project, lxd::Kind::Certificate}) {
        Attrs a = attrs_of(k);
        lxd::List all = t::client().manager(k).all();
        std::size_t n = 0;
        for (lxd::ObjectRef o : all) {
            check_object(o, a);
            o.rollback();
            if (++n == 3) break;
        }
        CHECK_MSG(n > 0 || k == lxd::Kind::Certificate, lxd::to_string(k));
    }
    // Operations come and go: only to_json (no request) is compared.
    Attrs ops = attrs_of(lxd::Kind::Operation);
    CHECK(ops.writable.empty());
    lxd::List all = t::client().operations().all();
    for (lxd::ObjectRef o : all) {
        for (const std::string &key : jq_lines(o.to_json(), "keys[]")) {
            CHECK_MSG(ops.all.count(key) == 1, "operation key " + key);
        }
    }
}
