/* Instance snapshots against the real daemon: create (named, and named by
 * LXD), list, get, exists, rename, expiry updates by save and by PATCH,
 * delete, restore (files and configuration come back), a new instance from
 * a snapshot, and the errors.
 *
 * One running busybox container serves the whole run (made on first use,
 * deleted at exit, with its snapshots); every test makes snapshots of its
 * own names in it and checks what LXD holds with `lxc`. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the shared container ---------------------------------------------- */

static char box_name[96];
static lxd_obj *box_obj;
static bool box_tried;

static void box_teardown(void) {
    lxd_obj_free(box_obj);
    box_obj = NULL;
    if (box_name[0]) t_sh("lxc delete -f %s >/dev/null 2>&1", box_name);
}

static lxd_obj *box(void) {
    if (box_obj || box_tried) return box_obj;
    box_tried = true;
    t_client();
    snprintf(box_name, sizeof box_name, "%s", t_unique("snap"));
    atexit(box_teardown);
    if (t_sh("lxc launch busybox %s >/dev/null 2>&1", box_name) != 0) {
        printf("    lxc launch busybox %s failed\n", box_name);
        return NULL;
    }
    lxd_obj *o = NULL;
    if (lxd_container_get(t_client(), box_name, &o) != LXD_OK) {
        printf("    lxd_container_get %s: %s\n", box_name, lxd_last_error_message());
        return NULL;
    }
    box_obj = o;
    return box_obj;
}

#define BOX()                                                              \
    lxd_obj *c = box();                                                    \
    CHECK_MSG(c, "no test container")

/* A snapshot name unique to this run (snapshot names may hold no '/'). */
static const char *snap_name(const char *prefix) { return t_dup(t_unique(prefix)); }

/* What LXD says of snapshot `snap` of the box: jq -r FILTER of it; NULL if
 * it does not exist. */
static const char *snap_query(const char *snap, const char *filter) {
    return t_sh_out("lxc query /1.0/instances/%s/snapshots/%s 2>/dev/null | jq -r '%s'", box_name,
                    snap, filter);
}

static bool snap_exists_on_server(const char *snap) {
    return t_sh("lxc query /1.0/instances/%s/snapshots/%s >/dev/null 2>&1", box_name, snap) == 0;
}

/* The box's snapshot names, as lxc sees them, one per line, sorted. */
static const char *server_snapshots(void) {
    return t_dup(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq -r '.[]' | sed 's|.*/||' | sort",
                          box_name));
}

/* The one line of `after` that `before` lacks; NULL unless exactly one. */
static const char *added_line(const char *before, const char *after) {
    if (!before || !after) return NULL;
    const char *found = NULL;
    char *copy = t_dup(after), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *p = before;
        bool seen = false;
        size_t n = strlen(line);
        while ((p = strstr(p, line)) != NULL) {
            if ((p == before || p[-1] == '\n') && (p[n] == 0 || p[n] == '\n')) seen = true;
            p += n;
        }
        if (seen) continue;
        if (found) return NULL;
        found = line;
    }
    return found;
}

static bool put_text(lxd_obj *c, const char *path, const char *text) {
    return lxd_instance_file_put(c, path, (const uint8_t *)text, strlen(text), NULL) == LXD_OK;
}

/* The content of file `path` in the instance, read back through lxc. */
static const char *lxc_cat(const char *instance, const char *path) {
    return t_sh_out("lxc exec %s -- cat %s", instance, path);
}

/* ---- tests ---------------------------------------------------------------- */

TEST(snapshots_create_get_list_exists_delete) {
    BOX();
    const char *name = snap_name("s");
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
    lxd_obj *s = NULL;
    CHECK_OK(lxd_instance_snapshot_create(
        c,
        t_fmt("{\"name\":\"%s\",\"stateful\":false,\"expires_at\":\"2030-01-01T00:00:00Z\"}", name),
        true, &s));
    t_keep_obj(s);
    CHECK(lxd_obj_kind(s) == LXD_KIND_INSTANCE_SNAPSHOT);
    char *key = NULL;
    CHECK_OK(lxd_obj_key(s, &key));
    t_keep_str(key);
    CHECK_STREQ(key, name);
    CHECK_STREQ(t_get(s, "name"), t_fmt("\"%s\"", name));
    CHECK_STREQ(t_get(s, "stateful"), "false");
    CHECK_STREQ(t_get(s, "expires_at"), "\"2030-01-01T00:00:00Z\"");
    /* LXD has it, with that expiry, and lists it in the instance's info. */
    CHECK_STREQ(snap_query(name, ".expires_at"), "2030-01-01T00:00:00Z");
    CHECK_STREQ(snap_query(name, ".stateful"), "false");
    CHECK(t_sh("lxc info %s | grep -q '^| %s '", box_name, name) == 0);
    /* The snapshot holds the instance's configuration as it was. */
    CHECK_STREQ(snap_query(name, ".config[\"image.os\"]"), "busybox");
    CHECK(t_contains(t_get(s, "config"), "\"image.os\":\"busybox\""));

    /* get: typed and generic, through the parent. */
    lxd_obj *g = NULL, *gg = NULL;
    CHECK_OK(lxd_instance_snapshot_get(c, name, &g));
    t_keep_obj(g);
    CHECK(lxd_obj_kind(g) == LXD_KIND_INSTANCE_SNAPSHOT);
    CHECK_STREQ(t_get(g, "created_at"), t_fmt("\"%s\"", snap_query(name, ".created_at")));
    CHECK_OK(lxd_child_get(c, LXD_KIND_INSTANCE_SNAPSHOT, name, &gg));
    t_keep_obj(gg);
    CHECK_STREQ(t_get(gg, "expires_at"), "\"2030-01-01T00:00:00Z\"");
    /* A container and the same instance as an Instance reach the same snapshot. */
    lxd_obj *inst = NULL, *gi = NULL;
    CHECK_OK(lxd_instance_get(t_client(), box_name, &inst));
    t_keep_obj(inst);
    CHECK_OK(lxd_instance_snapshot_get(inst, name, &gi));
    t_keep_obj(gi);
    CHECK_STREQ(t_get(gi, "created_at"), t_get(g, "created_at"));

    /* list: typed and generic. */
    lxd_list *l = NULL, *gl = NULL;
    CHECK_OK(lxd_instance_snapshot_all(c, &l));
    t_keep_list(l);
    lxd_obj *listed = t_find_in(l, "name", name);
    CHECK(listed);
    CHECK(lxd_obj_kind(listed) == LXD_KIND_INSTANCE_SNAPSHOT);
    CHECK_STREQ(t_get(listed, "expires_at"), "\"2030-01-01T00:00:00Z\"");
    CHECK_OK(lxd_child_all(c, LXD_KIND_INSTANCE_SNAPSHOT, &gl));
    t_keep_list(gl);
    CHECK(t_find_in(gl, "name", name));
    /* As many as LXD has. */
    CHECK_STREQ(t_fmt("%zu", lxd_list_len(l)),
                t_sh_out("lxc query /1.0/instances/%s/snapshots | jq length", box_name));

    bool e = false;
    CHECK_OK(lxd_instance_snapshot_exists(c, name, &e));
    CHECK(e);
    CHECK_OK(lxd_child_exists(c, LXD_KIND_INSTANCE_SNAPSHOT, name, &e));
    CHECK(e);

    /* A second one of the same name is refused; the first stays. */
    lxd_obj *dup = NULL;
    lxd_status ds = lxd_instance_snapshot_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &dup);
    t_keep_obj(ds == LXD_OK ? dup : NULL);
    CHECK_MSG(ds == LXD_ERR_OPERATION_FAILED || ds == LXD_ERR_CONFLICT || ds == LXD_ERR_API,
              "duplicate snapshot: %s", lxd_status_name(ds));
    CHECK_MSG(t_icontains(lxd_last_error_message(), "exist"), "message: %s",
              lxd_last_error_message());
    CHECK_STREQ(snap_query(name, ".expires_at"), "2030-01-01T00:00:00Z");

    /* delete */
    CHECK_OK(lxd_obj_delete(g, true));
    CHECK(!snap_exists_on_server(name));
    CHECK_OK(lxd_instance_snapshot_exists(c, name, &e));
    CHECK(!e);
    lxd_list *after = NULL;
    CHECK_OK(lxd_instance_snapshot_all(c, &after));
    t_keep_list(after);
    CHECK(t_find_in(after, "name", name) == NULL);
    /* The instance itself is untouched. */
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", box_name), "RUNNING");
}

/* Without a name LXD picks one (snapN); the object learns it, whether the
 * create waited or not. */
TEST(snapshots_without_name_learn_the_name_lxd_gave) {
    BOX();
    for (int waited = 1; waited >= 0; waited--) {
        const char *before = server_snapshots();
        CHECK(before);
        lxd_obj *s = NULL;
        CHECK_OK(lxd_instance_snapshot_create(c, "{}", waited, &s));
        t_keep_obj(s);
        if (!waited) {
            lxd_obj *op = NULL;
            CHECK_OK(lxd_obj_operation(s, &op));
            t_keep_obj(op);
            CHECK_MSG(op, "no operation after a create without wait");
            CHECK_OK(lxd_operation_wait(op, 60));
        }
        /* The new name: in LXD's list now, not before. */
        const char *fresh = added_line(before, server_snapshots());
        CHECK_MSG(fresh, "not one new snapshot (before: %s)", before);
        t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, fresh);
        CHECK_MSG(strncmp(fresh, "snap", 4) == 0, "LXD named it %s", fresh);
        CHECK_STREQ(t_get(s, "name"), t_fmt("\"%s\"", fresh));
        char *key = NULL;
        CHECK_OK(lxd_obj_key(s, &key));
        t_keep_str(key);
        CHECK_STREQ(key, fresh);
        /* The object works on that snapshot: a save lands on it. */
        CHECK_OK(lxd_obj_set(s, "expires_at", "\"2031-02-03T04:05:06Z\""));
        CHECK_OK(lxd_obj_save(s, true));
        CHECK_STREQ(snap_query(fresh, ".expires_at"), "2031-02-03T04:05:06Z");
    }
}

TEST(snapshots_rename_follows_the_object) {
    BOX();
    const char *name = snap_name("s");
    const char *renamed = snap_name("s-renamed");
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, renamed);
    lxd_obj *s = NULL;
    CHECK_OK(lxd_instance_snapshot_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &s));
    t_keep_obj(s);
    CHECK_OK(lxd_obj_rename(s, renamed, true));
    CHECK(!snap_exists_on_server(name));
    CHECK(snap_exists_on_server(renamed));
    CHECK_STREQ(t_get(s, "name"), t_fmt("\"%s\"", renamed));
    char *key = NULL;
    CHECK_OK(lxd_obj_key(s, &key));
    t_keep_str(key);
    CHECK_STREQ(key, renamed);
    /* The object reaches it under the new name. */
    CHECK_OK(lxd_obj_sync(s));
    CHECK_STREQ(t_get(s, "created_at"), t_fmt("\"%s\"", snap_query(renamed, ".created_at")));
    bool e = true;
    CHECK_OK(lxd_instance_snapshot_exists(c, name, &e));
    CHECK(!e);
    /* Renaming onto an existing snapshot is refused. */
    const char *other = snap_name("s-other");
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, other);
    CHECK(t_sh("lxc snapshot %s %s", box_name, other) == 0);
    lxd_status rs = lxd_obj_rename(s, other, true);
    CHECK_MSG(rs != LXD_OK, "rename onto an existing snapshot succeeded");
    CHECK(snap_exists_on_server(renamed) && snap_exists_on_server(other));
    CHECK_OK(lxd_obj_delete(s, true));
    CHECK(!snap_exists_on_server(renamed));
}

TEST(snapshots_expiry_changes_by_save_and_by_patch) {
    BOX();
    const char *name = snap_name("s");
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
    lxd_obj *s = NULL;
    CHECK_OK(lxd_instance_snapshot_create(
        c, t_fmt("{\"name\":\"%s\",\"expires_at\":\"2030-01-01T00:00:00Z\"}", name), true, &s));
    t_keep_obj(s);

    /* set + save */
    CHECK_OK(lxd_obj_set(s, "expires_at", "\"2032-06-07T08:09:10Z\""));
    CHECK(lxd_obj_dirty(s));
    CHECK_OK(lxd_obj_save(s, true));
    CHECK(!lxd_obj_dirty(s));
    CHECK_STREQ(snap_query(name, ".expires_at"), "2032-06-07T08:09:10Z");
    CHECK_STREQ(t_get(s, "expires_at"), "\"2032-06-07T08:09:10Z\"");

    /* PATCH, with and without wait */
    CHECK_OK(lxd_obj_patch(s, "{\"expires_at\":\"2033-01-02T03:04:05Z\"}", true));
    CHECK_STREQ(snap_query(name, ".expires_at"), "2033-01-02T03:04:05Z");
    CHECK_STREQ(t_get(s, "expires_at"), "\"2033-01-02T03:04:05Z\"");
    CHECK_OK(lxd_obj_patch(s, "{\"expires_at\":\"2034-01-02T03:04:05Z\"}", false));
    lxd_obj *op = NULL;
    CHECK_OK(lxd_obj_operation(s, &op));
    t_keep_obj(op);
    if (op) CHECK_OK(lxd_operation_wait(op, 60));
    CHECK_STREQ(snap_query(name, ".expires_at"), "2034-01-02T03:04:05Z");
    CHECK_STREQ(t_get(s, "expires_at"), "\"2034-01-02T03:04:05Z\"");

    /* What a snapshot does not let change. */
    CHECK_STATUS(lxd_obj_set(s, "config", "{}"), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_patch(s, "{\"config\":{\"user.x\":\"1\"}}", true), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_patch(s, "{\"nope\":1}", true), LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK_STATUS(lxd_obj_patch(s, "[1]", true), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STREQ(snap_query(name, ".expires_at"), "2034-01-02T03:04:05Z");

    /* A stale handle's save is refused once the expiry moved on (the
     * snapshot's ETag covers it), and the server keeps the newer date. */
    lxd_obj *stale = NULL;
    CHECK_OK(lxd_instance_snapshot_get(c, name, &stale));
    t_keep_obj(stale);
    CHECK_OK(lxd_obj_patch(s, "{\"expires_at\":\"2035-01-01T00:00:00Z\"}", true));
    CHECK_OK(lxd_obj_set(stale, "expires_at", "\"2036-01-01T00:00:00Z\""));
    CHECK_STATUS(lxd_obj_save(stale, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(snap_query(name, ".expires_at"), "2035-01-01T00:00:00Z");
    /* ... and the same for a PATCH through it. */
    CHECK_OK(lxd_obj_rollback(stale));
    CHECK_OK(lxd_obj_patch(s, "{\"expires_at\":\"2037-01-01T00:00:00Z\"}", true));
    CHECK_STATUS(lxd_obj_patch(stale, "{\"expires_at\":\"2038-01-01T00:00:00Z\"}", true),
                 LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(snap_query(name, ".expires_at"), "2037-01-01T00:00:00Z");
}

/* Restore: the files and the configuration of the snapshot come back,
 * through the typed wrapper (waiting) and through the generic action
 * (without waiting: the operation comes back). */
TEST(snapshots_restore_brings_back_files_and_config) {
    BOX();
    const char *path = "/lxdt-restore.txt";
    t_cleanup("lxc config unset %s user.lxdt-state >/dev/null 2>&1", box_name);
    for (int generic = 0; generic <= 1; generic++) {
        const char *name = snap_name("s-restore");
        t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
        const char *before = t_fmt("before %s", name);
        CHECK(put_text(c, path, before));
        CHECK(t_sh("lxc config set %s user.lxdt-state %s", box_name, name) == 0);
        lxd_obj *s = NULL;
        CHECK_OK(lxd_instance_snapshot_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &s));
        t_keep_obj(s);
        CHECK(put_text(c, path, "after"));
        CHECK(t_sh("lxc config set %s user.lxdt-state after", box_name) == 0);
        CHECK_STREQ(lxc_cat(box_name, path), "after");

        char *result = NULL;
        if (!generic) {
            CHECK_OK(lxd_instance_snapshot_restore(s, NULL, true, &result));
            t_keep_str(result);
            CHECK(result);
        } else {
            CHECK_OK(lxd_obj_action(s, "restore", NULL, false, &result));
            t_keep_str(result);
            /* Not waited for: the operation as it started. */
            CHECK(t_contains(result, "\"id\":"));
            lxd_obj *op = NULL;
            CHECK_OK(lxd_obj_operation(s, &op));
            t_keep_obj(op);
            CHECK(op);
            CHECK_OK(lxd_operation_wait(op, 120));
            CHECK_STREQ(t_get(op, "status"), "\"Success\"");
        }
        CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-state", box_name), name);
        CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", box_name), "RUNNING");
        CHECK_STREQ(lxc_cat(box_name, path), before);
        /* The container object sees it too, once synced. */
        CHECK_OK(lxd_obj_sync(c));
        CHECK(t_contains(t_get(c, "config"), t_fmt("\"user.lxdt-state\":\"%s\"", name)));
        uint8_t *data = NULL;
        size_t len = 0;
        CHECK_OK(lxd_instance_file_get(c, path, &data, &len));
        t_keep_bytes(data);
        CHECK_STREQ((const char *)data, before);
    }
}

TEST(snapshots_new_instance_from_a_snapshot) {
    BOX();
    const char *name = snap_name("s-copy");
    const char *copy = t_dup(t_unique("snap-copy"));
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", copy);
    const char *content = t_fmt("in snapshot %s", name);
    CHECK(put_text(c, "/lxdt-copy.txt", content));
    lxd_obj *s = NULL;
    CHECK_OK(lxd_instance_snapshot_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &s));
    t_keep_obj(s);
    /* The box moves on; the copy is of the snapshot. */
    CHECK(put_text(c, "/lxdt-copy.txt", "later"));
    lxd_obj *n = NULL;
    /* LXD 5.0.2 gives a copy no profiles unless the request names them
     * (then no root disk: "No root device could be found"); `lxc copy`
     * sends the source's. */
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],"
              "\"source\":{\"type\":\"copy\",\"source\":\"%s/%s\"}}",
              copy, box_name, name),
        true, &n));
    t_keep_obj(n);
    CHECK(lxd_obj_kind(n) == LXD_KIND_INSTANCE);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c ns --format csv", copy), t_fmt("%s,STOPPED", copy));
    CHECK_OK(lxd_instance_start(n, -1, false, true));
    CHECK_STREQ(t_get(n, "status"), "\"Running\"");
    CHECK_STREQ(lxc_cat(copy, "/lxdt-copy.txt"), content);
    /* A copy of one snapshot has no snapshots of its own. */
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq length", copy), "0");
    CHECK_STREQ(lxc_cat(box_name, "/lxdt-copy.txt"), "later");
}

TEST(snapshots_errors) {
    BOX();
    const char *missing = snap_name("s-missing");
    lxd_obj *o = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_instance_snapshot_get(c, missing, &o), LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK_MSG(t_icontains(lxd_last_error_message(), "not found"), "message: %s",
              lxd_last_error_message());
    CHECK_STATUS(lxd_child_get(c, LXD_KIND_INSTANCE_SNAPSHOT, missing, &o), LXD_ERR_NOT_FOUND);
    CHECK(o == (lxd_obj *)0x1);
    bool e = true;
    CHECK_OK(lxd_instance_snapshot_exists(c, missing, &e));
    CHECK(!e);

    /* A snapshot whose instance is gone: not found either. */
    const char *no_instance = t_dup(t_unique("snap-gone"));
    lxd_obj *gone = NULL;
    CHECK_OK(t_new_container(no_instance, false, &gone));
    CHECK(t_sh("lxc delete %s", no_instance) == 0);
    CHECK_STATUS(lxd_instance_snapshot_get(gone, "snap0", &o), LXD_ERR_NOT_FOUND);
    lxd_list *l = (lxd_list *)0x1;
    CHECK_STATUS(lxd_instance_snapshot_all(gone, &l), LXD_ERR_NOT_FOUND);
    CHECK(l == (lxd_list *)0x1);
    CHECK_STATUS(lxd_instance_snapshot_create(gone, "{\"name\":\"x\"}", true, &o),
                 LXD_ERR_NOT_FOUND);

    /* The snapshot kind under an object that is not an instance. */
    lxd_obj *profile = NULL;
    CHECK_OK(lxd_profile_get(t_client(), "default", &profile));
    t_keep_obj(profile);
    CHECK_STATUS(lxd_instance_snapshot_get(profile, "snap0", &o), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_child_get(profile, LXD_KIND_INSTANCE_SNAPSHOT, "snap0", &o),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_snapshot_all(profile, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_snapshot_exists(profile, "snap0", &e), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_snapshot_create(profile, "{\"name\":\"x\"}", true, &o),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(o == (lxd_obj *)0x1 && l == (lxd_list *)0x1);
    CHECK(t_contains(lxd_last_error_message(), "Instance"));
    /* Nor under a snapshot, nor with a kind that has no parent. */
    const char *name = snap_name("s-err");
    t_cleanup("lxc delete %s/%s >/dev/null 2>&1", box_name, name);
    lxd_obj *s = NULL;
    CHECK_OK(lxd_instance_snapshot_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &s));
    t_keep_obj(s);
    CHECK_STATUS(lxd_instance_snapshot_all(s, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_child_all(c, LXD_KIND_PROFILE, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_child_all(c, LXD_KIND_COUNT, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_child_all(NULL, LXD_KIND_INSTANCE_SNAPSHOT, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_child_all(c, LXD_KIND_INSTANCE_SNAPSHOT, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(l == (lxd_list *)0x1);
    /* A definition that is not an object, or names the snapshot "". */
    CHECK_STATUS(lxd_instance_snapshot_create(c, "[]", true, &o), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_snapshot_create(c, "{\"name\":\"\"}", true, &o),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(o == (lxd_obj *)0x1);
    /* restore is a snapshot's action, not an instance's. */
    char *r = NULL;
    CHECK_STATUS(lxd_obj_action(c, "restore", NULL, true, &r), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_snapshot_restore(c, NULL, true, &r), LXD_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL);
    /* A snapshot cannot be renamed to a name with a slash. */
    CHECK(lxd_obj_rename(s, "a/b", true) != LXD_OK);
    CHECK(snap_exists_on_server(name));
    /* Restoring a snapshot deleted meanwhile fails, and changes nothing. */
    CHECK(t_sh("lxc delete %s/%s", box_name, name) == 0);
    lxd_status rs = lxd_instance_snapshot_restore(s, NULL, true, &r);
    CHECK_MSG(rs == LXD_ERR_NOT_FOUND || rs == LXD_ERR_OPERATION_FAILED || rs == LXD_ERR_API,
              "restore of a deleted snapshot: %s", lxd_status_name(rs));
    CHECK(r == NULL);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", box_name), "RUNNING");
}

T_MAIN(T_CASE(snapshots_create_get_list_exists_delete),
       T_CASE(snapshots_without_name_learn_the_name_lxd_gave),
       T_CASE(snapshots_rename_follows_the_object),
       T_CASE(snapshots_expiry_changes_by_save_and_by_patch),
       T_CASE(snapshots_restore_brings_back_files_and_config),
       T_CASE(snapshots_new_instance_from_a_snapshot),
       T_CASE(snapshots_errors))
