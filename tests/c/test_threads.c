/* Thread safety: one client shared by many threads, thread-local error
 * details, and one object shared by two threads. Failures inside threads
 * are collected and checked in the main thread (the harness is not
 * thread-safe: threads call only liblxd and libc). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, strcasestr */
#endif
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- per-thread failure record (first failure wins) -------------------- */

struct failure {
    char text[512];
    int count;
};

static void fail_at(struct failure *f, int line, const char *fmt_, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_at(struct failure *f, int line, const char *fmt_, ...) {
    if (f->count++ > 0) return;
    int n = snprintf(f->text, sizeof f->text, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt_);
    vsnprintf(f->text + n, sizeof f->text - (size_t)n, fmt_, ap);
    va_end(ap);
}

/* In a thread: on failure record it and leave the thread function. */
#define T_OK(f, call)                                                      \
    do {                                                                   \
        lxd_status ts_ = (call);                                           \
        if (ts_ != LXD_OK) {                                               \
            fail_at((f), __LINE__, "%s: %s: %s", #call, lxd_status_name(ts_), \
                    lxd_last_error_message());                             \
            goto out;                                                      \
        }                                                                  \
    } while (0)
#define T_CHECK(f, cond, ...)                                              \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fail_at((f), __LINE__, __VA_ARGS__);                           \
            goto out;                                                      \
        }                                                                  \
    } while (0)

/* An attribute of `o`, as JSON; caller frees with lxd_string_free. NULL on error. */
static char *attr(lxd_obj *o, const char *name) {
    char *s = NULL;
    return lxd_obj_get(o, name, &s) == LXD_OK ? s : NULL;
}

static bool attr_contains(lxd_obj *o, const char *name, const char *needle) {
    char *s = attr(o, name);
    bool r = s && strstr(s, needle);
    lxd_string_free(s);
    return r;
}

/* ---- one client, many threads --------------------------------------------- */

#define N_THREADS 8
#define N_ITER 20

struct worker {
    int index;
    lxd_client *client;
    const char *container; /* shared, created by the main thread */
    char profile[96];      /* this thread's own */
    struct failure f;
    int iterations_done;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    lxd_client *c = w->client;
    lxd_obj *prof = NULL;
    char buf[256], want_name[160];
    snprintf(want_name, sizeof want_name, "\"%s\"", w->container);

    snprintf(buf, sizeof buf, "{\"name\":\"%s\",\"config\":{\"user.thread\":\"%d\"}}", w->profile,
             w->index);
    T_OK(&w->f, lxd_profile_create(c, buf, true, &prof));

    for (int k = 0; k < N_ITER; k++) {
        /* get of the shared container */
        lxd_obj *o = NULL;
        T_OK(&w->f, lxd_container_get(c, w->container, &o));
        char *name = attr(o, "name");
        bool name_ok = name && strcmp(name, want_name) == 0;
        lxd_string_free(name);
        lxd_obj_free(o);
        T_CHECK(&w->f, name_ok, "iteration %d: wrong container name", k);

        /* exists, for something there and something not */
        bool b = false;
        T_OK(&w->f, lxd_container_exists(c, w->container, &b));
        T_CHECK(&w->f, b, "iteration %d: container does not exist", k);
        T_OK(&w->f, lxd_profile_exists(c, "lxdt-threads-never-there", &b));
        T_CHECK(&w->f, !b, "iteration %d: phantom profile exists", k);

        /* all: the shared container and this thread's profile are listed */
        lxd_list *l = NULL;
        T_OK(&w->f, lxd_instance_all(c, &l));
        bool found = false;
        for (size_t i = 0; i < lxd_list_len(l) && !found; i++) {
            char *n = attr(lxd_list_get(l, i), "name");
            found = n && strcmp(n, want_name) == 0;
            lxd_string_free(n);
        }
        lxd_list_free(l);
        T_CHECK(&w->f, found, "iteration %d: container not in lxd_instance_all", k);
        l = NULL;
        T_OK(&w->f, lxd_profile_all(c, &l));
        snprintf(buf, sizeof buf, "\"%s\"", w->profile);
        found = false;
        for (size_t i = 0; i < lxd_list_len(l) && !found; i++) {
            char *n = attr(lxd_list_get(l, i), "name");
            found = n && strcmp(n, buf) == 0;
            lxd_string_free(n);
        }
        lxd_list_free(l);
        T_CHECK(&w->f, found, "iteration %d: own profile not in lxd_profile_all", k);

        /* raw API */
        char *doc = NULL;
        T_OK(&w->f, lxd_api(c, "GET", "/1.0", NULL, &doc));
        bool sync = strstr(doc, "\"type\":\"sync\"") != NULL;
        lxd_string_free(doc);
        T_CHECK(&w->f, sync, "iteration %d: GET /1.0 not a sync document", k);

        /* set/save this thread's profile; the saved object and a fresh get agree */
        snprintf(buf, sizeof buf, "{\"user.thread\":\"%d\",\"user.iter\":\"%d\"}", w->index, k);
        T_OK(&w->f, lxd_obj_set(prof, "config", buf));
        T_CHECK(&w->f, lxd_obj_dirty(prof), "iteration %d: not dirty after set", k);
        T_OK(&w->f, lxd_obj_save(prof, true));
        T_CHECK(&w->f, !lxd_obj_dirty(prof), "iteration %d: dirty after save", k);
        snprintf(buf, sizeof buf, "\"user.iter\":\"%d\"", k);
        T_CHECK(&w->f, attr_contains(prof, "config", buf), "iteration %d: saved object lacks %s",
                k, buf);
        lxd_obj *fresh = NULL;
        T_OK(&w->f, lxd_profile_get(c, w->profile, &fresh));
        bool same = attr_contains(fresh, "config", buf);
        lxd_obj_free(fresh);
        T_CHECK(&w->f, same, "iteration %d: server lacks %s", k, buf);
        w->iterations_done = k + 1;
    }
out:
    lxd_obj_free(prof);
    return NULL;
}

TEST(threads_one_client_shared_by_eight_threads) {
    const char *container = t_fmt("%s", t_unique("th"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(container, false, &c));

    static struct worker w[N_THREADS];
    pthread_t th[N_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < N_THREADS; i++) {
        w[i].index = i;
        w[i].client = t_client();
        w[i].container = container;
        snprintf(w[i].profile, sizeof w[i].profile, "%s", t_unique("th-prof"));
        t_cleanup("lxc profile delete %s >/dev/null 2>&1", w[i].profile);
    }
    int started = 0;
    for (; started < N_THREADS; started++)
        if (pthread_create(&th[started], NULL, worker_main, &w[started]) != 0) break;
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    CHECK(started == N_THREADS);

    for (int i = 0; i < N_THREADS; i++)
        CHECK_MSG(w[i].f.count == 0, "thread %d: %d failure(s), first: %s", i, w[i].f.count,
                  w[i].f.text);
    for (int i = 0; i < N_THREADS; i++) {
        CHECK(w[i].iterations_done == N_ITER);
        CHECK_STREQ(t_sh_out("lxc profile get %s user.iter", w[i].profile),
                    t_fmt("%d", N_ITER - 1));
        CHECK_STREQ(t_sh_out("lxc profile get %s user.thread", w[i].profile), t_fmt("%d", i));
    }
    /* The shared client still works for the main thread. */
    CHECK_OK(lxd_obj_sync(c));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", container), "STOPPED");
}

/* ---- thread-local error details ------------------------------------------- */

struct err_probe {
    lxd_client *client;
    pthread_barrier_t *barrier;
    bool provoke_not_found;
    const char *missing;
    lxd_status status;
    int http_status;
    char message[512];
    /* after the other thread failed too: */
    int http_status_after;
    char message_after[512];
};

static void *err_probe_main(void *arg) {
    struct err_probe *p = arg;
    lxd_obj *o = NULL;
    if (p->provoke_not_found)
        p->status = lxd_instance_get(p->client, p->missing, &o);
    else
        p->status = lxd_get(p->client, LXD_KIND_INSTANCE, NULL, &o);
    lxd_obj_free(o);
    p->http_status = lxd_last_error_http_status();
    snprintf(p->message, sizeof p->message, "%s", lxd_last_error_message());
    /* Both have failed now; each must still see its own details. */
    pthread_barrier_wait(p->barrier);
    p->http_status_after = lxd_last_error_http_status();
    snprintf(p->message_after, sizeof p->message_after, "%s", lxd_last_error_message());
    pthread_barrier_wait(p->barrier);
    return NULL;
}

TEST(threads_error_details_are_thread_local) {
    pthread_barrier_t barrier;
    CHECK(pthread_barrier_init(&barrier, NULL, 2) == 0);
    static struct err_probe a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.client = b.client = t_client();
    a.barrier = b.barrier = &barrier;
    a.provoke_not_found = true;
    a.missing = t_fmt("%s", t_unique("th-missing"));
    b.provoke_not_found = false;

    /* The main thread's own last error, to check it is untouched. */
    lxd_obj *o = NULL;
    CHECK_STATUS(lxd_get(t_client(), 42, "x", &o), LXD_ERR_INVALID_ARGUMENT);
    char mine[512];
    snprintf(mine, sizeof mine, "%s", lxd_last_error_message());

    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, err_probe_main, &a) == 0);
    bool tb_started = pthread_create(&tb, NULL, err_probe_main, &b) == 0;
    /* Without a second thread, be a's partner here (a waits on the barrier). */
    if (!tb_started) err_probe_main(&b);
    pthread_join(ta, NULL);
    if (tb_started) pthread_join(tb, NULL);
    pthread_barrier_destroy(&barrier);
    CHECK_MSG(tb_started, "pthread_create failed");

    CHECK_STATUS(a.status, LXD_ERR_NOT_FOUND);
    CHECK(a.http_status == 404);
    CHECK_MSG(strcasestr(a.message, "not found"), "A: \"%s\"", a.message);
    CHECK(a.http_status_after == 404);
    CHECK_STREQ(a.message_after, a.message);

    CHECK_STATUS(b.status, LXD_ERR_INVALID_ARGUMENT);
    CHECK(b.http_status == 0);
    CHECK_MSG(b.message[0] && !strcasestr(b.message, "not found"), "B: \"%s\"", b.message);
    CHECK(b.http_status_after == 0);
    CHECK_STREQ(b.message_after, b.message);

    CHECK_STREQ(lxd_last_error_message(), mine);
    CHECK(lxd_last_error_http_status() == 0);
}

/* ---- one object, two threads ---------------------------------------------- */

#define N_SHARED_ITER 200

struct sharer {
    lxd_obj *obj;
    bool writer;
    struct failure f;
};

static void *sharer_main(void *arg) {
    struct sharer *s = arg;
    char buf[64];
    for (int k = 0; k < N_SHARED_ITER; k++) {
        if (s->writer) {
            snprintf(buf, sizeof buf, "\"v%d\"", k);
            T_OK(&s->f, lxd_obj_set(s->obj, "description", buf));
            T_CHECK(&s->f, lxd_obj_dirty(s->obj), "iteration %d: not dirty", k);
            if (k % 50 == 49) T_OK(&s->f, lxd_obj_save(s->obj, true));
            if (k % 50 == 25) T_OK(&s->f, lxd_obj_sync(s->obj));
        } else {
            char *d = attr(s->obj, "description");
            bool ok = d && d[0] == '"';
            lxd_string_free(d);
            T_CHECK(&s->f, ok, "iteration %d: description unreadable", k);
            T_CHECK(&s->f, attr_contains(s->obj, "config", "\"user.shared\":\"1\""),
                    "iteration %d: config lost", k);
            char *json = NULL;
            T_OK(&s->f, lxd_obj_to_json(s->obj, &json));
            bool has_name = strstr(json, "\"name\":") != NULL;
            lxd_string_free(json);
            T_CHECK(&s->f, has_name, "iteration %d: to_json without name", k);
            (void)lxd_obj_dirty(s->obj);
        }
    }
out:
    return NULL;
}

TEST(threads_one_object_shared_by_two_threads) {
    const char *name = t_fmt("%s", t_unique("th-shared"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", name);
    /* The object comes from a private client freed before the threads run:
     * objects keep what they need of their client alive. */
    lxd_client *pc = NULL;
    lxd_obj *obj = NULL;
    CHECK_OK(lxd_client_new(NULL, NULL, &pc));
    lxd_status s = lxd_profile_create(
        pc, t_fmt("{\"name\":\"%s\",\"config\":{\"user.shared\":\"1\"}}", name), true, &obj);
    lxd_client_free(pc);
    CHECK_OK(s);
    t_keep_obj(obj);

    static struct sharer r, w;
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.obj = w.obj = obj;
    w.writer = true;
    pthread_t tr, tw;
    CHECK(pthread_create(&tr, NULL, sharer_main, &r) == 0);
    if (pthread_create(&tw, NULL, sharer_main, &w) != 0) {
        pthread_join(tr, NULL);
        CHECK_MSG(false, "pthread_create failed");
    }
    pthread_join(tr, NULL);
    pthread_join(tw, NULL);
    CHECK_MSG(r.f.count == 0, "reader: %s", r.f.text);
    CHECK_MSG(w.f.count == 0, "writer: %s", w.f.text);

    /* The last save (iteration 199) wrote v199 and left nothing dirty. */
    CHECK(!lxd_obj_dirty(obj));
    CHECK_STREQ(t_get(obj, "description"), t_fmt("\"v%d\"", N_SHARED_ITER - 1));
    CHECK_STREQ(t_sh_out("lxc query /1.0/profiles/%s | jq -r .description", name),
                t_fmt("v%d", N_SHARED_ITER - 1));
    CHECK_STREQ(t_sh_out("lxc profile get %s user.shared", name), "1");
}

/* ---- many clients at once -------------------------------------------------- */

struct opener {
    struct failure f;
};

static void *opener_main(void *arg) {
    struct opener *o = arg;
    for (int k = 0; k < 5; k++) {
        lxd_client *c = NULL;
        T_OK(&o->f, lxd_client_new(NULL, NULL, &c));
        bool ext = lxd_client_has_api_extension(c, "instances");
        bool b = false;
        lxd_status s = lxd_profile_exists(c, "default", &b);
        lxd_client_free(c);
        T_CHECK(&o->f, ext, "iteration %d: no instances extension", k);
        T_OK(&o->f, s);
        T_CHECK(&o->f, b, "iteration %d: default profile missing", k);
    }
out:
    return NULL;
}

TEST(threads_clients_created_and_freed_concurrently) {
    static struct opener o[N_THREADS];
    pthread_t th[N_THREADS];
    memset(o, 0, sizeof o);
    int started = 0;
    for (; started < N_THREADS; started++)
        if (pthread_create(&th[started], NULL, opener_main, &o[started]) != 0) break;
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    CHECK(started == N_THREADS);
    for (int i = 0; i < N_THREADS; i++)
        CHECK_MSG(o[i].f.count == 0, "thread %d: %s", i, o[i].f.text);
}

T_MAIN(T_CASE(threads_one_client_shared_by_eight_threads),
       T_CASE(threads_error_details_are_thread_local),
       T_CASE(threads_one_object_shared_by_two_threads),
       T_CASE(threads_clients_created_and_freed_concurrently))
