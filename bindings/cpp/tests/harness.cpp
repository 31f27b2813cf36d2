// The test harness's runner and helpers (see harness.hpp).

#include "harness.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

namespace t {
namespace {

struct Case {
    const char *name;
    TestFn fn;
};

std::vector<Case> &registry() {
    static std::vector<Case> cases;
    return cases;
}

bool current_failed = false;
std::vector<std::function<void()>> cleanups;
std::unique_ptr<lxd::Client> shared_client;

void run_cleanups() {
    while (!cleanups.empty()) {
        std::function<void()> fn = std::move(cleanups.back());
        cleanups.pop_back();
        try {
            fn();
        } catch (const std::exception &e) {
            std::cout << "    (cleanup failed: " << e.what() << ")\n";
        }
    }
}

} // namespace

Register::Register(const char *name, TestFn fn) {
    registry().push_back({name, fn});
}

void fail(const char *file, int line, const std::string &message) {
    current_failed = true;
    const char *base = std::strrchr(file, '/');
    std::cout << "    " << (base ? base + 1 : file) << ":" << line << ": " << message << std::endl;
}

bool failed() {
    return current_failed;
}

void defer(std::function<void()> fn) {
    cleanups.push_back(std::move(fn));
}

void defer_sh(const std::string &cmd) {
    defer([cmd] { sh(cmd); });
}

std::string unique(const std::string &prefix) {
    static int counter = 0;
    // test.sh sets LXDT_CPP_RUN, so that its leftover check finds this
    // run's objects only (another run may share the daemon).
    static const std::string run = [] {
        const char *r = std::getenv("LXDT_CPP_RUN");
        return r != nullptr && *r != '\0' ? std::string(r) : std::to_string(getpid());
    }();
    return "lxdt-cpp-" + prefix + "-" + run + "-" + std::to_string(++counter);
}

int sh(const std::string &cmd) {
    int rc = std::system(cmd.c_str());
    if (rc == -1 || !WIFEXITED(rc)) {
        return -1;
    }
    return WEXITSTATUS(rc);
}

static std::optional<std::string> sh_out_once(const std::string &cmd) {
    FILE *p = popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return std::nullopt;
    }
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        out.append(buf.data(), n);
    }
    int rc = pclose(p);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        return std::nullopt;
    }
    return out;
}

// Whether `cmd` is `lxc exec NAME -- PROG …` with PROG a command that only
// reads, so that running it again is safe.
static bool lxc_exec_reads(const std::string &cmd) {
    static const char *const readers[] = {"cat",  "stat", "md5sum", "sha256sum", "readlink",
                                          "ls",   "ps",   "id",     "pwd",       "wc",
                                          "head", "tail", "find",   "du",        "env"};
    const auto e = cmd.find("lxc exec ");
    const auto dash = e == std::string::npos ? e : cmd.find(" -- ", e);
    if (dash == std::string::npos) {
        return false;
    }
    const std::string prog = cmd.substr(dash + 4, cmd.find_first_of(" '\"", dash + 4) - (dash + 4));
    for (const char *r : readers) {
        if (prog == r) {
            return true;
        }
    }
    return false;
}

std::optional<std::string> sh_out(const std::string &cmd) {
    // LXD 5.0.2 now and then loses the whole output of an `lxc exec` on a
    // loaded machine (canonical/lxd#11422, fixed in LXD 5.14): a read-only
    // `lxc exec` check that succeeded without output is asked again.
    const bool exec_check = lxc_exec_reads(cmd);
    std::optional<std::string> got = sh_out_once(cmd);
    // A hung `lxc exec` cut by scripts/test.sh's bound fails: asked again too.
    for (int attempt = 1; attempt < 3 && exec_check && (!got || got->empty()); attempt++) {
        got = sh_out_once(cmd);
    }
    if (!got) {
        return std::nullopt;
    }
    std::string out = *got;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

std::string shq(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

lxd::Client &client() {
    if (!shared_client) {
        shared_client = std::make_unique<lxd::Client>();
    }
    return *shared_client;
}

std::string busybox(const std::string &name) {
    return R"({"name":)" + lxd::json_string(name) +
           R"(,"source":{"type":"image","alias":"busybox"}})";
}

lxd::Object new_container(const std::string &name, bool start) {
    defer_sh("lxc delete -f " + name + " >/dev/null 2>&1");
    lxd::Object c = client().containers().create(busybox(name), true);
    if (start) {
        c.start(-1, false, true);
    }
    return c;
}

lxd::Object new_volume(const std::string &name) {
    defer_sh("lxc storage volume delete default " + name + " >/dev/null 2>&1");
    return client().storage_pools().get("default").storage_volumes().create(
        R"({"name":)" + lxd::json_string(name) + "}");
}

lxd::Object new_bridge() {
    static int n = 0;
    std::string name = "lxdtc" + std::to_string(getpid() % 100000) + std::to_string(n++);
    defer_sh("lxc network delete " + name + " >/dev/null 2>&1");
    return client().networks().create(
        R"({"name":")" + name +
        R"(","type":"bridge","config":{"ipv4.address":"192.0.2.1/24","ipv4.nat":"false",)"
        R"("ipv4.dhcp":"false","ipv6.address":"none"}})");
}

lxd::Object new_zone(const std::string &name) {
    defer_sh("lxc network zone delete " + name + " >/dev/null 2>&1");
    return client().network_zones().create(R"({"name":)" + lxd::json_string(name) + "}");
}

std::string jq(const std::string &json, const std::string &filter) {
    auto o = sh_out("printf '%s' " + shq(json) + " | jq -r " + shq(filter) + " | head -n 1");
    return o ? *o : std::string();
}

bool clustered() {
    static const bool enabled = [] {
        std::optional<std::string> e = sh_out("lxc query /1.0/cluster | jq -r .enabled");
        if (e != std::optional<std::string>("true") && e != std::optional<std::string>("false")) {
            throw std::runtime_error("lxc query /1.0/cluster | jq -r .enabled: " +
                                     e.value_or("failed"));
        }
        return *e == "true";
    }();
    return enabled;
}

bool cluster_only(lxd::Kind kind) {
    return jq(lxd::kind_info(kind), R"(.endpoint | startswith("/1.0/cluster/"))") == "true";
}

bool check_not_clustered(const std::optional<lxd::ApiError> &e, const std::string &what) {
    if (!e) {
        fail(__FILE__, __LINE__, what + ": no lxd::ApiError");
        return false;
    }
    bool ok = e->code() == LXD_ERR_API && e->http_status() >= 400 &&
              contains(e->message(), "not clustered");
    if (!ok) {
        fail(__FILE__, __LINE__, what + ": not LXD's \"not clustered\" refusal: " + e->what());
    }
    return ok;
}

bool eventually(const std::function<bool()> &cond, int seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (cond()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
}

} // namespace t

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : nullptr;
    int passed = 0;
    int failed = 0;
    for (const t::Case &c : t::registry()) {
        if (filter != nullptr && std::strstr(c.name, filter) == nullptr) {
            continue;
        }
        t::current_failed = false;
        try {
            c.fn();
        } catch (const t::Abort &) {
            // already recorded
        } catch (const lxd::Error &e) {
            t::fail(c.name, 0,
                    std::string("uncaught lxd::Error: ") + e.what() + " [code " +
                        std::to_string(e.code()) + "]");
        } catch (const std::exception &e) {
            t::fail(c.name, 0, std::string("uncaught exception: ") + e.what());
        } catch (...) {
            t::fail(c.name, 0, "uncaught non-std exception");
        }
        t::run_cleanups();
        if (t::current_failed) {
            ++failed;
            std::cout << "FAIL " << c.name << std::endl;
        } else {
            ++passed;
            std::cout << "ok   " << c.name << std::endl;
        }
    }
    t::shared_client.reset();
    std::cout << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 ? 0 : 1;
}
