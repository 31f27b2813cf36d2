// The raw API, background operations, host information, and every
// manager kind reachable (listing all of each kind).

#include "harness.hpp"

#include <set>

TEST(raw_api_get_post_and_errors) {
    std::string name = t::unique("raw");
    lxd::Object c = t::new_container(name);
    std::string doc = t::client().api("GET", "/1.0/instances");
    CHECK(t::contains(doc, R"("type":"sync")"));
    CHECK(t::contains(doc, "/1.0/instances/" + name));

    // A PATCH through the raw API, seen by lxc.
    std::string patched =
        t::client().api("PATCH", "/1.0/instances/" + name, R"({"config":{"user.raw":"via api"}})");
    CHECK(t::contains(patched, R"("status_code":200)"));
    CHECK_EQ(t::sh_out("lxc config get " + name + " user.raw"),
             std::optional<std::string>("via api"));

    auto nf = THROWS(lxd::NotFound, (void)t::client().api("GET", "/1.0/instances/" + name + "-x"));
    CHECK(nf && nf->http_status() == 404 && !nf->message().empty());
    // An async answer is returned as is (the operation is not waited for).
    std::string async =
        t::client().api("POST", "/1.0/instances/" + name, R"({"name":")" + name + R"(-r"})");
    t::defer_sh("lxc delete -f " + name + "-r >/dev/null 2>&1");
    CHECK(t::contains(async, R"("type":"async")"));
    CHECK(t::eventually([&] { return t::client().containers().exists(name + "-r"); }));
}

TEST(async_create_then_wait_on_the_operation) {
    std::string name = t::unique("async");
    t::defer_sh("lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::Object c = t::client().containers().create(t::busybox(name), false);
    std::optional<lxd::Object> op = c.operation();
    REQUIRE(op.has_value());
    CHECK(op->kind() == lxd::Kind::Operation);
    CHECK_EQ(op->get("class"), std::string(R"("task")"));
    op->wait(120);
    CHECK_EQ(op->get("status"), std::string(R"("Success")"));
    CHECK(t::client().containers().exists(name));
    CHECK_EQ(t::sh_out("lxc list -c s --format csv " + t::shq("^" + name + "$")),
             std::optional<std::string>("STOPPED"));

    // An action without wait, then its operation; get/exists by id.
    c.start(-1, false, false);
    std::optional<lxd::Object> start = c.operation();
    REQUIRE(start.has_value());
    std::string id = start->key();
    lxd::Object by_id = t::client().operations().get(id);
    CHECK_EQ(by_id.key(), id);
    start->wait(-1);
    CHECK(t::eventually([&] {
        return t::sh_out("lxc list -c s --format csv " + t::shq("^" + name + "$")) ==
               std::optional<std::string>("RUNNING");
    }));
    c.sync();
    CHECK_EQ(c.get("status"), std::string(R"("Running")"));
    // A waited call leaves no operation behind.
    c.stop(-1, true, true);
    CHECK(!c.operation().has_value());
}

TEST(refused_create_and_uncancellable_operation_give_lxds_message) {
    std::string name = t::unique("opfail");
    lxd::Object c = t::new_container(name);
    // Create from an image alias that does not exist: LXD's 404 and words.
    std::string bad = t::unique("opbad");
    t::defer_sh("lxc delete -f " + bad + " >/dev/null 2>&1");
    std::string def =
        R"({"name":")" + bad + R"(","source":{"type":"image","alias":"lxdt-no-such-alias"}})";
    auto e = THROWS(lxd::NotFound, t::client().containers().create(def, true));
    CHECK(e && e->http_status() == 404 && t::contains(e->message(), "Image alias not found"));
    CHECK(!t::client().containers().exists(bad));
    // A start in the background cannot be cancelled: LXD's refusal.
    c.start(-1, false, false);
    std::optional<lxd::Object> op = c.operation();
    REQUIRE(op.has_value());
    auto refused = THROWS(lxd::Error, op->cancel());
    CHECK(refused && !refused->message().empty());
    op->wait(60);
    CHECK(t::eventually([&] {
        return t::sh_out("lxc list -c s --format csv " + t::shq("^" + name + "$")) ==
               std::optional<std::string>("RUNNING");
    }));
    // Waiting on something that is not an operation.
    THROWS(lxd::InvalidArgument, c.wait(1));
    THROWS(lxd::InvalidArgument, c.cancel());
}

TEST(host_info_extensions_trust_and_authenticate) {
    lxd::Client &c = t::client();
    std::string info = c.host_info();
    CHECK(t::contains(info, R"("api_extensions")"));
    CHECK(t::contains(info, R"("server_version")"));
    CHECK(c.has_api_extension("instances"));
    CHECK(c.trusted());
    c.authenticate("unix-socket clients are trusted: nothing is sent");
    CHECK(c.trusted());
}

TEST(every_manager_kind_lists_all_of_its_kind) {
    lxd::Client &c = t::client();
    // The named accessors (generated in lxd_kinds.hpp) give their kind's manager.
    std::vector<std::pair<lxd::Manager, lxd::Kind>> named = {
        {c.instances(), lxd::Kind::Instance},       {c.containers(), lxd::Kind::Container},
        {c.virtual_machines(), lxd::Kind::VirtualMachine}, {c.images(), lxd::Kind::Image},
        {c.profiles(), lxd::Kind::Profile},         {c.networks(), lxd::Kind::Network},
        {c.storage_pools(), lxd::Kind::StoragePool}, {c.projects(), lxd::Kind::Project},
        {c.certificates(), lxd::Kind::Certificate}, {c.operations(), lxd::Kind::Operation},
        {c.image_aliases(), lxd::Kind::ImageAlias}, {c.network_acls(), lxd::Kind::NetworkAcl},
        {c.network_zones(), lxd::Kind::NetworkZone}, {c.warnings(), lxd::Kind::Warning},
        {c.cluster_members(), lxd::Kind::ClusterMember},
        {c.cluster_groups(), lxd::Kind::ClusterGroup}};
    for (const auto &[m, k] : named) {
        CHECK_MSG(m.kind() == k, lxd::to_string(k));
    }
    // The singletons' accessors fetch the object itself.
    CHECK_EQ(c.server().kind(), lxd::Kind::Server);
    CHECK_EQ(c.cluster().kind(), lxd::Kind::Cluster);
    // Every top-level kind lists its objects (the child kinds: test_children.cpp).
    int singletons = 0;
    for (lxd::Kind k : lxd::all_kinds) {
        if (lxd::parent_of(k)) {
            continue;
        }
        if (lxd::is_singleton(k)) {
            // One object, no list (refused before any request): singleton() fetches it.
            ++singletons;
            auto e = THROWS(lxd::InvalidArgument, (void)c.manager(k).all());
            CHECK_MSG(e && e->http_status() == 0, lxd::to_string(k));
            CHECK_EQ(c.singleton(k).kind(), k);
            continue;
        }
        if (t::cluster_only(k) && !t::clustered()) {
            // A standalone server refuses the members' and groups' lists.
            t::check_not_clustered(THROWS(lxd::ApiError, (void)c.manager(k).all()),
                                   lxd::to_string(k));
            continue;
        }
        lxd::List all = c.manager(k).all();
        for (lxd::ObjectRef o : all) {
            CHECK_MSG(o.kind() == k, lxd::to_string(k));
            CHECK_MSG(!o.key().empty() || k == lxd::Kind::Image, lxd::to_string(k));
        }
    }
    auto keys = [&](lxd::Manager m) {
        std::set<std::string> out;
        for (lxd::ObjectRef o : m.all()) {
            out.insert(o.key());
        }
        return out;
    };
    CHECK(singletons >= 2 && lxd::is_singleton(lxd::Kind::Server) &&
          lxd::is_singleton(lxd::Kind::Cluster));
    // Other kinds are no singletons: singleton() refuses them before any request.
    auto ns = THROWS(lxd::InvalidArgument, (void)c.singleton(lxd::Kind::Profile));
    CHECK(ns && t::contains(ns->message(), "Profile is not a singleton kind"));
    CHECK(keys(c.profiles()).count("default") == 1);
    CHECK(keys(c.storage_pools()).count("default") == 1);
    CHECK(keys(c.projects()).count("default") == 1);
    // The busybox image, by alias and by fingerprint, in the list.
    lxd::Object img = c.images().get_by_alias("busybox");
    std::string fp = img.key();
    CHECK_EQ(fp.size(), std::size_t(64));
    CHECK(keys(c.images()).count(fp) == 1);
    CHECK(c.images().exists(fp));
    CHECK_EQ(c.images().get(fp).get("fingerprint"), lxd::json_string(fp));
    CHECK(THROWS(lxd::NotFound, (void)c.images().get_by_alias("lxdt-cpp-no-alias")).has_value());
    // A network and a certificate list are reachable too (the lxc view agrees).
    auto lxc_networks = t::sh_out("lxc query /1.0/networks | jq length");
    REQUIRE(lxc_networks.has_value());
    CHECK_EQ(std::to_string(c.networks().all().size()), *lxc_networks);
    auto lxc_certs = t::sh_out("lxc query /1.0/certificates | jq length");
    REQUIRE(lxc_certs.has_value());
    // Other test runs add and remove certificates meanwhile: both are counts.
    CHECK(!lxc_certs->empty());
    // A container is an instance, and not a virtual machine.
    std::string name = t::unique("kinds");
    lxd::Object ctr = t::new_container(name);
    CHECK(keys(c.instances()).count(name) == 1);
    CHECK(keys(c.containers()).count(name) == 1);
    CHECK(keys(c.virtual_machines()).count(name) == 0);
    CHECK(c.instances().get(name).kind() == lxd::Kind::Instance);
    THROWS(lxd::NotFound, (void)c.virtual_machines().get(name));
}

TEST(profile_create_update_rename_delete_checked_with_lxc) {
    std::string name = t::unique("prof");
    std::string renamed = name + "-b";
    t::defer_sh("lxc profile delete " + name + " >/dev/null 2>&1");
    t::defer_sh("lxc profile delete " + renamed + " >/dev/null 2>&1");
    lxd::Object p = t::client().profiles().create(
        R"({"name":")" + name + R"(","description":"made in C++","config":{"user.a":"1"}})");
    CHECK_EQ(t::sh_out("lxc profile get " + name + " user.a"), std::optional<std::string>("1"));
    auto dup = THROWS(lxd::Error, t::client().profiles().create(R"({"name":")" + name + R"("})"));
    CHECK(dup && !dup->message().empty());
    p.set("config", R"({"user.a":"2","user.b":"x"})");
    p.save();
    CHECK_EQ(t::sh_out("lxc profile get " + name + " user.a"), std::optional<std::string>("2"));
    CHECK_EQ(t::sh_out("lxc profile get " + name + " user.b"), std::optional<std::string>("x"));
    p.rename(renamed);
    CHECK_EQ(p.key(), renamed);
    CHECK(t::client().profiles().exists(renamed));
    CHECK(!t::client().profiles().exists(name));
    p.remove();
    CHECK(t::sh("lxc profile show " + renamed + " >/dev/null 2>&1") != 0);
    // Renaming a kind that cannot be renamed.
    lxd::Object pool = t::client().storage_pools().get("default");
    THROWS(lxd::InvalidArgument, pool.rename("x"));
}

TEST(native_handles_interoperate_with_the_c_api) {
    lxd::Client &c = t::client();
    REQUIRE(c.native() != nullptr);
    lxd_obj *raw = nullptr;
    REQUIRE(lxd_profile_get(c.native(), "default", &raw) == LXD_OK);
    lxd::Object adopted(raw);
    CHECK_EQ(adopted.key(), std::string("default"));
    lxd_obj *released = adopted.release();
    CHECK(!adopted);
    lxd_obj_free(released);
}

TEST(max_response_bytes_refuses_larger_responses) {
    // The constructor reads GET /1.0 (a few KiB): 200 bytes is too few.
    lxd::ClientOptions tiny;
    tiny.max_response_bytes = 200;
    auto e = THROWS(lxd::ResponseTooLarge, lxd::Client(std::nullopt, tiny));
    CHECK(e && e->code() == LXD_ERR_RESPONSE_TOO_LARGE && !e->message().empty());

    // A cap that admits GET /1.0 but not the profile list, which holds a
    // profile with a description twice that size.
    std::size_t limit = 4 * t::client().api("GET", "/1.0").size();
    std::string name = t::unique("big");
    t::defer_sh("lxc profile delete " + name + " >/dev/null 2>&1");
    lxd::Object p = t::client().profiles().create(R"({"name":")" + name + R"("})");
    p.set("description", lxd::json_string(std::string(2 * limit, 'x')));
    p.save();

    lxd::ClientOptions capped;
    capped.max_response_bytes = limit;
    lxd::Client small(std::nullopt, capped);
    THROWS(lxd::ResponseTooLarge, (void)small.profiles().all());
    THROWS(lxd::ResponseTooLarge, (void)small.api("GET", "/1.0/profiles?recursion=1"));
    // What fits still works on that client.
    CHECK(small.profiles().exists("default"));
    // The default cap reads the whole list.
    bool found = false;
    for (lxd::ObjectRef o : t::client().profiles().all()) {
        found = found || o.key() == name;
    }
    CHECK(found);
}
