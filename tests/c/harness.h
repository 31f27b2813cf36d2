/* A tiny test harness for liblxd's C integration tests.
 *
 * Each test file defines its tests with TEST(name) and ends with
 * T_MAIN(name, name, ...). The program runs every test (or those whose name
 * contains argv[1]); after each test, pass or fail, it frees the resources
 * the test handed to t_keep_* and then runs its registered cleanups, and
 * prints "ok"/"FAIL" lines and a closing "N passed, N failed". */
#ifndef LXD_TEST_HARNESS_H
#define LXD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lxd.h"

typedef void (*t_fn)(void);

struct t_case {
    const char *name;
    t_fn fn;
};

/* Record a failure of the running test (the macros below call this). */
void t_fail(const char *file, int line, const char *fmt, ...);
/* Whether the running test has failed so far. */
bool t_failed(void);

/* A name unique to this run: "lxdt-<prefix>-<pid>-<n>". Static buffer ring;
 * copy it if you need it long. */
const char *t_unique(const char *prefix);

/* Run a shell command after the running test ends, pass or fail (LIFO). */
void t_cleanup(const char *fmt, ...);
/* Run a shell command now; returns its exit status (-1 if it could not run). */
int t_sh(const char *fmt, ...);
/* Run a shell command and return its stdout (trailing newline stripped) in
 * a static buffer; NULL if it failed. An `lxc exec` of a read-only program
 * that printed nothing is run again (see harness.c). */
const char *t_sh_out(const char *fmt, ...);

/* The shared client (created on first use): on the local unix socket, or,
 * when LIBLXD_TEST_TRANSPORT=https, over HTTPS to 127.0.0.1:8443 with a
 * client certificate made and trusted for this process (untrusted again at
 * exit) and LXD's server certificate pinned. */
lxd_client *t_client(void);
/* A client of its own, as t_client's (same transport and, over HTTPS, the
 * same certificate); free it with lxd_client_free. */
lxd_status t_client_new(lxd_client **out);
/* Whether this run uses HTTPS (LIBLXD_TEST_TRANSPORT=https). */
bool t_https(void);

/* Read attribute `attr` of `obj` as JSON into a static buffer ring; NULL on error. */
const char *t_get(lxd_obj *obj, const char *attr);

/* jq -r FILTER applied to the JSON text `json` (written to a temporary
 * file; FILTER must not hold a single quote): its output, trailing newline stripped, in
 * the static buffer of t_sh_out; NULL if jq failed. */
const char *t_jq(const char *json, const char *filter);
/* lxd_kind_info(kind) (freed after the test); NULL on error. */
const char *t_kind_info(lxd_kind kind);
/* The kind's parent kind from lxd_kind_info ("parent"), or -1 for a
 * top-level kind (and -2 when the kind cannot be described). */
int t_kind_parent(lxd_kind kind);

/* Strings compare; NULL-safe. */
bool t_streq(const char *a, const char *b);
/* Whether haystack contains needle; NULL-safe. */
bool t_contains(const char *haystack, const char *needle);
/* The same, ignoring case. */
bool t_icontains(const char *haystack, const char *needle);

/* ---- resources freed after the running test, pass or fail (LIFO) -------
 * Each returns its argument (NULL is accepted and ignored). */
lxd_obj *t_keep_obj(lxd_obj *o);             /* lxd_obj_free */
lxd_list *t_keep_list(lxd_list *l);          /* lxd_list_free */
char *t_keep_str(char *s);                   /* lxd_string_free */
void *t_keep_mem(void *p);                   /* free */
lxd_client *t_keep_client(lxd_client *c);    /* lxd_client_free */
lxd_events *t_keep_events(lxd_events *e);    /* lxd_events_free */
lxd_exec_result *t_keep_exec_result(lxd_exec_result *r); /* lxd_exec_result_free */
lxd_exec_session *t_keep_session(lxd_exec_session *s);   /* lxd_exec_session_free */
uint8_t *t_keep_bytes(uint8_t *b);           /* lxd_bytes_free */

/* printf into a heap string freed after the test. */
char *t_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A copy of s freed after the test; NULL for NULL. */
char *t_dup(const char *s);
/* A JSON object with `member` ("\"k\":\"v\"") added before its closing
 * brace, freed after the test; NULL if obj_json has no closing brace. */
char *t_json_insert(const char *obj_json, const char *member);
/* The element of `l` whose attribute `attr` reads as the JSON string
 * `value`; NULL if none. */
lxd_obj *t_find_in(lxd_list *l, const char *attr, const char *value);

/* Register `lxc delete -f name` as a cleanup, then create container `name`
 * from the image alias "busybox" (waiting) and, if `start`, start it
 * (waiting). *out is kept (t_keep_obj) once created. */
lxd_status t_new_container(const char *name, bool start, lxd_obj **out);

/* ---- parents: objects that children live under -------------------------- */

/* An object of `kind` for children to live under, one per program, made on
 * first use and deleted (with all under it) when the program exits: a
 * stopped busybox container (instances), a dir pool of its own (pools), a
 * custom volume in it (volumes), a bridge on a free 198.51.100.x/28 with NAT
 * and DHCP off (networks: configuration only, no traffic), a DNS zone
 * (zones). NULL, the reason printed, for a kind it cannot make. Not freed by
 * the caller. */
lxd_obj *t_parent(lxd_kind kind);

/* The URL path of t_parent(kind) ("/1.0/storage-pools/P/volumes/custom/V"),
 * or NULL. */
const char *t_parent_path(lxd_kind kind);

/* Host `n` of the t_parent(LXD_KIND_NETWORK) bridge's /28 (1 is the
 * bridge's own address). */
const char *t_bridge_addr(int n);

/* A definition that creates an object of child kind `kind` named `name`
 * under t_parent of its parent kind, *key set to the key it will have (a
 * network forward is keyed by a listen address the harness picks from
 * `n`); NULL for a kind the harness cannot make (a network peer needs
 * OVN). */
const char *t_child_def(lxd_kind kind, const char *name, int n, const char **key);

int t_run(const struct t_case *cases, size_t n, int argc, char **argv);

#define TEST(name) static void name(void)

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
            return;                                                        \
        }                                                                  \
    } while (0)

#define CHECK_MSG(cond, ...)                                               \
    do {                                                                   \
        if (!(cond)) {                                                     \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
            return;                                                        \
        }                                                                  \
    } while (0)

/* Expect a call to return `expected`; on mismatch, report both codes and
 * liblxd's last error message. */
#define CHECK_STATUS(call, expected)                                       \
    do {                                                                   \
        lxd_status t_s_ = (call);                                          \
        if (t_s_ != (expected)) {                                          \
            t_fail(__FILE__, __LINE__, "%s returned %s, expected %s: %s",  \
                   #call, lxd_status_name(t_s_), lxd_status_name(expected),\
                   lxd_last_error_message());                              \
            return;                                                        \
        }                                                                  \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, LXD_OK)

#define CHECK_STREQ(actual, expected)                                      \
    do {                                                                   \
        const char *t_a_ = (actual), *t_e_ = (expected);                   \
        if (!t_streq(t_a_, t_e_)) {                                        \
            t_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"",    \
                   #actual, t_a_ ? t_a_ : "(null)", t_e_ ? t_e_ : "(null)");\
            return;                                                        \
        }                                                                  \
    } while (0)

#define T_CASE(fn) {#fn, fn}
#define T_MAIN(...)                                                        \
    int main(int argc, char **argv) {                                      \
        static const struct t_case cases[] = {__VA_ARGS__};               \
        return t_run(cases, sizeof cases / sizeof cases[0], argc, argv);  \
    }

#endif
