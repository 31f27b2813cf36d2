/* Secrets never in error messages: every error this test can provoke around
 * a client key, a certificate or a trust password is collected from
 * lxd_last_error_message() and searched for the secret's bytes: any 16
 * characters in a row of a key's (or certificate's) base64 body, the
 * decimal and hex renderings of their first bytes and of DER bytes, and
 * the passwords. None may be there; and each message about a file must
 * name the file and say what is wrong with it.
 *
 * The file errors happen before anything is sent (the main daemon's
 * address is given, read-only); the passwords go to the private daemon of
 * scripts/lxd-private.sh restart-test, whose core.trust_password this test
 * sets and unsets again. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAIN_URL "https://127.0.0.1:8443"
#define PRIV_DIR "/var/lib/lxd-liblxd-restart-test"
#define PRIV_URL "https://127.0.0.21:8443"
#define PRIV_LXC "LXD_DIR=" PRIV_DIR " lxc"

static char dir[64];

static void remove_dir(void) {
    if (dir[0]) t_sh("rm -rf '%s'", dir);
}

/* A folder of key and certificate files, made once. */
static bool make_dir(void) {
    if (dir[0]) return true;
    strcpy(dir, "/tmp/lxdt-secrets-XXXXXX");
    if (!mkdtemp(dir)) {
        dir[0] = 0;
        return false;
    }
    atexit(remove_dir);
    return t_sh("cd '%s' && "
                "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lxdt-secrets "
                "  -keyout key.pem -out cert.pem >/dev/null 2>&1 && "
                "openssl ecparam -name prime256v1 -genkey -noout -out eckey.pem && "
                "openssl req -x509 -key eckey.pem -days 2 -subj /CN=lxdt-secrets-ec "
                "  -out eccert.pem >/dev/null 2>&1 && "
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 "
                "  -subj /CN=lxdt-other -keyout other.pem -out othercert.pem >/dev/null 2>&1 && "
                "echo $(cat key.pem) > key-nolines.pem && "
                "echo $(cat eckey.pem) > eckey-nolines.pem && "
                "echo $(cat cert.pem) > cert-nolines.pem && "
                "head -c $(( $(wc -c < key.pem) / 2 )) key.pem > key-trunc.pem && "
                "sed '5s/^\\(.\\{10\\}\\)./\\1*/' key.pem > key-badb64.pem && "
                "tail -n +2 key.pem > key-nobegin.pem && "
                "head -c 700 /dev/urandom > garbage.bin && "
                "echo 'this is not a PEM file' > garbage.txt && "
                ": > empty.pem && mkdir adir",
                dir) == 0;
}

static char *file(const char *name) { return t_fmt("%s/%s", dir, name); }

/* ---- what must never appear ----------------------------------------------- */

#define MAX_NEEDLES 4096
static struct needle {
    char *text;
    char *what;
} needles[MAX_NEEDLES];
static int n_needles;

static void add_needle(const char *text, const char *what) {
    if (!text || !*text || n_needles == MAX_NEEDLES) return;
    needles[n_needles].text = t_dup(text);
    needles[n_needles++].what = t_dup(what);
}

/* "45, 45, 45" and "45,45,45" (as Rust's and others' byte lists print),
 * and hex, of n bytes. */
static void add_byte_renderings(const unsigned char *b, size_t n, const char *what) {
    char spaced[256] = "", tight[256] = "", hex[256] = "";
    for (size_t i = 0; i < n; i++) {
        char one[8];
        snprintf(one, sizeof one, "%s%u", i ? ", " : "", b[i]);
        strcat(spaced, one);
        snprintf(one, sizeof one, "%s%u", i ? "," : "", b[i]);
        strcat(tight, one);
        snprintf(one, sizeof one, "%02x", b[i]);
        strcat(hex, one);
    }
    add_needle(spaced, t_fmt("%s as decimal bytes", what));
    add_needle(tight, t_fmt("%s as decimal bytes", what));
    add_needle(hex, t_fmt("%s as hex", what));
}

/* Every 16-character run of a PEM file's base64 body, its first bytes as
 * numbers, and bytes of its DER form (`der_cmd` prints them, or NULL). */
static bool add_pem_secret(const char *name, const char *der_cmd) {
    const char *body = t_sh_out("grep -v -- ----- '%s' | tr -d '\\n\\r '", file(name));
    if (!body || strlen(body) < 64) return false;
    char *copy = t_dup(body);
    size_t len = strlen(copy);
    for (size_t i = 0; i + 16 <= len; i++) {
        char run[17];
        memcpy(run, copy + i, 16);
        run[16] = 0;
        add_needle(run, t_fmt("16 characters of the base64 of %s", name));
    }
    add_byte_renderings((const unsigned char *)"-----BEGIN", 10, "a PEM BEGIN line");
    add_byte_renderings((const unsigned char *)"-----B", 6, "a PEM BEGIN line");
    add_byte_renderings((const unsigned char *)copy, 8, t_fmt("the base64 of %s", name));
    add_byte_renderings((const unsigned char *)copy + 100, 8, t_fmt("the base64 of %s", name));
    if (der_cmd) {
        /* 8 bytes of the DER form past its generic header. */
        const char *der = t_sh_out("%s -in '%s' -outform DER 2>/dev/null | od -An -tu1 -j 40 -N 8",
                                   der_cmd, file(name));
        unsigned char b[8];
        int n = 0;
        for (const char *p = der; p && *p && n < 8;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p) break;
            b[n++] = (unsigned char)v;
            p = end;
        }
        if (n != 8) return false;
        add_byte_renderings(b, 8, t_fmt("DER bytes of %s", name));
    }
    return true;
}

static bool add_key_secrets(void) {
    n_needles = 0;
    return add_pem_secret("key.pem", "openssl pkey") && add_pem_secret("eckey.pem", "openssl pkey") &&
           add_pem_secret("other.pem", "openssl pkey") && add_pem_secret("cert.pem", "openssl x509") &&
           add_pem_secret("eccert.pem", "openssl x509");
}

/* The needle found in msg, or NULL. */
static const struct needle *leak_in(const char *msg) {
    for (int i = 0; i < n_needles; i++)
        if (strstr(msg, needles[i].text)) return &needles[i];
    return NULL;
}

/* ---- file errors ---------------------------------------------------------- */

struct file_case {
    const char *label;
    const char *cert, *key, *server_cert; /* file names in dir; NULL: none */
    const char *names;                    /* the file the message must name */
    const char *kinds;                    /* '|'-separated: one must appear (any case) */
};

static bool any_kind(const char *msg, const char *kinds) {
    char *list = t_dup(kinds), *save = NULL;
    for (char *k = strtok_r(list, "|", &save); k; k = strtok_r(NULL, "|", &save))
        if (t_icontains(msg, k)) return true;
    return false;
}

static const struct file_case file_cases[] = {
    {"key with its line breaks lost", "cert.pem", "key-nolines.pem", NULL, "key-nolines.pem",
     "line breaks|not valid PEM"},
    {"EC key with its line breaks lost", "eccert.pem", "eckey-nolines.pem", NULL,
     "eckey-nolines.pem", "line breaks|not valid PEM"},
    {"truncated key", "cert.pem", "key-trunc.pem", NULL, "key-trunc.pem", "no END line|not valid PEM"},
    {"key with a broken base64 character", "cert.pem", "key-badb64.pem", NULL, "key-badb64.pem",
     "base64"},
    {"key without its BEGIN line", "cert.pem", "key-nobegin.pem", NULL, "key-nobegin.pem",
     "no PEM section|not valid PEM"},
    {"certificate and key swapped", "key.pem", "cert.pem", NULL, "key.pem", "no PEM section|no certificate"},
    {"key of another certificate", "cert.pem", "other.pem", NULL, "cert.pem", "does not belong"},
    {"RSA key with an EC certificate", "eccert.pem", "key.pem", NULL, "eccert.pem", "does not belong"},
    {"binary garbage as key", "cert.pem", "garbage.bin", NULL, "garbage.bin",
     "no PEM section|not valid PEM|not a valid PEM"},
    {"text garbage as key", "cert.pem", "garbage.txt", NULL, "garbage.txt", "no PEM section"},
    {"empty key file", "cert.pem", "empty.pem", NULL, "empty.pem", "no PEM section"},
    {"missing key file", "cert.pem", "missing-key.pem", NULL, "missing-key.pem", "No such file"},
    {"missing certificate file", "missing-cert.pem", "key.pem", NULL, "missing-cert.pem",
     "No such file"},
    {"a folder as key", "cert.pem", "adir", NULL, "adir", "directory"},
    {"certificate with its line breaks lost", "cert-nolines.pem", "key.pem", NULL,
     "cert-nolines.pem", "line breaks"},
    {"a key as the pinned server certificate", NULL, NULL, "key.pem", "key.pem",
     "no PEM section|no certificate"},
    {"an EC key as the pinned server certificate", NULL, NULL, "eckey.pem", "eckey.pem",
     "no PEM section|no certificate"},
    {"garbage as the pinned server certificate", NULL, NULL, "garbage.bin", "garbage.bin",
     "no PEM section|not valid PEM|not a valid PEM|no certificate"},
};

TEST(key_and_certificate_errors_name_the_file_and_never_quote_it) {
    CHECK(make_dir());
    CHECK_MSG(add_key_secrets(), "cannot read back the keys and certificates made");
    /* The net catches what it is for: a line of the key, its bytes as a
     * byte list, the line-less key. */
    const char *line = t_sh_out("sed -n 3p '%s'", file("key.pem"));
    CHECK(line && leak_in(line));
    CHECK(leak_in("[45, 45, 45, 45, 45, 66, 69, 71]"));
    CHECK(leak_in(t_sh_out("cat '%s'", file("eckey-nolines.pem"))));
    CHECK(!leak_in("cannot read key /tmp/x.pem: not valid PEM"));
    for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
        const struct file_case *fc = &file_cases[i];
        char *opts;
        if (fc->server_cert)
            opts = t_fmt("{\"server_cert\":\"%s\"}", file(fc->server_cert));
        else
            opts = t_fmt("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"/var/lib/lxd/server.crt\"}",
                         file(fc->cert), file(fc->key));
        lxd_client *c = NULL;
        lxd_status s = lxd_client_new(MAIN_URL, opts, &c);
        if (s == LXD_OK) lxd_client_free(c);
        const char *msg = s == LXD_OK ? "" : lxd_last_error_message();
        printf("    info: %s: %s: %s\n", fc->label, lxd_status_name(s), msg);
        CHECK_MSG(s == LXD_ERR_TLS, "%s: %s, expected LXD_ERR_TLS", fc->label, lxd_status_name(s));
        const struct needle *leak = leak_in(msg);
        CHECK_MSG(!leak, "%s: the message holds %s (\"%s\")", fc->label, leak->what, leak->text);
        CHECK_MSG(t_contains(msg, file(fc->names)), "%s: the message does not name %s", fc->label,
                  file(fc->names));
        CHECK_MSG(any_kind(msg, fc->kinds), "%s: the message does not say \"%s\"", fc->label,
                  fc->kinds);
    }
}

/* ---- trust passwords -------------------------------------------------------- */

TEST(trust_password_errors_never_hold_a_password) {
    CHECK(make_dir());
    const char *script = getenv("LIBLXD_PRIVATE_SCRIPT");
    CHECK_MSG(t_sh("bash '%s' restart-test >/dev/null",
                   script ? script : "../../scripts/lxd-private.sh") == 0,
              "scripts/lxd-private.sh restart-test failed");
    /* Two client certificates, neither trusted yet. */
    CHECK(t_sh("cd '%s' && for n in pw1 pw2; do openssl req -x509 -newkey ec "
               "-pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 -subj /CN=lxdt-$n "
               "-keyout $n-key.pem -out $n-cert.pem >/dev/null 2>&1 || exit 1; done",
               dir) == 0);
    const char *fp = t_sh_out("openssl x509 -in '%s' -noout -fingerprint -sha256 | "
                              "sed 's/.*=//; s/://g' | tr A-F a-f",
                              file("pw1-cert.pem"));
    CHECK(fp && strlen(fp) == 64);
    t_cleanup(PRIV_LXC " config trust remove %s >/dev/null 2>&1", fp);
    t_cleanup(PRIV_LXC " config unset core.trust_password >/dev/null 2>&1");
    n_needles = 0;
    CHECK(add_pem_secret("pw1-key.pem", "openssl pkey") &&
          add_pem_secret("pw2-key.pem", "openssl pkey"));
    char *right = t_fmt("lxdt-Right-%d-Kx3vQ", (int)getpid());
    char *wrong = t_fmt("lxdt-Wrong-%d-Zq8pW", (int)getpid());
    add_needle(right, "the right password");
    add_needle(wrong, "the wrong password");
    add_needle("Kx3vQ", "the right password's end");
    add_needle("Zq8pW", "the wrong password's end");

    char *opts = t_fmt("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"" PRIV_DIR
                       "/server.crt\"}",
                       file("pw1-cert.pem"), file("pw1-key.pem"));
    lxd_client *c = NULL;
    CHECK_OK(lxd_client_new(PRIV_URL, opts, &c));
    t_keep_client(c);
    CHECK(!lxd_client_trusted(c));

    const char *msg;
    const struct needle *leak;
    /* No trust password set. */
    CHECK(t_sh(PRIV_LXC " config unset core.trust_password") == 0);
    CHECK_STATUS(lxd_client_authenticate(c, wrong), LXD_ERR_FORBIDDEN);
    msg = lxd_last_error_message();
    printf("    info: no trust password set, a password given: %s\n", msg);
    leak = leak_in(msg);
    CHECK_MSG(!leak, "the message holds %s", leak->what);

    /* A wrong one, then an empty one, then the right one. */
    CHECK(t_sh(PRIV_LXC " config set core.trust_password '%s'", right) == 0);
    CHECK_STATUS(lxd_client_authenticate(c, wrong), LXD_ERR_FORBIDDEN);
    msg = lxd_last_error_message();
    printf("    info: wrong password: %s\n", msg);
    leak = leak_in(msg);
    CHECK_MSG(!leak, "the message holds %s", leak->what);
    lxd_status s = lxd_client_authenticate(c, "");
    msg = s == LXD_OK ? "" : lxd_last_error_message();
    printf("    info: empty password: %s: %s\n", lxd_status_name(s), msg);
    CHECK(s != LXD_OK);
    leak = leak_in(msg);
    CHECK_MSG(!leak, "the message holds %s", leak->what);
    CHECK(!lxd_client_trusted(c));
    CHECK_OK(lxd_client_authenticate(c, right));
    CHECK(lxd_client_trusted(c));

    /* A certificate file replaced by its key after the client was made:
     * authenticate reads it again, and must not quote it. */
    CHECK(t_sh("cp '%s' '%s'", file("pw2-cert.pem"), file("pw2-copy.pem")) == 0);
    opts = t_fmt("{\"cert\":\"%s\",\"key\":\"%s\",\"server_cert\":\"" PRIV_DIR "/server.crt\"}",
                 file("pw2-copy.pem"), file("pw2-key.pem"));
    lxd_client *c2 = NULL;
    CHECK_OK(lxd_client_new(PRIV_URL, opts, &c2));
    t_keep_client(c2);
    CHECK(t_sh("cp '%s' '%s'", file("pw2-key.pem"), file("pw2-copy.pem")) == 0);
    s = lxd_client_authenticate(c2, right);
    msg = s == LXD_OK ? "" : lxd_last_error_message();
    printf("    info: certificate file replaced by the key: %s: %s\n", lxd_status_name(s), msg);
    CHECK(s == LXD_ERR_TLS);
    leak = leak_in(msg);
    CHECK_MSG(!leak, "the message holds %s", leak->what);
    CHECK(t_contains(msg, file("pw2-copy.pem")));
    CHECK(!lxd_client_trusted(c2));
}

T_MAIN(T_CASE(key_and_certificate_errors_name_the_file_and_never_quote_it),
       T_CASE(trust_password_errors_never_hold_a_password))
