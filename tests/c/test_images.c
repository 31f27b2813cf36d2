/* Images that move, against the real daemons: upload from files (unified
 * and split, with options and progress; twice is a conflict), export to
 * files (which import again on the second server with the same
 * fingerprint), aliases as a kind, the image lifecycle, publish of an
 * instance and of a snapshot, and copies to the second server (public,
 * private through a secret, waited or not).
 *
 * Every image is made by the test from the busybox tarball with a file of
 * its own (so a fingerprint of its own), and deleted afterwards from both
 * servers. `lxc` and `sha256sum` check the outcomes. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define SECOND_DIR "/var/lib/lxd-liblxd-second"
#define SECOND "LXD_DIR=" SECOND_DIR " "

static lxd_client *second_client;

static void teardown(void) { lxd_client_free(second_client); }

static lxd_client *second(void) {
    if (!second_client) {
        if (lxd_client_new(SECOND_DIR "/unix.socket", NULL, &second_client) != LXD_OK) {
            printf("    second server: %s\n", lxd_last_error_message());
            second_client = NULL;
        } else {
            atexit(teardown);
        }
    }
    return second_client;
}

/* A folder of this test's own, removed afterwards. */
static const char *tmpdir(void) {
    const char *d = t_sh_out("mktemp -d /tmp/lxdt-img-XXXXXX");
    if (!d) return NULL;
    d = t_dup(d);
    t_cleanup("rm -rf %s", d);
    return d;
}

/* Build a unique image in `dir` from the busybox tarball: unified
 * (dir/unified.tar.gz) and split (dir/meta.tar.gz + dir/rootfs.squashfs),
 * with /lxdt-id holding `id`. Returns false when the tools failed. */
static bool make_images(const char *dir, const char *id) {
    return t_sh("set -e; cd %s; tb=$(ls -t /var/cache/liblxd/busybox-rev*.tar.gz | head -n 1); "
                "mkdir x; tar -xzf \"$tb\" -C x; echo '%s' > x/rootfs/lxdt-id; "
                "tar --numeric-owner -C x -czf unified.tar.gz metadata.yaml rootfs; "
                "tar --numeric-owner -C x -czf meta.tar.gz metadata.yaml; "
                "mksquashfs x/rootfs rootfs.squashfs -quiet -noappend -all-root >/dev/null; rm -rf x",
                dir, id) == 0;
}

/* Delete image `fp` from both servers after the test. */
static void forget(const char *fp) {
    t_cleanup("lxc image delete %s >/dev/null 2>&1", fp);
    t_cleanup(SECOND "lxc image delete %s >/dev/null 2>&1", fp);
}

struct meter {
    uint64_t calls, done, total;
    uint64_t stop_at; /* 0: never */
};

static int count(uint64_t done, uint64_t total, void *p) {
    struct meter *m = p;
    m->calls++;
    m->done = done;
    m->total = total;
    return m->stop_at && done >= m->stop_at;
}

/* The fingerprint attribute of an image handle, without quotes. */
static const char *fp_of(lxd_obj *img) {
    const char *q = t_get(img, "fingerprint");
    return q ? t_jq(q, ".") : NULL;
}

TEST(upload_unified_with_options_then_launch) {
    const char *dir = tmpdir();
    const char *id = t_dup(t_unique("img-u"));
    CHECK(dir && make_images(dir, id));
    const char *file = t_fmt("%s/unified.tar.gz", dir);
    const char *want = t_dup(t_sh_out("sha256sum %s | cut -d' ' -f1", file));
    forget(want);
    const char *alias = t_dup(t_unique("alias-u"));
    struct meter m = {0};
    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_upload(
        t_client(), file, NULL,
        t_fmt("{\"public\":true,\"aliases\":[{\"name\":\"%s\",\"description\":\"from C\"}],"
              "\"properties\":{\"lxdt.id\":\"%s\"},\"filename\":\"lxdt.tar.gz\"}",
              alias, id),
        true, count, &m, &img));
    t_keep_obj(img);
    if (!img) return;
    CHECK_STREQ(fp_of(img), want);
    CHECK(m.calls >= 2 && m.done == m.total && m.total > 0);
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r '.public, .properties[\"lxdt.id\"], .filename, "
                         ".aliases[0].name, .aliases[0].description' | tr '\\n' ' '",
                         want),
                t_fmt("true %s lxdt.tar.gz %s from C ", id, alias));

    /* Twice: the server has it. */
    lxd_obj *again = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_image_upload(t_client(), file, NULL, NULL, true, NULL, NULL, &again), LXD_ERR_CONFLICT);
    CHECK(again == (lxd_obj *)0x1);

    /* It launches a working container. */
    const char *c = t_unique("img-launch");
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", c);
    lxd_obj *inst = NULL;
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],\"source\":{\"type\":\"image\",\"alias\":\"%s\"}}", c,
              alias),
        true, &inst));
    t_keep_obj(inst);
    if (inst) CHECK_OK(lxd_instance_start(inst, -1, false, true));
    CHECK_STREQ(t_sh_out("lxc exec %s -- cat /lxdt-id", c), id);
}

TEST(upload_split_export_and_import_on_the_second_server) {
    const char *dir = tmpdir();
    const char *id = t_dup(t_unique("img-s"));
    CHECK(dir && make_images(dir, id));
    const char *meta = t_fmt("%s/meta.tar.gz", dir), *root = t_fmt("%s/rootfs.squashfs", dir);
    const char *want = t_dup(t_sh_out("cat %s %s | sha256sum | cut -d' ' -f1", meta, root));
    forget(want);
    struct meter m = {0};
    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_upload(t_client(), meta, root, NULL, true, count, &m, &img));
    t_keep_obj(img);
    if (!img) return;
    CHECK_STREQ(fp_of(img), want);
    CHECK_STREQ(t_sh_out("echo $(( $(stat -c %%s %s) + $(stat -c %%s %s) ))", meta, root),
                t_fmt("%llu", (unsigned long long)m.total));

    /* Export: two files, metadata first; together they are the image. */
    const char *out = tmpdir();
    char *files = NULL;
    struct meter e = {0};
    CHECK_OK(lxd_image_export(img, out, count, &e, &files));
    t_keep_str(files);
    CHECK_STREQ(t_jq(files, "length"), "2");
    const char *f0 = t_dup(t_jq(files, ".[0]")), *f1 = t_dup(t_jq(files, ".[1]"));
    CHECK(t_contains(f0, "meta"));
    CHECK_STREQ(t_sh_out("cat %s %s | sha256sum | cut -d' ' -f1", f0, f1), want);
    CHECK(e.calls >= 2 && e.done > 0);

    /* The export imports on the second server: same fingerprint. */
    if (!second()) return;
    lxd_obj *there = NULL;
    CHECK_OK(lxd_image_upload(second(), f0, f1, NULL, true, NULL, NULL, &there));
    t_keep_obj(there);
    if (there) CHECK_STREQ(fp_of(there), want);

    /* A unified image exports as one file: the tarball itself. */
    const char *uni = t_fmt("%s/unified.tar.gz", dir);
    const char *ufp = t_dup(t_sh_out("sha256sum %s | cut -d' ' -f1", uni));
    forget(ufp);
    lxd_obj *u = NULL;
    CHECK_OK(lxd_image_upload(t_client(), uni, NULL, NULL, true, NULL, NULL, &u));
    t_keep_obj(u);
    char *ufiles = NULL;
    const char *out2 = tmpdir();
    CHECK_OK(lxd_image_export(u, out2, NULL, NULL, &ufiles));
    t_keep_str(ufiles);
    CHECK_STREQ(t_jq(ufiles, "length"), "1");
    CHECK_STREQ(t_sh_out("sha256sum %s | cut -d' ' -f1", t_jq(ufiles, ".[0]")), ufp);

    /* Stopped from the callback: cancelled, no file left. */
    const char *out3 = tmpdir();
    struct meter stop = {.stop_at = 1};
    char *none = (char *)0x1;
    CHECK_STATUS(lxd_image_export(u, out3, count, &stop, &none), LXD_ERR_CANCELLED);
    CHECK(none == (char *)0x1);
    CHECK_STREQ(t_sh_out("ls -A %s | wc -l", out3), "0");
    CHECK_STATUS(lxd_image_export(u, "/nonexistent/lxdt", NULL, NULL, &none), LXD_ERR_NOT_FOUND);
}

TEST(aliases_are_a_kind) {
    lxd_obj *base = NULL;
    CHECK_OK(lxd_image_get_by_alias(t_client(), "busybox", &base));
    t_keep_obj(base);
    if (!base) return;
    const char *fp = t_dup(fp_of(base));
    const char *name = t_dup(t_unique("alias"));
    const char *renamed = t_dup(t_unique("alias-ren"));
    t_cleanup("lxc image alias delete %s >/dev/null 2>&1", name);
    t_cleanup("lxc image alias delete %s >/dev/null 2>&1", renamed);
    lxd_obj *a = NULL;
    CHECK_OK(lxd_create(t_client(), LXD_KIND_IMAGE_ALIAS,
                        t_fmt("{\"name\":\"%s\",\"target\":\"%s\",\"description\":\"one\"}", name, fp), true, &a));
    t_keep_obj(a);
    if (!a) return;
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/aliases/%s | jq -r '.target, .description' | tr '\\n' ' '", name),
                t_fmt("%s one ", fp));
    bool there = false;
    CHECK_OK(lxd_exists(t_client(), LXD_KIND_IMAGE_ALIAS, name, &there));
    CHECK(there);
    lxd_list *all = NULL;
    CHECK_OK(lxd_all(t_client(), LXD_KIND_IMAGE_ALIAS, &all));
    t_keep_list(all);
    CHECK(t_find_in(all, "name", name) != NULL);

    /* Update through the lifecycle, then rename; by-alias follows. */
    CHECK_OK(lxd_obj_set(a, "description", "\"two\""));
    CHECK_OK(lxd_obj_save(a, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/aliases/%s | jq -r .description", name), "two");
    CHECK_OK(lxd_obj_rename(a, renamed, true));
    CHECK_STREQ(t_sh_out("lxc image alias list --format csv | grep -c '^%s,'", renamed), "1");
    lxd_obj *by = NULL;
    CHECK_OK(lxd_image_get_by_alias(t_client(), renamed, &by));
    t_keep_obj(by);
    if (by) CHECK_STREQ(fp_of(by), fp);
    CHECK_OK(lxd_obj_delete(a, true));
    CHECK_OK(lxd_exists(t_client(), LXD_KIND_IMAGE_ALIAS, renamed, &there));
    CHECK(!there);
    lxd_obj *gone = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_get(t_client(), LXD_KIND_IMAGE_ALIAS, renamed, &gone), LXD_ERR_NOT_FOUND);
}

TEST(image_update_through_the_lifecycle) {
    const char *dir = tmpdir();
    const char *id = t_dup(t_unique("img-l"));
    CHECK(dir && make_images(dir, id));
    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_upload(t_client(), t_fmt("%s/unified.tar.gz", dir), NULL, NULL, true, NULL, NULL, &img));
    t_keep_obj(img);
    if (!img) return;
    const char *fp = t_dup(fp_of(img));
    forget(fp);
    CHECK_OK(lxd_obj_set(img, "public", "true"));
    CHECK_OK(lxd_obj_set(img, "auto_update", "true"));
    CHECK_OK(lxd_obj_set(img, "properties", t_fmt("{\"lxdt.id\":\"%s\",\"os\":\"busybox\"}", id)));
    CHECK_OK(lxd_obj_set(img, "expires_at", "\"2031-01-02T03:04:05Z\""));
    /* The profiles a container made from it gets. */
    const char *prof = t_dup(t_unique("img-prof"));
    CHECK(t_sh("lxc profile create %s >/dev/null", prof) == 0);
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", prof);
    CHECK_OK(lxd_obj_set(img, "profiles", t_fmt("[\"default\",\"%s\"]", prof)));
    CHECK_OK(lxd_obj_save(img, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r '.public, .auto_update, .properties[\"lxdt.id\"], "
                         ".expires_at, (.profiles | join(\",\"))' | tr '\\n' ' '",
                         fp),
                t_fmt("true true %s 2031-01-02T03:04:05Z default,%s ", id, prof));
    /* Back to the default profile only, so that the test's profile can go. */
    CHECK_OK(lxd_obj_set(img, "profiles", "[\"default\"]"));
    CHECK_OK(lxd_obj_save(img, true));
}

TEST(publish_an_instance_and_a_snapshot) {
    const char *c = t_dup(t_unique("publish"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", c);
    lxd_obj *inst = NULL, *snap = NULL;
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", c),
        true, &inst));
    t_keep_obj(inst);
    if (!inst) return;
    const char *mark = t_fmt("published %s", c);
    CHECK_OK(lxd_instance_file_put(inst, "/lxdt-pub.txt", (const uint8_t *)mark, strlen(mark), NULL));
    CHECK_OK(lxd_instance_snapshot_create(inst, "{\"name\":\"s0\"}", true, &snap));
    t_keep_obj(snap);

    const char *alias = t_dup(t_unique("pub"));
    t_cleanup("lxc image alias delete %s >/dev/null 2>&1", alias);
    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_publish(
        inst,
        t_fmt("{\"aliases\":[\"%s\"],\"public\":true,\"properties\":{\"lxdt.from\":\"%s\"},"
              "\"compression_algorithm\":\"none\"}",
              alias, c),
        true, &img));
    t_keep_obj(img);
    if (img) {
        const char *fp = t_dup(fp_of(img));
        forget(fp);
        CHECK_STREQ(t_sh_out("lxc query /1.0/images/aliases/%s | jq -r .target", alias), fp);
        CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r '.public, .properties[\"lxdt.from\"]' | tr '\\n' "
                             "' '",
                             fp),
                    t_fmt("true %s ", c));
    }

    /* A snapshot, without waiting: the image learns its fingerprint. */
    if (!snap) return;
    lxd_obj *img2 = NULL, *op = NULL;
    CHECK_OK(lxd_image_publish(snap, NULL, false, &img2));
    t_keep_obj(img2);
    if (!img2) return;
    CHECK_OK(lxd_obj_operation(img2, &op));
    t_keep_obj(op);
    if (op) CHECK_OK(lxd_operation_wait(op, 120));
    const char *fp2 = fp_of(img2);
    CHECK(fp2 != NULL && strlen(fp2) == 64);
    if (fp2) {
        fp2 = t_dup(fp2);
        forget(fp2);
        CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r .fingerprint", fp2), fp2);
    }

    /* Not an instance nor a snapshot. */
    lxd_obj *bad = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_image_publish(img ? img : inst, "{\"nope\":1}", true, &bad), LXD_ERR_INVALID_ARGUMENT);
    CHECK(bad == (lxd_obj *)0x1);
}

TEST(copy_public_and_private_images_to_the_second_server) {
    if (!second()) {
        CHECK(second() != NULL);
        return;
    }
    const char *dir = tmpdir();
    const char *id = t_dup(t_unique("img-c"));
    CHECK(dir && make_images(dir, id));
    const char *alias = t_dup(t_unique("copied"));
    t_cleanup(SECOND "lxc image alias delete %s >/dev/null 2>&1", alias);
    lxd_obj *priv = NULL, *pub = NULL;
    /* Private, with an alias that travels. */
    CHECK_OK(lxd_image_upload(t_client(), t_fmt("%s/unified.tar.gz", dir), NULL,
                              t_fmt("{\"public\":false,\"aliases\":[\"%s\"]}", alias), true, NULL, NULL, &priv));
    t_keep_obj(priv);
    if (!priv) return;
    const char *fp = t_dup(fp_of(priv));
    forget(fp);
    lxd_obj *copy = NULL;
    CHECK_OK(lxd_image_copy_to(priv, second(), NULL, true, &copy));
    t_keep_obj(copy);
    CHECK_STREQ(t_sh_out(SECOND "lxc query /1.0/images/%s | jq -r '.public, .aliases[0].name' | tr '\\n' ' '", fp),
                t_fmt("false %s ", alias));
    /* Push and relay, each onto a clean target. */
    const char *modes[] = {"push", "relay"};
    for (int i = 0; i < 2; i++) {
        CHECK(t_sh(SECOND "lxc image delete %s", fp) == 0);
        lxd_obj *moved = NULL;
        CHECK_OK(lxd_image_copy_to(priv, second(), t_fmt("{\"mode\":\"%s\",\"copy_aliases\":false}", modes[i]),
                                   true, &moved));
        t_keep_obj(moved);
        if (moved) CHECK_STREQ(fp_of(moved), fp);
        CHECK_STREQ(t_sh_out(SECOND "lxc query /1.0/images/%s | jq -r .fingerprint", fp), fp);
    }

    /* Again, aliases and all: the target has it already; nothing moves,
     * the alias it has is fine, a new one is made, and no one-time secret
     * is left behind on the source. */
    const char *extra = t_dup(t_unique("copied-extra"));
    t_cleanup(SECOND "lxc image alias delete %s >/dev/null 2>&1", extra);
    const char *tokens = "lxc query '/1.0/operations?recursion=1' | jq '[.running[]? | select(.description == "
                         "\"Image download token\") | select(.resources.images[0] | endswith(\"%s\"))] | length'";
    lxd_obj *dup = NULL;
    CHECK_OK(lxd_image_copy_to(priv, second(), t_fmt("{\"aliases\":[\"%s\"]}", extra), false, &dup));
    t_keep_obj(dup);
    if (dup) CHECK_STREQ(fp_of(dup), fp);
    CHECK_STREQ(t_sh_out(SECOND "lxc query /1.0/images/aliases/%s | jq -r .target", extra), fp);
    CHECK_STREQ(t_sh_out(tokens, fp), "0");

    /* Public, split, without waiting: an operation to wait on. */
    const char *meta = t_fmt("%s/meta.tar.gz", dir), *root = t_fmt("%s/rootfs.squashfs", dir);
    CHECK_OK(lxd_image_upload(t_client(), meta, root, "{\"public\":true}", true, NULL, NULL, &pub));
    t_keep_obj(pub);
    if (!pub) return;
    const char *pfp = t_dup(fp_of(pub));
    forget(pfp);
    lxd_obj *later = NULL, *op = NULL;
    CHECK_OK(lxd_image_copy_to(pub, second(), "{\"copy_aliases\":false,\"public\":true}", false,
                               &later));
    t_keep_obj(later);
    if (later) {
        CHECK_OK(lxd_obj_operation(later, &op));
        t_keep_obj(op);
        if (op) CHECK_OK(lxd_operation_wait(op, 120));
        CHECK_STREQ(fp_of(later), pfp);
    }
    CHECK_STREQ(t_sh_out(SECOND "lxc query /1.0/images/%s | jq -r .public", pfp), "true");
}

/* From a simplestreams server: a FAKE one (tests/fake_simplestreams.py,
 * no internet here) over HTTPS with a self-signed certificate, which LXD
 * trusts through the source's "certificate". The LXD server downloads the
 * split image itself; a wrong certificate makes it refuse. */
TEST(pull_from_a_simplestreams_server) {
    const char *dir = tmpdir();
    const char *id = t_dup(t_unique("img-ss"));
    CHECK(dir && make_images(dir, id));
    if (!dir) return;
    CHECK(t_sh("set -e; cd %s; mkdir y; tar -xzf meta.tar.gz -C y; tar -C y -cJf meta.tar.xz metadata.yaml; "
               "for n in a b; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
               "-keyout $n.key -out $n.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
               "2>/dev/null; done",
               dir) == 0);
    const char *script = getenv("LIBLXD_FAKE_SIMPLESTREAMS");
    if (!script) script = "../../tests/fake_simplestreams.py";
    t_cleanup("pkill -f 'fake_simplestreams.py.*%s' >/dev/null 2>&1", dir);
    CHECK(t_sh("python3 %s --meta %s/meta.tar.xz --rootfs %s/rootfs.squashfs --alias lxdt/%s --cert %s/a.crt "
               "--key %s/a.key --portfile %s/port 2>%s/server.log &",
               script, dir, dir, id, dir, dir, dir, dir) == 0);
    const char *port = t_sh_out("for i in $(seq 100); do [ -s %s/port ] && break; sleep 0.1; done; cat %s/port",
                                dir, dir);
    CHECK(port && *port);
    if (!port || !*port) return;
    port = t_dup(port);
    const char *want = t_dup(t_sh_out("cat %s/meta.tar.xz %s/rootfs.squashfs | sha256sum | cut -d' ' -f1", dir, dir));
    forget(want);
    /* The certificates as JSON strings. */
    const char *good = t_dup(t_sh_out("jq -Rs . %s/a.crt", dir));
    const char *wrong = t_dup(t_sh_out("jq -Rs . %s/b.crt", dir));

    lxd_obj *img = (lxd_obj *)0x1;
    lxd_status s = lxd_image_pull(
        t_client(),
        t_fmt("{\"server\":\"https://127.0.0.1:%s\",\"alias\":\"lxdt/%s\",\"certificate\":%s}", port, id, wrong),
        NULL, true, &img);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED || s == LXD_ERR_API, "pull with the wrong certificate: %s",
              lxd_status_name(s));
    CHECK(img == (lxd_obj *)0x1);
    CHECK_STREQ(t_sh_out("lxc image list --format csv -c f | grep -c ^%.12s || true", want), "0");

    const char *alias = t_dup(t_unique("ss"));
    t_cleanup("lxc image alias delete %s >/dev/null 2>&1", alias);
    img = NULL;
    CHECK_OK(lxd_image_pull(
        t_client(),
        t_fmt("{\"server\":\"https://127.0.0.1:%s\",\"protocol\":\"simplestreams\",\"alias\":\"lxdt/%s\","
              "\"certificate\":%s}",
              port, id, good),
        t_fmt("{\"aliases\":[\"%s\"],\"auto_update\":true}", alias), true, &img));
    t_keep_obj(img);
    if (!img) return;
    CHECK_STREQ(fp_of(img), want);
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r '.update_source.protocol, .update_source.alias, "
                         ".auto_update' | tr '\\n' ' '",
                         want),
                t_fmt("simplestreams lxdt/%s true ", id));
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/aliases/%s | jq -r .target", alias), want);
    /* Refresh asks the server again (nothing newer: the image stays). */
    CHECK_OK(lxd_image_refresh(img, NULL, true, NULL));
    CHECK_STREQ(t_sh_out("lxc query /1.0/images/%s | jq -r .fingerprint", want), want);
    CHECK(t_sh("grep -q 'GET /streams/v1/index.json' %s/server.log", dir) == 0);

    /* Refused before any request. */
    lxd_obj *bad = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_image_pull(t_client(), "{\"server\":\"ftp://x\",\"alias\":\"a\"}", NULL, true, &bad),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_image_pull(t_client(), "{\"server\":\"https://x\"}", NULL, true, &bad),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_image_pull(t_client(), "{\"server\":\"https://x\",\"alias\":\"a\",\"protocol\":\"ftp\"}",
                                NULL, true, &bad),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(bad == (lxd_obj *)0x1);
}

T_MAIN(T_CASE(upload_unified_with_options_then_launch), T_CASE(upload_split_export_and_import_on_the_second_server),
       T_CASE(aliases_are_a_kind), T_CASE(image_update_through_the_lifecycle),
       T_CASE(publish_an_instance_and_a_snapshot), T_CASE(copy_public_and_private_images_to_the_second_server),
       T_CASE(pull_from_a_simplestreams_server))
