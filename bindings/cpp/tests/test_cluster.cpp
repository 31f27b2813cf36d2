// Clusters: the Cluster singleton (client.cluster()), the member and group
// managers, and the typed cluster actions (join, update_certificate,
// evacuate, restore, join_token). The test daemon is a standalone server
// and must stay one (never enabled, never joined): there the cluster is
// read and checked with lxc, and LXD's refusals are checked ("not
// clustered", a certificate that is not PEM). The requests the typed
// actions send are checked on a FAKE clustered LXD (tests/fake_lxd.hpp);
// a real cluster is tested once the project has one.

#include "fake_lxd.hpp"
#include "harness.hpp"

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

TEST(cluster_members_groups_and_join_token_are_refused_by_a_standalone_server) {
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
    auto token = THROWS(lxd::ApiError, (void)c.cluster_members().join_token(member));
    if (t::check_not_clustered(token, "join_token")) {
        CHECK_EQ(token->http_status(), 400);
        CHECK(t::contains(token->message(), "POST /1.0/cluster/members: "));
    }
    // join_token is the members' manager's only.
    auto other = THROWS(lxd::InvalidArgument, (void)c.profiles().join_token(member));
    CHECK(other && other->http_status() == 0);
    std::string_view with_nul("a\0b", 3);
    CHECK(THROWS(lxd::InvalidArgument, (void)c.cluster_members().join_token(with_nul)).has_value());
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

// A FAKE clustered LXD: the cluster (enabled, m1), member m1, group
// "default"; member state changes, join and join tokens start operations
// (a token's stays Running, as LXD's does until the token is used), the
// certificate is taken.
t::FakeLxdServer::Handler clustered_lxd() {
    return [](const t::FakeRequest &r) -> std::optional<t::FakeReply> {
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
            return t::async_reply(
                "op-token", op("op-token", "token", "Running",
                               R"({"serverName":"m4","secret":"s3cr3t","fingerprint":"ff",)"
                               R"("addresses":["192.0.2.11:8443"],)"
                               R"("expiresAt":"2024-01-01T03:00:00Z"})"));
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
    t::FakeLxdServer fake(R"(["clustering","clustering_join","clustering_join_token",)"
                          R"("clustering_update_cert","clustering_evacuation",)"
                          R"("clustering_groups"])",
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

    // join_token(name): POST /1.0/cluster/members, not waited for (the
    // token's operation runs until the token is used); the token in its metadata.
    from = fake.log().size();
    std::string token = c.cluster_members().join_token("m4");
    CHECK_EQ(t::jq(token, ".metadata.secret"), std::string("s3cr3t"));
    CHECK_EQ(t::jq(token, ".status"), std::string("Running"));
    sent = joined(requests_since(fake, from));
    CHECK_EQ(sent, std::string(R"(POST /1.0/cluster/members {"server_name":"m4"})"
                               "\n"));

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
    auto tok = THROWS(lxd::ExtensionMissing, (void)c.cluster_members().join_token("m4"));
    CHECK(tok && t::contains(tok->message(), "clustering_join_token"));
    auto cert = THROWS(lxd::ExtensionMissing, (void)cl.update_certificate("{}"));
    CHECK(cert && t::contains(cert->message(), "clustering_update_cert"));
    auto groups = THROWS(lxd::ExtensionMissing, (void)c.cluster_groups().all());
    CHECK(groups && t::contains(groups->message(), "clustering_groups"));
    CHECK_EQ(fake.requests(), before);
}
