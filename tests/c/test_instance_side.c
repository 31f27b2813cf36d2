/* What an instance has beside its configuration and state, against the
 * real daemon: log files, the console log and a console session,
 * metadata, templates, partial updates (PATCH) of instances and profiles,
 * the state change of all instances of a project at once, and copies
 * (with snapshots, instance only, refreshed).
 *
 * One running busybox container serves most tests (made on first use,
 * deleted at exit; a test that stops it starts it again); `lxc` checks
 * every outcome on the server. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the shared container ---------------------------------------------- */

static char box_name[96];
static lxd_obj *box_obj;
static bool box_tried;

static void box_teardown(void) {
    lxd_obj_free(box_obj);
    box_obj = NULL;
    if (box_name[0]) t_sh("lxc delete -f %s >/dev/null 2>&1", box_name);
}

/* The running container of this run; NULL if it could not be made or
 * (re)started. */
static lxd_obj *box(void) {
    if (!box_obj && !box_tried) {
        box_tried = true;
        t_client();
        snprintf(box_name, sizeof box_name, "%s", t_unique("side"));
        atexit(box_teardown);
        if (t_sh("lxc launch busybox %s >/dev/null 2>&1", box_name) != 0) {
            printf("    lxc launch busybox %s failed\n", box_name);
            return NULL;
        }
        lxd_obj *o = NULL;
        if (lxd_container_get(t_client(), box_name, &o) != LXD_OK) {
            printf("    lxd_container_get %s: %s\n", box_name, lxd_last_error_message());
            return NULL;
        }
        box_obj = o;
    }
    if (box_obj && !t_streq(t_sh_out("lxc list '^%s$' -c s --format csv", box_name), "RUNNING") &&
        t_sh("lxc start %s >/dev/null 2>&1", box_name) != 0) {
        printf("    lxc start %s failed\n", box_name);
        return NULL;
    }
    return box_obj;
}

#define BOX()                                                              \
    lxd_obj *c = box();                                                    \
    CHECK_MSG(c, "no test container")

/* `lxc query` of the box's path `suffix` through jq -r FILTER. */
static const char *box_query(const char *suffix, const char *filter) {
    return t_sh_out("lxc query '/1.0/instances/%s%s' 2>/dev/null | jq -r '%s'", box_name, suffix,
                    filter);
}

static const char *state_of(const char *name) {
    return t_sh_out("lxc list '^%s$' -c s --format csv", name);
}

/* Have the box write `text` to its console. */
static bool console_write(const char *text) {
    return t_sh("lxc exec %s -- sh -c 'echo %s > /dev/console'", box_name, text) == 0;
}

/* ---- logs ----------------------------------------------------------------- */

/* An exec whose output LXD records in the instance's log folder
 * (exec_<uuid>.stdout): the file's name, or NULL. */
static const char *recorded_exec_log(const char *instance) {
    const char *path = t_sh_out(
        "id=$(lxc query -X POST -d '{\"command\":[\"echo\",\"recorded\"],\"record-output\":true,"
        "\"wait-for-websocket\":false,\"interactive\":false}' /1.0/instances/%s/exec | jq -r .id) "
        "&& lxc query /1.0/operations/$id/wait | jq -r '.metadata.output[\"1\"]'",
        instance);
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash && slash[1] ? t_dup(slash + 1) : NULL;
}

TEST(instance_logs_list_read_delete) {
    BOX();
    char *logs = NULL;
    CHECK_OK(lxd_instance_logs(c, NULL, true, &logs));
    t_keep_str(logs);
    CHECK(logs && logs[0] == '[');
    CHECK(t_contains(logs, t_fmt("\"/1.0/instances/%s/logs/lxc.log\"", box_name)));
    /* The same list LXD gives lxc. */
    CHECK_STREQ(t_jq(logs, "sort|join(\" \")"), box_query("/logs", "sort|join(\" \")"));

    /* lxc.log, byte for byte as LXD serves it. */
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_log(c, "{\"name\":\"lxc.log\"}", &data, &len));
    t_keep_bytes(data);
    CHECK(len == strlen((const char *)data));
    const char *md5 = t_sh_out("lxc query /1.0/instances/%s/logs/lxc.log | head -c %zu | md5sum | "
                               "cut -d' ' -f1",
                               box_name, len);
    CHECK(md5);
    const char *want = t_dup(md5);
    char tmp[] = "/tmp/lxdt-log-XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    t_cleanup("rm -f %s", tmp);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
    CHECK_STREQ(t_sh_out("md5sum < %s | cut -d' ' -f1", tmp), want);
    /* The generic call reads the same. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    CHECK_OK(lxd_obj_action_bytes(c, "log", "{\"name\":\"lxc.conf\"}", &again, &again_len));
    t_keep_bytes(again);
    CHECK(t_contains((const char *)again, "lxc.log.file"));

    /* Deleting: an exec's recorded output may go ... */
    const char *recorded = recorded_exec_log(box_name);
    CHECK_MSG(recorded, "no recorded exec output");
    CHECK(strncmp(recorded, "exec_", 5) == 0);
    CHECK(t_contains(box_query("/logs", "join(\" \")"), recorded));
    CHECK_OK(lxd_instance_log(c, t_fmt("{\"name\":\"%s\"}", recorded), &again, &again_len));
    CHECK_STREQ((const char *)again, "recorded\n");
    lxd_bytes_free(again);
    again = NULL;
    char *r = NULL;
    CHECK_OK(lxd_instance_delete_log(c, t_fmt("{\"name\":\"%s\"}", recorded), true, &r));
    t_keep_str(r);
    CHECK_STREQ(r, "null");
    CHECK(!t_contains(box_query("/logs", "join(\" \")"), recorded));
    /* ... and then it is not found; LXD 5.0.2 refuses lxc.log, lxc.conf
     * (400) and names that are no log's (400). */
    char *r2 = NULL;
    CHECK_STATUS(lxd_instance_delete_log(c, t_fmt("{\"name\":\"%s\"}", recorded), true, &r2),
                 LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK_STATUS(lxd_instance_delete_log(c, "{\"name\":\"lxc.log\"}", true, &r2), LXD_ERR_API);
    CHECK(lxd_last_error_http_status() == 400);
    CHECK(t_contains(lxd_last_error_message(), "may not be deleted"));
    CHECK_STATUS(lxd_obj_action(c, "delete_log", "{\"name\":\"lxc.conf\"}", true, &r2),
                 LXD_ERR_API);
    CHECK_STATUS(lxd_instance_delete_log(c, "{\"name\":\"console.log\"}", true, &r2), LXD_ERR_API);
    CHECK(t_contains(lxd_last_error_message(), "not valid"));
    CHECK(r2 == NULL);
    CHECK(t_contains(box_query("/logs", "join(\" \")"), "lxc.log"));
    /* Reading a missing log: LXD 5.0.2 answers 500 (its open error). */
    CHECK_STATUS(lxd_instance_log(c, t_fmt("{\"name\":\"%s\"}", recorded), &again, &again_len),
                 LXD_ERR_API);
    CHECK(t_icontains(lxd_last_error_message(), "no such file"));
    /* A name is needed; bytes come only through the bytes call. */
    CHECK_STATUS(lxd_instance_log(c, NULL, &again, &again_len), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_delete_log(c, "{}", true, &r2), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_obj_action(c, "log", "{\"name\":\"lxc.log\"}", true, &r2),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(again == NULL && r2 == NULL);
}

/* ---- console -------------------------------------------------------------- */

/* LXD 5.0.2 keeps the console log in liblxc's ring buffer, and a read
 * drains it; an empty buffer is answered with a 500 ("open : no such file
 * or directory") rather than no bytes. */
static bool console_log_empty(lxd_obj *c) {
    uint8_t *data = NULL;
    size_t len = 0;
    lxd_status s = lxd_instance_console_log(c, NULL, &data, &len);
    lxd_bytes_free(data);
    return (s == LXD_ERR_API && lxd_last_error_http_status() == 500) || (s == LXD_OK && len == 0);
}

TEST(instance_console_log_read_and_clear) {
    BOX();
    const char *text = t_dup(t_unique("console-line"));
    CHECK(console_write(text));
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_console_log(c, NULL, &data, &len));
    t_keep_bytes(data);
    CHECK_MSG(t_contains((const char *)data, text), "console log: \"%s\"", (const char *)data);
    CHECK(len >= strlen(text) && len == strlen((const char *)data));
    /* Read, it is gone (LXD 5.0.2). */
    CHECK(console_log_empty(c));

    /* Clearing: what was written before is gone, for lxc too. */
    const char *cleared = t_dup(t_unique("console-cleared"));
    CHECK(console_write(cleared));
    char *r = NULL;
    CHECK_OK(lxd_instance_clear_console_log(c, NULL, true, &r));
    t_keep_str(r);
    CHECK(t_sh("lxc console --show-log %s 2>/dev/null | grep -q %s", box_name, cleared) != 0);
    CHECK(console_log_empty(c));
    /* New output shows again, without the old: through lxc, and through
     * the generic call. */
    const char *next = t_dup(t_unique("console-next"));
    CHECK(console_write(next));
    const char *shown = t_sh_out("lxc console --show-log %s", box_name);
    CHECK_MSG(t_contains(shown, next) && !t_contains(shown, cleared), "lxc shows: %s", shown);
    const char *last = t_dup(t_unique("console-last"));
    CHECK(console_write(last));
    uint8_t *third = NULL;
    size_t third_len = 0;
    CHECK_OK(lxd_obj_action_bytes(c, "console_log", NULL, &third, &third_len));
    t_keep_bytes(third);
    CHECK_MSG(t_contains((const char *)third, last) && !t_contains((const char *)third, cleared),
              "console log: \"%s\"", (const char *)third);
    char *r2 = NULL;
    CHECK_OK(lxd_obj_action(c, "clear_console_log", NULL, true, &r2));
    t_keep_str(r2);
    CHECK_STATUS(lxd_obj_action(c, "console_log", NULL, true, &r2), LXD_ERR_INVALID_ARGUMENT);
}

/* Read from the session until `needle` came or `ms` passed. */
static bool read_until(lxd_exec_session *s, const char *needle, int ms) {
    static char seen[16384];
    size_t n = 0;
    seen[0] = 0;
    for (int waited = 0; waited < ms; waited += 200) {
        size_t got = 0;
        lxd_status st = lxd_exec_session_read(s, (uint8_t *)seen + n, sizeof seen - 1 - n, 200, &got);
        if (st == LXD_OK && got == 0) return false;
        if (st != LXD_OK && st != LXD_ERR_TIMEOUT) return false;
        n += got;
        seen[n] = 0;
        if (strstr(seen, needle)) return true;
        if (n > sizeof seen - 256) n = 0;
    }
    return false;
}

/* The checks made while attached (a function, so that the session is
 * freed by the caller whatever happens). */
static void attached_console_checks(lxd_obj *c, lxd_exec_session *s) {
    CHECK_OK(lxd_exec_session_resize(s, 120, 40));
    /* Nothing or something within a short time: never an error. */
    uint8_t buf[256];
    size_t got = 0;
    lxd_status rs = lxd_exec_session_read(s, buf, sizeof buf, 300, &got);
    CHECK_MSG(rs == LXD_ERR_TIMEOUT || (rs == LXD_OK && got > 0), "short read: %s, %zu",
              lxd_status_name(rs), got);
    /* What the instance writes to its console comes out of the session. */
    const char *text = t_dup(t_unique("console-session"));
    CHECK(console_write(text));
    CHECK_MSG(read_until(s, text, 20000), "\"%s\" never came through the console", text);
    /* Typing goes to the console's terminal. */
    CHECK_OK(lxd_exec_session_write(s, (const uint8_t *)"\n", 1));
    /* A console has no command: no signals, and it has not ended. */
    CHECK_STATUS(lxd_exec_session_signal(s, 15), LXD_ERR_INVALID_ARGUMENT);
    int code = -1;
    CHECK_STATUS(lxd_exec_session_wait(s, 200, &code), LXD_ERR_TIMEOUT);
    /* A second console at the same time: LXD 5.0.2 accepts it (the
     * output keeps going to the first), and freeing it leaves the first
     * attached. */
    lxd_exec_session *second = NULL;
    lxd_status ss = lxd_instance_console(c, NULL, &second);
    const char *t2 = t_dup(t_unique("console-second"));
    bool wrote = console_write(t2);
    bool arrived = read_until(s, t2, 20000);
    lxd_exec_session_free(second);
    CHECK_MSG(ss == LXD_OK, "second console: %s: %s", lxd_status_name(ss), lxd_last_error_message());
    CHECK(wrote && arrived);
    const char *t3 = t_dup(t_unique("console-third"));
    CHECK(console_write(t3));
    CHECK(read_until(s, t3, 20000));
}

TEST(instance_console_session) {
    BOX();
    lxd_exec_session *s = NULL;
    CHECK_OK(lxd_instance_console(c, "{\"width\":100,\"height\":30}", &s));
    attached_console_checks(c, s);
    /* Freeing detaches; the instance goes on. */
    lxd_exec_session_free(s);
    if (t_failed()) return;
    CHECK_STREQ(state_of(box_name), "RUNNING");
    /* A stop that ends an attached console is tested on a daemon of its
     * own (test_restart.c): LXD 5.0.2 can crash doing it. */
    CHECK(t_sh("lxc stop -f %s", box_name) == 0);
    /* On a stopped instance there is no console. */
    lxd_exec_session *none = (lxd_exec_session *)0x1;
    CHECK_STATUS(lxd_instance_console(c, NULL, &none), LXD_ERR_API);
    CHECK(none == (lxd_exec_session *)0x1);
    CHECK(t_icontains(lxd_last_error_message(), "running"));
    /* Bad options, or no instance. */
    CHECK_STATUS(lxd_instance_console(c, "{\"command\":[\"sh\"]}", &none), LXD_ERR_INVALID_ARGUMENT);
    lxd_obj *profile = NULL;
    CHECK_OK(lxd_profile_get(t_client(), "default", &profile));
    t_keep_obj(profile);
    CHECK_STATUS(lxd_instance_console(profile, NULL, &none), LXD_ERR_INVALID_ARGUMENT);
    CHECK(none == (lxd_exec_session *)0x1);
}

/* ---- metadata and templates ---------------------------------------------- */

TEST(instance_metadata_get_set_patch) {
    BOX();
    char *md = NULL;
    CHECK_OK(lxd_instance_metadata(c, NULL, true, &md));
    t_keep_str(md);
    CHECK_STREQ(t_jq(md, ".properties.os"), "busybox");
    CHECK_STREQ(t_jq(md, ".architecture"),
                t_sh_out("lxc config metadata show %s | awk '/^architecture:/{print $2}'", box_name));
    /* Replace the whole document: a property added, one changed. */
    const char *doc = t_dup(t_sh_out("jq -c '.properties.description = \"set by liblxd\" | "
                                     ".properties[\"lxdt.set\"] = \"1\"' <<'EOF'\n%s\nEOF",
                                     md));
    CHECK(doc && doc[0] == '{');
    char *r = NULL;
    CHECK_OK(lxd_instance_set_metadata(c, doc, true, &r));
    t_keep_str(r);
    CHECK(t_sh("lxc config metadata show %s | grep -q '^  description: set by liblxd$'", box_name) == 0);
    CHECK(t_sh("lxc config metadata show %s | grep -q '^  lxdt.set: \"1\"$'", box_name) == 0);
    /* PATCH: only the fields given change; LXD merges the properties. */
    char *r2 = NULL;
    CHECK_OK(lxd_instance_patch_metadata(c, "{\"properties\":{\"lxdt.patched\":\"yes\"}}", true, &r2));
    t_keep_str(r2);
    CHECK(t_sh("lxc config metadata show %s | grep -q '^  lxdt.patched: \"yes\"$'", box_name) == 0);
    CHECK(t_sh("lxc config metadata show %s | grep -q '^  lxdt.set: \"1\"$'", box_name) == 0);
    CHECK(t_sh("lxc config metadata show %s | grep -q '^  os: busybox$'", box_name) == 0);
    char *now = NULL;
    CHECK_OK(lxd_obj_action(c, "metadata", NULL, true, &now));
    t_keep_str(now);
    CHECK_STREQ(t_jq(now, ".properties[\"lxdt.patched\"]"), "yes");
    CHECK_STREQ(t_jq(now, ".properties.description"), "set by liblxd");
    /* Back to what it was. */
    char *r3 = NULL;
    CHECK_OK(lxd_instance_set_metadata(c, md, true, &r3));
    t_keep_str(r3);
    CHECK(t_sh("lxc config metadata show %s | grep -q lxdt", box_name) != 0);
    /* Arguments must be a JSON object. */
    char *r4 = NULL;
    CHECK_STATUS(lxd_instance_set_metadata(c, "[1]", true, &r4), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_patch_metadata(c, "{not json", true, &r4), LXD_ERR_INVALID_ARGUMENT);
    CHECK(r4 == NULL);
}

TEST(instance_templates_put_list_get_delete) {
    BOX();
    const char *tpl = t_fmt("%s.tpl", t_unique("t"));
    t_cleanup("lxc config template delete %s %s >/dev/null 2>&1", box_name, tpl);
    char *list = NULL;
    CHECK_OK(lxd_instance_templates(c, NULL, true, &list));
    t_keep_str(list);
    CHECK(list && list[0] == '[' && !t_contains(list, tpl));

    const char *content = "hostname={{ container.name }}\nline two\n";
    char *body = t_fmt("{\"path\":\"%s\",\"content\":\"hostname={{ container.name }}\\nline two\\n\"}", tpl);
    char *r = NULL;
    CHECK_OK(lxd_instance_put_template(c, body, true, &r));
    t_keep_str(r);
    CHECK(t_sh("lxc config template list %s --format csv | grep -qx %s", box_name, tpl) == 0);
    CHECK_STREQ(t_sh_out("lxc config template show %s %s", box_name, tpl),
                "hostname={{ container.name }}\nline two");
    char *list2 = NULL;
    CHECK_OK(lxd_instance_templates(c, NULL, true, &list2));
    t_keep_str(list2);
    CHECK(t_contains(list2, t_fmt("\"%s\"", tpl)));
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(lxd_instance_template(c, t_fmt("{\"path\":\"%s\"}", tpl), &data, &len));
    t_keep_bytes(data);
    CHECK(len == strlen(content));
    CHECK_STREQ((const char *)data, content);

    /* Put again: replaced. */
    char *r2 = NULL;
    CHECK_OK(lxd_obj_action(c, "put_template", t_fmt("{\"path\":\"%s\",\"content\":\"v2\"}", tpl),
                            true, &r2));
    t_keep_str(r2);
    CHECK_STREQ(t_sh_out("lxc config template show %s %s", box_name, tpl), "v2");

    char *r3 = NULL;
    CHECK_OK(lxd_instance_delete_template(c, t_fmt("{\"path\":\"%s\"}", tpl), true, &r3));
    t_keep_str(r3);
    CHECK(t_sh("lxc config template list %s --format csv | grep -qx %s", box_name, tpl) != 0);
    /* Gone: not found, to read or to delete. */
    uint8_t *gone = NULL;
    CHECK_STATUS(lxd_instance_template(c, t_fmt("{\"path\":\"%s\"}", tpl), &gone, &len),
                 LXD_ERR_NOT_FOUND);
    char *r4 = NULL;
    CHECK_STATUS(lxd_instance_delete_template(c, t_fmt("{\"path\":\"%s\"}", tpl), true, &r4),
                 LXD_ERR_NOT_FOUND);
    /* The arguments each needs. */
    CHECK_STATUS(lxd_instance_put_template(c, t_fmt("{\"path\":\"%s\"}", tpl), true, &r4),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_put_template(c, "{\"content\":\"x\"}", true, &r4),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_instance_template(c, NULL, &gone, &len), LXD_ERR_INVALID_ARGUMENT);
    CHECK(gone == NULL && r4 == NULL);
    CHECK(t_sh("lxc config template list %s --format csv | grep -qx %s", box_name, tpl) != 0);
}

/* ---- PATCH ---------------------------------------------------------------- */

TEST(instance_and_profile_patch_change_only_what_they_name) {
    BOX();
    CHECK(t_sh("lxc config set %s user.lxdt-keep kept", box_name) == 0);
    t_cleanup("lxc config unset %s user.lxdt-keep >/dev/null 2>&1", box_name);
    t_cleanup("lxc config unset %s user.lxdt-patched >/dev/null 2>&1", box_name);
    CHECK_OK(lxd_obj_sync(c));
    CHECK_OK(lxd_obj_patch(c, "{\"description\":\"patched by liblxd\",\"config\":{\"user.lxdt-patched\":\"1\"}}",
                           true));
    CHECK_STREQ(box_query("", ".description"), "patched by liblxd");
    CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-patched", box_name), "1");
    CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-keep", box_name), "kept");
    CHECK_STREQ(t_sh_out("lxc config get %s image.os", box_name), "busybox");
    CHECK_STREQ(state_of(box_name), "RUNNING");
    /* The object was synced after the waited PATCH. */
    CHECK_STREQ(t_get(c, "description"), "\"patched by liblxd\"");
    CHECK(t_contains(t_get(c, "config"), "\"user.lxdt-keep\":\"kept\""));
    /* Local changes stay local and dirty. */
    CHECK_OK(lxd_obj_set(c, "description", "\"local only\""));
    CHECK_OK(lxd_obj_patch(c, "{\"config\":{\"user.lxdt-patched\":\"2\"}}", true));
    CHECK(lxd_obj_dirty(c));
    CHECK_STREQ(t_get(c, "description"), "\"local only\"");
    CHECK_STREQ(box_query("", ".description"), "patched by liblxd");
    CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-patched", box_name), "2");
    CHECK_OK(lxd_obj_rollback(c));
    /* LXD 5.0.2 empties an instance's description on a PATCH that does not
     * name it; liblxd sends the server's along, also one changed behind
     * the handle's back (the instance ETag does not cover it), and also
     * through a handle from a list (no ETag). */
    CHECK(t_sh("lxc query -X PATCH -d '{\"description\":\"set by lxc\"}' /1.0/instances/%s", box_name) == 0);
    CHECK_OK(lxd_obj_patch(c, "{\"config\":{\"user.lxdt-patched\":\"3\"}}", true));
    CHECK_STREQ(box_query("", ".description"), "set by lxc");
    CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-patched", box_name), "3");
    lxd_list *all = NULL;
    CHECK_OK(lxd_instance_all(t_client(), &all));
    t_keep_list(all);
    lxd_obj *listed = t_find_in(all, "name", box_name);
    CHECK(listed);
    CHECK_OK(lxd_obj_patch(listed, "{\"config\":{\"user.lxdt-patched\":\"4\"}}", true));
    CHECK_STREQ(box_query("", ".description"), "set by lxc");
    CHECK_STREQ(t_sh_out("lxc config get %s user.lxdt-patched", box_name), "4");
    CHECK_OK(lxd_obj_sync(c));
    /* What cannot be patched is refused before any request. */
    CHECK_STATUS(lxd_obj_patch(c, "{\"status\":\"Stopped\"}", true), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_patch(c, "{\"bogus\":1}", true), LXD_ERR_UNKNOWN_ATTRIBUTE);
    CHECK_STATUS(lxd_obj_patch(c, "\"x\"", true), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_obj_patch(c, NULL, true), LXD_ERR_INVALID_ARGUMENT);
    CHECK_STREQ(state_of(box_name), "RUNNING");

    /* A profile: merged key by key, "" removes a key. */
    const char *prof = t_dup(t_unique("side-prof"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", prof);
    lxd_obj *p = NULL;
    CHECK_OK(lxd_profile_create(
        t_client(), t_fmt("{\"name\":\"%s\",\"config\":{\"user.a\":\"1\",\"user.b\":\"2\"}}", prof),
        true, &p));
    t_keep_obj(p);
    CHECK_OK(lxd_obj_patch(p, "{\"config\":{\"user.a\":\"\",\"user.c\":\"3\"},\"description\":\"p\"}",
                           true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/profiles/%s | jq -c .config", prof),
                "{\"user.b\":\"2\",\"user.c\":\"3\"}");
    CHECK_STREQ(t_sh_out("lxc query /1.0/profiles/%s | jq -r .description", prof), "p");
    CHECK_STREQ(t_get(p, "config"), "{\"user.b\":\"2\",\"user.c\":\"3\"}");
    /* A PATCH through a handle that missed a change is refused. */
    lxd_obj *stale = NULL;
    CHECK_OK(lxd_profile_get(t_client(), prof, &stale));
    t_keep_obj(stale);
    CHECK(t_sh("lxc profile set %s user.d 4", prof) == 0);
    CHECK_STATUS(lxd_obj_patch(stale, "{\"config\":{\"user.b\":\"stale\"}}", true),
                 LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(t_sh_out("lxc profile get %s user.b", prof), "2");
    /* p missed that change too; once synced it patches, and without wait
     * its next read sees the server's state. */
    CHECK_STATUS(lxd_obj_patch(p, "{\"description\":\"stale\"}", false), LXD_ERR_PRECONDITION_FAILED);
    CHECK_OK(lxd_obj_sync(p));
    CHECK_OK(lxd_obj_patch(p, "{\"description\":\"no wait\"}", false));
    CHECK_STREQ(t_get(p, "description"), "\"no wait\"");
    CHECK(t_contains(t_get(p, "config"), "\"user.d\":\"4\""));
}

/* ---- all instances of a project at once ---------------------------------- */

TEST(instance_set_state_all_in_a_project_of_its_own) {
    const char *proj = t_dup(t_unique("side-proj"));
    const char *c1 = t_dup(t_unique("side-all"));
    const char *c2 = t_dup(t_unique("side-all"));
    t_cleanup("lxc project delete %s >/dev/null 2>&1", proj);
    t_cleanup("lxc delete -f --project %s %s >/dev/null 2>&1", proj, c1);
    t_cleanup("lxc delete -f --project %s %s >/dev/null 2>&1", proj, c2);
    lxd_obj *p = NULL;
    CHECK_OK(lxd_project_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"config\":{\"features.images\":\"false\",\"features.profiles\":\"false\"}}",
              proj),
        true, &p));
    t_keep_obj(p);
    lxd_client *pc = NULL;
    CHECK_OK(lxd_client_new(NULL, t_fmt("{\"project\":\"%s\"}", proj), &pc));
    t_keep_client(pc);
    for (int i = 0; i < 2; i++) {
        lxd_obj *o = NULL;
        CHECK_OK(lxd_container_create(
            pc,
            t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", i ? c2 : c1),
            true, &o));
        t_keep_obj(o);
    }
    /* The client really is scoped to the project: it sees exactly these
     * two, and the bulk change is never sent elsewhere. */
    lxd_list *l = NULL;
    CHECK_OK(lxd_instance_all(pc, &l));
    t_keep_list(l);
    CHECK(lxd_list_len(l) == 2 && t_find_in(l, "name", c1) && t_find_in(l, "name", c2));
    const char *listing = t_fmt("lxc list --project %s -c ns --format csv | sort", proj);

    char *r = NULL;
    CHECK_OK(lxd_instance_set_state_all(pc, "{\"state\":{\"action\":\"start\",\"timeout\":30}}", true, &r));
    t_keep_str(r);
    CHECK_STREQ(t_sh_out("%s | cut -d, -f2 | uniq -c | awk '{print $1\" \"$2}'", listing), "2 RUNNING");
    char *r2 = NULL;
    CHECK_OK(lxd_collection_action(pc, LXD_KIND_INSTANCE, "set_state_all",
                                   "{\"state\":{\"action\":\"stop\",\"timeout\":30,\"force\":true}}",
                                   true, &r2));
    t_keep_str(r2);
    CHECK_STREQ(t_sh_out("%s | cut -d, -f2 | uniq -c | awk '{print $1\" \"$2}'", listing), "2 STOPPED");
    /* Without wait: the operation, as it started. */
    char *started = NULL;
    CHECK_OK(lxd_instance_set_state_all(pc, "{\"state\":{\"action\":\"start\"}}", false, &started));
    t_keep_str(started);
    const char *id = t_dup(t_jq(started, ".id"));
    CHECK(id && strlen(id) > 8);
    lxd_obj *op = NULL;
    CHECK_OK(lxd_operation_get(pc, id, &op));
    t_keep_obj(op);
    CHECK_OK(lxd_operation_wait(op, 120));
    CHECK_STREQ(t_sh_out("%s | cut -d, -f2 | uniq -c | awk '{print $1\" \"$2}'", listing), "2 RUNNING");
    /* Only instance collections have it; it is not an object's action. */
    char *r3 = NULL;
    CHECK_STATUS(lxd_collection_action(pc, LXD_KIND_PROFILE, "set_state_all", "{}", true, &r3),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_collection_action(pc, LXD_KIND_INSTANCE, "start", "{}", true, &r3),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lxd_obj_action(lxd_list_get(l, 0), "set_state_all", "{}", true, &r3),
                 LXD_ERR_INVALID_ARGUMENT);
    CHECK(r3 == NULL);
}

/* ---- copies --------------------------------------------------------------- */

TEST(instance_copies_with_snapshots_instance_only_and_refresh) {
    const char *src = t_dup(t_unique("side-src"));
    lxd_obj *s = NULL;
    CHECK_OK(t_new_container(src, false, &s));
    const char *mark = "/lxdt-copy.txt";
    CHECK_OK(lxd_instance_file_put(s, mark, (const uint8_t *)"one", 3, NULL));
    lxd_obj *snap = NULL;
    CHECK_OK(lxd_instance_snapshot_create(s, "{\"name\":\"s0\"}", true, &snap));
    t_keep_obj(snap);

    /* LXD 5.0.2 gives a copy no profiles unless the request names them,
     * and then no root disk: the copy fails in its operation. */
    const char *bare = t_dup(t_unique("side-bare"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", bare);
    lxd_obj *o = (lxd_obj *)0x1;
    CHECK_STATUS(lxd_instance_create(
                     t_client(),
                     t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"copy\",\"source\":\"%s\"}}", bare, src),
                     true, &o),
                 LXD_ERR_OPERATION_FAILED);
    CHECK(t_contains(lxd_last_error_message(), "root"));
    CHECK(o == (lxd_obj *)0x1);

    /* With its snapshots (the default). */
    const char *full = t_dup(t_unique("side-copy"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", full);
    lxd_obj *f = NULL;
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],\"source\":{\"type\":\"copy\",\"source\":\"%s\"}}",
              full, src),
        true, &f));
    t_keep_obj(f);
    CHECK_STREQ(t_get(f, "name"), t_fmt("\"%s\"", full));
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq -r '.[]' | sed 's|.*/||'", full), "s0");
    CHECK_STREQ(t_sh_out("lxc file pull %s%s -", full, mark), "one");
    /* Instance only: no snapshots. */
    const char *only = t_dup(t_unique("side-copy"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", only);
    lxd_obj *io = NULL;
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],"
              "\"source\":{\"type\":\"copy\",\"source\":\"%s\",\"instance_only\":true}}",
              only, src),
        true, &io));
    t_keep_obj(io);
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq length", only), "0");
    CHECK_STREQ(t_sh_out("lxc file pull %s%s -", only, mark), "one");

    /* Refresh: the source changes (a file, a new snapshot); copying again
     * with refresh brings both to the existing copy. */
    CHECK_OK(lxd_instance_file_put(s, mark, (const uint8_t *)"two", 3, NULL));
    lxd_obj *snap1 = NULL;
    CHECK_OK(lxd_instance_snapshot_create(s, "{\"name\":\"s1\"}", true, &snap1));
    t_keep_obj(snap1);
    CHECK_STREQ(t_sh_out("lxc file pull %s%s -", full, mark), "one");
    lxd_obj *again = NULL;
    CHECK_OK(lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],"
              "\"source\":{\"type\":\"copy\",\"source\":\"%s\",\"refresh\":true}}",
              full, src),
        true, &again));
    t_keep_obj(again);
    CHECK_STREQ(t_sh_out("lxc file pull %s%s -", full, mark), "two");
    CHECK_STREQ(t_sh_out("lxc query /1.0/instances/%s/snapshots | jq -r '.[]' | sed 's|.*/||' | sort | "
                         "tr '\\n' ' '",
                         full),
                "s0 s1 ");
    /* Without refresh, the name is taken. */
    lxd_status dup = lxd_instance_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"profiles\":[\"default\"],\"source\":{\"type\":\"copy\",\"source\":\"%s\"}}",
              full, src),
        true, &o);
    CHECK_MSG(dup == LXD_ERR_OPERATION_FAILED || dup == LXD_ERR_CONFLICT, "copy onto a taken name: %s",
              lxd_status_name(dup));
    CHECK(o == (lxd_obj *)0x1);
}

T_MAIN(T_CASE(instance_logs_list_read_delete),
       T_CASE(instance_console_log_read_and_clear),
       T_CASE(instance_console_session),
       T_CASE(instance_metadata_get_set_patch),
       T_CASE(instance_templates_put_list_get_delete),
       T_CASE(instance_and_profile_patch_change_only_what_they_name),
       T_CASE(instance_set_state_all_in_a_project_of_its_own),
       T_CASE(instance_copies_with_snapshots_instance_only_and_refresh))
