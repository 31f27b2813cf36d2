// Unknown-attribute warnings reaching the C++ callback.
//
// LXD 5.0.2 never sends an attribute that liblxd's schema lacks, so these
// tests talk to FakeLxdServer below: a FAKE LXD — a few canned HTTP/1.1
// answers on a unix socket in a temp dir, served by a thread of this
// program. It is not LXD; everything else in this suite uses the real one.

#include "harness.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace {

// ---- the fake server ------------------------------------------------------

const char kHostInfo[] =
    R"({"type":"sync","status":"Success","status_code":200,"metadata":)"
    R"({"api_extensions":["instances"],"api_status":"stable","api_version":"1.0",)"
    R"("auth":"trusted","public":false,"auth_methods":["tls"],)"
    R"("environment":{"server_version":"5.0.2"}}})";

// A profile with an attribute liblxd's schema does not know.
std::string fake_profile(const std::string &name) {
    return R"({"name":")" + name +
           R"(","description":"fake","config":{},"devices":{},"used_by":[],)"
           R"("shiny_new_field":42})";
}

std::string sync_body(const std::string &metadata) {
    return R"({"type":"sync","status":"Success","status_code":200,"metadata":)" + metadata + "}";
}

/// A FAKE LXD server (see the file comment): answers GET /1.0, GET
/// /1.0/profiles/p1 and /1.0/profiles?recursion=1; 404 otherwise.
class FakeLxdServer {
  public:
    FakeLxdServer() {
        char tmpl[] = "/tmp/lxdt-cpp-fake-lxd-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        dir_ = tmpl;
        path_ = dir_ + "/unix.socket";
        listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        if (listen_fd_ < 0 ||
            bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
            listen(listen_fd_, 8) != 0 || pipe(wake_) != 0) {
            cleanup();
            throw std::runtime_error("cannot start the fake LXD server");
        }
        thread_ = std::thread([this] { serve(); });
    }
    FakeLxdServer(const FakeLxdServer &) = delete;
    FakeLxdServer &operator=(const FakeLxdServer &) = delete;
    ~FakeLxdServer() {
        if (thread_.joinable()) {
            (void)!write(wake_[1], "x", 1);
            thread_.join();
        }
        cleanup();
    }

    const std::string &path() const { return path_; }
    int requests() const { return requests_.load(); }

  private:
    void cleanup() {
        for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
            if (fd >= 0) {
                close(fd);
            }
        }
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }

    static void send_all(int fd, const std::string &data) {
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                return;
            }
            off += static_cast<std::size_t>(n);
        }
    }

    static void respond(int fd, int status, const char *reason, const std::string &body) {
        send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body);
    }

    void answer(int fd, const std::string &method, const std::string &target) {
        ++requests_;
        if (method == "GET" && target == "/1.0") {
            respond(fd, 200, "OK", kHostInfo);
        } else if (method == "GET" && target.rfind("/1.0/profiles/p1", 0) == 0) {
            respond(fd, 200, "OK", sync_body(fake_profile("p1")));
        } else if (method == "GET" && target.rfind("/1.0/profiles?recursion=1", 0) == 0) {
            respond(fd, 200, "OK",
                    sync_body("[" + fake_profile("p1") + "," + fake_profile("p2") + "]"));
        } else {
            respond(
                fd, 404, "Not Found",
                R"j({"type":"error","error":"Not found (fake LXD)","error_code":404,"metadata":null})j");
        }
    }

    // Requests here have no body (GETs only), so a head ends a request.
    void serve() {
        std::vector<std::pair<int, std::string>> conns;
        for (;;) {
            std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
            for (auto &c : conns) {
                fds.push_back({c.first, POLLIN, 0});
            }
            if (poll(fds.data(), fds.size(), -1) < 0) {
                continue;
            }
            if (fds[0].revents != 0) {
                break;
            }
            if (fds[1].revents != 0) {
                int fd = accept(listen_fd_, nullptr, nullptr);
                if (fd >= 0) {
                    conns.emplace_back(fd, std::string());
                }
            }
            for (std::size_t i = 2; i < fds.size(); ++i) {
                if (fds[i].revents == 0) {
                    continue;
                }
                auto &conn = conns[i - 2];
                char buf[4096];
                ssize_t n = recv(conn.first, buf, sizeof buf, 0);
                if (n <= 0) {
                    close(conn.first);
                    conn.first = -1;
                    continue;
                }
                conn.second.append(buf, static_cast<std::size_t>(n));
                std::size_t end;
                while ((end = conn.second.find("\r\n\r\n")) != std::string::npos) {
                    std::string head = conn.second.substr(0, end);
                    conn.second.erase(0, end + 4);
                    std::size_t sp1 = head.find(' ');
                    std::size_t sp2 = head.find(' ', sp1 + 1);
                    if (sp1 == std::string::npos || sp2 == std::string::npos) {
                        break;
                    }
                    answer(conn.first, head.substr(0, sp1), head.substr(sp1 + 1, sp2 - sp1 - 1));
                }
            }
            std::vector<std::pair<int, std::string>> open;
            for (auto &c : conns) {
                if (c.first >= 0) {
                    open.push_back(std::move(c));
                }
            }
            conns.swap(open);
        }
        for (auto &c : conns) {
            close(c.first);
        }
    }

    std::string dir_;
    std::string path_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<int> requests_{0};
    std::thread thread_;
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
    FakeLxdServer fake;
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
    FakeLxdServer fake;
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
    FakeLxdServer fake;
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
