/* liblxd over HTTPS against the real local LXD (127.0.0.1:8443), with a
 * client certificate this program generates and adds to LXD's trust store
 * (removed again at exit), a second one that LXD never trusts, and the
 * server's self-signed certificate pinned, ignored, or checked against the
 * system roots.
 *
 * Valgrind: memcheck (3.19) flags the AES-GCM tag that ring computes (its
 * origin is ring's SHA-384 transcript hash) as uninitialised on every TLS
 * record; the handshake with LXD succeeds, so the bytes are in fact defined.
 * Two suppressions for ring's open_within / rustls' ChunkVecBuffer::write_to
 * are needed in tests/c/valgrind.supp for this program to run clean. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LXD_HTTPS "https://127.0.0.1:8443"
#define SERVER_CERT "/var/lib/lxd/server.crt"

/* ---- the client certificates (made once per process) --------------------- */

static struct {
    bool ready;
    char dir[64];
    char cert[128], key[128];            /* trusted by LXD */
    char other_cert[128], other_key[128]; /* never trusted */
    char fingerprint[80];                /* of cert, as LXD names it */
    char trust_name[96];
} certs;

static void remove_certs(void) {
    if (certs.fingerprint[0])
        t_sh("lxc config trust remove %s >/dev/null 2>&1", certs.fingerprint);
    if (certs.dir[0]) t_sh("rm -rf '%s'", certs.dir);
}

static bool make_cert(const char *cert, const char *key) {
    return t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes "
                "-days 2 -subj /CN=liblxd-test -keyout '%s' -out '%s' >/dev/null 2>&1",
                key, cert) == 0;
}

/* Generate the certificates and trust the first; false (with a failure
 * recorded) if that could not be done. */
static bool setup_certs(void) {
    if (certs.ready) return true;
    strcpy(certs.dir, "/tmp/lxdt-https-XXXXXX");
    if (!mkdtemp(certs.dir)) {
        certs.dir[0] = 0;
        t_fail(__FILE__, __LINE__, "mkdtemp failed");
        return false;
    }
    atexit(remove_certs);
    snprintf(certs.cert, sizeof certs.cert, "%s/cert.pem", certs.dir);
    snprintf(certs.key, sizeof certs.key, "%s/key.pem", certs.dir);
    snprintf(certs.other_cert, sizeof certs.other_cert, "%s/other-cert.pem", certs.dir);
    snprintf(certs.other_key, sizeof certs.other_key, "%s/other-key.pem", certs.dir);
    if (!make_cert(certs.cert, certs.key) || !make_cert(certs.other_cert, certs.other_key)) {
        t_fail(__FILE__, __LINE__, "openssl could not generate the client certificates");
        return false;
    }
    const char *fp = t_sh_out("openssl x509 -in '%s' -noout -fingerprint -sha256 | "
                              "sed 's/.*=//; s/://g' | tr A-F a-f",
                              certs.cert);
    if (!fp || strlen(fp) != 64) {
        t_fail(__FILE__, __LINE__, "cannot compute the fingerprint of %s", certs.cert);
        return false;
    }
    /* Known before trusting, so remove_certs (atexit) undoes it whatever happens. */
    snprintf(certs.fingerprint, sizeof certs.fingerprint, "%s", fp);
    snprintf(certs.trust_name, sizeof certs.trust_name, "%s", t_unique("trust"));
    if (t_sh("lxc config trust add '%s' --name %s", certs.cert, certs.trust_name) != 0) {
        t_fail(__FILE__, __LINE__, "lxc config trust add failed");
        return false;
    }
    const char *listed = t_sh_out("lxc config trust list --format csv");
    if (!t_contains(listed, certs.trust_name)) {
        t_fail(__FILE__, __LINE__, "the client certificate is not in LXD's trust list");
        return false;
    }
    certs.ready = true;
    return true;
}

#define SETUP()                                                            \
    do {                                                                   \
        if (!setup_certs()) return;                                        \
    } while (0)

/* Options JSON in a static buffer ring. */
static const char *opts(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *opts(const char *fmt, ...) {
    static char ring[4][1024];
    static int slot;
    char *buf = ring[slot++ % 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof ring[0], fmt, ap);
    va_end(ap);
    return buf;
}

static const char *pinned_opts(void) {
    return opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}", certs.cert, certs.key,
                SERVER_CERT);
}

/* Whether `lxc list` shows an instance of exactly this name. */
static bool lxc_lists(const char *name) {
    const char *out = t_sh_out("lxc list --format csv -c n");
    if (!out) return false;
    size_t n = strlen(name);
    for (const char *p = out; (p = strstr(p, name)); p += n) {
        bool starts = p == out || p[-1] == '\n';
        bool ends = p[n] == 0 || p[n] == '\n';
        if (starts && ends) return true;
    }
    return false;
}

/* The config JSON object `config` with "key":"value" added in front. */
static char *config_with(const char *config, const char *key, const char *value) {
    char *s = NULL;
    const char *rest = strchr(config, '{');
    if (!rest) return NULL;
    rest++;
    while (*rest == ' ' || *rest == '\n') rest++;
    if (asprintf(&s, "{\"%s\":\"%s\"%s%s", key, value, *rest == '}' ? "" : ",", rest) < 0)
        return NULL;
    return s;
}

/* ---- tests ---------------------------------------------------------------- */

/* (a) pinned server certificate + trusted client certificate: the full
 * create / get / config save / delete cycle, checked with the lxc CLI. */
TEST(https_pinned_client_cert_crud) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS, pinned_opts(), &c));
    CHECK(c != NULL);
    bool trusted = lxd_client_trusted(c);
    lxd_obj *obj = NULL;
    char *def = NULL;
    char *merged = NULL;
    const char *name = t_unique("https");
    char name_copy[96];
    snprintf(name_copy, sizeof name_copy, "%s", name);
    name = name_copy;
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);

    if (!trusted) {
        t_fail(__FILE__, __LINE__, "lxd_client_trusted is false with a trusted client cert");
        goto out;
    }
    if (!lxd_client_has_api_extension(c, "instances")) {
        t_fail(__FILE__, __LINE__, "api extension \"instances\" not seen over HTTPS");
        goto out;
    }
    if (asprintf(&def, "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}",
                 name) < 0)
        abort();
    lxd_status s = lxd_create(c, LXD_KIND_INSTANCE, def, true, &obj);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "create over HTTPS: %s: %s", lxd_status_name(s),
               lxd_last_error_message());
        goto out;
    }
    if (!lxc_lists(name)) {
        t_fail(__FILE__, __LINE__, "lxc list does not show %s created over HTTPS", name);
        goto out;
    }
    lxd_obj_free(obj);
    obj = NULL;

    s = lxd_get(c, LXD_KIND_INSTANCE, name, &obj);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "get over HTTPS: %s: %s", lxd_status_name(s),
               lxd_last_error_message());
        goto out;
    }
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    if (!t_streq(t_get(obj, "name"), quoted) || !t_streq(t_get(obj, "status"), "\"Stopped\"")) {
        t_fail(__FILE__, __LINE__, "got name %s status %s", t_get(obj, "name"),
               t_get(obj, "status"));
        goto out;
    }
    const char *config = t_get(obj, "config");
    merged = config ? config_with(config, "user.via-https", "yes") : NULL;
    if (!merged) {
        t_fail(__FILE__, __LINE__, "cannot read config over HTTPS");
        goto out;
    }
    s = lxd_obj_set(obj, "config", merged);
    if (s == LXD_OK) s = lxd_obj_save(obj, true);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "config set+save over HTTPS: %s: %s", lxd_status_name(s),
               lxd_last_error_message());
        goto out;
    }
    if (lxd_obj_dirty(obj)) {
        t_fail(__FILE__, __LINE__, "object still dirty after save");
        goto out;
    }
    const char *got = t_sh_out("lxc config get %s user.via-https", name);
    if (!t_streq(got, "yes")) {
        t_fail(__FILE__, __LINE__, "lxc config get user.via-https is \"%s\", expected \"yes\"",
               got ? got : "(null)");
        goto out;
    }

    s = lxd_obj_delete(obj, true);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "delete over HTTPS: %s: %s", lxd_status_name(s),
               lxd_last_error_message());
        goto out;
    }
    if (lxc_lists(name)) {
        t_fail(__FILE__, __LINE__, "lxc list still shows %s after delete over HTTPS", name);
        goto out;
    }
    bool exists = true;
    s = lxd_exists(c, LXD_KIND_INSTANCE, name, &exists);
    if (s != LXD_OK || exists) {
        t_fail(__FILE__, __LINE__, "exists after delete: %s, %d", lxd_status_name(s), exists);
        goto out;
    }

out:
    free(def);
    free(merged);
    lxd_obj_free(obj);
    lxd_client_free(c);
}

/* (b) "verify": false with the trusted client certificate. */
TEST(https_verify_false_with_client_cert) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(
        LXD_HTTPS,
        opts("{\"cert\":\"%s\",\"key\":\"%s\",\"verify\":false}", certs.cert, certs.key), &c));
    bool trusted = lxd_client_trusted(c);
    lxd_list *list = NULL;
    lxd_status s = lxd_all(c, LXD_KIND_PROFILE, &list);
    bool has_default = false;
    for (size_t i = 0; i < lxd_list_len(list); i++)
        if (t_streq(t_get(lxd_list_get(list, i), "name"), "\"default\"")) has_default = true;
    lxd_list_free(list);
    lxd_client_free(c);
    CHECK(trusted);
    CHECK_STATUS(s, LXD_OK);
    CHECK_MSG(has_default, "the default profile is not listed over HTTPS");
}

/* (c) default verification (system roots) refuses LXD's self-signed cert. */
TEST(https_default_verify_rejects_self_signed) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\"}", certs.cert, certs.key),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    const char *msg = lxd_last_error_message();
    CHECK_MSG(strlen(msg) > 0, "no error message");
    CHECK_MSG(t_contains(msg, "127.0.0.1:8443"), "message lacks the server: %s", msg);
    CHECK(lxd_last_error_http_status() == 0);
}

/* (d) pinning the wrong certificate fails the handshake. */
TEST(https_wrong_pinned_cert) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}",
                                     certs.cert, certs.key, certs.cert),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), "127.0.0.1:8443"), "message: %s",
              lxd_last_error_message());
    /* server_cert overrides verify: false. */
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"server_cert\":\"%s\",\"verify\":false}", certs.cert),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
}

/* (e) no client certificate: connected but untrusted; listing is refused
 * with LXD's 403 and its message. */
TEST(https_no_client_cert_is_untrusted) {
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS, "{\"verify\":false}", &c));
    bool trusted = lxd_client_trusted(c);
    char *info = NULL;
    lxd_status hs = lxd_client_host_info(c, &info);
    bool says_untrusted = t_contains(info, "\"auth\":\"untrusted\"");
    lxd_string_free(info);
    lxd_list *list = NULL;
    lxd_status s = lxd_instance_all(c, &list);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lxd_last_error_message());
    int http = lxd_last_error_http_status();
    char *resp = NULL;
    lxd_status as = lxd_api(c, "GET", "/1.0/instances", NULL, &resp);
    int api_http = lxd_last_error_http_status();
    lxd_string_free(resp);
    lxd_list_free(list);
    lxd_client_free(c);
    CHECK(!trusted);
    CHECK_STATUS(hs, LXD_OK);
    CHECK_MSG(says_untrusted, "host info does not say auth untrusted");
    CHECK_MSG(s == LXD_ERR_FORBIDDEN, "listing instances untrusted gave %s: %s",
              lxd_status_name(s), msg);
    CHECK(list == NULL);
    CHECK_MSG(t_contains(msg, "not authorized"), "message is not the server's: %s", msg);
    CHECK_MSG(http == 403, "http status %d, expected 403", http);
    CHECK_STATUS(as, LXD_ERR_FORBIDDEN);
    CHECK_MSG(api_http == 403, "lxd_api http status %d, expected 403", api_http);
}

/* (f) a client certificate LXD does not trust. */
TEST(https_untrusted_client_cert) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS,
                            opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}",
                                 certs.other_cert, certs.other_key, SERVER_CERT),
                            &c));
    bool trusted = lxd_client_trusted(c);
    lxd_list *list = NULL;
    lxd_status s = lxd_instance_all(c, &list);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lxd_last_error_message());
    lxd_list_free(list);
    lxd_client_free(c);
    CHECK(!trusted);
    CHECK_MSG(s == LXD_ERR_FORBIDDEN, "listing with an untrusted cert gave %s: %s",
              lxd_status_name(s), msg);
    CHECK_MSG(t_contains(msg, "not authorized"), "message: %s", msg);
}

/* (g) nothing listens on port 1. */
TEST(https_unreachable_port) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_STATUS(lxd_client_new("https://127.0.0.1:1", pinned_opts(), &c), LXD_ERR_CONNECTION);
    CHECK(c == NULL);
    const char *msg = lxd_last_error_message();
    CHECK_MSG(t_contains(msg, "127.0.0.1:1"), "message lacks the address: %s", msg);
    CHECK(lxd_last_error_http_status() == 0);
}

/* (h) unreadable certificate files, and "cert" without "key". */
TEST(https_bad_cert_options) {
    SETUP();
    lxd_client *c = NULL;
    const char *missing_cert = "/nonexistent/lxdt/client.crt";
    const char *missing_key = "/nonexistent/lxdt/client.key";
    const char *missing_server = "/nonexistent/lxdt/server.crt";

    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"verify\":false}",
                                     missing_cert, certs.key),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), missing_cert), "message: %s",
              lxd_last_error_message());

    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"verify\":false}",
                                     certs.cert, missing_key),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), missing_key), "message: %s",
              lxd_last_error_message());

    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}",
                                     certs.cert, certs.key, missing_server),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), missing_server), "message: %s",
              lxd_last_error_message());

    /* A file that is not PEM at all. */
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}",
                                     certs.key, certs.key, SERVER_CERT),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), certs.key), "message: %s",
              lxd_last_error_message());

    /* A certificate where the key should be. */
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"key\":\"%s\",\"verify\":false}",
                                     certs.cert, certs.cert),
                                &c),
                 LXD_ERR_TLS);
    CHECK(c == NULL);
    CHECK_MSG(t_contains(lxd_last_error_message(), certs.cert), "message: %s",
              lxd_last_error_message());

    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"cert\":\"%s\",\"verify\":false}", certs.cert), &c),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"key\":\"%s\",\"verify\":false}", certs.key), &c),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK_STATUS(lxd_client_new(LXD_HTTPS, "{\"verify\":\"no\"}", &c), LXD_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
}

/* (i) start and stop with wait over HTTPS (operation waits over TLS). */
TEST(https_start_stop_wait) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS, pinned_opts(), &c));
    const char *name = t_unique("https-run");
    char name_copy[96], def[256];
    snprintf(name_copy, sizeof name_copy, "%s", name);
    name = name_copy;
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    snprintf(def, sizeof def,
             "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
    lxd_obj *obj = NULL;
    lxd_status s = lxd_create(c, LXD_KIND_CONTAINER, def, true, &obj);
    lxd_client_free(c); /* the object keeps what it needs of the client */
    CHECK_STATUS(s, LXD_OK);

    s = lxd_instance_start(obj, -1, false, true);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "start over HTTPS: %s: %s", lxd_status_name(s),
               lxd_last_error_message());
        lxd_obj_free(obj);
        return;
    }
    const char *status = t_get(obj, "status");
    const char *lxc_state = t_sh_out("lxc list --format csv -c s '^%s$'", name);
    bool running = t_streq(status, "\"Running\"") && t_streq(lxc_state, "RUNNING");
    char st1[64], lx1[64];
    snprintf(st1, sizeof st1, "%s", status ? status : "(null)");
    snprintf(lx1, sizeof lx1, "%s", lxc_state ? lxc_state : "(null)");

    s = lxd_instance_stop(obj, -1, true, true);
    lxd_status stop_s = s;
    const char *status2 = t_get(obj, "status");
    const char *lxc_state2 = t_sh_out("lxc list --format csv -c s '^%s$'", name);
    bool stopped = t_streq(status2, "\"Stopped\"") && t_streq(lxc_state2, "STOPPED");
    char st2[64], lx2[64];
    snprintf(st2, sizeof st2, "%s", status2 ? status2 : "(null)");
    snprintf(lx2, sizeof lx2, "%s", lxc_state2 ? lxc_state2 : "(null)");
    lxd_status del_s = lxd_obj_delete(obj, true);
    lxd_obj_free(obj);
    CHECK_MSG(running, "after start: status %s, lxc says %s", st1, lx1);
    CHECK_STATUS(stop_s, LXD_OK);
    CHECK_MSG(stopped, "after stop: status %s, lxc says %s", st2, lx2);
    CHECK_STATUS(del_s, LXD_OK);
    CHECK_MSG(!lxc_lists(name), "lxc list still shows %s after delete over HTTPS", name);
}

/* (j) timeout_ms is accepted (and validated). */
TEST(https_timeout_option) {
    SETUP();
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS,
                            opts("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\","
                                 "\"timeout_ms\":5000}",
                                 certs.cert, certs.key, SERVER_CERT),
                            &c));
    bool trusted = lxd_client_trusted(c);
    bool exists = true;
    lxd_status s = lxd_exists(c, LXD_KIND_PROFILE, "default", &exists);
    lxd_client_free(c);
    CHECK(trusted);
    CHECK_STATUS(s, LXD_OK);
    CHECK(exists);
    c = NULL;
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"server_cert\":\"%s\",\"timeout_ms\":0}", SERVER_CERT),
                                &c),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK_STATUS(lxd_client_new(LXD_HTTPS,
                                opts("{\"server_cert\":\"%s\",\"timeout_ms\":\"5000\"}",
                                     SERVER_CERT),
                                &c),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
}

/* (k) the raw API over HTTPS: GET /1.0 names the server certificate we pinned. */
TEST(https_raw_api_get) {
    SETUP();
    const char *fp = t_sh_out("openssl x509 -in %s -noout -fingerprint -sha256 | "
                              "sed 's/.*=//; s/://g' | tr A-F a-f",
                              SERVER_CERT);
    CHECK(fp != NULL && strlen(fp) == 64);
    char expect_fp[128];
    snprintf(expect_fp, sizeof expect_fp, "\"certificate_fingerprint\":\"%s\"", fp);
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(LXD_HTTPS, pinned_opts(), &c));
    char *resp = NULL;
    lxd_status s = lxd_api(c, "GET", "/1.0", NULL, &resp);
    char *missing = NULL;
    lxd_status ms = lxd_api(c, "GET", "/1.0/instances/lxdt-https-no-such-instance", NULL, &missing);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", lxd_last_error_message());
    lxd_client_free(c);
    bool ok = s == LXD_OK && t_contains(resp, "\"type\":\"sync\"") &&
              t_contains(resp, "\"auth\":\"trusted\"") && t_contains(resp, "\"api_version\":\"1.0\"") &&
              t_contains(resp, expect_fp);
    if (!ok)
        t_fail(__FILE__, __LINE__, "GET /1.0 over HTTPS: %s: %.300s", lxd_status_name(s),
               resp ? resp : lxd_last_error_message());
    lxd_string_free(resp);
    lxd_string_free(missing);
    if (!ok) return;
    CHECK_MSG(ms == LXD_ERR_NOT_FOUND, "GET of a missing instance gave %s: %s",
              lxd_status_name(ms), msg);
    CHECK(missing == NULL);
}

T_MAIN(T_CASE(https_pinned_client_cert_crud), T_CASE(https_verify_false_with_client_cert),
       T_CASE(https_default_verify_rejects_self_signed), T_CASE(https_wrong_pinned_cert),
       T_CASE(https_no_client_cert_is_untrusted), T_CASE(https_untrusted_client_cert),
       T_CASE(https_unreachable_port), T_CASE(https_bad_cert_options),
       T_CASE(https_start_stop_wait), T_CASE(https_timeout_option), T_CASE(https_raw_api_get))
