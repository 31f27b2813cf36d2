// The README's quick-start, as shipped in examples/walkthrough.cpp, runs
// against the real daemon (test.sh builds it and passes its path in
// LXDT_CPP_WALKTHROUGH), both on a container of ours and on its own.

#include "harness.hpp"

#include <cstdlib>

TEST(readme_walkthrough_example_runs) {
    const char *bin = std::getenv("LXDT_CPP_WALKTHROUGH");
    REQUIRE(bin != nullptr);
    // On an existing container: it ends with the description saved.
    std::string name = t::unique("walkex");
    lxd::Object c = t::new_container(name);
    auto out = t::sh_out(t::shq(bin) + " " + name);
    REQUIRE(out.has_value());
    CHECK(t::contains(*out, "config: {"));
    CHECK(t::contains(*out, "dirty: 1"));
    CHECK(t::contains(*out, "dirty after rollback: 0"));
    CHECK(t::contains(*out, "description: \"my container\""));
    CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description"),
             std::optional<std::string>("my container"));

    // On its own: it creates lxdt-cpp-walk-<pid> and deletes it again.
    auto own = t::sh_out(t::shq(bin) + " 2>&1");
    REQUIRE(own.has_value());
    CHECK(t::contains(*own, "description: \"my container\""));
    CHECK(!t::contains(*own, "stop:")); // it started the container, so the stop stops it
    CHECK_EQ(t::sh_out("lxc list -c n --format csv '^lxdt-cpp-walk-'"),
             std::optional<std::string>(""));
}
