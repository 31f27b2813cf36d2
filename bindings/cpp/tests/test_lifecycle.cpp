// Objects against the real daemon: the seed walk-through (read, set,
// dirty, rollback, save), create/delete, start/stop, rename, lists, sync,
// and the ETag guard — every outcome checked with the lxc CLI.

#include "harness.hpp"

namespace {

std::string lxc_state(const std::string &name) {
    return t::sh_out("lxc list -c s --format csv " + t::shq("^" + name + "$"))
        .value_or("(lxc failed)");
}

std::string lxc_config_get(const std::string &name, const std::string &key) {
    return t::sh_out("lxc config get " + name + " " + key).value_or("(lxc failed)");
}

std::string lxc_description(const std::string &name) {
    return t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description")
        .value_or("(lxc failed)");
}

// config with one more key, as JSON ("config" is replaced whole by set).
std::string config_plus(const lxd::ObjectRef &o, const std::string &key, const std::string &value) {
    std::string config = o.get("config");
    std::string member = lxd::json_string(key) + ":" + lxd::json_string(value);
    std::size_t close = config.rfind('}');
    bool empty = config.find_first_not_of(" {}") == std::string::npos;
    return config.substr(0, close) + (empty ? "" : ",") + member + "}";
}

} // namespace

TEST(seed_walkthrough_read_set_dirty_rollback_save) {
    std::string name = t::unique("walk");
    lxd::Object c = t::new_container(name);
    lxd::Object again = t::client().containers().get(name);
    CHECK_EQ(again.key(), name);
    CHECK_EQ(again.get("name"), lxd::json_string(name));

    std::string config = again.get("config");
    CHECK(t::contains(config, "\"volatile.base_image\""));
    CHECK(!again.dirty());

    again.set("description", R"("my container")");
    CHECK(again.dirty());
    CHECK_EQ(again.get("description"), std::string(R"("my container")"));
    CHECK_EQ(lxc_description(name), std::string(""));

    again.rollback();
    CHECK(!again.dirty());
    CHECK_EQ(again.get("description"), std::string(R"("")"));

    again.set("description", R"("my container")");
    again.set("config", config_plus(again, "user.walk", "x y"));
    again.save(true);
    CHECK(!again.dirty());
    CHECK_EQ(lxc_description(name), std::string("my container"));
    CHECK_EQ(lxc_config_get(name, "user.walk"), std::string("x y"));
    CHECK_EQ(lxc_config_get(name, "volatile.base_image").size(), std::size_t(64));

    // A clean stop of a stopped container is LXD's refusal, not a crash.
    auto e = THROWS(lxd::Error, again.stop(30, false, true));
    CHECK(e && !e->message().empty());
}

TEST(create_and_delete_a_container_checked_with_lxc) {
    std::string name = t::unique("crud");
    t::defer_sh("lxc delete -f " + name + " >/dev/null 2>&1");
    auto containers = t::client().containers();
    CHECK(!containers.exists(name));
    lxd::Object c = containers.create(t::busybox(name), true);
    CHECK(c.kind() == lxd::Kind::Container);
    CHECK_EQ(c.key(), name);
    CHECK_EQ(lxc_state(name), std::string("STOPPED"));
    CHECK(containers.exists(name));
    CHECK(t::client().instances().exists(name));
    CHECK(!t::client().virtual_machines().exists(name));

    // Creating it again: LXD's refusal from the background operation.
    auto dup = THROWS(lxd::OperationFailed, containers.create(t::busybox(name), true));
    CHECK(dup && !dup->message().empty());

    c.remove(true);
    CHECK_EQ(t::sh_out("lxc list -c n --format csv " + t::shq("^" + name + "$")),
             std::optional<std::string>(""));
    CHECK(!containers.exists(name));
    // The handle stays valid; the object is gone on the server.
    THROWS(lxd::NotFound, c.sync());
}

TEST(start_stop_restart_freeze_with_wait_checked_with_lxc) {
    std::string name = t::unique("run");
    lxd::Object c = t::new_container(name);
    c.start(-1, false, true);
    CHECK_EQ(lxc_state(name), std::string("RUNNING"));
    CHECK_EQ(c.get("status"), std::string(R"("Running")"));
    CHECK(t::contains(c.state(), R"("status":"Running")"));

    c.freeze(-1, false, true);
    CHECK_EQ(lxc_state(name), std::string("FROZEN"));
    c.unfreeze(-1, false, true);
    CHECK_EQ(lxc_state(name), std::string("RUNNING"));
    c.restart(-1, true, true);
    CHECK_EQ(lxc_state(name), std::string("RUNNING"));

    // Starting a running instance: LXD's refusal.
    auto again = THROWS(lxd::OperationFailed, c.start(-1, false, true));
    CHECK(again && t::contains(again->message(), "running"));

    c.stop(-1, true, true);
    CHECK_EQ(lxc_state(name), std::string("STOPPED"));
    CHECK_EQ(c.get("status"), std::string(R"("Stopped")"));
}

TEST(rename_a_stopped_container) {
    std::string name = t::unique("ren");
    std::string renamed = name + "-b";
    lxd::Object c = t::new_container(name);
    t::defer_sh("lxc delete -f " + renamed + " >/dev/null 2>&1");
    c.rename(renamed, true);
    CHECK_EQ(c.key(), renamed);
    CHECK(!t::client().containers().exists(name));
    CHECK_EQ(lxc_state(renamed), std::string("STOPPED"));
    CHECK_EQ(c.get("name"), lxd::json_string(renamed));
}

TEST(sync_keeps_local_changes_and_sees_server_changes) {
    std::string name = t::unique("sync");
    lxd::Object c = t::new_container(name);
    c.set("description", R"("local")");
    REQUIRE(t::sh("lxc config set " + name + " user.server yes") == 0);
    c.sync();
    CHECK(c.dirty());
    CHECK_EQ(c.get("description"), std::string(R"("local")"));
    CHECK(t::contains(c.get("config"), R"("user.server":"yes")"));
    CHECK(t::contains(c.to_json(), R"("description":"local")"));
}

TEST(save_after_a_change_on_the_server_is_precondition_failed) {
    std::string name = t::unique("etag");
    lxd::Object c = t::new_container(name);
    REQUIRE(t::sh("lxc config set " + name + " user.other changed") == 0);
    c.set("description", R"("mine")");
    auto e = THROWS(lxd::PreconditionFailed, c.save(true));
    CHECK(e && e->code() == LXD_ERR_PRECONDITION_FAILED);
    CHECK(c.dirty());
    CHECK_EQ(lxc_description(name), std::string(""));
    c.sync();
    c.save(true);
    CHECK_EQ(lxc_description(name), std::string("mine"));
    CHECK_EQ(lxc_config_get(name, "user.other"), std::string("changed"));
}

TEST(list_is_iterable_indexable_and_its_objects_save) {
    std::string name = t::unique("list");
    lxd::Object c = t::new_container(name);
    lxd::List all = t::client().containers().all();
    REQUIRE(all.size() >= 1);
    std::optional<lxd::ObjectRef> mine;
    std::size_t n = 0;
    for (lxd::ObjectRef o : all) {
        CHECK(o.kind() == lxd::Kind::Container);
        if (o.key() == name) {
            mine = o;
        }
        ++n;
    }
    CHECK_EQ(n, all.size());
    REQUIRE(mine.has_value());
    CHECK_EQ(all[0].key(), all.at(0).key());
    bool out_of_range = false;
    try {
        (void)all[all.size()];
    } catch (const std::out_of_range &) {
        out_of_range = true;
    }
    CHECK(out_of_range);

    // An object from a list saves (re-read first, as it has no ETag).
    mine->set("description", R"("from a list")");
    mine->save(true);
    CHECK_EQ(lxc_description(name), std::string("from a list"));
}

TEST(to_json_then_delete_without_wait_gives_an_operation) {
    std::string name = t::unique("del");
    lxd::Object c = t::new_container(name);
    std::string json = c.to_json();
    CHECK(t::contains(json, "\"name\":" + lxd::json_string(name)));
    c.remove(false);
    std::optional<lxd::Object> op = c.operation();
    if (op) {
        CHECK(op->kind() == lxd::Kind::Operation);
        op->wait(60);
    }
    CHECK(t::eventually([&] { return !t::client().containers().exists(name); }));
    CHECK_EQ(t::sh_out("lxc list -c n --format csv " + t::shq("^" + name + "$")),
             std::optional<std::string>(""));
}
