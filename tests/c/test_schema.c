/* The schema of every kind covers what the real LXD 5.0.2 sends: objects
 * of every kind received from the daemon raise no unknown-attribute warning,
 * even in "always" mode. (tests/c/test_warnings.c covers the warnings
 * themselves, with a fake server.) */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int warnings_seen;
static char first_warning[256];

static void count_warning(const char *cls, const char *attr, const char *msg, void *user) {
    (void)msg;
    (void)user;
    if (warnings_seen++ == 0) snprintf(first_warning, sizeof first_warning, "%s.%s", cls, attr);
}

TEST(real_objects_of_every_kind_match_the_schema) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("schema"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    CHECK(t_sh("lxc launch -q busybox %s >/dev/null 2>&1", name) == 0);
    /* A trusted certificate, so that kind has an object too. */
    char dir[] = "/tmp/lxdt-schema-XXXXXX";
    CHECK(mkdtemp(dir));
    t_cleanup("rm -rf %s", dir);
    CHECK(t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
               "-subj /CN=%s -keyout %s/k.pem -out %s/c.pem >/dev/null 2>&1", name, dir, dir) == 0);
    const char *fp = t_sh_out("openssl x509 -in %s/c.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f", dir);
    CHECK(fp);
    t_cleanup("lxc config trust remove %s >/dev/null 2>&1", fp);
    CHECK(t_sh("lxc config trust add %s/c.pem --name %s >/dev/null 2>&1", dir, name) == 0);
    /* One object of every kind that lives under another (the harness's
     * parents: a container, a pool, a volume, a bridge, a zone), made
     * through liblxd. The cluster's members and groups exist only on a
     * cluster (issue 13's suite), a network's peers only on OVN. */
    bool clustered = t_streq(t_sh_out("lxc query /1.0/cluster | jq -r .enabled"), "true");
    lxd_obj *parent_of[LXD_KIND_COUNT] = {0};
    bool skip[LXD_KIND_COUNT] = {0};
    size_t per_kind[LXD_KIND_COUNT] = {0};
    for (lxd_kind k = 0; k < LXD_KIND_COUNT; k++) {
        int pk = t_kind_parent(k);
        CHECK(pk >= -1);
        if (t_contains(t_jq(t_kind_info(k), ".endpoint"), "/1.0/cluster/") && !clustered) {
            skip[k] = true;
            continue;
        }
        if (pk == -1) continue;
        parent_of[k] = t_parent((lxd_kind)pk);
        CHECK_MSG(parent_of[k], "kind %d has parent kind %d: the harness has no object of it", k, pk);
        const char *key = NULL;
        const char *def = t_child_def(k, "s0", 0, &key);
        if (!def) {
            skip[k] = true;
            continue;
        }
        lxd_obj *child = NULL;
        CHECK_OK(lxd_child_create(parent_of[k], k, def, true, &child));
        lxd_obj_free(child);
    }
    /* An ACL with a rule each way (top-level; none exist otherwise). */
    const char *acl = t_dup(t_unique("schema-acl"));
    t_cleanup("lxc network acl delete %s >/dev/null 2>&1", acl);
    lxd_obj *acl_obj = NULL;
    CHECK_OK(lxd_network_acl_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"ingress\":[{\"action\":\"allow\",\"source\":\"192.0.2.0/24\","
              "\"state\":\"enabled\"}],\"egress\":[{\"action\":\"drop\",\"destination\":"
              "\"198.51.100.0/24\",\"protocol\":\"tcp\",\"destination_port\":\"22\",\"state\":\"enabled\"}]}",
              acl),
        true, &acl_obj));
    lxd_obj_free(acl_obj);
    warnings_seen = 0;
    lxd_set_warning_callback(count_warning, NULL);
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_ALWAYS));
    size_t total = 0;
    lxd_status failed = LXD_OK;
    for (lxd_kind k = 0; k < LXD_KIND_COUNT && failed == LXD_OK; k++) {
        lxd_list *l = NULL;
        if (skip[k]) continue;
        if (t_streq(t_jq(t_kind_info(k), ".singleton"), "true")) {
            /* One object, no list: get it. */
            lxd_obj *o = NULL;
            failed = lxd_get(t_client(), k, "", &o);
            per_kind[k] = o ? 1 : 0;
            lxd_obj_free(o);
            continue;
        }
        failed = parent_of[k] ? lxd_child_all(parent_of[k], k, &l) : lxd_all(t_client(), k, &l);
        total += lxd_list_len(l);
        if (failed == LXD_OK) per_kind[k] = lxd_list_len(l);
        /* And each object fetched on its own, as get does. */
        for (size_t i = 0; failed == LXD_OK && i < lxd_list_len(l) && i < 5; i++) {
            lxd_obj *o = lxd_list_get(l, i);
            failed = lxd_obj_sync(o);
        }
        lxd_list_free(l);
    }
    lxd_set_warning_mode(LXD_WARNINGS_ONCE);
    lxd_set_warning_callback(NULL, NULL);
    CHECK_MSG(failed == LXD_OK, "%s: %s", lxd_status_name(failed), lxd_last_error_message());
    CHECK(total >= 5);
    CHECK(per_kind[LXD_KIND_CONTAINER] >= 1 && per_kind[LXD_KIND_IMAGE] >= 1 && per_kind[LXD_KIND_PROFILE] >= 1);
    CHECK(per_kind[LXD_KIND_NETWORK] >= 1 && per_kind[LXD_KIND_STORAGE_POOL] >= 1 && per_kind[LXD_KIND_PROJECT] >= 1);
    CHECK(per_kind[LXD_KIND_CERTIFICATE] >= 1);
    for (lxd_kind k = 0; k < LXD_KIND_COUNT; k++)
        CHECK_MSG(skip[k] || !parent_of[k] || per_kind[k] >= 1, "kind %d: none listed", k);
    CHECK(per_kind[LXD_KIND_SERVER] == 1 && per_kind[LXD_KIND_CLUSTER] == 1);
    CHECK_MSG(warnings_seen == 0, "%d warnings, first %s", warnings_seen, first_warning);
}

/* lxd_kind_info: every kind described; for a real container, the attributes
 * it lists as writable can be set, the others are refused as read-only, and
 * every attribute the server sent is listed. */
TEST(kind_info_matches_what_set_accepts_and_the_server_sends) {
    for (lxd_kind k = 0; k < LXD_KIND_COUNT; k++) {
        char *info = NULL;
        CHECK_OK(lxd_kind_info(k, &info));
        t_keep_str(info);
        CHECK(t_contains(info, t_fmt("\"kind\":%d", (int)k)));
        CHECK(t_contains(info, "\"attributes\":[{"));
        /* A parent, when there is one, is a kind that exists, and the
         * chain of parents ends at a top-level kind (a volume's snapshot:
         * volume, pool). */
        int parent = t_kind_parent(k), depth = 0;
        for (int p = parent; p != -1 && depth < 4; p = t_kind_parent((lxd_kind)p), depth++)
            CHECK_MSG(p >= 0 && p < LXD_KIND_COUNT && p != (int)k, "kind %d: parent %d", k, p);
        CHECK_MSG(depth < 4, "kind %d: no top-level kind above it", k);
    }
    CHECK(t_kind_parent(LXD_KIND_STORAGE_VOLUME) == LXD_KIND_STORAGE_POOL);
    CHECK(t_kind_parent(LXD_KIND_STORAGE_VOLUME_SNAPSHOT) == LXD_KIND_STORAGE_VOLUME);
    CHECK(t_kind_parent(LXD_KIND_STORAGE_VOLUME_BACKUP) == LXD_KIND_STORAGE_VOLUME);
    CHECK(t_kind_parent(LXD_KIND_NETWORK_ZONE_RECORD) == LXD_KIND_NETWORK_ZONE);
    CHECK(t_kind_parent(LXD_KIND_SERVER) == -1);
    CHECK(t_kind_parent(LXD_KIND_INSTANCE_SNAPSHOT) == LXD_KIND_INSTANCE);
    CHECK(t_kind_parent(LXD_KIND_INSTANCE_BACKUP) == LXD_KIND_INSTANCE);
    CHECK_STREQ(t_jq(t_kind_info(LXD_KIND_INSTANCE_SNAPSHOT), ".endpoint"),
                "/1.0/instances/{instance}/snapshots");
    char *info = NULL;
    CHECK_STATUS(lxd_kind_info(LXD_KIND_COUNT, &info), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_kind_info(-1, &info), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_kind_info(LXD_KIND_PROFILE, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK_OK(lxd_kind_info(LXD_KIND_CONTAINER, &info));
    t_keep_str(info);
    CHECK(t_contains(info, "\"class\":\"Container\"") && t_contains(info, "\"key\":\"name\""));

    lxd_obj *c = NULL;
    const char *name = t_unique("kindinfo");
    CHECK_OK(t_new_container(name, false, &c)); /* kept (freed) by the harness */
    char path[] = "/tmp/lxdt-kindinfo-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    t_cleanup("rm -f %s", path);
    CHECK(write(fd, info, strlen(info)) == (ssize_t)strlen(info));
    close(fd);
    char *writable = t_dup(t_sh_out("jq -r '[.attributes[]|select(.writable)|.name]|join(\" \")' %s", path));
    char *read_only = t_dup(t_sh_out("jq -r '[.attributes[]|select(.writable|not)|.name]|join(\" \")' %s", path));
    CHECK(t_contains(writable, "config") && t_contains(read_only, "status"));
    int n_writable = 0, n_read_only = 0;
    for (char *a = strtok(writable, " "); a; a = strtok(NULL, " "), n_writable++) {
        char *v = NULL;
        CHECK_OK(lxd_obj_get(c, a, &v));
        t_keep_str(v);
        CHECK_MSG(lxd_obj_set(c, a, v) == LXD_OK, "%s: %s", a, lxd_last_error_message());
    }
    for (char *a = strtok(read_only, " "); a; a = strtok(NULL, " "), n_read_only++)
        CHECK_MSG(lxd_obj_set(c, a, "null") == LXD_ERR_READ_ONLY, "%s", a);
    CHECK(n_writable >= 5 && n_read_only >= 5);
    /* The attribute is checked before the value. */
    CHECK_STATUS(lxd_obj_set(c, "no_such_thing", "{not json"), LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK_STATUS(lxd_obj_set(c, "status", "{not json"), LXD_ERR_READ_ONLY);
    CHECK_OK(lxd_obj_rollback(c));

    char *all = NULL;
    CHECK_OK(lxd_obj_to_json(c, &all));
    t_keep_str(all);
    char *sent = t_dup(t_sh_out("echo '%s' | jq -r 'keys|join(\" \")'", all));
    for (char *a = strtok(sent, " "); a; a = strtok(NULL, " "))
        CHECK_MSG(t_contains(info, t_fmt("{\"name\":\"%s\",", a)), "%s not in lxd_kind_info", a);
}

T_MAIN(T_CASE(real_objects_of_every_kind_match_the_schema),
       T_CASE(kind_info_matches_what_set_accepts_and_the_server_sends))
