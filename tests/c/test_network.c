/* Networks against the real daemon: a bridge of this run (a documentation
 * range address, NAT and DHCP off: configuration only, no traffic), its
 * state and leases, forwards, ACLs (and one applied to the bridge), DNS
 * zones and records (a zone assigned to the bridge), and the peers LXD
 * 5.0.2 refuses on a bridge. Outcomes are read with `lxc`. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char bridge_name[16];
/* The bridge's subnet: 198.51.100.BASE/28, a free one (others' bridges
 * use the documentation ranges too); ADDR(n) is its host n. */
static int base;
#define ADDR(n) t_fmt("198.51.100.%d", base + (n))
static lxd_obj *bridge_obj;
static bool bridge_tried;

static void teardown(void) {
    lxd_obj_free(bridge_obj);
    if (bridge_name[0]) t_sh("lxc network delete %s >/dev/null 2>&1", bridge_name);
}

static lxd_obj *bridge(void) {
    if (bridge_obj || bridge_tried) return bridge_obj;
    bridge_tried = true;
    snprintf(bridge_name, sizeof bridge_name, "lxdt%dn", (int)getpid() % 1000000);
    atexit(teardown);
    lxd_obj *o = NULL;
    for (int i = 0; i < 16 && !o; i++) {
        base = 16 * (((int)getpid() + i) % 16);
        if (t_sh("ip -4 -o addr | grep -q ' 198\\.51\\.100\\.%d/'", base + 1) == 0) continue;
        if (lxd_network_create(t_client(),
                               t_fmt("{\"name\":\"%s\",\"type\":\"bridge\",\"config\":{\"ipv4.address\":"
                                     "\"%s/28\",\"ipv4.nat\":\"false\",\"ipv4.dhcp\":\"false\","
                                     "\"ipv6.address\":\"none\"}}",
                                     bridge_name, ADDR(1)),
                               true, &o) != LXD_OK) {
            printf("    network create %s on %s: %s\n", bridge_name, ADDR(1), lxd_last_error_message());
            o = NULL;
        }
    }
    if (!o) return NULL;
    bridge_obj = o;
    return o;
}

#define BRIDGE()                                                           \
    lxd_obj *net = bridge();                                               \
    CHECK_MSG(net, "no test bridge")

TEST(bridge_state_and_leases) {
    BRIDGE();
    CHECK_STREQ(t_sh_out("lxc network get %s ipv4.address", bridge_name), t_fmt("%s/28", ADDR(1)));
    char *st = NULL, *le = NULL;
    CHECK_OK(lxd_network_state(net, NULL, true, &st));
    t_keep_str(st);
    CHECK_STREQ(t_jq(st, ".type"), "broadcast");
    CHECK(t_contains(t_jq(st, "[.addresses[].address] | join(\" \")"), ADDR(1)));
    CHECK_STREQ(t_jq(st, ".hwaddr"),
                t_sh_out("lxc query /1.0/networks/%s/state | jq -r .hwaddr", bridge_name));
    CHECK_OK(lxd_network_leases(net, NULL, true, &le));
    t_keep_str(le);
    /* DHCP off, no instance on it: LXD's list is empty. */
    CHECK_STREQ(t_jq(le, "type"), "array");
    CHECK_STREQ(t_jq(le, "length"), t_sh_out("lxc query /1.0/networks/%s/leases | jq length", bridge_name));
}

TEST(forward_create_update_delete) {
    BRIDGE();
    const char *listen = t_dup(ADDR(10)), *t0 = t_dup(ADDR(12)), *t1 = t_dup(ADDR(13)), *t2 = t_dup(ADDR(14));
    const char *q = t_fmt("lxc query /1.0/networks/%s/forwards/%s", bridge_name, listen);
    t_cleanup("lxc network forward delete %s %s >/dev/null 2>&1", bridge_name, listen);
    lxd_obj *f = NULL;
    CHECK_OK(lxd_network_forward_create(
        net,
        t_fmt("{\"listen_address\":\"%s\",\"description\":\"first\",\"ports\":[{\"protocol\":\"tcp\","
              "\"listen_port\":\"80\",\"target_address\":\"%s\",\"target_port\":\"8080\"}]}",
              listen, t0),
        true, &f));
    t_keep_obj(f);
    CHECK_STREQ(t_sh_out("%s | jq -r '.ports[0].target_port'", q), "8080");
    CHECK_STREQ(t_sh_out("%s | jq -r .description", q), "first");

    lxd_obj *g = NULL;
    CHECK_OK(lxd_network_forward_get(net, listen, &g));
    t_keep_obj(g);
    CHECK_OK(lxd_obj_set(g, "description", "\"second\""));
    CHECK_OK(lxd_obj_set(g, "ports",
                         t_fmt("[{\"protocol\":\"udp\",\"listen_port\":\"53\",\"target_address\":\"%s\"},"
                         "{\"protocol\":\"tcp\",\"listen_port\":\"443\",\"target_address\":\"%s\","
                         "\"target_port\":\"8443\"}]", t1, t2)));
    CHECK_OK(lxd_obj_save(g, true));
    CHECK_STREQ(t_sh_out("%s | jq -r .description", q), "second");
    CHECK_STREQ(t_sh_out("%s | jq -r '[.ports[] | .protocol + \":\" + .listen_port + \">\" + .target_address] | join(\" \")'", q),
                t_fmt("udp:53>%s tcp:443>%s", t1, t2));

    lxd_list *l = NULL;
    CHECK_OK(lxd_network_forward_all(net, &l));
    t_keep_list(l);
    CHECK(lxd_list_len(l) == 1);
    CHECK(t_find_in(l, "listen_address", listen));

    CHECK_OK(lxd_obj_delete(g, true));
    CHECK(t_sh("%s >/dev/null 2>&1", q) != 0);
}

TEST(acl_create_update_rename_delete) {
    const char *name = t_dup(t_unique("net-acl"));
    const char *renamed = t_dup(t_unique("net-acl-r"));
    t_cleanup("lxc network acl delete %s >/dev/null 2>&1", name);
    t_cleanup("lxc network acl delete %s >/dev/null 2>&1", renamed);
    lxd_obj *a = NULL;
    CHECK_OK(lxd_network_acl_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"description\":\"acl\",\"ingress\":[{\"action\":\"allow\",\"source\":"
              "\"192.0.2.0/24\",\"state\":\"enabled\"}],\"egress\":[{\"action\":\"reject\",\"destination\":"
              "\"198.51.100.0/24\",\"state\":\"enabled\"}]}",
              name),
        true, &a));
    t_keep_obj(a);
    CHECK_STREQ(t_sh_out("lxc query /1.0/network-acls/%s | jq -r '.ingress[0].source + \" \" + .egress[0].action'", name),
                "192.0.2.0/24 reject");

    CHECK_OK(lxd_obj_set(a, "description", "\"changed\""));
    CHECK_OK(lxd_obj_set(a, "egress", "[]"));
    CHECK_OK(lxd_obj_set(a, "config", "{\"user.lxdt-k\":\"v\"}"));
    CHECK_OK(lxd_obj_save(a, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/network-acls/%s | jq -c '[.description, (.egress | length), .config[\"user.lxdt-k\"], .ingress[0].action]'", name),
                "[\"changed\",0,\"v\",\"allow\"]");

    /* LXD 5.0.2 keeps a log for OVN networks only. */
    uint8_t *log = NULL;
    size_t n = 0;
    lxd_status s = lxd_network_acl_log(a, NULL, &log, &n);
    if (s == LXD_OK) t_keep_bytes(log);
    CHECK_MSG(s != LXD_OK && s != LXD_ERR_INTERNAL, "acl log: %s", lxd_status_name(s));
    printf("    ACL log without OVN: %s: %s\n", lxd_status_name(s), lxd_last_error_message());

    CHECK_OK(lxd_obj_rename(a, renamed, true));
    CHECK(t_sh("lxc query /1.0/network-acls/%s >/dev/null 2>&1", name) != 0);
    CHECK_STREQ(t_sh_out("lxc query /1.0/network-acls/%s | jq -r .description", renamed), "changed");
    bool there = false;
    CHECK_OK(lxd_network_acl_exists(t_client(), renamed, &there));
    CHECK(there);

    CHECK_OK(lxd_obj_delete(a, true));
    CHECK(t_sh("lxc query /1.0/network-acls/%s >/dev/null 2>&1", renamed) != 0);
}

TEST(acl_applied_to_bridge) {
    BRIDGE();
    const char *name = t_dup(t_unique("net-acl-on"));
    t_cleanup("lxc network acl delete %s >/dev/null 2>&1", name);
    lxd_obj *a = NULL;
    CHECK_OK(lxd_network_acl_create(
        t_client(),
        t_fmt("{\"name\":\"%s\",\"ingress\":[{\"action\":\"allow\",\"source\":\"192.0.2.0/24\",\"state\":\"enabled\"}]}",
              name),
        true, &a));
    t_keep_obj(a);
    /* Removed from the bridge after the test (before the ACL goes). */
    t_cleanup("lxc network unset %s security.acls >/dev/null 2>&1", bridge_name);
    lxd_obj *n2 = NULL;
    CHECK_OK(lxd_network_get(t_client(), bridge_name, &n2));
    t_keep_obj(n2);
    CHECK_OK(lxd_obj_set(n2, "config", t_json_insert(t_get(n2, "config"), t_fmt("\"security.acls\":\"%s\"", name))));
    CHECK_OK(lxd_obj_save(n2, true));
    CHECK_STREQ(t_sh_out("lxc network get %s security.acls", bridge_name), name);
    CHECK(t_contains(t_sh_out("lxc query /1.0/network-acls/%s | jq -r '.used_by[]'", name),
                     t_fmt("/1.0/networks/%s", bridge_name)));
    /* In use: LXD refuses to delete it. */
    lxd_obj *a2 = NULL;
    CHECK_OK(lxd_network_acl_get(t_client(), name, &a2));
    t_keep_obj(a2);
    lxd_status s = lxd_obj_delete(a2, true);
    CHECK_MSG(s != LXD_OK, "an ACL in use was deleted");
    CHECK(t_sh("lxc query /1.0/network-acls/%s >/dev/null 2>&1", name) == 0);
    /* Off the bridge again. */
    lxd_obj_rollback(n2);
    CHECK_OK(lxd_obj_set(n2, "config", t_dup(t_sh_out("lxc query /1.0/networks/%s | jq -c '.config | del(.[\"security.acls\"])'", bridge_name))));
    CHECK_OK(lxd_obj_save(n2, true));
    CHECK_STREQ(t_sh_out("lxc network get %s security.acls", bridge_name), "");
}

TEST(zone_and_records) {
    BRIDGE();
    const char *zname = t_fmt("%s.example.net", t_unique("net-zone"));
    t_cleanup("lxc network zone delete %s >/dev/null 2>&1", zname);
    lxd_obj *z = NULL;
    CHECK_OK(lxd_network_zone_create(t_client(), t_fmt("{\"name\":\"%s\",\"description\":\"z\"}", zname), true, &z));
    t_keep_obj(z);
    CHECK_STREQ(t_sh_out("lxc query /1.0/network-zones/%s | jq -r .description", zname), "z");
    CHECK_OK(lxd_obj_set(z, "description", "\"zone two\""));
    CHECK_OK(lxd_obj_set(z, "config", "{\"user.lxdt-k\":\"v\"}"));
    CHECK_OK(lxd_obj_save(z, true));
    CHECK_STREQ(t_sh_out("lxc query /1.0/network-zones/%s | jq -c '[.description, .config[\"user.lxdt-k\"]]'", zname),
                "[\"zone two\",\"v\"]");

    const char *rq = t_fmt("lxc query /1.0/network-zones/%s/records/www", zname);
    lxd_obj *r = NULL;
    CHECK_OK(lxd_network_zone_record_create(
        z, "{\"name\":\"www\",\"entries\":[{\"type\":\"A\",\"value\":\"192.0.2.30\"}]}", true, &r));
    t_keep_obj(r);
    CHECK_STREQ(t_sh_out("%s | jq -r '.entries[0].value'", rq), "192.0.2.30");
    CHECK_OK(lxd_obj_set(r, "entries",
                         "[{\"type\":\"A\",\"value\":\"192.0.2.31\"},{\"type\":\"AAAA\",\"value\":\"2001:db8::31\"}]"));
    CHECK_OK(lxd_obj_set(r, "description", "\"rec\""));
    CHECK_OK(lxd_obj_save(r, true));
    CHECK_STREQ(t_sh_out("%s | jq -r '[.description] + [.entries[].value] | join(\" \")'", rq),
                "rec 192.0.2.31 2001:db8::31");
    lxd_list *l = NULL;
    CHECK_OK(lxd_network_zone_record_all(z, &l));
    t_keep_list(l);
    CHECK(lxd_list_len(l) == 1 && t_find_in(l, "name", "www"));

    /* The zone serves the bridge's forward DNS. */
    t_cleanup("lxc network unset %s dns.zone.forward >/dev/null 2>&1", bridge_name);
    lxd_obj *n2 = NULL;
    CHECK_OK(lxd_network_get(t_client(), bridge_name, &n2));
    t_keep_obj(n2);
    CHECK_OK(lxd_obj_set(n2, "config", t_json_insert(t_get(n2, "config"), t_fmt("\"dns.zone.forward\":\"%s\"", zname))));
    CHECK_OK(lxd_obj_save(n2, true));
    CHECK_STREQ(t_sh_out("lxc network get %s dns.zone.forward", bridge_name), zname);
    CHECK(t_contains(t_sh_out("lxc query /1.0/network-zones/%s | jq -r '.used_by[]'", zname), bridge_name));
    CHECK(t_sh("lxc network unset %s dns.zone.forward", bridge_name) == 0);

    CHECK_OK(lxd_obj_delete(r, true));
    CHECK(t_sh("%s >/dev/null 2>&1", rq) != 0);
    CHECK_OK(lxd_obj_delete(z, true));
    CHECK(t_sh("lxc query /1.0/network-zones/%s >/dev/null 2>&1", zname) != 0);
}

TEST(peers_on_a_bridge_are_lxds_error) {
    BRIDGE();
    lxd_obj *p = NULL;
    lxd_status s = lxd_network_peer_create(net, "{\"name\":\"lxdtpeer\",\"target_project\":\"default\",\"target_network\":\"x\"}", true, &p);
    if (s == LXD_OK) {
        t_keep_obj(p);
        t_sh("lxc network peer delete %s lxdtpeer >/dev/null 2>&1", bridge_name);
    }
    CHECK_MSG(s != LXD_OK && s != LXD_ERR_INTERNAL && s != LXD_ERR_INVALID_ARGUMENT, "peer create: %s",
              lxd_status_name(s));
    printf("    peer create on a bridge: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    lxd_list *l = NULL;
    s = lxd_network_peer_all(net, &l);
    if (s == LXD_OK) t_keep_list(l);
    CHECK_MSG(s != LXD_OK, "peer list on a bridge answered");
    printf("    peer list on a bridge: %s: %s\n", lxd_status_name(s), lxd_last_error_message());
    CHECK(t_sh("lxc query /1.0/networks/%s/peers >/dev/null 2>&1", bridge_name) != 0);
}

T_MAIN(T_CASE(bridge_state_and_leases), T_CASE(forward_create_update_delete),
       T_CASE(acl_create_update_rename_delete), T_CASE(acl_applied_to_bridge), T_CASE(zone_and_records),
       T_CASE(peers_on_a_bridge_are_lxds_error))
