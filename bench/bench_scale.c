/*
 * liblxd at scale (bench/run-all.sh's scale part; bench/README.md):
 *
 *   bench_scale ops     create N_SCALE stopped busybox instances named
 *                       ${BENCH_PREFIX}<k> in batches of N_OPS operations
 *                       started without waiting, then all waited through
 *                       the one client; batches alternate between waiting
 *                       with lxd_operation_wait on each ("wait_each": one
 *                       /wait request per operation) and reading the
 *                       operation events of one event stream opened
 *                       before the batch ("event_stream")
 *   bench_scale list    list every instance in one request, hold the list,
 *                       read each config; memory before, with the list,
 *                       after freeing it (VmRSS), bytes per instance
 *   bench_scale threads THREADS threads x N_THREAD_GETS gets of
 *                       ${BENCH_BASE} on one client: throughput, errors,
 *                       open fds and VmRSS sampled every 0.5 s
 *   bench_scale delete  delete the instances again, batches as in `ops`
 *
 * One JSON line per measurement on stdout, as bench_all.c's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PROG "bench_scale"
#include "bench_util.h"

static lxd_client *client;
static const char *prefix;

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = -1; /* the DIR's own fd */
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n - 2; /* . and .. */
}

/* ---------------------------------------------------------------- ops */

/* Operations seen ending on the event stream: ids and whether they
 * failed, filled by the listener's thread (LXD closes a listener that does
 * not read its events steadily: they are read while the batch starts). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char (*ids)[64];
    bool *failed;
    int n, cap;
    lxd_status broke;
} ended = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, LXD_OK};

static int on_event(lxd_status st, const char *ev, void *user)
{
    (void)user;
    pthread_mutex_lock(&ended.mu);
    if (st != LXD_OK) {
        ended.broke = st;
    } else {
        const char *status = strstr(ev, "\"status\":\"");
        const char *id = strstr(ev, "\"id\":\"");
        bool ok = status && strncmp(status + 10, "Success", 7) == 0;
        bool over = status && (ok || strncmp(status + 10, "Failure", 7) == 0 ||
                               strncmp(status + 10, "Cancelled", 9) == 0);
        if (over && id && ended.n < ended.cap) {
            snprintf(ended.ids[ended.n], sizeof ended.ids[0], "%.*s", (int)strcspn(id + 6, "\""), id + 6);
            ended.failed[ended.n++] = !ok;
        }
    }
    pthread_cond_broadcast(&ended.cv);
    pthread_mutex_unlock(&ended.mu);
    return 0;
}

/* Whether operation `id` ended (and failed) on the stream; ended.mu held. */
static bool has_ended(const char *id, bool *failed)
{
    for (int i = 0; i < ended.n; i++)
        if (strcmp(ended.ids[i], id) == 0) {
            *failed = ended.failed[i];
            return true;
        }
    return false;
}

/* One batch: start n operations (create or delete instances first..first+n-1)
 * without waiting, then wait for all of them: one /wait request each, or
 * through one event stream opened before the batch. */
static void batch(bool create, int first, int n, bool by_events)
{
    char name[256], def[512];
    lxd_obj **objs = calloc((size_t)n, sizeof *objs), **ops = calloc((size_t)n, sizeof *ops);
    char **ids = calloc((size_t)n, sizeof *ids);
    lxd_events_listener *listener = NULL;
    double c0 = cpu(), t0 = now();
    if (by_events) {
        pthread_mutex_lock(&ended.mu);
        ended.n = 0;
        ended.cap = 4 * n;
        ended.ids = calloc((size_t)ended.cap, sizeof *ended.ids);
        ended.failed = calloc((size_t)ended.cap, sizeof *ended.failed);
        pthread_mutex_unlock(&ended.mu);
        CHECK(lxd_events_listen(client, "operation", on_event, NULL, &listener));
    }
    int started = 0;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, first + i);
        if (create) {
            snprintf(def, sizeof def,
                     "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
            CHECK(lxd_instance_create(client, def, false, &objs[i]));
        } else {
            if (lxd_instance_get(client, name, &objs[i]) != LXD_OK)
                continue; /* not there (a create of an interrupted run that failed) */
            CHECK(lxd_obj_delete(objs[i], false));
        }
        CHECK(lxd_obj_operation(objs[i], &ops[i]));
        if (ops[i])
            CHECK(lxd_obj_key(ops[i], &ids[i]));
        started++;
    }
    double start_s = now() - t0;
    int failed = 0;
    if (by_events) {
        pthread_mutex_lock(&ended.mu);
        for (int i = 0; i < n; i++) {
            bool f = false;
            while (ids[i] && !has_ended(ids[i], &f) && ended.broke == LXD_OK)
                pthread_cond_wait(&ended.cv, &ended.mu);
            failed += f;
        }
        lxd_status broke = ended.broke;
        pthread_mutex_unlock(&ended.mu);
        lxd_events_listener_free(listener);
        if (broke != LXD_OK)
            fail("the event stream", broke);
        free(ended.ids);
        free(ended.failed);
    } else {
        for (int i = 0; i < n; i++)
            if (ops[i])
                failed += lxd_operation_wait(ops[i], 120) != LXD_OK;
    }
    double wall = now() - t0, c = cpu() - c0;
    printf("{\"client\":\"liblxd\",\"workload\":\"ops%d_%s_%s\",\"n\":%d,\"wall_s\":%.6f,"
           "\"cpu_s\":%.6f,\"start_s\":%.6f,\"failed\":%d,\"ok\":%s}\n",
           n, create ? "create" : "delete", by_events ? "event_stream" : "wait_each", started, wall, c,
           start_s, failed, failed ? "false" : "true");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        lxd_obj_free(ops[i]);
        lxd_obj_free(objs[i]);
        lxd_string_free(ids[i]);
    }
    free(objs);
    free(ops);
    free(ids);
}

static void ops(bool create)
{
    int total = env_int("N_SCALE", 1000), per = env_int("N_OPS", 200);
    for (int first = 0, b = 0; first < total; first += per, b++)
        batch(create, first, first + per > total ? total - first : per, b % 2 == 1);
}

/* ---------------------------------------------------------------- list */

static void list(void)
{
    long before = status_kb("VmRSS");
    double c0 = cpu(), t0 = now();
    lxd_list *l = NULL;
    CHECK(lxd_instance_all(client, &l));
    double listed = now() - t0;
    size_t n = lxd_list_len(l), configs = 0;
    for (size_t i = 0; i < n; i++) {
        char *config = NULL;
        CHECK(lxd_obj_get(lxd_list_get(l, i), "config", &config));
        configs += config[0] == '{';
        lxd_string_free(config);
    }
    double wall = now() - t0, c = cpu() - c0;
    long with = status_kb("VmRSS");
    lxd_list_free(l);
    long after = status_kb("VmRSS");
    printf("{\"client\":\"liblxd\",\"workload\":\"list_all\",\"n\":%zu,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
           "\"request_s\":%.6f,\"rss_before_kb\":%ld,\"rss_with_list_kb\":%ld,\"rss_after_free_kb\":%ld,"
           "\"peak_rss_kb\":%ld,\"bytes_per_instance\":%.0f,\"ok\":%s}\n",
           n, wall, c, listed, before, with, after, status_kb("VmHWM"),
           n ? (double)(with - before) * 1024.0 / (double)n : 0.0, configs == n ? "true" : "false");
    fflush(stdout);
}

/* ---------------------------------------------------------------- threads */

static atomic_long gets_done, gets_failed;
static int per_thread;
static char base[256];

static void *getter(void *arg)
{
    (void)arg;
    for (int i = 0; i < per_thread; i++) {
        lxd_obj *o = NULL;
        if (lxd_instance_get(client, base, &o) == LXD_OK)
            lxd_obj_free(o);
        else
            atomic_fetch_add(&gets_failed, 1);
        atomic_fetch_add(&gets_done, 1);
    }
    return NULL;
}

static void threads(void)
{
    int nt = env_int("THREADS", 16);
    per_thread = env_int("N_THREAD_GETS", 10000);
    snprintf(base, sizeof base, "%s", getenv("BENCH_BASE") ? getenv("BENCH_BASE") : "bench-all-base");
    pthread_t *t = calloc((size_t)nt, sizeof *t);
    int fd_min = open_fds(), fd_max = fd_min;
    long rss_first = -1, rss_min = 1L << 40, rss_max = 0, total = (long)nt * per_thread;
    double c0 = cpu(), t0 = now();
    for (int i = 0; i < nt; i++)
        pthread_create(&t[i], NULL, getter, NULL);
    /* samples: fds and RSS every 0.5 s while the threads run; the first
     * one after 10 % of the gets is the reference for "flat" */
    while (atomic_load(&gets_done) < total) {
        usleep(500000);
        int fds = open_fds();
        long rss = status_kb("VmRSS");
        fd_max = fds > fd_max ? fds : fd_max;
        fd_min = fds < fd_min ? fds : fd_min;
        if (atomic_load(&gets_done) >= total / 10) {
            if (rss_first < 0)
                rss_first = rss;
            rss_min = rss < rss_min ? rss : rss_min;
            rss_max = rss > rss_max ? rss : rss_max;
        }
    }
    for (int i = 0; i < nt; i++)
        pthread_join(t[i], NULL);
    double wall = now() - t0, c = cpu() - c0;
    printf("{\"client\":\"liblxd\",\"workload\":\"threads%d_gets\",\"n\":%ld,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
           "\"gets_per_s\":%.1f,\"errors\":%ld,\"fds_min\":%d,\"fds_max\":%d,\"fds_after\":%d,"
           "\"rss_first_kb\":%ld,\"rss_min_kb\":%ld,\"rss_max_kb\":%ld,\"rss_after_kb\":%ld,\"ok\":%s}\n",
           nt, total, wall, c, (double)total / wall, atomic_load(&gets_failed), fd_min, fd_max,
           open_fds(), rss_first, rss_min, rss_max, status_kb("VmRSS"),
           atomic_load(&gets_failed) ? "false" : "true");
    free(t);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_scale ops|list|threads|delete\n");
        return 2;
    }
    prefix = getenv("BENCH_PREFIX") ? getenv("BENCH_PREFIX") : "bench-scale-";
    CHECK(lxd_client_new(NULL, NULL, &client));
    if (strcmp(argv[1], "ops") == 0)
        ops(true);
    else if (strcmp(argv[1], "delete") == 0)
        ops(false);
    else if (strcmp(argv[1], "list") == 0)
        list();
    else if (strcmp(argv[1], "threads") == 0)
        threads();
    else
        return 2;
    lxd_client_free(client);
    return 0;
}
