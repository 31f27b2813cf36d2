// Concurrency: one client shared by 8 std::threads, each updating its own
// container and reading shared objects; per-thread error details.

#include "harness.hpp"

#include <atomic>
#include <mutex>
#include <thread>

TEST(eight_threads_share_one_client) {
    constexpr int kThreads = 8;
    constexpr int kRounds = 4;
    std::vector<std::string> names;
    for (int i = 0; i < kThreads; ++i) {
        names.push_back(t::unique("thr"));
        t::defer_sh("lxc delete -f " + names.back() + " >/dev/null 2>&1");
    }
    lxd::Client &client = t::client();
    lxd::Object shared = client.profiles().get("default");
    std::mutex mutex;
    std::vector<std::string> problems;
    auto problem = [&](const std::string &p) {
        std::lock_guard<std::mutex> lock(mutex);
        problems.push_back(p);
    };

    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            try {
                const std::string &name = names[static_cast<std::size_t>(i)];
                lxd::Object c = client.containers().create(t::busybox(name), true);
                for (int r = 0; r < kRounds; ++r) {
                    std::string value = std::to_string(i) + "-" + std::to_string(r);
                    c.set("description", lxd::json_string("thread " + value));
                    c.save(true);
                    lxd::Object fresh = client.containers().get(name);
                    if (fresh.get("description") != lxd::json_string("thread " + value)) {
                        problem(name + ": read back " + fresh.get("description"));
                    }
                    // Shared reads: one object and the client, from every thread.
                    if (shared.get("name") != "\"default\"") {
                        problem("shared profile name " + shared.get("name"));
                    }
                    (void)client.profiles().exists("default");
                    // A failure's details belong to this thread.
                    std::string missing = name + "-missing-" + std::to_string(r);
                    try {
                        (void)client.containers().get(missing);
                        problem(missing + " found");
                    } catch (const lxd::NotFound &e) {
                        if (e.http_status() != 404 || lxd::last_error_http_status() != 404) {
                            problem("http status " + std::to_string(e.http_status()));
                        }
                    }
                }
            } catch (const std::exception &e) {
                problem(std::string("thread ") + std::to_string(i) + ": " + e.what());
            }
        });
    }
    for (auto &th : threads) {
        th.join();
    }
    for (const auto &p : problems) {
        t::fail(__FILE__, __LINE__, p);
    }
    // What the server holds, by lxc.
    for (int i = 0; i < kThreads; ++i) {
        const std::string &name = names[static_cast<std::size_t>(i)];
        CHECK_EQ(t::sh_out("lxc query /1.0/instances/" + name + " | jq -r .description"),
                 std::optional<std::string>("thread " + std::to_string(i) + "-" +
                                            std::to_string(kRounds - 1)));
    }
}

TEST(one_object_shared_by_threads) {
    std::string name = t::unique("thro");
    lxd::Object c = t::new_container(name);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            try {
                for (int r = 0; r < 20; ++r) {
                    (void)c.get("config");
                    (void)c.to_json();
                    (void)c.dirty();
                }
            } catch (const std::exception &) {
                ++errors;
            }
        });
    }
    for (auto &th : threads) {
        th.join();
    }
    CHECK_EQ(errors.load(), 0);
    CHECK_EQ(c.key(), name);
}
