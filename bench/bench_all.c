/*
 * liblxd's client program of bench/run-all.sh: the common workloads
 * (bench/README.md, "One bench command") through the C API, one JSON line
 * per workload on stdout:
 *
 *   {"client":"liblxd","workload":"get_instance","n":300,"wall_s":..,
 *    "cpu_s":..,"lat_ms":[..],"ok":true}
 *
 * and last {"client":"liblxd","peak_rss_kb":N}. Fixtures (made by
 * run-all.sh): ${BENCH_PREFIX}base (running), ${BENCH_PREFIX}l0..l{N_LIST-1}
 * (stopped), the image alias busybox, $BENCH_TMP/src.bin (FILE_MB MiB).
 * Knobs: N_GET N_LIST N_EXEC N_SET FILE_MB N_LIFE LIFE_THREADS,
 * BENCH_WORKLOADS (comma list), BENCH_HTTPS=1 with BENCH_HTTPS_URL,
 * BENCH_TLS_CERT, BENCH_TLS_KEY, BENCH_TLS_SERVER_CERT.
 *
 * One client for everything (threads included: a client is thread-safe).
 * No warm-up: the client is made (one GET /1.0) before the first workload.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PROG "bench_all"
#include "bench_util.h"

static const char *prefix, *tmp, *client_name;
static lxd_client *client;
static bool all_ok = true;

static bool wanted(const char *workload)
{
    const char *list = getenv("BENCH_WORKLOADS");
    if (!list || !*list)
        return true;
    size_t n = strlen(workload);
    for (const char *p = list; (p = strstr(p, workload)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static void emit(const char *workload, int n, double wall, double cpu_s, const double *lat,
                 int nlat, bool ok)
{
    printf("{\"client\":\"%s\",\"workload\":\"%s\",\"n\":%d,\"wall_s\":%.6f,\"cpu_s\":%.6f,\"lat_ms\":[",
           client_name, workload, n, wall, cpu_s);
    for (int i = 0; i < nlat; i++)
        printf("%s%.3f", i ? "," : "", lat[i] * 1e3);
    printf("],\"ok\":%s}\n", ok ? "true" : "false");
    fflush(stdout);
    if (!ok)
        all_ok = false;
}

static lxd_obj *get_base(void)
{
    char name[256];
    snprintf(name, sizeof name, "%sbase", prefix);
    lxd_obj *o = NULL;
    CHECK(lxd_instance_get(client, name, &o));
    return o;
}

static int exec_true(lxd_obj *o)
{
    lxd_exec_result *r = NULL;
    CHECK(lxd_instance_exec(o, "[\"true\"]", NULL, NULL, 0, &r));
    int code = lxd_exec_result_exit_code(r);
    lxd_exec_result_free(r);
    return code;
}

/* ---------------------------------------------------------------- workloads */

static void w_get(int n)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    char want[256];
    snprintf(want, sizeof want, "\"%sbase\"", prefix);
    bool ok = true;
    double c0 = cpu(), t0 = now();
    for (int i = 0; i < n; i++) {
        double t = now();
        lxd_obj *o = get_base();
        char *name = NULL;
        CHECK(lxd_obj_get(o, "name", &name));
        ok &= strcmp(name, want) == 0;
        lxd_string_free(name);
        lxd_obj_free(o);
        lat[i] = now() - t;
    }
    emit("get_instance", n, now() - t0, cpu() - c0, lat, n, ok);
    free(lat);
}

static void w_list(int n)
{
    size_t plen = strlen(prefix), seen = 0;
    char lp[256];
    snprintf(lp, sizeof lp, "%sl", prefix);
    double c0 = cpu(), t0 = now();
    lxd_list *l = NULL;
    CHECK(lxd_instance_all(client, &l));
    for (size_t i = 0; i < lxd_list_len(l); i++) {
        lxd_obj *o = lxd_list_get(l, i);
        char *key = NULL;
        CHECK(lxd_obj_key(o, &key));
        if (strncmp(key, lp, plen + 1) == 0) {
            char *config = NULL;
            CHECK(lxd_obj_get(o, "config", &config)); /* the map as JSON text */
            seen += config[0] == '{';
            lxd_string_free(config);
        }
        lxd_string_free(key);
    }
    lxd_list_free(l);
    double wall = now() - t0;
    emit("list_and_read_config", (int)seen, wall, cpu() - c0, &wall, 1, (int)seen == n);
}

static void w_exec(int n)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    lxd_obj *o = get_base();
    bool ok = true;
    double c0 = cpu(), t0 = now();
    for (int i = 0; i < n; i++) {
        double t = now();
        ok &= exec_true(o) == 0;
        lat[i] = now() - t;
    }
    emit("exec_true", n, now() - t0, cpu() - c0, lat, n, ok);
    lxd_obj_free(o);
    free(lat);
}

static void w_set(int n)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    char v[64], want[80];
    double c0 = cpu(), t0 = now();
    for (int i = 0; i < n; i++) {
        double t = now();
        lxd_obj *o = get_base();
        char *config = NULL;
        CHECK(lxd_obj_get(o, "config", &config));
        snprintf(v, sizeof v, "%d", i);
        char *changed = with_bench_key(config, v);
        CHECK(lxd_obj_set(o, "config", changed));
        CHECK(lxd_obj_save(o, true));
        free(changed);
        lxd_string_free(config);
        lxd_obj_free(o);
        lat[i] = now() - t;
    }
    double wall = now() - t0, c = cpu() - c0;
    lxd_obj *o = get_base();
    char *got = NULL;
    CHECK(lxd_obj_get(o, "config", &got));
    snprintf(want, sizeof want, "\"user.bench\":\"%d\"", n - 1);
    emit("set_config_update", n, wall, c, lat, n, strstr(got, want) != NULL);
    lxd_string_free(got);
    lxd_obj_free(o);
    free(lat);
}

static bool sha_equal(lxd_obj *o, const char *local, const char *remote)
{
    char cmd[1024], line[256] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", local);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p))
        return false;
    pclose(p);
    if (!remote)
        return true;
    char argv[600];
    snprintf(argv, sizeof argv, "[\"sha256sum\",\"%s\"]", remote);
    lxd_exec_result *r = NULL;
    CHECK(lxd_instance_exec(o, argv, NULL, NULL, 0, &r));
    size_t len = 0;
    const uint8_t *out = lxd_exec_result_stdout(r, &len);
    bool ok = len >= 64 && memcmp(out, line, 64) == 0;
    lxd_exec_result_free(r);
    return ok;
}

static void w_files(bool push, bool pull)
{
    char src[512], dst[512], remote[256], cmd[1200];
    snprintf(src, sizeof src, "%s/src.bin", tmp);
    snprintf(dst, sizeof dst, "%s/pulled-%s.bin", tmp, client_name);
    snprintf(remote, sizeof remote, "/tmp/bench-%s.bin", client_name);
    lxd_obj *o = get_base();
    if (push) {
        /* Untimed, as the Go client's harness does before its push: LXD
         * 5.0.2 opens its file channel into an instance on first use (~70
         * ms), which would otherwise fall on whichever client came first. */
        lxd_instance_file_delete(o, remote);
        double c0 = cpu(), t0 = now();
        CHECK(lxd_instance_file_push(o, src, remote, "{\"mode\":420,\"uid\":0,\"gid\":0}", NULL, NULL));
        double wall = now() - t0, c = cpu() - c0;
        emit("file_push", 1, wall, c, &wall, 1, sha_equal(o, src, remote));
    }
    if (pull) {
        unlink(dst);
        double c0 = cpu(), t0 = now();
        CHECK(lxd_instance_file_pull(o, remote, dst, NULL, NULL));
        double wall = now() - t0, c = cpu() - c0;
        snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", src, dst);
        emit("file_pull", 1, wall, c, &wall, 1, system(cmd) == 0);
        unlink(dst);
        lxd_instance_file_delete(o, remote);
    }
    lxd_obj_free(o);
}

struct life {
    int thread, threads, n;
    double *lat;
    bool ok;
};

static void life_name(char *buf, size_t len, int threads, int t, int k)
{
    if (threads > 1)
        snprintf(buf, len, "%s%s-t%d-x%d", prefix, client_name, t, k);
    else
        snprintf(buf, len, "%s%s-x%d", prefix, client_name, k);
}

static void *life_thread(void *arg)
{
    struct life *l = arg;
    char name[256], def[512];
    for (int k = l->thread; k < l->n; k += l->threads) {
        double t = now();
        life_name(name, sizeof name, l->threads, l->thread, k);
        snprintf(def, sizeof def,
                 "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
        lxd_obj *o = NULL;
        CHECK(lxd_instance_create(client, def, true, &o));
        CHECK(lxd_instance_start(o, -1, false, true));
        l->ok &= exec_true(o) == 0;
        CHECK(lxd_instance_stop(o, -1, true, true));
        CHECK(lxd_obj_delete(o, true));
        lxd_obj_free(o);
        l->lat[k] = now() - t;
    }
    return NULL;
}

static void w_life(int n, int threads)
{
    char name[256], workload[64];
    for (int k = 0; k < n; k++) { /* leftovers of an interrupted run */
        life_name(name, sizeof name, threads, k % threads, k);
        lxd_obj *o = NULL;
        if (lxd_instance_get(client, name, &o) == LXD_OK) {
            lxd_instance_stop(o, -1, true, true);
            lxd_obj_delete(o, true);
            lxd_obj_free(o);
        }
    }
    double *lat = calloc((size_t)n, sizeof *lat);
    struct life *ls = calloc((size_t)threads, sizeof *ls);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    double c0 = cpu(), t0 = now();
    for (int t = 0; t < threads; t++) {
        ls[t] = (struct life){.thread = t, .threads = threads, .n = n, .lat = lat, .ok = true};
        pthread_create(&tids[t], NULL, life_thread, &ls[t]);
    }
    bool ok = true;
    for (int t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        ok &= ls[t].ok;
    }
    double wall = now() - t0;
    if (threads > 1)
        snprintf(workload, sizeof workload, "lifecycle_%dthreads", threads);
    else
        snprintf(workload, sizeof workload, "lifecycle");
    emit(workload, n, wall, cpu() - c0, lat, n, ok);
    free(lat);
    free(ls);
    free(tids);
}

int main(void)
{
    prefix = getenv("BENCH_PREFIX") ? getenv("BENCH_PREFIX") : "bench-all-";
    tmp = getenv("BENCH_TMP") ? getenv("BENCH_TMP") : "/tmp";
    client_name = getenv("BENCH_CLIENT") ? getenv("BENCH_CLIENT") : "liblxd";
    const char *endpoint = NULL;
    char opts[2048] = "";
    if (env_int("BENCH_HTTPS", 0) == 1) {
        endpoint = getenv("BENCH_HTTPS_URL") ? getenv("BENCH_HTTPS_URL") : "https://127.0.0.1:8443";
        snprintf(opts, sizeof opts, "{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"%s\"}",
                 getenv("BENCH_TLS_CERT"), getenv("BENCH_TLS_KEY"), getenv("BENCH_TLS_SERVER_CERT"));
    }
    CHECK(lxd_client_new(endpoint, endpoint ? opts : NULL, &client));
    printf("{\"client\":\"%s\",\"info\":\"liblxd %s (C API), %s\"}\n", client_name,
           lxd_version(), endpoint ? endpoint : "unix socket");
    fflush(stdout);

    int n;
    if ((n = env_int("N_GET", 300)) > 0 && wanted("get_instance"))
        w_get(n);
    if ((n = env_int("N_LIST", 30)) > 0 && wanted("list_and_read_config"))
        w_list(n);
    if ((n = env_int("N_EXEC", 30)) > 0 && wanted("exec_true"))
        w_exec(n);
    if ((n = env_int("N_SET", 30)) > 0 && wanted("set_config_update"))
        w_set(n);
    if (env_int("FILE_MB", 32) > 0 && (wanted("file_push") || wanted("file_pull")))
        w_files(wanted("file_push"), wanted("file_pull"));
    if ((n = env_int("N_LIFE", 10)) > 0) {
        int threads = env_int("LIFE_THREADS", 1);
        char w[64];
        snprintf(w, sizeof w, threads > 1 ? "lifecycle_%dthreads" : "lifecycle", threads);
        if (wanted(w))
            w_life(n, threads < 1 ? 1 : threads);
    }
    lxd_client_free(client);
    printf("{\"client\":\"%s\",\"peak_rss_kb\":%ld}\n", client_name, status_kb("VmHWM"));
    return all_ok ? 0 : 1;
}
