/* Instances moving between two real servers: the main daemon and the
 * second one (scripts/lxd-private.sh second: LXD_DIR
 * /var/lib/lxd-liblxd-second, HTTPS 127.0.0.2:8443). Copies in pull, push
 * and relay mode, with and without snapshots, a refresh of an existing
 * copy, a move, a local copy, and failures that must leave the source as
 * it was. Outcomes are read on the servers with `lxc` (the second with
 * LXD_DIR set): the copy's snapshots, and its file's checksum.
 *
 * One stopped source container serves the run: it holds a file with
 * content of its own and one snapshot. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define SECOND_DIR "/var/lib/lxd-liblxd-second"
#define SECOND "LXD_DIR=" SECOND_DIR " "
#define MARK "/lxdt-migration.txt"

static lxd_client *second_client;

/* A client of the second server, on its unix socket. */
static lxd_client *second(void) {
    if (!second_client &&
        lxd_client_new(SECOND_DIR "/unix.socket", NULL, &second_client) != LXD_OK) {
        printf("    second server: %s\n", lxd_last_error_message());
        second_client = NULL;
    }
    return second_client;
}

static char src_name[96];
static char src_sum[64];
static lxd_obj *src_obj;
static bool src_tried;

static void teardown(void) {
    lxd_obj_free(src_obj);
    if (src_name[0]) t_sh("lxc delete -f %s >/dev/null 2>&1", src_name);
    lxd_client_free(second_client);
}

/* Make a stopped container with MARK and a snapshot s0; remember the
 * file's checksum. */
static lxd_obj *make_source(const char *name, char *sum, size_t sum_len) {
    lxd_obj *o = NULL, *snap = NULL;
    if (lxd_container_create(
            t_client(),
            t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}",
                  name),
            true, &o) != LXD_OK) {
        printf("    creating %s: %s\n", name, lxd_last_error_message());
        return NULL;
    }
    const char *content = t_fmt("migrated from %s at %s", name, t_sh_out("date +%%s%%N"));
    if (lxd_instance_file_put(o, MARK, (const uint8_t *)content, strlen(content), NULL) != LXD_OK ||
        lxd_instance_snapshot_create(o, "{\"name\":\"s0\"}", true, &snap) != LXD_OK) {
        printf("    preparing %s: %s\n", name, lxd_last_error_message());
        lxd_obj_free(o);
        return NULL;
    }
    lxd_obj_free(snap);
    const char *s = t_sh_out("lxc file pull %s%s - | md5sum | cut -d' ' -f1", name, MARK);
    snprintf(sum, sum_len, "%s", s ? s : "");
    return o;
}

static lxd_obj *source(void) {
    if (src_obj || src_tried) return src_obj;
    src_tried = true;
    atexit(teardown);
    snprintf(src_name, sizeof src_name, "%s", t_unique("mig-src"));
    src_obj = make_source(src_name, src_sum, sizeof src_sum);
    return src_obj;
}

/* The checksum of MARK in instance `name` of the second server. */
static const char *second_sum(const char *name) {
    return t_sh_out(SECOND "lxc file pull %s%s - | md5sum | cut -d' ' -f1", name, MARK);
}

static const char *second_snapshots(const char *name) {
    return t_sh_out(SECOND "lxc query /1.0/instances/%s/snapshots | jq -r '.[]' | sed 's|.*/||' | "
                           "tr '\\n' ' '",
                    name);
}

/* Copy in `mode`; the copy has the file and (unless instance_only) s0. */
static void copy_in_mode(const char *mode, bool instance_only) {
    lxd_obj *src = source();
    CHECK(src != NULL && second() != NULL);
    if (!src || !second()) return;
    const char *name = t_unique(mode);
    t_cleanup(SECOND "lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *copy = NULL;
    CHECK_OK(lxd_instance_copy_to(
        src, second(),
        t_fmt("{\"name\":\"%s\",\"mode\":\"%s\",\"instance_only\":%s}", name, mode,
              instance_only ? "true" : "false"),
        true, &copy));
    t_keep_obj(copy);
    if (!copy) return;
    /* The handle is the copy, on the second server. */
    CHECK_STREQ(t_get(copy, "name"), t_fmt("\"%s\"", name));
    CHECK_STREQ(t_get(copy, "status"), "\"Stopped\"");
    CHECK_STREQ(second_sum(name), src_sum);
    CHECK_STREQ(second_snapshots(name), instance_only ? "" : "s0 ");
    /* The source is untouched. */
    CHECK_STREQ(t_sh_out("lxc list %s -c s --format csv", src_name), "STOPPED");
}

TEST(copy_pull_with_snapshots) { copy_in_mode("pull", false); }
TEST(copy_push_instance_only) { copy_in_mode("push", true); }
TEST(copy_relay_with_snapshots) { copy_in_mode("relay", false); }

/* The copy starts on the second server, and a refresh brings a change of
 * the source over to the existing copy. */
TEST(copy_starts_and_refresh_brings_changes) {
    lxd_obj *src = source();
    CHECK(src != NULL && second() != NULL);
    if (!src || !second()) return;
    const char *name = t_unique("refresh");
    t_cleanup(SECOND "lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *copy = NULL;
    CHECK_OK(lxd_instance_copy_to(src, second(), t_fmt("{\"name\":\"%s\"}", name), true, &copy));
    t_keep_obj(copy);
    if (!copy) return;
    CHECK_OK(lxd_instance_start(copy, -1, false, true));
    CHECK_STREQ(t_sh_out(SECOND "lxc exec %s -- md5sum %s | cut -d' ' -f1", name, MARK), src_sum);
    CHECK_OK(lxd_instance_stop(copy, -1, true, true));

    /* A new file on the source; the copy is refreshed. */
    const char *extra = t_fmt("refreshed %s", name);
    CHECK_OK(lxd_instance_file_put(src, "/lxdt-extra.txt", (const uint8_t *)extra, strlen(extra), NULL));
    t_cleanup("lxc file delete %s/lxdt-extra.txt >/dev/null 2>&1", src_name);
    lxd_obj *again = NULL;
    CHECK_OK(lxd_instance_copy_to(src, second(), t_fmt("{\"name\":\"%s\",\"refresh\":true}", name), true,
                                  &again));
    t_keep_obj(again);
    CHECK_STREQ(t_sh_out(SECOND "lxc file pull %s/lxdt-extra.txt -", name), extra);

    /* Without refresh the name is taken: a clear code, the copy as it was. */
    lxd_obj *dup = (lxd_obj *)0x1;
    lxd_status s = lxd_instance_copy_to(src, second(), t_fmt("{\"name\":\"%s\"}", name), true, &dup);
    CHECK_MSG(s == LXD_ERR_CONFLICT, "copy onto a taken name: %s (%s)",
              lxd_status_name(s), lxd_last_error_message());
    CHECK(dup == (lxd_obj *)0x1);
    CHECK_STREQ(second_sum(name), src_sum);
    CHECK_STREQ(t_sh_out("lxc file pull %s%s - | md5sum | cut -d' ' -f1", src_name, MARK), src_sum);
}

/* Move keeps the name: the instance is then on the second server only. */
TEST(move_keeps_the_name_and_leaves_the_source_server) {
    CHECK(second() != NULL);
    if (!second()) return;
    const char *name = t_dup(t_unique("move"));
    char sum[64];
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    t_cleanup(SECOND "lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *o = make_source(name, sum, sizeof sum);
    CHECK(o != NULL);
    if (!o) return;
    t_keep_obj(o);

    /* A running instance is refused, and stays. */
    CHECK_OK(lxd_instance_start(o, -1, false, true));
    lxd_obj *moved = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_instance_move_to(o, second(), "{\"mode\":\"push\"}", &moved), LXD_ERR_INVALID_ARGUMENT);
    CHECK(moved == (lxd_obj *)0x1);
    CHECK_STREQ(t_sh_out("lxc list %s -c s --format csv", name), "RUNNING");
    CHECK_OK(lxd_instance_stop(o, -1, true, true));

    CHECK_OK(lxd_instance_move_to(o, second(), "{\"mode\":\"push\"}", &moved));
    t_keep_obj(moved == (lxd_obj *)0x1 ? NULL : moved);
    CHECK_STREQ(t_sh_out("lxc list %s -c n --format csv", name), "");
    CHECK_STREQ(t_sh_out(SECOND "lxc list %s -c n --format csv", name), name);
    CHECK_STREQ(second_sum(name), sum);
    CHECK_STREQ(second_snapshots(name), "s0 ");
}

/* Both clients on one server: LXD's local copy, through the same call. */
TEST(copy_to_the_same_server_is_a_local_copy) {
    lxd_obj *src = source();
    CHECK(src != NULL);
    if (!src) return;
    const char *name = t_unique("local");
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *copy = NULL;
    CHECK_OK(lxd_instance_copy_to(src, t_client(), t_fmt("{\"name\":\"%s\",\"mode\":\"relay\"}", name), true,
                                  &copy));
    t_keep_obj(copy);
    CHECK_STREQ(t_sh_out("lxc file pull %s%s - | md5sum | cut -d' ' -f1", name, MARK), src_sum);
}

/* A target that refuses (a profile it does not have) fails the copy in
 * every mode with LXD's reason; the source is as it was and the target
 * holds nothing. */
TEST(a_refusing_target_leaves_the_source_as_it_was) {
    lxd_obj *src = source();
    CHECK(src != NULL && second() != NULL);
    if (!src || !second()) return;
    const char *modes[] = {"pull", "push", "relay"};
    for (int i = 0; i < 3; i++) {
        const char *name = t_unique("refused");
        t_cleanup(SECOND "lxc delete -f %s >/dev/null 2>&1", name);
        lxd_obj *out = (lxd_obj *)0x1;
        lxd_status s = lxd_instance_copy_to(
            src, second(),
            t_fmt("{\"name\":\"%s\",\"mode\":\"%s\",\"profiles\":[\"lxdt-no-such-profile\"]}", name, modes[i]),
            true, &out);
        CHECK_MSG(s != LXD_OK && out == (lxd_obj *)0x1, "%s: %s", modes[i], lxd_status_name(s));
        CHECK_MSG(t_icontains(lxd_last_error_message(), "profile"), "%s: %s", modes[i], lxd_last_error_message());
        CHECK_STREQ(t_sh_out(SECOND "lxc list %s -c n --format csv", name), "");
    }
    CHECK_STREQ(t_sh_out("lxc list %s -c s --format csv", src_name), "STOPPED");
    CHECK_STREQ(t_sh_out("lxc file pull %s%s - | md5sum | cut -d' ' -f1", src_name, MARK), src_sum);
}

TEST(copy_refuses_bad_input_before_any_request) {
    lxd_obj *src = source();
    CHECK(src != NULL && second() != NULL);
    if (!src || !second()) return;
    lxd_obj *out = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_instance_copy_to(src, second(), "{\"mode\":\"relay\"}", false, &out),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_copy_to(src, second(), "{\"mode\":\"teleport\"}", true, &out),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_copy_to(src, second(), "{\"nme\":\"x\"}", true, &out), LXD_ERR_INVALID_ARGUMENT);
    CHECK(t_contains(lxd_last_error_message(), "nme"));
    CHECK_STATUS(lxd_instance_copy_to(src, second(), "{", true, &out), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_copy_to(NULL, second(), NULL, true, &out), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_copy_to(src, NULL, NULL, true, &out), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_move_to(src, second(), NULL, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(out == (lxd_obj *)0x1);
}

T_MAIN(T_CASE(copy_pull_with_snapshots), T_CASE(copy_push_instance_only), T_CASE(copy_relay_with_snapshots),
       T_CASE(copy_starts_and_refresh_brings_changes), T_CASE(move_keeps_the_name_and_leaves_the_source_server),
       T_CASE(copy_to_the_same_server_is_a_local_copy), T_CASE(a_refusing_target_leaves_the_source_as_it_was),
       T_CASE(copy_refuses_bad_input_before_any_request))
