// lxd::kind_info / Manager::info: each kind described as JSON (parsed here
// with jq), checked against real outcomes: for real objects, every
// attribute listed as writable can be set to its current value (and, on
// objects of ours, saved), the others throw lxd::ReadOnly, and every key
// of to_json() is listed; invalid kinds throw lxd::InvalidArgument. The
// generated lxd_kinds.hpp against the C library: every kind up to
// LXD_KIND_COUNT is known to the binding and reachable on the daemon
// (test.sh checks that the committed header is what the library generates).

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
        CHECK_EQ(jq1(info, ".c_name"), std::string(lxd::c_name(k)));
        // "/1.0/instances", ...; the Server's is "/1.0" itself.
        CHECK_MSG(jq1(info, ".endpoint | test(\"^/1\\\\.0(/[a-z{}/_-]+)?$\")") == "true",
                  name + ": " + jq1(info, ".endpoint"));
        CHECK_EQ(jq1(info, "[.project_scoped, .creatable, .savable, .patchable, .renamable, "
                           ".deletable, .singleton] | map(type) | unique[]"),
                 std::string("boolean"));
        // A singleton (the Server, the Cluster) has no key and no parent,
        // and lxd::is_singleton knows it; any other kind has a key.
        bool singleton = jq1(info, ".singleton") == "true";
        CHECK_MSG(lxd::is_singleton(k) == singleton, name);
        CHECK_EQ(jq1(info, "(.key == \"\") == .singleton and "
                           "((.singleton | not) or .parent == null)"),
                 std::string("true"));
        // The key is an attribute, but for a singleton's.
        CHECK_EQ(jq1(info, ".key as $k | [.attributes[] | select(.name == $k)] | length"),
                 std::string(singleton ? "0" : "1"));
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

// Every kind of the C library, 0 to LXD_KIND_COUNT - 1, as lxd_kind_info
// describes it, is known to the binding (lxd::Kind, to_string, c_name,
// parent_of, variant_of and a named accessor agree with it) and reachable
// on the daemon: a top-level kind through Client::manager, a child kind
// through ObjectRef::children on an object of its parent kind. Every
// action returns something one of action/action_bytes/action_to_file
// gives, on something action (object, parent) or collection_action
// (collection) runs on.
TEST(every_kind_of_the_c_library_is_reachable_from_the_binding) {
    static_assert(lxd::kind_count == LXD_KIND_COUNT);
    static_assert(std::size(lxd::all_kinds) == LXD_KIND_COUNT);
    static_assert(std::size(lxd::detail::kind_accessors) == LXD_KIND_COUNT);
    std::string name = t::unique("reach");
    lxd::Object c = t::new_container(name);
    // Parents of the other child kinds, made for this test: a custom
    // volume (of the pool "default"), a bridge, a zone.
    lxd::Object vol = t::new_volume(t::unique("reachvol"));
    lxd::Object net = t::new_bridge();
    lxd::Object zone = t::new_zone(t::unique("reachzone") + ".example.net");
    auto parent_object = [&](lxd::Kind p) -> const lxd::ObjectRef & {
        switch (p) {
        case lxd::Kind::StorageVolume: return vol;
        case lxd::Kind::Network: return net;
        case lxd::Kind::NetworkZone: return zone;
        default: return c;
        }
    };
    for (int v = 0; v < LXD_KIND_COUNT; ++v) {
        char *raw = nullptr;
        REQUIRE_EQ(lxd_kind_info(v, &raw), LXD_OK);
        std::string info(raw);
        lxd_string_free(raw);
        auto k = static_cast<lxd::Kind>(v);
        std::string cls = jq1(info, ".class");
        CHECK_EQ(lxd::kind_info(k), info);
        CHECK_EQ(std::string(lxd::to_string(k)), cls);
        CHECK_EQ(std::string(lxd::c_name(k)), jq1(info, ".c_name"));
        CHECK_MSG(lxd::all_kinds[v] == k, cls);
        CHECK_MSG(lxd::detail::kind_accessors[v].kind == k, cls);
        std::string accessor = lxd::detail::kind_accessors[v].name;
        // A plural, but for a singleton (one per server, no key): its c_name.
        bool singleton = jq1(info, ".singleton") == "true";
        CHECK_MSG(lxd::is_singleton(k) == singleton, cls);
        CHECK_MSG(accessor.size() > 1 && (accessor.back() == 's') != singleton,
                  cls + ": " + accessor);
        CHECK_MSG(!singleton || accessor == lxd::c_name(k), cls + ": " + accessor);
        auto as_text = [](std::optional<lxd::Kind> o) {
            return o ? std::to_string(static_cast<int>(*o)) : std::string("null");
        };
        CHECK_EQ(as_text(lxd::parent_of(k)), jq1(info, ".parent"));
        CHECK_EQ(as_text(lxd::variant_of(k)), jq1(info, ".variant_of"));
        for (const std::string &r : jq_lines(info, ".actions[].returns")) {
            CHECK_MSG(r == "nothing" || r == "document" || r == "operation" || r == "bytes" ||
                          r == "file",
                      cls + ": an action returns " + r);
        }
        for (const std::string &on : jq_lines(info, ".actions[].on")) {
            CHECK_MSG(on == "object" || on == "parent" || on == "collection",
                      cls + ": an action on " + on);
        }
        // Reach it on the daemon: list the kind.
        std::optional<lxd::Kind> parent = lxd::parent_of(k);
        try {
            if (singleton) {
                // Fetched with singleton(): its first attribute is what
                // lxc reads at its endpoint (the Server's api_extensions,
                // the Cluster's enabled).
                lxd::Object one = t::client().singleton(k);
                CHECK_MSG(one.kind() == k, cls);
                std::string attr = jq1(info, ".attributes[0].name");
                std::optional<std::string> lxc = t::sh_out(
                    "lxc query " + jq1(info, ".endpoint") + " | jq -cS " + t::shq("." + attr));
                CHECK_EQ(t::jq(one.get(attr), "tojson"), lxc.value_or("(lxc failed)"));
                auto nolist = THROWS(lxd::InvalidArgument, (void)t::client().manager(k).all());
                CHECK_MSG(nolist && t::contains(nolist->message(), "no list"), cls);
            } else if (!parent && t::cluster_only(k) && !t::clustered()) {
                // The members, the groups: a standalone server refuses them.
                t::check_not_clustered(THROWS(lxd::ApiError, (void)t::client().manager(k).all()),
                                       cls);
            } else if (!parent) {
                lxd::List all = t::client().manager(k).all();
                for (lxd::ObjectRef o : all) {
                    CHECK_MSG(o.kind() == k, cls);
                }
            } else if (*parent == lxd::Kind::Instance) {
                lxd::ChildManager m = c.children(k);
                CHECK_MSG(m.kind() == k, cls);
                CHECK_EQ(m.all().size(), std::size_t(0)); // a new container has none
                CHECK_MSG(!m.exists("lxdt-cpp-none"), cls);
            } else if (*parent == lxd::Kind::StoragePool) {
                // A parent of another kind: the first one on the daemon.
                lxd::List parents = t::client().manager(*parent).all();
                REQUIRE_EQ(parents.empty(), false);
                lxd::List all = parents[0].children(k).all();
                for (lxd::ObjectRef o : all) {
                    CHECK_MSG(o.kind() == k, cls);
                }
            } else if (k == lxd::Kind::NetworkPeer) {
                // OVN networks only: LXD itself refuses a bridge's peers.
                auto e = THROWS(lxd::Error, (void)net.peers().all());
                CHECK_MSG(e && e->http_status() >= 400, cls);
            } else {
                // The parent made above: it has none yet.
                lxd::ChildManager m = parent_object(*parent).children(k);
                CHECK_MSG(m.kind() == k, cls);
                CHECK_EQ(m.all().size(), std::size_t(0));
            }
        } catch (const lxd::Error &e) {
            CHECK_MSG(false, cls + " is not reachable: " + e.what());
        }
    }
    // Top-level calls refuse a child kind, and child calls a top-level one.
    THROWS(lxd::InvalidArgument, (void)t::client().manager(lxd::Kind::InstanceSnapshot).all());
    THROWS(lxd::InvalidArgument, (void)c.children(lxd::Kind::Profile).all());
}

TEST(kind_info_rejects_what_is_not_a_kind) {
    int past = LXD_KIND_COUNT;
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

    // A snapshot of it: its writable attributes (expires_at) saved as they
    // are leave the server's snapshot as it was.
    lxd::Object s = c.snapshots().create(R"({"name":"s0","expires_at":"2031-02-03T04:05:06Z"})");
    std::string snap_path = "lxc query /1.0/instances/" + name + "/snapshots/s0";
    std::string snap_before = *t::sh_out(snap_path + " | jq -cS 'del(.last_used_at)'");
    Attrs sa = attrs_of(lxd::Kind::InstanceSnapshot);
    CHECK(!sa.writable.empty());
    CHECK_EQ(check_object(s, sa), sa.writable.size());
    s.save(true);
    CHECK_EQ(t::sh_out(snap_path + " | jq -cS 'del(.last_used_at)'"),
             std::optional<std::string>(snap_before));
    CHECK(t::contains(snap_before, "2031-02-03T04:05:06"));
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
            // Other suites' lxdt-* objects (the daemon is shared) may be
            // deleted meanwhile: a lazy read of one would be lxd::NotFound.
            if (o.get("name").rfind("\"lxdt-", 0) == 0) continue;
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
