/*
 * liblxd side of the images and migration benchmark (bench/run-images.sh;
 * see bench/README.md), and the timer for the `lxc` commands it compares
 * with. One operation per process, so that each peak RSS is that
 * operation's.
 *
 *   bench_images upload FILE
 *       lxd_image_upload(FILE, wait) on the local daemon: upload_wall_ms,
 *       the image's fingerprint (fingerprint KEY), peak_rss_kb.
 *   bench_images export FINGERPRINT FOLDER
 *       lxd_image_export into FOLDER: export_wall_ms, peak_rss_kb.
 *   bench_images copy INSTANCE MODE NAME SOCKET
 *       lxd_instance_copy_to(INSTANCE, the daemon of unix socket SOCKET,
 *       {"name": NAME, "mode": MODE}, wait): copy_wall_ms, peak_rss_kb.
 *   bench_images spawn KEY -- COMMAND [ARG...]
 *       runs COMMAND once (stdin /dev/null, stdout /dev/null): KEY_wall_ms
 *       from spawn to exit, and its peak RSS as KEY_rss_kb. Must exit 0.
 *
 * Prints one "key value" line per figure; exits non-zero on any error
 * (message on stderr).
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "lxd.h"

extern char **environ;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long peak_rss_kb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

static void die(const char *what, lxd_status s) {
    fprintf(stderr, "bench_images: %s: %s: %s\n", what, lxd_status_name(s), lxd_last_error_message());
    exit(1);
}

static lxd_client *local_client(void) {
    lxd_client *c = NULL;
    lxd_status s = lxd_client_new(NULL, NULL, &c);
    if (s != LXD_OK) die("lxd_client_new", s);
    return c;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "upload") == 0) {
        lxd_client *c = local_client();
        lxd_obj *img = NULL;
        double t0 = now_ms();
        lxd_status s = lxd_image_upload(c, argv[2], NULL, NULL, true, NULL, NULL, &img);
        double t1 = now_ms();
        if (s != LXD_OK) die("lxd_image_upload", s);
        char *fp = NULL;
        if ((s = lxd_obj_get(img, "fingerprint", &fp)) != LXD_OK) die("fingerprint", s);
        printf("upload_wall_ms %.3f\nfingerprint %s\npeak_rss_kb %ld\n", t1 - t0, fp, peak_rss_kb());
        lxd_string_free(fp);
        lxd_obj_free(img);
        lxd_client_free(c);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "export") == 0) {
        lxd_client *c = local_client();
        lxd_obj *img = NULL;
        lxd_status s = lxd_get(c, LXD_KIND_IMAGE, argv[2], &img);
        if (s != LXD_OK) die("lxd_get image", s);
        char *files = NULL;
        double t0 = now_ms();
        s = lxd_image_export(img, argv[3], NULL, NULL, &files);
        double t1 = now_ms();
        if (s != LXD_OK) die("lxd_image_export", s);
        printf("export_wall_ms %.3f\npeak_rss_kb %ld\n", t1 - t0, peak_rss_kb());
        lxd_string_free(files);
        lxd_obj_free(img);
        lxd_client_free(c);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "copy") == 0) {
        lxd_client *c = local_client(), *t = NULL;
        lxd_status s = lxd_client_new(argv[5], NULL, &t);
        if (s != LXD_OK) die("lxd_client_new (target)", s);
        lxd_obj *inst = NULL, *copy = NULL;
        if ((s = lxd_instance_get(c, argv[2], &inst)) != LXD_OK) die("lxd_instance_get", s);
        char opts[512];
        snprintf(opts, sizeof opts, "{\"name\":\"%s\",\"mode\":\"%s\"}", argv[4], argv[3]);
        double t0 = now_ms();
        s = lxd_instance_copy_to(inst, t, opts, true, &copy);
        double t1 = now_ms();
        if (s != LXD_OK) die("lxd_instance_copy_to", s);
        printf("copy_wall_ms %.3f\npeak_rss_kb %ld\n", t1 - t0, peak_rss_kb());
        lxd_obj_free(copy);
        lxd_obj_free(inst);
        lxd_client_free(t);
        lxd_client_free(c);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "spawn") == 0 && strcmp(argv[3], "--") == 0) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        double t0 = now_ms();
        if (posix_spawnp(&pid, argv[4], &fa, NULL, argv + 4, environ) != 0) {
            perror("posix_spawnp");
            return 1;
        }
        int st = 0;
        struct rusage u;
        if (wait4(pid, &st, 0, &u) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench_images: %s failed\n", argv[4]);
            return 1;
        }
        double t1 = now_ms();
        printf("%s_wall_ms %.3f\n%s_rss_kb %ld\n", argv[2], t1 - t0, argv[2], u.ru_maxrss);
        return 0;
    }
    fprintf(stderr, "usage: bench_images upload FILE | export FP FOLDER | copy INSTANCE MODE NAME SOCKET | "
                    "spawn KEY -- COMMAND...\n");
    return 2;
}
