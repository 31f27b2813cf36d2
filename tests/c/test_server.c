/* The server as a whole against the real daemon: its config through
 * lxd_server_get (set + save, ETag-guarded, rollback, PATCH), resources,
 * metrics over HTTPS, warnings, trust tokens, events of all projects,
 * project state and the error for deleting a project in use. The daemon's
 * config is touched only through user.lxdt-* keys, removed again. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LXD_HTTPS "https://127.0.0.1:8443"

/* A fresh client certificate in a temporary directory (removed after the
 * test); *fp receives its fingerprint as LXD names it. */
static const char *new_cert_dir(const char **fp) {
    char *dir = t_dup("/tmp/lxdt-srv-XXXXXX");
    if (!mkdtemp(dir)) return NULL;
    t_cleanup("rm -rf '%s'", dir);
    if (t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 1 "
             "-subj /CN=lxdt-srv -keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
             dir, dir) != 0)
        return NULL;
    *fp = t_dup(t_sh_out("openssl x509 -in %s/cert.pem -noout -fingerprint -sha256 | "
                         "sed 's/.*=//; s/://g' | tr A-F a-f", dir));
    return *fp && strlen(*fp) == 64 ? dir : NULL;
}

static lxd_client *https_client_with(const char *dir) {
    lxd_client *c = NULL;
    if (lxd_client_new(LXD_HTTPS,
                       t_fmt("{\"cert\":\"%s/cert.pem\",\"key\":\"%s/key.pem\","
                             "\"server_cert\":\"/var/lib/lxd/server.crt\"}",
                             dir, dir),
                       &c) != LXD_OK)
        return NULL;
    return t_keep_client(c);
}

TEST(server_config_save_stale_rollback_patch) {
    const char *key = t_dup(t_unique("srv"));
    const char *ukey = t_fmt("user.%s", key);
    t_cleanup("lxc config unset %s >/dev/null 2>&1", ukey);
    lxd_obj *s = NULL, *stale = NULL;
    CHECK_OK(lxd_server_get(t_client(), &s));
    t_keep_obj(s);
    CHECK_OK(lxd_server_get(t_client(), &stale));
    t_keep_obj(stale);
    const char *https = t_dup(t_jq(t_get(s, "config"), ".[\"core.https_address\"]"));
    CHECK_STREQ(https, t_sh_out("lxc config get core.https_address"));

    CHECK_OK(lxd_obj_set(s, "config", t_json_insert(t_get(s, "config"), t_fmt("\"%s\":\"one\"", ukey))));
    CHECK_OK(lxd_obj_save(s, true));
    CHECK_STREQ(t_sh_out("lxc config get %s", ukey), "one");
    CHECK_STREQ(t_sh_out("lxc config get core.https_address"), https);

    /* A handle loaded before that save may not overwrite it. */
    CHECK_OK(lxd_obj_set(stale, "config", t_json_insert(t_get(stale, "config"), t_fmt("\"%s\":\"two\"", ukey))));
    CHECK_STATUS(lxd_obj_save(stale, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(t_sh_out("lxc config get %s", ukey), "one");
    CHECK(lxd_obj_dirty(stale));
    CHECK_OK(lxd_obj_rollback(stale));
    CHECK(!lxd_obj_dirty(stale));
    CHECK_MSG(!t_contains(t_get(stale, "config"), "two"), "rolled back: %s", t_get(stale, "config"));

    /* PATCH removes the key, and nothing else. */
    CHECK_OK(lxd_obj_patch(s, t_fmt("{\"config\":{\"%s\":\"\"}}", ukey), true));
    CHECK_STREQ(t_sh_out("lxc config get %s", ukey), "");
    CHECK(!t_contains(t_sh_out("lxc query /1.0 | jq -c .config"), ukey));
    CHECK_STREQ(t_sh_out("lxc config get core.https_address"), https);
    CHECK(!t_contains(t_get(s, "config"), ukey));
}

TEST(server_resources) {
    char *j = NULL;
    CHECK_OK(lxd_client_resources(t_client(), &j));
    t_keep_str(j);
    CHECK_STREQ(t_jq(j, ".cpu.total"), t_sh_out("lxc query /1.0/resources | jq -r .cpu.total"));
    CHECK_STREQ(t_jq(j, ".memory.total"), t_sh_out("lxc query /1.0/resources | jq -r .memory.total"));
    CHECK(atoll(t_jq(j, ".memory.total")) > 0);
}

TEST(metrics_over_https) {
    const char *fp = NULL, *dir = new_cert_dir(&fp);
    CHECK(dir);
    t_cleanup("lxc config trust remove %s >/dev/null 2>&1", fp);
    CHECK(t_sh("lxc config trust add %s/cert.pem --name %s >/dev/null 2>&1", dir, t_unique("srv-metrics")) == 0);
    lxd_client *c = https_client_with(dir);
    CHECK(c);
    CHECK(lxd_client_trusted(c));
    uint8_t *m = NULL;
    size_t n = 0;
    CHECK_OK(lxd_client_metrics(c, &m, &n));
    t_keep_bytes(m);
    CHECK(n > 0 && strlen((const char *)m) == n);
    /* OpenMetrics text: it ends with "# EOF"; every sample is one of
     * LXD's (lxd_*) families, each declared by a "# TYPE lxd_" line (the
     * project's running instances only: possibly none). */
    const char *text = (const char *)m;
    CHECK_MSG(n >= 6 && strcmp(text + n - 6, "# EOF\n") == 0, "metrics end: %.40s", n > 40 ? text + n - 40 : text);
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        if (*line == '#' || *line == '\n') continue;
        CHECK_MSG(strncmp(line, "lxd_", 4) == 0, "not an LXD sample: %.60s", line);
        CHECK(t_contains(text, t_fmt("# TYPE %.*s", (int)strcspn(line, "{ "), line)) ||
              strstr(text, "# TYPE lxd_"));
    }
}

TEST(warnings_list_and_acknowledge) {
    lxd_list *l = NULL;
    CHECK_OK(lxd_warning_all(t_client(), &l));
    t_keep_list(l);
    CHECK_STREQ(t_fmt("%zu", lxd_list_len(l)), t_sh_out("lxc query /1.0/warnings | jq length"));
    if (lxd_list_len(l) == 0) {
        printf("    no warnings on this daemon: only the list checked\n");
        return;
    }
    const char *uuid = t_dup(t_jq(t_get(lxd_list_get(l, 0), "uuid"), "."));
    const char *status = t_dup(t_sh_out("lxc query /1.0/warnings/%s | jq -r .status", uuid));
    CHECK(status && *status);
    /* Its status as it was, after the test. */
    t_cleanup("lxc query -X PUT -d '{\"status\":\"%s\"}' /1.0/warnings/%s >/dev/null 2>&1", status, uuid);
    const char *want = strcmp(status, "acknowledged") == 0 ? "new" : "acknowledged";
    lxd_obj *w = NULL;
    CHECK_OK(lxd_warning_get(t_client(), uuid, &w));
    t_keep_obj(w);
    CHECK_OK(lxd_obj_set(w, "status", t_fmt("\"%s\"", want)));
    CHECK_OK(lxd_obj_save(w, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/warnings/%s | jq -r .status", uuid), want);
    CHECK_OK(lxd_obj_set(w, "status", t_fmt("\"%s\"", status)));
    CHECK_OK(lxd_obj_save(w, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/warnings/%s | jq -r .status", uuid), status);
}

TEST(trust_tokens) {
    const char *n1 = t_dup(t_unique("srv-tok")), *n2 = t_dup(t_unique("srv-tok"));
    char *t1 = NULL, *t2 = NULL, *pending = NULL;
    t_cleanup("lxc config trust revoke-token %s >/dev/null 2>&1", n1);
    CHECK_OK(lxd_certificate_token_create(t_client(), t_fmt("{\"name\":\"%s\"}", n1), &t1));
    t_keep_str(t1);
    t_cleanup("lxc config trust revoke-token %s >/dev/null 2>&1", n2);
    CHECK_OK(lxd_certificate_token_create(t_client(), t_fmt("{\"name\":\"%s\"}", n2), &t2));
    t_keep_str(t2);
    CHECK_STREQ(t_jq(t1, ".client_name"), n1);
    const char *lxc_list = t_dup(t_sh_out("lxc config trust list-tokens --format csv"));
    CHECK(t_contains(lxc_list, n1) && t_contains(lxc_list, n2));
    /* The very string lxc prints. */
    CHECK_STREQ(t_sh_out("lxc config trust list-tokens --format csv | grep '^%s,' | cut -d, -f2", n1),
                t_jq(t1, ".token"));
    CHECK_OK(lxd_certificate_tokens(t_client(), &pending));
    t_keep_str(pending);
    CHECK(t_contains(t_jq(pending, "[.[].client_name] | join(\" \")"), n1));
    CHECK(t_contains(t_jq(pending, "[.[].client_name] | join(\" \")"), n2));

    CHECK_OK(lxd_certificate_token_revoke(t_client(), n2));
    CHECK(!t_contains(t_sh_out("lxc config trust list-tokens --format csv"), n2));
    CHECK_STATUS(lxd_certificate_token_revoke(t_client(), n2), LXD_ERR_NOT_FOUND);

    const char *fp = NULL, *dir = new_cert_dir(&fp);
    CHECK(dir);
    t_cleanup("lxc config trust remove %s >/dev/null 2>&1", fp);
    lxd_client *c = https_client_with(dir);
    CHECK(c);
    CHECK(!lxd_client_trusted(c));
    /* The revoked token no longer works; the other one does. */
    CHECK(lxd_client_authenticate(c, t_jq(t2, ".token")) != LXD_OK);
    CHECK(!lxd_client_trusted(c));
    CHECK_OK(lxd_client_authenticate(c, t_jq(t1, ".token")));
    CHECK(lxd_client_trusted(c));
    CHECK(t_contains(t_sh_out("lxc config trust list --format csv"), t_fmt("%.12s", fp)));
    CHECK(t_contains(t_sh_out("lxc query /1.0/certificates/%s | jq -r .name", fp), n1));
    CHECK(!t_contains(t_sh_out("lxc config trust list-tokens --format csv"), n1));
    CHECK(t_sh("lxc config trust remove %s", fp) == 0);
    CHECK(!t_contains(t_sh_out("lxc config trust list --format csv"), t_fmt("%.12s", fp)));
}

TEST(events_of_all_projects) {
    const char *proj = t_dup(t_unique("srv-evp"));
    const char *prof = t_dup(t_unique("srv-evprof"));
    lxd_events *ev = NULL;
    CHECK_OK(lxd_events_open_ext(t_client(), "{\"types\":[\"lifecycle\"],\"all_projects\":true}", &ev));
    t_keep_events(ev);
    t_cleanup("lxc project delete %s >/dev/null 2>&1", proj);
    t_cleanup("lxc profile delete %s --project %s >/dev/null 2>&1", prof, proj);
    CHECK(t_sh("lxc project create %s >/dev/null && lxc profile create %s --project %s >/dev/null", proj, prof, proj) == 0);
    bool seen = false;
    for (int i = 0; i < 200 && !seen; i++) {
        char *e = NULL;
        lxd_status s = lxd_events_next(ev, 10000, &e);
        CHECK_MSG(s == LXD_OK, "no event of project %s (%s)", proj, lxd_status_name(s));
        t_keep_str(e);
        seen = t_streq(t_jq(e, ".project"), proj) && t_streq(t_jq(e, ".metadata.action"), "profile-created") &&
               t_contains(t_jq(e, ".metadata.source"), prof);
    }
    CHECK(seen);
}

TEST(project_state) {
    const char *proj = t_dup(t_unique("srv-state"));
    t_cleanup("lxc project delete %s >/dev/null 2>&1", proj);
    CHECK(t_sh("lxc project create %s -c limits.containers=3 >/dev/null", proj) == 0);
    lxd_obj *p = NULL;
    CHECK_OK(lxd_project_get(t_client(), proj, &p));
    t_keep_obj(p);
    char *j = NULL;
    CHECK_OK(lxd_project_state(p, NULL, true, &j));
    t_keep_str(j);
    CHECK_STREQ(t_jq(j, ".resources.containers.Limit"), "3");
    CHECK_STREQ(t_jq(j, ".resources.containers.Usage"), "0");
    CHECK_STREQ(t_jq(j, ".resources | tojson"), t_sh_out("lxc query /1.0/projects/%s/state | jq -c .resources", proj));
}

TEST(delete_project_in_use) {
    const char *proj = t_dup(t_unique("srv-full"));
    const char *prof = t_dup(t_unique("srv-fullprof"));
    t_cleanup("lxc project delete %s >/dev/null 2>&1", proj);
    t_cleanup("lxc profile delete %s --project %s >/dev/null 2>&1", prof, proj);
    CHECK(t_sh("lxc project create %s >/dev/null && lxc profile create %s --project %s >/dev/null", proj, prof, proj) == 0);
    lxd_obj *p = NULL;
    CHECK_OK(lxd_project_get(t_client(), proj, &p));
    t_keep_obj(p);
    lxd_status s = lxd_obj_delete(p, true);
    printf("    deleting a project in use: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(s != LXD_OK && s != LXD_ERR_INTERNAL, "%s", lxd_status_name(s));
    /* LXD 5.0.2 answers HTTP 500 "Only empty projects can be removed":
     * liblxd makes that LXD_ERR_CONFLICT, with LXD's message. */
    CHECK_STATUS(s, LXD_ERR_CONFLICT);
    CHECK(t_icontains(lxd_last_error_message(), "only empty projects"));
    CHECK(t_sh("lxc query /1.0/projects/%s >/dev/null 2>&1", proj) == 0);
    /* Empty again, it goes. */
    CHECK(t_sh("lxc profile delete %s --project %s >/dev/null", prof, proj) == 0);
    CHECK_OK(lxd_obj_delete(p, true));
    CHECK(t_sh("lxc query /1.0/projects/%s >/dev/null 2>&1", proj) != 0);
}

T_MAIN(T_CASE(server_config_save_stale_rollback_patch), T_CASE(server_resources), T_CASE(metrics_over_https),
       T_CASE(warnings_list_and_acknowledge), T_CASE(trust_tokens), T_CASE(events_of_all_projects),
       T_CASE(project_state), T_CASE(delete_project_in_use))
