// HTTPS: a client certificate made for this test and trusted with lxc
// (removed again afterwards), LXD's server certificate pinned; the
// untrusted and unverified cases; authenticate's refusals.

#include "harness.hpp"

#include <cstdlib>

namespace {

const char kEndpoint[] = "https://127.0.0.1:8443";
const char kServerCert[] = "/var/lib/lxd/server.crt";

struct Cert {
    std::string dir;
    std::string cert;
    std::string key;
    std::string fingerprint;
};

// A fresh self-signed client certificate; `trust`: trusted by LXD (until
// the test ends).
Cert make_cert(bool trust) {
    char tmpl[] = "/tmp/lxdt-cpp-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    Cert c;
    c.dir = tmpl;
    t::defer_sh("rm -rf " + t::shq(c.dir));
    c.cert = c.dir + "/cert.pem";
    c.key = c.dir + "/key.pem";
    REQUIRE(t::sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-keyout " +
                  c.key + " -out " + c.cert + " -days 1 -subj /CN=lxdt-cpp >/dev/null 2>&1") == 0);
    auto fp = t::sh_out("openssl x509 -in " + c.cert +
                        " -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f");
    REQUIRE(fp && fp->size() == 64);
    c.fingerprint = *fp;
    if (trust) {
        t::defer_sh("lxc config trust remove " + c.fingerprint + " >/dev/null 2>&1");
        REQUIRE(t::sh("lxc config trust add " + c.cert + " --name " + t::unique("trust") +
                      " >/dev/null") == 0);
    }
    return c;
}

} // namespace

TEST(https_client_with_pinned_server_cert_does_real_work) {
    Cert cert = make_cert(true);
    lxd::ClientOptions opts;
    opts.cert = cert.cert;
    opts.key = cert.key;
    opts.server_cert = kServerCert;
    lxd::Client c(kEndpoint, opts);
    CHECK(c.trusted());
    CHECK(c.has_api_extension("instances"));
    CHECK(!c.has_api_extension("lxdt-no-such-extension"));
    CHECK(t::contains(c.host_info(), R"("auth":"trusted")"));
    // Our certificate is among the trusted ones, seen over HTTPS.
    CHECK(c.certificates().exists(cert.fingerprint));
    lxd::Object me = c.certificates().get(cert.fingerprint);
    CHECK_EQ(me.key(), cert.fingerprint);

    // Create, update and delete a container over HTTPS, checked with lxc.
    std::string name = t::unique("https");
    t::defer_sh("lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::Object ctr = c.containers().create(t::busybox(name), true);
    ctr.start(-1, false, true);
    CHECK_EQ(t::sh_out("lxc list -c s --format csv " + t::shq("^" + name + "$")),
             std::optional<std::string>("RUNNING"));
    CHECK_EQ(ctr.exec({"echo", "over tls"}).stdout_data(), std::string_view("over tls\n"));
    ctr.files().put("/root/tls", std::string("a\0b", 3));
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- od -An -c /root/tls | tr -s ' '"),
             std::optional<std::string>(" a \\0 b"));
    ctr.set("description", R"("via https")");
    ctr.save(true);
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description"),
             std::optional<std::string>("via https"));
    lxd::Events ev = c.events("lifecycle");
    ctr.stop(-1, true, true);
    bool stopped_event = false;
    for (int i = 0; i < 50 && !stopped_event; ++i) {
        auto e = ev.next(2000);
        if (!e) {
            break;
        }
        stopped_event = t::contains(*e, "/1.0/instances/" + name) && t::contains(*e, "stopped");
    }
    CHECK(stopped_event);
    ctr.remove(true);
    CHECK(!t::client().containers().exists(name));
    // authenticate: nothing to do for a trusted client.
    c.authenticate("anything");
    // The raw API over HTTPS.
    CHECK(t::contains(c.api("GET", "/1.0"), R"("type":"sync")"));
}

TEST(https_untrusted_unverified_and_wrong_server) {
    Cert cert = make_cert(false);
    // Untrusted client certificate: connects, is not trusted, cannot list.
    std::string opts = R"({"cert":")" + cert.cert + R"(","key":")" + cert.key +
                       R"(","server_cert":")" + kServerCert + R"("})";
    lxd::Client c(kEndpoint, opts);
    CHECK(!c.trusted());
    auto f = THROWS(lxd::Forbidden, (void)c.containers().all());
    CHECK(f && f->http_status() == 403);
    // A wrong trust password is refused with LXD's message.
    auto a = THROWS(lxd::Forbidden, c.authenticate("lxdt-cpp-wrong-password"));
    CHECK(a && !a->message().empty());
    CHECK(!c.trusted());
    // authenticate needs a client certificate.
    lxd::Client anon(kEndpoint, R"({"verify":false})");
    CHECK(!anon.trusted());
    THROWS(lxd::InvalidArgument, anon.authenticate("pw"));
    // LXD's self-signed certificate fails default verification.
    THROWS(lxd::TlsError, (void)lxd::Client(kEndpoint));
    // Pinning the wrong certificate fails too.
    lxd::ClientOptions wrong;
    wrong.server_cert = cert.cert;
    THROWS(lxd::TlsError, lxd::Client(kEndpoint, wrong));
    // An unreadable client certificate.
    lxd::ClientOptions missing;
    missing.cert = cert.dir + "/none.pem";
    missing.key = cert.key;
    missing.verify = false;
    auto m = THROWS(lxd::Error, lxd::Client(kEndpoint, missing));
    CHECK(m && (m->code() == LXD_ERR_TLS || m->code() == LXD_ERR_INVALID_ARGUMENT));
}
