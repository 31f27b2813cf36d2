/* Clusters against a real 3-member LXD 5.0.2 cluster (scripts/lxd-cluster.sh
 * cluster up: members m1, m2, m3 on https://127.0.0.11-13:8443, a member-
 * local dir pool "local", the busybox image, a trusted client
 * certificate). The program talks to the cluster over HTTPS with that
 * certificate, pinning the cluster's certificate, with all three members
 * as endpoints; every outcome is read back with `lxc` on a member's unix
 * socket.
 *
 * Cases: the cluster and its members as lxc sees them; a member's
 * description, failure domain and config saved and restored, and a member
 * renamed and renamed back; cluster groups (create, list, update, rename,
 * delete, members' "groups"); join tokens (create, list, revoke); placement
 * through derived clients targeted at a member or a group (instances,
 * volumes of the local pool, the target's resources and config); evacuating
 * a member (one instance stopped in place, one moved to another member, as
 * their cluster.evacuate says) and restoring it; joining the
 * spare server (member 4, scripts/lxd-private.sh cluster-4 on
 * 127.0.0.14:8443) through liblxd and removing it again; enabling
 * clustering on a standalone server; putting the cluster's own certificate
 * back with update_certificate.
 *
 * Everything made is named lxdt-* (but the spare, which joins as "m4", the
 * name scripts/lxd-cluster.sh gives member 4, or becomes the cluster of one
 * "solo") and removed; the cluster is left with
 * its three members online, not evacuated, with no group, token or
 * instance of the test.
 *
 * Environment: LIBLXD_PRIVATE_SCRIPT, the path of scripts/lxd-private.sh
 * (default ../../scripts/lxd-private.sh, right when run from build/tests). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE "/var/lib/lxd-liblxd-cluster"
#define M1_DIR "/var/lib/lxd-liblxd-cluster-1"
#define LXC "LXD_DIR=" M1_DIR " lxc"
#define MEMBER_LXC(n) "LXD_DIR=/var/lib/lxd-liblxd-cluster-" #n " lxc"
#define ENDPOINTS "https://127.0.0.11:8443,https://127.0.0.12:8443,https://127.0.0.13:8443"
#define SPARE_NAME "cluster-4"
#define SPARE_DIR "/var/lib/lxd-liblxd-cluster-4"
#define SPARE_ADDR "127.0.0.14:8443"
#define SPARE_LXC "LXD_DIR=" SPARE_DIR " lxc"

/* ---- helpers ---------------------------------------------------------------- */

/* A client of the cluster (kept until the end of the test): HTTPS with the
 * trusted certificate, cluster.crt pinned, every member an endpoint. */
static lxd_client *cluster(void) {
    lxd_client *c = NULL;
    lxd_status s = lxd_client_new(ENDPOINTS,
                                  "{\"cert\":\"" STATE "/client.crt\",\"key\":\"" STATE
                                  "/client.key\",\"server_cert\":\"" STATE "/cluster.crt\"}",
                                  &c);
    if (s != LXD_OK) {
        printf("    cannot reach the cluster (bash scripts/lxd-cluster.sh cluster up?): %s: %s\n",
               lxd_status_name(s), lxd_last_error_message());
        return NULL;
    }
    return t_keep_client(c);
}

/* `c` with another target ("m2", "@group"), kept until the end of the test. */
static lxd_client *targeted(lxd_client *c, const char *target) {
    lxd_client *d = NULL;
    if (!c || lxd_client_derive(c, t_fmt("{\"target\":\"%s\"}", target), &d) != LXD_OK) {
        printf("    derive target %s: %s\n", target, lxd_last_error_message());
        return NULL;
    }
    return t_keep_client(d);
}

/* An attribute read as plain text (a JSON string without its quotes). */
static const char *text(lxd_obj *o, const char *attr) {
    const char *j = t_get(o, attr);
    return j ? t_dup(t_jq(j, ".")) : NULL;
}

/* A file's content as a JSON string, freed after the test. */
static const char *json_file(const char *path) {
    return t_dup(t_sh_out("jq -Rs . '%s'", path));
}

/* What `lxc` on m1 says about an instance: "NAME,STATE,LOCATION". */
static const char *lxc_instance(const char *name) {
    return t_dup(t_sh_out(LXC " list --format csv -c nsL | grep '^%s,'", name));
}

/* A member's status as lxc reads it. */
static const char *member_status(const char *member) {
    return t_dup(t_sh_out(LXC " query /1.0/cluster/members/%s | jq -r .status", member));
}

static const char *script(void) {
    const char *s = getenv("LIBLXD_PRIVATE_SCRIPT");
    return s ? s : "../../scripts/lxd-private.sh";
}

/* Stop the spare and delete its state (its leftover mounts first). */
static const char *spare_wipe_cmd(void) {
    return t_fmt("LXD_PRIVATE_HTTPS=" SPARE_ADDR " bash '%s' " SPARE_NAME " stop >/dev/null 2>&1; "
                 "{ grep -o ' " SPARE_DIR "/[^ ]*' /proc/mounts || true; } | sort -r | "
                 "while read -r m; do umount -l \"$m\" 2>/dev/null; done; rm -rf " SPARE_DIR,
                 script());
}

/* The spare, standalone and uninitialised, started afresh (wiped again
 * after the test); a unix-socket client on it. */
static lxd_client *spare_fresh(void) {
    /* A run that crashed may have left it: it goes first. */
    if (t_sh("test -e " SPARE_DIR) == 0) t_sh("%s", spare_wipe_cmd());
    t_cleanup("%s", spare_wipe_cmd());
    if (t_sh("LXD_PRIVATE_HTTPS=" SPARE_ADDR " bash '%s' " SPARE_NAME " start >/dev/null 2>&1", script()) !=
        0) {
        printf("    %s " SPARE_NAME " start failed\n", script());
        return NULL;
    }
    lxd_client *s = NULL;
    if (lxd_client_new(SPARE_DIR "/unix.socket", NULL, &s) != LXD_OK) {
        printf("    spare: %s\n", lxd_last_error_message());
        return NULL;
    }
    return t_keep_client(s);
}

/* Delete instance `name` after the test: also when its create is still
 * running (a create that returned early: the delete waits while an
 * operation of LXD's still names the instance). */
static void delete_cleanup(const char *name) {
    t_cleanup("for i in $(seq 150); do " LXC " delete -f %s >/dev/null 2>&1 && break; "
              LXC " query '/1.0/operations?recursion=1' 2>/dev/null | "
              "grep -qE '/instances/%s([?\"]|$)|/containers/%s([?\"]|$)' || break; sleep 0.2; done",
              name, name, name);
}

static const char *container_def(const char *name, const char *config) {
    return t_fmt("{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"},"
                 "\"config\":%s}",
                 name, config ? config : "{}");
}

/* Create container `name` (with `config`, or none) through `c` (deleted
 * after the test), started if `start`. */
static lxd_obj *new_container(lxd_client *c, const char *name, const char *config, bool start) {
    lxd_obj *o = NULL;
    delete_cleanup(name);
    if (lxd_container_create(c, container_def(name, config), true, &o) != LXD_OK) {
        printf("    create %s: %s\n", name, lxd_last_error_message());
        return NULL;
    }
    t_keep_obj(o);
    if (start && lxd_instance_start(o, -1, false, true) != LXD_OK) {
        printf("    start %s: %s\n", name, lxd_last_error_message());
        return NULL;
    }
    return o;
}

/* ---- 1. the cluster and its members -------------------------------------- */

TEST(cluster_info) {
    lxd_client *c = cluster();
    CHECK(c);
    lxd_obj *cl = NULL;
    CHECK_OK(lxd_cluster_get(c, &cl));
    t_keep_obj(cl);
    CHECK_STREQ(t_get(cl, "enabled"), "true");
    /* The member answering: the endpoint in use. */
    const char *me = text(cl, "server_name");
    CHECK_MSG(t_streq(me, "m1") || t_streq(me, "m2") || t_streq(me, "m3"), "server_name %s", me);
    char *ep = NULL;
    CHECK_OK(lxd_client_endpoint(c, &ep));
    t_keep_str(ep);
    CHECK_STREQ(ep, t_fmt("https://127.0.0.1%c:8443", me[1]));
    CHECK_STREQ(me, t_sh_out("LXD_DIR=/var/lib/lxd-liblxd-cluster-%c lxc query /1.0/cluster | jq -r .server_name",
                             me[1]));
    /* What a joining server must give: the pool's source. */
    const char *mc = t_dup(t_jq(t_get(cl, "member_config"), "map({entity,name,key}) | tojson"));
    CHECK_STREQ(mc, t_sh_out(LXC " query /1.0/cluster | jq -c '.member_config | map({entity,name,key})'"));
    CHECK(t_contains(mc, "\"entity\":\"storage-pool\",\"name\":\"local\",\"key\":\"source\""));

    lxd_list *l = NULL;
    CHECK_OK(lxd_cluster_member_all(c, &l));
    t_keep_list(l);
    char *names = t_fmt("[");
    for (size_t i = 0; i < lxd_list_len(l); i++)
        names = t_fmt("%s%s%s", names, i ? "," : "", t_get(lxd_list_get(l, i), "server_name"));
    names = t_fmt("%s]", names);
    const char *ours = t_dup(t_jq(names, "sort | join(\",\")"));
    CHECK_STREQ(ours, "m1,m2,m3");
    CHECK_STREQ(ours, t_sh_out(LXC " cluster list --format csv | grep -oE '^[a-z0-9-]+,https://' | cut -d, -f1 | "
                               "sort | paste -sd,"));

    lxd_obj *m2 = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m2", &m2));
    t_keep_obj(m2);
    const char *q = t_dup(t_sh_out(LXC " query /1.0/cluster/members/m2"));
    CHECK(q);
    CHECK_STREQ(t_get(m2, "server_name"), "\"m2\"");
    CHECK_STREQ(text(m2, "url"), "https://127.0.0.12:8443");
    CHECK_STREQ(text(m2, "url"), t_jq(q, ".url"));
    CHECK_STREQ(text(m2, "status"), "Online");
    CHECK_STREQ(text(m2, "status"), t_jq(q, ".status"));
    CHECK_STREQ(t_jq(t_get(m2, "roles"), "tojson"), t_dup(t_jq(q, ".roles | tojson")));
    CHECK_STREQ(t_get(m2, "database"), t_jq(q, ".database"));
    CHECK_STREQ(text(m2, "architecture"), t_jq(q, ".architecture"));
    /* The same member in the list. */
    lxd_obj *listed = t_find_in(l, "server_name", "m2");
    CHECK(listed);
    CHECK_STREQ(text(listed, "url"), "https://127.0.0.12:8443");

    bool there = false;
    CHECK_OK(lxd_cluster_member_exists(c, "m3", &there));
    CHECK(there);
    CHECK_OK(lxd_cluster_member_exists(c, "lxdt-no-such-member", &there));
    CHECK(!there);
    lxd_obj *none = NULL;
    CHECK_STATUS(lxd_cluster_member_get(c, "lxdt-no-such-member", &none), LXD_ERR_NOT_FOUND);

    /* The "endpoints" option reaches the same cluster. */
    lxd_client *c2 = NULL;
    CHECK_OK(lxd_client_new("https://127.0.0.13:8443",
                            "{\"endpoints\":[\"https://127.0.0.11:8443\"],\"cert\":\"" STATE
                            "/client.crt\",\"key\":\"" STATE "/client.key\",\"server_cert\":\"" STATE
                            "/cluster.crt\"}",
                            &c2));
    t_keep_client(c2);
    CHECK(lxd_client_trusted(c2));
    lxd_obj *cl3 = NULL;
    CHECK_OK(lxd_cluster_get(c2, &cl3));
    t_keep_obj(cl3);
    CHECK_STREQ(text(cl3, "server_name"), "m3");
}

/* ---- 2. a member's description, failure domain, config; rename ---------- */

TEST(member_update_and_rename) {
    lxd_client *c = cluster();
    CHECK(c);
    const char *orig = t_dup(t_sh_out(LXC " query /1.0/cluster/members/m3 | "
                                          "jq -c '{description,failure_domain,config,roles,groups}'"));
    CHECK(orig && *orig == '{');
    t_cleanup(LXC " query -X PUT -d '%s' /1.0/cluster/members/m3 >/dev/null 2>&1", orig);
    const char *key = t_fmt("user.%s", t_unique("cl-key"));
    const char *fd = t_dup(t_unique("cl-fd"));

    lxd_obj *m = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m3", &m));
    t_keep_obj(m);
    const char *roles = t_dup(t_get(m, "roles"));
    const char *config = t_dup(t_get(m, "config"));
    CHECK_OK(lxd_obj_set(m, "description", "\"lxdt member three\""));
    CHECK_OK(lxd_obj_set(m, "failure_domain", t_fmt("\"%s\"", fd)));
    CHECK_OK(lxd_obj_set(m, "config", t_json_insert(config, t_fmt("\"%s\":\"v1\"", key))));
    CHECK_STATUS(lxd_obj_set(m, "server_name", "\"m9\""), LXD_ERR_READ_ONLY);
    CHECK_STATUS(lxd_obj_set(m, "status", "\"Offline\""), LXD_ERR_READ_ONLY);
    CHECK(lxd_obj_dirty(m));
    CHECK_OK(lxd_obj_save(m, true));
    CHECK(!lxd_obj_dirty(m));
    const char *q = t_dup(t_sh_out(LXC " query /1.0/cluster/members/m3"));
    CHECK_STREQ(t_jq(q, ".description"), "lxdt member three");
    CHECK_STREQ(t_jq(q, ".failure_domain"), fd);
    CHECK_STREQ(t_jq(q, t_fmt(".config[\"%s\"]", key)), "v1");
    CHECK_STREQ(t_jq(q, ".status"), "Online");
    CHECK_STREQ(t_jq(t_dup(t_jq(q, ".roles")), "tojson"), t_dup(t_jq(roles, "tojson")));
    /* lxc's own view of the same. */
    CHECK_STREQ(t_sh_out(LXC " cluster get m3 %s", key), "v1");
    CHECK(t_contains(t_sh_out(LXC " cluster list --format csv | tr '\\n' ' '"), fd));
    /* Another member is untouched. */
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/members/m2 | jq -r .failure_domain"), "default");
    /* Seen from another member too: m3's own socket. */
    CHECK_STREQ(t_sh_out(MEMBER_LXC(3) " query /1.0/cluster/members/m3 | jq -r .description"),
                "lxdt member three");

    /* A stale handle may not overwrite it. */
    lxd_obj *stale = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m3", &stale));
    t_keep_obj(stale);
    CHECK_OK(lxd_obj_set(m, "description", "\"lxdt again\""));
    CHECK_OK(lxd_obj_save(m, true));
    CHECK_OK(lxd_obj_set(stale, "description", "\"lxdt stale\""));
    CHECK_STATUS(lxd_obj_save(stale, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/members/m3 | jq -r .description"), "lxdt again");

    /* The originals back, through liblxd. */
    CHECK_OK(lxd_obj_set(m, "description", t_dup(t_jq(orig, ".description | tojson"))));
    CHECK_OK(lxd_obj_set(m, "failure_domain", t_dup(t_jq(orig, ".failure_domain | tojson"))));
    CHECK_OK(lxd_obj_set(m, "config", t_dup(t_jq(orig, ".config | tojson"))));
    CHECK_OK(lxd_obj_save(m, true));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/members/m3 | jq -c '{description,failure_domain,config,roles,groups}'"),
                orig);

    /* Rename m3 and back (LXD allows it for an online member). */
    const char *renamed = t_dup(t_unique("cl-m3"));
    t_cleanup(LXC " cluster rename %s m3 >/dev/null 2>&1", renamed);
    CHECK_OK(lxd_obj_rename(m, renamed, true));
    const char *names = t_dup(t_sh_out(LXC " query /1.0/cluster/members | jq -r 'map(split(\"/\")[-1]) | sort | join(\",\")'"));
    CHECK_STREQ(names, t_jq(t_fmt("[\"m1\",\"m2\",\"%s\"]", renamed), "sort | join(\",\")"));
    CHECK(t_contains(t_sh_out(LXC " cluster list --format csv | tr '\\n' ' '"), t_fmt("%s,https://127.0.0.13:8443", renamed)));
    CHECK_STREQ(t_get(m, "server_name"), t_fmt("\"%s\"", renamed));
    CHECK_STREQ(text(m, "url"), "https://127.0.0.13:8443");
    bool there = true;
    CHECK_OK(lxd_cluster_member_exists(c, "m3", &there));
    CHECK(!there);
    CHECK_OK(lxd_obj_rename(m, "m3", true));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/members | jq -r 'map(split(\"/\")[-1]) | sort | join(\",\")'"),
                "m1,m2,m3");
    CHECK(t_contains(t_sh_out(LXC " cluster list --format csv | tr '\\n' ' '"), "m3,https://127.0.0.13:8443"));
    CHECK_STREQ(member_status("m3"), "Online");
    CHECK_STREQ(t_get(m, "server_name"), "\"m3\"");
}

/* ---- 3. cluster groups ------------------------------------------------------ */

/* Empty a group (LXD deletes only empty ones), then delete it. */
static void group_cleanup(const char *name) {
    t_cleanup(LXC " query -X PUT -d '{\"description\":\"\",\"members\":[]}' /1.0/cluster/groups/%s "
                  ">/dev/null 2>&1; " LXC " cluster group delete %s >/dev/null 2>&1",
              name, name);
}

static const char *groups_of(const char *member) {
    return t_dup(t_sh_out(LXC " query /1.0/cluster/members/%s | jq -c '.groups | sort'", member));
}

TEST(groups) {
    lxd_client *c = cluster();
    CHECK(c);
    const char *g = t_dup(t_unique("cl-grp"));
    const char *g2 = t_dup(t_unique("cl-grp-r"));
    group_cleanup(g);
    group_cleanup(g2);

    lxd_obj *o = NULL;
    CHECK_OK(lxd_cluster_group_create(
        c, t_fmt("{\"name\":\"%s\",\"description\":\"first\",\"members\":[\"m2\"]}", g), true, &o));
    t_keep_obj(o);
    const char *path = t_fmt("/1.0/cluster/groups/%s", g);
    CHECK_STREQ(t_sh_out(LXC " query %s | jq -c .members", path), "[\"m2\"]");
    CHECK_STREQ(t_sh_out(LXC " query %s | jq -r .description", path), "first");
    CHECK(t_contains(t_sh_out(LXC " cluster group list --format csv"), t_fmt("%s,first,1", g)));
    CHECK_STREQ(t_get(o, "members"), "[\"m2\"]");
    CHECK_STREQ(groups_of("m2"), t_fmt("[\"default\",\"%s\"]", g));
    CHECK_STREQ(groups_of("m3"), "[\"default\"]");

    lxd_list *l = NULL;
    CHECK_OK(lxd_cluster_group_all(c, &l));
    t_keep_list(l);
    CHECK_STREQ(t_fmt("%zu", lxd_list_len(l)), t_sh_out(LXC " query /1.0/cluster/groups | jq length"));
    lxd_obj *in_list = t_find_in(l, "name", g);
    CHECK(in_list);
    CHECK_STREQ(text(in_list, "description"), "first");
    CHECK(t_find_in(l, "name", "default"));
    bool there = false;
    CHECK_OK(lxd_cluster_group_exists(c, g, &there));
    CHECK(there);
    lxd_obj *got = NULL;
    CHECK_OK(lxd_cluster_group_get(c, g, &got));
    t_keep_obj(got);
    CHECK_STREQ(t_get(got, "members"), "[\"m2\"]");
    /* Members see it in their "groups". */
    lxd_obj *m2 = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m2", &m2));
    t_keep_obj(m2);
    CHECK(t_contains(t_get(m2, "groups"), t_fmt("\"%s\"", g)));

    /* Members and description through save. */
    CHECK_OK(lxd_obj_set(got, "members", "[\"m2\",\"m3\"]"));
    CHECK_OK(lxd_obj_set(got, "description", "\"second\""));
    CHECK_OK(lxd_obj_save(got, true));
    CHECK_STREQ(t_sh_out(LXC " query %s | jq -c '.members | sort'", path), "[\"m2\",\"m3\"]");
    CHECK_STREQ(t_sh_out(LXC " query %s | jq -r .description", path), "second");
    CHECK_STREQ(groups_of("m3"), t_fmt("[\"default\",\"%s\"]", g));
    lxd_obj *m3 = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m3", &m3));
    t_keep_obj(m3);
    CHECK(t_contains(t_get(m3, "groups"), t_fmt("\"%s\"", g)));
    /* The first handle is stale now. */
    CHECK_OK(lxd_obj_set(o, "description", "\"stale\""));
    CHECK_STATUS(lxd_obj_save(o, true), LXD_ERR_PRECONDITION_FAILED);
    CHECK_STREQ(t_sh_out(LXC " query %s | jq -r .description", path), "second");

    CHECK_OK(lxd_obj_rename(got, g2, true));
    CHECK(t_sh(LXC " query %s >/dev/null 2>&1", path) != 0);
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/groups/%s | jq -c '[.description, (.members | sort)]'", g2),
                "[\"second\",[\"m2\",\"m3\"]]");
    CHECK_STREQ(t_get(got, "name"), t_fmt("\"%s\"", g2));
    CHECK_STREQ(groups_of("m2"), t_fmt("[\"default\",\"%s\"]", g2));
    CHECK(t_contains(t_sh_out(LXC " cluster group list --format csv"), t_fmt("%s,second,2", g2)));

    /* LXD deletes only empty groups. */
    lxd_status s = lxd_obj_delete(got, true);
    printf("    deleting a group with members: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(s != LXD_OK && s != LXD_ERR_INTERNAL && s != LXD_ERR_NOT_FOUND, "%s", lxd_status_name(s));
    CHECK(t_icontains(lxd_last_error_message(), "only empty cluster groups"));
    CHECK(t_sh(LXC " query /1.0/cluster/groups/%s >/dev/null 2>&1", g2) == 0);
    CHECK_OK(lxd_obj_set(got, "members", "[]"));
    CHECK_OK(lxd_obj_save(got, true));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/groups/%s | jq -c .members", g2), "[]");
    CHECK_STREQ(groups_of("m2"), "[\"default\"]");
    CHECK_OK(lxd_obj_delete(got, true));
    CHECK(t_sh(LXC " query /1.0/cluster/groups/%s >/dev/null 2>&1", g2) != 0);
    CHECK(!t_contains(t_sh_out(LXC " cluster group list --format csv"), g2));
    CHECK_OK(lxd_cluster_group_exists(c, g2, &there));
    CHECK(!there);
    lxd_obj *none = NULL;
    CHECK_STATUS(lxd_cluster_group_get(c, g2, &none), LXD_ERR_NOT_FOUND);
}

/* ---- 4. join tokens --------------------------------------------------------- */

TEST(join_tokens) {
    lxd_client *c = cluster();
    CHECK(c);
    const char *n1 = t_dup(t_unique("cl-tok")), *n2 = t_dup(t_unique("cl-tok"));
    t_cleanup(LXC " cluster revoke-token %s >/dev/null 2>&1", n1);
    t_cleanup(LXC " cluster revoke-token %s >/dev/null 2>&1", n2);
    char *t1 = NULL, *t2 = NULL, *pending = NULL;
    CHECK_OK(lxd_cluster_join_token_create(c, t_fmt("{\"server_name\":\"%s\"}", n1), &t1));
    t_keep_str(t1);
    CHECK_OK(lxd_cluster_join_token_create(c, t_fmt("{\"server_name\":\"%s\"}", n2), &t2));
    t_keep_str(t2);
    CHECK_STREQ(t_jq(t1, ".server_name"), n1);
    const char *tok1 = t_dup(t_jq(t1, ".token")), *id1 = t_dup(t_jq(t1, ".id"));
    const char *tok2 = t_dup(t_jq(t2, ".token")), *id2 = t_dup(t_jq(t2, ".id"));
    CHECK(tok1 && strlen(tok1) > 20 && id1 && *id1);
    CHECK(!t_streq(tok1, tok2) && !t_streq(id1, id2));
    /* LXD's token: base64 of a JSON document naming the member. */
    CHECK_STREQ(t_sh_out("echo '%s' | base64 -d 2>/dev/null | jq -r .server_name", tok1), n1);
    /* The token lxc lists for the name: the same document. */
    const char *lxc_tok1 = t_dup(t_sh_out(LXC " cluster list-tokens --format csv | grep '^%s,' | cut -d, -f2", n1));
    const char *lxc_tok2 = t_dup(t_sh_out(LXC " cluster list-tokens --format csv | grep '^%s,' | cut -d, -f2", n2));
    CHECK(lxc_tok1 && *lxc_tok1 && lxc_tok2 && *lxc_tok2);
    CHECK_STREQ(t_dup(t_sh_out("echo '%s' | base64 -d | jq -cS .", tok1)),
                t_sh_out("echo '%s' | base64 -d | jq -cS .", lxc_tok1));
    CHECK_STREQ(t_dup(t_sh_out("echo '%s' | base64 -d | jq -cS .", tok2)),
                t_sh_out("echo '%s' | base64 -d | jq -cS .", lxc_tok2));
    /* Its operation, as lxc sees it. */
    CHECK_STREQ(t_sh_out(LXC " query /1.0/operations/%s | jq -r .metadata.serverName", id1), n1);

    CHECK_OK(lxd_cluster_join_tokens(c, &pending));
    t_keep_str(pending);
    /* The same strings in the list. */
    CHECK_STREQ(t_jq(pending, t_fmt("map(select(.server_name == \"%s\")) | .[0].token", n2)), tok2);
    CHECK_STREQ(t_jq(pending, t_fmt("map(select(.server_name == \"%s\")) | .[0].token", n1)), tok1);
    CHECK_STREQ(t_jq(pending, t_fmt("map(select(.server_name == \"%s\")) | .[0].id", n2)), id2);
    CHECK_STREQ(t_jq(pending, "length"), t_sh_out(LXC " cluster list-tokens --format csv | wc -l"));

    /* Revoke by name, then by id. */
    CHECK_OK(lxd_cluster_join_token_revoke(c, n1));
    CHECK(!t_contains(t_sh_out(LXC " cluster list-tokens --format csv"), n1));
    CHECK(t_contains(t_sh_out(LXC " cluster list-tokens --format csv"), n2));
    CHECK_STATUS(lxd_cluster_join_token_revoke(c, n1), LXD_ERR_NOT_FOUND);
    CHECK_OK(lxd_cluster_join_token_revoke(c, id2));
    CHECK(!t_contains(t_sh_out(LXC " cluster list-tokens --format csv"), n2));
    CHECK_STATUS(lxd_cluster_join_token_revoke(c, id2), LXD_ERR_NOT_FOUND);
    CHECK_STATUS(lxd_cluster_join_token_revoke(c, "lxdt-no-such-token"), LXD_ERR_NOT_FOUND);
    char *after = NULL;
    CHECK_OK(lxd_cluster_join_tokens(c, &after));
    t_keep_str(after);
    CHECK_MSG(!t_contains(after, n1) && !t_contains(after, n2), "still pending: %s", after);
    /* Byte for byte the string lxc prints (`lxc cluster add`,
     * `lxc cluster list-tokens`), as lxd.h promises. */
    CHECK_MSG(t_streq(tok1, lxc_tok1) && t_streq(tok2, lxc_tok2),
              "liblxd's token is not lxc's string:\n      liblxd %s\n      lxc    %s", tok1, lxc_tok1);
}

/* ---- 5. placement through targeted clients ---------------------------------- */

TEST(placement) {
    lxd_client *c = cluster();
    CHECK(c);
    lxd_client *on_m1 = targeted(c, "m1"), *on_m2 = targeted(c, "m2"), *on_m3 = targeted(c, "m3");
    CHECK(on_m1 && on_m2 && on_m3);

    /* An instance on m2. */
    const char *i1 = t_dup(t_unique("cl-pl"));
    lxd_obj *o1 = new_container(on_m2, i1, NULL, false);
    CHECK(o1);
    CHECK_STREQ(t_get(o1, "location"), "\"m2\"");
    CHECK_STREQ(lxc_instance(i1), t_fmt("%s,STOPPED,m2", i1));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/instances/%s | jq -r .location", i1), "m2");
    /* Reached through the untargeted client too (LXD forwards). */
    lxd_obj *again = NULL;
    CHECK_OK(lxd_container_get(c, i1, &again));
    t_keep_obj(again);
    CHECK_STREQ(t_get(again, "location"), "\"m2\"");

    /* A group of [m3]: "@group" places there. */
    const char *g = t_dup(t_unique("cl-pl-grp"));
    group_cleanup(g);
    lxd_obj *go = NULL;
    CHECK_OK(lxd_cluster_group_create(c, t_fmt("{\"name\":\"%s\",\"members\":[\"m3\"]}", g), true, &go));
    t_keep_obj(go);
    lxd_client *on_g = targeted(c, t_fmt("@%s", g));
    CHECK(on_g);
    const char *i2 = t_dup(t_unique("cl-pl"));
    lxd_obj *o2 = new_container(on_g, i2, NULL, false);
    CHECK(o2);
    CHECK_STREQ(t_get(o2, "location"), "\"m3\"");
    CHECK_STREQ(lxc_instance(i2), t_fmt("%s,STOPPED,m3", i2));

    /* A custom volume of the member-local pool on m1. */
    const char *v = t_dup(t_unique("cl-vol"));
    t_cleanup(LXC " storage volume delete local %s --target m1 >/dev/null 2>&1", v);
    lxd_obj *pool1 = NULL, *pool2 = NULL, *vol = NULL;
    CHECK_OK(lxd_storage_pool_get(on_m1, "local", &pool1));
    t_keep_obj(pool1);
    CHECK_OK(lxd_storage_volume_create(pool1, t_fmt("{\"name\":\"%s\"}", v), true, &vol));
    t_keep_obj(vol);
    CHECK_STREQ(t_get(vol, "location"), "\"m1\"");
    CHECK_STREQ(t_sh_out(LXC " query '/1.0/storage-pools/local/volumes/custom/%s?target=m1' | jq -r .location", v),
                "m1");
    CHECK(t_sh(LXC " query '/1.0/storage-pools/local/volumes/custom/%s?target=m2' >/dev/null 2>&1", v) != 0);
    CHECK(t_sh("test -d " M1_DIR "/storage-pools/local/custom/default_%s", v) == 0);
    CHECK(t_sh("test -e /var/lib/lxd-liblxd-cluster-2/storage-pools/local/custom/default_%s", v) != 0);
    /* m2's pool has no such volume. */
    CHECK_OK(lxd_storage_pool_get(on_m2, "local", &pool2));
    t_keep_obj(pool2);
    bool there = true;
    CHECK_OK(lxd_storage_volume_exists(pool2, t_fmt("custom/%s", v), &there));
    CHECK(!there);
    CHECK_OK(lxd_storage_volume_exists(pool1, t_fmt("custom/%s", v), &there));
    CHECK(there);
    /* Saved and deleted on m1. */
    CHECK_OK(lxd_obj_set(vol, "description", "\"on m1\""));
    CHECK_OK(lxd_obj_save(vol, true));
    CHECK_STREQ(t_sh_out(LXC " query '/1.0/storage-pools/local/volumes/custom/%s?target=m1' | jq -r .description", v),
                "on m1");
    CHECK_OK(lxd_obj_delete(vol, true));
    CHECK(t_sh(LXC " query '/1.0/storage-pools/local/volumes/custom/%s?target=m1' >/dev/null 2>&1", v) != 0);

    /* The target member's resources and server config. */
    char *res = NULL;
    CHECK_OK(lxd_client_resources(on_m3, &res));
    t_keep_str(res);
    CHECK_STREQ(t_jq(res, ".cpu.total"), t_dup(t_sh_out(LXC " query '/1.0/resources?target=m3' | jq -r .cpu.total")));
    CHECK_STREQ(t_jq(res, ".memory.total"),
                t_dup(t_sh_out(LXC " query '/1.0/resources?target=m3' | jq -r .memory.total")));
    CHECK(atoll(t_jq(res, ".memory.total")) > 0);
    lxd_client *nowhere = targeted(c, "lxdt-no-such-member");
    CHECK(nowhere);
    char *res2 = NULL;
    lxd_status s = lxd_client_resources(nowhere, &res2);
    if (s == LXD_OK) t_keep_str(res2);
    CHECK_MSG(s != LXD_OK, "resources of a member that does not exist: %s", res2);
    printf("    resources of no member: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    lxd_obj *srv = NULL;
    CHECK_OK(lxd_server_get(on_m3, &srv));
    t_keep_obj(srv);
    CHECK_STREQ(t_jq(t_get(srv, "config"), ".[\"core.https_address\"]"), "127.0.0.13:8443");
    CHECK_STREQ(t_sh_out(MEMBER_LXC(3) " config get core.https_address"), "127.0.0.13:8443");
    lxd_obj *srv2 = NULL;
    CHECK_OK(lxd_server_get(on_m2, &srv2));
    t_keep_obj(srv2);
    CHECK_STREQ(t_jq(t_get(srv2, "config"), ".[\"core.https_address\"]"), "127.0.0.12:8443");

    /* Deleted through liblxd, wherever they are. */
    CHECK_OK(lxd_obj_delete(o1, true));
    CHECK_OK(lxd_obj_delete(o2, true));
    CHECK_STREQ(t_sh_out(LXC " list --format csv -c n | grep -c '^%s$' || true", i1), "0");
    CHECK_STREQ(t_sh_out(LXC " list --format csv -c n | grep -c '^%s$' || true", i2), "0");
    CHECK_OK(lxd_obj_set(go, "members", "[]"));
    CHECK_OK(lxd_obj_save(go, true));
    CHECK_OK(lxd_obj_delete(go, true));
    CHECK(t_sh(LXC " query /1.0/cluster/groups/%s >/dev/null 2>&1", g) != 0);
}

/* ---- 6. evacuate and restore ------------------------------------------------ */

/* Where lxc says an instance is. */
static const char *location_of(const char *name) {
    return t_dup(t_sh_out(LXC " query /1.0/instances/%s | jq -r .location", name));
}

TEST(evacuate_and_restore) {
    lxd_client *c = cluster();
    CHECK(c);
    lxd_client *on_m2 = targeted(c, "m2");
    CHECK(on_m2);
    /* LXD 5.0.2 has no "mode" for an evacuation (API extension
     * clustering_evacuation_mode came later): each instance's
     * cluster.evacuate decides, "auto" moving a container to another
     * member (a copy, with a local pool) and "stop" stopping it in place.
     * One of each, running busybox's init; no mode given. */
    const char *stay = t_dup(t_unique("cl-ev-stop")), *move = t_dup(t_unique("cl-ev-move"));
    lxd_obj *os = new_container(on_m2, stay, "{\"cluster.evacuate\":\"stop\"}", true);
    CHECK(os);
    lxd_obj *om = new_container(on_m2, move, NULL, true);
    CHECK(om);
    /* Runs first: m2 back in service whatever happened. */
    t_cleanup(LXC " cluster restore m2 --force >/dev/null 2>&1");
    CHECK_STREQ(lxc_instance(stay), t_fmt("%s,RUNNING,m2", stay));
    CHECK_STREQ(lxc_instance(move), t_fmt("%s,RUNNING,m2", move));

    lxd_obj *m = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m2", &m));
    t_keep_obj(m);
    CHECK_STREQ(text(m, "status"), "Online");
    char *r = NULL;
    CHECK_OK(lxd_cluster_member_evacuate(m, NULL, true, &r));
    t_keep_str(r);
    CHECK_STREQ(t_jq(r, ".status"), "Success");
    CHECK_STREQ(member_status("m2"), "Evacuated");
    CHECK(t_contains(t_sh_out(LXC " cluster list --format csv | grep '^m2,'"), ",EVACUATED,"));
    /* One stopped in place, the other running elsewhere. */
    CHECK_STREQ(lxc_instance(stay), t_fmt("%s,STOPPED,m2", stay));
    const char *where = location_of(move);
    printf("    evacuated: %s moved to %s\n", move, where);
    CHECK_MSG(t_streq(where, "m1") || t_streq(where, "m3"), "%s on %s", move, where);
    CHECK_STREQ(lxc_instance(move), t_fmt("%s,RUNNING,%s", move, where));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/instances/%s | jq -r '.config[\"volatile.evacuate.origin\"]'", move), "m2");
    CHECK_OK(lxd_obj_sync(m));
    CHECK_STREQ(text(m, "status"), "Evacuated");
    CHECK_OK(lxd_obj_sync(om));
    CHECK_STREQ(t_get(om, "location"), t_fmt("\"%s\"", where));
    /* Nothing is placed on an evacuated member. */
    const char *blocked = t_dup(t_unique("cl-ev"));
    delete_cleanup(blocked);
    lxd_obj *ob = NULL;
    lxd_status s = lxd_container_create(on_m2, container_def(blocked, NULL), true, &ob);
    if (s == LXD_OK) t_keep_obj(ob);
    printf("    create on an evacuated member: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    CHECK_MSG(s != LXD_OK, "created %s on evacuated m2", blocked);
    CHECK(t_sh(LXC " query /1.0/instances/%s >/dev/null 2>&1", blocked) != 0);
    /* Evacuated twice: LXD refuses. */
    s = lxd_cluster_member_evacuate(m, NULL, true, NULL);
    CHECK_MSG(s != LXD_OK && t_icontains(lxd_last_error_message(), "already evacuated"), "%s: %s",
              lxd_status_name(s), lxd_last_error_message());

    CHECK_OK(lxd_cluster_member_restore(m, NULL, true, NULL));
    CHECK_STREQ(member_status("m2"), "Online");
    CHECK(!t_contains(t_sh_out(LXC " cluster list --format csv"), "EVACUATED"));
    CHECK_STREQ(lxc_instance(stay), t_fmt("%s,RUNNING,m2", stay));
    CHECK_STREQ(lxc_instance(move), t_fmt("%s,RUNNING,m2", move));
    CHECK_OK(lxd_obj_sync(m));
    CHECK_STREQ(text(m, "status"), "Online");
    CHECK_OK(lxd_obj_sync(os));
    CHECK_STREQ(text(os, "status"), "Running");
    CHECK_OK(lxd_obj_sync(om));
    CHECK_STREQ(t_get(om, "location"), "\"m2\"");
    CHECK_STREQ(text(om, "status"), "Running");
}

/* ---- 7. joining the spare and removing it; enabling clustering ----------- */

TEST(join_and_remove_member) {
    lxd_client *c = cluster();
    CHECK(c);
    /* A member m4 a crashed run left behind goes first. Cleanups (last
     * registered, first run): the token, the member m4, then the spare
     * itself (spare_fresh). */
    if (t_sh(LXC " query /1.0/cluster/members/m4 >/dev/null 2>&1") == 0)
        t_sh(LXC " cluster remove m4 --force --yes >/dev/null 2>&1");
    lxd_client *spare = spare_fresh();
    CHECK(spare);
    t_cleanup(LXC " cluster remove m4 --force --yes >/dev/null 2>&1");
    t_cleanup(LXC " cluster revoke-token m4 >/dev/null 2>&1");

    /* The spare's HTTPS address, through its Server object. */
    lxd_obj *srv = NULL;
    CHECK_OK(lxd_server_get(spare, &srv));
    t_keep_obj(srv);
    CHECK_OK(lxd_obj_set(srv, "config",
                         t_json_insert(t_get(srv, "config"), "\"core.https_address\":\"" SPARE_ADDR "\"")));
    CHECK_OK(lxd_obj_save(srv, true));
    CHECK_STREQ(t_sh_out(SPARE_LXC " config get core.https_address"), SPARE_ADDR);

    lxd_obj *sc = NULL;
    CHECK_OK(lxd_cluster_get(spare, &sc));
    t_keep_obj(sc);
    CHECK_STREQ(t_get(sc, "enabled"), "false");

    char *tok = NULL;
    CHECK_OK(lxd_cluster_join_token_create(c, "{\"server_name\":\"m4\"}", &tok));
    t_keep_str(tok);
    CHECK(t_contains(t_sh_out(LXC " cluster list-tokens --format csv"), "m4,"));
    lxd_obj *cc = NULL;
    CHECK_OK(lxd_cluster_get(c, &cc));
    t_keep_obj(cc);
    /* What the cluster asks of a new member, the pool's source empty. */
    const char *mc = t_dup(t_jq(t_get(cc, "member_config"),
                                "map({entity, name, key, value: \"\"}) | tojson"));
    CHECK(t_contains(mc, "{\"entity\":\"storage-pool\",\"name\":\"local\",\"key\":\"source\",\"value\":\"\"}"));
    const char *token = t_dup(t_jq(tok, ".token"));
    const char *cert = json_file(STATE "/cluster.crt");
    CHECK(token && cert && t_contains(cert, "BEGIN CERTIFICATE"));
    const char *args = t_fmt("{\"server_name\":\"m4\",\"server_address\":\"" SPARE_ADDR "\","
                             "\"cluster_address\":\"127.0.0.11:8443\",\"cluster_certificate\":%s,"
                             "\"cluster_password\":\"%s\",\"member_config\":%s}",
                             cert, token, mc);
    char *r = NULL;
    lxd_status s = lxd_cluster_join(sc, args, true, &r);
    if (r) t_keep_str(r);
    CHECK_MSG(s == LXD_OK, "join: %s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK_STREQ(member_status("m4"), "Online");
    CHECK(t_contains(t_sh_out(LXC " cluster list --format csv | tr '\\n' ' '"), "m4,https://" SPARE_ADDR));
    CHECK_STREQ(t_sh_out(SPARE_LXC " query /1.0/cluster | jq -c '[.enabled, .server_name]'"), "[true,\"m4\"]");
    CHECK(!t_contains(t_sh_out(LXC " cluster list-tokens --format csv"), "m4,"));
    CHECK_OK(lxd_obj_sync(sc));
    CHECK_STREQ(t_get(sc, "enabled"), "true");
    CHECK_STREQ(t_get(sc, "server_name"), "\"m4\"");
    /* The new member serves the cluster's certificate: the pinned client
     * reaches it. (Whether it trusts the client yet is its own business:
     * LXD 5.0.2 loads a new member's trust store a moment after the join
     * ended.) */
    lxd_client *c4 = NULL;
    CHECK_OK(lxd_client_new("https://" SPARE_ADDR,
                            "{\"cert\":\"" STATE "/client.crt\",\"key\":\"" STATE "/client.key\","
                            "\"server_cert\":\"" STATE "/cluster.crt\",\"failover\":false}",
                            &c4));
    t_keep_client(c4);
    char *ep4 = NULL;
    CHECK_OK(lxd_client_endpoint(c4, &ep4));
    t_keep_str(ep4);
    CHECK_STREQ(ep4, "https://" SPARE_ADDR);
    lxd_obj *m4 = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m4", &m4));
    t_keep_obj(m4);
    CHECK_STREQ(text(m4, "url"), "https://" SPARE_ADDR);
    lxd_list *l = NULL;
    CHECK_OK(lxd_cluster_member_all(c, &l));
    t_keep_list(l);
    CHECK_STREQ(t_fmt("%zu", lxd_list_len(l)), "4");

    /* Removed through its member object. */
    lxd_obj *gone = NULL;
    CHECK_OK(lxd_cluster_member_get(c, "m4", &gone));
    t_keep_obj(gone);
    CHECK_OK(lxd_obj_delete(gone, true));
    CHECK(t_sh(LXC " query /1.0/cluster/members/m4 >/dev/null 2>&1") != 0);
    CHECK(!t_contains(t_sh_out(LXC " cluster list --format csv | tr '\\n' ' '"), "m4,"));
    CHECK_STREQ(t_sh_out(LXC " query /1.0/cluster/members | jq -r 'map(split(\"/\")[-1]) | sort | join(\",\")'"),
                "m1,m2,m3");
    bool there = true;
    CHECK_OK(lxd_cluster_member_exists(c, "m4", &there));
    CHECK(!there);
}

TEST(enable_clustering_standalone) {
    lxd_client *spare = spare_fresh();
    CHECK(spare);
    CHECK(t_sh(SPARE_LXC " config set core.https_address " SPARE_ADDR) == 0);
    lxd_obj *sc = NULL;
    CHECK_OK(lxd_cluster_get(spare, &sc));
    t_keep_obj(sc);
    CHECK_STREQ(t_get(sc, "enabled"), "false");
    CHECK_STREQ(t_sh_out(SPARE_LXC " query /1.0/cluster | jq -r .enabled"), "false");
    CHECK_OK(lxd_obj_set(sc, "enabled", "true"));
    CHECK_OK(lxd_obj_set(sc, "server_name", "\"solo\""));
    CHECK_OK(lxd_obj_save(sc, true));
    CHECK_STREQ(t_sh_out(SPARE_LXC " query /1.0/cluster | jq -c '[.enabled, .server_name]'"), "[true,\"solo\"]");
    CHECK_STREQ(t_sh_out(SPARE_LXC " query /1.0/cluster/members | jq -c ."), "[\"/1.0/cluster/members/solo\"]");
    CHECK_STREQ(t_sh_out(SPARE_LXC " query /1.0/cluster/members/solo | jq -r .status"), "Online");
    CHECK_STREQ(t_get(sc, "enabled"), "true");
    CHECK_STREQ(t_get(sc, "server_name"), "\"solo\"");
    lxd_obj *m = NULL;
    CHECK_OK(lxd_cluster_member_get(spare, "solo", &m));
    t_keep_obj(m);
    CHECK_STREQ(text(m, "url"), "https://" SPARE_ADDR);
    /* The main cluster is another one. */
    CHECK(t_sh(LXC " query /1.0/cluster/members/solo >/dev/null 2>&1") != 0);
}

/* ---- 8. the cluster certificate, put back as it is ------------------------- */

static const char *served_fingerprint(const char *addr) {
    return t_dup(t_sh_out("openssl s_client -connect %s </dev/null 2>/dev/null | "
                          "openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'",
                          addr));
}

TEST(update_certificate_same) {
    lxd_client *c = cluster();
    CHECK(c);
    CHECK(lxd_client_has_api_extension(c, "clustering_update_cert"));
    const char *fp = t_dup(t_sh_out("openssl x509 -in " STATE "/cluster.crt -noout -fingerprint -sha256 | sed 's/.*=//'"));
    CHECK(fp && strlen(fp) == 95);
    CHECK(t_sh("cmp -s " STATE "/cluster.crt " M1_DIR "/cluster.crt") == 0);
    CHECK_STREQ(served_fingerprint("127.0.0.11:8443"), fp);
    lxd_obj *cl = NULL;
    CHECK_OK(lxd_cluster_get(c, &cl));
    t_keep_obj(cl);
    const char *args = t_fmt("{\"cluster_certificate\":%s,\"cluster_certificate_key\":%s}",
                             json_file(M1_DIR "/cluster.crt"), json_file(M1_DIR "/cluster.key"));
    CHECK(t_contains(args, "BEGIN CERTIFICATE") && t_contains(args, "PRIVATE KEY"));
    char *r = NULL;
    CHECK_OK(lxd_cluster_update_certificate(cl, args, true, &r));
    t_keep_str(r);
    /* Every member still serves it, and keeps it on disk. */
    for (int n = 1; n <= 3; n++) {
        CHECK_STREQ(served_fingerprint(t_fmt("127.0.0.1%d:8443", n)), fp);
        CHECK(t_sh("cmp -s " STATE "/cluster.crt /var/lib/lxd-liblxd-cluster-%d/cluster.crt", n) == 0);
    }
    /* The pinned client still connects, and to every member. */
    lxd_client *again = cluster();
    CHECK(again);
    CHECK(lxd_client_trusted(again));
    for (int n = 1; n <= 3; n++) {
        lxd_client *one = NULL;
        CHECK_OK(lxd_client_new(t_fmt("https://127.0.0.1%d:8443", n),
                                "{\"cert\":\"" STATE "/client.crt\",\"key\":\"" STATE "/client.key\","
                                "\"server_cert\":\"" STATE "/cluster.crt\",\"failover\":false}",
                                &one));
        t_keep_client(one);
        CHECK(lxd_client_trusted(one));
    }
    /* A certificate without its key is refused, and changes nothing. */
    lxd_status s = lxd_cluster_update_certificate(
        cl, t_fmt("{\"cluster_certificate\":%s,\"cluster_certificate_key\":\"\"}", json_file(M1_DIR "/cluster.crt")),
        true, NULL);
    printf("    certificate without a key: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    CHECK_STATUS(s, LXD_ERR_API);
    CHECK(t_icontains(lxd_last_error_message(), "private key must be"));
    CHECK_STREQ(served_fingerprint("127.0.0.12:8443"), fp);
}

T_MAIN(T_CASE(cluster_info), T_CASE(member_update_and_rename), T_CASE(groups), T_CASE(join_tokens),
       T_CASE(placement), T_CASE(evacuate_and_restore), T_CASE(join_and_remove_member),
       T_CASE(enable_clustering_standalone), T_CASE(update_certificate_same))
