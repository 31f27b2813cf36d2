// Unknown-attribute warnings reaching the C++ callback.
//
// LXD 5.0.2 never sends an attribute that liblxd's schema lacks, so these
// tests talk to FakeLxd below: a FAKE LXD (tests/fake_lxd.hpp) — a few
// canned HTTP/1.1 answers on a unix socket in a temp dir, served by a
// thread of this program. It is not LXD; everything else in this suite
// uses the real one.

#include "fake_lxd.hpp"
#include "harness.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace {

// ---- the fake server ------------------------------------------------------

// A profile with an attribute liblxd's schema does not know.
std::string fake_profile(const std::string &name) {
    return R"({"name":")" + name +
           R"(","description":"fake","config":{},"devices":{},"used_by":[],)"
           R"("shiny_new_field":42})";
}

/// The FAKE LXD of these tests (see the file comment): answers GET /1.0,
/// GET /1.0/profiles/p1 and /1.0/profiles?recursion=1; 404 otherwise.
struct FakeLxd : t::FakeLxdServer {
    FakeLxd()
        : t::FakeLxdServer(R"(["instances"])",
                           [](const std::string &method,
                              const std::string &target) -> std::optional<std::string> {
                               if (method == "GET" && target.rfind("/1.0/profiles/p1", 0) == 0) {
                                   return fake_profile("p1");
                               }
                               if (method == "GET" &&
                                   target.rfind("/1.0/profiles?recursion=1", 0) == 0) {
                                   return "[" + fake_profile("p1") + "," + fake_profile("p2") + "]";
                               }
                               return std::nullopt;
                           }) {}
};

// ---- collecting warnings --------------------------------------------------

struct Warning {
    std::string cls;
    std::string attr;
    std::string message;
    std::thread::id thread;
};

struct Collected {
    std::mutex mutex;
    std::vector<Warning> list;
};

// Installs a collecting callback; restores the defaults when destroyed.
struct UseCollector {
    std::shared_ptr<Collected> got = std::make_shared<Collected>();
    explicit UseCollector(lxd::WarningMode mode) {
        auto g = got;
        lxd::set_warning_callback(
            [g](std::string_view cls, std::string_view attr, std::string_view msg) {
                std::lock_guard<std::mutex> lock(g->mutex);
                g->list.push_back({std::string(cls), std::string(attr), std::string(msg),
                                   std::this_thread::get_id()});
            });
        lxd::set_warning_mode(mode);
    }
    ~UseCollector() {
        lxd::set_warning_mode(lxd::WarningMode::Once);
        lxd::set_warning_callback(nullptr);
    }
    std::vector<Warning> warnings() {
        std::lock_guard<std::mutex> lock(got->mutex);
        return got->list;
    }
};

struct WarningFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace

TEST(warnings_reach_the_cpp_callback_on_the_calling_thread) {
    FakeLxd fake;
    UseCollector collect(lxd::WarningMode::Always);
    lxd::Client c(fake.path());
    lxd::Object p = c.profiles().get("p1");
    std::vector<Warning> w = collect.warnings();
    REQUIRE_EQ(w.size(), std::size_t(1));
    CHECK_EQ(w[0].cls, std::string("Profile"));
    CHECK_EQ(w[0].attr, std::string("shiny_new_field"));
    CHECK_EQ(
        w[0].message,
        std::string(
            R"(Attempted to set unknown attribute "shiny_new_field" on instance of "Profile")"));
    CHECK(w[0].thread == std::this_thread::get_id());
    // The unknown attribute stays readable, and is not settable.
    CHECK_EQ(p.get("shiny_new_field"), std::string("42"));
    THROWS(lxd::Error, p.set("shiny_new_field", "1"));

    // Always: once per object received (a list of two gives two more).
    lxd::List all = c.profiles().all();
    CHECK_EQ(all.size(), std::size_t(2));
    CHECK_EQ(collect.warnings().size(), std::size_t(3));

    // From another thread, the callback runs on that thread.
    std::thread::id other;
    std::thread th([&] {
        other = std::this_thread::get_id();
        lxd::Object p2 = c.profiles().get("p1");
    });
    th.join();
    w = collect.warnings();
    REQUIRE_EQ(w.size(), std::size_t(4));
    CHECK(w[3].thread == other);

    // The fake's 404 maps as the real one does.
    auto nf = THROWS(lxd::NotFound, (void)c.profiles().get("nope"));
    CHECK(nf && t::contains(nf->message(), "Not found (fake LXD)") && nf->http_status() == 404);
    CHECK(fake.requests() >= 5);
}

TEST(warning_mode_none_is_silent_and_once_is_once) {
    FakeLxd fake;
    lxd::Client c(fake.path());
    {
        UseCollector collect(lxd::WarningMode::None);
        (void)c.profiles().get("p1");
        (void)c.profiles().all();
        CHECK_EQ(collect.warnings().size(), std::size_t(0));
    }
    {
        // Once per (class, attribute) per process: earlier tests may have
        // used this pair up already, so at most one.
        UseCollector collect(lxd::WarningMode::Once);
        (void)c.profiles().get("p1");
        (void)c.profiles().get("p1");
        (void)c.profiles().all();
        CHECK(collect.warnings().size() <= 1);
    }
}

TEST(exception_thrown_by_the_warning_callback_is_rethrown_by_the_call) {
    FakeLxd fake;
    lxd::Client c(fake.path());
    lxd::set_warning_mode(lxd::WarningMode::Always);
    std::atomic<int> calls{0};
    lxd::set_warning_callback([&calls](std::string_view, std::string_view attr, std::string_view) {
        ++calls;
        throw WarningFailure("warning about " + std::string(attr));
    });
    auto e = THROWS(WarningFailure, (void)c.profiles().get("p1"));
    CHECK(e && std::string(e->what()) == "warning about shiny_new_field");
    CHECK_EQ(calls.load(), 1);
    // Nothing pending afterwards: the next call on this thread is clean.
    lxd::set_warning_mode(lxd::WarningMode::None);
    lxd::set_warning_callback({});
    lxd::Object p = c.profiles().get("p1");
    CHECK_EQ(p.key(), std::string("p1"));
    lxd::set_warning_mode(lxd::WarningMode::Once);
}
