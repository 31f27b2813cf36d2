/* Connection handling, against a FAKE server on a unix socket: the real
 * daemon cannot be made to drop kept-alive connections on demand. The fake
 * answers each connection's first request and then closes it without
 * saying so (no "Connection: close"), like a server whose idle timeout fired.
 * SIGPIPE keeps its default action here, as in most C programs: a library
 * that wrote into the dead socket with write(2) would kill the process. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fake {
    int listen_fd;
    int connections;
    int requests;
    char dir[64];
    char path[96];
    pthread_t thread;
};

static const char HOST_INFO[] =
    "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,\"metadata\":"
    "{\"api_extensions\":[],\"api_version\":\"1.0\",\"auth\":\"trusted\"}}";

static void *fake_closing_server(void *arg) {
    struct fake *f = arg;
    for (;;) {
        int fd = accept(f->listen_fd, NULL, NULL);
        if (fd < 0) return NULL;
        f->connections++;
        char buf[4096];
        size_t have = 0;
        while (have < sizeof buf - 1) {
            ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
            if (n <= 0) break;
            have += (size_t)n;
            buf[have] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        if (have == 0) {
            close(fd);
            continue;
        }
        f->requests++;
        char resp[1024];
        int len = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(HOST_INFO), HOST_INFO);
        if (write(fd, resp, (size_t)len) < 0) { /* the client went away */ }
        close(fd);
    }
}

static bool fake_start(struct fake *f) {
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lxdt-fake-XXXXXX");
    if (!mkdtemp(f->dir)) return false;
    snprintf(f->path, sizeof f->path, "%s/unix.socket", f->dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", f->path);
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (f->listen_fd < 0 || bind(f->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(f->listen_fd, 16) != 0)
        return false;
    return pthread_create(&f->thread, NULL, fake_closing_server, f) == 0;
}

static void fake_stop(struct fake *f) {
    shutdown(f->listen_fd, SHUT_RDWR);
    close(f->listen_fd);
    pthread_join(f->thread, NULL);
    unlink(f->path);
    rmdir(f->dir);
}

TEST(dropped_keepalive_connections_are_replaced_without_sigpipe) {
    struct fake f;
    CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
    CHECK(fake_start(&f));
    lxd_client *c = NULL;
    lxd_status s = lxd_client_new(f.path, NULL, &c);
    int ok = 0;
    for (int i = 0; s == LXD_OK && i < 20; i++) {
        char *doc = NULL;
        if (lxd_api(c, "GET", "/1.0", NULL, &doc) == LXD_OK && t_contains(doc, "\"trusted\"")) ok++;
        lxd_string_free(doc);
    }
    lxd_client_free(c);
    fake_stop(&f);
    CHECK_OK(s);
    CHECK_MSG(ok == 20, "only %d of 20 requests succeeded: %s", ok, lxd_last_error_message());
    /* Every request needed its own connection: none was answered twice. */
    CHECK_MSG(f.connections == 21 && f.requests == 21, "%d connections, %d requests", f.connections, f.requests);
}

TEST(real_daemon_reuses_one_connection_for_sequential_requests) {
    /* Count the client's sockets to the daemon through /proc: a client that
     * reconnected per request would leave none open or churn through many. */
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(NULL, NULL, &c));
    for (int i = 0; i < 50; i++) {
        char *doc = NULL;
        lxd_status s = lxd_api(c, "GET", "/1.0", NULL, &doc);
        lxd_string_free(doc);
        if (s != LXD_OK) lxd_client_free(c);
        CHECK_OK(s);
    }
    const char *n = t_sh_out("ls -l /proc/%d/fd | grep -c socket", (int)getpid());
    lxd_client_free(c);
    CHECK(n);
    CHECK_MSG(atoi(n) == 1, "%s sockets open after 50 sequential requests", n);
}

T_MAIN(T_CASE(dropped_keepalive_connections_are_replaced_without_sigpipe),
       T_CASE(real_daemon_reuses_one_connection_for_sequential_requests))
