/* lxd_client_authenticate against the real daemon over HTTPS: a new client
 * certificate becomes trusted with LXD's trust password, and only with it. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/lxdt-auth-XXXXXX";

static const char *make_cert(const char *cn) {
    if (!mkdtemp(dir)) return NULL;
    t_cleanup("rm -rf %s", dir);
    if (t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 1 "
             "-subj /CN=%s -keyout %s/k.pem -out %s/c.pem >/dev/null 2>&1", cn, dir, dir) != 0)
        return NULL;
    return t_sh_out("openssl x509 -in %s/c.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f", dir);
}

TEST(authenticate_with_the_trust_password) {
    char name[96], fp[80], opts[512];
    snprintf(name, sizeof name, "%s", t_unique("auth"));
    const char *f = make_cert(name);
    CHECK(f);
    snprintf(fp, sizeof fp, "%s", f);
    t_cleanup("lxc config trust remove %s >/dev/null 2>&1", fp);
    t_cleanup("lxc config unset core.trust_password >/dev/null 2>&1");
    CHECK(t_sh("lxc config set core.trust_password %s-secret", name) == 0);
    snprintf(opts, sizeof opts,
             "{\"cert\":\"%s/c.pem\",\"key\":\"%s/k.pem\",\"server_cert\":\"/var/lib/lxd/server.crt\"}", dir, dir);
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new("https://127.0.0.1:8443", opts, &c));
    bool before = lxd_client_trusted(c);
    lxd_status wrong = lxd_client_authenticate(c, "not-the-password");
    char wrong_msg[256];
    snprintf(wrong_msg, sizeof wrong_msg, "%s", lxd_last_error_message());
    bool after_wrong = lxd_client_trusted(c);
    char pw[128];
    snprintf(pw, sizeof pw, "%s-secret", name);
    lxd_status right = lxd_client_authenticate(c, pw);
    bool after = lxd_client_trusted(c);
    /* Trusted now: instances can be listed over HTTPS. */
    lxd_list *l = NULL;
    lxd_status listed = lxd_instance_all(c, &l);
    lxd_list_free(l);
    lxd_status again = lxd_client_authenticate(c, "anything: already trusted");
    lxd_client_free(c);
    CHECK(!before);
    CHECK_MSG(wrong == LXD_ERR_FORBIDDEN, "wrong password: %s (%s)", lxd_status_name(wrong), wrong_msg);
    CHECK(strlen(wrong_msg) > 0);
    CHECK(!after_wrong);
    CHECK_OK(right);
    CHECK(after);
    CHECK_OK(listed);
    CHECK_OK(again);
    /* The server now lists the certificate. */
    CHECK(t_sh("lxc config trust list --format csv | grep -q %.12s", fp) == 0);
}

TEST(authenticate_needs_an_https_client_with_a_certificate) {
    lxd_status s = lxd_client_authenticate(t_client(), "pw");
    /* The unix socket client is trusted already: nothing to do. */
    CHECK_OK(s);
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new("https://127.0.0.1:8443", "{\"verify\":false}", &c));
    s = lxd_client_authenticate(c, "pw");
    lxd_status n = lxd_client_authenticate(c, NULL);
    lxd_client_free(c);
    CHECK_STATUS(s, LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(n, LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_client_authenticate(NULL, "pw"), LXD_ERR_INVALID_ARGUMENT);
}

T_MAIN(T_CASE(authenticate_with_the_trust_password),
       T_CASE(authenticate_needs_an_https_client_with_a_certificate))
