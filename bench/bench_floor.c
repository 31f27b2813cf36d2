/*
 * bench_floor: the "raw floor" client of the bench (bench/run-all.sh, issue 14): the HTTP
 * requests a minimal LXD client makes, in plain C with no HTTP or JSON library, so the bench
 * can tell how close liblxd comes to the least any client could cost. It follows the bench's
 * common client contract (fixtures, environment, workloads, JSON lines); client name "floor".
 *
 * Minimal: one keep-alive HTTP/1.1 connection per thread for the plain requests (the unix
 * socket $LXD_DIR/unix.socket, or with BENCH_HTTPS=1 TLS via OpenSSL: client certificate,
 * server certificate pinned, sessions resumed); answers read by Content-Length or chunked; a
 * new connection and a bare handshake per websocket; no JSON parser, only string searches.
 *
 *   gcc -O2 -Wall -Wextra -std=gnu11 bench/bench_floor.c -o target/bench/bench_floor \
 *       -lssl -lcrypto -lpthread
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define RBUF 65536
#define CHUNK (1 << 20)
#define MAX_THREADS 64
#define FAIL(...) do { err(__VA_ARGS__); return 0; } while (0)

/* Bytes received: a growing buffer kept NUL-terminated (fd < 0), or a file written in
 * chunks of cap bytes (fd >= 0). */
typedef struct { char *p; size_t len, cap; int fd; } sink;

typedef struct {
    int fd;
    SSL *ssl;
    unsigned char rb[RBUF]; /* read buffer */
    size_t rp, rl;
    char hdr[16384];        /* status line and headers of the last answer */
    sink body, wb;          /* body of the last answer; the request being sent */
} conn;

/* One per thread: the keep-alive connection and the exec websockets (control, 0, 1, 2). */
typedef struct { conn http, ws[4]; } client;

static const char *cname, *prefix;
static int use_tls, n_list, n_set;
static char sock_path[108], host_hdr[300], endpoint[600];
static struct sockaddr_storage tcp_addr;
static socklen_t tcp_addrlen;
static SSL_CTX *ctx;
static X509 *pinned;
static SSL_SESSION *tls_sess; /* the latest session ticket, to resume */
static pthread_mutex_t sess_mu = PTHREAD_MUTEX_INITIALIZER;
static char base_name[256], base_path[300], base_name_pat[300], list_pat[300], files_q[1024];
static char rfile[300], src_path[PATH_MAX], pulled_path[PATH_MAX], local_sha[65];

static void err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_floor: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sinks ---- */

static int sink_flush(sink *s)
{
    for (size_t o = 0; o < s->len;) {
        ssize_t r = write(s->fd, s->p + o, s->len - o);
        if (r <= 0 && !(r < 0 && errno == EINTR)) return -1;
        o += r > 0 ? (size_t)r : 0;
    }
    s->len = 0;
    return 0;
}

/* Room at the end of s (flushing or growing it): returns it, its size in *avail (> 0). */
static char *sink_space(sink *s, size_t *avail)
{
    if (s->fd >= 0) {
        if (s->len == s->cap && sink_flush(s)) return NULL;
    } else if (s->cap - s->len < RBUF + 1) {
        s->cap = s->cap * 2 + RBUF + 1;
        if (!(s->p = realloc(s->p, s->cap))) abort();
    }
    *avail = s->cap - s->len - (s->fd < 0); /* room for the NUL */
    return s->p + s->len;
}

static void sink_add(sink *s, const void *p, size_t n) /* buffer sinks only */
{
    size_t avail = 0;
    do {
        char *d = sink_space(s, &avail);
        size_t k = n < avail ? n : avail;
        memcpy(d, p, k);
        s->len += k, p = (const char *)p + k, n -= k;
    } while (n);
    s->p[s->len] = 0;
}

/* ---- connections ---- */

static void conn_close(conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl); /* a clean end keeps the session resumable */
        SSL_free(c->ssl);
        ERR_clear_error();
        c->ssl = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    pthread_mutex_lock(&sess_mu);
    if (tls_sess) SSL_SESSION_free(tls_sess);
    tls_sess = sess;
    pthread_mutex_unlock(&sess_mu);
    return 1; /* we keep the reference */
}

/* Pinned: the server's own certificate must be exactly BENCH_TLS_SERVER_CERT (called for
 * it on every full handshake; no CA, no host name check). */
static int verify_pin(int preok, X509_STORE_CTX *x)
{
    (void)preok;
    return X509_STORE_CTX_get_error_depth(x) > 0 ||
           X509_cmp(X509_STORE_CTX_get_current_cert(x), pinned) == 0;
}

static int conn_open(conn *c)
{
    c->rp = c->rl = 0;
    errno = 0;
    if (!use_tls) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        memcpy(a.sun_path, sock_path, sizeof a.sun_path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0) return 0;
    } else {
        int one = 1;
        c->fd = socket(tcp_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&tcp_addr, tcp_addrlen) == 0 &&
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
            (c->ssl = SSL_new(ctx)) && SSL_set_fd(c->ssl, c->fd)) {
            pthread_mutex_lock(&sess_mu);
            if (tls_sess) SSL_set_session(c->ssl, tls_sess);
            pthread_mutex_unlock(&sess_mu);
            if (SSL_connect(c->ssl) == 1) return 0;
        }
    }
    err("connect to %s: %s", endpoint, errno ? strerror(errno) : "TLS failure");
    ERR_print_errors_fp(stderr);
    conn_close(c);
    return -1;
}

static ssize_t raw_read(conn *c, void *p, size_t n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
        if (r > 0) return r;
        r = SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
        ERR_clear_error();
        return r;
    }
    ssize_t r;
    do r = read(c->fd, p, n); while (r < 0 && errno == EINTR);
    return r;
}

static int raw_write(conn *c, const void *p, size_t n)
{
    for (const char *q = p; n;) {
        ssize_t r = c->ssl ? SSL_write(c->ssl, q, n > INT_MAX ? INT_MAX : (int)n)
                           : send(c->fd, q, n, MSG_NOSIGNAL);
        if (r <= 0 && !(r < 0 && !c->ssl && errno == EINTR)) return -1;
        if (r > 0) q += r, n -= (size_t)r;
    }
    return 0;
}

/* Buffered bytes first, then straight from the connection into p. */
static ssize_t conn_read(conn *c, void *p, size_t n)
{
    if (c->rp == c->rl) return raw_read(c, p, n);
    size_t k = c->rl - c->rp < n ? c->rl - c->rp : n;
    memcpy(p, c->rb + c->rp, k);
    c->rp += k;
    return (ssize_t)k;
}

static int conn_getc(conn *c)
{
    if (c->rp == c->rl) {
        ssize_t r = raw_read(c, c->rb, RBUF);
        if (r <= 0) return -1;
        c->rp = 0, c->rl = (size_t)r;
    }
    return c->rb[c->rp++];
}

static int read_line(conn *c, char *buf, size_t cap)
{
    size_t n = 0;
    for (int ch; (ch = conn_getc(c)) != '\n';) {
        if (ch < 0) return -1;
        if (n + 1 < cap && ch != '\r') buf[n++] = (char)ch;
    }
    buf[n] = 0;
    return 0;
}

static int read_n(conn *c, sink *s, unsigned long long n)
{
    size_t avail;
    while (n) {
        char *d = sink_space(s, &avail);
        ssize_t r = d ? conn_read(c, d, n < avail ? n : avail) : -1;
        if (r <= 0) return -1;
        s->len += (size_t)r, n -= (unsigned long long)r;
    }
    return 0;
}

/* The value of header name in the last answer, or NULL. */
static char *hdr_get(conn *c, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    char *p = strcasestr(c->hdr, pat);
    if (!p) return NULL;
    p += strlen(pat) + strspn(p + strlen(pat), " \t");
    size_t n = strcspn(p, "\r");
    n = n < cap ? n : cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

/* Reads an answer, its body into s (NULL: headers only, for a websocket upgrade).
 * Returns the HTTP status, or -1. */
static int read_resp(conn *c, sink *s)
{
    size_t h = 0;
    int status;
    char v[128], line[128];
    while (h < 4 || memcmp(c->hdr + h - 4, "\r\n\r\n", 4)) {
        int ch = conn_getc(c);
        if (ch < 0 || h + 1 >= sizeof c->hdr) return -1;
        c->hdr[h++] = (char)ch;
    }
    c->hdr[h] = 0;
    if (sscanf(c->hdr, "HTTP/1.%*d %d", &status) != 1) return -1;
    if (!s) return status;
    s->len = 0;
    if (s->fd < 0) sink_add(s, "", 0);
    if (hdr_get(c, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked")) {
        for (unsigned long long n;;) {
            if (read_line(c, line, sizeof line)) return -1;
            if (!(n = strtoull(line, NULL, 16))) break;
            if (read_n(c, s, n) || read_line(c, line, sizeof line)) return -1;
        }
        do if (read_line(c, line, sizeof line)) return -1; /* trailers */
        while (line[0]);
    } else if (hdr_get(c, "Content-Length", v, sizeof v)) { /* else no body: LXD sends either */
        if (read_n(c, s, strtoull(v, NULL, 10))) return -1;
    }
    if (s->fd >= 0 ? sink_flush(s) : (s->p[s->len] = 0)) return -1;
    return status;
}

/* Sends a request in one write; body == NULL with blen >= 0: the caller sends the body. */
static int send_req(conn *c, const char *method, const char *path, const char *extra,
                    const char *body, long long blen)
{
    char head[1024];
    const char *ctype = body ? "Content-Type: application/json\r\n" : "";
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s", method, path,
                     host_hdr, extra ? extra : "", ctype);
    if (blen >= 0) n += snprintf(head + n, sizeof head - n, "Content-Length: %lld\r\n", blen);
    if (n + 3 > (int)sizeof head) return -1;
    memcpy(head + n, "\r\n", 3);
    c->wb.len = 0;
    sink_add(&c->wb, head, (size_t)n + 2);
    if (body) sink_add(&c->wb, body, (size_t)blen);
    return raw_write(c, c->wb.p, c->wb.len);
}

/* A request on the keep-alive connection (reopened if it was closed); the answer's body is
 * then in c->body.p. Returns the HTTP status, or -1. */
static int req(conn *c, const char *method, const char *path, const char *extra, const char *body)
{
    if (c->fd < 0 && conn_open(c)) return -1;
    int st = -1;
    if (send_req(c, method, path, extra, body, body ? (long long)strlen(body) : -1) == 0)
        st = read_resp(c, &c->body);
    if (st < 0) {
        err("%s %s: connection failed", method, path);
        conn_close(c);
    }
    return st;
}

/* ---- no JSON parser: string searches ---- */

/* Copies the string value of the first "key" after from into out. */
static int jstr(const char *from, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = from ? strstr(from, pat) : NULL;
    size_t n = p ? strcspn(p += strlen(pat), "\"") : cap;
    if (n >= cap) return -1;
    memcpy(out, p, n);
    out[n] = 0;
    return 0;
}

/* The '}' or ']' that closes the object or array opening at p (strings skipped). */
static char *json_end(char *p)
{
    for (int depth = 0; *p; p++) {
        if (*p == '"') {
            while (*++p && *p != '"')
                if (*p == '\\' && p[1]) p++;
            if (!*p) return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p;
        }
    }
    return NULL;
}

static const char *body_or_empty(conn *c, int st) { return st > 0 ? c->body.p : ""; }

/* c->body holds a 202 answer: waits for its operation; 0 if it succeeded. */
static int wait_op(conn *c, const char *what)
{
    char op[160], path[200];
    if (jstr(c->body.p, "operation", op, sizeof op)) return err("%s: no operation", what), -1;
    snprintf(path, sizeof path, "%s/wait", op);
    int st = req(c, "GET", path, NULL, NULL);
    const char *m = st == 200 ? strstr(c->body.p, "\"metadata\":") : NULL;
    const char *sc = m ? strstr(m, "\"status_code\":") : NULL; /* the operation's */
    if (sc && atoi(sc + 14) == 200) return 0;
    const char *why = m ? strstr(m, "\"err\":") : NULL; /* LXD's reason */
    err("%s: operation failed: HTTP %d %.300s", what, st, why ? why : body_or_empty(c, st));
    return -1;
}

static int async_req(conn *c, const char *method, const char *path, const char *extra,
                     const char *body)
{
    int st = req(c, method, path, extra, body);
    if (st == 202) return wait_op(c, path);
    err("%s %s: HTTP %d %.300s", method, path, st, body_or_empty(c, st));
    return -1;
}

/* ---- websockets ---- */

static int ws_open(conn *w, const char *op, const char *secret)
{
    char path[1024];
    int st = -1;
    snprintf(path, sizeof path, "%s/websocket?secret=%s", op, secret);
    if (conn_open(w) == 0 &&
        send_req(w, "GET", path, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
                 NULL, -1) == 0)
        st = read_resp(w, NULL);
    if (st == 101) return 0;
    err("websocket %s: HTTP %d", path, st);
    return -1;
}

/* A close frame (status 1000), masked as a client must (with a fixed mask). */
static int ws_send_close(conn *w)
{
    static const unsigned char m[4] = { 0x5a, 0xc3, 0x17, 0x88 };
    unsigned char f[8] = { 0x88, 0x82, m[0], m[1], m[2], m[3], 0x03 ^ m[0], 0xe8 ^ m[1] };
    return raw_write(w, f, sizeof f);
}

/* Reads frames until the server's close frame or EOF; data payloads go to out (if set). */
static int ws_drain(conn *w, sink *out)
{
    for (char tmp[4096];;) {
        int b0 = conn_getc(w), b1, ch;
        if (b0 < 0) return 0; /* EOF */
        if ((b1 = conn_getc(w)) < 0 || (b1 & 0x80)) return -1; /* server frames are unmasked */
        unsigned long long len = (unsigned)b1 & 127;
        int ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (ext) len = 0;
        for (int i = 0; i < ext; i++) { /* extended payload length, big-endian */
            if ((ch = conn_getc(w)) < 0) return -1;
            len = len << 8 | (unsigned)ch;
        }
        while (len) {
            ssize_t r = conn_read(w, tmp, len < sizeof tmp ? len : sizeof tmp);
            if (r <= 0) return -1;
            if (out && (b0 & 15) <= 2) sink_add(out, tmp, (size_t)r);
            len -= (unsigned long long)r;
        }
        if ((b0 & 15) == 8) return 0;
    }
}

/* Runs cmd (a JSON array) in instance name, non-interactively, with stdin ended; its stdout
 * into out (if set). Returns the exit code, or -1. */
static int run_exec(client *cl, const char *name, const char *cmd, sink *out)
{
    static const char *keys[4] = { "control", "0", "1", "2" };
    conn *c = &cl->http, *ws = cl->ws;
    char path[300], body[512], op[160], sec[4][160];
    int rc = -1;
    snprintf(path, sizeof path, "/1.0/instances/%s/exec", name);
    snprintf(body, sizeof body, "{\"command\":%s,\"wait-for-websocket\":true,"
             "\"interactive\":false,\"environment\":{}}", cmd);
    int st = req(c, "POST", path, NULL, body);
    const char *fds = st == 202 ? strstr(c->body.p, "\"fds\":{") : NULL; /* metadata.metadata */
    int ok = fds && !jstr(c->body.p, "operation", op, sizeof op);
    for (int i = 0; ok && i < 4; i++) ok = !jstr(fds, keys[i], sec[i], sizeof sec[i]);
    if (!ok) err("exec in %s: HTTP %d %.300s", name, st, body_or_empty(c, st));
    for (int i = 0; ok && i < 4; i++) ok = !ws_open(&ws[i], op, sec[i]);
    /* stdout, then stderr: fine for the small outputs read here */
    if (ok && (ws_send_close(&ws[1]) || ws_drain(&ws[2], out) || ws_drain(&ws[3], NULL)))
        ok = 0, err("exec in %s: websocket failure", name);
    for (int i = 0; i < 4; i++) conn_close(&ws[i]);
    if (!ok) return -1;
    snprintf(path, sizeof path, "%s/wait", op);
    st = req(c, "GET", path, NULL, NULL);
    const char *ret = st == 200 ? strstr(c->body.p, "\"return\":") : NULL;
    if (ret) rc = atoi(ret + 9);
    else err("exec in %s: no exit code: HTTP %d %.300s", name, st, body_or_empty(c, st));
    return rc;
}

/* ---- workloads: one call each, 1 = ok ---- */

static int call_get(client *cl, int i)
{
    (void)i;
    int st = req(&cl->http, "GET", base_path, NULL, NULL);
    if (st != 200 || !strstr(cl->http.body.p, base_name_pat)) FAIL("get_instance: HTTP %d", st);
    return 1;
}

/* The floor does not parse the JSON: it reads the whole answer and counts the names
 * "<prefix>l<digits>" in its text (no config is actually read). */
static int call_list(client *cl, int i)
{
    (void)i;
    int st = req(&cl->http, "GET", "/1.0/instances?recursion=1", NULL, NULL), seen = 0;
    if (st != 200) FAIL("list_and_read_config: HTTP %d", st);
    size_t pl = strlen(list_pat);
    for (const char *p = cl->http.body.p; (p = strstr(p, list_pat)); p += pl) {
        const char *q = p + pl;
        if (!isdigit((unsigned char)*q)) continue;
        while (isdigit((unsigned char)*q)) q++;
        seen += *q == '"';
    }
    if (seen != n_list) FAIL("list_and_read_config: %d %sl* seen, not %d", seen, prefix, n_list);
    return 1;
}

static int call_exec(client *cl, int i)
{
    (void)i;
    int rc = run_exec(cl, base_name, "[\"true\"]", NULL);
    if (rc != 0) FAIL("exec_true: exit code %d", rc);
    return 1;
}

/* PUT back the GET's metadata text with "user.bench":"i" appended to its config object (a
 * later duplicate key wins in Go's JSON decoding; LXD ignores the read-only fields). */
static int call_set(client *cl, int i)
{
    conn *c = &cl->http;
    char etag[160], ins[64], extra[200], *m, *me = NULL, *cfg = NULL, *ce = NULL;
    int st = req(c, "GET", base_path, NULL, NULL);
    if (st == 200 && (m = strstr(c->body.p, "\"metadata\":{")) && (me = json_end(m += 11)))
        if ((cfg = strstr(m, "\"config\":{")) && cfg < me) ce = json_end(cfg += 9);
    if (!ce || !hdr_get(c, "ETag", etag, sizeof etag))
        FAIL("set_config_update: GET: HTTP %d, or no ETag or config", st);
    int il = snprintf(ins, sizeof ins, "%s\"user.bench\":\"%d\"", ce == cfg + 1 ? "" : ",", i);
    size_t a = (size_t)(ce - m), b = (size_t)(me + 1 - ce);
    char *put = malloc(a + (size_t)il + b + 1);
    if (!put) abort();
    memcpy(put, m, a);
    memcpy(put + a, ins, (size_t)il);
    memcpy(put + a + il, ce, b);
    put[a + il + b] = 0;
    snprintf(extra, sizeof extra, "If-Match: %s\r\n", etag);
    st = async_req(c, "PUT", base_path, extra, put);
    free(put);
    return st == 0;
}

static int check_set(client *cl)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"user.bench\":\"%d\"", n_set - 1);
    if (req(&cl->http, "GET", base_path, NULL, NULL) != 200 || !strstr(cl->http.body.p, pat))
        FAIL("set_config_update: the server does not hold user.bench=%d", n_set - 1);
    return 1;
}

/* The local sha256, by the sha256sum command. */
static int file_sha256(const char *path, char hex[65])
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "sha256sum < '%s'", path); /* no ' in BENCH_TMP */
    FILE *f = popen(cmd, "r");
    int ok = f && fscanf(f, "%64[0-9a-f]", hex) == 1;
    if (f && pclose(f) != 0) ok = 0;
    if (!ok) err("sha256sum %s failed", path);
    return ok ? 0 : -1;
}

/* The body goes straight from the file: sendfile(2) on the unix socket, read + SSL_write in
 * 1 MiB chunks over TLS. */
static int call_push(client *cl, int i)
{
    (void)i;
    conn *c = &cl->http;
    struct stat sb;
    int fd = open(src_path, O_RDONLY | O_CLOEXEC), st = -1;
    char *buf = NULL;
    off_t off = 0;
    ssize_t r = 1;
    if (fd < 0 || fstat(fd, &sb) || (c->fd < 0 && conn_open(c)) ||
        send_req(c, "POST", files_q, "X-LXD-uid: 0\r\nX-LXD-gid: 0\r\nX-LXD-mode: 0644\r\n"
                 "X-LXD-type: file\r\nX-LXD-write: overwrite\r\n"
                 "Content-Type: application/octet-stream\r\n", NULL, (long long)sb.st_size))
        goto out;
    if (!c->ssl) {
        while (off < sb.st_size) {
            r = sendfile(c->fd, fd, &off, (size_t)(sb.st_size - off));
            if (r <= 0 && !(r < 0 && errno == EINTR)) break;
        }
    } else if ((buf = malloc(CHUNK))) {
        while ((r = read(fd, buf, CHUNK)) > 0 && raw_write(c, buf, (size_t)r) == 0) {}
    }
    if (c->ssl ? buf && r == 0 : off == sb.st_size) st = read_resp(c, &c->body);
out:
    free(buf);
    if (fd >= 0) close(fd);
    if (st != 200)
        err("file_push %s: HTTP %d %.300s", src_path, st, st > 0 ? c->body.p : strerror(errno));
    if (st < 0) conn_close(c);
    return st == 200;
}

static int check_push(client *cl)
{
    char cmd[400];
    sink out = { .fd = -1 };
    snprintf(cmd, sizeof cmd, "[\"sha256sum\",\"%s\"]", rfile);
    int rc = file_sha256(src_path, local_sha) ? -1 : run_exec(cl, base_name, cmd, &out);
    int ok = rc == 0 && out.p && !strncmp(out.p, local_sha, 64);
    if (!ok) err("file_push: sha256 in the container (exit %d) %.64s, local %s", rc,
                 out.p ? out.p : "", local_sha);
    free(out.p);
    return ok;
}

/* The body goes to the file in 1 MiB writes. */
static int call_pull(client *cl, int i)
{
    (void)i;
    conn *c = &cl->http;
    sink s = { .p = malloc(CHUNK), .cap = CHUNK };
    int st = -1;
    s.fd = open(pulled_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s.p && s.fd >= 0 && (c->fd >= 0 || conn_open(c) == 0) &&
        send_req(c, "GET", files_q, NULL, NULL, -1) == 0 && (st = read_resp(c, &s)) < 0)
        conn_close(c);
    if (s.fd >= 0 && close(s.fd)) st = -1;
    free(s.p);
    if (st != 200) FAIL("file_pull to %s: HTTP %d", pulled_path, st);
    return 1;
}

static int check_pull(client *cl)
{
    struct stat a, b;
    char sha[65];
    int ok = !stat(src_path, &a) && !stat(pulled_path, &b) && a.st_size == b.st_size &&
             (local_sha[0] || !file_sha256(src_path, local_sha)) &&
             !file_sha256(pulled_path, sha) && !strcmp(sha, local_sha);
    if (!ok) err("file_pull: %s differs from %s", pulled_path, src_path);
    int st = req(&cl->http, "DELETE", files_q, NULL, NULL);
    if (st != 200) FAIL("file_pull: DELETE of the file in the container: HTTP %d", st);
    return ok;
}

/* ---- lifecycle ---- */

typedef struct { client *cl; int t, T, n, ok; double *lat; } life_arg;

static void life_name(char *out, size_t cap, int T, int t, int k)
{
    if (T > 1) snprintf(out, cap, "%s%s-t%d-x%d", prefix, cname, t, k);
    else snprintf(out, cap, "%s%s-x%d", prefix, cname, k);
}

static int life_one(client *cl, const char *name)
{
    conn *c = &cl->http;
    char body[600], path[400], spath[420];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", name);
    snprintf(path, sizeof path, "/1.0/instances/%s", name);
    snprintf(spath, sizeof spath, "%s/state", path);
    if (async_req(c, "POST", "/1.0/instances", NULL, body) ||
        async_req(c, "PUT", spath, NULL, "{\"action\":\"start\"}"))
        return 0;
    int rc = run_exec(cl, name, "[\"true\"]", NULL);
    if (rc != 0) FAIL("lifecycle: exec true in %s: exit code %d", name, rc);
    return !async_req(c, "PUT", spath, NULL, "{\"action\":\"stop\",\"force\":true}") &&
           !async_req(c, "DELETE", path, NULL, NULL);
}

static void *life_thread(void *p)
{
    life_arg *a = p;
    char name[300];
    a->ok = 1;
    for (int k = a->t; k < a->n && a->ok; k += a->T) {
        life_name(name, sizeof name, a->T, a->t, k);
        double t0 = now(CLOCK_MONOTONIC);
        a->ok = life_one(a->cl, name);
        a->lat[k] = now(CLOCK_MONOTONIC) - t0;
    }
    return NULL;
}

/* ---- the harness ---- */

static client *client_new(void)
{
    client *cl = calloc(1, sizeof *cl);
    if (!cl) abort();
    for (conn *c = &cl->http; c <= &cl->ws[3]; c++) c->fd = c->body.fd = c->wb.fd = -1;
    return cl;
}

static void client_free(client *cl)
{
    for (conn *c = &cl->http; c <= &cl->ws[3]; c++) conn_close(c), free(c->body.p), free(c->wb.p);
    free(cl);
}

static void print_line(const char *wl, int n, double wall, double cpu, const double *lat, int nl,
                       int ok)
{
    printf("{\"client\":\"%s\",\"workload\":\"%s\",\"n\":%d,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
           "\"lat_ms\":[", cname, wl, n, wall, cpu);
    for (int i = 0; i < nl; i++) printf("%s%.3f", i ? "," : "", lat[i] * 1e3);
    printf("],\"ok\":%s}\n", ok ? "true" : "false");
    fflush(stdout);
}

/* Times calls calls (stopping at the first failure), then runs check (untimed). */
static int run_wl(client *cl, const char *name, int n, int calls, int (*call)(client *, int),
                  int (*check)(client *))
{
    double *lat = calloc((size_t)calls, sizeof *lat);
    int done = 0, ok = 1;
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (; ok && done < calls; done++) {
        double t0 = now(CLOCK_MONOTONIC);
        ok = call(cl, done);
        lat[done] = now(CLOCK_MONOTONIC) - t0;
    }
    double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (ok && check) ok = check(cl);
    print_line(name, n, wall, cpu, lat, done, ok);
    free(lat);
    return ok;
}

static int run_life(client *cl, const char *wl, int n, int T)
{
    char name[300], path[320];
    client *cls[MAX_THREADS];
    life_arg args[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    double *lat = calloc((size_t)n, sizeof *lat);
    for (int k = 0; k < n; k++) { /* leftovers of an earlier run, untimed */
        life_name(name, sizeof name, T, k % T, k);
        snprintf(path, sizeof path, "/1.0/instances/%s", name);
        if (req(&cl->http, "GET", path, NULL, NULL) != 200) continue;
        if (strstr(cl->http.body.p, "\"status\":\"Running\"")) {
            strcat(path, "/state");
            async_req(&cl->http, "PUT", path, NULL, "{\"action\":\"stop\",\"force\":true}");
            path[strlen(path) - 6] = 0;
        }
        async_req(&cl->http, "DELETE", path, NULL, NULL);
    }
    /* One client (connection) per thread with work, opened untimed. Not for
     * a thread without any (fewer lifecycles than threads): LXD 5.0.2 then
     * failed every start, its pre-start hook timing out, while this
     * process held a connection that never carried a request. */
    int busy = n < T ? n : T;
    for (int t = 0; t < busy; t++) {
        cls[t] = t ? client_new() : cl;
        if (cls[t]->http.fd < 0) conn_open(&cls[t]->http);
        args[t] = (life_arg){ .cl = cls[t], .t = t, .T = T, .n = n, .lat = lat };
    }
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (int t = 0; t < busy; t++)
        if (pthread_create(&th[t], NULL, life_thread, &args[t])) abort();
    for (int t = 0; t < busy; t++) pthread_join(th[t], NULL);
    double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    int ok = 1;
    for (int t = 0; t < busy; t++) {
        ok &= args[t].ok;
        if (t) client_free(cls[t]);
    }
    print_line(wl, n, wall, cpu, lat, n, ok); /* a thread that failed leaves zeros */
    free(lat);
    return ok;
}

static const char *env(const char *k, const char *dflt)
{
    const char *v = getenv(k);
    return v && *v ? v : dflt;
}

/* Whether workload name (or its alias) runs: count > 0 and in BENCH_WORKLOADS if set. */
static int wanted(const char *name, const char *alias, int n)
{
    const char *list = getenv("BENCH_WORKLOADS");
    if (n <= 0 || !list) return n > 0;
    for (const char *w = name; w; w = w == name ? alias : NULL) {
        size_t l = strlen(w);
        for (const char *p = list; (p = strstr(p, w)); p += l)
            if ((p == list || p[-1] == ',') && (p[l] == ',' || !p[l])) return 1;
    }
    return 0;
}

/* BENCH_HTTPS_URL is https://HOST:PORT (an IPv4 address or a name). */
static int setup_tls(void)
{
    const char *url = env("BENCH_HTTPS_URL", "https://127.0.0.1:8443"), *p = strstr(url, "://");
    const char *cert = getenv("BENCH_TLS_CERT"), *key = getenv("BENCH_TLS_KEY");
    const char *srv = getenv("BENCH_TLS_SERVER_CERT");
    char host[300];
    snprintf(endpoint, sizeof endpoint, "%s", url);
    snprintf(host_hdr, sizeof host_hdr, "%s", p ? p + 3 : url);
    host_hdr[strcspn(host_hdr, "/")] = 0;
    snprintf(host, sizeof host, "%s", host_hdr);
    char *port = strchr(host, ':');
    if (port) *port++ = 0;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(host, port ? port : "8443", &hints, &ai)) FAIL("cannot resolve %s", host);
    memcpy(&tcp_addr, ai->ai_addr, ai->ai_addrlen);
    tcp_addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    FILE *f = srv ? fopen(srv, "r") : NULL;
    if (f) pinned = PEM_read_X509(f, NULL, NULL, NULL), fclose(f);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!cert || !key || !pinned || !ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        FAIL("TLS: need BENCH_TLS_CERT, BENCH_TLS_KEY and BENCH_TLS_SERVER_CERT (PEM)");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_pin);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, new_session);
    return 1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cname = env("BENCH_CLIENT", "floor");
    prefix = getenv("BENCH_PREFIX");
    const char *tmp = getenv("BENCH_TMP");
    int n_get = atoi(env("N_GET", "300")), n_exec = atoi(env("N_EXEC", "30"));
    int file_mb = atoi(env("FILE_MB", "32")), n_life = atoi(env("N_LIFE", "10"));
    int T = atoi(env("LIFE_THREADS", "1"));
    n_list = atoi(env("N_LIST", "30")), n_set = atoi(env("N_SET", "30"));
    if (!prefix || !tmp || T < 1 || T > MAX_THREADS) {
        err("BENCH_PREFIX and BENCH_TMP must be set, LIFE_THREADS be 1..%d", MAX_THREADS);
        return 2;
    }
    use_tls = !strcmp(env("BENCH_HTTPS", "0"), "1");
    if (use_tls && !setup_tls()) return 2;
    if (!use_tls) {
        snprintf(sock_path, sizeof sock_path, "%s/unix.socket", env("LXD_DIR", "/var/lib/lxd"));
        snprintf(host_hdr, sizeof host_hdr, "lxd");
        snprintf(endpoint, sizeof endpoint, "unix:%s", sock_path);
    }
    snprintf(base_name, sizeof base_name, "%sbase", prefix);
    snprintf(base_path, sizeof base_path, "/1.0/instances/%s", base_name);
    snprintf(base_name_pat, sizeof base_name_pat, "\"name\":\"%s\"", base_name);
    snprintf(list_pat, sizeof list_pat, "\"name\":\"%sl", prefix);
    snprintf(rfile, sizeof rfile, "/tmp/bench-%s.bin", cname);
    snprintf(files_q, sizeof files_q, "%s/files?path=%s", base_path, rfile);
    snprintf(src_path, sizeof src_path, "%s/src.bin", tmp);
    snprintf(pulled_path, sizeof pulled_path, "%s/pulled-%s.bin", tmp, cname);
    printf("{\"client\":\"%s\",\"info\":\"raw HTTP/1.1 in C, no JSON parser%s%s, %s\"}\n", cname,
           use_tls ? ", " : "", use_tls ? OpenSSL_version(OPENSSL_VERSION) : "", endpoint);
    fflush(stdout);

    struct { const char *name; int count, n, calls; int (*call)(client *, int);
             int (*check)(client *); } wl[] = {
        { "get_instance", n_get, n_get, n_get, call_get, NULL },
        { "list_and_read_config", n_list, n_list, 1, call_list, NULL },
        { "exec_true", n_exec, n_exec, n_exec, call_exec, NULL },
        { "set_config_update", n_set, n_set, n_set, call_set, check_set },
        { "file_push", file_mb, 1, 1, call_push, check_push },
        { "file_pull", file_mb, 1, 1, call_pull, check_pull } };
    client *cl = client_new();
    int up = conn_open(&cl->http) == 0, ok = up; /* untimed, before the first workload */
    for (size_t i = 0; up && i < sizeof wl / sizeof wl[0]; i++)
        if (wanted(wl[i].name, NULL, wl[i].count)) {
            /* Untimed, as every client does before its push (the Go client's
             * harness too): LXD 5.0.2 opens its file channel into an
             * instance on first use. */
            if (wl[i].call == call_push) req(&cl->http, "DELETE", files_q, NULL, NULL);
            ok &= run_wl(cl, wl[i].name, wl[i].n, wl[i].calls, wl[i].call, wl[i].check);
        }
    char life_wl[64], line[256];
    snprintf(life_wl, sizeof life_wl, T > 1 ? "lifecycle_%dthreads" : "lifecycle", T);
    if (up && wanted("lifecycle", life_wl, n_life)) ok &= run_life(cl, life_wl, n_life, T);
    client_free(cl);
    long hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) hwm = atol(line + 6);
    if (f) fclose(f);
    printf("{\"client\":\"%s\",\"peak_rss_kb\":%ld}\n", cname, hwm);
    SSL_CTX_free(ctx);
    X509_free(pinned);
    SSL_SESSION_free(tls_sess);
    return ok ? 0 : 1;
}
