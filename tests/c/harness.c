#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

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

const char *t_sh_out(const char *fmt, ...) {
    static char out[65536];
    va_list ap;
    va_start(ap, fmt);
    char *cmd = vformat(fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) return NULL;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return NULL;
    while (n > 0 && out[n - 1] == '\n') out[--n] = 0;
    return out;
}

lxd_client *t_client(void) {
    if (!shared_client) {
        lxd_status s = lxd_client_new(NULL, NULL, &shared_client);
        if (s != LXD_OK) {
            fprintf(stderr, "cannot connect to the local LXD: %s: %s\n", lxd_status_name(s),
                    lxd_last_error_message());
            exit(2);
        }
    }
    return shared_client;
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

bool t_streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

bool t_contains(const char *h, const char *n) { return h && n && strstr(h, n) != NULL; }

int t_run(const struct t_case *cases, size_t n, int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter)) continue;
        current_failed = false;
        cases[i].fn();
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
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
