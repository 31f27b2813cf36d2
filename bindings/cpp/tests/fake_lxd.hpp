// A FAKE LXD server for the C++ tests that need answers the real LXD 5.0.2
// never gives (an attribute liblxd's schema lacks, a server without some
// API extension) or cannot give here (a cluster: the test daemon is a
// standalone server and must stay one): a few canned HTTP/1.1 answers on a
// unix socket in a temp dir, served by a thread of the test program, which
// also keeps the requests it got. It is not LXD; everything else in this
// suite uses the real one.

#ifndef LXD_CPP_TEST_FAKE_LXD_HPP
#define LXD_CPP_TEST_FAKE_LXD_HPP

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace t {

/// LXD's sync answer around `metadata` (JSON).
inline std::string sync_body(const std::string &metadata) {
    return R"({"type":"sync","status":"Success","status_code":200,"metadata":)" + metadata + "}";
}

/// A request the fake server got: its body is "" when it had none.
struct FakeRequest {
    std::string method, target, body;
};

/// A whole answer of the fake server: HTTP status and body.
struct FakeReply {
    int status;
    std::string body;
};

/// LXD's answer (HTTP 202) that operation `op` (its JSON, with its "id") started.
inline FakeReply async_reply(const std::string &id, const std::string &op) {
    return {202, R"({"type":"async","status":"Operation created","status_code":100,)"
                 R"("operation":"/1.0/operations/)" + id + R"(","metadata":)" + op + "}"};
}

/// A FAKE LXD server: answers GET /1.0 with host info listing
/// `api_extensions` (a JSON array), and every other request with what
/// `route` gives for its method and target (LXD's sync answer around it),
/// or LXD's 404 when it gives std::nullopt; or, made with a Handler, with
/// the whole answer the handler gives for the request. Routes and handlers
/// run on the server's own thread. A request's body is read by its
/// Content-Length; requests() keeps them all, in order.
class FakeLxdServer {
  public:
    using Route =
        std::function<std::optional<std::string>(const std::string &method, const std::string &target)>;
    using Handler = std::function<std::optional<FakeReply>(const FakeRequest &request)>;

    FakeLxdServer(std::string api_extensions, Route route)
        : FakeLxdServer(std::move(api_extensions),
                        Handler([route = std::move(route)](
                                    const FakeRequest &r) -> std::optional<FakeReply> {
                            std::optional<std::string> metadata;
                            if (route) {
                                metadata = route(r.method, r.target);
                            }
                            if (!metadata) {
                                return std::nullopt;
                            }
                            return FakeReply{200, sync_body(*metadata)};
                        })) {}

    FakeLxdServer(std::string api_extensions, Handler handler)
        : host_info_(sync_body(R"({"api_extensions":)" + api_extensions +
                               R"(,"api_status":"stable","api_version":"1.0",)"
                               R"("auth":"trusted","public":false,"auth_methods":["tls"],)"
                               R"("environment":{"server_version":"5.0.2"}})")),
          handler_(std::move(handler)) {
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
    /// How many requests it answered (GET /1.0 included).
    int requests() const { return requests_.load(); }
    /// The requests it got but GET /1.0, in order.
    std::vector<FakeRequest> log() const {
        std::lock_guard<std::mutex> lock(log_mutex_);
        return log_;
    }

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

    void answer(int fd, const FakeRequest &request) {
        ++requests_;
        if (request.method == "GET" && request.target == "/1.0") {
            respond(fd, 200, "OK", host_info_);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(log_mutex_);
            log_.push_back(request);
        }
        std::optional<FakeReply> reply;
        if (handler_) {
            reply = handler_(request);
        }
        if (reply) {
            respond(fd, reply->status, reply->status < 300 ? "OK" : "Error", reply->body);
        } else {
            respond(
                fd, 404, "Not Found",
                R"j({"type":"error","error":"Not found (fake LXD)","error_code":404,"metadata":null})j");
        }
    }

    // The Content-Length of a request head (0 without one).
    static std::size_t content_length(const std::string &head) {
        std::string lower;
        for (char c : head) {
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::size_t at = lower.find("\r\ncontent-length:");
        return at == std::string::npos ? 0 : std::strtoul(head.c_str() + at + 17, nullptr, 10);
    }

    // A head, then Content-Length bytes of body, make a request.
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
                    std::size_t body_len = content_length(head);
                    if (conn.second.size() < end + 4 + body_len) {
                        break; // the rest of the body is still to come
                    }
                    std::string body = conn.second.substr(end + 4, body_len);
                    conn.second.erase(0, end + 4 + body_len);
                    std::size_t sp1 = head.find(' ');
                    std::size_t sp2 = head.find(' ', sp1 + 1);
                    if (sp1 == std::string::npos || sp2 == std::string::npos) {
                        break;
                    }
                    answer(conn.first, FakeRequest{head.substr(0, sp1),
                                                   head.substr(sp1 + 1, sp2 - sp1 - 1), body});
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

    std::string host_info_;
    Handler handler_;
    mutable std::mutex log_mutex_;
    std::vector<FakeRequest> log_;
    std::string dir_;
    std::string path_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

} // namespace t

#endif // LXD_CPP_TEST_FAKE_LXD_HPP
