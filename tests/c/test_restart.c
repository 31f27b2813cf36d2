/* A daemon that crashes, restarts or freezes under liblxd's clients: a
 * private LXD daemon of this test's own (scripts/lxd-private.sh
 * restart-test: LXD_DIR /var/lib/lxd-liblxd-restart-test, HTTPS on
 * 127.0.0.21:8443), killed with SIGKILL and started again, or stopped with
 * SIGSTOP and resumed. The main daemon is never touched, except that the
 * last test starts a container on it (two daemons share the host's
 * lxc/apparmor/cgroup setup).
 *
 * Every scenario runs over the unix socket and over HTTPS (a client
 * certificate made for this run, trusted in the private daemon, and the
 * daemon's certificate pinned), so scripts/test.sh runs this program once.
 * Times are measured with CLOCK_MONOTONIC and printed as "info:" lines.
 *
 * Environment: LIBLXD_PRIVATE_SCRIPT, the path of scripts/lxd-private.sh
 * (default ../../scripts/lxd-private.sh, right when run from build/tests). */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PRIV_NAME "restart-test"
#define PRIV_DIR "/var/lib/lxd-liblxd-restart-test"
#define PRIV_SOCK PRIV_DIR "/unix.socket"
#define PRIV_URL "https://127.0.0.21:8443"
#define PRIV_LXC "LXD_DIR=" PRIV_DIR " lxc"

enum { UNIX, HTTPS, NT };
static const char *const TNAME[NT] = {"unix", "https"};

static struct {
    bool tried, ok;
    char script[1024];
    char dir[64], cert[128], key[128], fp[80];
    char running[96], stopped[96]; /* containers: one running, one stopped */
    long frozen;                   /* a daemon pid sent SIGSTOP, to resume at exit */
    long watchdog;                 /* a shell that resumes it after 30 s regardless */
} env;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The state letter of process `pid` (R, S, T, Z, …), 0 if there is none. */
static char proc_state(long pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* Start the private daemon if it does not answer (after a crash); waits
 * until it is ready. */
static bool start_daemon(void) {
    return t_sh("bash '%s' " PRIV_NAME " start >/dev/null 2>&1", env.script) == 0;
}

static void resume_frozen(void) {
    if (env.frozen > 0) kill((pid_t)env.frozen, SIGCONT);
    env.frozen = 0;
    if (env.watchdog > 0) kill((pid_t)env.watchdog, SIGKILL);
    env.watchdog = 0;
}

static void teardown(void) {
    resume_frozen();
    if (!env.script[0]) return;
    start_daemon();
    if (env.running[0])
        t_sh(PRIV_LXC " delete -f %s %s >/dev/null 2>&1", env.running, env.stopped);
    if (env.fp[0]) t_sh(PRIV_LXC " config trust remove %s >/dev/null 2>&1", env.fp);
    if (env.dir[0]) t_sh("rm -rf '%s'", env.dir);
}

/* Once per run: the private daemon up, a client certificate trusted in it,
 * and two containers. Undone at exit. */
static bool setup(void) {
    if (env.tried) return env.ok;
    env.tried = true;
    atexit(teardown);
    const char *s = getenv("LIBLXD_PRIVATE_SCRIPT");
    snprintf(env.script, sizeof env.script, "%s", s ? s : "../../scripts/lxd-private.sh");
    if (t_sh("bash '%s' " PRIV_NAME " >/dev/null", env.script) != 0) {
        printf("    scripts/lxd-private.sh " PRIV_NAME " failed\n");
        return false;
    }
    strcpy(env.dir, "/tmp/lxdt-restart-XXXXXX");
    if (!mkdtemp(env.dir)) {
        env.dir[0] = 0;
        return false;
    }
    snprintf(env.cert, sizeof env.cert, "%s/cert.pem", env.dir);
    snprintf(env.key, sizeof env.key, "%s/key.pem", env.dir);
    if (t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 "
             "-subj /CN=liblxd-restart-test -keyout '%s' -out '%s' >/dev/null 2>&1",
             env.key, env.cert) != 0)
        return false;
    const char *fp = t_sh_out("openssl x509 -in '%s' -noout -fingerprint -sha256 | "
                              "sed 's/.*=//; s/://g' | tr A-F a-f", env.cert);
    if (!fp || strlen(fp) != 64) return false;
    snprintf(env.fp, sizeof env.fp, "%s", fp);
    if (t_sh(PRIV_LXC " config trust add '%s' --name %s >/dev/null", env.cert,
             t_unique("trust")) != 0)
        return false;
    snprintf(env.running, sizeof env.running, "%s", t_unique("rs"));
    snprintf(env.stopped, sizeof env.stopped, "%s", t_unique("rs"));
    if (t_sh(PRIV_LXC " launch busybox %s >/dev/null 2>&1", env.running) != 0 ||
        t_sh(PRIV_LXC " init busybox %s >/dev/null 2>&1", env.stopped) != 0) {
        printf("    cannot make the containers in the private daemon\n");
        return false;
    }
    env.ok = true;
    return true;
}

/* A client of the private daemon over transport `t`, with extra options
 * (`"timeout_ms":1000`) or none. */
static lxd_status priv_client(int t, const char *extra, lxd_client **out) {
    char opts[1024];
    const char *sep = extra ? "," : "";
    if (!extra) extra = "";
    if (t == HTTPS)
        snprintf(opts, sizeof opts,
                 "{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"" PRIV_DIR
                 "/server.crt\"%s%s}",
                 env.cert, env.key, sep, extra);
    else
        snprintf(opts, sizeof opts, "{%s}", extra);
    return lxd_client_new(t == HTTPS ? PRIV_URL : PRIV_SOCK, opts, out);
}

/* The daemon's pid as the client reads it now (environment.server_pid);
 * -1 on error. */
static long server_pid(lxd_client *c) {
    char *info = NULL;
    if (lxd_client_host_info(c, &info) != LXD_OK) return -1;
    const char *p = strstr(info, "\"server_pid\":");
    long pid = p ? strtol(p + strlen("\"server_pid\":"), NULL, 10) : -1;
    lxd_string_free(info);
    return pid;
}

/* Start `command` (a JSON array) in the running container without waiting;
 * its operation id goes to id. */
static lxd_status start_exec(lxd_client *c, const char *command, char id[80]) {
    char *path = t_fmt("/1.0/instances/%s/exec", env.running);
    char *body = t_fmt("{\"command\":%s,\"record-output\":true,\"wait-for-websocket\":false,"
                       "\"interactive\":false}",
                       command);
    char *resp = NULL;
    lxd_status s = lxd_api(c, "POST", path, body, &resp);
    if (s != LXD_OK) return s;
    const char *p = strstr(resp, "\"/1.0/operations/");
    size_t n = p ? strcspn(p + 17, "\"?") : 0;
    if (!p || n == 0 || n >= 80) {
        lxd_string_free(resp);
        return LXD_ERR_PROTOCOL;
    }
    memcpy(id, p + 17, n);
    id[n] = 0;
    lxd_string_free(resp);
    return LXD_OK;
}

/* kill -9 the daemon and wait until it is gone (or a zombie). */
static bool crash(long pid) {
    if (kill((pid_t)pid, SIGKILL) != 0) return false;
    for (int i = 0; i < 500; i++) {
        char st = proc_state(pid);
        if (st == 0 || st == 'Z' || st == 'X') return true;
        usleep(10000);
    }
    return false;
}

/* ---- a wait or a call on a thread of its own, timed ----------------------- */

enum call_kind { OP_WAIT, HOST_INFO, START_WAIT };

struct call {
    enum call_kind kind;
    int t;
    int timeout_s; /* OP_WAIT */
    lxd_client *client;
    lxd_obj *obj;
    pthread_t th;
    bool started;
    int done; /* atomic */
    lxd_status st;
    double begin, end;
    char msg[512];
};

static void *call_main(void *arg) {
    struct call *c = arg;
    c->begin = now_s();
    char *info = NULL;
    switch (c->kind) {
    case OP_WAIT: c->st = lxd_operation_wait(c->obj, c->timeout_s); break;
    case HOST_INFO:
        c->st = lxd_client_host_info(c->client, &info);
        lxd_string_free(info);
        break;
    case START_WAIT: c->st = lxd_instance_start(c->obj, -1, false, true); break;
    }
    c->end = now_s();
    snprintf(c->msg, sizeof c->msg, "%s", c->st == LXD_OK ? "" : lxd_last_error_message());
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static bool call_start(struct call *c) {
    c->started = pthread_create(&c->th, NULL, call_main, c) == 0;
    return c->started;
}

static bool call_done(struct call *c) { return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE); }

/* Wait until the call ends, up to `limit_s` seconds. */
static bool call_wait(struct call *c, double limit_s) {
    double until = now_s() + limit_s;
    while (!call_done(c) && now_s() < until) usleep(5000);
    return call_done(c);
}

/* Join the thread if it ended within `limit_s`; false (and the thread left
 * running, its objects not to be freed) otherwise. */
static bool call_join(struct call *c, double limit_s) {
    if (!c->started) return true;
    if (!call_wait(c, limit_s)) return false;
    pthread_join(c->th, NULL);
    c->started = false;
    return true;
}

/* ---- listener callback --------------------------------------------------- */

struct heard {
    pthread_mutex_t mu;
    int events;
    lxd_status err;
    double err_at;
    char msg[512];
};

static int on_event(lxd_status st, const char *json, void *user_data) {
    struct heard *h = user_data;
    pthread_mutex_lock(&h->mu);
    if (st == LXD_OK) {
        h->events++;
    } else if (h->err == LXD_OK) {
        h->err = st;
        h->err_at = now_s();
        snprintf(h->msg, sizeof h->msg, "%s", json ? json : "(null)");
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

static lxd_status heard_err(struct heard *h, double *at) {
    pthread_mutex_lock(&h->mu);
    lxd_status s = h->err;
    *at = h->err_at;
    pthread_mutex_unlock(&h->mu);
    return s;
}

/* ---- 1. crash (kill -9) and restart -------------------------------------- */

struct crash {
    lxd_client *idle[NT], *work[NT];
    lxd_obj *op[NT], *fresh[NT];
    struct call wait[NT];
    lxd_events *ev[NT];
    lxd_events_listener *listener[NT];
    struct heard heard[NT];
};

static bool still(lxd_status s, lxd_status a, lxd_status b, lxd_status c) {
    return s == a || s == b || s == c;
}

static void crash_body(struct crash *x) {
    CHECK(setup());
    long pid = -1;
    /* Idle clients: one call each, then nothing until after the restart. */
    for (int t = 0; t < NT; t++) {
        CHECK_OK(priv_client(t, NULL, &x->idle[t]));
        long p = server_pid(x->idle[t]);
        CHECK_MSG(p > 0, "no server_pid over %s: %s", TNAME[t], lxd_last_error_message());
        CHECK_MSG(pid < 0 || p == pid, "two pids: %ld and %ld", pid, p);
        pid = p;
        lxd_obj *o = NULL;
        CHECK_OK(lxd_get(x->idle[t], LXD_KIND_INSTANCE, env.running, &o));
        lxd_obj_free(o);
    }
    /* Working clients: a long operation, two handles on it (one waited on
     * by a thread, one never waited on), an event stream and a listener. */
    for (int t = 0; t < NT; t++) {
        CHECK_OK(priv_client(t, NULL, &x->work[t]));
        char id[80];
        CHECK_OK(start_exec(x->work[t], "[\"sleep\",\"30\"]", id));
        CHECK_OK(lxd_operation_get(x->work[t], id, &x->op[t]));
        CHECK_OK(lxd_operation_get(x->work[t], id, &x->fresh[t]));
        CHECK_OK(lxd_events_open(x->work[t], NULL, &x->ev[t]));
        CHECK_OK(lxd_events_listen(x->work[t], NULL, on_event, &x->heard[t], &x->listener[t]));
        x->wait[t] = (struct call){.kind = OP_WAIT, .t = t, .obj = x->op[t],
                                   .timeout_s = t == UNIX ? -1 : 60};
        CHECK(call_start(&x->wait[t]));
    }
    usleep(500 * 1000);
    for (int t = 0; t < NT; t++)
        CHECK_MSG(!call_done(&x->wait[t]), "the wait over %s ended before the crash: %s: %s",
                  TNAME[t], lxd_status_name(x->wait[t].st), x->wait[t].msg);

    double t0 = now_s();
    CHECK_MSG(crash(pid), "kill -9 %ld did not end the daemon", pid);

    /* The waits in progress end at once, with a clear code. */
    for (int t = 0; t < NT; t++) {
        struct call *w = &x->wait[t];
        CHECK_MSG(call_wait(w, 10), "lxd_operation_wait(op, %d) over %s still waits 10 s after "
                                    "the daemon died",
                  w->timeout_s, TNAME[t]);
        printf("    info: %s: lxd_operation_wait(op, %d) in progress ended %.3f s after kill -9: "
               "%s: %s\n",
               TNAME[t], w->timeout_s, w->end - t0, lxd_status_name(w->st), w->msg);
        CHECK_MSG(still(w->st, LXD_ERR_CONNECTION, LXD_ERR_OPERATION_LOST, LXD_ERR_TIMEOUT),
                  "the wait over %s ended with %s: %s", TNAME[t], lxd_status_name(w->st), w->msg);
        CHECK_MSG(w->end - t0 < 3.0, "the wait over %s took %.2f s to notice", TNAME[t],
                  w->end - t0);
    }
    /* The event streams end with LXD_ERR_CONNECTION well before 10 s
     * (after the events still queued). */
    for (int t = 0; t < NT; t++) {
        lxd_status s = LXD_OK;
        int queued = 0;
        double call_begin = 0;
        for (; queued < 100000; queued++) {
            char *json = NULL;
            call_begin = now_s();
            s = lxd_events_next(x->ev[t], 10000, &json);
            if (s != LXD_OK) break;
            lxd_string_free(json);
        }
        double at = now_s();
        printf("    info: %s: lxd_events_next(ev, 10000) gave %s %.3f s after kill -9 (that call "
               "%.3f s; %d events before): %s\n",
               TNAME[t], lxd_status_name(s), at - t0, at - call_begin, queued,
               lxd_last_error_message());
        CHECK_MSG(s == LXD_ERR_CONNECTION, "event stream over %s: %s: %s", TNAME[t],
                  lxd_status_name(s), lxd_last_error_message());
        CHECK_MSG(at - t0 < 3.0, "the event stream over %s took %.2f s to end", TNAME[t], at - t0);
        /* And stays ended, without blocking. */
        char *json = NULL;
        double b = now_s();
        CHECK_STATUS(lxd_events_next(x->ev[t], 10000, &json), LXD_ERR_CONNECTION);
        CHECK(now_s() - b < 1.0);
    }
    /* The listeners' callbacks get the error. */
    for (int t = 0; t < NT; t++) {
        double at = 0;
        lxd_status s = LXD_OK;
        for (int i = 0; i < 500 && (s = heard_err(&x->heard[t], &at)) == LXD_OK; i++)
            usleep(10000);
        CHECK_MSG(s != LXD_OK, "the listener over %s heard no error 5 s after the crash",
                  TNAME[t]);
        printf("    info: %s: listener callback got %s %.3f s after kill -9: %s\n", TNAME[t],
               lxd_status_name(s), at - t0, x->heard[t].msg);
        CHECK_MSG(s == LXD_ERR_CONNECTION, "listener over %s: %s", TNAME[t], lxd_status_name(s));
    }

    double r0 = now_s();
    CHECK_MSG(start_daemon(), "scripts/lxd-private.sh " PRIV_NAME " start failed");
    printf("    info: daemon down %.2f s in all; its start took %.2f s\n", now_s() - t0,
           now_s() - r0);

    /* Scenario 1: idle clients, unix and HTTPS, just work. */
    long pid2 = -1;
    for (int t = 0; t < NT; t++) {
        long p = server_pid(x->idle[t]);
        CHECK_MSG(p > 0, "idle %s client after the restart: %s", TNAME[t],
                  lxd_last_error_message());
        CHECK_MSG(p != pid, "server_pid is still %ld after the restart", p);
        pid2 = p;
        lxd_obj *o = NULL;
        CHECK_OK(lxd_get(x->idle[t], LXD_KIND_INSTANCE, env.running, &o));
        lxd_obj_free(o);
    }
    printf("    info: daemon pid %ld before, %ld after\n", pid, pid2);

    /* Operations started after the restart, that end and that LXD forgets
     * 5 s later (no restart in between): waiting on them again is LXD_OK,
     * not LXD_ERR_OPERATION_LOST. On the working clients (whose waits
     * broke in the crash) and on a client made after the restart. */
    lxd_client *after = NULL;
    CHECK_OK(priv_client(UNIX, NULL, &after));
    t_keep_client(after);
    lxd_client *who[3] = {x->work[UNIX], x->work[HTTPS], after};
    const char *who_name[3] = {"unix client from before the crash",
                               "https client from before the crash", "client made after it"};
    lxd_obj *ended[3];
    char ended_id[3][80];
    for (int i = 0; i < 3; i++) {
        CHECK_OK(start_exec(who[i], "[\"true\"]", ended_id[i]));
        CHECK_OK(lxd_operation_get(who[i], ended_id[i], &ended[i]));
        t_keep_obj(ended[i]);
        CHECK_OK(lxd_operation_wait(ended[i], 10));
    }
    double ended_at = now_s();

    /* Scenario 2: the operation lost in the crash is not reported as
     * finished, through the handle that was waiting and through one only
     * fetched before the crash. */
    for (int t = 0; t < NT; t++) {
        double b = now_s();
        CHECK_STATUS(lxd_operation_wait(x->op[t], 5), LXD_ERR_OPERATION_LOST);
        printf("    info: %s: lxd_operation_wait again after the restart: "
               "LXD_ERR_OPERATION_LOST in %.3f s: %s\n",
               TNAME[t], now_s() - b, lxd_last_error_message());
        CHECK(t_contains(lxd_last_error_message(), "restarted"));
        CHECK_STATUS(lxd_operation_wait(x->fresh[t], 5), LXD_ERR_OPERATION_LOST);
        CHECK_STATUS(lxd_operation_wait(x->fresh[t], -1), LXD_ERR_OPERATION_LOST);
    }

    /* Scenario 4: a new stream works. */
    for (int t = 0; t < NT; t++) {
        lxd_events *ev = NULL;
        CHECK_OK(lxd_events_open(x->idle[t], "operation", &ev));
        t_keep_events(ev);
        char id[80];
        CHECK_OK(start_exec(x->idle[t], "[\"true\"]", id));
        bool seen = false;
        for (int i = 0; i < 50 && !seen; i++) {
            char *json = NULL;
            CHECK_OK(lxd_events_next(ev, 5000, &json));
            seen = t_contains(json, id);
            lxd_string_free(json);
        }
        CHECK_MSG(seen, "no event of operation %s on a new stream over %s", id, TNAME[t]);
    }

    /* Now LXD forgets the ended operations (5 s after their end). */
    bool gone = false;
    double until = ended_at + 15;
    while (!gone && now_s() < until) {
        usleep(250 * 1000);
        if (now_s() < ended_at + 5) continue;
        gone = true;
        for (int i = 0; i < 3; i++) {
            bool exists = true;
            CHECK_OK(lxd_operation_exists(after, ended_id[i], &exists));
            if (exists) gone = false;
        }
    }
    CHECK_MSG(gone, "LXD still knows the ended operations 15 s later");
    printf("    info: LXD forgot the ended operations %.2f s after their end\n",
           now_s() - ended_at);
    for (int i = 0; i < 3; i++) {
        lxd_status s = lxd_operation_wait(ended[i], 5);
        CHECK_MSG(s == LXD_OK, "an ended and forgotten operation (%s) gave %s: %s", who_name[i],
                  lxd_status_name(s), lxd_last_error_message());
    }
}

static void crash_free(struct crash *x) {
    bool joined[NT];
    for (int t = 0; t < NT; t++) {
        joined[t] = call_join(&x->wait[t], 30);
        if (!joined[t]) t_fail(__FILE__, __LINE__, "the wait over %s never ended", TNAME[t]);
    }
    for (int t = 0; t < NT; t++) {
        lxd_events_listener_free(x->listener[t]);
        lxd_events_free(x->ev[t]);
        lxd_obj_free(x->fresh[t]);
        if (joined[t]) {
            lxd_obj_free(x->op[t]);
            lxd_client_free(x->work[t]);
        }
        lxd_client_free(x->idle[t]);
    }
}

TEST(crash_and_restart_idle_clients_waits_lost_operations_and_event_streams) {
    struct crash x;
    memset(&x, 0, sizeof x);
    for (int t = 0; t < NT; t++) pthread_mutex_init(&x.heard[t].mu, NULL);
    crash_body(&x);
    /* Up again for what follows, even when the test stopped half-way. */
    if (env.ok && !start_daemon()) t_fail(__FILE__, __LINE__, "the private daemon does not start");
    crash_free(&x);
    for (int t = 0; t < NT; t++) pthread_mutex_destroy(&x.heard[t].mu);
}

/* ---- 2. frozen daemon (SIGSTOP) ------------------------------------------ */

/* Per transport: lxd_operation_wait(op, 2) with timeout_ms 5000, host info
 * with timeout_ms 1000, a start with wait=true with deadline_ms 2000, and
 * at the same time host info on that same client, so that one of the two
 * needs a new connection (over HTTPS a TLS handshake the frozen daemon
 * never answers). */
enum { F_WAIT, F_INFO, F_START, F_NEWCONN, NF };
static const char *const FNAME[NF] = {
    "lxd_operation_wait(op, 2) with timeout_ms 5000", "lxd_client_host_info with timeout_ms 1000",
    "lxd_instance_start(wait=true) with deadline_ms 2000",
    "lxd_client_host_info at the same time with deadline_ms 2000 (a second connection)"};
/* Not before the bound (less a little), and not after: the wait's limit
 * plus the second the header promises; the others' timeout or deadline
 * plus half a second. */
static const double FMIN[NF] = {1.9, 0.9, 1.9, 1.9};
static const double FMAX[NF] = {3.0, 1.5, 2.5, 2.5};

struct freeze {
    lxd_client *client[NT][NF];
    lxd_obj *obj[NT][NF];
    struct call call[NT][NF];
};

static void freeze_body(struct freeze *x) {
    CHECK(setup());
    static const char *const opts[NF - 1] = {"\"timeout_ms\":5000", "\"timeout_ms\":1000",
                                             "\"deadline_ms\":2000"};
    for (int t = 0; t < NT; t++) {
        for (int f = 0; f < NF - 1; f++) CHECK_OK(priv_client(t, opts[f], &x->client[t][f]));
        char id[80];
        CHECK_OK(start_exec(x->client[t][F_WAIT], "[\"sleep\",\"30\"]", id));
        CHECK_OK(lxd_operation_get(x->client[t][F_WAIT], id, &x->obj[t][F_WAIT]));
        CHECK_OK(lxd_get(x->client[t][F_START], LXD_KIND_INSTANCE, env.stopped,
                         &x->obj[t][F_START]));
        x->call[t][F_WAIT] = (struct call){.kind = OP_WAIT, .timeout_s = 2};
        x->call[t][F_INFO] = (struct call){.kind = HOST_INFO};
        x->call[t][F_START] = (struct call){.kind = START_WAIT};
        x->call[t][F_NEWCONN] = (struct call){.kind = HOST_INFO};
        for (int f = 0; f < NF; f++) {
            x->call[t][f].t = t;
            x->call[t][f].client = x->client[t][f == F_NEWCONN ? F_START : f];
            x->call[t][f].obj = x->obj[t][f];
        }
    }
    long pid = server_pid(x->client[UNIX][F_INFO]);
    CHECK(pid > 0);

    /* Resumed after the test, pass or fail, and by a shell 30 s from now
     * even if this program dies. */
    t_cleanup("kill -CONT %ld 2>/dev/null", pid);
    const char *wd = t_sh_out("(sleep 30; kill -CONT %ld) >/dev/null 2>&1 & echo $!", pid);
    env.watchdog = wd ? atol(wd) : 0;
    env.frozen = pid;
    CHECK(kill((pid_t)pid, SIGSTOP) == 0);
    for (int i = 0; i < 200 && proc_state(pid) != 'T'; i++) usleep(10000);
    CHECK_MSG(proc_state(pid) == 'T', "the daemon is not stopped: state %c", proc_state(pid));

    for (int t = 0; t < NT; t++)
        for (int f = 0; f < NF; f++) CHECK(call_start(&x->call[t][f]));
    for (int t = 0; t < NT; t++)
        for (int f = 0; f < NF; f++) call_wait(&x->call[t][f], 15);
    resume_frozen();

    for (int t = 0; t < NT; t++)
        for (int f = 0; f < NF; f++) {
            struct call *c = &x->call[t][f];
            CHECK_MSG(call_done(c), "%s: %s still blocks 15 s into the freeze", TNAME[t],
                      FNAME[f]);
            double took = c->end - c->begin;
            printf("    info: %s: %s on a frozen daemon: %s after %.3f s: %s\n", TNAME[t],
                   FNAME[f], lxd_status_name(c->st), took, c->msg);
            CHECK_MSG(c->st == LXD_ERR_TIMEOUT, "%s: %s gave %s: %s", TNAME[t], FNAME[f],
                      lxd_status_name(c->st), c->msg);
            CHECK_MSG(took >= FMIN[f] && took < FMAX[f], "%s: %s took %.3f s, not in [%.1f, %.1f)",
                      TNAME[t], FNAME[f], took, FMIN[f], FMAX[f]);
        }

    /* Resumed, it answers again: the same clients and new ones. */
    double b = now_s();
    for (int t = 0; t < NT; t++) {
        lxd_client *c = NULL;
        CHECK_OK(priv_client(t, NULL, &c));
        t_keep_client(c);
        CHECK_MSG(server_pid(c) == pid, "a new %s client: %s", TNAME[t], lxd_last_error_message());
        CHECK_MSG(server_pid(x->client[t][F_INFO]) == pid, "the %s client that timed out: %s",
                  TNAME[t], lxd_last_error_message());
    }
    printf("    info: resumed daemon answers again (%.3f s)\n", now_s() - b);
}

TEST(frozen_daemon_calls_end_within_their_bounds) {
    struct freeze x;
    memset(&x, 0, sizeof x);
    freeze_body(&x);
    resume_frozen();
    for (int t = 0; t < NT; t++) {
        bool all = true;
        for (int f = 0; f < NF; f++)
            if (!call_join(&x.call[t][f], 30)) {
                t_fail(__FILE__, __LINE__, "%s: %s never ended", TNAME[t], FNAME[f]);
                all = false;
            }
        for (int f = 0; f < NF && all; f++) {
            lxd_obj_free(x.obj[t][f]);
            lxd_client_free(x.client[t][f]);
        }
    }
}

/* ---- 3. a stop ends an attached console ----------------------------------- */

/* Here, not on the shared daemon: LXD 5.0.2 ends a console whose instance
 * stopped by writing to its websocket from two goroutines at once, and
 * now and then panics ("concurrent write to websocket connection", seen
 * once in a full test run), taking every test of that daemon down. */
TEST(stop_ends_an_attached_console) {
    if (!setup()) {
        t_fail(__FILE__, __LINE__, "no private daemon");
        return;
    }
    const char *name = t_dup(t_unique("rscons"));
    CHECK(t_sh(PRIV_LXC " launch busybox %s >/dev/null 2>&1", name) == 0);
    lxd_client *cl = NULL;
    lxd_obj *box = NULL;
    lxd_exec_session *s = NULL;
    CHECK_OK(priv_client(UNIX, NULL, &cl));
    if (cl) CHECK_OK(lxd_instance_get(cl, name, &box));
    if (box) CHECK_OK(lxd_instance_console(box, NULL, &s));
    if (s) {
        int code = -1;
        int stopped = t_sh(PRIV_LXC " stop -f %s", name);
        lxd_status ws = lxd_exec_session_wait(s, 30000, &code);
        lxd_exec_session_free(s);
        const char *log = t_sh_out("tail -n 200 /var/log/lxd-liblxd-" PRIV_NAME ".log.stderr "
                                   "| grep -c 'concurrent write to websocket connection'");
        if (ws != LXD_OK && log && atoi(log) > 0 && t_sh(PRIV_LXC " info >/dev/null 2>&1") != 0) {
            /* LXD's own bug, not the client's: say so, and restart it. */
            printf("    note: LXD 5.0.2 panicked ending the console (%s); restarting it\n",
                   lxd_status_name(ws));
            CHECK_MSG(start_daemon(), "the private daemon does not start again");
        } else {
            CHECK(stopped == 0);
            CHECK_OK(ws);
            CHECK(code == 0);
        }
    }
    lxd_obj_free(box);
    lxd_client_free(cl);
    t_sh(PRIV_LXC " delete -f %s >/dev/null 2>&1", name);
}

/* ---- 4. the main daemon still starts containers --------------------------- */

TEST(main_daemon_still_starts_containers) {
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(t_unique("rsmain"), true, &c));
    char *state = NULL;
    CHECK_OK(lxd_instance_state(c, &state));
    t_keep_str(state);
    CHECK_MSG(t_contains(state, "\"status\":\"Running\""), "state: %.200s", state);
}

T_MAIN(T_CASE(crash_and_restart_idle_clients_waits_lost_operations_and_event_streams),
       T_CASE(frozen_daemon_calls_end_within_their_bounds),
       T_CASE(stop_ends_an_attached_console),
       T_CASE(main_daemon_still_starts_containers))
