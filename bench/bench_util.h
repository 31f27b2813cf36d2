/* Helpers shared by the C bench programs (bench_liblxd.c, bench_all.c,
 * bench_scale.c). A program defines BENCH_PROG (its name, for messages)
 * before including this. */
#ifndef LIBLXD_BENCH_UTIL_H
#define LIBLXD_BENCH_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lxd.h"

#ifndef BENCH_PROG
#define BENCH_PROG "bench"
#endif

/* Monotonic wall time and the process's CPU time (all threads), seconds. */
static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The integer in environment variable `name`, `def` when unset or empty. */
static inline int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), -1 if missing. */
static inline long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = atol(line + n + 1);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

/* Say which call failed, with liblxd's status and message, and exit 1. */
static inline void fail(const char *what, lxd_status st)
{
    fprintf(stderr, BENCH_PROG ": %s: %s: %s\n", what, lxd_status_name(st), lxd_last_error_message());
    exit(1);
}

#define CHECK(call)                      \
    do {                                 \
        lxd_status st_ = (call);         \
        if (st_ != LXD_OK)               \
            fail(#call, st_);            \
    } while (0)

/* `config` (a JSON object as liblxd gives it: compact, string values) with
 * "user.bench" set to `value`: an existing "user.bench" member is dropped
 * and the new one put first. `value` holds no quote or backslash, nor does
 * any earlier value of user.bench (this program wrote them). Free the
 * result with free(). */
static inline char *with_bench_key(const char *config, const char *value)
{
    static const char key[] = "\"user.bench\":\"";
    size_t n = strlen(config);
    char *rest = malloc(n + 1);
    if (!rest || config[0] != '{')
        return NULL;
    strcpy(rest, config + 1); /* the members and the closing brace */
    char *old = strstr(rest, key);
    if (old) {
        char *end = strchr(old + sizeof key - 1, '"');
        if (!end)
            return NULL;
        end++;
        if (*end == ',')
            end++;              /* drop the comma after it ... */
        else if (old > rest && old[-1] == ',')
            old--;              /* ... or, for the last member, the one before */
        memmove(old, end, strlen(end) + 1);
    }
    size_t len = n + strlen(value) + sizeof key + 8;
    char *out = malloc(len);
    if (!out)
        return NULL;
    snprintf(out, len, "{%s%s\"%s%s", key, value, strcmp(rest, "}") ? "," : "", rest);
    free(rest);
    return out;
}

#endif
