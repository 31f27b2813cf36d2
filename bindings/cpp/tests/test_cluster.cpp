// Clusters: the Cluster singleton (client.cluster()), the member and group
// managers, the typed cluster actions (join, update_certificate, evacuate,
// restore), join tokens and derived clients. The test daemon is a
// standalone server and must stay one (never enabled, never joined): there
// the cluster is read and checked with lxc, and LXD's refusals are checked
// ("not clustered", a certificate that is not PEM). The requests the typed
// actions, join tokens and derived clients send are checked on a FAKE
// clustered LXD (tests/fake_lxd.hpp). The real cluster of
// scripts/lxd-cluster.sh: tests/test_cluster_real.cpp.

#include "fake_lxd.hpp"
#include "harness.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace {

// The test daemon's server certificate, as LXD reports it.
std::string server_fingerprint() {
    return t::sh_out("lxc query /1.0 | jq -r .environment.certificate_fingerprint")
        .value_or("(lxc failed)");
}

} // namespace

TEST(cluster_of_a_standalone_server_reads_as_lxc_shows_it) {
    REQUIRE(!t::clustered()); // `lxc query /1.0/cluster | jq .enabled` is false
    lxd::Object cl = t::client().cluster();
    CHECK_EQ(cl.kind(), lxd::Kind::Cluster);
    CHECK_EQ(cl.key(), std::string());
    CHECK_EQ(cl.get("enabled"), std::string("false"));
    CHECK_EQ(t::sh_out("lxc query /1.0/cluster | jq -c .server_name"),
             std::optional<std::string>(cl.get("server_name")));
    CHECK_EQ(t::jq(cl.get("member_config"), "type"), std::string("array"));
    // The same object through the manager, by the key "" only.
    lxd::Manager m = t::client().manager(lxd::Kind::Cluster);
    CHECK_EQ(m.get("").get("enabled"), std::string("false"));
    CHECK(m.exists(""));
    CHECK(THROWS(lxd::InvalidArgument, (void)m.get("lxdt-cpp-other")).has_value());
    // Not deletable, not patchable: refused before any request.
    auto del = THROWS(lxd::InvalidArgument, cl.remove());
    CHECK(del && del->http_status() == 0);
    auto pat = THROWS(lxd::InvalidArgument, cl.patch(R"({"server_name":"x"})"));
    CHECK(pat && pat->http_status() == 0);
    // Nothing changed locally: save sends nothing, and the server stays standalone.
    CHECK(!cl.dirty());
    cl.save();
    CHECK_EQ(t::sh_out("lxc query /1.0/cluster | jq -r .enabled"),
             std::optional<std::string>("false"));
}

TEST(cluster_members_groups_and_join_tokens_are_refused_by_a_standalone_server) {
    REQUIRE(!t::clustered());
    lxd::Client &c = t::client();
    // LXD 5.0.2: "Server is not clustered" (HTTP 500) for members, "This
    // server is not clustered" (HTTP 400) for groups and join tokens; the
    // binding's lxd::ApiError with LXD's status and message.
    auto members = THROWS(lxd::ApiError, (void)c.cluster_members().all());
    if (t::check_not_clustered(members, "members")) {
        CHECK_EQ(members->http_status(),
                 500); // as lxc: "Error: Server is not clustered"
        CHECK(t::contains(members->message(), "GET /1.0/cluster/members"));
    }
    t::check_not_clustered(THROWS(lxd::ApiError, (void)c.cluster_members().get("lxdt-cpp-m")),
                           "member get");
    auto groups = THROWS(lxd::ApiError, (void)c.cluster_groups().all());
    if (t::check_not_clustered(groups, "groups")) {
        CHECK_EQ(groups->http_status(), 400);
    }
    std::string group = t::unique("group");
    std::string group_def = R"({"name":)" + lxd::json_string(group) + "}";
    t::check_not_clustered(THROWS(lxd::ApiError, (void)c.cluster_groups().create(group_def)),
                           "group create");
    std::string member = t::unique("member");
    auto token = THROWS(lxd::ApiError, (void)c.create_join_token(member));
    if (t::check_not_clustered(token, "create_join_token")) {
        CHECK_EQ(token->http_status(), 400);
        CHECK(t::contains(token->message(), "POST /1.0/cluster/members: "));
    }
    // No join token is pending on a standalone server (its trust tokens,
    // pending operations of class "token" too, are not join tokens).
    CHECK_EQ(t::jq(c.join_tokens(), "length"), std::string("0"));
    auto revoke = THROWS(lxd::NotFound, c.revoke_join_token(member));
    CHECK(revoke && revoke->http_status() == 0 && t::contains(revoke->message(), member));
    // A name is needed; a NUL byte is refused; both before any request.
    auto unnamed = THROWS(lxd::InvalidArgument, (void)c.create_join_token(""));
    CHECK(unnamed && unnamed->http_status() == 0);
    std::string_view with_nul("a\0b", 3);
    CHECK(THROWS(lxd::InvalidArgument, (void)c.create_join_token(with_nul)).has_value());
    CHECK(THROWS(lxd::InvalidArgument, c.revoke_join_token(with_nul)).has_value());
    // The server is still standalone.
    CHECK_EQ(t::sh_out("lxc query /1.0/cluster | jq -r .enabled"),
             std::optional<std::string>("false"));
}

TEST(cluster_actions_refuse_objects_of_other_kinds_and_lxd_refuses_a_non_pem_certificate) {
    REQUIRE(!t::clustered());
    lxd::Object srv = t::client().server();
    lxd::Object cl = t::client().cluster();
    // A typed action on an object of another kind: refused before any request.
    for (auto *call : std::vector<void (*)(const lxd::ObjectRef &)>{
             [](const lxd::ObjectRef &o) { (void)o.join("{}"); },
             [](const lxd::ObjectRef &o) { (void)o.update_certificate("{}"); },
             [](const lxd::ObjectRef &o) { (void)o.evacuate(); },
             [](const lxd::ObjectRef &o) { (void)o.restore(); }}) {
        auto e = THROWS(lxd::InvalidArgument, call(srv));
        CHECK(e && e->http_status() == 0 && t::contains(e->message(), "Server"));
    }
    auto ev = THROWS(lxd::InvalidArgument, (void)cl.evacuate("stop"));
    CHECK(ev && ev->http_status() == 0);
    auto rs = THROWS(lxd::InvalidArgument, (void)cl.restore());
    CHECK(rs && rs->http_status() == 0);
    // Arguments that are not a JSON object: refused before any request.
    CHECK(THROWS(lxd::InvalidArgument, (void)cl.update_certificate("[1]")).has_value());
    // What is not PEM, LXD refuses before it touches any certificate
    // (empty values: it never gets as far as replacing one).
    std::string before = server_fingerprint();
    std::string empty_pem = R"({"cluster_certificate":"","cluster_certificate_key":""})";
    auto bad = THROWS(lxd::ApiError, (void)cl.update_certificate(empty_pem));
    REQUIRE(bad.has_value());
    CHECK_EQ(bad->http_status(), 400);
    CHECK_MSG(t::contains(bad->message(), "PUT /1.0/cluster/certificate: Certificate must be "
                                          "base64 encoded PEM certificate"),
              bad->message());
    CHECK_EQ(server_fingerprint(), before);
}

namespace {

const char *const member_m1 =
    R"({"server_name":"m1","url":"https://192.0.2.11:8443","database":true,)"
    R"("status":"Online","message":"Fully operational","architecture":"x86_64",)"
    R"("roles":["database"],"failure_domain":"default","description":"",)"
    R"("config":{},"groups":["default"]})";

std::string op(const std::string &id, const std::string &cls, const std::string &status,
               const std::string &metadata) {
    return R"({"id":")" + id + R"(","class":")" + cls +
           R"(","description":"fake","created_at":"2024-01-01T00:00:00Z",)"
           R"("updated_at":"2024-01-01T00:00:00Z","status":")" +
           status + R"(","status_code":)" + (status == "Success" ? "200" : "103") +
           R"(,"resources":{},"metadata":)" + metadata +
           R"(,"may_cancel":false,"err":"","location":"m1"})";
}

const char *const token_op_metadata =
    R"({"serverName":"m4","secret":"s3cr3t","fingerprint":"ff",)"
    R"("addresses":["192.0.2.11:8443"],"expiresAt":"2024-01-01T03:00:00Z"})";

// A FAKE clustered LXD: the cluster (enabled, m1), member m1, group
// "default"; member state changes, join and join tokens start operations
// (a token's stays Running, as LXD's does until the token is used or its
// operation deleted: then it is no longer listed), the certificate is
// taken, the resources and the profiles are read.
t::FakeLxdServer::Handler clustered_lxd() {
    auto token_pending = std::make_shared<std::atomic<bool>>(false);
    return [token_pending](const t::FakeRequest &r) -> std::optional<t::FakeReply> {
        auto sync = [](const std::string &metadata) {
            return t::FakeReply{200, t::sync_body(metadata)};
        };
        const std::string &m = r.method;
        const std::string &p = r.target;
        if (m == "GET" && p == "/1.0/cluster") {
            return sync(R"({"enabled":true,"server_name":"m1","member_config":[]})");
        }
        if (m == "GET" && p.rfind("/1.0/cluster/members?", 0) == 0) {
            return sync(std::string("[") + member_m1 + "]");
        }
        if (m == "GET" && p == "/1.0/cluster/members/m1") {
            return sync(member_m1);
        }
        if (m == "GET" && p.rfind("/1.0/cluster/groups?", 0) == 0) {
            return sync(R"([{"name":"default","description":"","members":["m1"]}])");
        }
        if (m == "POST" && p == "/1.0/cluster/members/m1/state") {
            return t::async_reply("op-state", op("op-state", "task", "Running", "null"));
        }
        if (m == "POST" && p == "/1.0/cluster/members") {
            *token_pending = true;
            return t::async_reply("op-token",
                                  op("op-token", "token", "Running", token_op_metadata));
        }
        if (m == "GET" && p.rfind("/1.0/operations?", 0) == 0) {
            std::string running =
                *token_pending ? "[" + op("op-token", "token", "Running", token_op_metadata) + "]"
                               : "[]";
            return sync(R"({"running":)" + running + "}");
        }
        if (m == "DELETE" && p == "/1.0/operations/op-token" && *token_pending) {
            *token_pending = false;
            return sync("{}");
        }
        if (m == "GET" && p.rfind("/1.0/resources", 0) == 0) {
            return sync(R"({"cpu":{"total":1}})");
        }
        if (m == "GET" && p.rfind("/1.0/profiles?", 0) == 0) {
            return sync("[]");
        }
        if (m == "PUT" && p == "/1.0/cluster") {
            return t::async_reply("op-join", op("op-join", "task", "Running", "null"));
        }
        if (m == "PUT" && p == "/1.0/cluster/certificate") {
            return sync("{}");
        }
        for (const char *id : {"op-state", "op-join"}) {
            if (m == "GET" && p.rfind(std::string("/1.0/operations/") + id + "/wait", 0) == 0) {
                return sync(op(id, "task", "Success", "null"));
            }
        }
        return std::nullopt;
    };
}

// The requests of `fake` since the first `from` of them: "METHOD target
// body" per request, the body's keys sorted (jq -cS), the target without
// its query.
std::vector<std::string> requests_since(const t::FakeLxdServer &fake, std::size_t from) {
    std::vector<std::string> out;
    std::vector<t::FakeRequest> log = fake.log();
    for (std::size_t i = from; i < log.size(); ++i) {
        std::string line = log[i].method + " " + log[i].target.substr(0, log[i].target.find('?'));
        if (!log[i].body.empty()) {
            line += " " + t::sh_out("printf '%s' " + t::shq(log[i].body) + " | jq -cS .")
                              .value_or("(not JSON: " + log[i].body + ")");
        }
        out.push_back(line);
    }
    return out;
}

std::string joined(const std::vector<std::string> &lines) {
    std::string s;
    for (const std::string &l : lines) {
        s += l + "\n";
    }
    return s;
}

} // namespace

TEST(cluster_actions_send_lxds_requests_to_a_fake_cluster) {
    // A newer LXD than 5.0.2: with clustering_evacuation_mode.
    t::FakeLxdServer fake(R"(["clustering","clustering_join","clustering_join_token",)"
                          R"("clustering_update_cert","clustering_evacuation",)"
                          R"("clustering_evacuation_mode","clustering_groups"])",
                          clustered_lxd());
    lxd::Client c(fake.path());
    lxd::Object cl = c.cluster();
    CHECK_EQ(cl.get("enabled"), std::string("true"));
    lxd::List members = c.cluster_members().all();
    REQUIRE_EQ(members.size(), std::size_t(1));
    CHECK_EQ(members[0].key(), std::string("m1"));
    CHECK_EQ(c.cluster_groups().all()[0].get("members"), std::string(R"(["m1"])"));
    lxd::Object m1 = c.cluster_members().get("m1");

    // evacuate(mode, wait): POST .../state, then LXD's wait for the operation.
    std::size_t from = fake.log().size();
    std::string done = m1.evacuate("stop");
    CHECK_EQ(t::jq(done, ".status"), std::string("Success"));
    std::string sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, "POST /1.0/cluster/members/m1/state "
                                R"({"action":"evacuate","mode":"stop"})"
                                "\nGET /1.0/operations/op-state/wait\n"),
              sent);
    // Without a mode, LXD's default; without wait, the running operation.
    from = fake.log().size();
    std::string running = m1.evacuate("", false);
    CHECK_EQ(t::jq(running, ".status"), std::string("Running"));
    sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, R"(POST /1.0/cluster/members/m1/state {"action":"evacuate"})"),
              sent);
    CHECK_MSG(!t::contains(sent, "/wait"), sent);
    // restore(wait) on a member: the state action "restore".
    from = fake.log().size();
    CHECK_EQ(t::jq(m1.restore(), ".status"), std::string("Success"));
    sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, R"(POST /1.0/cluster/members/m1/state {"action":"restore"})"
                                "\nGET /1.0/operations/op-state/wait\n"),
              sent);

    // create_join_token(name): POST /1.0/cluster/members, not waited for
    // (the token's operation runs until the token is used); the token
    // described, its string LXD's: base64 of the token document.
    from = fake.log().size();
    std::string token = c.create_join_token("m4");
    CHECK_EQ(t::jq(token, ".id"), std::string("op-token"));
    CHECK_EQ(t::jq(token, ".server_name"), std::string("m4"));
    CHECK_EQ(t::jq(token, ".expires_at"), std::string("2024-01-01T03:00:00Z"));
    CHECK_EQ(t::jq(token, "keys | join(\",\")"),
             std::string("addresses,created_at,expires_at,fingerprint,id,server_name,token"));
    CHECK_EQ(t::sh_out("printf '%s' " + t::shq(t::jq(token, ".token")) + " | base64 -d"),
             std::optional<std::string>(
                 R"({"server_name":"m4","fingerprint":"ff","addresses":["192.0.2.11:8443"],)"
                 R"("secret":"s3cr3t","expires_at":"2024-01-01T03:00:00Z"})"));
    sent = joined(requests_since(fake, from));
    CHECK_EQ(sent, std::string(R"(POST /1.0/cluster/members {"server_name":"m4"})"
                               "\n"));
    // join_tokens(): the pending token operations, described alike.
    from = fake.log().size();
    std::string pending = c.join_tokens();
    CHECK_EQ(t::jq(pending, "length"), std::string("1"));
    CHECK_EQ(t::jq(pending, ".[0].token"), t::jq(token, ".token"));
    CHECK_EQ(joined(requests_since(fake, from)), std::string("GET /1.0/operations\n"));
    // revoke_join_token(name or id): the token's operation deleted.
    from = fake.log().size();
    c.revoke_join_token("m4");
    CHECK_EQ(joined(requests_since(fake, from)),
             std::string("GET /1.0/operations\nDELETE /1.0/operations/op-token\n"));
    CHECK_EQ(t::jq(c.join_tokens(), "length"), std::string("0"));
    auto gone = THROWS(lxd::NotFound, c.revoke_join_token("op-token"));
    CHECK(gone && gone->http_status() == 0);

    // join(args, wait): PUT /1.0/cluster with "enabled" true and the arguments.
    from = fake.log().size();
    std::string joined_op =
        cl.join(R"({"server_name":"m4","server_address":"192.0.2.14:8443",)"
                R"("cluster_address":"192.0.2.11:8443","cluster_certificate":"PEM",)"
                R"("cluster_password":"s3cr3t"})");
    CHECK_EQ(t::jq(joined_op, ".status"), std::string("Success"));
    sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, R"(PUT /1.0/cluster {"cluster_address":"192.0.2.11:8443",)"
                                R"("cluster_certificate":"PEM","cluster_password":"s3cr3t",)"
                                R"("enabled":true,"server_address":"192.0.2.14:8443",)"
                                R"("server_name":"m4"})"
                                "\nGET /1.0/operations/op-join/wait\n"),
              sent);

    // update_certificate(args): PUT /1.0/cluster/certificate with them.
    from = fake.log().size();
    (void)cl.update_certificate(R"({"cluster_certificate":"C","cluster_certificate_key":"K"})");
    sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, R"(PUT /1.0/cluster/certificate )"
                                R"({"cluster_certificate":"C","cluster_certificate_key":"K"})"),
              sent);
}

TEST(cluster_actions_need_their_api_extensions) {
    // A FAKE clustered LXD with "clustering" only: the actions' own
    // extensions are missing, refused before any request.
    t::FakeLxdServer fake(R"(["clustering"])", clustered_lxd());
    lxd::Client c(fake.path());
    lxd::Object cl = c.cluster();
    lxd::Object m1 = c.cluster_members().get("m1");
    int before = fake.requests();
    auto ev = THROWS(lxd::ExtensionMissing, (void)m1.evacuate());
    CHECK(ev && t::contains(ev->message(), "clustering_evacuation"));
    CHECK(THROWS(lxd::ExtensionMissing, (void)m1.restore()).has_value());
    auto cert = THROWS(lxd::ExtensionMissing, (void)cl.update_certificate("{}"));
    CHECK(cert && t::contains(cert->message(), "clustering_update_cert"));
    auto groups = THROWS(lxd::ExtensionMissing, (void)c.cluster_groups().all());
    CHECK(groups && t::contains(groups->message(), "clustering_groups"));
    CHECK_EQ(fake.requests(), before);
}

TEST(cluster_evacuate_mode_needs_its_extension_and_fixed_bodies_stay_fixed) {
    // A FAKE cluster as LXD 5.0.2's: clustering_evacuation, without
    // clustering_evacuation_mode (each instance's cluster.evacuate decides).
    t::FakeLxdServer fake(R"(["clustering","clustering_evacuation"])", clustered_lxd());
    lxd::Client c(fake.path());
    lxd::Object m1 = c.cluster_members().get("m1");
    int before = fake.requests();
    for (const char *mode : {"stop", "migrate", "live-migrate"}) {
        auto e = THROWS(lxd::ExtensionMissing, (void)m1.evacuate(mode));
        CHECK(e && e->http_status() == 0 &&
              t::contains(e->message(), "clustering_evacuation_mode"));
    }
    // The same through the generic action.
    CHECK(THROWS(lxd::ExtensionMissing, (void)m1.action("evacuate", R"({"mode":"stop"})"))
              .has_value());
    // An argument may not change what the action is ({"action":"restore"}
    // is restore's body, not evacuate's).
    auto fixed = THROWS(lxd::InvalidArgument,
                        (void)m1.action("evacuate", R"({"action":"restore"})"));
    CHECK(fixed && t::contains(fixed->message(), "fixed"));
    CHECK(THROWS(lxd::InvalidArgument, (void)m1.action("restore", R"({"action":"evacuate"})"))
              .has_value());
    CHECK_EQ(fake.requests(), before);
    // Without a mode: LXD's request.
    std::size_t from = fake.log().size();
    CHECK_EQ(t::jq(m1.evacuate(), ".status"), std::string("Success"));
    std::string sent = joined(requests_since(fake, from));
    CHECK_MSG(t::contains(sent, R"(POST /1.0/cluster/members/m1/state {"action":"evacuate"})"),
              sent);
}

TEST(client_options_and_derive_send_the_project_and_target) {
    lxd::ClientOptions o;
    o.project = "p1";
    o.target = "m1";
    o.endpoints = {"https://192.0.2.2:8443", "https://192.0.2.3"};
    o.failover = false;
    CHECK_EQ(o.to_json(),
             std::string(R"({"project":"p1","target":"m1",)"
                         R"("endpoints":["https://192.0.2.2:8443","https://192.0.2.3"],)"
                         R"("failover":false})"));
    CHECK_EQ(lxd::ClientOptions{}.to_json(), std::string("{}"));

    // On a FAKE cluster: the project and target in the requests' queries.
    t::FakeLxdServer fake(R"(["clustering","resources","projects"])", clustered_lxd());
    lxd::ClientOptions po;
    po.project = "p1";
    po.target = "m1";
    lxd::Client c(fake.path(), po);
    CHECK_EQ(c.endpoint(), fake.path());
    auto last_target = [&fake] {
        std::vector<t::FakeRequest> log = fake.log();
        return log.empty() ? std::string() : log.back().target;
    };
    // Whether `param` ("target=m1") is one of the query's parameters.
    auto query_has = [](const std::string &target, const std::string &param) {
        std::size_t q = target.find('?');
        return q != std::string::npos && t::contains("&" + target.substr(q + 1) + "&",
                                                     "&" + param + "&");
    };
    (void)c.resources();
    CHECK_MSG(query_has(last_target(), "target=m1"), last_target());
    (void)c.profiles().all();
    CHECK_MSG(query_has(last_target(), "project=p1"), last_target());

    // Target m2, project kept.
    lxd::Client m2 = c.derive(lxd::keep, "m2");
    (void)m2.resources();
    CHECK_MSG(query_has(last_target(), "target=m2"), last_target());
    (void)m2.profiles().all();
    CHECK_MSG(query_has(last_target(), "project=p1"), last_target());
    // Project p2, target kept; then both dropped (lxd::drop, nullptr).
    lxd::Client p2 = m2.derive("p2");
    (void)p2.resources();
    CHECK_MSG(query_has(last_target(), "target=m2"), last_target());
    (void)p2.profiles().all();
    CHECK_MSG(query_has(last_target(), "project=p2"), last_target());
    lxd::Client plain = p2.derive(lxd::drop, nullptr);
    (void)plain.resources();
    CHECK_MSG(!t::contains(last_target(), "target="), last_target());
    (void)plain.profiles().all();
    CHECK_MSG(!t::contains(last_target(), "project="), last_target());
    // The original client is unchanged, and outlives none of them.
    m2.close();
    (void)c.resources();
    CHECK_MSG(query_has(last_target(), "target=m1"), last_target());
    (void)p2.resources(); // its own client: the one it came from closed
    CHECK_MSG(query_has(last_target(), "target=m2"), last_target());
    // derive makes no request.
    int before = fake.requests();
    lxd::Client again = c.derive(lxd::keep, lxd::keep);
    CHECK_EQ(fake.requests(), before);
    // A NUL byte is refused; an empty client throws.
    std::string_view with_nul("a\0b", 3);
    CHECK(THROWS(lxd::InvalidArgument, (void)c.derive(with_nul)).has_value());
    CHECK(THROWS(lxd::InvalidArgument, (void)m2.derive("p3")).has_value());
    CHECK(THROWS(lxd::InvalidArgument, (void)m2.endpoint()).has_value());
}
