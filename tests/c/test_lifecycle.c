/* Integration tests of the object lifecycle on real containers: the pylxd
 * seed walk-through (read, set, dirty, rollback, save, sync), ETag
 * protection of saves, instance actions with and without waiting, rename,
 * attribute errors, failed saves and delete. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

/* Set `config` to the object's current config plus `member` (read-modify-write,
 * keeping LXD's volatile keys). */
static lxd_status set_config_plus(lxd_obj *o, const char *member) {
    const char *cfg = t_get(o, "config");
    if (!cfg) return LXD_ERR_INTERNAL;
    return lxd_obj_set(o, "config", t_json_insert(cfg, member));
}

/* The state column of `lxc list` for exactly this instance ("" if absent). */
static const char *lxc_state(const char *name) {
    const char *s = t_sh_out("lxc list '^%s$' -c s --format csv", name);
    return s ? s : "(lxc failed)";
}

static const char *lxc_config_get(const char *name, const char *key) {
    const char *s = t_sh_out("lxc config get %s %s", name, key);
    return s ? s : "(lxc failed)";
}

static const char *lxc_description(const char *name) {
    const char *s = t_sh_out("lxc query /1.0/instances/%s | jq -r .description", name);
    return s ? s : "(lxc failed)";
}

/* ---- tests ---------------------------------------------------------------- */

TEST(lifecycle_seed_walkthrough_read_set_rollback_save) {
    char name[96], quoted[128];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_STREQ(lxc_state(name), "STOPPED");

    const char *cfg = t_get(c, "config");
    CHECK(cfg && cfg[0] == '{');
    CHECK(t_contains(cfg, "\"volatile.base_image\""));
    CHECK_STREQ(t_get(c, "name"), quoted);
    CHECK(!lxd_obj_dirty(c));

    /* A local change: visible on the object, not on the server. */
    CHECK_OK(set_config_plus(c, "\"user.liblxd\":\"x\""));
    CHECK(lxd_obj_dirty(c));
    CHECK(t_contains(t_get(c, "config"), "\"user.liblxd\":\"x\""));
    CHECK_STREQ(lxc_config_get(name, "user.liblxd"), "");

    /* Rollback discards it. */
    CHECK_OK(lxd_obj_rollback(c));
    CHECK(!lxd_obj_dirty(c));
    CHECK(!t_contains(t_get(c, "config"), "user.liblxd"));
    CHECK_STREQ(lxc_config_get(name, "user.liblxd"), "");

    /* Set again and save: the server has it, LXD's volatile keys survive. */
    CHECK_OK(set_config_plus(c, "\"user.liblxd\":\"x\""));
    CHECK(lxd_obj_dirty(c));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK(!lxd_obj_dirty(c));
    CHECK_STREQ(lxc_config_get(name, "user.liblxd"), "x");
    const char *base = lxc_config_get(name, "volatile.base_image");
    CHECK_MSG(strlen(base) == 64, "volatile.base_image lost: \"%s\"", base);
    CHECK(t_contains(t_get(c, "config"), "\"user.liblxd\":\"x\""));

    /* description */
    CHECK_OK(lxd_obj_set(c, "description", "\"set by liblxd\""));
    CHECK(lxd_obj_dirty(c));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK(!lxd_obj_dirty(c));
    CHECK_STREQ(lxc_description(name), "set by liblxd");
    CHECK_STREQ(t_get(c, "description"), "\"set by liblxd\"");
    /* The earlier config change is untouched by the second save. */
    CHECK_STREQ(lxc_config_get(name, "user.liblxd"), "x");
}

TEST(lifecycle_sync_keeps_local_changes_and_sees_server_changes) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    CHECK_OK(lxd_obj_set(c, "description", "\"local only\""));
    CHECK_MSG(t_sh("lxc config set %s user.viacli=42", name) == 0, "lxc config set failed");
    CHECK(!t_contains(t_get(c, "config"), "user.viacli"));

    CHECK_OK(lxd_obj_sync(c));
    CHECK(lxd_obj_dirty(c));
    CHECK_STREQ(t_get(c, "description"), "\"local only\"");
    CHECK(t_contains(t_get(c, "config"), "\"user.viacli\":\"42\""));
    /* Nothing was sent. */
    CHECK_STREQ(lxc_description(name), "");

    /* After the sync the ETag is fresh: the save goes through and keeps
     * the server-side change. */
    CHECK_OK(lxd_obj_save(c, true));
    CHECK(!lxd_obj_dirty(c));
    CHECK_STREQ(lxc_description(name), "local only");
    CHECK_STREQ(lxc_config_get(name, "user.viacli"), "42");
}

/* A waited save leaves the object to load on its next read (no GET of its
 * own): that read shows the server's state then, another writer's change
 * made after the save included, and the next save starts from it. */
TEST(lifecycle_waited_save_loads_on_the_next_read) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_OK(set_config_plus(c, "\"user.mine\":\"1\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_config_get(name, "user.mine"), "1");

    /* Someone else, after the save and before any read. */
    CHECK_MSG(t_sh("lxc config set %s user.theirs=2", name) == 0, "lxc config set failed");
    const char *cfg = t_get(c, "config");
    CHECK(t_contains(cfg, "\"user.mine\":\"1\""));
    CHECK(t_contains(cfg, "\"user.theirs\":\"2\""));
    CHECK(t_contains(t_get(c, "expanded_config"), "\"user.mine\":\"1\""));

    /* Saved again straight after a waited save, nothing read between: the
     * save loads the object first, so a change another writer made in
     * between stays (a save never writes back values it did not see). */
    CHECK_OK(set_config_plus(c, "\"user.mine\":\"3\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_MSG(t_sh("lxc config set %s user.theirs=5", name) == 0, "lxc config set failed");
    CHECK_OK(lxd_obj_set(c, "description", "\"mine\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_description(name), "mine");
    CHECK_STREQ(lxc_config_get(name, "user.theirs"), "5");
    CHECK_STREQ(lxc_config_get(name, "user.mine"), "3");
}

TEST(lifecycle_save_with_nothing_dirty_sends_nothing) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK(!lxd_obj_dirty(c));

    CHECK_MSG(t_sh("lxc config set %s user.ext=1", name) == 0, "lxc config set failed");
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_OK(lxd_obj_save(c, false));
    CHECK(!lxd_obj_dirty(c));
    /* The server change was not reverted ... */
    CHECK_STREQ(lxc_config_get(name, "user.ext"), "1");
    /* ... and the object did not even re-read the server (no request). */
    CHECK(!t_contains(t_get(c, "config"), "user.ext"));
    lxd_obj *op = (lxd_obj *)0x1;
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op == NULL);
}

TEST(lifecycle_save_after_concurrent_change_fails_precondition) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *created = NULL, *a = NULL;
    CHECK_OK(t_new_container(name, false, &created));
    CHECK_OK(lxd_container_get(t_client(), name, &a));
    t_keep_obj(a);

    CHECK_MSG(t_sh("lxc config set %s user.other=1", name) == 0, "lxc config set failed");
    CHECK_OK(set_config_plus(a, "\"user.mine\":\"a\""));
    CHECK_STATUS(lxd_obj_save(a, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK(lxd_obj_dirty(a));
    /* The server kept the other writer's value, and got nothing of ours. */
    CHECK_STREQ(lxc_config_get(name, "user.other"), "1");
    CHECK_STREQ(lxc_config_get(name, "user.mine"), "");

    /* Rollback, redo the change on fresh data, save: both values present. */
    CHECK_OK(lxd_obj_rollback(a));
    CHECK(!lxd_obj_dirty(a));
    CHECK(t_contains(t_get(a, "config"), "\"user.other\":\"1\""));
    CHECK_OK(set_config_plus(a, "\"user.mine\":\"a\""));
    CHECK_OK(lxd_obj_save(a, true));
    CHECK(!lxd_obj_dirty(a));
    CHECK_STREQ(lxc_config_get(name, "user.other"), "1");
    CHECK_STREQ(lxc_config_get(name, "user.mine"), "a");

    /* The sync path: the object read (it loads after the waited save),
     * then changed by another writer: a stale description save fails,
     * sync, save succeeds. */
    CHECK(t_contains(t_get(a, "config"), "\"user.mine\":\"a\""));
    CHECK_MSG(t_sh("lxc config set %s user.other=2", name) == 0, "lxc config set failed");
    CHECK_OK(lxd_obj_set(a, "description", "\"after sync\""));
    CHECK_STATUS(lxd_obj_save(a, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(lxc_description(name), "");
    CHECK_OK(lxd_obj_sync(a));
    CHECK(lxd_obj_dirty(a));
    CHECK_OK(lxd_obj_save(a, true));
    CHECK_STREQ(lxc_description(name), "after sync");
    CHECK_STREQ(lxc_config_get(name, "user.other"), "2");
    CHECK_STREQ(lxc_config_get(name, "user.mine"), "a");
}

TEST(lifecycle_list_object_save_detects_change_after_listing) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *created = NULL;
    lxd_list *all = NULL;
    CHECK_OK(t_new_container(name, false, &created));
    CHECK_OK(lxd_container_all(t_client(), &all));
    t_keep_list(all);
    lxd_obj *c = t_find_in(all, "name", name);
    CHECK_MSG(c != NULL, "%s not in lxd_container_all", name);

    CHECK_MSG(t_sh("lxc config set %s user.other=1", name) == 0, "lxc config set failed");
    CHECK_OK(lxd_obj_set(c, "description", "\"from the list\""));
    CHECK_STATUS(lxd_obj_save(c, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK(lxd_obj_dirty(c));
    CHECK_STREQ(lxc_description(name), "");
    CHECK_STREQ(lxc_config_get(name, "user.other"), "1");

    /* Rollback (reloads with an ETag), set again, save. */
    CHECK_OK(lxd_obj_rollback(c));
    CHECK(!lxd_obj_dirty(c));
    CHECK_OK(lxd_obj_set(c, "description", "\"from the list\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_description(name), "from the list");
    CHECK_STREQ(lxc_config_get(name, "user.other"), "1");
}

TEST(lifecycle_list_object_saves_when_unchanged_on_server) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *created = NULL;
    lxd_list *all = NULL;
    CHECK_OK(t_new_container(name, false, &created));
    CHECK_OK(lxd_instance_all(t_client(), &all));
    t_keep_list(all);
    lxd_obj *c = t_find_in(all, "name", name);
    CHECK_MSG(c != NULL, "%s not in lxd_instance_all", name);

    CHECK_OK(set_config_plus(c, "\"user.fromlist\":\"yes\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK(!lxd_obj_dirty(c));
    CHECK_STREQ(lxc_config_get(name, "user.fromlist"), "yes");
    const char *base = lxc_config_get(name, "volatile.base_image");
    CHECK_MSG(strlen(base) == 64, "volatile.base_image lost: \"%s\"", base);
    /* A second save from the same object (now synced) works too. */
    CHECK_OK(lxd_obj_set(c, "description", "\"twice\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_description(name), "twice");
}

TEST(lifecycle_save_without_wait_then_save_again) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL, *op = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    CHECK_OK(set_config_plus(c, "\"user.nowait\":\"1\""));
    CHECK_OK(lxd_obj_save(c, false));
    CHECK(!lxd_obj_dirty(c));
    CHECK_OK(lxd_obj_operation(c, &op));
    if (op) {
        t_keep_obj(op);
        CHECK_OK(lxd_operation_wait(op, 30));
    }
    CHECK_STREQ(lxc_config_get(name, "user.nowait"), "1");

    /* The ETag is unknown now: the next save re-reads, finds nothing changed
     * by anyone else, and goes through. */
    CHECK_OK(lxd_obj_set(c, "description", "\"second save\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_description(name), "second save");
    CHECK_STREQ(lxc_config_get(name, "user.nowait"), "1");

    /* Same, but with a change by someone else in between: refused. */
    CHECK_OK(lxd_obj_set(c, "description", "\"third\""));
    CHECK_OK(lxd_obj_save(c, false));
    op = NULL;
    CHECK_OK(lxd_obj_operation(c, &op));
    if (op) {
        t_keep_obj(op);
        CHECK_OK(lxd_operation_wait(op, 30));
    }
    CHECK_STREQ(lxc_description(name), "third");
    CHECK_MSG(t_sh("lxc config set %s user.other=1", name) == 0, "lxc config set failed");
    CHECK_OK(lxd_obj_set(c, "description", "\"fourth\""));
    CHECK_STATUS(lxd_obj_save(c, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(lxc_description(name), "third");
    CHECK_STREQ(lxc_config_get(name, "user.other"), "1");
}

TEST(lifecycle_start_freeze_unfreeze_restart_stop_with_wait) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_STREQ(t_get(c, "status"), "\"Stopped\"");

    CHECK_OK(lxd_instance_start(c, -1, false, true));
    CHECK_STREQ(lxc_state(name), "RUNNING");
    CHECK_STREQ(t_get(c, "status"), "\"Running\"");
    char *state = NULL;
    CHECK_OK(lxd_instance_state(c, &state));
    t_keep_str(state);
    CHECK_MSG(t_contains(state, "\"status\":\"Running\""), "state: %.200s", state);
    CHECK(t_contains(state, "\"pid\":"));

    CHECK_OK(lxd_instance_freeze(c, -1, false, true));
    CHECK_STREQ(lxc_state(name), "FROZEN");
    CHECK_STREQ(t_get(c, "status"), "\"Frozen\"");

    CHECK_OK(lxd_instance_unfreeze(c, -1, false, true));
    CHECK_STREQ(lxc_state(name), "RUNNING");
    CHECK_STREQ(t_get(c, "status"), "\"Running\"");

    char pid_before[32];
    const char *p = t_sh_out("lxc query /1.0/instances/%s/state | jq .pid", name);
    CHECK(p && atoi(p) > 0);
    snprintf(pid_before, sizeof pid_before, "%s", p);
    CHECK_OK(lxd_instance_restart(c, 30, true, true));
    CHECK_STREQ(lxc_state(name), "RUNNING");
    CHECK_STREQ(t_get(c, "status"), "\"Running\"");
    p = t_sh_out("lxc query /1.0/instances/%s/state | jq .pid", name);
    CHECK(p && atoi(p) > 0);
    CHECK_MSG(strcmp(p, pid_before) != 0, "restart kept init pid %s", p);

    CHECK_OK(lxd_instance_stop(c, 30, false, true));
    CHECK_STREQ(lxc_state(name), "STOPPED");
    CHECK_STREQ(t_get(c, "status"), "\"Stopped\"");
    state = NULL;
    CHECK_OK(lxd_instance_state(c, &state));
    t_keep_str(state);
    CHECK(t_contains(state, "\"status\":\"Stopped\""));
}

TEST(lifecycle_waited_action_keeps_local_changes) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_OK(lxd_obj_set(c, "description", "\"pending\""));
    CHECK_OK(lxd_instance_start(c, -1, false, true));
    CHECK_STREQ(t_get(c, "status"), "\"Running\"");
    CHECK(lxd_obj_dirty(c));
    CHECK_STREQ(t_get(c, "description"), "\"pending\"");
    CHECK_STREQ(lxc_description(name), "");
    CHECK_OK(lxd_instance_stop(c, -1, true, true));
    CHECK_STREQ(lxc_state(name), "STOPPED");
}

TEST(lifecycle_action_without_wait_returns_operation) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL, *op = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    /* wait=true: no operation to hand back. */
    op = (lxd_obj *)0x1;
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op == NULL);

    CHECK_OK(lxd_instance_start(c, -1, false, false));
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op != NULL);
    t_keep_obj(op);
    CHECK(lxd_obj_kind(op) == LXD_KIND_OPERATION);
    char *id = NULL;
    CHECK_OK(lxd_obj_key(op, &id));
    t_keep_str(id);
    CHECK(strlen(id) > 0);
    CHECK_OK(lxd_operation_wait(op, 30));
    CHECK_STREQ(t_get(op, "status"), "\"Success\"");
    CHECK_STREQ(lxc_state(name), "RUNNING");

    /* The object itself learns the new state on sync. */
    CHECK_OK(lxd_obj_sync(c));
    CHECK_STREQ(t_get(c, "status"), "\"Running\"");

    /* A waited call afterwards leaves no operation behind. */
    CHECK_OK(lxd_instance_stop(c, -1, true, true));
    CHECK_STREQ(lxc_state(name), "STOPPED");
    lxd_obj *op2 = (lxd_obj *)0x1;
    CHECK_OK(lxd_obj_operation(c, &op2));
    CHECK(op2 == NULL);
}

TEST(lifecycle_create_without_wait_loads_lazily) {
    char name[96], def[256], quoted[128];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    snprintf(def, sizeof def,
             "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *c = NULL, *op = NULL;
    CHECK_OK(lxd_container_create(t_client(), def, false, &c));
    t_keep_obj(c);
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op != NULL);
    t_keep_obj(op);
    CHECK_OK(lxd_operation_wait(op, 60));
    CHECK_STREQ(lxc_state(name), "STOPPED");
    /* Attributes load on first read. */
    CHECK_STREQ(t_get(c, "name"), quoted);
    CHECK_STREQ(t_get(c, "status"), "\"Stopped\"");
    CHECK(t_contains(t_get(c, "config"), "volatile.base_image"));
}

TEST(lifecycle_rename_stopped_instance) {
    char name[96], newname[96], quoted[128];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    snprintf(newname, sizeof newname, "%s", t_unique("lc-renamed"));
    snprintf(quoted, sizeof quoted, "\"%s\"", newname);
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", newname);

    CHECK_OK(lxd_instance_rename(c, newname, true));
    CHECK_STREQ(lxc_state(newname), "STOPPED");
    CHECK_STREQ(lxc_state(name), "");
    CHECK_STREQ(t_get(c, "name"), quoted);
    char *key = NULL;
    CHECK_OK(lxd_obj_key(c, &key));
    t_keep_str(key);
    CHECK_STREQ(key, newname);
    bool exists = true;
    CHECK_OK(lxd_container_exists(t_client(), name, &exists));
    CHECK(!exists);
    CHECK_OK(lxd_container_exists(t_client(), newname, &exists));
    CHECK(exists);

    /* The object keeps working under its new name. */
    CHECK_OK(lxd_obj_sync(c));
    CHECK_OK(lxd_obj_set(c, "description", "\"renamed\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_description(newname), "renamed");
}

TEST(lifecycle_attribute_errors_leave_object_clean) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    CHECK_STATUS(lxd_obj_set(c, "name", "\"other\""), LXD_ERR_READ_ONLY);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STATUS(lxd_obj_set(c, "status", "\"Running\""), LXD_ERR_READ_ONLY);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STATUS(lxd_obj_set(c, "created_at", "\"2000-01-01T00:00:00Z\""), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_set(c, "nonexistent", "1"), LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK(lxd_last_error_message()[0] != 0);
    char *out = (char *)0x1;
    CHECK_STATUS(lxd_obj_get(c, "nonexistent", &out), LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK(out == (char *)0x1);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STATUS(lxd_obj_set(c, "config", "{\"user.a\":"), LXD_ERR_INVALID_ARGUMENT);
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STATUS(lxd_obj_set(c, "description", "not json"), LXD_ERR_INVALID_ARGUMENT);
    CHECK(!lxd_obj_dirty(c));
    CHECK_STREQ(t_get(c, "name"), t_sh_out("lxc query /1.0/instances/%s | jq -c .name", name));
    CHECK_STREQ(t_get(c, "status"), "\"Stopped\"");
    CHECK(!t_contains(t_get(c, "config"), "user.a"));
}

TEST(lifecycle_failed_save_reports_lxd_message_and_stays_dirty) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    CHECK_OK(set_config_plus(c, "\"nonsense.key\":\"1\""));
    lxd_status s = lxd_obj_save(c, true);
    CHECK_MSG(s == LXD_ERR_API || s == LXD_ERR_OPERATION_FAILED,
              "save returned %s: %s", lxd_status_name(s), lxd_last_error_message());
    const char *msg = lxd_last_error_message();
    CHECK_MSG(t_contains(msg, "nonsense.key"), "message: \"%s\"", msg);
    CHECK(lxd_obj_dirty(c));
    CHECK(t_contains(t_get(c, "config"), "nonsense.key"));
    CHECK_STREQ(lxc_config_get(name, "nonsense.key"), "");
    const char *base = lxc_config_get(name, "volatile.base_image");
    CHECK_MSG(strlen(base) == 64, "volatile.base_image lost: \"%s\"", base);

    /* Fix it: rollback, then a valid change saves. */
    CHECK_OK(lxd_obj_rollback(c));
    CHECK(!lxd_obj_dirty(c));
    CHECK(!t_contains(t_get(c, "config"), "nonsense.key"));
    CHECK_OK(set_config_plus(c, "\"user.fixed\":\"1\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(lxc_config_get(name, "user.fixed"), "1");
}

TEST(lifecycle_calls_on_instance_deleted_elsewhere_fail_not_found) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_OK(lxd_obj_set(c, "description", "\"kept\""));
    CHECK_MSG(t_sh("lxc delete -f %s", name) == 0, "lxc delete failed");

    CHECK_STATUS(lxd_obj_sync(c), LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK(lxd_obj_dirty(c));
    /* A failed rollback loses nothing either. */
    CHECK_STATUS(lxd_obj_rollback(c), LXD_ERR_NOT_FOUND);
    CHECK(lxd_obj_dirty(c));
    CHECK_STREQ(t_get(c, "description"), "\"kept\"");
    CHECK_STATUS(lxd_obj_save(c, true), LXD_ERR_NOT_FOUND);
    CHECK(lxd_obj_dirty(c));
    CHECK_STATUS(lxd_instance_start(c, -1, false, true), LXD_ERR_NOT_FOUND);
    char *state = NULL;
    CHECK_STATUS(lxd_instance_state(c, &state), LXD_ERR_NOT_FOUND);
    CHECK(state == NULL);
    CHECK_STREQ(lxc_state(name), "");
}

TEST(lifecycle_to_json_then_delete) {
    char name[96], needle[128];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    snprintf(needle, sizeof needle, "\"name\":\"%s\"", name);
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    CHECK_OK(lxd_obj_set(c, "description", "\"unsaved\""));
    char *json = NULL;
    CHECK_OK(lxd_obj_to_json(c, &json));
    t_keep_str(json);
    CHECK(json[0] == '{');
    CHECK(t_contains(json, needle));
    CHECK(t_contains(json, "\"description\":\"unsaved\""));
    CHECK(t_contains(json, "\"status\":\"Stopped\""));

    bool exists = false;
    CHECK_OK(lxd_container_exists(t_client(), name, &exists));
    CHECK(exists);
    CHECK_OK(lxd_obj_delete(c, true));
    CHECK_STREQ(lxc_state(name), "");
    CHECK_OK(lxd_container_exists(t_client(), name, &exists));
    CHECK(!exists);
    lxd_obj *gone = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_container_get(t_client(), name, &gone), LXD_ERR_NOT_FOUND);
    CHECK(gone == (lxd_obj *)0x1);
    CHECK(lxd_last_error_http_status() == 404);
    /* A second delete of the same handle: the server says it is gone. */
    CHECK_STATUS(lxd_obj_delete(c, true), LXD_ERR_NOT_FOUND);
}

TEST(lifecycle_delete_without_wait_returns_operation) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("lc"));
    lxd_obj *c = NULL, *op = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_OK(lxd_obj_delete(c, false));
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op != NULL);
    t_keep_obj(op);
    CHECK_OK(lxd_operation_wait(op, 30));
    CHECK_STREQ(lxc_state(name), "");
}

T_MAIN(T_CASE(lifecycle_seed_walkthrough_read_set_rollback_save),
       T_CASE(lifecycle_sync_keeps_local_changes_and_sees_server_changes),
       T_CASE(lifecycle_waited_save_loads_on_the_next_read),
       T_CASE(lifecycle_save_with_nothing_dirty_sends_nothing),
       T_CASE(lifecycle_save_after_concurrent_change_fails_precondition),
       T_CASE(lifecycle_list_object_save_detects_change_after_listing),
       T_CASE(lifecycle_list_object_saves_when_unchanged_on_server),
       T_CASE(lifecycle_save_without_wait_then_save_again),
       T_CASE(lifecycle_start_freeze_unfreeze_restart_stop_with_wait),
       T_CASE(lifecycle_waited_action_keeps_local_changes),
       T_CASE(lifecycle_action_without_wait_returns_operation),
       T_CASE(lifecycle_create_without_wait_loads_lazily),
       T_CASE(lifecycle_rename_stopped_instance),
       T_CASE(lifecycle_attribute_errors_leave_object_clean),
       T_CASE(lifecycle_failed_save_reports_lxd_message_and_stays_dirty),
       T_CASE(lifecycle_calls_on_instance_deleted_elsewhere_fail_not_found),
       T_CASE(lifecycle_to_json_then_delete),
       T_CASE(lifecycle_delete_without_wait_returns_operation))
