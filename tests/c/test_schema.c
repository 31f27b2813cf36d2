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
    /* The kinds under an instance: a snapshot and a backup of it. */
    lxd_obj *parent = NULL;
    CHECK_OK(lxd_instance_get(t_client(), name, &parent));
    t_keep_obj(parent);
    lxd_obj *child = NULL;
    CHECK_OK(lxd_instance_snapshot_create(parent, "{\"name\":\"s0\"}", true, &child));
    lxd_obj_free(child);
    CHECK_OK(lxd_instance_backup_create(parent, "{\"name\":\"b0\"}", true, &child));
    lxd_obj_free(child);
    size_t per_kind[LXD_KIND_COUNT] = {0};
    int parents[LXD_KIND_COUNT];
    for (lxd_kind k = 0; k < LXD_KIND_COUNT; k++) {
        parents[k] = t_kind_parent(k);
        CHECK_MSG(parents[k] == -1 || parents[k] == LXD_KIND_INSTANCE,
                  "kind %d has parent kind %d: this test has no object of it", k, parents[k]);
    }
    warnings_seen = 0;
    lxd_set_warning_callback(count_warning, NULL);
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_ALWAYS));
    size_t total = 0;
    lxd_status failed = LXD_OK;
    for (lxd_kind k = 0; k < LXD_KIND_COUNT && failed == LXD_OK; k++) {
        lxd_list *l = NULL;
        failed = parents[k] == -1 ? lxd_all(t_client(), k, &l) : lxd_child_all(parent, k, &l);
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
    CHECK_OK(failed);
    CHECK(total >= 5);
    CHECK(per_kind[LXD_KIND_CONTAINER] >= 1 && per_kind[LXD_KIND_IMAGE] >= 1 && per_kind[LXD_KIND_PROFILE] >= 1);
    CHECK(per_kind[LXD_KIND_NETWORK] >= 1 && per_kind[LXD_KIND_STORAGE_POOL] >= 1 && per_kind[LXD_KIND_PROJECT] >= 1);
    CHECK(per_kind[LXD_KIND_CERTIFICATE] >= 1);
    CHECK(per_kind[LXD_KIND_INSTANCE_SNAPSHOT] == 1 && per_kind[LXD_KIND_INSTANCE_BACKUP] == 1);
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
