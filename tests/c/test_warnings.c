/* Unknown-attribute warnings (modes once / always / none, the callback, stderr,
 * LIBLXD_WARNINGS) and malformed server replies.
 *
 * LXD 5.0.2 sends no attribute that liblxd's schema lacks, so these tests
 * talk to `fake_lxd_server`: a FAKE LXD, a few canned HTTP/1.1 answers on a
 * unix socket served by a thread of this program. It is not LXD. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ===== the fake server ===================================================== */

enum fake_mode {
    FAKE_OK,         /* the canned LXD answers below */
    FAKE_NOT_JSON,   /* every request: HTTP/1.1 200 OK, body "not json" */
    FAKE_HANGUP,     /* every request: close the connection without answering */
    FAKE_NOT_HTTP,   /* every request: a line that is not HTTP, then close */
};

#define FAKE_MAX_CONNS 32

struct fake_conn {
    int fd;
    char *buf;
    size_t len, cap;
};

struct fake_lxd_server {
    char dir[40];
    char path[64];
    int listen_fd;
    int wake[2];
    pthread_t thread;
    enum fake_mode mode;
    pthread_mutex_t lock;
    int connections; /* accepted so far */
    int requests;    /* answered (or refused) so far */
    struct fake_conn conns[FAKE_MAX_CONNS];
};

static const char FAKE_HOST_INFO[] =
    "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,\"metadata\":"
    "{\"api_extensions\":[\"instances\"],\"api_status\":\"stable\",\"api_version\":\"1.0\","
    "\"auth\":\"trusted\",\"public\":false,\"auth_methods\":[\"tls\"],"
    "\"environment\":{\"server_version\":\"5.0.2\"}}}";

/* A container document with two attributes liblxd's schema does not know. */
static int fake_instance(char *out, size_t n, const char *name) {
    return snprintf(
        out, n,
        "{\"architecture\":\"x86_64\",\"config\":{},\"created_at\":\"2024-01-01T00:00:00Z\","
        "\"description\":\"\",\"devices\":{},\"ephemeral\":false,\"expanded_config\":{},"
        "\"expanded_devices\":{},\"last_used_at\":\"1970-01-01T00:00:00Z\",\"location\":\"none\","
        "\"name\":\"%s\",\"profiles\":[\"default\"],\"project\":\"default\",\"stateful\":false,"
        "\"status\":\"Stopped\",\"status_code\":102,\"type\":\"container\","
        "\"shiny_new_field\":42,\"another_one\":\"x\"}",
        name);
}

static void fake_send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        len -= (size_t)n;
    }
}

static void fake_respond(int fd, int status, const char *reason, const char *extra_headers,
                         const char *body) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
                     "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
                     status, reason, extra_headers, strlen(body));
    fake_send_all(fd, head, (size_t)n);
    fake_send_all(fd, body, strlen(body));
}

static void fake_sync(int fd, const char *extra_headers, const char *metadata) {
    size_t n = strlen(metadata) + 128;
    char *body = malloc(n);
    snprintf(body, n, "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,\"metadata\":%s}",
             metadata);
    fake_respond(fd, 200, "OK", extra_headers, body);
    free(body);
}

/* Answer one request; false when the connection must be closed. */
static bool fake_answer(struct fake_lxd_server *srv, int fd, const char *method,
                        const char *target, size_t body_len) {
    pthread_mutex_lock(&srv->lock);
    srv->requests++;
    enum fake_mode mode = srv->mode;
    pthread_mutex_unlock(&srv->lock);

    const char *name = NULL;
    if (!strncmp(target, "/1.0/instances/", 15)) name = target + 15;
    if (!strncmp(target, "/1.0/containers/", 16)) name = target + 16;

    if (mode == FAKE_HANGUP || (name && !strcmp(name, "hangup"))) return false;
    if (mode == FAKE_NOT_HTTP || (name && !strcmp(name, "nothttp"))) {
        static const char ssh[] = "SSH-2.0-OpenSSH_9.6 not an LXD server\r\n";
        fake_send_all(fd, ssh, sizeof ssh - 1);
        return false;
    }
    if (mode == FAKE_NOT_JSON || (name && !strcmp(name, "notjson"))) {
        static const char nj[] =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n"
            "Connection: keep-alive\r\n\r\nnot json";
        fake_send_all(fd, nj, sizeof nj - 1);
        return true;
    }

    if (strcmp(method, "GET") != 0) {
        char meta[96];
        snprintf(meta, sizeof meta, "{\"method\":\"%s\",\"body_length\":%zu}", method, body_len);
        fake_sync(fd, "", meta);
        return true;
    }
    if (!strcmp(target, "/1.0")) {
        fake_respond(fd, 200, "OK", "", FAKE_HOST_INFO);
        return true;
    }
    if (!strcmp(target, "/1.0/instances?recursion=1") ||
        !strcmp(target, "/1.0/containers?recursion=1")) {
        char a[1024], b[1024], c[1024], list[3200];
        fake_instance(a, sizeof a, "c1");
        fake_instance(b, sizeof b, "c2");
        fake_instance(c, sizeof c, "c3");
        snprintf(list, sizeof list, "[%s,%s,%s]", a, b, c);
        fake_sync(fd, "", list);
        return true;
    }
    if (name && !strcmp(name, "c1")) {
        char doc[1024];
        fake_instance(doc, sizeof doc, "c1");
        fake_sync(fd, "ETag: \"abc\"\r\n", doc);
        return true;
    }
    fake_respond(fd, 404, "Not Found", "",
                 "{\"type\":\"error\",\"error\":\"Not found (fake LXD)\",\"error_code\":404,"
                 "\"metadata\":null}");
    return true;
}

/* The Content-Length of a request head (0 if none). */
static size_t fake_content_length(const char *head, size_t head_len) {
    const char *p = head;
    const char *end = head + head_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        if ((size_t)(eol - p) > 15 && !strncasecmp(p, "Content-Length:", 15))
            return (size_t)strtoul(p + 15, NULL, 10);
        p = eol + 1;
    }
    return 0;
}

/* Answer every complete request buffered on `c`; false to close it. */
static bool fake_serve_buffered(struct fake_lxd_server *srv, struct fake_conn *c) {
    for (;;) {
        char *hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!hend) return true;
        size_t head_len = (size_t)(hend - c->buf) + 4;
        size_t body_len = fake_content_length(c->buf, head_len);
        if (c->len < head_len + body_len) return true; /* body not all here yet */
        char method[16] = "", target[512] = "";
        char line[600];
        size_t ll = strcspn(c->buf, "\r\n");
        if (ll >= sizeof line) ll = sizeof line - 1;
        memcpy(line, c->buf, ll);
        line[ll] = 0;
        if (sscanf(line, "%15s %511s", method, target) != 2) return false;
        bool keep = fake_answer(srv, c->fd, method, target, body_len);
        memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
        c->len -= head_len + body_len;
        if (!keep) return false;
    }
}

static void fake_close_conn(struct fake_conn *c) {
    close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void *fake_lxd_server_main(void *arg) {
    struct fake_lxd_server *srv = arg;
    for (;;) {
        struct pollfd pfds[FAKE_MAX_CONNS + 2];
        int idx[FAKE_MAX_CONNS + 2];
        int n = 0;
        pfds[n] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
        idx[n++] = -1;
        pfds[n] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
        idx[n++] = -2;
        for (int i = 0; i < FAKE_MAX_CONNS; i++) {
            if (srv->conns[i].fd < 0) continue;
            pfds[n] = (struct pollfd){.fd = srv->conns[i].fd, .events = POLLIN};
            idx[n++] = i;
        }
        if (poll(pfds, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfds[0].revents) break; /* asked to stop */
        for (int k = 1; k < n; k++) {
            if (!pfds[k].revents) continue;
            if (idx[k] == -2) {
                int fd = accept(srv->listen_fd, NULL, NULL);
                if (fd < 0) continue;
                int slot = -1;
                for (int i = 0; i < FAKE_MAX_CONNS && slot < 0; i++)
                    if (srv->conns[i].fd < 0) slot = i;
                if (slot < 0) {
                    close(fd);
                    continue;
                }
                srv->conns[slot].fd = fd;
                pthread_mutex_lock(&srv->lock);
                srv->connections++;
                pthread_mutex_unlock(&srv->lock);
                continue;
            }
            struct fake_conn *c = &srv->conns[idx[k]];
            if (c->cap - c->len < 4096) {
                c->cap = c->cap ? c->cap * 2 : 8192;
                c->buf = realloc(c->buf, c->cap);
            }
            ssize_t got = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
            if (got <= 0) {
                fake_close_conn(c);
                continue;
            }
            c->len += (size_t)got;
            c->buf[c->len] = 0;
            if (!fake_serve_buffered(srv, c)) fake_close_conn(c);
        }
    }
    for (int i = 0; i < FAKE_MAX_CONNS; i++)
        if (srv->conns[i].fd >= 0) fake_close_conn(&srv->conns[i]);
    return NULL;
}

static struct fake_lxd_server *fake_lxd_server_start(enum fake_mode mode) {
    struct fake_lxd_server *srv = calloc(1, sizeof *srv);
    strcpy(srv->dir, "/tmp/lxdt-fake-lxd-XXXXXX");
    if (!mkdtemp(srv->dir)) {
        free(srv);
        return NULL;
    }
    snprintf(srv->path, sizeof srv->path, "%s/unix.socket", srv->dir);
    srv->mode = mode;
    pthread_mutex_init(&srv->lock, NULL);
    for (int i = 0; i < FAKE_MAX_CONNS; i++) srv->conns[i].fd = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", srv->path);
    srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0 || bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv->listen_fd, 16) != 0 || pipe2(srv->wake, O_CLOEXEC) != 0 ||
        pthread_create(&srv->thread, NULL, fake_lxd_server_main, srv) != 0) {
        if (srv->listen_fd >= 0) close(srv->listen_fd);
        unlink(srv->path);
        rmdir(srv->dir);
        pthread_mutex_destroy(&srv->lock);
        free(srv);
        return NULL;
    }
    return srv;
}

static void fake_lxd_server_stop(struct fake_lxd_server *srv) {
    if (!srv) return;
    if (write(srv->wake[1], "x", 1) != 1) abort();
    pthread_join(srv->thread, NULL);
    close(srv->wake[0]);
    close(srv->wake[1]);
    close(srv->listen_fd);
    unlink(srv->path);
    rmdir(srv->dir);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

static int fake_count(struct fake_lxd_server *srv, int *field) {
    pthread_mutex_lock(&srv->lock);
    int v = *field;
    pthread_mutex_unlock(&srv->lock);
    return v;
}

/* ===== collecting warnings ================================================= */

#define MAX_WARNINGS 64

struct warning {
    char cls[64];
    char attr[64];
    char msg[256];
    pthread_t thread;
};

static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct warning warns[MAX_WARNINGS];
static int n_warns; /* all received, even beyond MAX_WARNINGS */
static void *warn_user_data_seen;

static void collect_warning(const char *cls, const char *attr, const char *msg, void *user) {
    pthread_mutex_lock(&warn_lock);
    if (n_warns < MAX_WARNINGS) {
        struct warning *w = &warns[n_warns];
        snprintf(w->cls, sizeof w->cls, "%s", cls ? cls : "(null)");
        snprintf(w->attr, sizeof w->attr, "%s", attr ? attr : "(null)");
        snprintf(w->msg, sizeof w->msg, "%s", msg ? msg : "(null)");
        w->thread = pthread_self();
    }
    n_warns++;
    warn_user_data_seen = user;
    pthread_mutex_unlock(&warn_lock);
}

static int warn_count(void) {
    pthread_mutex_lock(&warn_lock);
    int n = n_warns;
    pthread_mutex_unlock(&warn_lock);
    return n;
}

static void warn_reset(void) {
    pthread_mutex_lock(&warn_lock);
    n_warns = 0;
    warn_user_data_seen = NULL;
    memset(warns, 0, sizeof warns);
    pthread_mutex_unlock(&warn_lock);
}

/* How many collected warnings are exactly (cls, attr) with pylxd's message. */
static int warn_matching(const char *cls, const char *attr) {
    char msg[256];
    snprintf(msg, sizeof msg, "Attempted to set unknown attribute \"%s\" on instance of \"%s\"",
             attr, cls);
    int n = 0;
    pthread_mutex_lock(&warn_lock);
    for (int i = 0; i < n_warns && i < MAX_WARNINGS; i++)
        if (!strcmp(warns[i].cls, cls) && !strcmp(warns[i].attr, attr) &&
            !strcmp(warns[i].msg, msg))
            n++;
    pthread_mutex_unlock(&warn_lock);
    return n;
}

static char user_data_marker;

static const char *or_str(const char *s, const char *fallback) { return s ? s : fallback; }

/* Every test starts with a fresh collector and ends with the defaults. */
static void use_collector(lxd_warning_mode mode) {
    warn_reset();
    lxd_set_warning_callback(collect_warning, &user_data_marker);
    if (lxd_set_warning_mode(mode) != LXD_OK) t_fail(__FILE__, __LINE__, "set_warning_mode");
}

static void restore_defaults(void) {
    lxd_set_warning_mode(LXD_WARNINGS_ONCE);
    lxd_set_warning_callback(NULL, NULL);
}

/* get c1 twice and list the three instances: 2 + 3 objects received. */
static lxd_status get_twice_and_list(lxd_client *c, lxd_kind kind) {
    for (int i = 0; i < 2; i++) {
        lxd_obj *o = NULL;
        lxd_status s = lxd_get(c, kind, "c1", &o);
        lxd_obj_free(o);
        if (s != LXD_OK) return s;
    }
    lxd_list *l = NULL;
    lxd_status s = lxd_all(c, kind, &l);
    size_t n = lxd_list_len(l);
    lxd_list_free(l);
    if (s == LXD_OK && n != 3) return LXD_ERR_INTERNAL;
    return s;
}

/* Start a fake server and a client on it; false (failure recorded) if not. */
static bool open_fake(enum fake_mode mode, struct fake_lxd_server **srv, lxd_client **c) {
    *c = NULL;
    *srv = fake_lxd_server_start(mode);
    if (!*srv) {
        t_fail(__FILE__, __LINE__, "cannot start the fake LXD server");
        return false;
    }
    lxd_status s = lxd_client_new((*srv)->path, NULL, c);
    if (s != LXD_OK) {
        t_fail(__FILE__, __LINE__, "lxd_client_new on the fake server: %s: %s",
               lxd_status_name(s), lxd_last_error_message());
        fake_lxd_server_stop(*srv);
        *srv = NULL;
        return false;
    }
    return true;
}

static void close_fake(struct fake_lxd_server *srv, lxd_client *c) {
    lxd_client_free(c);
    fake_lxd_server_stop(srv);
}

/* ===== tests =============================================================== */

/* ONCE (runs first: once-state is process-wide and never forgotten; every
 * other test fetches c1 only in ALWAYS or NONE mode). */
TEST(warnings_once_per_class_and_attribute) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_ONCE);
    lxd_status s1 = get_twice_and_list(c, LXD_KIND_INSTANCE);
    int after_instance = warn_count();
    int shiny_i = warn_matching("Instance", "shiny_new_field");
    int another_i = warn_matching("Instance", "another_one");
    bool user_ok = warn_user_data_seen == &user_data_marker;
    lxd_status s2 = get_twice_and_list(c, LXD_KIND_CONTAINER);
    int after_container = warn_count();
    int shiny_c = warn_matching("Container", "shiny_new_field");
    int another_c = warn_matching("Container", "another_one");
    lxd_status s3 = get_twice_and_list(c, LXD_KIND_INSTANCE);
    int at_end = warn_count();
    close_fake(srv, c);
    restore_defaults();
    CHECK_STATUS(s1, LXD_OK);
    CHECK_STATUS(s2, LXD_OK);
    CHECK_STATUS(s3, LXD_OK);
    CHECK_MSG(after_instance == 2, "%d warnings for Instance, expected 2", after_instance);
    CHECK(shiny_i == 1 && another_i == 1);
    CHECK_MSG(user_ok, "the callback did not receive its user_data");
    CHECK_MSG(after_container == 4, "%d warnings after Container, expected 4", after_container);
    CHECK(shiny_c == 1 && another_c == 1);
    CHECK_MSG(at_end == 4, "%d warnings at the end, expected still 4", at_end);
}

/* ALWAYS: one per attribute per object received: (2 gets + 3 listed) x 2. */
TEST(warnings_always_every_object) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_ALWAYS);
    lxd_status s = get_twice_and_list(c, LXD_KIND_INSTANCE);
    int total = warn_count();
    int shiny = warn_matching("Instance", "shiny_new_field");
    int another = warn_matching("Instance", "another_one");
    /* A sync receives the object again. */
    lxd_obj *o = NULL;
    lxd_status gs = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_status ss = gs == LXD_OK ? lxd_obj_sync(o) : gs;
    int after_sync = warn_count();
    lxd_obj_free(o);
    close_fake(srv, c);
    restore_defaults();
    CHECK_STATUS(s, LXD_OK);
    CHECK_MSG(total == 10, "%d warnings, expected 10", total);
    CHECK_MSG(shiny == 5 && another == 5, "shiny %d, another %d, expected 5 each", shiny, another);
    CHECK_STATUS(ss, LXD_OK);
    CHECK_MSG(after_sync == 14, "%d warnings after get+sync, expected 14", after_sync);
}

/* NONE: no callback call and nothing on stderr. */
static bool capture_stderr_begin(int *saved, char *path, size_t n);
static char *capture_stderr_end(int saved, const char *path);

TEST(warnings_none_is_silent) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_NONE);
    lxd_status s = get_twice_and_list(c, LXD_KIND_INSTANCE);
    int total = warn_count();
    /* Also none to stderr. */
    lxd_set_warning_callback(NULL, NULL);
    int saved;
    char path[64];
    lxd_status s2 = LXD_ERR_INTERNAL;
    char *err = NULL;
    if (capture_stderr_begin(&saved, path, sizeof path)) {
        s2 = get_twice_and_list(c, LXD_KIND_CONTAINER);
        err = capture_stderr_end(saved, path);
    }
    close_fake(srv, c);
    restore_defaults();
    bool quiet = err && !t_contains(err, "unknown attribute");
    free(err);
    CHECK_STATUS(s, LXD_OK);
    CHECK_MSG(total == 0, "%d warnings in NONE mode", total);
    CHECK_STATUS(s2, LXD_OK);
    CHECK_MSG(quiet, "NONE mode wrote a warning to stderr (or stderr capture failed)");
    CHECK(lxd_set_warning_mode(3) == LXD_ERR_INVALID_ARGUMENT);
    CHECK(lxd_set_warning_mode(-1) == LXD_ERR_INVALID_ARGUMENT);
}

/* The unknown attributes stay readable, are in to_json, cannot be set. */
TEST(warnings_unknown_attribute_readable_not_settable) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_NONE);
    lxd_obj *o = NULL;
    lxd_list *l = NULL;
    char *json = NULL;
    lxd_status gs = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_status ls = lxd_all(c, LXD_KIND_INSTANCE, &l);
    char shiny[32] = "", another[32] = "", listed[32] = "", name[32] = "";
    lxd_status js = LXD_ERR_INTERNAL, set_s = LXD_ERR_INTERNAL, set2 = LXD_ERR_INTERNAL;
    bool dirty = true;
    if (gs == LXD_OK) {
        snprintf(shiny, sizeof shiny, "%s", or_str(t_get(o, "shiny_new_field"), "(error)"));
        snprintf(another, sizeof another, "%s", or_str(t_get(o, "another_one"), "(error)"));
        snprintf(name, sizeof name, "%s", or_str(t_get(o, "name"), "(error)"));
        js = lxd_obj_to_json(o, &json);
        set_s = lxd_obj_set(o, "shiny_new_field", "43");
        dirty = lxd_obj_dirty(o);
    }
    char after_set[32] = "";
    if (gs == LXD_OK) snprintf(after_set, sizeof after_set, "%s", or_str(t_get(o, "shiny_new_field"), ""));
    if (ls == LXD_OK && lxd_list_len(l) == 3) {
        lxd_obj *third = lxd_list_get(l, 2);
        snprintf(listed, sizeof listed, "%s", or_str(t_get(third, "shiny_new_field"), "(error)"));
        set2 = lxd_obj_set(third, "another_one", "\"y\"");
    }
    lxd_status missing = LXD_ERR_INTERNAL;
    char *dummy = NULL;
    if (gs == LXD_OK) missing = lxd_obj_get(o, "not_sent_by_anyone", &dummy);
    lxd_string_free(dummy);
    lxd_obj_free(o);
    lxd_list_free(l);
    close_fake(srv, c);
    restore_defaults();
    bool in_json = t_contains(json, "\"shiny_new_field\":42") &&
                   t_contains(json, "\"another_one\":\"x\"") && t_contains(json, "\"name\":\"c1\"");
    lxd_string_free(json);
    CHECK_STATUS(gs, LXD_OK);
    CHECK_STATUS(ls, LXD_OK);
    CHECK_STREQ(name, "\"c1\"");
    CHECK_STREQ(shiny, "42");
    CHECK_STREQ(another, "\"x\"");
    CHECK_STREQ(listed, "42");
    CHECK_STATUS(js, LXD_OK);
    CHECK_MSG(in_json, "to_json lacks the unknown attributes");
    CHECK_STATUS(set_s, LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK(!dirty);
    CHECK_STREQ(after_set, "42");
    CHECK_STATUS(set2, LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK_STATUS(missing, LXD_ERR_UNKNOWN_ATTRIBUTE);
}

/* The callback runs on the thread that made the call. */
struct thread_job {
    lxd_client *c;
    lxd_status status;
    pthread_t self;
};

static void *get_on_thread(void *arg) {
    struct thread_job *job = arg;
    job->self = pthread_self();
    lxd_obj *o = NULL;
    job->status = lxd_get(job->c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_obj_free(o);
    return NULL;
}

TEST(warnings_callback_on_calling_thread) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_ALWAYS);
    lxd_obj *o = NULL;
    lxd_status s = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_obj_free(o);
    struct thread_job job = {.c = c, .status = LXD_ERR_INTERNAL};
    pthread_t th;
    bool started = pthread_create(&th, NULL, get_on_thread, &job) == 0;
    if (started) pthread_join(th, NULL);
    close_fake(srv, c);
    restore_defaults();
    CHECK_STATUS(s, LXD_OK);
    CHECK(started);
    CHECK_STATUS(job.status, LXD_OK);
    CHECK_MSG(warn_count() == 4, "%d warnings, expected 4", warn_count());
    CHECK(pthread_equal(warns[0].thread, pthread_self()));
    CHECK(pthread_equal(warns[1].thread, pthread_self()));
    CHECK(pthread_equal(warns[2].thread, job.self));
    CHECK(pthread_equal(warns[3].thread, job.self));
}

/* Redirect fd 2 into a temporary file. */
static bool capture_stderr_begin(int *saved, char *path, size_t n) {
    snprintf(path, n, "/tmp/lxdt-stderr-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return false;
    fflush(stderr);
    *saved = dup(2);
    if (*saved < 0 || dup2(fd, 2) < 0) {
        close(fd);
        unlink(path);
        return false;
    }
    close(fd);
    return true;
}

/* Restore fd 2 and return what was written to it (free it). */
static char *capture_stderr_end(int saved, const char *path) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 65536);
    if (f) {
        size_t got = fread(text, 1, 65535, f);
        text[got] = 0;
        fclose(f);
    }
    unlink(path);
    return text;
}

/* A NULL callback sends warnings back to stderr. */
TEST(warnings_null_callback_restores_stderr) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    use_collector(LXD_WARNINGS_ALWAYS);
    lxd_obj *o = NULL;
    lxd_status s1 = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_obj_free(o);
    o = NULL;
    int collected = warn_count();
    lxd_set_warning_callback(NULL, NULL);
    int saved;
    char path[64];
    char *err = NULL;
    lxd_status s2 = LXD_ERR_INTERNAL;
    if (capture_stderr_begin(&saved, path, sizeof path)) {
        s2 = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
        err = capture_stderr_end(saved, path);
    }
    lxd_obj_free(o);
    int collected_after = warn_count();
    close_fake(srv, c);
    restore_defaults();
    bool has_shiny =
        t_contains(err, "Attempted to set unknown attribute \"shiny_new_field\" on instance of "
                        "\"Instance\"");
    bool has_another =
        t_contains(err, "Attempted to set unknown attribute \"another_one\" on instance of "
                        "\"Instance\"");
    char err_copy[512];
    snprintf(err_copy, sizeof err_copy, "%s", err ? err : "(capture failed)");
    free(err);
    CHECK_STATUS(s1, LXD_OK);
    CHECK(collected == 2);
    CHECK_STATUS(s2, LXD_OK);
    CHECK_MSG(collected_after == 2, "the removed callback was still called");
    CHECK_MSG(has_shiny && has_another, "stderr got: %s", err_copy);
}

/* LIBLXD_WARNINGS, in a child process that never calls lxd_set_warning_mode. */
static const char *fake_socket_for_child;

static int env_child(const char *socket_path, const char *variant) {
    lxd_set_warning_callback(collect_warning, NULL);
    lxd_client *c = NULL;
    if (lxd_client_new(socket_path, NULL, &c) != LXD_OK) return 3;
    lxd_status s = get_twice_and_list(c, LXD_KIND_INSTANCE);
    if (s == LXD_OK && !strcmp(variant, "flip")) {
        /* The variable was read once; changing it now changes nothing. */
        const char *was = getenv("LIBLXD_WARNINGS");
        setenv("LIBLXD_WARNINGS", was && !strcmp(was, "none") ? "always" : "none", 1);
        lxd_obj *o = NULL;
        s = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
        lxd_obj_free(o);
    }
    lxd_client_free(c);
    if (s != LXD_OK) return 4;
    printf("%d\n", warn_count());
    fflush(stdout);
    return 0;
}

/* Run this program as an env child with LIBLXD_WARNINGS=value (NULL: unset);
 * returns its warning count, or -1 (failure recorded). */
static int run_env_child(const char *value, const char *variant) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        t_fail(__FILE__, __LINE__, "readlink /proc/self/exe");
        return -1;
    }
    self[n] = 0;
    /* The environment without LIBLXD_WARNINGS, plus the value wanted. */
    size_t count = 0;
    while (environ[count]) count++;
    char **envp = calloc(count + 2, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "LIBLXD_WARNINGS=", 16) != 0) envp[k++] = environ[i];
    char setting[64];
    if (value) {
        snprintf(setting, sizeof setting, "LIBLXD_WARNINGS=%s", value);
        envp[k++] = setting;
    }
    envp[k] = NULL;
    int out[2];
    if (pipe(out) != 0) {
        free(envp);
        t_fail(__FILE__, __LINE__, "pipe");
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        char *argv[] = {self, "--env-child", (char *)fake_socket_for_child, (char *)variant, NULL};
        execve(self, argv, envp);
        _exit(127);
    }
    free(envp);
    close(out[1]);
    char buf[64] = "";
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(out[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    close(out[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        t_fail(__FILE__, __LINE__, "env child (LIBLXD_WARNINGS=%s, %s) failed: status %d",
               value ? value : "(unset)", variant, status);
        return -1;
    }
    return atoi(buf);
}

TEST(warnings_env_variable_read_once) {
    struct fake_lxd_server *srv = fake_lxd_server_start(FAKE_OK);
    CHECK(srv != NULL);
    fake_socket_for_child = srv->path;
    int none = run_env_child("none", "plain");
    int always = run_env_child("always", "plain");
    int unset = run_env_child(NULL, "plain");
    int other = run_env_child("sometimes", "plain");
    int always_flip = run_env_child("always", "flip");
    int none_flip = run_env_child("none", "flip");
    int requests = fake_count(srv, &srv->requests);
    fake_lxd_server_stop(srv);
    fake_socket_for_child = NULL;
    if (t_failed()) return;
    CHECK_MSG(none == 0, "LIBLXD_WARNINGS=none: %d warnings", none);
    CHECK_MSG(always == 10, "LIBLXD_WARNINGS=always: %d warnings, expected 10", always);
    CHECK_MSG(unset == 2, "LIBLXD_WARNINGS unset: %d warnings, expected 2 (once)", unset);
    CHECK_MSG(other == 2, "LIBLXD_WARNINGS=sometimes: %d warnings, expected 2 (once)", other);
    CHECK_MSG(always_flip == 12, "always then setenv none: %d warnings, expected 12",
              always_flip);
    CHECK_MSG(none_flip == 0, "none then setenv always: %d warnings, expected 0", none_flip);
    /* 6 children: GET /1.0, 2 gets, 1 list each; 2 of them one get more. */
    CHECK_MSG(requests == 26, "the fake server answered %d requests, expected 26", requests);
}

/* Malformed replies when the client is created. */
TEST(fake_server_bad_replies_on_connect) {
    lxd_set_warning_mode(LXD_WARNINGS_NONE);
    static const struct {
        enum fake_mode mode;
        lxd_status expected;
        const char *in_message;
    } cases[] = {
        {FAKE_NOT_JSON, LXD_ERR_PROTOCOL, "not json"},
        {FAKE_HANGUP, LXD_ERR_CONNECTION, "GET /1.0"},
        {FAKE_NOT_HTTP, LXD_ERR_PROTOCOL, "SSH-2.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake_lxd_server *srv = fake_lxd_server_start(cases[i].mode);
        if (!srv) {
            t_fail(__FILE__, __LINE__, "cannot start the fake LXD server");
            break;
        }
        lxd_client *c = NULL;
        lxd_status s = lxd_client_new(srv->path, NULL, &c);
        char msg[512];
        snprintf(msg, sizeof msg, "%s", lxd_last_error_message());
        int requests = fake_count(srv, &srv->requests);
        lxd_client_free(c);
        fake_lxd_server_stop(srv);
        if (s != cases[i].expected)
            t_fail(__FILE__, __LINE__, "mode %d: lxd_client_new gave %s, expected %s: %s",
                   (int)cases[i].mode, lxd_status_name(s), lxd_status_name(cases[i].expected),
                   msg);
        if (c != NULL) t_fail(__FILE__, __LINE__, "mode %d: a client was returned", (int)cases[i].mode);
        if (!t_contains(msg, cases[i].in_message))
            t_fail(__FILE__, __LINE__, "mode %d: message \"%s\" lacks \"%s\"", (int)cases[i].mode,
                   msg, cases[i].in_message);
        if (requests < 1) t_fail(__FILE__, __LINE__, "the fake server saw no request");
    }
    lxd_set_warning_mode(LXD_WARNINGS_ONCE);
}

/* Malformed replies to one request of a working client, which goes on
 * working; keep-alive: one connection serves many requests. */
TEST(fake_server_bad_replies_midway) {
    struct fake_lxd_server *srv;
    lxd_client *c;
    if (!open_fake(FAKE_OK, &srv, &c)) return;
    lxd_set_warning_mode(LXD_WARNINGS_NONE);
    lxd_obj *o = NULL;
    lxd_status ok1 = get_twice_and_list(c, LXD_KIND_INSTANCE);
    int conns_before = fake_count(srv, &srv->connections);

    char *resp = NULL;
    const char *put_body = "{\"config\":{\"a\":\"b\"}}";
    char put_expect[64];
    snprintf(put_expect, sizeof put_expect, "\"body_length\":%zu", strlen(put_body));
    lxd_status put = lxd_api(c, "PUT", "/1.0/instances/c1", put_body, &resp);
    bool put_len = t_contains(resp, put_expect);
    lxd_string_free(resp);
    resp = NULL;
    lxd_status after_put = lxd_get(c, LXD_KIND_INSTANCE, "c1", &o);
    lxd_obj_free(o);
    o = NULL;
    int conns_after_put = fake_count(srv, &srv->connections);

    lxd_status nf = lxd_get(c, LXD_KIND_INSTANCE, "nosuch", &o);
    char nf_msg[256];
    snprintf(nf_msg, sizeof nf_msg, "%s", lxd_last_error_message());

    lxd_status nj = lxd_get(c, LXD_KIND_INSTANCE, "notjson", &o);
    char nj_msg[256];
    snprintf(nj_msg, sizeof nj_msg, "%s", lxd_last_error_message());
    lxd_status hu = lxd_get(c, LXD_KIND_INSTANCE, "hangup", &o);
    char hu_msg[256];
    snprintf(hu_msg, sizeof hu_msg, "%s", lxd_last_error_message());
    lxd_status ok2 = get_twice_and_list(c, LXD_KIND_INSTANCE);
    /* On a kept-alive connection (the one the last call left in the pool). */
    lxd_status nh = lxd_get(c, LXD_KIND_INSTANCE, "nothttp", &o);
    char nh_msg[256];
    snprintf(nh_msg, sizeof nh_msg, "%s", lxd_last_error_message());
    /* On a fresh connection (nothing idle in the pool now). */
    lxd_status nh2 = lxd_get(c, LXD_KIND_INSTANCE, "nothttp", &o);
    char nh2_msg[256];
    snprintf(nh2_msg, sizeof nh2_msg, "%s", lxd_last_error_message());
    char *raw = NULL;
    lxd_status raw_s = lxd_api(c, "GET", "/1.0/instances/notjson", NULL, &raw);
    lxd_string_free(raw);
    lxd_status ok3 = get_twice_and_list(c, LXD_KIND_INSTANCE);
    close_fake(srv, c);
    restore_defaults();

    CHECK_STATUS(ok1, LXD_OK);
    CHECK_MSG(conns_before == 1, "%d connections for 4 requests, expected 1 (keep-alive)",
              conns_before);
    CHECK_STATUS(put, LXD_OK);
    CHECK_MSG(put_len, "the fake server did not get the whole PUT body");
    CHECK_STATUS(after_put, LXD_OK);
    CHECK_MSG(conns_after_put == 1, "%d connections after the PUT, expected 1", conns_after_put);
    CHECK_MSG(nf == LXD_ERR_NOT_FOUND && t_contains(nf_msg, "Not found (fake LXD)"),
              "missing instance: %s: %s", lxd_status_name(nf), nf_msg);
    CHECK_MSG(nj == LXD_ERR_PROTOCOL && t_contains(nj_msg, "not json"),
              "body not JSON: %s: %s", lxd_status_name(nj), nj_msg);
    CHECK_MSG(hu == LXD_ERR_CONNECTION, "hang-up: %s: %s", lxd_status_name(hu), hu_msg);
    CHECK_STATUS(ok2, LXD_OK);
    CHECK_MSG(nh2 == LXD_ERR_PROTOCOL && t_contains(nh2_msg, "SSH-2.0"),
              "non-HTTP reply on a new connection: %s: %s", lxd_status_name(nh2), nh2_msg);
    CHECK_MSG(nh == LXD_ERR_PROTOCOL && t_contains(nh_msg, "SSH-2.0"),
              "non-HTTP reply on a kept-alive connection: %s: %s", lxd_status_name(nh), nh_msg);
    CHECK_STATUS(raw_s, LXD_ERR_PROTOCOL);
    CHECK_STATUS(ok3, LXD_OK);
    CHECK(o == NULL);
}

static const struct t_case cases[] = {
    T_CASE(warnings_once_per_class_and_attribute), /* first: see its comment */
    T_CASE(warnings_always_every_object),
    T_CASE(warnings_none_is_silent),
    T_CASE(warnings_unknown_attribute_readable_not_settable),
    T_CASE(warnings_callback_on_calling_thread),
    T_CASE(warnings_null_callback_restores_stderr),
    T_CASE(warnings_env_variable_read_once),
    T_CASE(fake_server_bad_replies_on_connect),
    T_CASE(fake_server_bad_replies_midway),
};

int main(int argc, char **argv) {
    /* The LIBLXD_WARNINGS child (see warnings_env_variable_read_once). */
    if (argc == 4 && !strcmp(argv[1], "--env-child")) return env_child(argv[2], argv[3]);
    return t_run(cases, sizeof cases / sizeof cases[0], argc, argv);
}
