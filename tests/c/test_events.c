/* The event stream (/1.0/events) through the pull API, against the real
 * daemon: lifecycle events for a config change and a start, filtering by
 * type on the server, timeouts, several streams at once, nothing lost while
 * the caller is not reading, and bad input. Runs over the unix socket and
 * over HTTPS (scripts/test.sh sets LIBLXD_TEST_TRANSPORT). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

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
    char *json = (char *)"untouched";
    CHECK_STATUS(lxd_events_next(ev, 200, &json), LXD_ERR_TIMEOUT);
    CHECK(strcmp(json, "untouched") == 0);
    CHECK_STATUS(lxd_events_next(ev, 0, &json), LXD_ERR_TIMEOUT);
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

T_MAIN(T_CASE(config_change_and_start_arrive_as_lifecycle_events_within_a_second),
       T_CASE(operation_filter_gives_only_operation_events),
       T_CASE(unfiltered_stream_gives_several_types),
       T_CASE(quiet_stream_times_out_and_stays_usable),
       T_CASE(events_are_queued_while_the_caller_is_not_reading),
       T_CASE(two_streams_both_see_the_same_event),
       T_CASE(bad_input_is_refused))
