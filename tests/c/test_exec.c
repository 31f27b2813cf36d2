/* Running commands in an instance: collected output (lxd_instance_exec),
 * streamed output (lxd_instance_exec_stream) and terminal sessions
 * (lxd_instance_exec_interactive), against one running busybox container
 * shared by every test of the run (created on first use, deleted at exit). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr, memmem */
#endif
#include "harness.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the shared container ------------------------------------------------ */

static char ctr_name[96];
static lxd_obj *ctr;
static bool ctr_tried;

static void ctr_teardown(void) {
    lxd_obj_free(ctr);
    ctr = NULL;
    if (ctr_name[0]) t_sh("lxc delete -f %s >/dev/null 2>&1", ctr_name);
}

/* The running container every test execs in; NULL (with the reason in
 * lxd_last_error_message) if it could not be made. */
static lxd_obj *box(void) {
    if (ctr_tried) return ctr;
    ctr_tried = true;
    snprintf(ctr_name, sizeof ctr_name, "%s", t_unique("exec"));
    atexit(ctr_teardown);
    char def[256];
    snprintf(def, sizeof def, "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}",
             ctr_name);
    lxd_obj *c = NULL;
    if (lxd_container_create(t_client(), def, true, &c) != LXD_OK) return NULL;
    if (lxd_instance_start(c, -1, false, true) != LXD_OK) {
        lxd_obj_free(c);
        return NULL;
    }
    ctr = c;
    return ctr;
}

#define BOX()                                                              \
    lxd_obj *c = box();                                                    \
    CHECK_MSG(c, "shared container: %s", lxd_last_error_message())

/* ---- running a command, with its outcome copied out ---------------------- */

struct run {
    lxd_status status;
    char message[512];
    int code;
    char *out; /* NUL-terminated copies, freed after the test */
    size_t out_len;
    char *err;
    size_t err_len;
    bool nul_terminated; /* the library's buffers had the promised NUL */
};

static char *copy_bytes(const uint8_t *p, size_t n) {
    char *s = t_keep_mem(malloc(n + 1));
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* lxd_instance_exec; the result's contents are copied into `r` and the
 * result is freed at once. Returns whether the call returned LXD_OK. */
static bool run_in(lxd_obj *c, const char *cmd, const char *opts, const void *in, size_t in_len,
                   struct run *r) {
    memset(r, 0, sizeof *r);
    lxd_exec_result *res = NULL;
    r->status = lxd_instance_exec(c, cmd, opts, in, in_len, &res);
    if (r->status != LXD_OK) {
        snprintf(r->message, sizeof r->message, "%s: %s", lxd_status_name(r->status),
                 lxd_last_error_message());
        r->code = -1;
        return false;
    }
    r->code = lxd_exec_result_exit_code(res);
    size_t olen = (size_t)-1, elen = (size_t)-1;
    const uint8_t *o = lxd_exec_result_stdout(res, &olen);
    const uint8_t *e = lxd_exec_result_stderr(res, &elen);
    r->nul_terminated = o && e && olen != (size_t)-1 && elen != (size_t)-1 && o[olen] == 0 &&
                        e[elen] == 0;
    r->out = copy_bytes(o ? o : (const uint8_t *)"", o ? olen : 0);
    r->out_len = o ? olen : 0;
    r->err = copy_bytes(e ? e : (const uint8_t *)"", e ? elen : 0);
    r->err_len = e ? elen : 0;
    lxd_exec_result_free(res);
    return true;
}

/* Run in the shared container, failing the test if the call is not LXD_OK. */
#define RUN(r, cmd, opts, in, in_len)                                      \
    do {                                                                   \
        BOX();                                                             \
        CHECK_MSG(run_in(c, (cmd), (opts), (in), (in_len), (r)), "exec %s: %s", (cmd), \
                  (r)->message);                                           \
        CHECK_MSG((r)->nul_terminated, "stdout/stderr of %s lack the NUL after the bytes", (cmd)); \
    } while (0)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether `ps` in the shared container no longer lists a process whose line
 * contains `needle`. A killed command may take a moment to be reaped, so
 * this looks up to 20 times, 100 ms apart (a functional wait). */
static bool gone_from_ps(const char *needle) {
    for (int i = 0; i < 20; i++) {
        const char *ps = t_sh_out("lxc exec %s -- ps 2>/dev/null", ctr_name);
        if (ps && strstr(ps, "PID") && !strstr(ps, needle)) return true;
        sleep_ms(100);
    }
    return false;
}

/* Whether ps in the shared container lists `needle` now. */
static bool in_ps(const char *needle) {
    const char *ps = t_sh_out("lxc exec %s -- ps 2>/dev/null", ctr_name);
    return ps && strstr(ps, needle);
}

/* Deterministic pseudo-random bytes (xorshift), with 0x00 and 0xff forced in. */
static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
    if (n >= 4) {
        p[0] = 0x00;
        p[1] = 0xff;
        p[n / 2] = 0x00;
        p[n - 1] = 0xff;
    }
}

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n; /* includes the directory's own descriptor, both times */
}

/* ---- 1-4: output, exit codes, options ------------------------------------- */

TEST(echo_gives_exact_stdout_and_empty_stderr) {
    struct run r;
    RUN(&r, "[\"echo\",\"hello\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d", r.code);
    CHECK_MSG(r.out_len == 6, "stdout length %zu", r.out_len);
    CHECK(memcmp(r.out, "hello\n", 6) == 0);
    CHECK_MSG(r.err_len == 0, "stderr: \"%s\"", r.err);
}

TEST(exit_codes_are_reported_with_lxd_ok) {
    struct run r;
    RUN(&r, "[\"sh\",\"-c\",\"exit 0\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 0, "exit 0 gave %d", r.code);
    RUN(&r, "[\"sh\",\"-c\",\"exit 42\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 42, "exit 42 gave %d", r.code);
    RUN(&r, "[\"false\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 1, "false gave %d", r.code);
}

TEST(stderr_is_kept_apart_from_stdout) {
    struct run r;
    RUN(&r, "[\"sh\",\"-c\",\"echo out; echo err >&2\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d", r.code);
    CHECK_STREQ(r.out, "out\n");
    CHECK_STREQ(r.err, "err\n");
    CHECK(r.out_len == 4 && r.err_len == 4);
}

TEST(environment_and_cwd_are_honoured) {
    struct run r;
    RUN(&r, "[\"sh\",\"-c\",\"echo \\\"$FOO\\\"; pwd\"]",
        "{\"environment\":{\"FOO\":\"bar baz\"},\"cwd\":\"/tmp\"}", NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d, stderr %s", r.code, r.err);
    CHECK_STREQ(r.out, "bar baz\n/tmp\n");
    /* Without options: FOO unset, and the directory is not /tmp. */
    RUN(&r, "[\"sh\",\"-c\",\"echo \\\"[$FOO]\\\"; pwd\"]", NULL, NULL, 0);
    CHECK_MSG(!t_contains(r.out, "bar baz") && !t_contains(r.out, "/tmp"), "stdout %s", r.out);
}

TEST(user_and_group_are_honoured) {
    struct run r;
    RUN(&r, "[\"id\",\"-u\"]", "{\"user\":1000,\"group\":1000}", NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d, stderr %s", r.code, r.err);
    CHECK_STREQ(r.out, "1000\n");
    RUN(&r, "[\"id\",\"-g\"]", "{\"user\":1000,\"group\":1000}", NULL, 0);
    CHECK_STREQ(r.out, "1000\n");
    RUN(&r, "[\"id\",\"-u\"]", NULL, NULL, 0);
    CHECK_STREQ(r.out, "0\n");
}

/* ---- 5-6: binary data both ways ------------------------------------------ */

TEST(one_mib_of_binary_stdout_is_byte_exact) {
    BOX();
    const size_t n = 1024 * 1024;
    uint8_t *data = t_keep_mem(malloc(n));
    CHECK(data);
    fill_random(data, n, 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid());
    CHECK(memchr(data, 0x00, n) && memchr(data, 0xff, n));
    char local[] = "/tmp/lxdt-exec-blob-XXXXXX";
    int fd = mkstemp(local);
    CHECK(fd >= 0);
    t_cleanup("rm -f %s", local);
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fd);
    CHECK(done == n);
    CHECK(t_sh("lxc file push %s %s/tmp/blob >/dev/null", local, ctr_name) == 0);
    struct run r;
    RUN(&r, "[\"cat\",\"/tmp/blob\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d, stderr %s", r.code, r.err);
    CHECK_MSG(r.out_len == n, "stdout length %zu, expected %zu", r.out_len, n);
    CHECK_MSG(memcmp(r.out, data, n) == 0, "stdout differs from the file's bytes");
    CHECK(r.err_len == 0);
}

TEST(stdin_is_delivered_byte_exact_then_eof) {
    const size_t n = 200 * 1024;
    uint8_t *data = t_keep_mem(malloc(n));
    CHECK(data);
    fill_random(data, n, 12345);
    CHECK(memchr(data, 0x00, n) && memchr(data, 0xff, n));
    struct run r;
    RUN(&r, "[\"cat\"]", NULL, data, n);
    CHECK_MSG(r.code == 0, "exit code %d, stderr %s", r.code, r.err);
    CHECK_MSG(r.out_len == n, "stdout length %zu, expected %zu", r.out_len, n);
    CHECK_MSG(memcmp(r.out, data, n) == 0, "cat's output differs from its input");
    /* wc counts what arrived: the same number of bytes. */
    RUN(&r, "[\"wc\",\"-c\"]", NULL, data, n);
    CHECK_MSG(atol(r.out) == (long)n, "wc -c says %s", r.out);
}

TEST(empty_stdin_is_end_of_file) {
    struct run r;
    /* cat would block forever if end of file never came. */
    RUN(&r, "[\"cat\"]", NULL, NULL, 0);
    CHECK_MSG(r.code == 0, "exit code %d", r.code);
    CHECK_MSG(r.out_len == 0 && r.err_len == 0, "stdout \"%s\", stderr \"%s\"", r.out, r.err);
    /* A non-NULL pointer with length 0 is the same. */
    RUN(&r, "[\"cat\"]", NULL, "ignored", 0);
    CHECK(r.code == 0 && r.out_len == 0);
}

/* ---- 7-9: failures, timeout, descriptors ---------------------------------- */

TEST(missing_command_is_not_found_and_out_untouched) {
    BOX();
    lxd_exec_result *sentinel = (lxd_exec_result *)0x1234, *res = sentinel;
    lxd_status s = lxd_instance_exec(c, "[\"no-such-command-xyz\"]", NULL, NULL, 0, &res);
    const char *msg = lxd_last_error_message();
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "%s: %s", lxd_status_name(s), msg);
    CHECK_MSG(t_icontains(msg, "not found"), "message: %s", msg);
    CHECK_MSG(res == sentinel, "out was written on failure");
    /* The stream variant says the same and leaves its exit code alone. */
    int code = -77;
    s = lxd_instance_exec_stream(c, "[\"no-such-command-xyz\"]", NULL, NULL, 0, NULL, NULL, &code);
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "stream: %s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK(code == -77);
    /* The instance is still fine for the next command. */
    struct run r;
    RUN(&r, "[\"true\"]", NULL, NULL, 0);
    CHECK(r.code == 0);
}

TEST(timeout_kills_the_command) {
    BOX();
    CHECK_MSG(gone_from_ps("sleep 30"), "a sleep 30 is running before the test");
    lxd_exec_result *res = NULL;
    lxd_status s = lxd_instance_exec(c, "[\"sleep\",\"30\"]", "{\"timeout_ms\":500}", NULL, 0, &res);
    CHECK_MSG(s == LXD_ERR_TIMEOUT, "%s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK(res == NULL);
    CHECK_MSG(gone_from_ps("sleep 30"), "sleep 30 still runs after the timeout");
    /* A generous timeout lets a quick command finish normally. */
    struct run r;
    RUN(&r, "[\"sh\",\"-c\",\"echo quick\"]", "{\"timeout_ms\":60000}", NULL, 0);
    CHECK_STREQ(r.out, "quick\n");
}

TEST(fifty_execs_leak_no_descriptors) {
    struct run r;
    RUN(&r, "[\"true\"]", NULL, NULL, 0); /* warm-up: the pool's connections */
    int before = count_fds();
    CHECK(before > 0);
    for (int i = 0; i < 50; i++) {
        RUN(&r, "[\"true\"]", NULL, NULL, 0);
        CHECK_MSG(r.code == 0, "run %d: exit code %d", i, r.code);
    }
    int after = count_fds();
    CHECK_MSG(after == before, "%d descriptors open before, %d after 50 execs", before, after);
}

/* ---- 10: streaming --------------------------------------------------------- */

struct rec {
    char out[256], err[256];
    size_t out_len, err_len;
    int calls, bad_stream, stop_after;
};

static void append(char *buf, size_t *len, size_t cap, const uint8_t *d, size_t n) {
    if (*len + n >= cap) n = cap - 1 - *len;
    memcpy(buf + *len, d, n);
    *len += n;
    buf[*len] = 0;
}

static int record_cb(int stream, const uint8_t *data, size_t len, void *ud) {
    struct rec *r = ud;
    r->calls++;
    if (len == 0 || !data) r->bad_stream++;
    if (stream == 1)
        append(r->out, &r->out_len, sizeof r->out, data, len);
    else if (stream == 2)
        append(r->err, &r->err_len, sizeof r->err, data, len);
    else
        r->bad_stream++;
    return r->stop_after && r->calls >= r->stop_after ? 1 : 0;
}

TEST(stream_hands_over_stdout_and_stderr_chunks) {
    BOX();
    struct rec r = {0};
    int code = -77;
    CHECK_OK(lxd_instance_exec_stream(c, "[\"sh\",\"-c\",\"for i in 1 2 3; do echo line$i; done; echo e >&2\"]",
                                      NULL, NULL, 0, record_cb, &r, &code));
    CHECK_MSG(code == 0, "exit code %d", code);
    CHECK_MSG(r.bad_stream == 0, "%d chunks with a bad stream number or no data", r.bad_stream);
    CHECK(r.calls >= 2);
    CHECK_STREQ(r.out, "line1\nline2\nline3\n");
    CHECK_STREQ(r.err, "e\n");
    /* Exit code and stdin pass through the stream variant too. */
    struct rec r2 = {0};
    CHECK_OK(lxd_instance_exec_stream(c, "[\"sh\",\"-c\",\"cat; exit 7\"]", NULL, (const uint8_t *)"abc", 3,
                                      record_cb, &r2, &code));
    CHECK_MSG(code == 7, "exit code %d", code);
    CHECK_STREQ(r2.out, "abc");
    /* A NULL callback discards the output; the exit code still comes. */
    code = -77;
    CHECK_OK(lxd_instance_exec_stream(c, "[\"sh\",\"-c\",\"echo x; exit 5\"]", NULL, NULL, 0, NULL, NULL, &code));
    CHECK(code == 5);
}

TEST(stream_callback_stop_cancels_and_kills) {
    BOX();
    struct rec r = {0};
    r.stop_after = 1;
    int code = -77;
    lxd_status s = lxd_instance_exec_stream(c, "[\"sh\",\"-c\",\"while true; do echo y; done\"]", NULL,
                                            NULL, 0, record_cb, &r, &code);
    CHECK_MSG(s == LXD_ERR_CANCELLED, "%s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(r.calls == 1, "the callback was called %d times after asking to stop", r.calls);
    CHECK(code == -77);
    CHECK_MSG(t_contains(r.out, "y\n"), "first chunk: %s", r.out);
    CHECK_MSG(gone_from_ps("echo y"), "the endless loop still runs after the cancel");
}

/* ---- 10b: stdin to commands that answer only at its end ------------------ */

/* md5sum, wc -c and `cat >/dev/null` print nothing before end of file, so
 * nothing but the library's own feeding moves their stdin along (it once
 * sat waiting for LXD's next ping, 10 s apart, after each chunk). */

/* md5sum's line ("<hex>  -") for the `n` bytes at `data`, computed on this
 * host; NULL on failure. Freed after the test. */
static char *local_md5(const uint8_t *data, size_t n) {
    char path[] = "/tmp/lxdt-exec-md5-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fd);
    char *sum = done == n ? t_dup(t_sh_out("md5sum < %s", path)) : NULL;
    unlink(path);
    return sum;
}

/* Run `cmd` with the `n` bytes at `data` as stdin, through lxd_instance_exec
 * or (stream) lxd_instance_exec_stream; fails the test unless it ends with
 * exit code 0, exactly `want` on stdout and nothing on stderr. */
static void check_answer(lxd_obj *c, bool stream, const char *cmd, const uint8_t *data, size_t n,
                         const char *want) {
    const char *api = stream ? "lxd_instance_exec_stream" : "lxd_instance_exec";
    const uint8_t *in = n ? data : NULL;
    const char *out, *err;
    int code = -77;
    struct run r;
    struct rec rec = {0};
    if (stream) {
        lxd_status s = lxd_instance_exec_stream(c, cmd, NULL, in, n, record_cb, &rec, &code);
        CHECK_MSG(s == LXD_OK, "%s %s, %zu bytes of stdin: %s: %s", api, cmd, n, lxd_status_name(s),
                  lxd_last_error_message());
        CHECK_MSG(rec.bad_stream == 0, "%s %s: %d chunks with a bad stream number or no data", api,
                  cmd, rec.bad_stream);
        out = rec.out;
        err = rec.err;
    } else {
        CHECK_MSG(run_in(c, cmd, NULL, in, n, &r), "%s %s, %zu bytes of stdin: %s", api, cmd, n,
                  r.message);
        out = r.out;
        err = r.err;
        code = r.code;
    }
    CHECK_MSG(code == 0 && t_streq(out, want) && !err[0],
              "%s %s, %zu bytes of stdin: exit code %d, stdout \"%s\" (expected \"%s\"), stderr \"%s\"",
              api, cmd, n, code, out, want, err);
}

static void answers_at_eof(bool stream) {
    BOX();
    static const size_t sizes[] = {0, 5, 64 * 1024 + 1, 1024 * 1024, 8 * 1024 * 1024};
    const size_t max = 8 * 1024 * 1024;
    uint8_t *data = t_keep_mem(malloc(max));
    CHECK(data);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        fill_random(data, n, 0x5eed0000u + i + (stream ? 100 : 0));
        char *md5 = local_md5(data, n);
        CHECK_MSG(md5, "md5sum of %zu bytes on this host failed", n);
        check_answer(c, stream, "[\"md5sum\"]", data, n, t_fmt("%s\n", md5));
        if (t_failed()) return;
        /* The largest size only once: md5sum shows every byte arrived. */
        if (n == max) continue;
        check_answer(c, stream, "[\"wc\",\"-c\"]", data, n, t_fmt("%zu\n", n));
        if (t_failed()) return;
        check_answer(c, stream, "[\"sh\",\"-c\",\"cat >/dev/null; echo ok\"]", data, n, "ok\n");
        if (t_failed()) return;
    }
}

TEST(stdin_reaches_commands_that_answer_only_at_eof) { answers_at_eof(false); }

TEST(stream_stdin_reaches_commands_that_answer_only_at_eof) { answers_at_eof(true); }

/* Five execs of `true` with 8 MiB of stdin, in this (child) process with
 * SIGPIPE at its default action; 0, or 1 after printing why. */
static int unread_stdin_child(const uint8_t *data, size_t n) {
    if (signal(SIGPIPE, SIG_DFL) == SIG_ERR) return 1;
    lxd_client *cl = NULL;
    lxd_obj *c = NULL;
    if (t_client_new(&cl) != LXD_OK || lxd_instance_get(cl, ctr_name, &c) != LXD_OK) {
        printf("    child: no client or instance: %s\n", lxd_last_error_message());
        lxd_client_free(cl);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < 5 && rc == 0; i++) {
        struct run r;
        if (!run_in(c, "[\"true\"]", NULL, data, n, &r) || r.code != 0) {
            printf("    child: exec %d of 5: %s (exit code %d)\n", i + 1, r.message, r.code);
            rc = 1;
        }
    }
    lxd_obj_free(c);
    lxd_client_free(cl);
    return rc;
}

/* A command that exits without reading its stdin: the rest of the input is
 * moot, not an error, and must not raise SIGPIPE, which kills a program
 * that leaves it at its default action, as most C programs do. Over HTTPS
 * it once did: the TLS layer wrote with writev(2), which has no
 * MSG_NOSIGNAL. The execs run in a child process with a client of its own,
 * so that a SIGPIPE fails this test instead of ending the whole run before
 * its clean-up (the container, the HTTPS client's trust). */
TEST(stdin_left_unread_raises_no_sigpipe) {
    BOX();
    const size_t n = 8 * 1024 * 1024;
    uint8_t *data = t_keep_mem(malloc(n));
    CHECK(data);
    fill_random(data, n, 0x51991be);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int rc = unread_stdin_child(data, n);
        fflush(stdout);
        _exit(rc); /* not exit: the atexit clean-up belongs to the parent */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(!WIFSIGNALED(status), "the process doing the execs was killed by signal %d%s",
              WTERMSIG(status), WTERMSIG(status) == SIGPIPE ? " (SIGPIPE)" : "");
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the execs failed (exit status %d; the child's reason is above)", WEXITSTATUS(status));
}

/* ---- 11: interactive sessions ----------------------------------------------- */

/* The checks on a session whose command has ended run on a helper thread
 * with a bound, so that a regression that makes wait or read hang (as they
 * once did: LXD 5.0.2 ends the terminal with an empty text message and only
 * finishes the operation once the client closes its side) fails the test
 * instead of hanging the run; the stuck session is then left to that thread. */

/* What a session whose command ended gives: wait's code (twice), whether
 * reading reached the end of output, and what a write then returns. */
struct after_exit {
    lxd_exec_session *s;
    lxd_status wait1, wait2, read_end, read_again, write_after;
    int code1, code2;
    size_t got_again;
    bool eof;
    bool done;
};

static void *after_exit_thread(void *p) {
    struct after_exit *a = p;
    a->code1 = a->code2 = -77;
    a->wait1 = lxd_exec_session_wait(a->s, 10000, &a->code1);
    a->wait2 = lxd_exec_session_wait(a->s, 0, &a->code2);
    /* Remaining output (e.g. the echoed input), then the end of output. */
    a->read_end = LXD_OK;
    for (int i = 0; i < 100 && !a->eof && a->read_end == LXD_OK; i++) {
        uint8_t buf[512];
        size_t got = 99;
        a->read_end = lxd_exec_session_read(a->s, buf, sizeof buf, 5000, &got);
        a->eof = a->read_end == LXD_OK && got == 0;
    }
    /* It stays at the end of output. */
    uint8_t buf[16];
    a->got_again = 99;
    a->read_again = lxd_exec_session_read(a->s, buf, sizeof buf, 0, &a->got_again);
    a->write_after = lxd_exec_session_write(a->s, (const uint8_t *)"x", 1);
    __atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* Run after_exit_thread on `a`, giving up after 30 s. False if it did not
 * come back: the session then belongs to the stuck thread. */
static bool after_exit_bounded(struct after_exit *a) {
    pthread_t th;
    if (pthread_create(&th, NULL, after_exit_thread, a) != 0) return false;
    for (int i = 0; i < 300 && !__atomic_load_n(&a->done, __ATOMIC_ACQUIRE); i++) sleep_ms(100);
    if (!__atomic_load_n(&a->done, __ATOMIC_ACQUIRE)) {
        pthread_detach(th);
        return false;
    }
    pthread_join(th, NULL);
    return true;
}

/* Checks on a session whose command ended with exit code `want`; frees the
 * session unless it is stuck. */
static void check_after_exit(lxd_exec_session *s, int want) {
    /* On the heap: a stuck thread keeps using it, so it is then never freed. */
    struct after_exit *ap = calloc(1, sizeof *ap);
    if (!ap) lxd_exec_session_free(s);
    CHECK(ap);
    ap->s = s;
    CHECK_MSG(after_exit_bounded(ap), "lxd_exec_session_wait/read did not return within 30 s "
              "after the command ended (timeouts of 10000, 5000 and 0 ms were given)");
    lxd_exec_session_free(s);
    struct after_exit a = *ap;
    free(ap);
    CHECK_MSG(a.wait1 == LXD_OK, "wait: %s", lxd_status_name(a.wait1));
    CHECK_MSG(a.code1 == want, "exit code %d, expected %d", a.code1, want);
    CHECK_MSG(a.wait2 == LXD_OK && a.code2 == want, "second wait: %s, code %d",
              lxd_status_name(a.wait2), a.code2);
    CHECK_MSG(a.eof, "no end of output (last read: %s)", lxd_status_name(a.read_end));
    CHECK_MSG(a.read_again == LXD_OK && a.got_again == 0, "read after the end: %s, got %zu",
              lxd_status_name(a.read_again), a.got_again);
    CHECK_MSG(a.write_after != LXD_OK, "a write to an ended session succeeded");
}

/* Read from the session into acc (NUL-terminated, appended at *len) until
 * it contains `marker`, the output ends, or a read of up to 5 s brought
 * nothing 20 times. Returns whether the marker was seen. */
static bool read_until(lxd_exec_session *s, const char *marker, char *acc, size_t cap, size_t *len,
                       lxd_status *last) {
    *last = LXD_OK;
    int idle = 0;
    for (int i = 0; i < 1000 && !strstr(acc, marker); i++) {
        uint8_t buf[512];
        size_t got = 0;
        *last = lxd_exec_session_read(s, buf, sizeof buf, 5000, &got);
        if (*last == LXD_ERR_TIMEOUT && ++idle < 20) continue;
        if (*last != LXD_OK || got == 0) break;
        append(acc, len, cap, buf, got);
    }
    return strstr(acc, marker) != NULL;
}

/* Send `line` to the session and read until `marker` shows up. */
#define SAY(s, line, marker)                                               \
    do {                                                                   \
        static char acc_[65536];                                           \
        size_t len_ = 0;                                                   \
        lxd_status last_;                                                  \
        acc_[0] = 0;                                                       \
        CHECK_OK(lxd_exec_session_write((s), (const uint8_t *)(line), strlen(line))); \
        CHECK_MSG(read_until((s), (marker), acc_, sizeof acc_, &len_, &last_), \
                  "no \"%s\" after writing \"%s\" (last read: %s); output: %s", (marker), \
                  (line), lxd_status_name(last_), acc_);                   \
    } while (0)

/* Talks to the shell, ending with "exit 3" (unless a check failed). */
static void shell_session_body(lxd_exec_session *s) {
    SAY(s, "echo hi-$((6*7))\n", "hi-42");
    /* The size given at the start, then after a resize. */
    SAY(s, "stty size\n", "24 80");
    CHECK_OK(lxd_exec_session_resize(s, 100, 40));
    SAY(s, "stty size\n", "40 100");
    /* Stdout and stderr both reach the terminal. */
    SAY(s, "echo to-err-$((1+1)) >&2\n", "to-err-2");
    /* Still running: a wait without time times out, and the session stays usable. */
    int code = -77;
    CHECK_STATUS(lxd_exec_session_wait(s, 0, &code), LXD_ERR_TIMEOUT);
    CHECK(code == -77);
    CHECK_STATUS(lxd_exec_session_wait(s, 100, &code), LXD_ERR_TIMEOUT);
    CHECK(code == -77);
    SAY(s, "echo still-$((2*3))\n", "still-6");
    CHECK_OK(lxd_exec_session_write(s, (const uint8_t *)"exit 3\n", 7));
}

TEST(interactive_shell_io_resize_and_exit_code) {
    BOX();
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_exec_interactive(c, "[\"sh\"]", "{\"width\":80,\"height\":24}", &s));
    CHECK(s);
    shell_session_body(s);
    if (t_failed()) {
        lxd_exec_session_free(s);
        return;
    }
    check_after_exit(s, 3);
}

static void quiet_session_body(lxd_exec_session *s) {
    uint8_t buf[64];
    size_t got = 99;
    CHECK_STATUS(lxd_exec_session_read(s, buf, sizeof buf, 0, &got), LXD_ERR_TIMEOUT);
    CHECK_STATUS(lxd_exec_session_read(s, buf, sizeof buf, 200, &got), LXD_ERR_TIMEOUT);
    CHECK(got == 99);
    CHECK(in_ps("sleep 30"));
}

TEST(interactive_read_with_nothing_pending_times_out) {
    BOX();
    CHECK_MSG(gone_from_ps("sleep 30"), "a sleep 30 is running before the test");
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_exec_interactive(c, "[\"sleep\",\"30\"]", NULL, &s));
    quiet_session_body(s);
    /* Freeing a session whose command still runs makes LXD kill it. */
    lxd_exec_session_free(s);
    CHECK_MSG(gone_from_ps("sleep 30"), "sleep 30 survived lxd_exec_session_free");
}

static void signal_session_body(lxd_exec_session *s) {
    CHECK(in_ps("sleep 30"));
    /* Bad signal numbers are refused. */
    CHECK_STATUS(lxd_exec_session_signal(s, 0), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_signal(s, 65), LXD_ERR_INVALID_ARGUMENT);
    CHECK(in_ps("sleep 30"));
    CHECK_OK(lxd_exec_session_signal(s, 15));
    CHECK_MSG(gone_from_ps("sleep 30"), "sleep 30 still runs after SIGTERM");
}

TEST(interactive_signal_terminates_the_command) {
    BOX();
    CHECK_MSG(gone_from_ps("sleep 30"), "a sleep 30 is running before the test");
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_exec_interactive(c, "[\"sleep\",\"30\"]", NULL, &s));
    signal_session_body(s);
    if (t_failed()) {
        lxd_exec_session_free(s);
        return;
    }
    /* LXD reports a command killed by a signal as 128 + the signal (as
     * `lxc exec --force-interactive` shows: 143 for SIGTERM). */
    check_after_exit(s, 128 + 15);
}

/* Read session output into buf (at *len, up to cap) until it ends with
 * `marker` (NULL: until the end of output), or a read fails, or reads of up
 * to 5 s brought nothing 12 times. Returns whether it got there; *last is
 * the last read's status. */
static bool read_to(lxd_exec_session *s, const char *marker, char *buf, size_t cap, size_t *len,
                    lxd_status *last) {
    size_t mlen = marker ? strlen(marker) : 0;
    *last = LXD_OK;
    for (int idle = 0; *len < cap;) {
        if (marker && *len >= mlen && memcmp(buf + *len - mlen, marker, mlen) == 0) return true;
        size_t got = 0, room = cap - *len;
        *last = lxd_exec_session_read(s, (uint8_t *)buf + *len, room < 65536 ? room : 65536, 5000,
                                      &got);
        if (*last == LXD_ERR_TIMEOUT && ++idle < 12) continue;
        if (*last != LXD_OK) return false;
        if (got == 0) return !marker;
        *len += got;
    }
    return false;
}

/* One write of 2 MiB to cat on the terminal: far more output comes back
 * than the pty and the socket hold while the caller, still in the write,
 * cannot read it (such a write once wedged the session until the client's
 * timeout).
 * - The terminal's echo is turned off first: the kernel drops echo the
 *   output has no room for, and slips it into cat's output anywhere, so only
 *   cat's output alone can be checked byte for byte.
 * - The shell then waits for one more line, sent once cat's output has come
 *   whole: LXD 5.0.2 can lose the last output of a terminal command that
 *   exits while it is still in the pty (here the last 5-12 KiB, in about
 *   two runs of five with a plain `exec cat`). */
TEST(interactive_large_write_is_not_stalled_by_unread_output) {
    BOX();
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_exec_interactive(
        c, "[\"sh\",\"-c\",\"stty -echo && echo ready && cat && echo cat-done && read x\"]", NULL,
        &s));
    t_keep_session(s);
    static char hello[4096];
    size_t hello_len = 0;
    lxd_status last;
    CHECK_MSG(read_to(s, "ready\r\n", hello, sizeof hello - 1, &hello_len, &last),
              "no \"ready\" (last read: %s)", lxd_status_name(last));
    hello[hello_len] = 0;
    CHECK_STREQ(hello, "ready\r\n");

    /* Lines of printable bytes (no terminal control characters) shorter than
     * the 4095 bytes a line of a canonical-mode terminal holds. */
    const size_t target = 2 * 1024 * 1024;
    char *in = t_keep_mem(malloc(target + 4096));
    CHECK(in);
    size_t n = 0, lines = 0;
    uint64_t x = 0x2545f4914f6cdd1dULL;
    while (n < target) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t line_len = 1 + (size_t)(x % 3000);
        for (size_t i = 0; i < line_len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            in[n++] = (char)(0x20 + (x >> 24) % 95);
        }
        in[n++] = '\n';
        lines++;
    }
    CHECK_OK(lxd_exec_session_write(s, (const uint8_t *)in, n));
    /* End of file: the EOF character at the start of a line. */
    CHECK_OK(lxd_exec_session_write(s, (const uint8_t *)"\x04", 1));

    /* cat's output: the input with the terminal's \r before each \n. */
    const char *done = "cat-done\r\n";
    const size_t want = n + lines, cap = want + 65536;
    char *out = t_keep_mem(malloc(cap));
    CHECK(out);
    size_t len = 0;
    CHECK_MSG(read_to(s, done, out, cap, &len, &last),
              "no \"cat-done\" (last read: %s) after %zu of %zu bytes", lxd_status_name(last), len,
              want);
    len -= strlen(done);
    CHECK_MSG(len == want, "cat's output has %zu bytes, expected %zu (%zu lines)", len, want, lines);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        bool same = in[i] == '\n' ? out[j] == '\r' && out[j + 1] == '\n' : out[j] == in[i];
        CHECK_MSG(same, "cat's output differs from its input at input byte %zu", i);
        j += in[i] == '\n' ? 2 : 1;
    }

    CHECK_OK(lxd_exec_session_write(s, (const uint8_t *)"\n", 1));
    size_t rest = 0;
    CHECK_MSG(read_to(s, NULL, out, cap, &rest, &last), "no end of output (last read: %s)",
              lxd_status_name(last));
    CHECK_MSG(rest == 0, "%zu bytes of output after cat-done", rest);
    int code = -77;
    CHECK_OK(lxd_exec_session_wait(s, 10000, &code));
    CHECK_MSG(code == 0, "exit code %d", code);
}

/* ---- 12: bad input ----------------------------------------------------------- */

TEST(bad_arguments_are_invalid_argument) {
    BOX();
    lxd_exec_result *sentinel = (lxd_exec_result *)0x99, *res = sentinel;
    const char *ok = "[\"true\"]";
    CHECK_STATUS(lxd_instance_exec(NULL, ok, NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, NULL, NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, "echo hi", NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, "[]", NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, "[1]", NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, "{\"a\":1}", NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{not json", NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "[]", NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"bogus\":1}", NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_MSG(t_contains(lxd_last_error_message(), "bogus"), "message: %s", lxd_last_error_message());
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"user\":-1}", NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"environment\":{\"A\":1}}", NULL, 0, &res),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"timeout_ms\":\"5\"}", NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, NULL, NULL, 5, &res), LXD_ERR_INVALID_ARGUMENT);
    /* A NUL byte would cut an argument, variable or cwd short in the instance. */
    CHECK_STATUS(lxd_instance_exec(c, "[\"echo\",\"a\\u0000b\"]", NULL, NULL, 0, &res),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(strstr(lxd_last_error_message(), "NUL") != NULL);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"environment\":{\"A\":\"x\\u0000y\"}}", NULL, 0, &res),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"environment\":{\"A=B\":\"x\"}}", NULL, 0, &res),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, "{\"cwd\":\"/\\u0000tmp\"}", NULL, 0, &res),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec(c, ok, NULL, NULL, 0, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK_MSG(res == sentinel, "out was written by a failed call");

    int code = -77;
    CHECK_STATUS(lxd_instance_exec_stream(NULL, ok, NULL, NULL, 0, NULL, NULL, &code), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_stream(c, "[", NULL, NULL, 0, NULL, NULL, &code), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_stream(c, ok, NULL, NULL, 3, NULL, NULL, &code), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_stream(c, ok, NULL, NULL, 0, NULL, NULL, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(code == -77);

    lxd_exec_session *ssent = (lxd_exec_session *)0x98, *s = ssent;
    CHECK_STATUS(lxd_instance_exec_interactive(NULL, "[\"sh\"]", NULL, &s), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_interactive(c, NULL, NULL, &s), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_interactive(c, "[]", NULL, &s), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_interactive(c, "[\"sh\"]", "{\"timeout_ms\":100}", &s),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_exec_interactive(c, "[\"sh\"]", NULL, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(s == ssent);

    /* NULL sessions. */
    uint8_t buf[8];
    size_t got = 5;
    CHECK_STATUS(lxd_exec_session_write(NULL, (const uint8_t *)"x", 1), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_read(NULL, buf, sizeof buf, 0, &got), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_resize(NULL, 80, 24), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_signal(NULL, 15), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_wait(NULL, 0, &code), LXD_ERR_INVALID_ARGUMENT);
    CHECK(got == 5 && code == -77);
    lxd_exec_session_free(NULL);

    /* The exec still works after all that. */
    struct run r;
    RUN(&r, "[\"echo\",\"still\"]", NULL, NULL, 0);
    CHECK_STREQ(r.out, "still\n");
}

static void session_bad_args_body(lxd_exec_session *s) {
    uint8_t buf[8];
    size_t got = 5;
    CHECK_STATUS(lxd_exec_session_read(s, NULL, 8, 0, &got), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_read(s, buf, 0, 0, &got), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_read(s, buf, sizeof buf, 0, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_write(s, NULL, 3), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_resize(s, 0, 24), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_exec_session_wait(s, 0, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(got == 5);
    /* The session still works: the terminal echoes the line, then cat
     * writes it back. */
    SAY(s, "ping-1\n", "ping-1\r\nping-1");
}

TEST(session_bad_arguments_leave_it_usable) {
    BOX();
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_exec_interactive(c, "[\"cat\"]", NULL, &s));
    session_bad_args_body(s);
    lxd_exec_session_free(s);
}

TEST(exec_on_a_stopped_container_is_an_error) {
    lxd_obj *stopped = NULL;
    CHECK_OK(t_new_container(t_unique("exec-stopped"), false, &stopped));
    lxd_exec_result *res = (lxd_exec_result *)0x77;
    lxd_status s = lxd_instance_exec(stopped, "[\"true\"]", NULL, NULL, 0, &res);
    CHECK_MSG(s == LXD_ERR_API, "%s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(t_icontains(lxd_last_error_message(), "not running"), "message: %s", lxd_last_error_message());
    CHECK(lxd_last_error_http_status() == 400);
    CHECK(res == (lxd_exec_result *)0x77);
    int code = -77;
    s = lxd_instance_exec_stream(stopped, "[\"true\"]", NULL, NULL, 0, NULL, NULL, &code);
    CHECK_MSG(s == LXD_ERR_API, "stream: %s: %s", lxd_status_name(s), lxd_last_error_message());
    lxd_exec_session *sess = (lxd_exec_session *)0x66;
    s = lxd_instance_exec_interactive(stopped, "[\"sh\"]", NULL, &sess);
    CHECK_MSG(s == LXD_ERR_API, "interactive: %s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK(sess == (lxd_exec_session *)0x66);
}

TEST(exec_on_a_non_instance_is_invalid_argument) {
    lxd_obj *p = NULL;
    CHECK_OK(lxd_profile_get(t_client(), "default", &p));
    t_keep_obj(p);
    lxd_exec_result *res = NULL;
    CHECK_STATUS(lxd_instance_exec(p, "[\"true\"]", NULL, NULL, 0, &res), LXD_ERR_INVALID_ARGUMENT);
    CHECK(res == NULL);
    int code = -77;
    CHECK_STATUS(lxd_instance_exec_stream(p, "[\"true\"]", NULL, NULL, 0, NULL, NULL, &code),
                 LXD_ERR_INVALID_ARGUMENT);
    lxd_exec_session *s = NULL;
    CHECK_STATUS(lxd_instance_exec_interactive(p, "[\"sh\"]", NULL, &s), LXD_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL && code == -77);
}

TEST(result_accessors_accept_null) {
    CHECK(lxd_exec_result_exit_code(NULL) == -1);
    size_t len = 123;
    CHECK(lxd_exec_result_stdout(NULL, &len) == NULL);
    CHECK(len == 0);
    len = 123;
    CHECK(lxd_exec_result_stderr(NULL, &len) == NULL);
    CHECK(len == 0);
    CHECK(lxd_exec_result_stdout(NULL, NULL) == NULL);
    CHECK(lxd_exec_result_stderr(NULL, NULL) == NULL);
    lxd_exec_result_free(NULL);
    /* And a real result read with len NULL. */
    BOX();
    lxd_exec_result *res = NULL;
    CHECK_OK(lxd_instance_exec(c, "[\"echo\",\"abc\"]", NULL, NULL, 0, &res));
    const char *o = (const char *)lxd_exec_result_stdout(res, NULL);
    bool same = t_streq(o, "abc\n");
    lxd_exec_result_free(res);
    CHECK(same);
}

T_MAIN(T_CASE(echo_gives_exact_stdout_and_empty_stderr),
       T_CASE(exit_codes_are_reported_with_lxd_ok),
       T_CASE(stderr_is_kept_apart_from_stdout),
       T_CASE(environment_and_cwd_are_honoured),
       T_CASE(user_and_group_are_honoured),
       T_CASE(one_mib_of_binary_stdout_is_byte_exact),
       T_CASE(stdin_is_delivered_byte_exact_then_eof),
       T_CASE(empty_stdin_is_end_of_file),
       T_CASE(missing_command_is_not_found_and_out_untouched),
       T_CASE(timeout_kills_the_command),
       T_CASE(fifty_execs_leak_no_descriptors),
       T_CASE(stream_hands_over_stdout_and_stderr_chunks),
       T_CASE(stream_callback_stop_cancels_and_kills),
       T_CASE(stdin_reaches_commands_that_answer_only_at_eof),
       T_CASE(stream_stdin_reaches_commands_that_answer_only_at_eof),
       T_CASE(stdin_left_unread_raises_no_sigpipe),
       T_CASE(interactive_shell_io_resize_and_exit_code),
       T_CASE(interactive_read_with_nothing_pending_times_out),
       T_CASE(interactive_signal_terminates_the_command),
       T_CASE(interactive_large_write_is_not_stalled_by_unread_output),
       T_CASE(bad_arguments_are_invalid_argument),
       T_CASE(session_bad_arguments_leave_it_usable),
       T_CASE(exec_on_a_stopped_container_is_an_error),
       T_CASE(exec_on_a_non_instance_is_invalid_argument),
       T_CASE(result_accessors_accept_null))
