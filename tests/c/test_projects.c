/* The client's "project" option against the real daemon: project-scoped
 * kinds go to that project, global kinds are unaffected. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static lxd_client *project_client(const char *project) {
    char opts[256];
    lxd_client *c = NULL;
    snprintf(opts, sizeof opts, "{\"project\":\"%s\"}", project);
    if (lxd_client_new(NULL, opts, &c) != LXD_OK) return NULL;
    return c;
}

/* A project that shares the default project's images and profiles. */
static bool make_project(const char *name) {
    t_cleanup("lxc project delete %s >/dev/null 2>&1", name);
    char def[512];
    lxd_obj *p = NULL;
    snprintf(def, sizeof def,
             "{\"name\":\"%s\",\"config\":{\"features.images\":\"false\",\"features.profiles\":\"false\"}}",
             name);
    if (lxd_project_create(t_client(), def, true, &p) != LXD_OK) return false;
    lxd_obj_free(p);
    return true;
}

TEST(project_option_scopes_instances_to_the_project) {
    const char *proj = t_unique("proj");
    char pname[96], cname[96];
    snprintf(pname, sizeof pname, "%s", proj);
    snprintf(cname, sizeof cname, "%s", t_unique("pc"));
    CHECK(make_project(pname));
    t_cleanup("lxc delete -f --project %s %s >/dev/null 2>&1", pname, cname);
    lxd_client *pc = project_client(pname);
    CHECK_MSG(pc, "client for project: %s", lxd_last_error_message());
    char def[256];
    lxd_obj *c = NULL;
    snprintf(def, sizeof def, "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"busybox\"}}", cname);
    lxd_status s = lxd_container_create(pc, def, true, &c);
    if (s != LXD_OK) lxd_client_free(pc);
    CHECK_OK(s);
    char want[128];
    snprintf(want, sizeof want, "\"%s\"", pname);
    CHECK_STREQ(t_get(c, "project"), want);
    /* lxc sees it in the project, not in default. */
    CHECK_STREQ(t_sh_out("lxc list --project %s -c n --format csv %s", pname, cname), cname);
    CHECK_STREQ(t_sh_out("lxc list -c n --format csv '^%s$'", cname), "");
    bool e = true;
    CHECK_OK(lxd_container_exists(t_client(), cname, &e));
    CHECK(!e);
    CHECK_OK(lxd_container_exists(pc, cname, &e));
    CHECK(e);
    /* A save through the project client lands in the project. */
    CHECK_OK(lxd_obj_set(c, "description", "\"in a project\""));
    CHECK_OK(lxd_obj_save(c, true));
    CHECK_STREQ(t_sh_out("lxc query '/1.0/instances/%s?project=%s' | grep -c '\"description\": \"in a project\"'", cname, pname), "1");
    lxd_list *l = NULL;
    CHECK_OK(lxd_instance_all(pc, &l));
    size_t n = lxd_list_len(l);
    lxd_list_free(l);
    CHECK(n == 1);
    CHECK_OK(lxd_obj_delete(c, true));
    lxd_obj_free(c);
    CHECK_STREQ(t_sh_out("lxc list --project %s -c n --format csv", pname), "");
    /* Global kinds ignore the project: storage pools are still listed. */
    CHECK_OK(lxd_storage_pool_all(pc, &l));
    n = lxd_list_len(l);
    lxd_list_free(l);
    CHECK(n >= 1);
    lxd_client_free(pc);
}

TEST(raw_api_carries_the_project_unless_the_path_names_one) {
    char pname[96], cname[96];
    snprintf(pname, sizeof pname, "%s", t_unique("proj"));
    snprintf(cname, sizeof cname, "%s", t_unique("pr"));
    CHECK(make_project(pname));
    t_cleanup("lxc delete -f --project %s %s >/dev/null 2>&1", pname, cname);
    CHECK(t_sh("lxc init -q busybox --project %s %s >/dev/null 2>&1", pname, cname) == 0);
    lxd_client *pc = project_client(pname);
    CHECK(pc);
    char *doc = NULL;
    lxd_status s = lxd_api(pc, "GET", "/1.0/instances", NULL, &doc);
    if (s != LXD_OK) lxd_client_free(pc);
    CHECK_OK(s);
    bool in_project = t_contains(doc, cname);
    lxd_string_free(doc);
    s = lxd_api(pc, "GET", "/1.0/instances?project=default", NULL, &doc);
    lxd_client_free(pc);
    CHECK_OK(s);
    bool in_default = t_contains(doc, cname);
    lxd_string_free(doc);
    CHECK(in_project);
    CHECK(!in_default);
}

TEST(unknown_project_is_an_error_from_the_server) {
    lxd_client *pc = project_client("lxdt-no-such-project");
    CHECK(pc);
    lxd_list *l = (lxd_list *)0x1;
    /* (LXD 5.0.2 answers an empty list for instances of an unknown project,
     * but refuses profiles.) */
    lxd_status s = lxd_profile_all(pc, &l);
    lxd_client_free(pc);
    CHECK_MSG(s == LXD_ERR_NOT_FOUND, "got %s: %s", lxd_status_name(s), lxd_last_error_message());
    CHECK(l == (lxd_list *)0x1);
    CHECK_MSG(t_contains(lxd_last_error_message(), "Project not found"), "message: %s", lxd_last_error_message());
    CHECK(lxd_last_error_http_status() == 404);
}

T_MAIN(T_CASE(project_option_scopes_instances_to_the_project),
       T_CASE(raw_api_carries_the_project_unless_the_path_names_one),
       T_CASE(unknown_project_is_an_error_from_the_server))
