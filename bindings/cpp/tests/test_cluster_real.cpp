// Clusters for real: the "cluster" cluster of scripts/lxd-cluster.sh
// (members m1, m2, m3 on https://127.0.0.11-13:8443, the member-local dir
// pool "local", the busybox image; a trusted client certificate, and the
// cluster's certificate to pin, in /var/lib/lxd-liblxd-cluster). Clients
// over HTTPS with several endpoints, failing over past a dead address
// (127.0.0.19:8443, where nothing listens: no daemon is ever killed here),
// derived clients with a target member and a project, join tokens, and
// evacuate's refused mode. Every outcome is read back with `lxc` on m1's
// unix socket.
//
// The cluster is shared with the C suite (tests/c/test_cluster.c, which
// evacuates m2, renames m3 and joins a fourth member while this runs in
// CI) and the other bindings: everything made here is named lxdt-cpp-…
// and deleted; nothing here evacuates, renames, removes, joins or enables
// anything, nor changes the cluster's certificate.

#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace {

const std::string kState = "/var/lib/lxd-liblxd-cluster";
const std::string kLxc = "LXD_DIR=/var/lib/lxd-liblxd-cluster-1 lxc";
const std::vector<std::string> kMembers = {"https://127.0.0.11:8443", "https://127.0.0.12:8443",
                                           "https://127.0.0.13:8443"};
// Nothing listens there: connections are refused at once.
const std::string kDead = "https://127.0.0.19:8443";

// Whether the cluster's state is here; if not, says why the test is skipped.
bool have_cluster() {
    if (t::sh("test -d " + kState + " && test -f " + kState + "/client.crt") == 0) {
        return true;
    }
    std::cout << "    skipped: no cluster state in " << kState
              << " (bring it up: bash scripts/lxd-cluster.sh cluster up)" << std::endl;
    return false;
}

// The options of a trusted client of the cluster, pinning its
// certificate, with `endpoints`.
lxd::ClientOptions cluster_options(std::vector<std::string> endpoints) {
    lxd::ClientOptions o;
    o.cert = kState + "/client.crt";
    o.key = kState + "/client.key";
    o.server_cert = kState + "/cluster.crt";
    o.endpoints = std::move(endpoints);
    return o;
}

// A client of the cluster with its three members as endpoints (made once:
// every handshake is slow under valgrind).
lxd::Client &cluster() {
    static std::unique_ptr<lxd::Client> c;
    if (!c) {
        c = std::make_unique<lxd::Client>(std::nullopt, cluster_options(kMembers));
    }
    return *c;
}

// The member names lxc lists, sorted, comma-separated.
std::optional<std::string> lxc_member_names() {
    return t::sh_out(kLxc + " cluster list --format csv | grep -oE '^[^,]+,https://' | cut -d, "
                            "-f1 | LC_ALL=C sort | paste -sd,");
}

// The member names liblxd lists, sorted, comma-separated.
std::string member_names(const lxd::Client &c) {
    std::vector<std::string> names;
    for (lxd::ObjectRef m : c.cluster_members().all()) {
        names.push_back(m.key());
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (const std::string &n : names) {
        out += (out.empty() ? "" : ",") + n;
    }
    return out;
}

// An attribute read as text (a JSON string without its quotes).
std::string text(const lxd::ObjectRef &o, const std::string &attr) {
    return t::jq(o.get(attr), ".");
}

// Delete instance `name` (of `project`, "" for the default) after the test.
void delete_after(const std::string &name, const std::string &project = "") {
    std::string p = project.empty() ? "" : " --project " + project;
    t::defer_sh(kLxc + " delete -f" + p + " " + name + " >/dev/null 2>&1");
}

bool is_member(const std::string &url) {
    return std::find(kMembers.begin(), kMembers.end(), url) != kMembers.end();
}

} // namespace

TEST(cluster_real_client_of_three_endpoints_reads_the_members_as_lxc) {
    if (!have_cluster()) return;
    lxd::Client &c = cluster();
    CHECK(c.trusted());
    CHECK_EQ(c.cluster().get("enabled"), std::string("true"));
    CHECK_MSG(is_member(c.endpoint()), c.endpoint());
    // The members by name, as lxc lists them. The C suite may rename one
    // or join a fourth meanwhile: both are read again until they agree.
    std::string ours;
    std::optional<std::string> theirs;
    bool same = t::eventually(
        [&] {
            ours = member_names(c);
            theirs = lxc_member_names();
            return theirs == std::optional<std::string>(ours);
        },
        20);
    CHECK_MSG(same, ours + " vs lxc's " + theirs.value_or("(lxc failed)"));
    CHECK_MSG(t::contains(ours, "m1") && t::contains(ours, "m2"), ours);

    // Member m2: its url and status, as lxc query reads them (its status
    // read again until both agree: the C suite evacuates m2).
    lxd::Object m2 = c.cluster_members().get("m2");
    CHECK_EQ(m2.key(), std::string("m2"));
    CHECK_EQ(text(m2, "url"), std::string("https://127.0.0.12:8443"));
    CHECK_EQ(t::sh_out(kLxc + " query /1.0/cluster/members/m2 | jq -r .url"),
             std::optional<std::string>(text(m2, "url")));
    std::string status;
    std::optional<std::string> lxc_status;
    bool agree = t::eventually(
        [&] {
            m2.sync();
            status = text(m2, "status");
            lxc_status = t::sh_out(kLxc + " query /1.0/cluster/members/m2 | jq -r .status");
            return lxc_status == std::optional<std::string>(status);
        },
        20);
    CHECK_MSG(agree, status + " vs lxc's " + lxc_status.value_or("(lxc failed)"));
    CHECK_MSG(status == "Online" || status == "Evacuated", status);

    // A comma list reaches the same cluster, its first member answering.
    lxd::Client c2(kMembers[1] + "," + kMembers[0], cluster_options({}));
    CHECK_EQ(c2.endpoint(), kMembers[1]);
    CHECK_EQ(c2.cluster().get("server_name"), std::string(R"("m2")"));
}

TEST(cluster_real_failover_moves_past_a_dead_endpoint) {
    if (!have_cluster()) return;
    std::vector<std::string> endpoints = {kDead};
    endpoints.insert(endpoints.end(), kMembers.begin(), kMembers.end());
    // The dead address first: the client's GET /1.0 moved on to a member.
    // (Not checked with endpoint() here: the dead address's first back-off
    // is 0.5 s, which the TLS handshake with the member that answered may
    // take under valgrind, and then endpoint() names the dead address
    // again: the first whose back-off is not running.)
    lxd::Client c(std::nullopt, cluster_options(endpoints));
    // A GET works, through a real member, and the dead address is left
    // alone for a second now (its second failure): endpoint() names the
    // member that answered.
    CHECK_EQ(c.cluster().get("enabled"), std::string("true"));
    std::string ep = c.endpoint();
    CHECK_MSG(is_member(ep), ep);
    CHECK_EQ(t::sh_out("LXD_DIR=/var/lib/lxd-liblxd-cluster-" + ep.substr(17, 1) +
                       " lxc query /1.0/cluster | jq -r .server_name"),
             std::optional<std::string>(t::jq(c.cluster().get("server_name"), ".")));
    // Once the dead address's back-off (0.5 s, 1 s after a second
    // failure) is over it is first choice again: the POST of a create
    // goes there first, is refused before anything was sent, and so moves
    // on to a member too.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::string name = t::unique("clfo");
    delete_after(name);
    lxd::Object made = c.containers().create(t::busybox(name));
    CHECK_EQ(made.key(), name);
    // (endpoint() is where the next request goes first: once the dead
    // address's back-off is over, that is the dead address again.)
    std::optional<std::string> listed =
        t::sh_out(kLxc + " list --format csv -c nL | grep '^" + name + ",'");
    CHECK_EQ(listed, std::optional<std::string>(name + "," + text(made, "location")));
    made.remove();
    CHECK_EQ(t::sh_out(kLxc + " list --format csv -c n | grep -c '^" + name + "$' || true"),
             std::optional<std::string>("0"));

    // Failover off, the dead address first: only it is used, so the
    // client's very first request (in the constructor) fails.
    lxd::ClientOptions off = cluster_options(endpoints);
    off.failover = false;
    auto e = THROWS(lxd::ConnectionError, lxd::Client(std::nullopt, off));
    CHECK(e && e->code() == LXD_ERR_CONNECTION);
    // As a comma list with the option "failover" in JSON: the same.
    CHECK(THROWS(lxd::ConnectionError,
                 lxd::Client(kDead + "," + kMembers[0],
                             std::string_view(R"({"failover":false,"verify":false})")))
              .has_value());
}

TEST(cluster_real_derive_targets_a_member_and_a_project) {
    if (!have_cluster()) return;
    lxd::Client &c = cluster();
    // Target m2: a container made through it is placed there. (The C
    // suite evacuates m2 for a while: then nothing is placed on it, so
    // the test waits for m2 to be online.)
    lxd::Client on_m2 = c.derive(lxd::keep, "m2");
    CHECK_MSG(is_member(on_m2.endpoint()), on_m2.endpoint());
    std::string name = t::unique("cltg");
    delete_after(name);
    t::eventually(
        [] {
            return t::sh_out(kLxc + " query /1.0/cluster/members/m2 | jq -r .status") ==
                   std::optional<std::string>("Online");
        },
        60);
    lxd::Object o = on_m2.containers().create(t::busybox(name));
    CHECK_EQ(o.get("location"), std::string(R"("m2")"));
    CHECK_EQ(t::sh_out(kLxc + " list --format csv -c nL | grep '^" + name + ",'"),
             std::optional<std::string>(name + ",m2"));
    CHECK_EQ(t::sh_out(kLxc + " query /1.0/instances/" + name + " | jq -r .location"),
             std::optional<std::string>("m2"));
    // Read-only, as LXD decides it.
    CHECK(THROWS(lxd::ReadOnly, o.set("location", R"("m3")")).has_value());
    // Through the untargeted client too (LXD forwards).
    CHECK_EQ(c.containers().get(name).get("location"), std::string(R"("m2")"));

    // The target's own state: the server config is m2's. With the target
    // dropped again it is that of the member answering.
    lxd::Client back = on_m2.derive(lxd::keep, lxd::drop);
    auto https_address = [](const lxd::Client &cl) {
        return t::jq(cl.server().get("config"), R"(.["core.https_address"])");
    };
    CHECK_EQ(https_address(on_m2), std::string("127.0.0.12:8443"));
    CHECK_EQ("https://" + https_address(back), back.endpoint());
    CHECK_EQ("https://" + https_address(c.derive(lxd::keep, nullptr)), c.endpoint());
    // So are member-local volumes: through m2's pool "local" ...
    std::string vol = t::unique("clvol");
    t::defer_sh(kLxc + " storage volume delete local " + vol + " --target m2 >/dev/null 2>&1");
    lxd::Object v =
        on_m2.storage_pools().get("local").storage_volumes().create(R"({"name":")" + vol + R"("})");
    CHECK_EQ(v.get("location"), std::string(R"("m2")"));
    CHECK_EQ(t::sh_out(kLxc + " query '/1.0/storage-pools/local/volumes/custom/" + vol +
                       "?target=m2' | jq -r .location"),
             std::optional<std::string>("m2"));
    v.remove();
    CHECK(t::sh(kLxc + " query '/1.0/storage-pools/local/volumes/custom/" + vol +
                "?target=m2' >/dev/null 2>&1") != 0);

    // A project of its own: a derived client reaches only its objects.
    std::string proj = t::unique("clpj");
    t::defer_sh(kLxc + " project delete " + proj + " >/dev/null 2>&1");
    c.projects().create(R"({"name":")" + proj +
                        R"(","config":{"features.profiles":"true","features.images":"false"}})");
    lxd::Client in_proj = on_m2.derive(proj); // the target kept
    std::string prof = t::unique("clpf");
    t::defer_sh(kLxc + " profile delete --project " + proj + " " + prof + " >/dev/null 2>&1");
    in_proj.profiles().create(R"({"name":")" + prof + R"("})");
    std::vector<std::string> profiles;
    for (lxd::ObjectRef p : in_proj.profiles().all()) {
        profiles.push_back(p.key());
    }
    std::sort(profiles.begin(), profiles.end());
    CHECK_MSG(profiles == (std::vector<std::string>{"default", prof}),
              std::to_string(profiles.size()) + " profiles, the first " +
                  (profiles.empty() ? std::string("-") : profiles[0]));
    CHECK(t::sh(kLxc + " profile show --project " + proj + " " + prof + " >/dev/null 2>&1") == 0);
    CHECK(!c.profiles().exists(prof));
    CHECK(t::sh(kLxc + " profile show " + prof + " >/dev/null 2>&1") != 0);
    // The default project's container is not in it, and back without the project.
    CHECK(!in_proj.instances().exists(name));
    CHECK_EQ(in_proj.instances().all().size(), std::size_t(0));
    lxd::Client default_again = in_proj.derive(nullptr);
    CHECK(default_again.instances().exists(name));
    CHECK(!default_again.profiles().exists(prof));

    // Deleted through liblxd.
    in_proj.profiles().get(prof).remove();
    c.projects().get(proj).remove();
    CHECK(t::sh(kLxc + " project show " + proj + " >/dev/null 2>&1") != 0);
    o.remove();
    CHECK_EQ(t::sh_out(kLxc + " list --format csv -c n | grep -c '^" + name + "$' || true"),
             std::optional<std::string>("0"));
}

TEST(cluster_real_join_tokens_are_lxcs) {
    if (!have_cluster()) return;
    lxd::Client &c = cluster();
    std::string member = t::unique("cltok");
    t::defer_sh(kLxc + " cluster revoke-token " + member + " >/dev/null 2>&1");
    std::string made = c.create_join_token(member);
    CHECK_EQ(t::jq(made, ".server_name"), member);
    std::string token = t::jq(made, ".token");
    std::string id = t::jq(made, ".id");
    CHECK_MSG(token.size() > 20 && !id.empty(), made);
    // The string lxc lists for the name, byte for byte.
    CHECK_EQ(t::sh_out(kLxc + " cluster list-tokens --format csv | grep '^" + member +
                       ",' | cut -d, -f2"),
             std::optional<std::string>(token));
    std::string pending = c.join_tokens();
    CHECK_EQ(t::jq(pending, "map(select(.server_name == \"" + member + "\")) | .[0].token"), token);
    CHECK_EQ(t::jq(pending, "map(select(.server_name == \"" + member + "\")) | .[0].id"), id);

    c.revoke_join_token(member);
    CHECK_EQ(t::sh_out(kLxc + " cluster list-tokens --format csv | grep -c '^" + member +
                       ",' || true"),
             std::optional<std::string>("0"));
    CHECK(!t::contains(c.join_tokens(), member));
    auto again = THROWS(lxd::NotFound, c.revoke_join_token(member));
    CHECK(again && t::contains(again->message(), member));
    CHECK(THROWS(lxd::NotFound, c.revoke_join_token(id)).has_value());
}

TEST(cluster_real_evacuate_with_a_mode_is_refused_before_any_request) {
    if (!have_cluster()) return;
    // Member m1 (the C suite evacuates m2 for a while; m1 stays online).
    lxd::Object m1 = cluster().cluster_members().get("m1");
    CHECK_EQ(text(m1, "status"), std::string("Online"));
    // LXD 5.0.2 lacks clustering_evacuation_mode: a mode is refused.
    auto e = THROWS(lxd::ExtensionMissing, (void)m1.evacuate("stop"));
    CHECK(e && e->http_status() == 0 && t::contains(e->message(), "clustering_evacuation_mode"));
    CHECK(!cluster().has_api_extension("clustering_evacuation_mode"));
    // Nothing happened: m1 is online, as lxc sees it.
    // (lxc's STATE, the last but one column; ROLES may hold a quoted comma.)
    CHECK_EQ(t::sh_out(kLxc + " cluster list --format csv | grep '^m1,' | "
                              "grep -oE ',[A-Z]+,[^,]*$' | cut -d, -f2"),
             std::optional<std::string>("ONLINE"));
    CHECK_EQ(t::sh_out(kLxc + " query /1.0/cluster/members/m1 | jq -r .status"),
             std::optional<std::string>("Online"));
}
