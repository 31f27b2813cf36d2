/* The schema of every kind covers what the real LXD 5.0.2 sends: objects
 * of every kind received from the daemon raise no unknown-attribute warning,
 * even in "always" mode. (tests/c/test_warnings.c covers the warnings
 * themselves, with a fake server.) */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    size_t per_kind[LXD_KIND_OPERATION + 1] = {0};
    warnings_seen = 0;
    lxd_set_warning_callback(count_warning, NULL);
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_ALWAYS));
    size_t total = 0;
    lxd_status failed = LXD_OK;
    for (lxd_kind k = LXD_KIND_INSTANCE; k <= LXD_KIND_OPERATION && failed == LXD_OK; k++) {
        lxd_list *l = NULL;
        failed = lxd_all(t_client(), k, &l);
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
    CHECK_MSG(warnings_seen == 0, "%d warnings, first %s", warnings_seen, first_warning);
}

T_MAIN(T_CASE(real_objects_of_every_kind_match_the_schema))
