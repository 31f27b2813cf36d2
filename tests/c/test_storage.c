/* Storage pools and volumes against the real daemon: a second dir pool of
 * the test's own (in a temporary directory), its config and description
 * through set + save, its resources; custom volumes (create with a size,
 * get, update, rename, state, delete), the image volumes in the list, a
 * volume attached to a container, volume snapshots (restore brings a file
 * back), volume backups (export, import), copies to another pool and to
 * the second server in each mode, a move between pools.
 *
 * Outcomes are read with `lxc` and on disk: the dir driver keeps a custom
 * volume NAME of the default project in POOL_SOURCE/custom/default_NAME. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAIN_POOLS "/var/lib/lxd/storage-pools"
#define SECOND_DIR "/var/lib/lxd-liblxd-second"
#define SECOND "LXD_DIR=" SECOND_DIR " "

/* ---- shared: the default pool, a second pool, the second server --------- */

static lxd_obj *default_pool_obj, *pool2_obj, *remote_pool_obj;
static lxd_client *second_client;
static char pool2_name[96], pool2_dir[64];

static void teardown(void) {
    lxd_obj_free(default_pool_obj);
    lxd_obj_free(pool2_obj);
    lxd_obj_free(remote_pool_obj);
    lxd_client_free(second_client);
    if (pool2_name[0]) t_sh("lxc storage delete %s >/dev/null 2>&1", pool2_name);
    if (pool2_dir[0]) t_sh("rm -rf '%s'", pool2_dir);
}

static lxd_obj *default_pool(void) {
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(teardown);
    }
    if (!default_pool_obj && lxd_storage_pool_get(t_client(), "default", &default_pool_obj) != LXD_OK)
        default_pool_obj = NULL;
    return default_pool_obj;
}

/* A dir pool of this run in a temporary directory (deleted at exit). */
static lxd_obj *pool2(void) {
    if (pool2_obj || !default_pool()) return pool2_obj;
    if (!pool2_dir[0]) {
        strcpy(pool2_dir, "/tmp/lxdt-pool-XXXXXX");
        if (!mkdtemp(pool2_dir)) return NULL;
        snprintf(pool2_name, sizeof pool2_name, "%s", t_unique("st-pool2"));
        if (t_sh("lxc storage create %s dir source=%s >/dev/null 2>&1", pool2_name, pool2_dir) != 0) {
            printf("    lxc storage create %s failed\n", pool2_name);
            return NULL;
        }
    }
    if (lxd_storage_pool_get(t_client(), pool2_name, &pool2_obj) != LXD_OK) pool2_obj = NULL;
    return pool2_obj;
}

/* The default pool of the second server. */
static lxd_obj *remote_pool(void) {
    if (remote_pool_obj || !default_pool()) return remote_pool_obj;
    if (!second_client && lxd_client_new(SECOND_DIR "/unix.socket", NULL, &second_client) != LXD_OK) {
        printf("    second server: %s\n", lxd_last_error_message());
        second_client = NULL;
        return NULL;
    }
    if (lxd_storage_pool_get(second_client, "default", &remote_pool_obj) != LXD_OK)
        remote_pool_obj = NULL;
    return remote_pool_obj;
}

/* A custom volume `name` in the default pool (deleted after the test) with
 * the file f.txt holding `content`. */
static lxd_obj *new_volume(const char *name, const char *content) {
    lxd_obj *v = NULL;
    if (!default_pool()) return NULL;
    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", name);
    if (lxd_storage_volume_create(default_pool(), t_fmt("{\"name\":\"%s\"}", name), true, &v) != LXD_OK) {
        printf("    volume create %s: %s\n", name, lxd_last_error_message());
        return NULL;
    }
    t_keep_obj(v);
    if (content && t_sh("echo %s > " MAIN_POOLS "/default/custom/default_%s/f.txt", content, name) != 0)
        return NULL;
    return v;
}

static const char *file_in(const char *pool_dir, const char *name) {
    return t_sh_out("cat %s/custom/default_%s/f.txt 2>/dev/null", pool_dir, name);
}

static const char *vol_query(const char *pool, const char *name, const char *filter) {
    return t_sh_out("lxc query /1.0/storage-pools/%s/volumes/custom/%s 2>/dev/null | jq -cr '%s'", pool,
                    name, filter);
}

/* ---- pools --------------------------------------------------------------- */

TEST(pool_create_update_delete) {
    char dir[] = "/tmp/lxdt-pool-XXXXXX";
    CHECK(mkdtemp(dir));
    t_cleanup("rm -rf '%s'", dir);
    const char *name = t_dup(t_unique("st-pool"));
    t_cleanup("lxc storage delete %s >/dev/null 2>&1", name);
    lxd_obj *p = NULL;
    CHECK_OK(lxd_storage_pool_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"driver\":\"dir\",\"description\":\"first\",\"config\":{\"source\":\"%s\"}}",
              name, dir),
        true, &p));
    t_keep_obj(p);
    CHECK_STREQ(t_sh_out("lxc storage show %s | awk '/^driver:/{print $2}'", name), "dir");
    CHECK_STREQ(t_sh_out("lxc query /1.0/storage-pools/%s | jq -r .config.source", name), dir);

    CHECK_OK(lxd_obj_set(p, "description", "\"second\""));
    const char *cfg = t_json_insert(t_get(p, "config"), "\"user.lxdt-st\":\"yes\"");
    CHECK(cfg);
    CHECK_OK(lxd_obj_set(p, "config", cfg));
    CHECK_OK(lxd_obj_save(p, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/storage-pools/%s | jq -r .description", name), "second");
    CHECK_STREQ(t_sh_out("lxc storage get %s user.lxdt-st", name), "yes");
    CHECK_STREQ(t_sh_out("lxc query /1.0/storage-pools/%s | jq -r .config.source", name), dir);

    CHECK_OK(lxd_obj_delete(p, true));
    CHECK(t_sh("lxc storage show %s >/dev/null 2>&1", name) != 0);
}

TEST(pool_resources) {
    CHECK(default_pool());
    char *j = NULL;
    CHECK_OK(lxd_storage_pool_resources(default_pool(), NULL, true, &j));
    t_keep_str(j);
    const char *total = t_dup(t_jq(j, ".space.total"));
    CHECK_MSG(total && atoll(total) > 0, "space.total: %s (document %.200s)", total ? total : "-", j);
    /* The same disk as lxc sees it. */
    CHECK_STREQ(total, t_sh_out("lxc query /1.0/storage-pools/default/resources | jq -r .space.total"));
}

/* ---- custom volumes -------------------------------------------------------- */

TEST(volume_create_get_update_rename_delete) {
    CHECK(default_pool());
    const char *name = t_dup(t_unique("st-vol"));
    const char *renamed = t_dup(t_unique("st-vol-r"));
    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", name);
    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", renamed);
    lxd_obj *v = NULL;
    CHECK_OK(lxd_storage_volume_create(
        default_pool(), t_fmt("{\"name\":\"%s\",\"config\":{\"size\":\"20MiB\"}}", name), true, &v));
    t_keep_obj(v);
    CHECK_STREQ(t_get(v, "type"), "\"custom\"");
    CHECK_STREQ(vol_query("default", name, ".config.size"), "20MiB");
    CHECK_STREQ(vol_query("default", name, ".type"), "custom");
    CHECK(t_sh("test -d " MAIN_POOLS "/default/custom/default_%s", name) == 0);

    lxd_obj *g = NULL;
    bool there = false;
    CHECK_OK(lxd_storage_volume_exists(default_pool(), t_fmt("custom/%s", name), &there));
    CHECK(there);
    CHECK_OK(lxd_storage_volume_get(default_pool(), t_fmt("custom/%s", name), &g));
    t_keep_obj(g);
    CHECK_STREQ(t_get(g, "name"), t_fmt("\"%s\"", name));
    CHECK_STREQ(t_jq(t_get(g, "config"), ".size"), "20MiB");
    CHECK_STATUS(lxd_storage_volume_get(default_pool(), t_fmt("custom/%s-none", name), &g),
                 LXD_ERR_NOT_FOUND);

    CHECK_OK(lxd_obj_set(v, "description", "\"a volume\""));
    CHECK_OK(lxd_obj_set(v, "config", t_json_insert(t_get(v, "config"), "\"user.lxdt-k\":\"v1\"")));
    CHECK_OK(lxd_obj_save(v, true));
    CHECK_STREQ(vol_query("default", name, ".description"), "a volume");
    CHECK_STREQ(t_sh_out("lxc storage volume get default %s user.lxdt-k", name), "v1");
    CHECK_STREQ(vol_query("default", name, ".config.size"), "20MiB");

    CHECK_OK(lxd_obj_rename(v, renamed, true));
    CHECK(t_sh("lxc query /1.0/storage-pools/default/volumes/custom/%s >/dev/null 2>&1", name) != 0);
    CHECK_STREQ(vol_query("default", renamed, ".description"), "a volume");
    CHECK_STREQ(t_get(v, "name"), t_fmt("\"%s\"", renamed));

    CHECK_OK(lxd_obj_delete(v, true));
    CHECK(t_sh("lxc query /1.0/storage-pools/default/volumes/custom/%s >/dev/null 2>&1", renamed) != 0);
    CHECK(t_sh("test -e " MAIN_POOLS "/default/custom/default_%s", renamed) != 0);
}

/* A block volume: the dir driver keeps it as a file of the given size. */
TEST(volume_block_content_type) {
    CHECK(default_pool());
    const char *name = t_dup(t_unique("st-blk"));
    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", name);
    lxd_obj *v = NULL;
    CHECK_OK(lxd_storage_volume_create(
        default_pool(),
        t_fmt("{\"name\":\"%s\",\"content_type\":\"block\",\"config\":{\"size\":\"8MiB\"}}", name),
        true, &v));
    t_keep_obj(v);
    CHECK_STREQ(t_get(v, "content_type"), "\"block\"");
    CHECK_STREQ(vol_query("default", name, ".content_type"), "block");
    CHECK_STREQ(t_sh_out("stat -c %%s " MAIN_POOLS "/default/custom/default_%s/root.img", name),
                "8388608");
    CHECK_OK(lxd_obj_delete(v, true));
    CHECK(t_sh("test -e " MAIN_POOLS "/default/custom/default_%s", name) != 0);
    CHECK_STREQ(vol_query("default", name, ".name"), "");
}

TEST(volume_state_on_dir_is_lxds_error) {
    lxd_obj *v = new_volume(t_dup(t_unique("st-state")), NULL);
    CHECK(v);
    char *j = NULL;
    lxd_status s = lxd_storage_volume_state(v, NULL, true, &j);
    if (s == LXD_OK) t_keep_str(j);
    /* LXD 5.0.2's dir driver cannot tell a volume's usage. */
    CHECK_MSG(s != LXD_OK && s != LXD_ERR_INTERNAL && s != LXD_ERR_INVALID_ARGUMENT,
              "state: %s (%s)", lxd_status_name(s), s == LXD_OK ? j : lxd_last_error_message());
    CHECK_MSG(t_icontains(lxd_last_error_message(), "not supported"), "message: %s",
              lxd_last_error_message());
    printf("    dir volume state: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
}

/* The list holds volumes of every type: the dir driver keeps no image
 * volumes (it unpacks an image into each container), so a container's
 * volume stands for the non-custom ones. */
TEST(volume_list_has_every_type) {
    CHECK(default_pool());
    const char *name = t_dup(t_unique("st-list"));
    CHECK(new_volume(name, NULL));
    const char *box = t_dup(t_unique("st-listbox"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", box);
    CHECK(t_sh("lxc init busybox %s >/dev/null 2>&1", box) == 0);
    lxd_list *l = NULL;
    CHECK_OK(lxd_storage_volume_all(default_pool(), &l));
    t_keep_list(l);
    lxd_obj *ctv = t_find_in(l, "name", box);
    CHECK_MSG(ctv, "the container's volume %s is not in the list", box);
    CHECK_STREQ(t_get(ctv, "type"), "\"container\"");
    lxd_obj *mine = t_find_in(l, "name", name);
    CHECK(mine);
    CHECK_STREQ(t_get(mine, "type"), "\"custom\"");
    /* The container's volume read through its key; it is LXD's, not a
     * custom volume: no custom/ key finds it. */
    lxd_obj *g = NULL;
    CHECK_OK(lxd_storage_volume_get(default_pool(), t_fmt("container/%s", box), &g));
    t_keep_obj(g);
    CHECK_STREQ(t_get(g, "type"), "\"container\"");
    CHECK_STATUS(lxd_storage_volume_get(default_pool(), t_fmt("custom/%s", box), &g), LXD_ERR_NOT_FOUND);
    /* Every volume lxc lists (others' concurrent work aside: both lists
     * hold ours). */
    const char *server = t_sh_out("lxc query /1.0/storage-pools/default/volumes | jq -r '.[]'");
    CHECK(t_contains(server, t_fmt("/volumes/container/%s", box)));
    CHECK(t_contains(server, t_fmt("/volumes/custom/%s", name)));
}

TEST(volume_attached_to_container) {
    const char *name = t_dup(t_unique("st-att"));
    CHECK(new_volume(name, "attached-data"));
    lxd_obj *ct = NULL;
    CHECK_OK(t_new_container(t_unique("st-attbox"), true, &ct));
    const char *ctname = t_dup(t_jq(t_get(ct, "name"), "."));
    const char *devs = t_json_insert(
        t_get(ct, "devices"),
        t_fmt("\"lxdtvol\":{\"type\":\"disk\",\"pool\":\"default\",\"source\":\"%s\",\"path\":\"/mnt/lxdt\"}",
              name));
    CHECK(devs);
    CHECK_OK(lxd_obj_set(ct, "devices", devs));
    CHECK_OK(lxd_obj_save(ct, true));
    CHECK_STREQ(t_sh_out("lxc config device get %s lxdtvol source", ctname), name);
    CHECK_STREQ(t_sh_out("lxc exec %s -- ls /mnt/lxdt", ctname), "f.txt");
    CHECK_STREQ(t_sh_out("lxc exec %s -- cat /mnt/lxdt/f.txt", ctname), "attached-data");
    CHECK(t_contains(t_sh_out("lxc exec %s -- cat /proc/mounts", ctname), "/mnt/lxdt"));
    /* LXD counts the container among the volume's users. */
    CHECK(t_contains(vol_query("default", name, ".used_by[]"), ctname));
}

/* ---- volume snapshots ---------------------------------------------------- */

TEST(volume_snapshots) {
    const char *name = t_dup(t_unique("st-snap"));
    lxd_obj *v = new_volume(name, "before");
    CHECK(v);
    const char *base = t_fmt("/1.0/storage-pools/default/volumes/custom/%s/snapshots", name);
    lxd_obj *s = NULL;
    CHECK_OK(lxd_storage_volume_snapshot_create(v, "{\"name\":\"s0\"}", true, &s));
    t_keep_obj(s);
    CHECK(t_sh("lxc query %s/s0 >/dev/null 2>&1", base) == 0);
    lxd_obj *s1 = NULL;
    CHECK_OK(lxd_storage_volume_snapshot_create(v, "{\"name\":\"other\"}", true, &s1));
    t_keep_obj(s1);

    lxd_list *l = NULL;
    CHECK_OK(lxd_storage_volume_snapshot_all(v, &l));
    t_keep_list(l);
    CHECK(lxd_list_len(l) == 2);
    /* LXD names a volume snapshot VOLUME/SNAPSHOT. */
    CHECK(t_find_in(l, "name", t_fmt("%s/s0", name)) && t_find_in(l, "name", t_fmt("%s/other", name)));

    lxd_obj *g = NULL;
    CHECK_OK(lxd_storage_volume_snapshot_get(v, "s0", &g));
    t_keep_obj(g);
    /* (LXD 5.0.2 itself names it "s0" here, "VOLUME/s0" in the list.) */
    CHECK_STREQ(t_get(g, "name"), "\"s0\"");

    /* Expiry through set + save. */
    CHECK_OK(lxd_obj_set(g, "expires_at", "\"2031-02-03T04:05:06Z\""));
    CHECK_OK(lxd_obj_save(g, true));
    CHECK(t_contains(t_sh_out("lxc query %s/s0 | jq -r .expires_at", base), "2031-02-03T04:05:06"));

    /* Rename. */
    CHECK_OK(lxd_obj_rename(g, "s-renamed", true));
    CHECK(t_sh("lxc query %s/s0 >/dev/null 2>&1", base) != 0);
    CHECK(t_contains(t_sh_out("lxc query %s/s-renamed | jq -r .expires_at", base), "2031-02-03"));

    /* Restore: the file as it was at the snapshot. */
    CHECK(t_sh("echo after > " MAIN_POOLS "/default/custom/default_%s/f.txt && "
               "echo extra > " MAIN_POOLS "/default/custom/default_%s/g.txt",
               name, name) == 0);
    char *r = NULL;
    CHECK_OK(lxd_storage_volume_snapshot_restore(g, NULL, true, &r));
    t_keep_str(r);
    CHECK_STREQ(file_in(MAIN_POOLS "/default", name), "before");
    CHECK(t_sh("test -e " MAIN_POOLS "/default/custom/default_%s/g.txt", name) != 0);

    /* Delete. */
    CHECK_OK(lxd_obj_delete(g, true));
    CHECK(t_sh("lxc query %s/s-renamed >/dev/null 2>&1", base) != 0);
    CHECK_STREQ(t_sh_out("lxc query %s | jq -r '.[]' | sed 's|.*/||'", base), "other");
    bool there = true;
    CHECK_OK(lxd_storage_volume_snapshot_exists(v, "s-renamed", &there));
    CHECK(!there);
}

/* ---- volume backups ------------------------------------------------------ */

TEST(volume_backup_export_import) {
    const char *name = t_dup(t_unique("st-bak"));
    const char *imported = t_dup(t_unique("st-bak-imp"));
    lxd_obj *v = new_volume(name, "backed-up");
    CHECK(v);
    lxd_obj *b = NULL;
    CHECK_OK(lxd_storage_volume_backup_create(v, "{\"name\":\"b0\"}", true, &b));
    t_keep_obj(b);
    CHECK(t_sh("lxc query /1.0/storage-pools/default/volumes/custom/%s/backups/b0 >/dev/null 2>&1", name) == 0);
    lxd_list *l = NULL;
    CHECK_OK(lxd_storage_volume_backup_all(v, &l));
    t_keep_list(l);
    CHECK(lxd_list_len(l) == 1);

    char dir[] = "/tmp/lxdt-vbak-XXXXXX";
    CHECK(mkdtemp(dir));
    t_cleanup("rm -rf '%s'", dir);
    const char *file = t_fmt("%s/b.tar.gz", dir);
    CHECK_OK(lxd_storage_volume_backup_export(b, NULL, file, NULL, NULL));
    CHECK(t_contains(t_sh_out("tar -tzf %s", file), "f.txt"));
    CHECK_STREQ(t_sh_out("tar -xzOf %s --wildcards '*f.txt'", file), "backed-up");

    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", imported);
    lxd_obj *iv = NULL;
    CHECK_OK(lxd_storage_volume_import(default_pool(), file, imported, true, NULL, NULL, &iv));
    t_keep_obj(iv);
    CHECK_STREQ(t_get(iv, "name"), t_fmt("\"%s\"", imported));
    CHECK_STREQ(file_in(MAIN_POOLS "/default", imported), "backed-up");
    CHECK_STREQ(vol_query("default", imported, ".type"), "custom");

    CHECK_OK(lxd_obj_delete(b, true));
    CHECK(t_sh("lxc query /1.0/storage-pools/default/volumes/custom/%s/backups/b0 >/dev/null 2>&1", name) != 0);
}

/* ---- copies and moves ---------------------------------------------------- */

TEST(volume_copy_to_another_pool_and_move_back) {
    CHECK(pool2());
    const char *name = t_dup(t_unique("st-cp"));
    const char *copy = t_dup(t_unique("st-cp-copy"));
    const char *moved = t_dup(t_unique("st-cp-moved"));
    lxd_obj *v = new_volume(name, "copied-data");
    CHECK(v);
    t_cleanup("lxc storage volume delete %s %s >/dev/null 2>&1", pool2_name, copy);
    t_cleanup("lxc storage volume delete default %s >/dev/null 2>&1", moved);
    lxd_obj *c = NULL;
    CHECK_OK(lxd_storage_volume_copy_to(v, pool2(), t_fmt("{\"name\":\"%s\"}", copy), true, &c));
    t_keep_obj(c);
    CHECK_STREQ(file_in(pool2_dir, copy), "copied-data");
    CHECK_STREQ(vol_query(pool2_name, copy, ".name"), copy);
    CHECK_STREQ(file_in(MAIN_POOLS "/default", name), "copied-data");

    /* Move the copy back into the default pool under a new name. */
    lxd_obj *m = NULL;
    CHECK_OK(lxd_storage_volume_move_to(c, default_pool(), t_fmt("{\"name\":\"%s\"}", moved), &m));
    t_keep_obj(m);
    CHECK(t_sh("lxc query /1.0/storage-pools/%s/volumes/custom/%s >/dev/null 2>&1", pool2_name, copy) != 0);
    CHECK_STREQ(file_in(MAIN_POOLS "/default", moved), "copied-data");
    CHECK_STREQ(t_get(m, "name"), t_fmt("\"%s\"", moved));
}

static void copy_to_second(const char *mode) {
    CHECK(remote_pool());
    const char *name = t_dup(t_unique("st-rc"));
    const char *copy = t_dup(t_unique(t_fmt("st-rc-%s", mode)));
    lxd_obj *v = new_volume(name, t_fmt("remote-%s", mode));
    CHECK(v);
    t_cleanup(SECOND "lxc storage volume delete default %s >/dev/null 2>&1", copy);
    lxd_obj *c = NULL;
    CHECK_OK(lxd_storage_volume_copy_to(v, remote_pool(),
                                        t_fmt("{\"name\":\"%s\",\"mode\":\"%s\"}", copy, mode), true, &c));
    t_keep_obj(c);
    CHECK_STREQ(file_in(SECOND_DIR "/storage-pools/default", copy), t_fmt("remote-%s", mode));
    CHECK_STREQ(t_sh_out(SECOND "lxc query /1.0/storage-pools/default/volumes/custom/%s | jq -r .type", copy),
                "custom");
    CHECK_STREQ(file_in(MAIN_POOLS "/default", name), t_fmt("remote-%s", mode));
}

TEST(volume_copy_to_second_server_pull) { copy_to_second("pull"); }
TEST(volume_copy_to_second_server_push) { copy_to_second("push"); }
TEST(volume_copy_to_second_server_relay) { copy_to_second("relay"); }

T_MAIN(T_CASE(pool_create_update_delete), T_CASE(pool_resources),
       T_CASE(volume_create_get_update_rename_delete), T_CASE(volume_block_content_type),
       T_CASE(volume_state_on_dir_is_lxds_error),
       T_CASE(volume_list_has_every_type), T_CASE(volume_attached_to_container),
       T_CASE(volume_snapshots), T_CASE(volume_backup_export_import),
       T_CASE(volume_copy_to_another_pool_and_move_back), T_CASE(volume_copy_to_second_server_pull),
       T_CASE(volume_copy_to_second_server_push), T_CASE(volume_copy_to_second_server_relay))
