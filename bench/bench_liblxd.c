/*
 * liblxd side of the benchmark (see bench/README.md; run via bench/run.sh).
 *
 *   bench_liblxd GET_NAME PREFIX GETS LISTS [SAVES]
 *
 * (A) GETS times lxd_container_get(GET_NAME) + lxd_obj_free, after a few
 *     warm-up calls: mean wall time per call (CLOCK_MONOTONIC, also the
 *     median) and process CPU time per call (CLOCK_PROCESS_CPUTIME_ID, all
 *     threads) over the loop.
 * (B) LISTS times: lxd_container_all, then lxd_obj_get(o, "config") for every
 *     instance whose name starts with PREFIX: mean wall/CPU per full list.
 * (C) SAVES times (default $BENCH_SAVES, else 30; 0 skips it), after 2
 *     warm-up rounds: lxd_container_get(GET_NAME), lxd_obj_set of its
 *     config with the key user.bench changed (the other keys as they are),
 *     lxd_obj_save(wait = true), lxd_obj_free: mean wall time per round
 *     (also the median) and process CPU time per round. The last value
 *     written is then read back through a new object.
 *
 * Prints one "key value" line per figure; bench/bench_pylxd.py prints the
 * same keys for pylxd, except those of (C).
 *
 * It connects with lxd_client_new($BENCH_LXD_ENDPOINT, $BENCH_LXD_OPTIONS),
 * both unset by default: the local unix socket.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lxd.h"
#include "bench_util.h"

#define WARMUP 5

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, lxd_status st)
{
    fprintf(stderr, "bench_liblxd: %s: %s: %s\n", what, lxd_status_name(st),
            lxd_last_error_message());
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void one_get(lxd_client *c, const char *name)
{
    lxd_obj *o = NULL;
    lxd_status st = lxd_container_get(c, name, &o);
    if (st != LXD_OK)
        die("lxd_container_get", st);
    lxd_obj_free(o);
}

/* One round of (C): get, set config with user.bench = value, save, free. */
static void one_save(lxd_client *c, const char *name, const char *value)
{
    lxd_obj *o = NULL;
    char *config = NULL;
    lxd_status st = lxd_container_get(c, name, &o);
    if (st != LXD_OK)
        die("lxd_container_get", st);
    if ((st = lxd_obj_get(o, "config", &config)) != LXD_OK)
        die("lxd_obj_get config", st);
    char *changed = with_bench_key(config, value);
    if (!changed) {
        fprintf(stderr, "bench_liblxd: cannot set user.bench in %s\n", config);
        exit(1);
    }
    if ((st = lxd_obj_set(o, "config", changed)) != LXD_OK)
        die("lxd_obj_set config", st);
    if ((st = lxd_obj_save(o, true)) != LXD_OK)
        die("lxd_obj_save", st);
    free(changed);
    lxd_string_free(config);
    lxd_obj_free(o);
}

/* One full list: returns how many instances had their config read. */
static size_t one_list(lxd_client *c, const char *prefix, size_t *listed)
{
    lxd_list *l = NULL;
    lxd_status st = lxd_container_all(c, &l);
    if (st != LXD_OK)
        die("lxd_container_all", st);
    size_t n = lxd_list_len(l), read = 0, plen = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        lxd_obj *o = lxd_list_get(l, i);
        char *key = NULL, *config = NULL;
        if ((st = lxd_obj_key(o, &key)) != LXD_OK)
            die("lxd_obj_key", st);
        if (strncmp(key, prefix, plen) == 0) {
            if ((st = lxd_obj_get(o, "config", &config)) != LXD_OK)
                die("lxd_obj_get config", st);
            if (config[0] != '{') {
                fprintf(stderr, "bench_liblxd: config of %s is not a map: %s\n", key, config);
                exit(1);
            }
            lxd_string_free(config);
            read++;
        }
        lxd_string_free(key);
    }
    lxd_list_free(l);
    *listed = n;
    return read;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s GET_NAME PREFIX GETS LISTS [SAVES]\n", argv[0]);
        return 2;
    }
    const char *name = argv[1], *prefix = argv[2];
    int gets = atoi(argv[3]), lists = atoi(argv[4]);
    const char *saves_arg = argc == 6 ? argv[5] : getenv("BENCH_SAVES");
    int saves = saves_arg && *saves_arg ? atoi(saves_arg) : 30;
    if (gets < 1 || lists < 1 || saves < 0) {
        fprintf(stderr, "bench_liblxd: GETS and LISTS must be >= 1, SAVES >= 0\n");
        return 2;
    }

    printf("impl liblxd\n");
    printf("version %s\n", lxd_version());

    lxd_client *c = NULL;
    lxd_status st = lxd_client_new(getenv("BENCH_LXD_ENDPOINT"), getenv("BENCH_LXD_OPTIONS"), &c);
    if (st != LXD_OK)
        die("lxd_client_new", st);

    /* (A) single get */
    for (int i = 0; i < WARMUP; i++)
        one_get(c, name);
    double *wall = malloc(sizeof(double) * (size_t)gets);
    if (!wall)
        return 1;
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < gets; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        one_get(c, name);
        wall[i] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    qsort(wall, (size_t)gets, sizeof(double), cmp_double);
    printf("get_n %d\n", gets);
    printf("get_wall_us %.1f\n", (w1 - w0) / gets * 1e6);
    printf("get_wall_p50_us %.1f\n", wall[gets / 2] * 1e6);
    printf("get_cpu_us %.1f\n", (cpu1 - cpu0) / gets * 1e6);
    free(wall);

    /* (B) list + config of each */
    size_t listed = 0, read = 0;
    for (int i = 0; i < 2; i++)
        one_list(c, prefix, &listed);
    cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < lists; i++)
        read = one_list(c, prefix, &listed);
    w1 = now_s(CLOCK_MONOTONIC);
    cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    printf("list_n %d\n", lists);
    printf("list_instances %zu\n", listed);
    printf("list_configs_read %zu\n", read);
    printf("list_wall_ms %.2f\n", (w1 - w0) / lists * 1e3);
    printf("list_cpu_ms %.2f\n", (cpu1 - cpu0) / lists * 1e3);

    /* (C) get + set config + save(wait) */
    if (saves > 0) {
        char value[64];
        for (int i = 0; i < 2; i++) {
            snprintf(value, sizeof value, "%ld-w%d", (long)getpid(), i);
            one_save(c, name, value);
        }
        wall = malloc(sizeof(double) * (size_t)saves);
        if (!wall)
            return 1;
        cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        w0 = now_s(CLOCK_MONOTONIC);
        for (int i = 0; i < saves; i++) {
            snprintf(value, sizeof value, "%ld-%d", (long)getpid(), i);
            double t = now_s(CLOCK_MONOTONIC);
            one_save(c, name, value);
            wall[i] = now_s(CLOCK_MONOTONIC) - t;
        }
        w1 = now_s(CLOCK_MONOTONIC);
        cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        qsort(wall, (size_t)saves, sizeof(double), cmp_double);
        /* The last value must be on the server: read it through a new object. */
        lxd_obj *o = NULL;
        char *got = NULL, want[80];
        if ((st = lxd_container_get(c, name, &o)) != LXD_OK)
            die("lxd_container_get", st);
        if ((st = lxd_obj_get(o, "config", &got)) != LXD_OK)
            die("lxd_obj_get config", st);
        snprintf(want, sizeof want, "\"user.bench\":\"%s\"", value);
        if (!strstr(got, want)) {
            fprintf(stderr, "bench_liblxd: after the saves the config is %s, without %s\n", got, want);
            exit(1);
        }
        lxd_string_free(got);
        lxd_obj_free(o);
        printf("save_n %d\n", saves);
        printf("save_wall_ms %.3f\n", (w1 - w0) / saves * 1e3);
        printf("save_wall_p50_ms %.3f\n", wall[saves / 2] * 1e3);
        printf("save_cpu_ms %.3f\n", (cpu1 - cpu0) / saves * 1e3);
        free(wall);
    }

    lxd_client_free(c);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}
