/*
 * liblxd side of the streaming benchmark (see bench/README.md; run via
 * bench/run-stream.sh), and the timer for the `lxc` command.
 *
 *   bench_stream exec  NAME CALLS
 *       CALLS times lxd_instance_exec(NAME, ["true"], no options, no stdin)
 *       after WARMUP calls; each must exit 0. Wall time per call (mean and
 *       median, CLOCK_MONOTONIC) and process CPU time per call
 *       (CLOCK_PROCESS_CPUTIME_ID, all threads).
 *   bench_stream stdin NAME FILE CALLS
 *       CALLS times lxd_instance_exec(NAME, ["md5sum"]) with the content of
 *       FILE as stdin (a command that answers only at end of file), after
 *       one warm-up call; prints the digest once (run-stream.sh checks it)
 *       and stdin_wall_ms / stdin_wall_p50_ms / stdin_cpu_ms per call.
 *   bench_stream files NAME LOCAL REMOTE PULLED
 *       one lxd_instance_file_push(LOCAL -> REMOTE), then one
 *       lxd_instance_file_pull(REMOTE -> PULLED): wall and process CPU time
 *       of each call. run-stream.sh checks both results with cmp.
 *   bench_stream push  NAME LOCAL REMOTE
 *       only one push, then the process's peak RSS (getrusage ru_maxrss).
 *   bench_stream spawn KEY CALLS WARMUP -- COMMAND [ARG...]
 *       runs COMMAND (stdin /dev/null, or the file $BENCH_SPAWN_STDIN names;
 *       stdout /dev/null, stderr inherited) WARMUP
 *       times untimed, then CALLS times, one process after the other; wall
 *       time per run from spawn to exit (KEY_wall_ms: mean, KEY_wall_p50_ms:
 *       median) and the CPU time of those processes per run (KEY_cpu_ms,
 *       RUSAGE_CHILDREN). Each run must exit 0. Times `lxc exec`,
 *       `lxc file push` and `lxc file pull` under the same keys as above.
 *
 * The liblxd modes connect with lxd_client_new($BENCH_LXD_ENDPOINT,
 * $BENCH_LXD_OPTIONS), both unset by default: the local unix socket.
 * Prints one "key value" line per figure; bench/bench_stream_pylxd.py prints
 * the same keys for pylxd. Exits non-zero on any error (message on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lxd.h"

#define WARMUP 3

extern char **environ;

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, lxd_status st)
{
    fprintf(stderr, "bench_stream: %s: %s: %s\n", what, lxd_status_name(st),
            lxd_last_error_message());
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double cpu_of(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static lxd_obj *open_instance(const char *name, lxd_client **client)
{
    const char *endpoint = getenv("BENCH_LXD_ENDPOINT");
    const char *options = getenv("BENCH_LXD_OPTIONS");
    if (endpoint && !*endpoint)
        endpoint = NULL;
    if (options && !*options)
        options = NULL;
    lxd_status st = lxd_client_new(endpoint, options, client);
    if (st != LXD_OK)
        die("lxd_client_new", st);
    lxd_obj *o = NULL;
    if ((st = lxd_instance_get(*client, name, &o)) != LXD_OK)
        die("lxd_instance_get", st);
    printf("impl liblxd\n");
    printf("version %s\n", lxd_version());
    printf("endpoint %s\n", endpoint ? endpoint : "unix-socket");
    return o;
}

static void one_exec(lxd_obj *o)
{
    lxd_exec_result *r = NULL;
    lxd_status st = lxd_instance_exec(o, "[\"true\"]", NULL, NULL, 0, &r);
    if (st != LXD_OK)
        die("lxd_instance_exec [\"true\"]", st);
    int code = lxd_exec_result_exit_code(r);
    lxd_exec_result_free(r);
    if (code != 0) {
        fprintf(stderr, "bench_stream: exec [\"true\"] exited %d\n", code);
        exit(1);
    }
}

static int do_exec(const char *name, int calls)
{
    lxd_client *c = NULL;
    lxd_obj *o = open_instance(name, &c);
    for (int i = 0; i < WARMUP; i++)
        one_exec(o);
    double *wall = malloc(sizeof(double) * (size_t)calls);
    if (!wall)
        return 1;
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < calls; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        one_exec(o);
        wall[i] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    printf("exec_n %d\n", calls);
    printf("exec_wall_ms %.2f\n", (w1 - w0) / calls * 1e3);
    printf("exec_wall_p50_ms %.2f\n", median(wall, calls) * 1e3);
    printf("exec_cpu_ms %.3f\n", (cpu1 - cpu0) / calls * 1e3);
    printf("exec_errors 0\n"); /* any error ends the run instead */
    free(wall);
    lxd_obj_free(o);
    lxd_client_free(c);
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        exit(1);
    *len = n;
    return buf;
}

static void one_md5(lxd_obj *o, const char *data, size_t len, int print)
{
    lxd_exec_result *r = NULL;
    lxd_status st = lxd_instance_exec(o, "[\"md5sum\"]", NULL, (const uint8_t *)data, len, &r);
    if (st != LXD_OK)
        die("lxd_instance_exec [\"md5sum\"] with stdin", st);
    if (lxd_exec_result_exit_code(r) != 0) {
        fprintf(stderr, "bench_stream: md5sum exited %d\n", lxd_exec_result_exit_code(r));
        exit(1);
    }
    size_t n = 0;
    const uint8_t *out = lxd_exec_result_stdout(r, &n);
    if (print)
        printf("stdin_md5 %.32s\n", (const char *)out);
    lxd_exec_result_free(r);
}

static int do_stdin(const char *name, const char *file, int calls)
{
    lxd_client *c = NULL;
    lxd_obj *o = open_instance(name, &c);
    size_t len = 0;
    char *data = read_all(file, &len);
    one_md5(o, data, len, 1);
    double *wall = malloc(sizeof(double) * (size_t)calls);
    if (!wall)
        return 1;
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < calls; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        one_md5(o, data, len, 0);
        wall[i] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    printf("stdin_n %d\n", calls);
    printf("stdin_wall_ms %.2f\n", (w1 - w0) / calls * 1e3);
    printf("stdin_wall_p50_ms %.2f\n", median(wall, calls) * 1e3);
    printf("stdin_cpu_ms %.3f\n", (cpu1 - cpu0) / calls * 1e3);
    free(wall);
    free(data);
    lxd_obj_free(o);
    lxd_client_free(c);
    return 0;
}

static long long file_size(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        perror(path);
        exit(1);
    }
    return (long long)sb.st_size;
}

static void timed_push(lxd_obj *o, const char *local, const char *remote)
{
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t = now_s(CLOCK_MONOTONIC);
    lxd_status st = lxd_instance_file_push(o, local, remote, NULL, NULL, NULL);
    if (st != LXD_OK)
        die("lxd_instance_file_push", st);
    double w = now_s(CLOCK_MONOTONIC) - t, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    printf("push_wall_ms %.1f\n", w * 1e3);
    printf("push_cpu_ms %.1f\n", cpu * 1e3);
}

static int do_files(const char *name, const char *local, const char *remote, const char *pulled)
{
    lxd_client *c = NULL;
    lxd_obj *o = open_instance(name, &c);
    printf("file_bytes %lld\n", file_size(local));
    timed_push(o, local, remote);
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t = now_s(CLOCK_MONOTONIC);
    lxd_status st = lxd_instance_file_pull(o, remote, pulled, NULL, NULL);
    if (st != LXD_OK)
        die("lxd_instance_file_pull", st);
    double w = now_s(CLOCK_MONOTONIC) - t, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    printf("pull_wall_ms %.1f\n", w * 1e3);
    printf("pull_cpu_ms %.1f\n", cpu * 1e3);
    lxd_obj_free(o);
    lxd_client_free(c);
    return 0;
}

static int do_push(const char *name, const char *local, const char *remote)
{
    lxd_client *c = NULL;
    lxd_obj *o = open_instance(name, &c);
    printf("file_bytes %lld\n", file_size(local));
    timed_push(o, local, remote);
    lxd_obj_free(o);
    lxd_client_free(c);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}

static void spawn_once(char **argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const char *in = getenv("BENCH_SPAWN_STDIN");
    posix_spawn_file_actions_addopen(&fa, 0, in && *in ? in : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_stream: cannot run %s: %s\n", argv[0], strerror(rc));
        exit(1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        exit(1);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_stream: %s ... failed (status %d)\n", argv[0], status);
        exit(1);
    }
}

static int do_spawn(const char *key, int calls, int warmup, char **argv)
{
    printf("impl lxc\n");
    for (int i = 0; i < warmup; i++)
        spawn_once(argv);
    double *wall = malloc(sizeof(double) * (size_t)calls);
    if (!wall)
        return 1;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_CHILDREN, &ru0);
    double w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < calls; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        spawn_once(argv);
        wall[i] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC);
    getrusage(RUSAGE_CHILDREN, &ru1);
    printf("%s_n %d\n", key, calls);
    printf("%s_wall_ms %.2f\n", key, (w1 - w0) / calls * 1e3);
    printf("%s_wall_p50_ms %.2f\n", key, median(wall, calls) * 1e3);
    printf("%s_cpu_ms %.3f\n", key, (cpu_of(&ru1) - cpu_of(&ru0)) / calls * 1e3);
    printf("%s_errors 0\n", key); /* a failed run ends the program instead */
    free(wall);
    return 0;
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s exec NAME CALLS\n"
            "       %s stdin NAME FILE CALLS\n"
            "       %s files NAME LOCAL REMOTE PULLED\n"
            "       %s push NAME LOCAL REMOTE\n"
            "       %s spawn KEY CALLS WARMUP -- COMMAND [ARG...]\n",
            argv0, argv0, argv0, argv0, argv0);
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage(argv[0]);
    const char *mode = argv[1];
    if (strcmp(mode, "exec") == 0 && argc == 4) {
        int calls = atoi(argv[3]);
        if (calls < 1)
            return usage(argv[0]);
        return do_exec(argv[2], calls);
    }
    if (strcmp(mode, "stdin") == 0 && argc == 5) {
        int calls = atoi(argv[4]);
        if (calls < 1)
            return usage(argv[0]);
        return do_stdin(argv[2], argv[3], calls);
    }
    if (strcmp(mode, "files") == 0 && argc == 6)
        return do_files(argv[2], argv[3], argv[4], argv[5]);
    if (strcmp(mode, "push") == 0 && argc == 5)
        return do_push(argv[2], argv[3], argv[4]);
    if (strcmp(mode, "spawn") == 0 && argc >= 7 && strcmp(argv[5], "--") == 0) {
        int calls = atoi(argv[3]), warmup = atoi(argv[4]);
        if (calls < 1 || warmup < 0)
            return usage(argv[0]);
        return do_spawn(argv[2], calls, warmup, argv + 6);
    }
    return usage(argv[0]);
}
