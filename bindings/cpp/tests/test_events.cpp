// Events: the pull stream (a lifecycle event after a config change,
// timeouts) and the callback listener (its thread, stopping, exceptions).

#include "harness.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

// Read events until one contains every needle; nullopt if none within
// `tries` reads of up to 2 s each.
std::optional<std::string> next_matching(lxd::Events &ev, const std::vector<std::string> &needles,
                                         int tries = 100) {
    for (int i = 0; i < tries; ++i) {
        std::optional<std::string> e = ev.next(2000);
        if (!e) {
            return std::nullopt;
        }
        bool all = true;
        for (const auto &n : needles) {
            all = all && t::contains(*e, n);
        }
        if (all) {
            return e;
        }
    }
    return std::nullopt;
}

// What a listener saw, guarded for the listener thread.
struct Heard {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> events;
    std::thread::id thread;

    void add(std::string_view e) {
        std::lock_guard<std::mutex> lock(mutex);
        events.emplace_back(e);
        thread = std::this_thread::get_id();
        cv.notify_all();
    }
    bool wait_for(const std::string &needle, int seconds) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(seconds), [&] {
            for (const auto &e : events) {
                if (t::contains(e, needle)) {
                    return true;
                }
            }
            return false;
        });
    }
    std::size_t count() {
        std::lock_guard<std::mutex> lock(mutex);
        return events.size();
    }
};

struct ListenerFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace

TEST(lifecycle_event_after_a_config_change) {
    std::string name = t::unique("ev");
    lxd::Object c = t::new_container(name);
    lxd::Events ev = t::client().events("lifecycle");
    c.set("description", R"("event please")");
    c.save(true);
    std::string source = "\"source\":\"/1.0/instances/" + name + "\"";
    auto e = next_matching(ev, {source});
    REQUIRE(e.has_value());
    CHECK(t::contains(*e, R"("type":"lifecycle")"));
    CHECK(t::contains(*e, R"("action":"instance-updated")"));

    // A change made by someone else (lxc) arrives too.
    REQUIRE(t::sh("lxc config set " + name + " user.ev 1") == 0);
    CHECK(next_matching(ev, {source, "instance-updated"}).has_value());
}

TEST(event_stream_times_out_and_stays_usable) {
    lxd::Events ev = t::client().events("lifecycle");
    // Drain what earlier work may still send, until a short wait is empty.
    int drained = 0;
    while (ev.next(std::chrono::milliseconds(300)) && drained < 200) {
        ++drained;
    }
    std::string profile = t::unique("evq");
    t::defer_sh("lxc profile delete " + profile + " >/dev/null 2>&1");
    REQUIRE(t::sh("lxc profile create " + profile + " >/dev/null") == 0);
    auto e = next_matching(ev, {"/1.0/profiles/" + profile});
    CHECK(e.has_value());
    // Only the requested type comes through.
    lxd::Events op = t::client().events("operation");
    lxd::Object c = t::new_container(t::unique("evo"));
    auto o = next_matching(op, {R"("type":"operation")"});
    CHECK(o.has_value());
    THROWS(lxd::InvalidArgument, (void)t::client().events("no such type"));
}

TEST(listener_calls_back_on_its_own_thread_until_stopped) {
    auto heard = std::make_shared<Heard>();
    lxd::EventListener l = t::client().listen("lifecycle", [heard](std::string_view e) {
        heard->add(e);
        return true;
    });
    CHECK(l.active());
    std::string profile = t::unique("evl");
    t::defer_sh("lxc profile delete " + profile + " >/dev/null 2>&1");
    REQUIRE(t::sh("lxc profile create " + profile + " >/dev/null") == 0);
    CHECK(heard->wait_for("/1.0/profiles/" + profile, 20));
    {
        std::lock_guard<std::mutex> lock(heard->mutex);
        CHECK(heard->thread != std::this_thread::get_id());
    }
    l.stop();
    CHECK(!l.active());
    std::size_t before = heard->count();
    // Events still flow (a pull stream sees the next one), the stopped listener sees none.
    lxd::Events probe = t::client().events("lifecycle");
    REQUIRE(t::sh("lxc profile set " + profile + " user.x 1") == 0);
    CHECK(next_matching(probe, {"/1.0/profiles/" + profile}).has_value());
    CHECK_EQ(heard->count(), before);
}

TEST(listener_stops_when_the_callback_returns_false_or_throws) {
    auto heard = std::make_shared<Heard>();
    lxd::EventListener once = t::client().listen("lifecycle", [heard](std::string_view e) {
        heard->add(e);
        return false;
    });
    std::string profile = t::unique("evs");
    t::defer_sh("lxc profile delete " + profile + " >/dev/null 2>&1");
    REQUIRE(t::sh("lxc profile create " + profile + " >/dev/null") == 0);
    REQUIRE(heard->wait_for("lifecycle", 20));

    auto thrown = std::make_shared<std::atomic<int>>(0);
    lxd::EventListener throwing =
        t::client().listen("lifecycle", [thrown](std::string_view) -> bool {
            ++*thrown;
            throw ListenerFailure("listener callback failed");
        });
    // Further events, with a pull stream opened after them as a marker.
    REQUIRE(t::sh("lxc profile set " + profile + " user.a 1 && lxc profile set " + profile +
                  " user.b 2") == 0);
    CHECK(t::eventually([&] { return !throwing.active(); }));
    lxd::Events probe = t::client().events("lifecycle");
    REQUIRE(t::sh("lxc profile set " + profile + " user.c 3") == 0);
    CHECK(next_matching(probe, {"/1.0/profiles/" + profile}).has_value());

    CHECK_EQ(heard->count(), std::size_t(1));
    CHECK(!once.active());
    CHECK_EQ(thrown->load(), 1);
    CHECK(throwing.error() != nullptr);
    auto e = THROWS(ListenerFailure, throwing.stop());
    CHECK(e && std::string(e->what()) == "listener callback failed");
    once.stop(); // nothing to rethrow
}
