/* Instance backups against the real daemon: create (with every option,
 * and named by LXD), list, get, rename, delete; the export streamed to a
 * local file (a tarball holding the instance's files, with progress, and
 * cancelled from the callback); and the import of it as a new instance.
 * Runs over the unix socket and over HTTPS (the transfers stream).
 *
 * One stopped busybox container serves the whole run (made on first use,
 * deleted at exit): it holds a file of its own and one snapshot. Every
 * test makes backups of its own names; `lxc` and `tar` check the outcome. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK_PATH "/lxdt-backup.txt"

/* ---- the shared container ---------------------------------------------- */

static char box_name[96];
static char box_mark[128]; /* the content of MARK_PATH in it */
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
    snprintf(box_name, sizeof box_name, "%s", t_unique("backup"));
    snprintf(box_mark, sizeof box_mark, "backed up from %s", box_name);
    atexit(box_teardown);
    lxd_obj *o = NULL;
    if (lxd_container_create(
            t_client(),
            t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", box_name),
            true, &o) != LXD_OK) {
        printf("    creating %s: %s\n", box_name, lxd_last_error_message());
        return NULL;
    }
    box_obj = o;
    lxd_obj *snap = NULL;
    if (lxd_instance_file_put(o, MARK_PATH, (const uint8_t *)box_mark, strlen(box_mark), NULL) !=
            LXD_OK ||
        lxd_instance_snapshot_create(o, "{\"name\":\"s0\"}", true, &snap) != LXD_OK) {
        printf("    preparing %s: %s\n", box_name, lxd_last_error_message());
        box_obj = NULL;
        lxd_obj_free(o);
        return NULL;
    }
    lxd_obj_free(snap);
    return box_obj;
}

#define BOX()                                                              \
    lxd_obj *c = box();                                                    \
    CHECK_MSG(c, "no test container")

static const char *backup_query(const char *backup, const char *filter) {
    return t_sh_out("lxc query /1.0/instances/%s/backups/%s 2>/dev/null | jq -r '%s'", box_name,
                    backup, filter);
}

static bool backup_on_server(const char *backup) {
    return t_sh("lxc query /1.0/instances/%s/backups/%s >/dev/null 2>&1", box_name, backup) == 0;
}

static const char *server_backups(void) {
    return t_dup(t_sh_out("lxc query /1.0/instances/%s/backups | jq -r '.[]' | sed 's|.*/||' | sort",
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

/* A fresh local folder, removed after the test. */
static const char *scratch(void) {
    char tmpl[] = "/tmp/lxdt-backups-XXXXXX";
    if (!mkdtemp(tmpl)) return NULL;
    t_cleanup("rm -rf '%s'", tmpl);
    return t_dup(tmpl);
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

struct progress {
    int calls;
    int stop_after; /* 0: never stop */
    uint64_t done, total;
    bool backwards; /* done ever went down, or beyond total */
};

static int on_progress(uint64_t done, uint64_t total, void *user) {
    struct progress *p = user;
    if (done < p->done || (total && done > total)) p->backwards = true;
    p->calls++;
    p->done = done;
    p->total = total;
    return p->stop_after && p->calls >= p->stop_after ? 1 : 0;
}

/* Make a backup of the box named `name` with these extra members (JSON
 * text after the name, may be ""), waiting; kept and cleaned up. */
static lxd_obj *make_backup(lxd_obj *c, const char *name, const char *extra) {
    t_cleanup("lxc query -X DELETE /1.0/instances/%s/backups/%s >/dev/null 2>&1", box_name, name);
    lxd_obj *b = NULL;
    lxd_status s =
        lxd_instance_backup_create(c, t_fmt("{\"name\":\"%s\"%s}", name, extra), true, &b);
    if (s != LXD_OK) {
        printf("    backup %s: %s: %s\n", name, lxd_status_name(s), lxd_last_error_message());
        return NULL;
    }
    return t_keep_obj(b);
}

/* ---- tests ---------------------------------------------------------------- */

TEST(backups_create_list_get_rename_delete) {
    BOX();
    const char *name = t_dup(t_unique("b"));
    const char *renamed = t_dup(t_unique("b-renamed"));
    t_cleanup("lxc query -X DELETE /1.0/instances/%s/backups/%s >/dev/null 2>&1", box_name, renamed);
    lxd_obj *b = make_backup(c, name,
                             ",\"expires_at\":\"2030-01-01T00:00:00Z\",\"instance_only\":true,"
                             "\"optimized_storage\":false,\"compression_algorithm\":\"gzip\"");
    CHECK(b);
    CHECK(lxd_obj_kind(b) == LXD_KIND_INSTANCE_BACKUP);
    CHECK_STREQ(t_get(b, "name"), t_fmt("\"%s\"", name));
    CHECK_STREQ(t_get(b, "instance_only"), "true");
    CHECK_STREQ(t_get(b, "optimized_storage"), "false");
    CHECK_STREQ(t_get(b, "expires_at"), "\"2030-01-01T00:00:00Z\"");
    /* What LXD holds. */
    CHECK_STREQ(backup_query(name, ".expires_at"), "2030-01-01T00:00:00Z");
    CHECK_STREQ(backup_query(name, "[.instance_only, .container_only, .optimized_storage]|join(\",\")"),
                "true,true,false");
    CHECK_STREQ(t_get(b, "created_at"), t_fmt("\"%s\"", backup_query(name, ".created_at")));

    /* list, get, exists: typed and generic */
    lxd_list *l = NULL, *gl = NULL;
    CHECK_OK(lxd_instance_backup_all(c, &l));
    t_keep_list(l);
    lxd_obj *listed = t_find_in(l, "name", name);
    CHECK(listed);
    CHECK(lxd_obj_kind(listed) == LXD_KIND_INSTANCE_BACKUP);
    CHECK_STREQ(t_get(listed, "instance_only"), "true");
    CHECK_STREQ(t_fmt("%zu", lxd_list_len(l)),
                t_sh_out("lxc query /1.0/instances/%s/backups | jq length", box_name));
    CHECK_OK(lxd_child_all(c, LXD_KIND_INSTANCE_BACKUP, &gl));
    t_keep_list(gl);
    CHECK(t_find_in(gl, "name", name));
    lxd_obj *g = NULL, *gg = NULL;
    CHECK_OK(lxd_instance_backup_get(c, name, &g));
    t_keep_obj(g);
    CHECK_STREQ(t_get(g, "expires_at"), "\"2030-01-01T00:00:00Z\"");
    CHECK_OK(lxd_child_get(c, LXD_KIND_INSTANCE_BACKUP, name, &gg));
    t_keep_obj(gg);
    CHECK(lxd_obj_kind(gg) == LXD_KIND_INSTANCE_BACKUP);
    bool e = false;
    CHECK_OK(lxd_instance_backup_exists(c, name, &e));
    CHECK(e);

    /* Backups cannot be changed, only renamed and deleted. */
    CHECK_STATUS(lxd_obj_set(b, "expires_at", "\"2031-01-01T00:00:00Z\""), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_patch(b, "{\"expires_at\":\"2031-01-01T00:00:00Z\"}", true),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STREQ(backup_query(name, ".expires_at"), "2030-01-01T00:00:00Z");

    /* rename: the object follows */
    CHECK_OK(lxd_obj_rename(b, renamed, true));
    CHECK(!backup_on_server(name));
    CHECK(backup_on_server(renamed));
    CHECK_STREQ(t_get(b, "name"), t_fmt("\"%s\"", renamed));
    CHECK_OK(lxd_obj_sync(b));
    CHECK_STREQ(t_get(b, "instance_only"), "true");
    CHECK_OK(lxd_instance_backup_exists(c, name, &e));
    CHECK(!e);

    /* delete */
    CHECK_OK(lxd_obj_delete(b, true));
    CHECK(!backup_on_server(renamed));
    CHECK_OK(lxd_instance_backup_exists(c, renamed, &e));
    CHECK(!e);
    lxd_obj *nf = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_instance_backup_get(c, renamed, &nf), LXD_ERR_NOT_FOUND);
    CHECK(nf == (lxd_obj *)0x1);
}

/* Without a name LXD picks one (backupN); the object learns it. */
TEST(backups_without_name_learn_the_name_lxd_gave) {
    BOX();
    for (int waited = 1; waited >= 0; waited--) {
        const char *before = server_backups();
        CHECK(before);
        lxd_obj *b = NULL;
        CHECK_OK(lxd_instance_backup_create(c, "{\"instance_only\":true}", waited, &b));
        t_keep_obj(b);
        if (!waited) {
            lxd_obj *op = NULL;
            CHECK_OK(lxd_obj_operation(b, &op));
            t_keep_obj(op);
            CHECK(op);
            CHECK_OK(lxd_operation_wait(op, 120));
        }
        const char *fresh = added_line(before, server_backups());
        CHECK_MSG(fresh, "not one new backup (before: %s)", before);
        t_cleanup("lxc query -X DELETE /1.0/instances/%s/backups/%s >/dev/null 2>&1", box_name,
                  fresh);
        CHECK_MSG(strncmp(fresh, "backup", 6) == 0, "LXD named it %s", fresh);
        CHECK_STREQ(t_get(b, "name"), t_fmt("\"%s\"", fresh));
        char *key = NULL;
        CHECK_OK(lxd_obj_key(b, &key));
        t_keep_str(key);
        CHECK_STREQ(key, fresh);
        CHECK_STREQ(t_get(b, "created_at"), t_fmt("\"%s\"", backup_query(fresh, ".created_at")));
        CHECK_OK(lxd_obj_delete(b, true));
        CHECK(!backup_on_server(fresh));
    }
}

/* The export: a tarball of the instance (its file, and its snapshot
 * unless instance_only), streamed with progress up to the total. */
TEST(backups_export_streams_the_tarball_with_progress) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    /* Uncompressed, with the snapshot. */
    lxd_obj *full = make_backup(c, t_dup(t_unique("b-full")), ",\"compression_algorithm\":\"none\"");
    CHECK(full);
    const char *tar = t_fmt("%s/full.tar", dir);
    struct progress p = {0};
    CHECK_OK(lxd_instance_backup_export(full, NULL, tar, on_progress, &p));
    long long size = file_size(tar);
    CHECK(size > 0);
    CHECK_MSG(p.calls >= 1 && !p.backwards, "%d calls, backwards %d", p.calls, p.backwards);
    CHECK_MSG(p.total == (uint64_t)size && p.done == p.total,
              "progress ended at %llu of %llu; the file has %lld bytes",
              (unsigned long long)p.done, (unsigned long long)p.total, size);
    CHECK(t_sh("tar -tf %s backup/index.yaml >/dev/null 2>&1", tar) == 0);
    CHECK_STREQ(t_sh_out("tar -xOf %s backup/container/rootfs%s", tar, MARK_PATH), box_mark);
    CHECK(t_sh("tar -tf %s | grep -q '^backup/snapshots/s0/rootfs/'", tar) == 0);
    CHECK(t_contains(t_sh_out("tar -xOf %s backup/index.yaml", tar), t_fmt("name: %s", box_name)));

    /* gzip, instance only: no snapshot inside; through the generic call. */
    lxd_obj *only = make_backup(c, t_dup(t_unique("b-only")),
                                ",\"instance_only\":true,\"compression_algorithm\":\"gzip\"");
    CHECK(only);
    const char *tgz = t_fmt("%s/only.tar.gz", dir);
    CHECK_OK(lxd_obj_action_to_file(only, "export", NULL, tgz, NULL, NULL));
    CHECK(t_sh("gzip -t %s", tgz) == 0);
    CHECK_STREQ(t_sh_out("tar -xzOf %s backup/container/rootfs%s", tgz, MARK_PATH), box_mark);
    CHECK_STREQ(t_sh_out("tar -tzf %s | grep -c '^backup/snapshots/' || true", tgz), "0");
    /* An existing file at the path is replaced. */
    CHECK_OK(lxd_obj_action_to_file(only, "export", NULL, tar, NULL, NULL));
    CHECK(t_sh("gzip -t %s", tar) == 0);

    /* The wrong entry points for a file action. */
    char *r = NULL;
    CHECK_STATUS(lxd_obj_action(only, "export", NULL, true, &r), LXD_ERR_INVALID_ARGUMENT);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_STATUS(lxd_obj_action_bytes(only, "export", NULL, &bytes, &len),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(r == NULL && bytes == NULL);
}

TEST(backups_export_cancelled_from_the_callback_leaves_no_file) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    lxd_obj *b = make_backup(c, t_dup(t_unique("b-cancel")), ",\"compression_algorithm\":\"none\"");
    CHECK(b);
    const char *path = t_fmt("%s/cancelled.tar", dir);
    struct progress p = {.stop_after = 1};
    CHECK_STATUS(lxd_instance_backup_export(b, NULL, path, on_progress, &p), LXD_ERR_CANCELLED);
    CHECK(p.calls == 1);
    CHECK_MSG(access(path, F_OK) != 0, "a partial file stayed at %s", path);
    CHECK_STREQ(t_sh_out("ls -A %s", dir), "");
    /* A file that was there is replaced as data comes: when the export is
     * cancelled, it is gone too (never left half-written). */
    CHECK(t_sh("echo old > %s", path) == 0);
    p = (struct progress){.stop_after = 1};
    CHECK_STATUS(lxd_instance_backup_export(b, NULL, path, on_progress, &p), LXD_ERR_CANCELLED);
    CHECK_MSG(access(path, F_OK) != 0, "%s stayed after a cancelled export", path);
    CHECK_STREQ(t_sh_out("ls -A %s", dir), "");
    /* The backup itself is still there, and exports whole. */
    CHECK_OK(lxd_instance_backup_export(b, NULL, path, NULL, NULL));
    CHECK_STREQ(t_sh_out("tar -xOf %s backup/container/rootfs%s", path, MARK_PATH), box_mark);
}

/* Import: the exported tarball becomes a new instance of another name,
 * which starts and holds the original's file (and its snapshot). */
TEST(backups_import_as_a_new_instance) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    lxd_obj *b = make_backup(c, t_dup(t_unique("b-import")), "");
    CHECK(b);
    const char *tarball = t_fmt("%s/export.tar.gz", dir);
    CHECK_OK(lxd_instance_backup_export(b, NULL, tarball, NULL, NULL));
    long long size = file_size(tarball);
    CHECK(size > 0);

    const char *name = t_dup(t_unique("imported"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    struct progress p = {0};
    lxd_obj *n = NULL;
    CHECK_OK(lxd_instance_import(t_client(), tarball, t_fmt("{\"name\":\"%s\"}", name), true,
                                 on_progress, &p, &n));
    t_keep_obj(n);
    CHECK(lxd_obj_kind(n) == LXD_KIND_INSTANCE);
    CHECK_MSG(p.calls >= 1 && !p.backwards && p.total == (uint64_t)size && p.done == p.total,
              "progress: %d calls, %llu of %llu, file %lld", p.calls, (unsigned long long)p.done,
              (unsigned long long)p.total, size);
    CHECK_STREQ(t_get(n, "name"), t_fmt("\"%s\"", name));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c ns --format csv", name), t_fmt("%s,STOPPED", name));
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq -r '.[]' | sed 's|.*/||'", name),
                "s0");
    CHECK_OK(lxd_instance_start(n, -1, false, true));
    CHECK_STREQ(t_get(n, "status"), "\"Running\"");
    CHECK_STREQ(t_sh_out("lxc exec %s -- cat %s", name, MARK_PATH), box_mark);
    /* The original is untouched. */
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", box_name), "STOPPED");

    /* Again under a name that is taken now: LXD refuses it. */
    lxd_obj *again = (lxd_obj *)0x1;
    lxd_status s = lxd_instance_import(t_client(), tarball, t_fmt("{\"name\":\"%s\"}", name), true,
                                       NULL, NULL, &again);
    /* LXD 5.0.2: "Create instance from backup: Cannot restore volume,
     * already exists on target", in the operation. */
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED, "import onto an existing name: %s: %s",
              lxd_status_name(s), lxd_last_error_message());
    CHECK(t_icontains(lxd_last_error_message(), "exists"));
    CHECK(again == (lxd_obj *)0x1);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "RUNNING");
}

TEST(backups_import_without_wait_and_errors) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    lxd_obj *out = (lxd_obj *)0x1;
    /* No such local file: nothing is sent. */
    CHECK_STATUS(lxd_instance_import(t_client(), t_fmt("%s/missing.tar.gz", dir), NULL, true, NULL,
                                     NULL, &out),
                 LXD_ERR_NOT_FOUND);
    CHECK(out == (lxd_obj *)0x1);
    CHECK_STATUS(lxd_instance_import(t_client(), NULL, NULL, true, NULL, NULL, &out),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_import(t_client(), "/etc/hostname", "{\"bogus\":\"x\"}", true, NULL,
                                     NULL, &out),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_import(t_client(), "/etc/hostname", "{\"name\":7}", true, NULL,
                                     NULL, &out),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(out == (lxd_obj *)0x1);
    /* A file that is not a backup: LXD's operation fails, nothing is made. */
    const char *junk = t_fmt("%s/junk.tar.gz", dir);
    CHECK(t_sh("head -c 4096 /dev/urandom > %s", junk) == 0);
    const char *junk_name = t_dup(t_unique("imported-junk"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", junk_name);
    lxd_status s = lxd_instance_import(t_client(), junk, t_fmt("{\"name\":\"%s\"}", junk_name),
                                       true, NULL, NULL, &out);
    /* LXD 5.0.2 answers the upload itself: 500 "Unsupported compression". */
    CHECK_MSG(s == LXD_ERR_API && lxd_last_error_http_status() == 500, "junk import: %s: %s",
              lxd_status_name(s), lxd_last_error_message());
    CHECK(out == (lxd_obj *)0x1);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c n --format csv", junk_name), "");

    /* Without wait: the object comes back at once and loads on first read. */
    lxd_obj *b = make_backup(c, t_dup(t_unique("b-nowait")), ",\"instance_only\":true");
    CHECK(b);
    const char *tarball = t_fmt("%s/nowait.tar.gz", dir);
    CHECK_OK(lxd_instance_backup_export(b, NULL, tarball, NULL, NULL));
    const char *name = t_dup(t_unique("imported-nowait"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    lxd_obj *n = NULL;
    CHECK_OK(lxd_instance_import(t_client(), tarball, t_fmt("{\"name\":\"%s\"}", name), false,
                                 NULL, NULL, &n));
    t_keep_obj(n);
    lxd_obj *op = NULL;
    CHECK_OK(lxd_obj_operation(n, &op));
    t_keep_obj(op);
    CHECK(op);
    CHECK_OK(lxd_operation_wait(op, 120));
    CHECK_STREQ(t_get(n, "status"), "\"Stopped\"");
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c ns --format csv", name), t_fmt("%s,STOPPED", name));
    /* instance_only: no snapshot came along. */
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq length", name), "0");
}

T_MAIN(T_CASE(backups_create_list_get_rename_delete),
       T_CASE(backups_without_name_learn_the_name_lxd_gave),
       T_CASE(backups_export_streams_the_tarball_with_progress),
       T_CASE(backups_export_cancelled_from_the_callback_leaves_no_file),
       T_CASE(backups_import_as_a_new_instance),
       T_CASE(backups_import_without_wait_and_errors))
