/*
 * demo.c — a first tour of liblxd.
 *
 * Build and run it with one command:  bash scripts/demo.sh
 * (or by hand, from the repository root, after `cargo build --release`:
 *    ln -sf liblxd.so target/release/liblxd.so.0
 *    gcc -Iinclude examples/demo.c -o demo -Ltarget/release -llxd \
 *        -Wl,-rpath,$PWD/target/release
 *    ./demo )
 *
 * What it does, against the LXD daemon on this machine:
 *   1. connects over the local unix socket and prints the server version;
 *   2. launches a busybox container (create + start) with a unique name;
 *   3. reads its config, adds "user.demo": "hello", saves it;
 *   4. fetches the container again to show what the server now holds
 *      (what `lxc config get NAME user.demo` would print);
 *   5. stops and deletes it.
 *
 * Three rules of the API that this program follows everywhere
 * (include/lxd.h documents every function):
 *   - Every fallible call returns an lxd_status; LXD_OK (0) is success.
 *     On failure, lxd_status_name(st) names the code and
 *     lxd_last_error_message() explains it (often in LXD's own words).
 *   - Whatever liblxd hands you, you free: strings with lxd_string_free,
 *     objects with lxd_obj_free, the client with lxd_client_free.
 *   - Attribute values travel as JSON text, both ways: a string attribute
 *     reads back as "\"Running\"" (with its quotes), a map as "{...}".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lxd.h"

/* Everything the program owns, so one cleanup path can release it all. */
static lxd_client *client = NULL;
static lxd_obj *container = NULL; /* non-NULL once the container exists */
static char name[64];

/* Undo whatever exists: stop (forcefully) and delete the container, free
 * the handles. Errors here are ignored: we are already failing. */
static void cleanup(void)
{
    if (container) {
        printf("==> cleaning up: deleting %s\n", name);
        lxd_instance_stop(container, -1, true, true); /* fails if not running: fine */
        lxd_obj_delete(container, true);
        lxd_obj_free(container);
        container = NULL;
    }
    lxd_client_free(client);
    client = NULL;
}

/* Check a status: on failure report it, clean up and exit non-zero. */
static void check(lxd_status st, const char *what)
{
    if (st == LXD_OK)
        return;
    fprintf(stderr, "error: %s failed: %s: %s\n", what, lxd_status_name(st),
            lxd_last_error_message());
    cleanup();
    exit(1);
}

/* Read one attribute of an object as JSON text and print it as "label: value". */
static void print_attr(lxd_obj *obj, const char *attr, const char *label)
{
    char *json = NULL;
    check(lxd_obj_get(obj, attr, &json), "lxd_obj_get");
    printf("%s: %s\n", label, json);
    lxd_string_free(json);
}

/* Print long JSON text shortened to its first `max` characters. */
static void print_short(const char *label, const char *json, size_t max)
{
    size_t len = strlen(json);
    if (len <= max)
        printf("%s: %s\n", label, json);
    else
        printf("%s: %.*s ... (%zu bytes)\n", label, (int)max, json, len);
}

/* Minimal JSON string lookup, good enough for a demo (no JSON library):
 * find "key" in `json` and copy the string value that follows it into
 * `out`. Returns false if the key is missing or its value is not a string.
 * (A real program would use a JSON parser; values here have no escapes.) */
static bool json_find_string(const char *json, const char *key, char *out, size_t outlen)
{
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p)
        return false;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') /* skip the separator */
        p++;
    if (*p != '"')
        return false;
    p++;
    size_t n = 0;
    while (p[n] && p[n] != '"')
        n++;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

int main(void)
{
    lxd_status st;

    /* ---- 1. Connect --------------------------------------------------
     * NULL endpoint = the local daemon's unix socket ($LXD_DIR/unix.socket,
     * the snap's socket, or /var/lib/lxd/unix.socket). NULL options = the
     * defaults. The call already talks to the daemon (GET /1.0). */
    printf("==> liblxd %s: connecting to the local LXD daemon\n", lxd_version());
    check(lxd_client_new(NULL, NULL, &client), "lxd_client_new");

    /* The server's description is JSON text; pick one field out of it. */
    char *info = NULL;
    check(lxd_client_host_info(client, &info), "lxd_client_host_info");
    char version[64];
    if (!json_find_string(info, "server_version", version, sizeof version))
        strcpy(version, "(unknown)");
    lxd_string_free(info);
    printf("server version: %s\n", version);

    /* ---- 2. Launch a container ---------------------------------------
     * The definition is the JSON body of LXD's POST /1.0/instances. With
     * wait=true the call returns once the container exists, loaded. */
    snprintf(name, sizeof name, "liblxd-demo-%d", (int)getpid());
    char definition[256];
    snprintf(definition, sizeof definition,
             "{\"name\": \"%s\", \"source\": {\"type\": \"image\", \"alias\": \"busybox\"}}",
             name);
    printf("==> launching %s from image \"busybox\"\n", name);
    lxd_obj *created = NULL;
    check(lxd_container_create(client, definition, true, &created), "lxd_container_create");
    container = created; /* from now on, cleanup() deletes it on error */
    print_attr(container, "status", "status");

    /* timeout -1 = LXD's default, force=false, wait=true: returns once it runs,
     * with the object refreshed. */
    printf("==> starting %s\n", name);
    check(lxd_instance_start(container, -1, false, true), "lxd_instance_start");
    print_attr(container, "status", "status");

    /* ---- 3. Change its config (read-modify-write) ---------------------
     * `config` is a JSON map such as {"volatile.base_image":"...", ...}.
     * Setting it replaces the whole map, so we read it, add our key just
     * before the closing brace, and set the result. */
    printf("==> reading config\n");
    char *config = NULL;
    check(lxd_obj_get(container, "config", &config), "lxd_obj_get config");
    print_short("config", config, 100);

    const char *entry = "\"user.demo\": \"hello\"";
    char *close = strrchr(config, '}');
    if (!close) { /* cannot happen for a map; be defensive */
        lxd_string_free(config);
        check(LXD_ERR_PROTOCOL, "parsing config");
    }
    const char *q = config + 1; /* is the map empty ("{}")? */
    while (*q == ' ' || *q == '\n')
        q++;
    bool empty = (q == close);
    size_t head = (size_t)(close - config);
    size_t len = head + strlen(entry) + 4;
    char *new_config = malloc(len);
    if (!new_config) {
        lxd_string_free(config);
        check(LXD_ERR_INTERNAL, "malloc");
    }
    snprintf(new_config, len, "%.*s%s%s}", (int)head, config, empty ? "" : ", ", entry);
    lxd_string_free(config);

    printf("==> setting user.demo = \"hello\" (not sent yet)\n");
    st = lxd_obj_set(container, "config", new_config);
    free(new_config);
    check(st, "lxd_obj_set config");
    /* Local changes mark the object dirty until they are saved. */
    printf("dirty: %s\n", lxd_obj_dirty(container) ? "true" : "false");

    /* Save = PUT with the object's ETag, so someone else's change in the
     * meantime would be refused rather than overwritten. */
    printf("==> saving\n");
    check(lxd_obj_save(container, true), "lxd_obj_save");
    printf("dirty: %s\n", lxd_obj_dirty(container) ? "true" : "false");
    /* The saved object has been re-read from the server. */
    check(lxd_obj_get(container, "config", &config), "lxd_obj_get config");
    char value[64];
    if (!json_find_string(config, "user.demo", value, sizeof value))
        strcpy(value, "(not set)");
    lxd_string_free(config);
    printf("config[\"user.demo\"] after save: %s\n", value);

    /* ---- 4. What the server holds now ---------------------------------
     * A fresh object, fetched by name, shows the server's view — the same
     * that `lxc config get NAME user.demo` prints. */
    printf("==> fetching %s again from the server\n", name);
    lxd_obj *fresh = NULL;
    check(lxd_container_get(client, name, &fresh), "lxd_container_get");
    st = lxd_obj_get(fresh, "config", &config);
    lxd_obj_free(fresh);
    check(st, "lxd_obj_get config");
    if (!json_find_string(config, "user.demo", value, sizeof value))
        strcpy(value, "(not set)");
    lxd_string_free(config);
    printf("lxc config get %s user.demo  ->  %s\n", name, value);

    /* ---- 5. Run a command and move a file -------------------------------
     * The command is a JSON array (no shell unless you ask for one); stdin
     * bytes go in, exit code, stdout and stderr come back separately. */
    printf("==> running a command in %s\n", name);
    lxd_exec_result *result = NULL;
    const char *input = "hello from liblxd\n";
    check(lxd_instance_exec(container, "[\"sh\",\"-c\",\"tr a-z A-Z; echo done >&2; exit 7\"]",
                            NULL, (const uint8_t *)input, strlen(input), &result),
          "lxd_instance_exec");
    size_t out_len = 0, err_len = 0;
    const uint8_t *out = lxd_exec_result_stdout(result, &out_len);
    const uint8_t *err = lxd_exec_result_stderr(result, &err_len);
    printf("exit code %d, stdout %.*s", lxd_exec_result_exit_code(result), (int)out_len,
           (const char *)out);
    printf("stderr %.*s", (int)err_len, (const char *)err);
    lxd_exec_result_free(result);

    const char *note = "written by the liblxd demo\n";
    check(lxd_instance_file_put(container, "/root/note.txt", (const uint8_t *)note, strlen(note),
                                "{\"mode\":\"0600\"}"),
          "lxd_instance_file_put");
    uint8_t *data = NULL;
    size_t data_len = 0;
    check(lxd_instance_file_get(container, "/root/note.txt", &data, &data_len),
          "lxd_instance_file_get");
    printf("/root/note.txt (%zu bytes): %s", data_len, (const char *)data); /* NUL-terminated */
    lxd_bytes_free(data);

    /* ---- 6. Stop and delete -------------------------------------------- */
    printf("==> stopping %s\n", name);
    check(lxd_instance_stop(container, 30, false, true), "lxd_instance_stop");
    print_attr(container, "status", "status");

    printf("==> deleting %s\n", name);
    check(lxd_obj_delete(container, true), "lxd_obj_delete");
    lxd_obj_free(container); /* the handle outlives the deletion: free it */
    container = NULL;

    bool exists = true;
    check(lxd_container_exists(client, name, &exists), "lxd_container_exists");
    printf("exists: %s\n", exists ? "true" : "false");

    lxd_client_free(client);
    printf("==> done\n");
    return 0;
}
