/*
 * C side of the bindings benchmark (see bench/README.md, "Bindings"; run via
 * bench/run-bindings.sh). The reference every binding is compared with.
 *
 *   bench NAME GETS EXECS SAVES
 *
 * NAME is a running container. Four workloads, each after warm-up calls:
 *   get        GETS  x lxd_container_get(NAME) + lxd_obj_free
 *   get_config GETS  x the same + lxd_obj_get(o, "config") (JSON text) + free
 *   exec       EXECS x lxd_instance_exec(o, ["true"]), output collected
 *   set_save   SAVES x lxd_obj_set(o, "description", "...") + lxd_obj_save(o, true)
 * For each: <m>_wall_ms (mean), <m>_wall_p50_ms (median, CLOCK_MONOTONIC)
 * and <m>_cpu_ms (process CPU per call over the loop,
 * CLOCK_PROCESS_CPUTIME_ID, all threads). Every program under
 * bench/bindings/ prints the same keys.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <lxd.h>

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, lxd_status st)
{
    fprintf(stderr, "bench.c: %s: %s: %s\n", what, lxd_status_name(st), lxd_last_error_message());
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static lxd_client *client;
static const char *name;
static lxd_obj *inst; /* one object for exec and set_save */
static int counter;

static void op_get(void)
{
    lxd_obj *o = NULL;
    lxd_status st = lxd_container_get(client, name, &o);
    if (st != LXD_OK)
        die("lxd_container_get", st);
    lxd_obj_free(o);
}

static void op_get_config(void)
{
    lxd_obj *o = NULL;
    char *config = NULL;
    lxd_status st = lxd_container_get(client, name, &o);
    if (st != LXD_OK)
        die("lxd_container_get", st);
    if ((st = lxd_obj_get(o, "config", &config)) != LXD_OK)
        die("lxd_obj_get config", st);
    if (config[0] != '{') {
        fprintf(stderr, "bench.c: config is not a map: %s\n", config);
        exit(1);
    }
    lxd_string_free(config);
    lxd_obj_free(o);
}

static void op_exec(void)
{
    lxd_exec_result *r = NULL;
    size_t out_len = 0, err_len = 0;
    lxd_status st = lxd_instance_exec(inst, "[\"true\"]", NULL, NULL, 0, &r);
    if (st != LXD_OK)
        die("lxd_instance_exec [\"true\"]", st);
    int code = lxd_exec_result_exit_code(r);
    (void)lxd_exec_result_stdout(r, &out_len);
    (void)lxd_exec_result_stderr(r, &err_len);
    lxd_exec_result_free(r);
    if (code != 0) {
        fprintf(stderr, "bench.c: exec [\"true\"] exited %d\n", code);
        exit(1);
    }
}

static void op_set_save(void)
{
    char value[64];
    snprintf(value, sizeof value, "\"lxdt-bench %d\"", ++counter);
    lxd_status st = lxd_obj_set(inst, "description", value);
    if (st != LXD_OK)
        die("lxd_obj_set description", st);
    if ((st = lxd_obj_save(inst, true)) != LXD_OK)
        die("lxd_obj_save", st);
}

static void measure(const char *key, void (*op)(void), int warmup, int n)
{
    for (int i = 0; i < warmup; i++)
        op();
    double *wall = malloc(sizeof(double) * (size_t)n);
    if (!wall)
        exit(1);
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        op();
        wall[i] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    qsort(wall, (size_t)n, sizeof(double), cmp_double);
    double p50 = n % 2 ? wall[n / 2] : (wall[n / 2 - 1] + wall[n / 2]) / 2;
    printf("%s_n %d\n", key, n);
    printf("%s_wall_ms %.3f\n", key, (w1 - w0) / n * 1e3);
    printf("%s_wall_p50_ms %.3f\n", key, p50 * 1e3);
    printf("%s_cpu_ms %.4f\n", key, (cpu1 - cpu0) / n * 1e3);
    fflush(stdout);
    free(wall);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s NAME GETS EXECS SAVES\n", argv[0]);
        return 2;
    }
    name = argv[1];
    int gets = atoi(argv[2]), execs = atoi(argv[3]), saves = atoi(argv[4]);
    if (gets < 1 || execs < 1 || saves < 1) {
        fprintf(stderr, "bench.c: counts must be >= 1\n");
        return 2;
    }
    printf("impl c\n");
    printf("version %s\n", lxd_version());

    lxd_status st = lxd_client_new(NULL, NULL, &client);
    if (st != LXD_OK)
        die("lxd_client_new", st);
    if ((st = lxd_container_get(client, name, &inst)) != LXD_OK)
        die("lxd_container_get", st);

    measure("get", op_get, 5, gets);
    measure("get_config", op_get_config, 5, gets);
    measure("exec", op_exec, 3, execs);
    measure("set_save", op_set_save, 3, saves);

    lxd_obj_free(inst);
    lxd_client_free(client);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}
