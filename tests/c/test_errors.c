/* Error paths of the C API: every function family given NULL, invalid
 * UTF-8, bad JSON, bad kinds, unreachable endpoints; server errors mapped to
 * their codes with the server's text; out-parameters untouched on failure;
 * the raw API's checks; status names, version, *_free(NULL). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, strcasestr */
#endif
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sentinels: out-parameters must keep these when a call fails. */
#define BAD_OBJ ((lxd_obj *)0x5a5a)
#define BAD_LIST ((lxd_list *)0x5a5a)
#define BAD_STR ((char *)0x5a5a)
#define BAD_CLIENT ((lxd_client *)0x5a5a)

/* The call fails with `code`, a non-empty message and no HTTP status. */
#define EXPECT_LOCAL(call, code)                                           \
    do {                                                                   \
        CHECK_STATUS(call, code);                                          \
        CHECK_MSG(lxd_last_error_message()[0] != 0, "empty message: %s", #call); \
        CHECK_MSG(lxd_last_error_http_status() == 0, "http status %d: %s",  \
                  lxd_last_error_http_status(), #call);                    \
    } while (0)
#define EXPECT_INVALID(call) EXPECT_LOCAL(call, LXD_ERR_INVALID_ARGUMENT)

/* ---- NULL arguments ------------------------------------------------------- */

TEST(errors_null_client_and_out_params_for_managers) {
    lxd_client *c = t_client();
    lxd_obj *o = BAD_OBJ;
    lxd_list *l = BAD_LIST;
    char *s = BAD_STR;
    bool b = true;

    EXPECT_INVALID(lxd_client_new(NULL, NULL, NULL));
    EXPECT_INVALID(lxd_client_host_info(NULL, &s));
    EXPECT_INVALID(lxd_client_host_info(c, NULL));

    EXPECT_INVALID(lxd_get(NULL, LXD_KIND_PROFILE, "default", &o));
    EXPECT_INVALID(lxd_get(c, LXD_KIND_PROFILE, NULL, &o));
    EXPECT_INVALID(lxd_get(c, LXD_KIND_PROFILE, "default", NULL));
    EXPECT_INVALID(lxd_exists(NULL, LXD_KIND_PROFILE, "default", &b));
    EXPECT_INVALID(lxd_exists(c, LXD_KIND_PROFILE, NULL, &b));
    EXPECT_INVALID(lxd_exists(c, LXD_KIND_PROFILE, "default", NULL));
    EXPECT_INVALID(lxd_all(NULL, LXD_KIND_PROFILE, &l));
    EXPECT_INVALID(lxd_all(c, LXD_KIND_PROFILE, NULL));
    EXPECT_INVALID(lxd_create(NULL, LXD_KIND_PROFILE, "{\"name\":\"x\"}", true, &o));
    EXPECT_INVALID(lxd_create(c, LXD_KIND_PROFILE, NULL, true, &o));
    EXPECT_INVALID(lxd_create(c, LXD_KIND_PROFILE, "{\"name\":\"lxdt-never\"}", true, NULL));
    CHECK(t_sh("lxc profile show lxdt-never >/dev/null 2>&1") != 0);

    /* Typed managers of every family. */
    EXPECT_INVALID(lxd_instance_get(NULL, "x", &o));
    EXPECT_INVALID(lxd_container_get(c, NULL, &o));
    EXPECT_INVALID(lxd_virtual_machine_get(c, "x", NULL));
    EXPECT_INVALID(lxd_image_exists(NULL, "x", &b));
    EXPECT_INVALID(lxd_profile_exists(c, NULL, &b));
    EXPECT_INVALID(lxd_network_exists(c, "x", NULL));
    EXPECT_INVALID(lxd_storage_pool_all(NULL, &l));
    EXPECT_INVALID(lxd_project_all(c, NULL));
    EXPECT_INVALID(lxd_certificate_create(NULL, "{}", true, &o));
    EXPECT_INVALID(lxd_network_create(c, NULL, true, &o));
    EXPECT_INVALID(lxd_profile_create(c, "{\"name\":\"lxdt-never\"}", true, NULL));
    EXPECT_INVALID(lxd_operation_get(c, NULL, &o));
    EXPECT_INVALID(lxd_operation_all(NULL, &l));
    EXPECT_INVALID(lxd_image_get_by_alias(NULL, "busybox", &o));
    EXPECT_INVALID(lxd_image_get_by_alias(c, NULL, &o));
    EXPECT_INVALID(lxd_image_get_by_alias(c, "busybox", NULL));

    /* Raw API. */
    EXPECT_INVALID(lxd_api(NULL, "GET", "/1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, NULL, "/1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", NULL, NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", "/1.0", NULL, NULL));

    CHECK(o == BAD_OBJ && l == BAD_LIST && s == BAD_STR && b);
    CHECK(t_sh("lxc profile show lxdt-never >/dev/null 2>&1") != 0);
}

TEST(errors_null_object_and_attribute_arguments) {
    lxd_obj *p = NULL, *op = BAD_OBJ;
    char *s = BAD_STR;
    CHECK_OK(lxd_profile_get(t_client(), "default", &p));
    t_keep_obj(p);

    EXPECT_INVALID(lxd_obj_key(NULL, &s));
    EXPECT_INVALID(lxd_obj_key(p, NULL));
    EXPECT_INVALID(lxd_obj_get(NULL, "name", &s));
    EXPECT_INVALID(lxd_obj_get(p, NULL, &s));
    EXPECT_INVALID(lxd_obj_get(p, "name", NULL));
    EXPECT_INVALID(lxd_obj_set(NULL, "description", "\"x\""));
    EXPECT_INVALID(lxd_obj_set(p, NULL, "\"x\""));
    EXPECT_INVALID(lxd_obj_set(p, "description", NULL));
    EXPECT_INVALID(lxd_obj_sync(NULL));
    EXPECT_INVALID(lxd_obj_rollback(NULL));
    EXPECT_INVALID(lxd_obj_save(NULL, true));
    EXPECT_INVALID(lxd_obj_delete(NULL, true));
    EXPECT_INVALID(lxd_obj_rename(NULL, "x", true));
    EXPECT_INVALID(lxd_obj_rename(p, NULL, true));
    EXPECT_INVALID(lxd_obj_to_json(NULL, &s));
    EXPECT_INVALID(lxd_obj_to_json(p, NULL));
    EXPECT_INVALID(lxd_obj_operation(NULL, &op));
    EXPECT_INVALID(lxd_obj_operation(p, NULL));
    EXPECT_INVALID(lxd_instance_start(NULL, -1, false, true));
    EXPECT_INVALID(lxd_instance_stop(NULL, -1, false, true));
    EXPECT_INVALID(lxd_instance_restart(NULL, -1, false, true));
    EXPECT_INVALID(lxd_instance_freeze(NULL, -1, false, true));
    EXPECT_INVALID(lxd_instance_unfreeze(NULL, -1, false, true));
    EXPECT_INVALID(lxd_instance_state(NULL, &s));
    EXPECT_INVALID(lxd_instance_rename(NULL, "x", true));
    EXPECT_INVALID(lxd_operation_wait(NULL, 1));
    EXPECT_INVALID(lxd_operation_cancel(NULL));

    CHECK(s == BAD_STR && op == BAD_OBJ);
    CHECK(!lxd_obj_dirty(p));
    CHECK(!lxd_obj_dirty(NULL));
    CHECK(lxd_obj_kind(NULL) == -1);
    CHECK(lxd_list_len(NULL) == 0);
    CHECK(lxd_list_get(NULL, 0) == NULL);
    CHECK(!lxd_client_trusted(NULL));
    /* The default profile is as it was (nothing was sent). */
    CHECK_STREQ(t_get(p, "name"), "\"default\"");
}

TEST(errors_instance_calls_with_null_outputs_and_names) {
    const char *name = t_fmt("%s", t_unique("er"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    EXPECT_INVALID(lxd_instance_state(c, NULL));
    EXPECT_INVALID(lxd_instance_rename(c, NULL, true));
    EXPECT_INVALID(lxd_instance_rename(c, "", true));
    EXPECT_INVALID(lxd_instance_rename(c, "\xff\xfe", true));
    EXPECT_INVALID(lxd_obj_rename(c, "", true));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c ns --format csv", name), t_fmt("%s,STOPPED", name));
}

/* ---- invalid UTF-8 and JSON ----------------------------------------------- */

TEST(errors_invalid_utf8_anywhere_is_invalid_argument) {
    const char *bad = "\xff\xfe";
    lxd_client *c = t_client(), *nc = BAD_CLIENT;
    lxd_obj *o = BAD_OBJ, *p = NULL;
    char *s = BAD_STR;
    bool b = true;

    EXPECT_INVALID(lxd_client_new(bad, NULL, &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"project\":\"\xff\xfe\"}", &nc));
    EXPECT_INVALID(lxd_get(c, LXD_KIND_INSTANCE, bad, &o));
    CHECK(t_icontains(lxd_last_error_message(), "UTF-8"));
    EXPECT_INVALID(lxd_container_get(c, bad, &o));
    EXPECT_INVALID(lxd_exists(c, LXD_KIND_PROFILE, bad, &b));
    EXPECT_INVALID(lxd_profile_exists(c, bad, &b));
    EXPECT_INVALID(lxd_create(c, LXD_KIND_PROFILE, "{\"name\":\"\xff\xfe\"}", true, &o));
    EXPECT_INVALID(lxd_image_get_by_alias(c, bad, &o));
    EXPECT_INVALID(lxd_api(c, bad, "/1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", "/1.0/\xff\xfe", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "POST", "/1.0/profiles", "{\"name\":\"\xff\xfe\"}", &s));
    CHECK(!lxd_client_has_api_extension(c, bad));

    CHECK_OK(lxd_profile_get(c, "default", &p));
    t_keep_obj(p);
    EXPECT_INVALID(lxd_obj_get(p, bad, &s));
    EXPECT_INVALID(lxd_obj_set(p, bad, "\"x\""));
    EXPECT_INVALID(lxd_obj_set(p, "description", "\"\xff\xfe\""));
    EXPECT_INVALID(lxd_obj_rename(p, bad, true));
    CHECK(!lxd_obj_dirty(p));
    CHECK(nc == BAD_CLIENT && o == BAD_OBJ && s == BAD_STR && b);
}

TEST(errors_bad_json_definitions_and_options) {
    lxd_client *c = t_client(), *nc = BAD_CLIENT;
    lxd_obj *o = BAD_OBJ, *p = NULL;
    const char *name = t_fmt("%s", t_unique("er-prof"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", name);

    /* Client options. */
    EXPECT_INVALID(lxd_client_new(NULL, "{bad", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"porject\":\"default\"}", &nc));
    CHECK(t_contains(lxd_last_error_message(), "porject"));
    EXPECT_INVALID(lxd_client_new(NULL, "[]", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"verify\":\"no\"}", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"timeout_ms\":0}", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"timeout_ms\":-5}", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"cert\":\"/tmp/c.pem\"}", &nc));
    EXPECT_INVALID(lxd_client_new(NULL, "{\"project\":\"\"}", &nc));
    EXPECT_INVALID(lxd_client_new("", NULL, &nc));
    EXPECT_INVALID(lxd_client_new("ftp://example.com", NULL, &nc));
    CHECK(nc == BAD_CLIENT);
    /* Valid options do work. */
    lxd_client *ok = NULL;
    CHECK_OK(lxd_client_new(NULL, "{\"timeout_ms\":5000,\"project\":\"default\"}", &ok));
    t_keep_client(ok);
    CHECK(lxd_client_trusted(ok));

    /* Definitions. */
    EXPECT_INVALID(lxd_create(c, LXD_KIND_PROFILE, "{bad", true, &o));
    CHECK(t_icontains(lxd_last_error_message(), "JSON"));
    EXPECT_INVALID(lxd_profile_create(c, "", true, &o));
    EXPECT_INVALID(lxd_profile_create(c, "[1,2]", true, &o));
    EXPECT_INVALID(lxd_profile_create(c, "\"a string\"", true, &o));
    EXPECT_INVALID(lxd_profile_create(c, "{}", true, &o));
    EXPECT_INVALID(lxd_profile_create(c, "{\"name\":\"\"}", true, &o));
    EXPECT_INVALID(lxd_container_create(c, "{\"source\":{\"type\":\"none\"}}", true, &o));
    EXPECT_INVALID(lxd_profile_create(c, t_fmt("{\"name\":\"%s\"", name), true, &o));
    CHECK(o == BAD_OBJ);
    CHECK(t_sh("lxc profile show %s >/dev/null 2>&1", name) != 0);

    /* Attribute values. */
    CHECK_OK(lxd_profile_create(c, t_fmt("{\"name\":\"%s\"}", name), true, &p));
    t_keep_obj(p);
    EXPECT_INVALID(lxd_obj_set(p, "config", "{\"user.x\":"));
    EXPECT_INVALID(lxd_obj_set(p, "description", ""));
    EXPECT_INVALID(lxd_obj_set(p, "description", "unquoted"));
    CHECK(!lxd_obj_dirty(p));
    CHECK_OK(lxd_obj_save(p, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/profiles/%s | jq -c .config", name), "{}");
}

/* ---- kinds ---------------------------------------------------------------- */

TEST(errors_bad_kind_values_are_invalid_argument) {
    lxd_client *c = t_client();
    const lxd_kind bad[] = {42, -1, 10, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lxd_obj *o = BAD_OBJ;
        lxd_list *l = BAD_LIST;
        bool b = true;
        EXPECT_INVALID(lxd_get(c, bad[i], "default", &o));
        EXPECT_INVALID(lxd_exists(c, bad[i], "default", &b));
        EXPECT_INVALID(lxd_all(c, bad[i], &l));
        EXPECT_INVALID(lxd_create(c, bad[i], "{\"name\":\"lxdt-never\"}", true, &o));
        CHECK(o == BAD_OBJ && l == BAD_LIST && b);
    }
    /* Operations cannot be created. */
    lxd_obj *o = BAD_OBJ;
    EXPECT_INVALID(lxd_create(c, LXD_KIND_OPERATION, "{\"name\":\"lxdt-never\"}", true, &o));
    CHECK(o == BAD_OBJ);
}

/* ---- transport ------------------------------------------------------------ */

TEST(errors_unreachable_endpoints_are_connection_errors) {
    lxd_client *nc = BAD_CLIENT;
    EXPECT_LOCAL(lxd_client_new("/nonexistent/unix.socket", NULL, &nc), LXD_ERR_CONNECTION);
    CHECK(t_contains(lxd_last_error_message(), "/nonexistent/unix.socket"));
    EXPECT_LOCAL(lxd_client_new("unix:/nonexistent/unix.socket", NULL, &nc), LXD_ERR_CONNECTION);

    /* A regular file and a directory are no sockets. */
    char path[] = "/tmp/lxdt-notasocket-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    t_cleanup("rm -f %s", path);
    EXPECT_LOCAL(lxd_client_new(path, NULL, &nc), LXD_ERR_CONNECTION);
    EXPECT_LOCAL(lxd_client_new("/tmp", NULL, &nc), LXD_ERR_CONNECTION);
    /* Nobody listens on port 1. */
    EXPECT_LOCAL(lxd_client_new("https://127.0.0.1:1", "{\"verify\":false}", &nc),
                 LXD_ERR_CONNECTION);
    CHECK(nc == BAD_CLIENT);

    /* NULL endpoint honours $LXD_DIR. */
    const char *old = getenv("LXD_DIR");
    char *saved = old ? t_fmt("%s", old) : NULL;
    setenv("LXD_DIR", "/nonexistent", 1);
    lxd_status s = lxd_client_new(NULL, NULL, &nc);
    if (saved) setenv("LXD_DIR", saved, 1);
    else unsetenv("LXD_DIR");
    CHECK_MSG(s == LXD_ERR_CONNECTION, "LXD_DIR=/nonexistent gave %s", lxd_status_name(s));
    CHECK(nc == BAD_CLIENT);
}

/* ---- server errors -------------------------------------------------------- */

TEST(errors_not_found_carries_http_status_and_server_text) {
    lxd_obj *o = BAD_OBJ;
    char *s = BAD_STR;
    const char *missing = t_unique("er-missing");
    CHECK_STATUS(lxd_instance_get(t_client(), missing, &o), LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK_MSG(t_icontains(lxd_last_error_message(), "not found"), "message: \"%s\"",
              lxd_last_error_message());
    CHECK(o == BAD_OBJ);

    CHECK_STATUS(lxd_api(t_client(), "GET", t_fmt("/1.0/instances/%s", missing), NULL, &s),
                 LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK(t_icontains(lxd_last_error_message(), "not found"));
    CHECK(s == BAD_STR);

    /* A later local failure replaces the details. */
    EXPECT_INVALID(lxd_get(t_client(), LXD_KIND_INSTANCE, NULL, &o));
    CHECK(!t_icontains(lxd_last_error_message(), "not found"));
    /* ... and a success leaves them alone. */
    bool b = true;
    CHECK_OK(lxd_instance_exists(t_client(), missing, &b));
    CHECK(!b);
    CHECK(lxd_last_error_message()[0] != 0);
}

struct fresh_seen {
    bool message_null;
    char message[64];
    int http_status;
};

/* In a thread that never failed. The message is thread-local storage: copy
 * it here, it is gone once the thread ends. */
static void *fresh_thread_error(void *arg) {
    struct fresh_seen *seen = arg;
    const char *m = lxd_last_error_message();
    seen->message_null = m == NULL;
    snprintf(seen->message, sizeof seen->message, "%s", m ? m : "");
    seen->http_status = lxd_last_error_http_status();
    return NULL;
}

TEST(errors_last_error_message_is_never_null) {
    struct fresh_seen seen = {true, "unset", -1};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fresh_thread_error, &seen) == 0);
    pthread_join(th, NULL);
    CHECK(!seen.message_null);
    CHECK_STREQ(seen.message, "");
    CHECK(seen.http_status == 0);
    CHECK(lxd_last_error_message() != NULL);
}

TEST(errors_status_names_cover_every_code) {
    static const char *names[] = {
        "LXD_OK",
        "LXD_ERR_INVALID_ARGUMENT",
        "LXD_ERR_CONNECTION",
        "LXD_ERR_TLS",
        "LXD_ERR_TIMEOUT",
        "LXD_ERR_NOT_FOUND",
        "LXD_ERR_CONFLICT",
        "LXD_ERR_PRECONDITION_FAILED",
        "LXD_ERR_FORBIDDEN",
        "LXD_ERR_API",
        "LXD_ERR_OPERATION_FAILED",
        "LXD_ERR_UNKNOWN_ATTRIBUTE",
        "LXD_ERR_READ_ONLY",
        "LXD_ERR_EXTENSION_MISSING",
        "LXD_ERR_PROTOCOL",
        "LXD_ERR_CANCELLED",
        "LXD_ERR_INTERNAL",
        "LXD_ERR_UNSAFE_PATH",
        "LXD_ERR_RESPONSE_TOO_LARGE",
        "LXD_ERR_OPERATION_LOST",
    };
    static const lxd_status codes[] = {
        LXD_OK, LXD_ERR_INVALID_ARGUMENT, LXD_ERR_CONNECTION, LXD_ERR_TLS, LXD_ERR_TIMEOUT,
        LXD_ERR_NOT_FOUND, LXD_ERR_CONFLICT, LXD_ERR_PRECONDITION_FAILED, LXD_ERR_FORBIDDEN,
        LXD_ERR_API, LXD_ERR_OPERATION_FAILED, LXD_ERR_UNKNOWN_ATTRIBUTE, LXD_ERR_READ_ONLY,
        LXD_ERR_EXTENSION_MISSING, LXD_ERR_PROTOCOL, LXD_ERR_CANCELLED, LXD_ERR_INTERNAL,
        LXD_ERR_UNSAFE_PATH, LXD_ERR_RESPONSE_TOO_LARGE, LXD_ERR_OPERATION_LOST,
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(codes[i] == (lxd_status)i); /* fixed values, never renumbered */
        CHECK_STREQ(lxd_status_name(codes[i]), names[i]);
    }
    const lxd_status bad[] = {-1, 20, 42, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STREQ(lxd_status_name(bad[i]), "LXD_ERR_UNKNOWN_STATUS");
}

TEST(errors_free_functions_accept_null_and_lists_bound_check) {
    lxd_string_free(NULL);
    lxd_obj_free(NULL);
    lxd_list_free(NULL);
    lxd_client_free(NULL);

    lxd_list *l = NULL;
    CHECK_OK(lxd_profile_all(t_client(), &l));
    t_keep_list(l);
    size_t n = lxd_list_len(l);
    CHECK(n >= 1); /* the default profile */
    CHECK(lxd_list_get(l, 0) != NULL);
    CHECK(lxd_list_get(l, n - 1) != NULL);
    CHECK(lxd_list_get(l, n) == NULL);
    CHECK(lxd_list_get(l, n + 1000) == NULL);
    CHECK(lxd_list_get(l, SIZE_MAX) == NULL);
}

TEST(errors_version_matches_header) {
    CHECK(lxd_version() != NULL);
    CHECK_STREQ(lxd_version(), LXD_VERSION_STRING);
    char built[64];
    snprintf(built, sizeof built, "%d.%d.%d", LXD_VERSION_MAJOR, LXD_VERSION_MINOR,
             LXD_VERSION_PATCH);
    CHECK_STREQ(lxd_version(), built);
}

/* ---- raw API -------------------------------------------------------------- */

TEST(errors_raw_api_checks_and_maps_errors) {
    lxd_client *c = t_client();
    char *doc = NULL, *s = BAD_STR;

    CHECK_OK(lxd_api(c, "GET", "/1.0", NULL, &doc));
    t_keep_str(doc);
    CHECK(t_contains(doc, "\"type\":\"sync\""));
    CHECK(t_contains(doc, "\"metadata\":{"));
    CHECK(t_contains(doc, "\"api_extensions\""));
    CHECK(t_contains(doc, "\"auth\":\"trusted\""));

    EXPECT_INVALID(lxd_api(c, "FETCH", "/1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "", "/1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", "1.0", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", "", NULL, &s));
    EXPECT_INVALID(lxd_api(c, "GET", "/1.0 HTTP/1.1\r\nX: y", NULL, &s));

    CHECK_STATUS(lxd_api(c, "GET", "/1.0/no-such-endpoint", NULL, &s), LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK(lxd_last_error_message()[0] != 0);

    /* An invalid body is refused before anything is sent. */
    const char *name = t_fmt("%s", t_unique("er-api"));
    t_cleanup("lxc profile delete %s >/dev/null 2>&1", name);
    EXPECT_INVALID(lxd_api(c, "POST", "/1.0/profiles", t_fmt("{\"name\":\"%s\"", name), &s));
    CHECK(t_icontains(lxd_last_error_message(), "JSON"));
    CHECK(t_sh("lxc profile show %s >/dev/null 2>&1", name) != 0);
    CHECK(s == BAD_STR);

    /* A valid body is sent. */
    char *created = NULL;
    CHECK_OK(lxd_api(c, "POST", "/1.0/profiles",
                     t_fmt("{\"name\":\"%s\",\"description\":\"via raw api\"}", name), &created));
    t_keep_str(created);
    CHECK(t_contains(created, "\"type\":\"sync\""));
    CHECK_STREQ(t_sh_out("lxc query /1.0/profiles/%s | jq -r .description", name),
                "via raw api");
    /* The server's own error for a duplicate, with its code. */
    lxd_status dup = lxd_api(c, "POST", "/1.0/profiles", t_fmt("{\"name\":\"%s\"}", name), &s);
    CHECK_MSG(dup == LXD_ERR_CONFLICT || dup == LXD_ERR_API, "duplicate gave %s",
              lxd_status_name(dup));
    CHECK(lxd_last_error_http_status() >= 400);
    CHECK(t_icontains(lxd_last_error_message(), "exist"));
    CHECK(s == BAD_STR);

    /* LXD 5.0.2 implements no HEAD: an error, and the connection stays usable. */
    lxd_status h = lxd_api(c, "HEAD", "/1.0", NULL, &s);
    if (h == LXD_OK) {
        lxd_string_free(s);
    } else {
        CHECK_MSG(h == LXD_ERR_API, "HEAD gave %s", lxd_status_name(h));
        CHECK(lxd_last_error_http_status() == 501);
        CHECK(s == BAD_STR);
    }
    char *again = NULL;
    CHECK_OK(lxd_api(c, "GET", "/1.0", NULL, &again));
    t_keep_str(again);
    CHECK(t_contains(again, "\"type\":\"sync\""));
}

TEST(errors_raw_api_returns_async_documents_as_is) {
    const char *name = t_fmt("%s", t_unique("er"));
    lxd_obj *c = NULL, *op = NULL;
    char *doc = NULL;
    CHECK_OK(t_new_container(name, false, &c));
    CHECK_OK(lxd_api(t_client(), "PUT", t_fmt("/1.0/instances/%s/state", name),
                     "{\"action\":\"start\",\"timeout\":-1}", &doc));
    t_keep_str(doc);
    CHECK(t_contains(doc, "\"type\":\"async\""));
    const char *p = strstr(doc, "\"operation\":\"/1.0/operations/");
    CHECK(p);
    p += strlen("\"operation\":\"/1.0/operations/");
    const char *end = strchr(p, '"');
    CHECK(end);
    const char *id = t_fmt("%.*s", (int)(end - p), p);
    CHECK_OK(lxd_operation_get(t_client(), id, &op));
    t_keep_obj(op);
    CHECK_OK(lxd_operation_wait(op, 30));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "RUNNING");
}

/* ---- instance action errors ----------------------------------------------- */

TEST(errors_instance_actions_in_wrong_state_report_lxd_message) {
    const char *name = t_fmt("%s", t_unique("er"));
    lxd_obj *c = NULL;
    CHECK_OK(t_new_container(name, false, &c));

    /* Freezing or stopping a stopped instance fails. */
    lxd_status s = lxd_instance_freeze(c, -1, false, true);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED || s == LXD_ERR_API, "freeze stopped: %s",
              lxd_status_name(s));
    CHECK(lxd_last_error_message()[0] != 0);
    s = lxd_instance_stop(c, -1, false, true);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED || s == LXD_ERR_API, "stop stopped: %s",
              lxd_status_name(s));
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "STOPPED");

    CHECK_OK(lxd_instance_start(c, -1, false, true));
    s = lxd_instance_start(c, -1, false, true);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED || s == LXD_ERR_API, "start running: %s: %s",
              lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(t_icontains(lxd_last_error_message(), "running"), "message: \"%s\"",
              lxd_last_error_message());
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "RUNNING");

    /* Renaming a running instance is refused; the name stays. */
    const char *other = t_fmt("%s", t_unique("er-renamed"));
    t_cleanup("lxc delete -f %s >/dev/null 2>&1", other);
    s = lxd_instance_rename(c, other, true);
    CHECK_MSG(s == LXD_ERR_OPERATION_FAILED || s == LXD_ERR_API, "rename running: %s",
              lxd_status_name(s));
    CHECK(lxd_last_error_message()[0] != 0);
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "RUNNING");
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", other), "");
    /* The object did not follow a rename that did not happen. */
    CHECK_STREQ(t_get(c, "name"), t_fmt("\"%s\"", name));
    /* What an action is cannot be changed by its arguments. */
    EXPECT_INVALID(lxd_obj_action(c, "stop", "{\"action\":\"freeze\"}", true, NULL));
    CHECK(t_contains(lxd_last_error_message(), "fixed"));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "RUNNING");
    CHECK_OK(lxd_instance_stop(c, -1, true, true));
    CHECK_STREQ(t_sh_out("lxc list '^%s$' -c s --format csv", name), "STOPPED");
}

TEST(errors_instance_and_operation_calls_on_other_kinds) {
    lxd_obj *p = NULL;
    char *s = BAD_STR;
    CHECK_OK(lxd_profile_get(t_client(), "default", &p));
    t_keep_obj(p);
    EXPECT_INVALID(lxd_instance_start(p, -1, false, true));
    EXPECT_INVALID(lxd_instance_stop(p, -1, false, true));
    EXPECT_INVALID(lxd_instance_restart(p, -1, false, true));
    EXPECT_INVALID(lxd_instance_freeze(p, -1, false, true));
    EXPECT_INVALID(lxd_instance_unfreeze(p, -1, false, true));
    EXPECT_INVALID(lxd_instance_state(p, &s));
    EXPECT_INVALID(lxd_instance_rename(p, "lxdt-never", true));
    EXPECT_INVALID(lxd_operation_wait(p, 1));
    EXPECT_INVALID(lxd_operation_cancel(p));
    /* The generated action functions act on their kind only (a snapshot's
     * restore is not a cluster member's, nor a profile's). */
    EXPECT_INVALID(lxd_instance_snapshot_restore(p, NULL, true, NULL));
    CHECK(t_contains(lxd_last_error_message(), "lxd_instance_snapshot_restore"));
    EXPECT_INVALID(lxd_cluster_member_restore(p, NULL, true, NULL));
    EXPECT_INVALID(lxd_storage_volume_state(p, NULL, true, NULL));
    CHECK(s == BAD_STR);
    CHECK(t_sh("lxc profile show lxdt-never >/dev/null 2>&1") != 0);
    CHECK_STREQ(t_get(p, "name"), "\"default\"");

    lxd_obj *img = NULL;
    CHECK_OK(lxd_image_get_by_alias(t_client(), "busybox", &img));
    t_keep_obj(img);
    EXPECT_INVALID(lxd_obj_rename(img, "lxdt-never", true));
    EXPECT_INVALID(lxd_instance_start(img, -1, false, true));
}

TEST(errors_api_extensions_and_trust) {
    lxd_client *c = t_client();
    CHECK(lxd_client_has_api_extension(c, "instances"));
    CHECK(lxd_client_has_api_extension(c, "etag"));
    CHECK(!lxd_client_has_api_extension(c, "lxdt_no_such_extension"));
    CHECK(!lxd_client_has_api_extension(c, ""));
    CHECK(!lxd_client_has_api_extension(c, NULL));
    CHECK(!lxd_client_has_api_extension(NULL, "instances"));
    CHECK(lxd_client_trusted(c));
    char *info = NULL;
    CHECK_OK(lxd_client_host_info(c, &info));
    t_keep_str(info);
    CHECK(t_contains(info, "\"api_extensions\""));
    CHECK(t_contains(info, "\"instances\""));
    CHECK(lxd_client_has_api_extension(c, "instances"));
}

TEST(errors_warning_mode_rejects_unknown_values) {
    EXPECT_INVALID(lxd_set_warning_mode(42));
    EXPECT_INVALID(lxd_set_warning_mode(-1));
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_NONE));
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_ALWAYS));
    CHECK_OK(lxd_set_warning_mode(LXD_WARNINGS_ONCE));
    lxd_set_warning_callback(NULL, NULL);
}

TEST(errors_operation_that_no_longer_exists) {
    const char *uuid = "00000000-0000-0000-0000-000000000000";
    lxd_obj *o = BAD_OBJ;
    CHECK_STATUS(lxd_operation_get(t_client(), uuid, &o), LXD_ERR_NOT_FOUND);
    CHECK(lxd_last_error_http_status() == 404);
    CHECK(o == BAD_OBJ);
    EXPECT_INVALID(lxd_operation_get(t_client(), "", &o));
    CHECK(o == BAD_OBJ);
}

T_MAIN(T_CASE(errors_null_client_and_out_params_for_managers),
       T_CASE(errors_null_object_and_attribute_arguments),
       T_CASE(errors_instance_calls_with_null_outputs_and_names),
       T_CASE(errors_invalid_utf8_anywhere_is_invalid_argument),
       T_CASE(errors_bad_json_definitions_and_options),
       T_CASE(errors_bad_kind_values_are_invalid_argument),
       T_CASE(errors_unreachable_endpoints_are_connection_errors),
       T_CASE(errors_not_found_carries_http_status_and_server_text),
       T_CASE(errors_last_error_message_is_never_null),
       T_CASE(errors_status_names_cover_every_code),
       T_CASE(errors_free_functions_accept_null_and_lists_bound_check),
       T_CASE(errors_version_matches_header),
       T_CASE(errors_raw_api_checks_and_maps_errors),
       T_CASE(errors_raw_api_returns_async_documents_as_is),
       T_CASE(errors_instance_actions_in_wrong_state_report_lxd_message),
       T_CASE(errors_instance_and_operation_calls_on_other_kinds),
       T_CASE(errors_api_extensions_and_trust),
       T_CASE(errors_warning_mode_rejects_unknown_values),
       T_CASE(errors_operation_that_no_longer_exists))
