/* Background operations against the real daemon: calls made without
 * waiting, operation objects, waits with timeouts, failures, cancelling. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* Container `name` from busybox, started if `start`; NULL on failure. The
 * harness deletes it and frees the object after the test. */
static lxd_obj *launch(const char *name, bool start) {
    lxd_obj *c = NULL;
    return t_new_container(name, start, &c) == LXD_OK ? c : NULL;
}

/* Start `sleep SECONDS` in the container as a background operation through
 * the raw API (exec without websockets runs as an operation until the
 * command ends); returns the operation's id in a static buffer. */
static const char *start_sleep(const char *name, int seconds) {
    static char id[64];
    char path[160], body[200], *doc = NULL;
    snprintf(path, sizeof path, "/1.0/instances/%s/exec", name);
    snprintf(body, sizeof body,
             "{\"command\":[\"sleep\",\"%d\"],\"record-output\":true,\"wait-for-websocket\":false,\"interactive\":false}",
             seconds);
    if (lxd_api(t_client(), "POST", path, body, &doc) != LXD_OK) return NULL;
    const char *p = strstr(doc, "\"operation\":\"/1.0/operations/");
    if (p) snprintf(id, 37, "%s", p + strlen("\"operation\":\"/1.0/operations/"));
    lxd_string_free(doc);
    return p ? id : NULL;
}

TEST(create_without_wait_gives_an_operation_and_first_read_finishes_it) {
    char name[96], def[256];
    snprintf(name, sizeof name, "%s", t_unique("opc"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", name);
    snprintf(def, sizeof def, "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
    lxd_obj *c = NULL, *op = NULL;
    CHECK_OK(lxd_container_create(t_client(), def, false, &c));
    lxd_status s = lxd_obj_operation(c, &op);
    if (s != LXD_OK || !op) lxd_obj_free(c);
    CHECK_OK(s);
    CHECK_MSG(op, "no operation for a create made without waiting");
    CHECK(lxd_obj_kind(op) == LXD_KIND_OPERATION);
    const char *cls = t_get(op, "class");
    bool ok = t_streq(cls, "\"task\"");
    /* The key is known without a request; any other attribute finishes the
     * create first, then loads the container. */
    const char *n = t_get(c, "name");
    char want[128];
    snprintf(want, sizeof want, "\"%s\"", name);
    bool name_ok = t_streq(n, want);
    const char *status = t_get(c, "status");
    bool status_ok = t_streq(status, "\"Stopped\"");
    lxd_obj *after = (lxd_obj *)0x1;
    lxd_status s2 = lxd_obj_operation(c, &after);
    lxd_obj_free(op);
    lxd_obj_free(c);
    CHECK_MSG(ok, "operation class %s", cls ? cls : "(error)");
    CHECK(name_ok);
    CHECK_MSG(status_ok, "status %s: %s", status ? status : "(error)", lxd_last_error_message());
    CHECK_OK(s2);
    CHECK_MSG(after == NULL, "the create was finished, so no operation is pending");
    CHECK_STREQ(t_sh_out("lxc list -c n --format csv '^%s$'", name), name);
}

TEST(action_without_wait_then_operation_wait) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opa"));
    lxd_obj *c = launch(name, false);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    lxd_obj *op = NULL;
    lxd_status s = lxd_instance_start(c, -1, false, false);
    if (s == LXD_OK) s = lxd_obj_operation(c, &op);
    CHECK_OK(s);
    CHECK(op);
    s = lxd_operation_wait(op, 60);
    const char *st = t_get(op, "status");
    bool st_ok = t_streq(st, "\"Success\"");
    lxd_obj_free(op);
    /* The object itself was not synced (nobody waited through it). */
    lxd_status sy = lxd_obj_sync(c);
    const char *cs = t_get(c, "status");
    bool running = t_streq(cs, "\"Running\"");
    CHECK_OK(s);
    CHECK_MSG(st_ok, "operation status %s", st ? st : "(error)");
    CHECK_OK(sy);
    CHECK(running);
    CHECK_STREQ(t_sh_out("lxc list -c s --format csv '^%s$'", name), "RUNNING");
}

TEST(waited_call_leaves_no_operation) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opw"));
    lxd_obj *c = launch(name, true);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    lxd_obj *op = (lxd_obj *)0x1;
    lxd_status s = lxd_obj_operation(c, &op);
    CHECK_OK(s);
    CHECK(op == NULL);
}

TEST(operation_wait_timeout_then_completion) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opt"));
    lxd_obj *c = launch(name, true);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    const char *id = start_sleep(name, 2);
    CHECK_MSG(id, "exec: %s", lxd_last_error_message());
    lxd_obj *op = NULL;
    CHECK_OK(lxd_operation_get(t_client(), id, &op));
    bool exists = false;
    lxd_status se = lxd_operation_exists(t_client(), id, &exists);
    lxd_status s0 = lxd_operation_wait(op, 0);
    const char *st0 = t_get(op, "status");
    bool running = t_streq(st0, "\"Running\"");
    lxd_status s1 = lxd_operation_wait(op, 30);
    const char *st1 = t_get(op, "status");
    bool success = t_streq(st1, "\"Success\"");
    lxd_obj_free(op);
    CHECK_OK(se);
    CHECK(exists);
    CHECK_MSG(s0 == LXD_ERR_TIMEOUT, "wait(0) on a running operation: %s", lxd_status_name(s0));
    CHECK_MSG(running, "status after the timed-out wait: %s", st0 ? st0 : "(error)");
    CHECK_OK(s1);
    CHECK_MSG(success, "final status %s", st1 ? st1 : "(error)");
}

TEST(operation_that_cannot_be_cancelled_reports_lxd_refusal) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opn"));
    lxd_obj *c = launch(name, true);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    const char *id = start_sleep(name, 1);
    CHECK(id);
    lxd_obj *op = NULL;
    CHECK_OK(lxd_operation_get(t_client(), id, &op));
    lxd_status s = lxd_operation_cancel(op);
    const char *msg = lxd_last_error_message();
    bool refused = t_contains(msg, "can't be cancelled");
    int http = lxd_last_error_http_status();
    lxd_status w = lxd_operation_wait(op, 30);
    lxd_obj_free(op);
    CHECK_MSG(s == LXD_ERR_API, "cancel: %s", lxd_status_name(s));
    CHECK_MSG(refused, "message: %s", msg);
    CHECK(http == 400);
    CHECK_OK(w);
}

TEST(failed_background_operation_is_operation_failed_with_lxd_message) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opf"));
    lxd_obj *c = launch(name, true);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    /* Starting a running instance fails in LXD's background operation. */
    lxd_status s = lxd_instance_start(c, -1, false, true);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lxd_last_error_message());
    lxd_obj *op = NULL;
    lxd_status s2 = lxd_instance_start(c, -1, false, false);
    if (s2 == LXD_OK) s2 = lxd_obj_operation(c, &op);
    lxd_status w = op ? lxd_operation_wait(op, 30) : LXD_OK;
    const char *err = op ? t_get(op, "err") : NULL;
    bool err_ok = err && strlen(err) > 2;
    lxd_obj_free(op);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED, "start of a running instance: %s", lxd_status_name(s));
    CHECK_MSG(t_contains(msg, "already running"), "message: %s", msg);
    CHECK_OK(s2);
    CHECK(op != NULL);
    CHECK_MSG(w == LXD_ERR_OPERATION_FAILED, "wait: %s", lxd_status_name(w));
    CHECK_MSG(err_ok, "the operation's err is readable: %s", err ? err : "(null)");
}

TEST(image_created_without_wait_learns_its_fingerprint) {
    char name[96], alias[96], def[256];
    snprintf(name, sizeof name, "%s", t_unique("opi"));
    snprintf(alias, sizeof alias, "%s", t_unique("opi-alias"));
    t_cleanup("lxc image delete %s >/dev/null 2>&1", alias);
    lxd_obj *c = launch(name, false);
    CHECK_MSG(c, "launch: %s", lxd_last_error_message());
    snprintf(def, sizeof def, "{\"source\":{\"type\":\"instance\",\"name\":\"%s\"},\"aliases\":[{\"name\":\"%s\"}]}",
             name, alias);
    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_create(t_client(), def, false, &img));
    char *key = NULL;
    lxd_status sk = lxd_obj_key(img, &key);
    bool empty_before = key && key[0] == 0;
    lxd_string_free(key);
    const char *fp = t_get(img, "fingerprint");
    char fpbuf[80] = "";
    if (fp) snprintf(fpbuf, sizeof fpbuf, "%s", fp);
    lxd_obj_free(img);
    CHECK_OK(sk);
    CHECK_MSG(empty_before, "an image's key is unknown until its creation finished");
    CHECK_MSG(fp, "reading the fingerprint: %s", lxd_last_error_message());
    const char *lxc_fp = t_sh_out("lxc image info %s | sed -n 's/^Fingerprint: //p'", alias);
    char want[80];
    snprintf(want, sizeof want, "\"%s\"", lxc_fp ? lxc_fp : "?");
    CHECK_STREQ(fpbuf, want);
}

/* LXD forgets a finished operation a few seconds after it ends; waiting on
 * one that liblxd started must still succeed then, while an id that never
 * existed stays LXD_ERR_NOT_FOUND. */
TEST(wait_on_an_operation_the_server_already_forgot_succeeds) {
    char name[96];
    snprintf(name, sizeof name, "%s", t_unique("opv"));
    lxd_obj *c = launch(name, true);
    CHECK(c);
    lxd_obj *op = NULL;
    CHECK_OK(lxd_instance_stop(c, -1, true, false));
    CHECK_OK(lxd_obj_operation(c, &op));
    CHECK(op);
    t_keep_obj(op);
    char *id = NULL;
    CHECK_OK(lxd_obj_key(op, &id));
    t_keep_str(id);
    /* Wait (bounded, functional) until the server no longer knows it. */
    bool gone = false;
    for (int i = 0; i < 300 && !gone; i++) {
        gone = t_sh("lxc query /1.0/operations/%s >/dev/null 2>&1", id) != 0;
        if (!gone) t_sh("sleep 0.1");
    }
    CHECK_MSG(gone, "LXD still knows operation %s after 30 s", id);
    CHECK_OK(lxd_operation_wait(op, 10));
    CHECK_STREQ(t_sh_out("lxc list ^%s$ --format csv -c s", name), "STOPPED");
    lxd_obj *never = NULL;
    CHECK_STATUS(lxd_get(t_client(), LXD_KIND_OPERATION, "6f1d2c3b-0000-4000-8000-000000000000", &never),
                 LXD_ERR_NOT_FOUND);
    CHECK(never == NULL);
}

T_MAIN(T_CASE(create_without_wait_gives_an_operation_and_first_read_finishes_it),
       T_CASE(action_without_wait_then_operation_wait),
       T_CASE(waited_call_leaves_no_operation),
       T_CASE(operation_wait_timeout_then_completion),
       T_CASE(wait_on_an_operation_the_server_already_forgot_succeeds),
       T_CASE(operation_that_cannot_be_cancelled_reports_lxd_refusal),
       T_CASE(failed_background_operation_is_operation_failed_with_lxd_message),
       T_CASE(image_created_without_wait_learns_its_fingerprint))
