// Errors as exceptions: the hierarchy, the message (the failed request,
// then the server's text) and HTTP
// status, bad input (NUL bytes, invalid UTF-8, invalid JSON), and
// moved-from handles, which throw instead of crashing.

#include "harness.hpp"

#include <type_traits>
#include <typeinfo>

static_assert(std::is_base_of_v<std::runtime_error, lxd::Error>);
static_assert(std::is_base_of_v<lxd::Error, lxd::NotFound>);
static_assert(!std::is_copy_constructible_v<lxd::Client>);
static_assert(!std::is_copy_constructible_v<lxd::Object>);
static_assert(!std::is_copy_constructible_v<lxd::List>);
static_assert(!std::is_copy_constructible_v<lxd::ExecResult>);
static_assert(!std::is_copy_constructible_v<lxd::ExecSession>);
static_assert(!std::is_copy_constructible_v<lxd::Events>);
static_assert(!std::is_copy_constructible_v<lxd::EventListener>);
static_assert(std::is_nothrow_move_constructible_v<lxd::Client>);
static_assert(std::is_nothrow_move_constructible_v<lxd::Object>);
static_assert(std::is_nothrow_move_assignable_v<lxd::Object>);
static_assert(std::is_nothrow_move_constructible_v<lxd::EventListener>);
static_assert(std::is_copy_constructible_v<lxd::ObjectRef>);
// The status codes are fixed values, never renumbered.
static_assert(LXD_ERR_UNSAFE_PATH == 17 && LXD_ERR_RESPONSE_TOO_LARGE == 18 &&
              LXD_ERR_OPERATION_LOST == 19);
static_assert(std::is_base_of_v<lxd::Error, lxd::ResponseTooLarge>);
static_assert(std::is_base_of_v<lxd::Error, lxd::OperationLost>);

TEST(not_found_carries_the_servers_message_and_http_404) {
    std::string name = t::unique("missing");
    auto e = THROWS(lxd::NotFound, (void)t::client().containers().get(name));
    REQUIRE(e.has_value());
    CHECK_EQ(e->code(), LXD_ERR_NOT_FOUND);
    CHECK_EQ(e->http_status(), 404);
    // What LXD itself says (as lxc shows it: "Error: Instance not found").
    std::string lxc = t::sh_out("lxc query /1.0/instances/" + name + " 2>&1; true").value_or("");
    std::string said = lxc.rfind("Error: ", 0) == 0 ? lxc.substr(7) : lxc;
    CHECK_MSG(!said.empty() && t::contains(e->message(), said),
              "message \"" + e->message() + "\", lxc said \"" + lxc + "\"");
    // The failed request first: "GET /1.0/instances/NAME: Instance not found".
    CHECK_EQ(e->message(), "GET /1.0/instances/" + name + ": " + said);
    CHECK(t::contains(e->what(), "LXD_ERR_NOT_FOUND"));
    CHECK(t::contains(e->what(), "404"));
    CHECK_EQ(std::string(e->status_name()), std::string("LXD_ERR_NOT_FOUND"));
    // Catchable as the base too, and the per-thread detail agrees.
    try {
        (void)t::client().profiles().get(name);
        CHECK(false);
    } catch (const lxd::Error &err) {
        CHECK_EQ(err.code(), LXD_ERR_NOT_FOUND);
        CHECK_EQ(lxd::last_error_http_status(), 404);
        CHECK_EQ(lxd::last_error_message(), err.message());
    }
    // Every top-level kind maps a missing key to NotFound (the kinds that
    // live under an instance: test_children.cpp).
    for (lxd::Kind k : lxd::all_kinds) {
        if (lxd::parent_of(k)) {
            continue;
        }
        if (lxd::is_singleton(k)) {
            // The one Server, the one Cluster have no key: another is
            // refused before any request; "" is the object.
            auto e = THROWS(lxd::InvalidArgument, (void)t::client().manager(k).get("lxdt-cpp-no"));
            CHECK_MSG(e && e->http_status() == 0, lxd::to_string(k));
            CHECK_EQ(t::client().manager(k).get("").kind(), k);
            continue;
        }
        std::string key = k == lxd::Kind::Operation ? "00000000-0000-0000-0000-000000000000"
                                                    : "lxdt-cpp-no-such-thing";
        if (t::cluster_only(k) && !t::clustered()) {
            // A standalone server refuses any member or group, named or not.
            t::check_not_clustered(THROWS(lxd::ApiError, (void)t::client().manager(k).get(key)),
                                   lxd::to_string(k));
            t::check_not_clustered(THROWS(lxd::ApiError, (void)t::client().manager(k).exists(key)),
                                   lxd::to_string(k));
            continue;
        }
        auto nf = THROWS(lxd::NotFound, (void)t::client().manager(k).get(key));
        CHECK_MSG(nf.has_value(), lxd::to_string(k));
        CHECK(!t::client().manager(k).exists(key));
    }
}

TEST(invalid_json_is_rejected_and_the_object_is_unchanged) {
    std::string name = t::unique("json");
    lxd::Object c = t::new_container(name);
    std::string before = c.to_json();
    auto e = THROWS(lxd::InvalidArgument, c.set("description", "not json"));
    CHECK(e && e->code() == LXD_ERR_INVALID_ARGUMENT && e->http_status() == 0);
    THROWS(lxd::InvalidArgument, c.set("config", R"({"a": )"));
    CHECK(!c.dirty());
    CHECK_EQ(c.to_json(), before);
    // Nothing was sent either.
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description"),
             std::optional<std::string>(""));
    // Bad definitions, options and bodies.
    THROWS(lxd::InvalidArgument, t::client().profiles().create("{nope", true));
    THROWS(lxd::InvalidArgument, t::client().profiles().create("[1,2]", true));
    THROWS(lxd::InvalidArgument, (void)t::client().api("PUT", "/1.0/profiles/default", "{"));
    THROWS(lxd::InvalidArgument, lxd::Client(std::nullopt, "{\"no_such_option\":1}"));
}

TEST(attribute_errors_unknown_and_read_only) {
    std::string name = t::unique("attr");
    lxd::Object c = t::new_container(name);
    auto u = THROWS(lxd::UnknownAttribute, (void)c.get("no_such_attribute"));
    CHECK(u && u->code() == LXD_ERR_UNKNOWN_ATTRIBUTE);
    THROWS(lxd::UnknownAttribute, c.set("no_such_attribute", "1"));
    auto r = THROWS(lxd::ReadOnly, c.set("name", R"("other")"));
    CHECK(r && r->code() == LXD_ERR_READ_ONLY);
    THROWS(lxd::ReadOnly, c.set("status", R"("Running")"));
    CHECK(!c.dirty());
}

TEST(nul_bytes_and_invalid_utf8_are_invalid_argument_never_a_crash) {
    using namespace std::string_literals;
    auto containers = t::client().containers();
    auto nul = THROWS(lxd::InvalidArgument, (void)containers.get("lxdt\0x"s));
    CHECK(nul && t::contains(nul->message(), "NUL"));
    THROWS(lxd::InvalidArgument, (void)containers.exists("a\0b"s));
    THROWS(lxd::InvalidArgument, (void)containers.get("\xff\xfe"));
    THROWS(lxd::InvalidArgument, (void)t::client().api("GET", "/1.0\0/x"s));
    THROWS(lxd::InvalidArgument, (void)t::client().api("FETCH", "/1.0"));
    THROWS(lxd::InvalidArgument, (void)t::client().events("lifecycle\0"s));
    THROWS(lxd::InvalidArgument, lxd::Client("/tmp/x\0y"s));
    THROWS(lxd::InvalidArgument, (void)t::client().containers().get_by_alias("x"));
    THROWS(lxd::InvalidArgument, t::client().operations().create("{}", true));
    THROWS(lxd::InvalidArgument, lxd::set_warning_mode(static_cast<lxd::WarningMode>(42)));
    THROWS(lxd::InvalidArgument, (void)t::client().listen("lifecycle", lxd::EventCallback()));
}

TEST(connection_errors) {
    auto e = THROWS(lxd::ConnectionError, lxd::Client("/tmp/lxdt-cpp-no-such-dir/unix.socket"));
    CHECK(e && !e->message().empty() && e->http_status() == 0);
    THROWS(lxd::ConnectionError, lxd::Client("https://127.0.0.1:1", R"({"verify":false})"));
    THROWS(lxd::InvalidArgument, lxd::Client("ftp://example"));
}

TEST(status_names_versions_and_error_construction) {
    CHECK_EQ(std::string(lxd::status_name(LXD_OK)), std::string("LXD_OK"));
    CHECK_EQ(std::string(lxd::status_name(LXD_ERR_UNSAFE_PATH)),
             std::string("LXD_ERR_UNSAFE_PATH"));
    CHECK_EQ(std::string(lxd::status_name(LXD_ERR_RESPONSE_TOO_LARGE)),
             std::string("LXD_ERR_RESPONSE_TOO_LARGE"));
    CHECK_EQ(std::string(lxd::status_name(LXD_ERR_OPERATION_LOST)),
             std::string("LXD_ERR_OPERATION_LOST"));
    CHECK_EQ(std::string(lxd::status_name(999)), std::string("LXD_ERR_UNKNOWN_STATUS"));
    // The last code is LXD_ERR_OPERATION_LOST: the next value is none.
    CHECK_EQ(std::string(lxd::status_name(LXD_ERR_OPERATION_LOST + 1)),
             std::string("LXD_ERR_UNKNOWN_STATUS"));
    CHECK_EQ(std::string(lxd::version()), std::string(LXD_VERSION_STRING));
    // throw_error maps every code to a class of its own (not the base), whose
    // what() starts with the code's name.
    for (lxd_status code = LXD_ERR_INVALID_ARGUMENT; code <= LXD_ERR_OPERATION_LOST; ++code) {
        try {
            lxd::throw_error(code, 0, "m");
        } catch (const lxd::Error &e) {
            CHECK_EQ(e.code(), code);
            CHECK_EQ(e.message(), std::string("m"));
            CHECK_MSG(typeid(e) != typeid(lxd::Error),
                      std::string(lxd::status_name(code)) + " has no class of its own");
            CHECK_EQ(std::string(e.what()), std::string(lxd::status_name(code)) + ": m");
        }
    }
    CHECK(THROWS(lxd::Conflict, lxd::throw_error(LXD_ERR_CONFLICT, 409, "x")).has_value());
    CHECK(THROWS(lxd::Timeout, lxd::throw_error(LXD_ERR_TIMEOUT, 0, "x")).has_value());
    CHECK(THROWS(lxd::UnsafePath, lxd::throw_error(LXD_ERR_UNSAFE_PATH, 0, "x")).has_value());
    auto too_large = THROWS(lxd::ResponseTooLarge,
                            lxd::throw_error(LXD_ERR_RESPONSE_TOO_LARGE, 0, "x"));
    CHECK(too_large && too_large->code() == LXD_ERR_RESPONSE_TOO_LARGE);
    auto lost = THROWS(lxd::OperationLost, lxd::throw_error(LXD_ERR_OPERATION_LOST, 0, "x"));
    CHECK(lost && lost->code() == LXD_ERR_OPERATION_LOST);
    CHECK(THROWS(lxd::Error, lxd::throw_error(1234, 0, "x")).has_value());
}

TEST(moved_from_handles_throw_invalid_argument) {
    std::string name = t::unique("move");
    lxd::Object c = t::new_container(name);
    lxd::Object moved = std::move(c);
    CHECK(!c);
    CHECK(moved);
    auto e = THROWS(lxd::InvalidArgument, (void)c.get("config"));
    CHECK(e && e->code() == LXD_ERR_INVALID_ARGUMENT && t::contains(e->message(), "moved"));
    THROWS(lxd::InvalidArgument, c.save(true));
    THROWS(lxd::InvalidArgument, c.start());
    THROWS(lxd::InvalidArgument, (void)c.files());
    THROWS(lxd::InvalidArgument, (void)c.exec({"true"}));
    THROWS(lxd::InvalidArgument, (void)c.kind());
    CHECK_EQ(moved.key(), name);
    lxd::Object assigned;
    assigned = std::move(moved);
    CHECK_EQ(assigned.key(), name);
    THROWS(lxd::InvalidArgument, (void)moved.key());
    lxd::ObjectRef empty_ref;
    THROWS(lxd::InvalidArgument, (void)empty_ref.dirty());

    lxd::Client other;
    lxd::Client taken = std::move(other);
    CHECK(!other);
    THROWS(lxd::InvalidArgument, (void)other.host_info());
    THROWS(lxd::InvalidArgument, (void)other.containers().all());
    THROWS(lxd::InvalidArgument, (void)other.events());
    CHECK(taken.trusted());
    // A Manager made before the move sees the moved-from client: throws.
    lxd::Manager m = taken.containers();
    lxd::Client taken2 = std::move(taken);
    THROWS(lxd::InvalidArgument, (void)m.all());
    taken2.close();
    THROWS(lxd::InvalidArgument, (void)taken2.trusted());

    lxd::List list = t::client().profiles().all();
    lxd::List list2 = std::move(list);
    THROWS(lxd::InvalidArgument, (void)list.size());
    THROWS(lxd::InvalidArgument, (void)list.begin());
    CHECK(list2.size() >= 1);

    lxd::ExecResult r;
    THROWS(lxd::InvalidArgument, (void)r.exit_code());
    THROWS(lxd::InvalidArgument, (void)r.stdout_data());
    lxd::ExecSession s;
    THROWS(lxd::InvalidArgument, s.write("x"));
    lxd::Events ev = t::client().events("lifecycle");
    lxd::Events ev2 = std::move(ev);
    THROWS(lxd::InvalidArgument, (void)ev.next(0));
    ev2.close();
    THROWS(lxd::InvalidArgument, (void)ev2.next(0));
    lxd::EventListener l;
    CHECK(!l.active());
    l.stop(); // idempotent on an empty listener
}

TEST(objects_outlive_their_client) {
    std::string name = t::unique("outlive");
    lxd::Object kept = t::new_container(name);
    {
        lxd::Client c2;
        lxd::Object o = c2.containers().get(name);
        kept = std::move(o);
    }
    kept.set("description", R"("after the client")");
    kept.save(true);
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description"),
             std::optional<std::string>("after the client"));
}
