#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CLEANUPS 64

static char *cleanups[MAX_CLEANUPS];
static int n_cleanups;
static bool current_failed;
static lxd_client *shared_client;

void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    current_failed = true;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

bool t_failed(void) { return current_failed; }

const char *t_unique(const char *prefix) {
    static char ring[8][96];
    static int slot, counter;
    char *buf = ring[slot++ % 8];
    snprintf(buf, sizeof ring[0], "lxdt-%s-%d-%d", prefix, (int)getpid(), ++counter);
    return buf;
}

static char *vformat(const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    return s;
}

void t_cleanup(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vformat(fmt, ap);
    va_end(ap);
    if (n_cleanups == MAX_CLEANUPS) abort();
    cleanups[n_cleanups++] = cmd;
}

static int run_shell(const char *cmd) {
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

int t_sh(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vformat(fmt, ap);
    va_end(ap);
    int rc = run_shell(cmd);
    free(cmd);
    return rc;
}

/* Whether `cmd` is `lxc exec NAME -- PROG …` (or `… -- sh -c 'PROG …'`)
 * with PROG a command that only reads (safe to run again). */
static bool lxc_exec_reads(const char *cmd) {
    static const char *const readers[] = {"cat",  "stat", "md5sum", "sha256sum", "readlink",
                                          "ls",   "ps",   "id",     "pwd",       "wc",
                                          "head", "tail", "find",   "du",        "env"};
    const char *e = strstr(cmd, "lxc exec ");
    const char *dash = e ? strstr(e, " -- ") : NULL;
    if (!dash) return false;
    const char *prog = dash + 4;
    if (strncmp(prog, "sh -c '", 7) == 0 || strncmp(prog, "sh -c \"", 7) == 0) prog += 7;
    size_t len = strcspn(prog, " '\"");
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (strlen(readers[i]) == len && strncmp(prog, readers[i], len) == 0) return true;
    return false;
}

const char *t_sh_out(const char *fmt, ...) {
    static char out[65536];
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vformat(fmt, ap);
    va_end(ap);
    /* LXD 5.0.2 now and then loses the whole output of an `lxc exec` on a
     * loaded machine (canonical/lxd#11422, fixed in LXD 5.14): a read-only
     * `lxc exec` check that succeeded without output is asked again. */
    bool exec_check = lxc_exec_reads(cmd);
    size_t n = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        FILE *p = popen(cmd, "r");
        int rc = -1;
        if (p) {
            n = fread(out, 1, sizeof out - 1, p);
            out[n] = 0;
            rc = pclose(p);
        }
        /* A hung `lxc exec`, cut by scripts/test.sh's bound (timeout's
         * 124, or 137 after its kill): a read-only check is asked again. */
        bool hung = rc != -1 && WIFEXITED(rc) && (WEXITSTATUS(rc) == 124 || WEXITSTATUS(rc) == 137);
        if (exec_check && hung && attempt < 2) continue;
        if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
            free(cmd);
            return NULL;
        }
        if (n > 0 || !exec_check) break;
    }
    free(cmd);
    while (n > 0 && out[n - 1] == '\n') out[--n] = 0;
    return out;
}

/* ---- HTTPS mode: LIBLXD_TEST_TRANSPORT=https ------------------------------ */

static struct {
    char dir[64];
    char fingerprint[80];
} https_setup;

static void https_teardown(void) {
    if (https_setup.fingerprint[0])
        t_sh("lxc config trust remove %s >/dev/null 2>&1", https_setup.fingerprint);
    if (https_setup.dir[0]) t_sh("rm -rf '%s'", https_setup.dir);
}

/* Another client with the certificate https_client made. */
static lxd_status https_client_again(lxd_client **out) {
    char opts[512];
    snprintf(opts, sizeof opts,
             "{\"cert\":\"%s/cert.pem\",\"key\":\"%s/key.pem\","
             "\"server_cert\":\"/var/lib/lxd/server.crt\"}",
             https_setup.dir, https_setup.dir);
    return lxd_client_new("https://127.0.0.1:8443", opts, out);
}

/* A client certificate made for this process and trusted by LXD (removed
 * again at exit); the client pins LXD's own server certificate. */
static lxd_status https_client(lxd_client **out) {
    strcpy(https_setup.dir, "/tmp/lxdt-tls-XXXXXX");
    if (!mkdtemp(https_setup.dir)) {
        https_setup.dir[0] = 0;
        fprintf(stderr, "mkdtemp failed\n");
        exit(2);
    }
    atexit(https_teardown);
    char cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/cert.pem", https_setup.dir);
    snprintf(key, sizeof key, "%s/key.pem", https_setup.dir);
    if (t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes "
             "-days 2 -subj /CN=liblxd-test -keyout '%s' -out '%s' >/dev/null 2>&1",
             key, cert) != 0) {
        fprintf(stderr, "openssl could not make a client certificate\n");
        exit(2);
    }
    const char *fp = t_sh_out("openssl x509 -in '%s' -noout -fingerprint -sha256 | "
                              "sed 's/.*=//; s/://g' | tr A-F a-f", cert);
    if (!fp || strlen(fp) != 64) {
        fprintf(stderr, "cannot compute the certificate's fingerprint\n");
        exit(2);
    }
    snprintf(https_setup.fingerprint, sizeof https_setup.fingerprint, "%s", fp);
    if (t_sh("lxc config trust add '%s' --name %s", cert, t_unique("trust")) != 0) {
        fprintf(stderr, "lxc config trust add failed\n");
        exit(2);
    }
    return https_client_again(out);
}

bool t_https(void) {
    const char *t = getenv("LIBLXD_TEST_TRANSPORT");
    return t && strcmp(t, "https") == 0;
}

lxd_client *t_client(void) {
    if (!shared_client) {
        lxd_status s = t_https() ? https_client(&shared_client)
                                 : lxd_client_new(NULL, NULL, &shared_client);
        if (s != LXD_OK) {
            fprintf(stderr, "cannot connect to the local LXD (%s): %s: %s\n",
                    t_https() ? "https" : "unix socket", lxd_status_name(s),
                    lxd_last_error_message());
            exit(2);
        }
    }
    return shared_client;
}

lxd_status t_client_new(lxd_client **out) {
    t_client();
    return t_https() ? https_client_again(out) : lxd_client_new(NULL, NULL, out);
}

const char *t_get(lxd_obj *obj, const char *attr) {
    static char ring[8][16384];
    static int slot;
    char *json = NULL;
    if (lxd_obj_get(obj, attr, &json) != LXD_OK) return NULL;
    char *buf = ring[slot++ % 8];
    snprintf(buf, sizeof ring[0], "%s", json);
    lxd_string_free(json);
    return buf;
}

const char *t_jq(const char *json, const char *filter) {
    if (!json || !filter) return NULL;
    char path[] = "/tmp/lxdt-jq-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t len = strlen(json);
    bool ok = write(fd, json, len) == (ssize_t)len;
    close(fd);
    const char *out = ok ? t_sh_out("jq -r '%s' %s", filter, path) : NULL;
    unlink(path);
    return out;
}

const char *t_kind_info(lxd_kind kind) {
    char *info = NULL;
    if (lxd_kind_info(kind, &info) != LXD_OK) return NULL;
    return t_keep_str(info);
}

int t_kind_parent(lxd_kind kind) {
    const char *p = t_jq(t_kind_info(kind), ".parent");
    if (!p) return -2;
    return strcmp(p, "null") == 0 ? -1 : atoi(p);
}

bool t_streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

bool t_contains(const char *h, const char *n) { return h && n && strstr(h, n) != NULL; }

bool t_icontains(const char *h, const char *n) { return h && n && strcasestr(h, n) != NULL; }

/* ---- resources freed after every test ------------------------------------ */

enum { R_OBJ, R_LIST, R_STR, R_MEM, R_CLIENT, R_EVENTS, R_EXEC_RESULT, R_SESSION, R_BYTES };
static struct held {
    int type;
    void *p;
} *held;
static size_t n_held, cap_held;

static void hold(int type, void *p) {
    if (!p) return;
    if (n_held == cap_held) {
        cap_held = cap_held ? 2 * cap_held : 64;
        held = realloc(held, cap_held * sizeof *held);
        if (!held) abort();
    }
    held[n_held].type = type;
    held[n_held++].p = p;
}

lxd_obj *t_keep_obj(lxd_obj *o) { hold(R_OBJ, o); return o; }
lxd_list *t_keep_list(lxd_list *l) { hold(R_LIST, l); return l; }
char *t_keep_str(char *s) { hold(R_STR, s); return s; }
void *t_keep_mem(void *p) { hold(R_MEM, p); return p; }
lxd_client *t_keep_client(lxd_client *c) { hold(R_CLIENT, c); return c; }
lxd_events *t_keep_events(lxd_events *e) { hold(R_EVENTS, e); return e; }
lxd_exec_result *t_keep_exec_result(lxd_exec_result *r) { hold(R_EXEC_RESULT, r); return r; }
lxd_exec_session *t_keep_session(lxd_exec_session *s) { hold(R_SESSION, s); return s; }
uint8_t *t_keep_bytes(uint8_t *b) { hold(R_BYTES, b); return b; }

static void release_all(void) {
    while (n_held > 0) {
        n_held--;
        void *p = held[n_held].p;
        switch (held[n_held].type) {
        case R_OBJ: lxd_obj_free(p); break;
        case R_LIST: lxd_list_free(p); break;
        case R_STR: lxd_string_free(p); break;
        case R_CLIENT: lxd_client_free(p); break;
        case R_EVENTS: lxd_events_free(p); break;
        case R_EXEC_RESULT: lxd_exec_result_free(p); break;
        case R_SESSION: lxd_exec_session_free(p); break;
        case R_BYTES: lxd_bytes_free(p); break;
        default: free(p); break;
        }
    }
}

char *t_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return t_keep_mem(s);
}

char *t_dup(const char *s) { return s ? t_fmt("%s", s) : NULL; }

char *t_json_insert(const char *obj_json, const char *member) {
    const char *end = strrchr(obj_json, '}');
    const char *start = strchr(obj_json, '{');
    if (!end || !start) return NULL;
    bool empty = true;
    for (const char *p = start + 1; p < end; p++)
        if (!isspace((unsigned char)*p)) empty = false;
    return t_fmt("%.*s%s%s}", (int)(end - obj_json), obj_json, empty ? "" : ",", member);
}

lxd_obj *t_find_in(lxd_list *l, const char *attr, const char *value) {
    char *want = t_fmt("\"%s\"", value);
    for (size_t i = 0; i < lxd_list_len(l); i++)
        if (t_streq(t_get(lxd_list_get(l, i), attr), want)) return lxd_list_get(l, i);
    return NULL;
}

lxd_status t_new_container(const char *name, bool start, lxd_obj **out) {
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    lxd_status s = lxd_container_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name),
        true, out);
    if (s != LXD_OK) return s;
    t_keep_obj(*out);
    return start ? lxd_instance_start(*out, -1, false, true) : LXD_OK;
}

int t_run(const struct t_case *cases, size_t n, int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter)) continue;
        current_failed = false;
        cases[i].fn();
        release_all();
        while (n_cleanups > 0) {
            char *cmd = cleanups[--n_cleanups];
            run_shell(cmd);
            free(cmd);
        }
        if (current_failed) {
            failed++;
            printf("FAIL %s\n", cases[i].name);
        } else {
            passed++;
            printf("ok   %s\n", cases[i].name);
        }
    }
    lxd_client_free(shared_client);
    shared_client = NULL;
    free(held);
    held = NULL;
    n_held = cap_held = 0;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ---- parents ---------------------------------------------------------------- */

static lxd_obj *parents[LXD_KIND_COUNT];
static const char *parent_paths[LXD_KIND_COUNT];
static bool parent_tried[LXD_KIND_COUNT];
static char *parent_teardown_cmds[8];
static int n_parent_teardown;
static int bridge_base = -1;

static void parents_teardown(void) {
    for (int k = 0; k < LXD_KIND_COUNT; k++) {
        lxd_obj_free(parents[k]);
        parents[k] = NULL;
    }
    /* Children before their parents: the last made goes first. */
    while (n_parent_teardown > 0) {
        char *cmd = parent_teardown_cmds[--n_parent_teardown];
        run_shell(cmd);
        free(cmd);
    }
}

static void parent_made_with(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void parent_made_with(const char *fmt, ...) {
    if (n_parent_teardown == 0) atexit(parents_teardown);
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vformat(fmt, ap);
    va_end(ap);
    if (n_parent_teardown == 8) abort();
    parent_teardown_cmds[n_parent_teardown++] = cmd;
}

const char *t_bridge_addr(int n) {
    return bridge_base < 0 ? NULL : t_fmt("198.51.100.%d", bridge_base + n);
}

static lxd_obj *make_parent(lxd_kind kind, char *path, size_t path_len) {
    lxd_obj *o = NULL;
    lxd_status s = LXD_OK;
    char name[96];
    switch (kind) {
    case LXD_KIND_INSTANCE:
        snprintf(name, sizeof name, "%s", t_unique("parent"));
        parent_made_with("lxc delete -f %s >/dev/null 2>&1", name);
        s = lxd_container_create(
            t_client(),
            t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name),
            true, &o);
        snprintf(path, path_len, "/1.0/instances/%s", name);
        break;
    case LXD_KIND_STORAGE_POOL:
        snprintf(name, sizeof name, "%s", t_unique("pool"));
        /* The volumes tests left in it first (children of the harness's
         * volume go with it), then the pool. */
        parent_made_with("for v in $(lxc query /1.0/storage-pools/%s/volumes | jq -r '.[]' | "
                         "grep /volumes/custom/); do lxc query -X DELETE \"$v\"; done "
                         ">/dev/null 2>&1; lxc storage delete %s >/dev/null 2>&1",
                         name, name);
        s = lxd_storage_pool_create(t_client(),
                                    t_fmt("{\"name\":\"%s\",\"driver\":\"dir\"}", name), true, &o);
        snprintf(path, path_len, "/1.0/storage-pools/%s", name);
        break;
    case LXD_KIND_STORAGE_VOLUME: {
        lxd_obj *pool = t_parent(LXD_KIND_STORAGE_POOL);
        if (!pool) return NULL;
        snprintf(name, sizeof name, "%s", t_unique("vol"));
        parent_made_with("lxc query -X DELETE %s/volumes/custom/%s >/dev/null 2>&1",
                         parent_paths[LXD_KIND_STORAGE_POOL], name);
        s = lxd_child_create(pool, LXD_KIND_STORAGE_VOLUME, t_fmt("{\"name\":\"%s\"}", name), true,
                             &o);
        snprintf(path, path_len, "%s/volumes/custom/%s", parent_paths[LXD_KIND_STORAGE_POOL], name);
        break;
    }
    case LXD_KIND_NETWORK:
        /* Interface names: at most 15 characters. */
        snprintf(name, sizeof name, "lxdt%dh", (int)getpid() % 1000000);
        parent_made_with("for f in $(lxc query /1.0/networks/%s/forwards | jq -r '.[]'); do "
                         "lxc query -X DELETE \"$f\"; done >/dev/null 2>&1; "
                         "lxc network delete %s >/dev/null 2>&1",
                         name, name);
        /* A /28 of 198.51.100.0/24 no other bridge here holds. */
        for (int i = 0; i < 16 && !o; i++) {
            int base = 16 * (((int)getpid() + 7 + i) % 16);
            if (t_sh("ip -4 -o addr | grep -q ' 198\\.51\\.100\\.%d/'", base + 1) == 0) continue;
            s = lxd_network_create(
                t_client(),
                t_fmt("{\"name\":\"%s\",\"type\":\"bridge\",\"config\":{\"ipv4.address\":"
                      "\"198.51.100.%d/28\",\"ipv4.nat\":\"false\",\"ipv4.dhcp\":\"false\","
                      "\"ipv6.address\":\"none\"}}",
                      name, base + 1),
                true, &o);
            if (s == LXD_OK) bridge_base = base;
        }
        snprintf(path, path_len, "/1.0/networks/%s", name);
        break;
    case LXD_KIND_NETWORK_ZONE:
        snprintf(name, sizeof name, "%s.example.net", t_unique("zone"));
        parent_made_with("for r in $(lxc query /1.0/network-zones/%s/records | jq -r '.[]'); do "
                         "lxc query -X DELETE \"$r\"; done >/dev/null 2>&1; "
                         "lxc network zone delete %s >/dev/null 2>&1",
                         name, name);
        s = lxd_network_zone_create(t_client(), t_fmt("{\"name\":\"%s\"}", name), true, &o);
        snprintf(path, path_len, "/1.0/network-zones/%s", name);
        break;
    default:
        printf("    the harness makes no parent of kind %d\n", (int)kind);
        return NULL;
    }
    if (s != LXD_OK || !o) {
        printf("    making a parent of kind %d: %s: %s\n", (int)kind, lxd_status_name(s),
               lxd_last_error_message());
        return NULL;
    }
    return o;
}

lxd_obj *t_parent(lxd_kind kind) {
    if (kind < 0 || kind >= LXD_KIND_COUNT) return NULL;
    if (parent_tried[kind]) return parents[kind];
    parent_tried[kind] = true;
    char path[256];
    parents[kind] = make_parent(kind, path, sizeof path);
    if (parents[kind]) parent_paths[kind] = strdup(path);
    return parents[kind];
}

const char *t_parent_path(lxd_kind kind) {
    return kind >= 0 && kind < LXD_KIND_COUNT && t_parent(kind) ? parent_paths[kind] : NULL;
}

const char *t_child_def(lxd_kind kind, const char *name, int n, const char **key) {
    *key = name;
    switch (kind) {
    case LXD_KIND_INSTANCE_SNAPSHOT:
    case LXD_KIND_INSTANCE_BACKUP:
    case LXD_KIND_STORAGE_VOLUME_SNAPSHOT:
    case LXD_KIND_STORAGE_VOLUME_BACKUP:
        return t_fmt("{\"name\":\"%s\"}", name);
    case LXD_KIND_NETWORK_ZONE_RECORD:
        return t_fmt("{\"name\":\"%s\",\"entries\":[{\"type\":\"A\",\"value\":\"192.0.2.%d\","
                     "\"ttl\":300}]}",
                     name, 1 + n % 250);
    case LXD_KIND_STORAGE_VOLUME:
        *key = t_fmt("custom/%s", name);
        return t_fmt("{\"name\":\"%s\",\"type\":\"custom\"}", name);
    case LXD_KIND_NETWORK_FORWARD:
        if (!t_parent(LXD_KIND_NETWORK)) return NULL;
        *key = t_bridge_addr(2 + n % 13);
        return t_fmt("{\"listen_address\":\"%s\",\"ports\":[{\"protocol\":\"tcp\","
                     "\"listen_port\":\"80\",\"target_address\":\"%s\"}]}",
                     *key, t_bridge_addr(14));
    default:
        return NULL;
    }
}
