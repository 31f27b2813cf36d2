/* Instance files against the real daemon: put/get/delete/mkdir in memory,
 * streamed recursive push and pull of local trees, progress, cancelling,
 * the traversal checks of pull, and bad input.
 *
 * One running busybox container serves the whole run (made on first use,
 * deleted at exit); every test works under its own paths in it, and checks
 * what the container really holds with `lxc exec`, and what is on local
 * disk with the shell and stat. */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The running container of this run, made on first use; NULL if it could
 * not be made (every test using it then fails). */
static lxd_obj *box(void) {
    if (box_obj || box_tried) return box_obj;
    box_tried = true;
    t_client();
    snprintf(box_name, sizeof box_name, "%s", t_unique("files"));
    atexit(box_teardown);
    if (t_sh("lxc launch busybox %s >/dev/null 2>&1", box_name) != 0) {
        fprintf(stdout, "    lxc launch busybox %s failed\n", box_name);
        return NULL;
    }
    lxd_obj *o = NULL;
    if (lxd_container_get(t_client(), box_name, &o) != LXD_OK) {
        fprintf(stdout, "    lxd_container_get %s: %s\n", box_name, lxd_last_error_message());
        return NULL;
    }
    box_obj = o;
    return box_obj;
}

#define BOX()                                                              \
    lxd_obj *c = box();                                                    \
    CHECK_MSG(c, "no test container")

static char *vfmt(const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    return s;
}

/* Run `sh -c CMD` in the container (CMD must not contain single quotes);
 * its exit status. */
__attribute__((format(printf, 1, 2))) static int box_sh(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vfmt(fmt, ap);
    va_end(ap);
    int rc = t_sh("lxc exec %s -- sh -c '%s' >/dev/null 2>&1", box_name, cmd);
    free(cmd);
    return rc;
}

/* The stdout of `sh -c CMD` in the container (static buffer of t_sh_out);
 * NULL if it failed. */
__attribute__((format(printf, 1, 2))) static const char *box_out(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vfmt(fmt, ap);
    va_end(ap);
    const char *out = t_sh_out("lxc exec %s -- sh -c '%s' 2>/dev/null", box_name, cmd);
    free(cmd);
    return out;
}

/* A copy (freed after the test) of box_out. */
#define BOX_OUT(...) t_dup(box_out(__VA_ARGS__))

/* ---- local helpers -------------------------------------------------------- */

/* A fresh local folder /tmp/lxdt-files-XXXXXX, removed after the test. */
static const char *scratch(void) {
    char tmpl[] = "/tmp/lxdt-files-XXXXXX";
    if (!mkdtemp(tmpl)) return NULL;
    t_cleanup("rm -rf '%s'", tmpl);
    return t_dup(tmpl);
}

static bool write_local(const char *path, const void *data, size_t len, mode_t mode) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    return ok && chmod(path, mode) == 0;
}

/* The whole content of a local file (freed after the test); NULL if it
 * cannot be read. */
static char *read_local(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *b = realloc(buf, cap + 1);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return t_keep_mem(buf);
}

/* `len` random bytes (freed after the test). */
static uint8_t *random_bytes(size_t len) {
    uint8_t *buf = t_keep_mem(malloc(len ? len : 1));
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || !buf) {
        if (f) fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, len, f);
    fclose(f);
    return n == len ? buf : NULL;
}

static bool exists_local(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static int mode_local(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* ---- progress ------------------------------------------------------------- */

struct progress {
    int calls;
    uint64_t done, total, first_total;
    bool went_back;      /* done decreased between two calls */
    bool total_moved;    /* total differed from the first call's */
    bool over;           /* done > total at some call */
    bool stop_when_moving; /* return non-zero at the first call with done > 0 */
    bool stopped;
    int calls_after_stop;
};

static int on_progress(uint64_t done, uint64_t total, void *user_data) {
    struct progress *p = user_data;
    if (p->stopped) p->calls_after_stop++;
    if (p->calls == 0) p->first_total = total;
    else {
        if (done < p->done) p->went_back = true;
        if (total != p->first_total) p->total_moved = true;
    }
    if (done > total) p->over = true;
    p->calls++;
    p->done = done;
    p->total = total;
    if (p->stop_when_moving && done > 0) {
        p->stopped = true;
        return 1;
    }
    return 0;
}

/* ---- 1. put/get ------------------------------------------------------------ */

TEST(put_get_round_trip_of_10_mib_random_bytes) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    const size_t n = 10u << 20;
    uint8_t *bytes = random_bytes(n);
    CHECK(bytes);
    CHECK_OK(lxd_instance_file_put(c, "/root/rt10", bytes, n, NULL));
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_file_get(c, "/root/rt10", &data, &len));
    bool same_len = len == n;
    bool same = same_len && memcmp(data, bytes, n) == 0;
    bool nul = data && data[len] == 0;
    lxd_bytes_free(data);
    CHECK_MSG(same_len, "got %zu bytes back, put %zu", len, n);
    CHECK_MSG(same, "the bytes read back differ from those written");
    CHECK_MSG(nul, "no NUL after the bytes");

    char *local = t_fmt("%s/rt10", dir);
    CHECK(write_local(local, bytes, n, 0644));
    char *want = t_dup(t_sh_out("md5sum '%s' | cut -d' ' -f1", local));
    CHECK(want && strlen(want) == 32);
    CHECK_STREQ(box_out("md5sum /root/rt10 | cut -d\" \" -f1"), want);
    CHECK_STREQ(box_out("stat -c %%s /root/rt10"), "10485760");
}

TEST(put_replaces_and_get_returns_empty_file_as_empty_nul_terminated_buffer) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/repl", (const uint8_t *)"a longer first content", 22, NULL));
    CHECK_OK(lxd_instance_file_put(c, "/root/repl", (const uint8_t *)"short", 5, NULL));
    CHECK_STREQ(box_out("cat /root/repl"), "short");
    CHECK_OK(lxd_instance_file_put(c, "/root/empty", (const uint8_t *)"", 0, NULL));
    CHECK_STREQ(box_out("stat -c %%s /root/empty"), "0");
    uint8_t *data = NULL;
    size_t len = 99;
    CHECK_OK(lxd_instance_file_get(c, "/root/empty", &data, &len));
    bool ok = data && len == 0 && data[0] == 0;
    lxd_bytes_free(data);
    CHECK_MSG(ok, "empty file: len %zu", len);
}

/* ---- 2. mode/uid/gid ------------------------------------------------------ */

TEST(put_sets_mode_uid_gid_seen_by_stat) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/owned", (const uint8_t *)"x", 1,
                                   "{\"mode\":\"0640\",\"uid\":1000,\"gid\":1001}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/owned"), "640 1000 1001");
    CHECK_OK(lxd_instance_file_put(c, "/root/mode384", (const uint8_t *)"y", 1, "{\"mode\":384}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/mode384"), "600 0 0");
    CHECK_OK(lxd_instance_file_put(c, "/root/mode755", (const uint8_t *)"z", 1, "{\"mode\":\"755\"}"));
    CHECK_STREQ(box_out("stat -c %%a /root/mode755"), "755");
}

/* ---- 3. append ------------------------------------------------------------ */

TEST(put_append_adds_to_the_end) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/app", (const uint8_t *)"abc", 3, NULL));
    CHECK_OK(lxd_instance_file_put(c, "/root/app", (const uint8_t *)"def", 3, "{\"append\":true}"));
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_file_get(c, "/root/app", &data, &len));
    bool ok = len == 6 && memcmp(data, "abcdef", 6) == 0;
    lxd_bytes_free(data);
    CHECK_MSG(ok, "after append: %zu bytes", len);
    CHECK_STREQ(box_out("cat /root/app"), "abcdef");
    /* append:false replaces */
    CHECK_OK(lxd_instance_file_put(c, "/root/app", (const uint8_t *)"g", 1, "{\"append\":false}"));
    CHECK_STREQ(box_out("cat /root/app"), "g");
}

/* ---- 4. delete ------------------------------------------------------------ */

TEST(delete_removes_file_and_missing_is_not_found) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/del", (const uint8_t *)"bye", 3, NULL));
    CHECK(box_sh("test -e /root/del") == 0);
    CHECK_OK(lxd_instance_file_delete(c, "/root/del"));
    CHECK_MSG(box_sh("test -e /root/del") != 0, "/root/del still exists in the container");
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_STATUS(lxd_instance_file_get(c, "/root/del", &data, &len), LXD_ERR_NOT_FOUND);
    CHECK(data == NULL);
    CHECK_STATUS(lxd_instance_file_delete(c, "/root/del"), LXD_ERR_NOT_FOUND);
    CHECK_STATUS(lxd_instance_file_delete(c, "/root/never-was/x"), LXD_ERR_NOT_FOUND);
}

TEST(delete_removes_empty_folder) {
    BOX();
    CHECK(box_sh("mkdir -p /root/deld") == 0);
    CHECK_OK(lxd_instance_file_delete(c, "/root/deld"));
    CHECK_MSG(box_sh("test -e /root/deld") != 0, "/root/deld still exists");
}

/* ---- 5. mkdir ------------------------------------------------------------- */

TEST(mkdir_mode_parents_existing_and_missing_parent) {
    BOX();
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d1", "{\"mode\":\"0700\"}"));
    CHECK_STREQ(box_out("stat -c \"%%F %%a\" /root/d1"), "directory 700");
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d2", "{\"mode\":\"0751\",\"uid\":1000,\"gid\":1002}"));
    CHECK_STREQ(box_out("stat -c \"%%F %%a %%u %%g\" /root/d2"), "directory 751 1000 1002");

    CHECK_OK(lxd_instance_file_mkdir(c, "/root/p/q/r", "{\"parents\":true}"));
    CHECK_STREQ(box_out("for d in /root/p /root/p/q /root/p/q/r; do stat -c %%F $d; done | tr \"\\n\" ,"),
                "directory,directory,directory,");
    /* parents over an existing prefix, and again on the very same path */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/p/q/r/s", "{\"parents\":true}"));
    CHECK(box_sh("test -d /root/p/q/r/s") == 0);
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/p/q/r", "{\"parents\":true}"));

    /* an existing folder is not an error, and what is in it stays */
    CHECK(box_sh("echo keep > /root/d1/f") == 0);
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d1", NULL));
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d1", "{\"mode\":\"0700\"}"));
    CHECK_STREQ(box_out("cat /root/d1/f"), "keep");
    CHECK(box_sh("test -d /root/d1") == 0);

    /* an existing file or a symlink to one is a conflict, left as it was */
    CHECK_OK(lxd_instance_file_put(c, "/root/plain", (const uint8_t *)"p", 1, NULL));
    CHECK_STATUS(lxd_instance_file_mkdir(c, "/root/plain", "{\"mode\":\"0700\"}"), LXD_ERR_CONFLICT);
    CHECK_STATUS(lxd_instance_file_mkdir(c, "/root/plain", "{\"parents\":true}"), LXD_ERR_CONFLICT);
    CHECK_STREQ(box_out("stat -c \"%%F %%a\" /root/plain"), "regular file 644");
    CHECK(box_sh("ln -sf /root/plain /root/plainlink") == 0);
    CHECK_STATUS(lxd_instance_file_mkdir(c, "/root/plainlink", NULL), LXD_ERR_CONFLICT);
    CHECK(box_sh("test -L /root/plainlink") == 0);
    /* a symlink to a folder counts as that folder */
    CHECK(box_sh("ln -sfn /root/d1 /root/d1link") == 0);
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d1link", NULL));
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/d1link/inner", "{\"parents\":true}"));
    CHECK(box_sh("test -d /root/d1/inner && test -L /root/d1link") == 0);

    /* without parents, a missing parent is an error (LXD answers 404) */
    lxd_status s = lxd_instance_file_mkdir(c, "/root/nope/x", NULL);
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "mkdir with a missing parent: %s: %s", lxd_status_name(s),
              lxd_last_error_message());
    CHECK_MSG(box_sh("test -e /root/nope") != 0, "/root/nope was created");
}

/* LXD's files API creates a folder with the mode, uid and gid asked for,
 * but ignores them on a folder that exists; liblxd applies them there
 * through LXD's SFTP endpoint. */
TEST(mkdir_applies_mode_uid_gid_to_an_existing_folder) {
    BOX();
    CHECK(box_sh("mkdir -p /root/ex && chmod 755 /root/ex && echo keep > /root/ex/f") == 0);
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "755 0 0");
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"mode\":\"0700\",\"uid\":1000,\"gid\":1001}"));
    CHECK_STREQ(box_out("stat -c \"%%F %%a %%u %%g\" /root/ex"), "directory 700 1000 1001");
    CHECK_STREQ(box_out("cat /root/ex/f"), "keep");

    /* only mode: owner and group stay */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"mode\":488}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "750 1000 1001");
    /* only uid, then only gid: the other id and the mode stay */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"uid\":1002}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "750 1002 1001");
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"gid\":0}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "750 1002 0");
    /* no options, or only parents: nothing changes */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", NULL));
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"parents\":true}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "750 1002 0");
    /* with parents, the options apply to the last folder only */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/ex", "{\"parents\":true,\"mode\":\"0711\",\"uid\":0}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex /root | tr \"\\n\" ,"), "711 0 0,700 0 0,");

    /* a fresh folder still gets them at creation */
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/exfresh", "{\"mode\":\"0700\",\"uid\":1000,\"gid\":1001}"));
    CHECK_STREQ(box_out("stat -c \"%%F %%a %%u %%g\" /root/exfresh"), "directory 700 1000 1001");

    /* a symlink to a folder: the folder it leads to gets them, the
     * symlink stays a symlink (absolute and relative targets) */
    CHECK(box_sh("ln -sfn /root/ex /root/exlink && ln -sfn ex /root/exrel") == 0);
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/exlink", "{\"mode\":\"0701\",\"uid\":1003}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "701 1003 0");
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/exrel", "{\"gid\":1004}"));
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/ex"), "701 1003 1004");
    CHECK(box_sh("test -L /root/exlink && test -L /root/exrel") == 0);
    CHECK_STREQ(box_out("stat -c \"%%u %%g\" /root/exlink"), "0 0");
}

/* LXD 5.0.2 keeps only the permission bits 0777 of a mode: setuid, setgid
 * and sticky are dropped, by the files API on a new file or folder as by
 * its SFTP server on an existing folder. What is left must be exactly the
 * permission bits asked for (a mode of four octal digits is sent with a
 * leading 0, or LXD would read it as decimal). */
TEST(modes_with_special_bits_keep_their_permission_bits) {
    BOX();
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/sgid", "{\"mode\":\"02775\"}"));
    CHECK_STREQ(box_out("stat -c %%a /root/sgid"), "775");
    CHECK_OK(lxd_instance_file_mkdir(c, "/root/sgid", "{\"mode\":\"01757\"}"));
    CHECK_STREQ(box_out("stat -c %%a /root/sgid"), "757");
    CHECK_OK(lxd_instance_file_put(c, "/root/suid", (const uint8_t *)"x", 1, "{\"mode\":\"04755\"}"));
    CHECK_STREQ(box_out("stat -c %%a /root/suid"), "755");
    /* a pushed local file keeps its mode the same way */
    const char *dir = scratch();
    CHECK(dir);
    char *local = t_fmt("%s/suid", dir);
    CHECK(write_local(local, "x", 1, 04751));
    CHECK_OK(lxd_instance_file_push(c, local, "/root/suidpushed", NULL, NULL, NULL));
    CHECK_STREQ(box_out("stat -c %%a /root/suidpushed"), "751");
}

/* An id the container cannot map: the server's own refusal comes back
 * (LXD_ERR_API with its message), and the folder is left as it was. */
TEST(mkdir_of_an_existing_folder_with_an_unmappable_uid_is_refused) {
    BOX();
    CHECK(box_sh("mkdir -p /root/exbad && chmod 755 /root/exbad") == 0);
    lxd_status s = lxd_instance_file_mkdir(c, "/root/exbad", "{\"uid\":4000000000}");
    CHECK_MSG(s == LXD_ERR_API, "mkdir with uid 4000000000: %s: %s", lxd_status_name(s),
              lxd_last_error_message());
    CHECK_MSG(t_contains(lxd_last_error_message(), "invalid argument"), "message: %s",
              lxd_last_error_message());
    CHECK_STREQ(box_out("stat -c \"%%a %%u %%g\" /root/exbad"), "755 0 0");
}

/* LXD 5.0.2 serves SFTP for a stopped container too (on its root file
 * system, ids mapped as when it runs). */
TEST(mkdir_applies_mode_uid_gid_on_a_stopped_container) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("filesstopped"));
    lxd_obj *s = NULL;
    CHECK_OK(t_new_container(name, false, &s));
    CHECK_OK(lxd_instance_file_mkdir(s, "/root/sd", NULL));
    CHECK_OK(lxd_instance_file_mkdir(s, "/root/sd", "{\"mode\":\"0700\",\"uid\":1000,\"gid\":1001}"));
    CHECK_OK(lxd_instance_file_mkdir(s, "/root/sd", "{\"gid\":1002}"));
    CHECK(t_sh("lxc start %s >/dev/null 2>&1", name) == 0);
    CHECK_STREQ(t_sh_out("lxc exec %s -- stat -c '%%a %%u %%g' /root/sd", name), "700 1000 1002");
}

TEST(mkdir_parents_through_a_file_is_refused) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/afile", (const uint8_t *)"f", 1, NULL));
    lxd_status s = lxd_instance_file_mkdir(c, "/root/afile/sub/x", "{\"parents\":true}");
    CHECK_MSG(s != LXD_OK, "mkdir -p through a file succeeded");
    CHECK_STREQ(box_out("stat -c %%F /root/afile"), "regular file");
}

/* ---- 6. get: folder, missing, symlink ------------------------------------- */

TEST(get_folder_missing_and_symlink) {
    BOX();
    uint8_t sentinel_byte = 0;
    uint8_t *data = &sentinel_byte;
    size_t len = 4242;
    CHECK_STATUS(lxd_instance_file_get(c, "/root", &data, &len), LXD_ERR_INVALID_ARGUMENT);
    CHECK(data == &sentinel_byte && len == 4242);
    CHECK_STATUS(lxd_instance_file_get(c, "/root/no-such-file", &data, &len), LXD_ERR_NOT_FOUND);
    CHECK_MSG(data == &sentinel_byte && len == 4242, "out-params written on failure");
    CHECK(lxd_last_error_http_status() == 404);

    CHECK(box_sh("mkdir -p /root/g6/sub && printf target-content > /root/g6/t && "
                 "ln -s /root/g6/t /root/g6/abs && ln -s ../t /root/g6/sub/rel && "
                 "ln -s sub/rel /root/g6/chain && ln -s /root/g6/missing /root/g6/dangling && "
                 "ln -s sub /root/g6/dirlink") == 0);
    const char *links[] = {"/root/g6/abs", "/root/g6/sub/rel", "/root/g6/chain"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        data = NULL;
        len = 0;
        CHECK_OK(lxd_instance_file_get(c, links[i], &data, &len));
        bool ok = len == 14 && memcmp(data, "target-content", 14) == 0;
        lxd_bytes_free(data);
        CHECK_MSG(ok, "%s: %zu bytes, not the target's content", links[i], len);
    }
    data = &sentinel_byte;
    CHECK_STATUS(lxd_instance_file_get(c, "/root/g6/dangling", &data, &len), LXD_ERR_NOT_FOUND);
    CHECK_STATUS(lxd_instance_file_get(c, "/root/g6/dirlink", &data, &len), LXD_ERR_INVALID_ARGUMENT);
    CHECK(data == &sentinel_byte);
}

/* ---- 7. recursive push ---------------------------------------------------- */

TEST(recursive_push_of_a_tree_with_symlinks_modes_and_progress) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *src = t_fmt("%s/src", dir);
    CHECK(t_sh("mkdir -p '%s/a/b/c' '%s/a/hollow' && chmod 0750 '%s/a/b'", src, src, src) == 0);
    const size_t mid_len = 300 * 1024;
    uint8_t *mid = random_bytes(mid_len);
    CHECK(mid);
    CHECK(write_local(t_fmt("%s/top.txt", src), "top\n", 4, 0644));
    CHECK(write_local(t_fmt("%s/empty", src), "", 0, 0644));
    CHECK(write_local(t_fmt("%s/a/mid.bin", src), mid, mid_len, 0600));
    CHECK(write_local(t_fmt("%s/a/b/c/deep.txt", src), "deep down", 9, 0644));
    CHECK(write_local(t_fmt("%s/a/b/c/run.sh", src), "#!/bin/sh\necho hi\n", 18, 0755));
    CHECK(symlink("a/b/c/deep.txt", t_fmt("%s/link", src)) == 0);
    CHECK(symlink("../../top.txt", t_fmt("%s/a/b/up", src)) == 0);
    const uint64_t total = 4 + 0 + mid_len + 9 + 18;

    CHECK(box_sh("test -e /root/pushed") != 0);
    struct progress p = {0};
    CHECK_OK(lxd_instance_file_push(c, src, "/root/pushed", NULL, on_progress, &p));

    CHECK_STREQ(BOX_OUT("find /root/pushed | sort | tr \"\\n\" \" \""),
                "/root/pushed /root/pushed/a /root/pushed/a/b /root/pushed/a/b/c "
                "/root/pushed/a/b/c/deep.txt /root/pushed/a/b/c/run.sh /root/pushed/a/b/up "
                "/root/pushed/a/hollow /root/pushed/a/mid.bin /root/pushed/empty /root/pushed/link /root/pushed/top.txt ");
    const char *files = "top.txt empty a/mid.bin a/b/c/deep.txt a/b/c/run.sh";
    char *want = t_dup(t_sh_out("cd '%s' && md5sum %s", src, files));
    CHECK(want);
    CHECK_STREQ(BOX_OUT("cd /root/pushed && md5sum %s", files), want);
    CHECK_STREQ(BOX_OUT("test -L /root/pushed/link && readlink /root/pushed/link"), "a/b/c/deep.txt");
    CHECK_STREQ(BOX_OUT("test -L /root/pushed/a/b/up && readlink /root/pushed/a/b/up"), "../../top.txt");
    CHECK_STREQ(BOX_OUT("cat /root/pushed/link"), "deep down");
    CHECK_STREQ(BOX_OUT("cd /root/pushed && stat -c \"%%n %%a\" top.txt empty a/mid.bin a/b/c/run.sh a/b a/b/c/deep.txt | tr \"\\n\" ,"),
                "top.txt 644,empty 644,a/mid.bin 600,a/b/c/run.sh 755,a/b 750,a/b/c/deep.txt 644,");
    CHECK_STREQ(BOX_OUT("/root/pushed/a/b/c/run.sh"), "hi");

    CHECK_MSG(p.calls > 0, "the progress callback was never called");
    CHECK_MSG(p.done == total && p.total == total, "final progress %llu/%llu, expected %llu/%llu",
              (unsigned long long)p.done, (unsigned long long)p.total,
              (unsigned long long)total, (unsigned long long)total);
    CHECK_MSG(!p.went_back, "done decreased");
    CHECK_MSG(!p.total_moved, "total changed during a push");
    CHECK_MSG(!p.over, "done exceeded total");

    /* a symlink to the folder, named as local_path, is followed */
    char *via = t_fmt("%s/via", dir);
    CHECK(symlink(src, via) == 0);
    CHECK_OK(lxd_instance_file_push(c, via, "/root/pushed2", NULL, NULL, NULL));
    CHECK_STREQ(BOX_OUT("stat -c %%F /root/pushed2 && cd /root/pushed2 && find . | sort | md5sum"),
                t_dup(box_out("stat -c %%F /root/pushed && cd /root/pushed && find . | sort | md5sum")));
    CHECK_STREQ(BOX_OUT("cd /root/pushed2 && md5sum %s", files), want);
}

TEST(push_of_a_single_file_with_options_and_followed_symlink) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *f = t_fmt("%s/one", dir), *l = t_fmt("%s/one-link", dir);
    CHECK(write_local(f, "single file", 11, 0644));
    CHECK(symlink(f, l) == 0);
    /* options apply to the pushed entry */
    CHECK_OK(lxd_instance_file_push(c, f, "/root/one", "{\"mode\":\"0604\",\"uid\":1000,\"gid\":1003}", NULL, NULL));
    CHECK_STREQ(box_out("stat -c \"%%F %%a %%u %%g\" /root/one"), "regular file 604 1000 1003");
    CHECK_STREQ(box_out("cat /root/one"), "single file");
    /* a symlink named by local_path is followed: a file arrives */
    struct progress p = {0};
    CHECK_OK(lxd_instance_file_push(c, l, "/root/one-via-link", NULL, on_progress, &p));
    CHECK_STREQ(box_out("stat -c %%F /root/one-via-link"), "regular file");
    CHECK_STREQ(box_out("cat /root/one-via-link"), "single file");
    CHECK(p.done == 11 && p.total == 11);
}

/* ---- 8. recursive pull ---------------------------------------------------- */

TEST(recursive_pull_of_a_tree_with_symlinks_modes_and_progress) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    CHECK(box_sh("mkdir -p /root/pt/sub/deeper/deepest /root/pt/void && printf alpha > /root/pt/a && "
                 "printf secret > /root/pt/sub/s && chmod 600 /root/pt/sub/s && "
                 "printf \"#!/bin/sh\\n\" > /root/pt/sub/deeper/x.sh && chmod 755 /root/pt/sub/deeper/x.sh && "
                 ": > /root/pt/sub/deeper/deepest/empty && "
                 "dd if=/dev/urandom of=/root/pt/sub/deeper/blob bs=1024 count=200 && "
                 "ln -s ../a /root/pt/sub/link && ln -s /root/pt/sub/s /root/pt/abs && "
                 "ln -s deeper /root/pt/sub/dl") == 0);
    uint64_t total = 5 + 6 + 10 + 0 + 200 * 1024;
    CHECK_STREQ(box_out("cat /root/pt/a /root/pt/sub/s /root/pt/sub/deeper/x.sh /root/pt/sub/deeper/deepest/empty "
                        "/root/pt/sub/deeper/blob | wc -c"),
                "204821");
    char *dst = t_fmt("%s/dst", dir);
    struct progress p = {0};
    CHECK_OK(lxd_instance_file_pull(c, "/root/pt", dst, on_progress, &p));

    CHECK_STREQ(t_sh_out("cd '%s' && find . | LC_ALL=C sort | tr '\\n' ' '", dst),
                ". ./a ./abs ./sub ./sub/deeper ./sub/deeper/blob ./sub/deeper/deepest "
                "./sub/deeper/deepest/empty ./sub/deeper/x.sh ./sub/dl ./sub/link ./sub/s ./void ");
    size_t n = 0;
    CHECK_STREQ(read_local(t_fmt("%s/a", dst), &n), "alpha");
    CHECK_STREQ(read_local(t_fmt("%s/sub/s", dst), &n), "secret");
    CHECK_STREQ(read_local(t_fmt("%s/sub/deeper/x.sh", dst), &n), "#!/bin/sh\n");
    CHECK(read_local(t_fmt("%s/sub/deeper/deepest/empty", dst), &n) && n == 0);
    char *want = t_dup(box_out("md5sum /root/pt/sub/deeper/blob | cut -d\" \" -f1"));
    CHECK(want);
    CHECK_STREQ(t_sh_out("md5sum '%s/sub/deeper/blob' | cut -d' ' -f1", dst), want);

    CHECK_MSG(mode_local(t_fmt("%s/sub/s", dst)) == 0600, "sub/s mode %o", mode_local(t_fmt("%s/sub/s", dst)));
    CHECK_MSG(mode_local(t_fmt("%s/sub/deeper/x.sh", dst)) == 0755, "x.sh mode %o",
              mode_local(t_fmt("%s/sub/deeper/x.sh", dst)));
    const char *amode = box_out("stat -c %%a /root/pt/a");
    CHECK(amode);
    CHECK_MSG(mode_local(t_fmt("%s/a", dst)) == (int)strtol(amode, NULL, 8),
              "a: local mode %o differs from the container's %s", mode_local(t_fmt("%s/a", dst)), amode);

    /* symlinks are recreated, pointing inside the local tree */
    struct stat st;
    char target[256];
    ssize_t tl;
    CHECK(lstat(t_fmt("%s/sub/link", dst), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK((tl = readlink(t_fmt("%s/sub/link", dst), target, sizeof target - 1)) > 0);
    target[tl] = 0;
    CHECK_STREQ(target, "../a");
    CHECK_STREQ(read_local(t_fmt("%s/sub/link", dst), &n), "alpha");
    CHECK(lstat(t_fmt("%s/abs", dst), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK((tl = readlink(t_fmt("%s/abs", dst), target, sizeof target - 1)) > 0);
    target[tl] = 0;
    CHECK_MSG(target[0] != '/', "an absolute link inside the tree became %s locally", target);
    CHECK_STREQ(read_local(t_fmt("%s/abs", dst), &n), "secret");
    CHECK(lstat(t_fmt("%s/sub/dl", dst), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat(t_fmt("%s/sub/dl", dst), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_STREQ(read_local(t_fmt("%s/sub/dl/x.sh", dst), &n), "#!/bin/sh\n");

    CHECK_MSG(p.calls > 0, "the progress callback was never called");
    CHECK_MSG(p.done == total && p.total == total, "final progress %llu/%llu, expected %llu",
              (unsigned long long)p.done, (unsigned long long)p.total, (unsigned long long)total);
    CHECK_MSG(!p.went_back, "done decreased");
    CHECK_MSG(!p.over, "done exceeded total");
}

TEST(pull_merges_into_an_existing_folder_and_single_file) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    CHECK(box_sh("mkdir -p /root/pm && printf new > /root/pm/f && printf one > /root/pm1") == 0);
    char *dst = t_fmt("%s/dst", dir);
    CHECK(mkdir(dst, 0755) == 0);
    CHECK(write_local(t_fmt("%s/mine", dst), "mine", 4, 0644));
    CHECK(write_local(t_fmt("%s/f", dst), "old content, longer", 19, 0644));
    CHECK_OK(lxd_instance_file_pull(c, "/root/pm", dst, NULL, NULL));
    size_t n;
    CHECK_STREQ(read_local(t_fmt("%s/mine", dst), &n), "mine");
    CHECK_STREQ(read_local(t_fmt("%s/f", dst), &n), "new");
    /* a single file lands at local_path itself */
    struct progress p = {0};
    CHECK_OK(lxd_instance_file_pull(c, "/root/pm1", t_fmt("%s/single", dir), on_progress, &p));
    CHECK_STREQ(read_local(t_fmt("%s/single", dir), &n), "one");
    CHECK(p.done == 3 && p.total == 3);
}

TEST(pull_drops_setuid_setgid_sticky_unless_asked) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    CHECK(box_sh("mkdir -p /root/sb && printf s > /root/sb/suid && chmod 4755 /root/sb/suid && "
                 "printf g > /root/sb/sgid && chmod 2750 /root/sb/sgid && "
                 "printf t > /root/sb/sticky && chmod 1777 /root/sb/sticky") == 0);
    struct stat st;
    /* A single file, and the same files inside a pulled folder. */
    char *one = t_fmt("%s/one", dir);
    CHECK_OK(lxd_instance_file_pull(c, "/root/sb/suid", one, NULL, NULL));
    CHECK(stat(one, &st) == 0);
    CHECK_MSG((st.st_mode & 07777) == 0755, "pulled a 4755 file as %o", st.st_mode & 07777);
    char *tree = t_fmt("%s/tree", dir);
    CHECK_OK(lxd_instance_file_pull_ext(c, "/root/sb", tree, NULL, NULL, NULL));
    const char *names[] = {"suid", "sgid", "sticky"};
    const unsigned plain[] = {0755, 0750, 0777}, special[] = {04755, 02750, 01777};
    for (int i = 0; i < 3; i++) {
        CHECK(stat(t_fmt("%s/%s", tree, names[i]), &st) == 0);
        CHECK_MSG((st.st_mode & 07777) == plain[i], "%s pulled as %o", names[i],
                  st.st_mode & 07777);
    }
    /* Asked to keep them: each keeps its special bit. */
    char *kept = t_fmt("%s/kept", dir);
    CHECK_OK(lxd_instance_file_pull_ext(c, "/root/sb", kept, "{\"keep_special_bits\":true}",
                                        NULL, NULL));
    for (int i = 0; i < 3; i++) {
        CHECK(stat(t_fmt("%s/%s", kept, names[i]), &st) == 0);
        CHECK_MSG((st.st_mode & 07777) == special[i], "%s kept as %o, expected %o", names[i],
                  st.st_mode & 07777, special[i]);
    }
    CHECK_STATUS(lxd_instance_file_pull_ext(c, "/root/sb", kept, "{\"keep\":true}", NULL, NULL),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_file_pull_ext(c, "/root/sb", kept, "{nope", NULL, NULL),
                 LXD_ERR_INVALID_ARGUMENT);
}

/* ---- 9. traversal refusal ------------------------------------------------- */

TEST(pull_refuses_symlink_to_absolute_outside_and_writes_nothing) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    /* "a.txt" sorts before "evil": a pull that wrote as it walked would
     * have written it already */
    CHECK(box_sh("mkdir -p /root/h1 && printf fine > /root/h1/a.txt && ln -s /etc /root/h1/evil") == 0);
    char *dst = t_fmt("%s/dst", dir);
    struct progress p = {0};
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/h1", dst, on_progress, &p), LXD_ERR_UNSAFE_PATH);
    const char *msg = lxd_last_error_message();
    CHECK_MSG(t_contains(msg, "/root/h1/evil"), "message does not name the symlink: %s", msg);
    CHECK_MSG(!exists_local(dst), "%s was created", dst);
    CHECK_STREQ(t_sh_out("ls -A '%s'", dir), "");
    CHECK(p.done == 0);

    /* into an existing folder: nothing is written in it either */
    CHECK(mkdir(dst, 0755) == 0);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/h1", dst, NULL, NULL), LXD_ERR_UNSAFE_PATH);
    CHECK_STREQ(t_sh_out("ls -A '%s'", dst), "");
}

TEST(pull_refuses_relative_escape_and_writes_nothing) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *escape = t_fmt("/tmp/%s", t_unique("escape"));
    t_cleanup("rm -rf '%s'", escape);
    CHECK(!exists_local(escape));
    CHECK(box_sh("mkdir -p /root/h2/sub/deeper && printf fine > /root/h2/a.txt && "
                 "printf inner > /root/h2/sub/b.txt && "
                 "ln -s ../../../../..%s /root/h2/sub/deeper/escape", escape) == 0);
    char *dst = t_fmt("%s/one/two/dst", dir);
    CHECK(t_sh("mkdir -p '%s/one/two'", dir) == 0);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/h2", dst, NULL, NULL), LXD_ERR_UNSAFE_PATH);
    const char *msg = lxd_last_error_message();
    CHECK_MSG(t_contains(msg, "escape"), "message does not name the symlink: %s", msg);
    CHECK_MSG(!exists_local(dst), "%s was created", dst);
    CHECK_MSG(!exists_local(escape), "%s was created outside the destination", escape);
    CHECK_STREQ(t_sh_out("cd '%s' && find . | LC_ALL=C sort | tr '\\n' ' '", dir), ". ./one ./one/two ");

    /* the same tree entered through its subfolder: the link points above it */
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/h2/sub", dst, NULL, NULL), LXD_ERR_UNSAFE_PATH);
    CHECK(!exists_local(dst));
    /* a link to the pulled folder's parent is refused too */
    CHECK(box_sh("mkdir -p /root/h3 && printf x > /root/h3/f && ln -s .. /root/h3/up") == 0);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/h3", dst, NULL, NULL), LXD_ERR_UNSAFE_PATH);
    CHECK(t_contains(lxd_last_error_message(), "/root/h3/up"));
    CHECK(!exists_local(dst));
}

TEST(pull_follows_a_symlink_named_by_remote_path) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    CHECK(box_sh("mkdir -p /root/h4/tree/sub && printf outside > /root/h4/outside.txt && "
                 "ln -s /root/h4/outside.txt /root/h4/flink && "
                 "printf in > /root/h4/tree/sub/f && ln -s sub/f /root/h4/tree/l && "
                 "ln -s tree /root/h4/dlink") == 0);
    char *got = t_fmt("%s/got", dir);
    CHECK_OK(lxd_instance_file_pull(c, "/root/h4/flink", got, NULL, NULL));
    struct stat st;
    CHECK(lstat(got, &st) == 0 && S_ISREG(st.st_mode));
    size_t n;
    CHECK_STREQ(read_local(got, &n), "outside");
    /* a symlink to a folder: the folder is pulled, checked from where it is */
    char *tree = t_fmt("%s/tree", dir);
    CHECK_OK(lxd_instance_file_pull(c, "/root/h4/dlink", tree, NULL, NULL));
    CHECK(lstat(tree, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_STREQ(read_local(t_fmt("%s/sub/f", tree), &n), "in");
    CHECK_STREQ(read_local(t_fmt("%s/l", tree), &n), "in");
}

/* ---- 10. 32 MiB streaming ------------------------------------------------- */

TEST(streamed_push_pull_round_trip_of_32_mib) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *out = t_fmt("%s/big", dir), *back = t_fmt("%s/back", dir);
    CHECK(t_sh("dd if=/dev/urandom of='%s' bs=1M count=32 status=none", out) == 0);
    struct progress pp = {0}, pl = {0};
    CHECK_OK(lxd_instance_file_push(c, out, "/root/big32", NULL, on_progress, &pp));
    CHECK_STREQ(box_out("stat -c %%s /root/big32"), "33554432");
    CHECK_OK(lxd_instance_file_pull(c, "/root/big32", back, on_progress, &pl));
    CHECK_MSG(t_sh("cmp -s '%s' '%s'", out, back) == 0, "pulled file differs from the pushed one");
    char *want = t_dup(t_sh_out("md5sum '%s' | cut -d' ' -f1", out));
    CHECK(want);
    CHECK_STREQ(box_out("md5sum /root/big32 | cut -d\" \" -f1"), want);
    CHECK(pp.done == 33554432 && pp.total == 33554432 && !pp.went_back && !pp.total_moved);
    CHECK(pl.done == 33554432 && pl.total == 33554432 && !pl.went_back && !pl.over);
    CHECK_MSG(pp.calls > 2 && pl.calls > 2, "progress called %d/%d times for 32 MiB", pp.calls, pl.calls);
    box_sh("rm -f /root/big32");
}

/* ---- 11. cancellation ----------------------------------------------------- */

TEST(progress_callback_cancels_push_and_pull) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *f = t_fmt("%s/eight", dir);
    CHECK(t_sh("dd if=/dev/urandom of='%s' bs=1M count=8 status=none", f) == 0);
    struct progress p = {.stop_when_moving = true};
    CHECK_STATUS(lxd_instance_file_push(c, f, "/root/cancelled", NULL, on_progress, &p), LXD_ERR_CANCELLED);
    CHECK(p.stopped);
    CHECK_MSG(p.calls_after_stop == 0, "called %d times after asking to stop", p.calls_after_stop);
    CHECK_MSG(p.done < 8u << 20, "stopped only at the end");
    const char *size = box_out("stat -c %%s /root/cancelled 2>/dev/null || echo none");
    CHECK_MSG(size && !t_streq(size, "8388608"), "the whole file arrived although cancelled (%s)",
              size ? size : "?");

    /* the client still works afterwards, on the same transport */
    CHECK_OK(lxd_instance_file_push(c, f, "/root/eight", NULL, NULL, NULL));
    CHECK_STREQ(box_out("stat -c %%s /root/eight"), "8388608");

    struct progress q = {.stop_when_moving = true};
    char *back = t_fmt("%s/back", dir);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/eight", back, on_progress, &q), LXD_ERR_CANCELLED);
    CHECK(q.stopped && q.calls_after_stop == 0);
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_file_put(c, "/root/after-cancel", (const uint8_t *)"ok", 2, NULL));
    CHECK_OK(lxd_instance_file_get(c, "/root/after-cancel", &data, &len));
    bool ok = len == 2 && memcmp(data, "ok", 2) == 0;
    lxd_bytes_free(data);
    CHECK(ok);
    box_sh("rm -f /root/eight /root/cancelled");
}

/* ---- 12. bad input -------------------------------------------------------- */

TEST(bad_input_is_invalid_argument_never_a_crash) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *lf = t_fmt("%s/f", dir);
    CHECK(write_local(lf, "x", 1, 0644));
    const uint8_t *d = (const uint8_t *)"hello";
    uint8_t *data = NULL;
    size_t len = 0;
    const lxd_status INV = LXD_ERR_INVALID_ARGUMENT;

    /* NULL instance */
    CHECK_STATUS(lxd_instance_file_put(NULL, "/root/b", d, 5, NULL), INV);
    CHECK_STATUS(lxd_instance_file_get(NULL, "/root/b", &data, &len), INV);
    CHECK_STATUS(lxd_instance_file_delete(NULL, "/root/b"), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(NULL, "/root/b", NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(NULL, lf, "/root/b", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(NULL, "/root/b", t_fmt("%s/p", dir), NULL, NULL), INV);
    /* NULL paths */
    CHECK_STATUS(lxd_instance_file_put(c, NULL, d, 5, NULL), INV);
    CHECK_STATUS(lxd_instance_file_get(c, NULL, &data, &len), INV);
    CHECK_STATUS(lxd_instance_file_delete(c, NULL), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(c, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, NULL, "/root/b", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, lf, NULL, NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(c, NULL, t_fmt("%s/p", dir), NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/b", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, "", "/root/b", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(c, "/root", "", NULL, NULL), INV);
    /* relative remote paths */
    CHECK_STATUS(lxd_instance_file_put(c, "etc/x", d, 5, NULL), INV);
    CHECK_STATUS(lxd_instance_file_get(c, "etc/x", &data, &len), INV);
    CHECK_STATUS(lxd_instance_file_delete(c, "etc/x"), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(c, "etc/x", NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, lf, "etc/x", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(c, "etc/x", t_fmt("%s/p", dir), NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "", d, 5, NULL), INV);
    /* data NULL with a length */
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", NULL, 5, NULL), INV);
    /* options: not JSON, not an object, unknown keys, bad values */
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{mode:"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "[1]"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{\"parents\":true}"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{\"mode\":\"9\"}"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{\"mode\":65536}"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{\"uid\":-1}"), INV);
    CHECK_STATUS(lxd_instance_file_put(c, "/root/b", d, 5, "{\"append\":\"yes\"}"), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(c, "/root/b", "{\"append\":true}"), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(c, "/root/b", "not json"), INV);
    CHECK_STATUS(lxd_instance_file_push(c, lf, "/root/b", "{\"append\":true}", NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, lf, "/root/b", "{\"parents\":true}", NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(c, lf, "/root/b", "nope", NULL, NULL), INV);
    CHECK_MSG(box_sh("test -e /root/b") != 0, "a refused call created /root/b");
    /* NULL out-params */
    CHECK_OK(lxd_instance_file_put(c, "/root/b", d, 5, NULL));
    CHECK_STATUS(lxd_instance_file_get(c, "/root/b", NULL, &len), INV);
    CHECK_STATUS(lxd_instance_file_get(c, "/root/b", &data, NULL), INV);
    CHECK(data == NULL);
    /* a local path that does not exist */
    CHECK_STATUS(lxd_instance_file_push(c, t_fmt("%s/missing", dir), "/root/b2", NULL, NULL, NULL),
                 LXD_ERR_NOT_FOUND);
    CHECK(box_sh("test -e /root/b2") != 0);
    /* a pull of a missing remote path */
    CHECK_STATUS(lxd_instance_file_pull(c, "/root/missing", t_fmt("%s/p", dir), NULL, NULL), LXD_ERR_NOT_FOUND);
    CHECK(!exists_local(t_fmt("%s/p", dir)));
    /* an object that is not an instance */
    lxd_obj *prof = NULL;
    CHECK_OK(lxd_profile_get(t_client(), "default", &prof));
    t_keep_obj(prof);
    CHECK_STATUS(lxd_instance_file_put(prof, "/root/b", d, 5, NULL), INV);
    CHECK_STATUS(lxd_instance_file_get(prof, "/root/b", &data, &len), INV);
    CHECK_STATUS(lxd_instance_file_delete(prof, "/root/b"), INV);
    CHECK_STATUS(lxd_instance_file_mkdir(prof, "/root/b", NULL), INV);
    CHECK_STATUS(lxd_instance_file_push(prof, lf, "/root/b", NULL, NULL, NULL), INV);
    CHECK_STATUS(lxd_instance_file_pull(prof, "/root/b", t_fmt("%s/p", dir), NULL, NULL), INV);
    CHECK(data == NULL);
    lxd_bytes_free(NULL);
    /* all of that left the file as it was */
    CHECK_STREQ(box_out("cat /root/b"), "hello");
}

/* ---- more edges ----------------------------------------------------------- */

TEST(paths_with_spaces_and_url_special_characters) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    /* each of these would change the meaning of a query string if sent raw */
    const char *remote = "/root/sp ace&x=1?q#frag%41+plus \xc3\xbc";
    CHECK_OK(lxd_instance_file_put(c, remote, (const uint8_t *)"odd", 3, NULL));
    CHECK_STREQ(box_out("cat \"/root/sp ace&x=1?q#frag%%41+plus \xc3\xbc\""), "odd");
    CHECK_STREQ(box_out("ls /root | grep -c \"^sp ace\""), "1");
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_file_get(c, remote, &data, &len));
    bool ok = len == 3 && memcmp(data, "odd", 3) == 0;
    lxd_bytes_free(data);
    CHECK(ok);
    /* a tree whose names need encoding, pushed and pulled back */
    char *src = t_fmt("%s/s r&c", dir);
    CHECK(t_sh("mkdir -p '%s/d #1' && printf pct > '%s/d #1/100%%' && printf q > '%s/a?b=c'", src, src, src) == 0);
    CHECK_OK(lxd_instance_file_push(c, src, "/root/odd tree", NULL, NULL, NULL));
    CHECK_STREQ(box_out("cat \"/root/odd tree/d #1/100%%\" \"/root/odd tree/a?b=c\""), "pctq");
    char *back = t_fmt("%s/back", dir);
    CHECK_OK(lxd_instance_file_pull(c, "/root/odd tree", back, NULL, NULL));
    CHECK_STREQ(t_sh_out("cat '%s/d #1/100%%' '%s/a?b=c'", back, back), "pctq");
    CHECK_OK(lxd_instance_file_delete(c, remote));
    CHECK(box_sh("test -e \"/root/sp ace&x=1?q#frag%%41+plus \xc3\xbc\"") != 0);
}

TEST(delete_of_non_empty_folder_fails_and_keeps_it) {
    BOX();
    CHECK(box_sh("mkdir -p /root/full && echo x > /root/full/f") == 0);
    lxd_status s = lxd_instance_file_delete(c, "/root/full");
    CHECK_MSG(s != LXD_OK, "deleting a non-empty folder succeeded");
    CHECK_STREQ(box_out("cat /root/full/f"), "x");
}

TEST(get_under_a_file_is_an_error) {
    BOX();
    CHECK_OK(lxd_instance_file_put(c, "/root/plain", (const uint8_t *)"p", 1, NULL));
    uint8_t *data = NULL;
    size_t len = 0;
    lxd_status s = lxd_instance_file_get(c, "/root/plain/child", &data, &len);
    /* LXD 5.0.2 answers this one (ENOTDIR) with HTTP 500; for the caller
     * there is no such path. */
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "get under a file: %s: %s", lxd_status_name(s),
              lxd_last_error_message());
    CHECK(data == NULL);
}

TEST(push_of_a_local_fifo_is_refused_without_writing) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    char *src = t_fmt("%s/withfifo", dir);
    CHECK(t_sh("mkdir -p '%s' && printf a > '%s/a' && mkfifo '%s/pipe'", src, src, src) == 0);
    lxd_status s = lxd_instance_file_push(c, src, "/root/withfifo", NULL, NULL, NULL);
    CHECK_MSG(s == LXD_ERR_INVALID_ARGUMENT, "push of a tree with a FIFO: %s: %s", lxd_status_name(s),
              lxd_last_error_message());
    CHECK(t_contains(lxd_last_error_message(), "pipe"));
    CHECK_MSG(box_sh("test -e /root/withfifo") != 0, "part of the tree was pushed");
}

TEST(pull_into_a_missing_local_parent_fails) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    CHECK(box_sh("mkdir -p /root/pp && echo x > /root/pp/f") == 0);
    char *dst = t_fmt("%s/no/such/parent", dir);
    lxd_status s = lxd_instance_file_pull(c, "/root/pp", dst, NULL, NULL);
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "pull under a missing local folder: %s: %s", lxd_status_name(s),
              lxd_last_error_message());
    CHECK_STREQ(t_sh_out("ls -A '%s'", dir), "");
    s = lxd_instance_file_pull(c, "/root/pp/f", dst, NULL, NULL);
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "single-file pull under a missing local folder: %s", lxd_status_name(s));
    CHECK_STREQ(t_sh_out("ls -A '%s'", dir), "");
}

TEST(instance_kind_object_works_and_a_deleted_instance_is_not_found) {
    BOX();
    lxd_obj *inst = NULL;
    CHECK_OK(lxd_instance_get(t_client(), box_name, &inst));
    t_keep_obj(inst);
    CHECK_OK(lxd_instance_file_put(inst, "/root/via-instance", (const uint8_t *)"iv", 2, NULL));
    CHECK_STREQ(box_out("cat /root/via-instance"), "iv");

    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("filesgone"));
    lxd_obj *gone = NULL;
    CHECK_OK(t_new_container(name, false, &gone));
    CHECK(t_sh("lxc delete -f %s", name) == 0);
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_STATUS(lxd_instance_file_put(gone, "/root/x", (const uint8_t *)"x", 1, NULL), LXD_ERR_NOT_FOUND);
    CHECK_STATUS(lxd_instance_file_get(gone, "/root/x", &data, &len), LXD_ERR_NOT_FOUND);
    CHECK(data == NULL);
}

struct worker {
    lxd_obj *c;
    int id;
    const char *dir;
    uint8_t *bytes;
    size_t n;
    lxd_status put, get, push, pull;
    bool get_same, pull_same;
};

/* Put/get and push/pull of its own file on the shared object; only liblxd
 * and local file calls (the harness is not thread-safe). */
static void *files_worker(void *arg) {
    struct worker *w = arg;
    char remote[64], local[256], back[256];
    snprintf(remote, sizeof remote, "/root/thr-%d", w->id);
    w->put = lxd_instance_file_put(w->c, remote, w->bytes, w->n, NULL);
    uint8_t *data = NULL;
    size_t len = 0;
    w->get = lxd_instance_file_get(w->c, remote, &data, &len);
    w->get_same = w->get == LXD_OK && len == w->n && memcmp(data, w->bytes, len) == 0;
    lxd_bytes_free(data);
    snprintf(local, sizeof local, "%s/out-%d", w->dir, w->id);
    snprintf(back, sizeof back, "%s/back-%d", w->dir, w->id);
    snprintf(remote, sizeof remote, "/root/thr-pushed-%d", w->id);
    FILE *f = fopen(local, "wb");
    if (f) {
        fwrite(w->bytes, 1, w->n, f);
        fclose(f);
    }
    w->push = lxd_instance_file_push(w->c, local, remote, NULL, NULL, NULL);
    w->pull = lxd_instance_file_pull(w->c, remote, back, NULL, NULL);
    f = fopen(back, "rb");
    if (f) {
        uint8_t *buf = malloc(w->n + 1);
        size_t got = buf ? fread(buf, 1, w->n + 1, f) : 0;
        w->pull_same = buf && got == w->n && memcmp(buf, w->bytes, w->n) == 0;
        free(buf);
        fclose(f);
    }
    return NULL;
}

TEST(transfers_from_several_threads_on_one_object) {
    BOX();
    const char *dir = scratch();
    CHECK(dir);
    enum { N = 4 };
    struct worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){.c = c, .id = i, .dir = dir, .n = (size_t)(512 + 256 * i) * 1024};
        w[i].bytes = random_bytes(w[i].n);
        CHECK(w[i].bytes);
    }
    int started = 0;
    for (; started < N; started++)
        if (pthread_create(&th[started], NULL, files_worker, &w[started]) != 0) break;
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    CHECK(started == N);
    for (int i = 0; i < N; i++) {
        CHECK_MSG(w[i].put == LXD_OK && w[i].get == LXD_OK && w[i].push == LXD_OK && w[i].pull == LXD_OK,
                  "thread %d: put %s get %s push %s pull %s", i, lxd_status_name(w[i].put),
                  lxd_status_name(w[i].get), lxd_status_name(w[i].push), lxd_status_name(w[i].pull));
        CHECK_MSG(w[i].get_same, "thread %d: get gave other bytes", i);
        CHECK_MSG(w[i].pull_same, "thread %d: pull gave other bytes", i);
        CHECK_STREQ(box_out("stat -c %%s /root/thr-%d /root/thr-pushed-%d | tr \"\\n\" ,", i, i),
                    t_fmt("%zu,%zu,", w[i].n, w[i].n));
    }
    box_sh("rm -f /root/thr-*");
}

T_MAIN(T_CASE(put_get_round_trip_of_10_mib_random_bytes),
       T_CASE(pull_drops_setuid_setgid_sticky_unless_asked),
       T_CASE(put_replaces_and_get_returns_empty_file_as_empty_nul_terminated_buffer),
       T_CASE(put_sets_mode_uid_gid_seen_by_stat),
       T_CASE(put_append_adds_to_the_end),
       T_CASE(delete_removes_file_and_missing_is_not_found),
       T_CASE(delete_removes_empty_folder),
       T_CASE(mkdir_mode_parents_existing_and_missing_parent),
       T_CASE(mkdir_applies_mode_uid_gid_to_an_existing_folder),
       T_CASE(modes_with_special_bits_keep_their_permission_bits),
       T_CASE(mkdir_of_an_existing_folder_with_an_unmappable_uid_is_refused),
       T_CASE(mkdir_applies_mode_uid_gid_on_a_stopped_container),
       T_CASE(mkdir_parents_through_a_file_is_refused),
       T_CASE(get_folder_missing_and_symlink),
       T_CASE(recursive_push_of_a_tree_with_symlinks_modes_and_progress),
       T_CASE(push_of_a_single_file_with_options_and_followed_symlink),
       T_CASE(recursive_pull_of_a_tree_with_symlinks_modes_and_progress),
       T_CASE(pull_merges_into_an_existing_folder_and_single_file),
       T_CASE(pull_refuses_symlink_to_absolute_outside_and_writes_nothing),
       T_CASE(pull_refuses_relative_escape_and_writes_nothing),
       T_CASE(pull_follows_a_symlink_named_by_remote_path),
       T_CASE(streamed_push_pull_round_trip_of_32_mib),
       T_CASE(progress_callback_cancels_push_and_pull),
       T_CASE(bad_input_is_invalid_argument_never_a_crash),
       T_CASE(paths_with_spaces_and_url_special_characters),
       T_CASE(delete_of_non_empty_folder_fails_and_keeps_it),
       T_CASE(get_under_a_file_is_an_error),
       T_CASE(push_of_a_local_fifo_is_refused_without_writing),
       T_CASE(pull_into_a_missing_local_parent_fails),
       T_CASE(instance_kind_object_works_and_a_deleted_instance_is_not_found),
       T_CASE(transfers_from_several_threads_on_one_object))
