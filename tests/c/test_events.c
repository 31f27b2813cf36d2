/* The event stream (/1.0/events) through the pull API, against the real
 * daemon: lifecycle events for a config change and a start, filtering by
 * type on the server, timeouts, several streams at once, nothing lost while
 * the caller is not reading, and bad input. Runs over the unix socket and
 * over HTTPS (scripts/test.sh sets LIBLXD_TEST_TRANSPORT). */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static lxd_events *open_events(const char *types) {
    lxd_events *ev = NULL;
    if (lxd_events_open(t_client(), types, &ev) != LXD_OK) return NULL;
    return ev;
}

static lxd_events *keep_events(lxd_events *ev) { return t_keep_events(ev); }

/* Read events for up to `timeout_ms` each until one contains `needle`;
 * returns it (kept until the test ends) or NULL.
 * Every event read is checked to have type `only_type` when that is set. */
static char *next_matching(lxd_events *ev, int timeout_ms, const char *only_type, bool *wrong_type,
                           const char *needle) {
    for (int i = 0; i < 200; i++) {
        char *json = NULL;
        if (lxd_events_next(ev, timeout_ms, &json) != LXD_OK) return NULL;
        t_keep_str(json);
        if (only_type) {
            char want[64];
            snprintf(want, sizeof want, "\"type\":\"%s\"", only_type);
            if (!t_contains(json, want)) *wrong_type = true;
        }
        if (t_contains(json, needle)) return json;
    }
    return NULL;
}

static lxd_obj *container(const char *prefix, bool start) {
    lxd_obj *c = NULL;
    return t_new_container(t_unique(prefix), start, &c) == LXD_OK ? c : NULL;
}

TEST(config_change_and_start_arrive_as_lifecycle_events_within_a_second) {
    lxd_obj *c = container("ev", false);
    CHECK(c);
    char *name = NULL;
    CHECK_OK(lxd_obj_key(c, &name));
    t_keep_str(name);
    lxd_events *ev = keep_events(open_events("lifecycle"));
    CHECK_MSG(ev, "lxd_events_open: %s", lxd_last_error_message());

    const char *config = t_json_insert(t_get(c, "config"), "\"user.liblxd-event\":\"1\"");
    CHECK(config);
    CHECK_OK(lxd_obj_set(c, "config", config));
    CHECK_OK(lxd_obj_save(c, true));
    bool wrong = false;
    char source[160];
    snprintf(source, sizeof source, "\"source\":\"/1.0/instances/%s\"", name);
    /* The action name depends on LXD's version; the source is the instance. */
    char *updated = next_matching(ev, 1000, "lifecycle", &wrong, source);
    CHECK_MSG(updated, "no lifecycle event for the config change within 1 s: %s",
              lxd_last_error_message());
    CHECK_MSG(t_contains(updated, "\"action\":\"instance-updated\""), "event: %s", updated);

    CHECK_OK(lxd_instance_start(c, -1, false, true));
    char *started = NULL;
    while ((started = next_matching(ev, 1000, "lifecycle", &wrong, source)) &&
           !t_contains(started, "instance-started")) {
    }
    CHECK_MSG(started, "no instance-started event within 1 s: %s", lxd_last_error_message());
    CHECK_MSG(!wrong, "an event of another type came through the lifecycle filter");
}

TEST(operation_filter_gives_only_operation_events) {
    lxd_obj *c = container("evo", false);
    CHECK(c);
    lxd_events *ev = keep_events(open_events("operation"));
    CHECK(ev);
    CHECK_OK(lxd_instance_start(c, -1, false, true));
    bool wrong = false;
    char *op = next_matching(ev, 1000, "operation", &wrong, "\"description\":\"Starting instance\"");
    CHECK_MSG(op, "no operation event for the start within 1 s: %s", lxd_last_error_message());
    CHECK(!wrong);
}

TEST(unfiltered_stream_gives_several_types) {
    lxd_obj *c = container("eva", false);
    CHECK(c);
    lxd_events *ev = keep_events(open_events(NULL));
    CHECK(ev);
    CHECK_OK(lxd_instance_start(c, -1, false, true));
    bool saw_lifecycle = false, saw_operation = false;
    for (int i = 0; i < 100 && !(saw_lifecycle && saw_operation); i++) {
        char *json = NULL;
        if (lxd_events_next(ev, 1000, &json) != LXD_OK) break;
        saw_lifecycle |= t_contains(json, "\"type\":\"lifecycle\"");
        saw_operation |= t_contains(json, "\"type\":\"operation\"");
        lxd_string_free(json);
    }
    CHECK(saw_lifecycle);
    CHECK(saw_operation);
}

TEST(quiet_stream_times_out_and_stays_usable) {
    lxd_events *ev = keep_events(open_events("lifecycle"));
    CHECK(ev);
    /* Events of earlier work may still trickle in: take them until a 200 ms
     * wait comes back empty (on a quiet daemon, the first one does). */
    char *json = (char *)"untouched";
    lxd_status s = LXD_OK;
    for (int i = 0; i < 50 && s == LXD_OK; i++) {
        json = (char *)"untouched";
        s = lxd_events_next(ev, 200, &json);
        if (s == LXD_OK) lxd_string_free(json);
    }
    CHECK_STATUS(s, LXD_ERR_TIMEOUT);
    CHECK(strcmp(json, "untouched") == 0);
    s = lxd_events_next(ev, 0, &json);
    if (s == LXD_OK) lxd_string_free(json);
    CHECK_MSG(s == LXD_ERR_TIMEOUT || s == LXD_OK, "a zero timeout gave %s", lxd_status_name(s));
    /* Still usable: an event made now arrives. */
    char profile[96];
    snprintf(profile, sizeof profile, "%s", t_unique("evp"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", profile);
    CHECK(t_sh("lxc profile create %s >/dev/null", profile) == 0);
    bool wrong = false;
    char needle[160];
    snprintf(needle, sizeof needle, "\"source\":\"/1.0/profiles/%s\"", profile);
    CHECK(next_matching(ev, 1000, "lifecycle", &wrong, needle));
}

TEST(events_are_queued_while_the_caller_is_not_reading) {
    lxd_events *ev = keep_events(open_events("lifecycle"));
    CHECK(ev);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s", t_unique("evq"));
    enum { N = 30 };
    t_cleanup("for i in $(seq 1 %d); do lxc profile delete %s-$i >/dev/null 2>&1; done", N, prefix);
    CHECK(t_sh("for i in $(seq 1 %d); do lxc profile create %s-$i >/dev/null || exit 1; done", N,
               prefix) == 0);
    /* Every creation is there to read afterwards, in order. */
    int next = 1;
    for (int i = 0; i < 10 * N && next <= N; i++) {
        char *json = NULL;
        CHECK_OK(lxd_events_next(ev, 2000, &json));
        char want[160];
        snprintf(want, sizeof want, "\"source\":\"/1.0/profiles/%s-%d\"", prefix, next);
        if (t_contains(json, want) && t_contains(json, "profile-created")) next++;
        lxd_string_free(json);
    }
    CHECK_MSG(next == N + 1, "only %d of %d profile-created events arrived", next - 1, N);
}

TEST(two_streams_both_see_the_same_event) {
    lxd_events *a = keep_events(open_events("lifecycle"));
    lxd_events *b = keep_events(open_events("lifecycle,operation"));
    CHECK(a && b);
    char profile[96];
    snprintf(profile, sizeof profile, "%s", t_unique("ev2"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", profile);
    CHECK(t_sh("lxc profile create %s >/dev/null", profile) == 0);
    char needle[160];
    snprintf(needle, sizeof needle, "\"source\":\"/1.0/profiles/%s\"", profile);
    bool wrong = false;
    CHECK(next_matching(a, 1000, NULL, &wrong, needle));
    CHECK(next_matching(b, 1000, NULL, &wrong, needle));
}

TEST(bad_input_is_refused) {
    lxd_events *ev = (lxd_events *)0x1;
    CHECK_STATUS(lxd_events_open(NULL, NULL, &ev), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_open(t_client(), "lifecycle;rm -rf", &ev), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_open(t_client(), "", &ev), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_open(t_client(), "lifecycle,,operation", &ev), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_open(t_client(), "\xff", &ev), LXD_ERR_INVALID_ARGUMENT);
    CHECK(ev == (lxd_events *)0x1);
    CHECK_STATUS(lxd_events_open(t_client(), NULL, NULL), LXD_ERR_INVALID_ARGUMENT);
    char *json = NULL;
    CHECK_STATUS(lxd_events_next(NULL, 0, &json), LXD_ERR_INVALID_ARGUMENT);
    lxd_events *real = keep_events(open_events(NULL));
    CHECK(real);
    CHECK_STATUS(lxd_events_next(real, 0, NULL), LXD_ERR_INVALID_ARGUMENT);
    lxd_events_free(NULL);
}

/* ---- the callback form (lxd_events_listen) -------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    bool matched;
    char needle[160];
    pthread_t thread;
    int stop_after; /* return non-zero on this call (0: never) */
} heard = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, "", 0, 0};

static int on_event(lxd_status status, const char *json, void *user) {
    (void)user;
    pthread_mutex_lock(&heard.mu);
    heard.calls++;
    heard.thread = pthread_self();
    if (status == LXD_OK && t_contains(json, heard.needle)) heard.matched = true;
    int stop = heard.stop_after && heard.calls >= heard.stop_after;
    pthread_cond_broadcast(&heard.cv);
    pthread_mutex_unlock(&heard.mu);
    return stop;
}

/* Wait (up to `ms`) until the listener matched the needle. */
static bool await_match(int ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&heard.mu);
    while (!heard.matched)
        if (pthread_cond_timedwait(&heard.cv, &heard.mu, &until) != 0) break;
    bool ok = heard.matched;
    pthread_mutex_unlock(&heard.mu);
    return ok;
}

static void reset_heard(const char *needle, int stop_after) {
    pthread_mutex_lock(&heard.mu);
    heard.calls = 0;
    heard.matched = false;
    heard.stop_after = stop_after;
    snprintf(heard.needle, sizeof heard.needle, "%s", needle);
    pthread_mutex_unlock(&heard.mu);
}

static int heard_calls(void) {
    pthread_mutex_lock(&heard.mu);
    int n = heard.calls;
    pthread_mutex_unlock(&heard.mu);
    return n;
}

TEST(listener_calls_back_on_its_own_thread_and_stops_when_freed) {
    char profile[96], needle[160];
    snprintf(profile, sizeof profile, "%s", t_unique("evl"));
    snprintf(needle, sizeof needle, "\"source\":\"/1.0/profiles/%s\"", profile);
    reset_heard(needle, 0);
    lxd_events_listener *l = NULL;
    CHECK_OK(lxd_events_listen(t_client(), "lifecycle", on_event, NULL, &l));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1; lxc profile delete %s-2 >/dev/null 2>&1",
              profile, profile);
    if (t_sh("lxc profile create %s >/dev/null", profile) != 0 || !await_match(2000)) {
        lxd_events_listener_free(l);
        CHECK_MSG(false, "the listener did not report the profile's creation within 2 s");
    }
    pthread_mutex_lock(&heard.mu);
    bool other_thread = !pthread_equal(heard.thread, pthread_self());
    pthread_mutex_unlock(&heard.mu);
    lxd_events_listener_free(l);
    CHECK(other_thread);
    /* After free returns, no callback runs any more. */
    int before = heard_calls();
    CHECK(t_sh("lxc profile create %s-2 >/dev/null && lxc profile delete %s-2 >/dev/null", profile,
               profile) == 0);
    char *json = NULL;
    lxd_events *probe = t_keep_events(open_events("lifecycle"));
    CHECK(probe);
    /* A pulled stream opened afterwards proves events still flow... */
    CHECK(t_sh("lxc profile set %s user.x 1", profile) == 0);
    CHECK_OK(lxd_events_next(probe, 2000, &json));
    lxd_string_free(json);
    /* ...while the freed listener saw none of them. */
    CHECK_MSG(heard_calls() == before, "%d callbacks after lxd_events_listener_free",
              heard_calls() - before);
}

TEST(listener_stops_when_the_callback_returns_non_zero) {
    reset_heard("\"type\":\"lifecycle\"", 1);
    lxd_events_listener *l = NULL;
    CHECK_OK(lxd_events_listen(t_client(), "lifecycle", on_event, NULL, &l));
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s", t_unique("evs"));
    t_cleanup("for i in 1 2 3; do lxc profile delete %s-$i >/dev/null 2>&1; done", prefix);
    int rc = t_sh("for i in 1 2 3; do lxc profile create %s-$i >/dev/null || exit 1; done", prefix);
    bool matched = await_match(2000);
    /* Let any further events reach the stream: a pulled stream sees a
     * marker event, created after them. */
    lxd_events *probe = t_keep_events(open_events("lifecycle"));
    int rc2 = t_sh("lxc profile set %s-1 user.x 1", prefix);
    char *json = NULL;
    lxd_status s = probe ? lxd_events_next(probe, 2000, &json) : LXD_ERR_INTERNAL;
    lxd_string_free(json);
    int calls = heard_calls();
    lxd_events_listener_free(l);
    CHECK(rc == 0 && rc2 == 0 && s == LXD_OK);
    CHECK(matched);
    CHECK_MSG(calls == 1, "the callback ran %d times after asking to stop at the first", calls);
}

TEST(listener_bad_input_is_refused) {
    lxd_events_listener *l = (lxd_events_listener *)0x1;
    CHECK_STATUS(lxd_events_listen(NULL, NULL, on_event, NULL, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_listen(t_client(), NULL, NULL, NULL, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_listen(t_client(), "bad type", on_event, NULL, &l), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_events_listen(t_client(), NULL, on_event, NULL, NULL), LXD_ERR_INVALID_ARGUMENT);
    CHECK(l == (lxd_events_listener *)0x1);
    lxd_events_listener_free(NULL);
}

T_MAIN(T_CASE(config_change_and_start_arrive_as_lifecycle_events_within_a_second),
       T_CASE(operation_filter_gives_only_operation_events),
       T_CASE(unfiltered_stream_gives_several_types),
       T_CASE(quiet_stream_times_out_and_stays_usable),
       T_CASE(events_are_queued_while_the_caller_is_not_reading),
       T_CASE(two_streams_both_see_the_same_event),
       T_CASE(bad_input_is_refused),
       T_CASE(listener_calls_back_on_its_own_thread_and_stops_when_freed),
       T_CASE(listener_stops_when_the_callback_returns_non_zero),
       T_CASE(listener_bad_input_is_refused))
