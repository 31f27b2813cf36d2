// The README's snippets, compiled (never run) so that they cannot rot.

#include "lxd.hpp"

#include <iostream>

namespace readme {

void snippets(lxd::Client &client, const std::string &def, const std::string &bytes) {
    {
        lxd::ClientOptions opts;
        opts.cert = "client.crt";
        opts.key = "client.key";
        opts.server_cert = "/var/lib/lxd/server.crt";
        lxd::Client remote("https://127.0.0.1:8443", opts);
        lxd::Client same(
            "https://127.0.0.1:8443",
            R"({"cert":"client.crt","key":"client.key","server_cert":"/var/lib/lxd/server.crt"})");
        lxd::Client scoped(std::nullopt, R"({"project":"dev"})");
    }
    lxd::Manager profiles = client.profiles();
    bool there = profiles.exists("default");
    (void)there;
    lxd::Object p = profiles.create(R"({"name":"web","config":{"limits.cpu":"2"}})");
    for (lxd::ObjectRef o : client.containers().all())
        std::cout << o.key() << " " << o.get("status") << "\n";
    lxd::Object img = client.images().get_by_alias("busybox");
    std::string doc = client.api("GET", "/1.0/instances?recursion=1");

    lxd::Object c = client.containers().create(def, /*wait=*/false);
    if (std::optional<lxd::Object> op = c.operation()) op->wait(60);
    c.start(-1, false, /*wait=*/true);

    lxd::ExecResult r = c.exec({"sh", "-c", "echo out; echo err >&2; exit 3"});
    (void)r.exit_code();
    (void)r.stdout_data();
    (void)r.stderr_data();
    lxd::ExecOptions o;
    o.environment["FOO"] = "bar";
    o.cwd = "/tmp";
    o.user = 1000;
    o.timeout_ms = 5000;
    (void)c.exec({"cat"}, o, std::string("in\0put", 6));
    int code = c.exec_stream({"ping", "-c", "3", "x"}, [](lxd::Stream s, std::string_view chunk) {
        std::cout << (s == lxd::Stream::Out ? "out: " : "err: ") << chunk;
        return true;
    });
    (void)code;
    lxd::ExecSession s = c.exec_interactive({"sh"});
    s.write("echo hi; exit 2\n");
    std::optional<std::string> got = s.read(1000);
    s.resize(120, 40);
    s.signal(15);
    std::optional<int> rc = s.wait(5000);
    (void)rc;

    lxd::Files f = c.files();
    f.put("/root/blob", bytes);
    std::string back = f.get("/root/blob");
    lxd::FileOptions fo;
    fo.mode = 0644;
    fo.uid = 0;
    fo.append = true;
    f.mkdir("/root/a/b", fo);
    f.remove("/root/blob");
    f.push("./site", "/srv/site", {}, [](std::uint64_t done, std::uint64_t total) {
        std::cout << done << "/" << total << "\n";
        return true;
    });
    f.pull("/srv/site", "./copy");

    lxd::Events ev = client.events("lifecycle");
    if (std::optional<std::string> e = ev.next(1000)) std::cout << *e << "\n";
    (void)ev.next(std::chrono::seconds(1));
    lxd::EventListener l = client.listen(
        "lifecycle",
        [](std::string_view event) {
            std::cout << event << "\n";
            return true;
        },
        [](const lxd::Error &e) { std::cerr << "stream ended: " << e.what() << "\n"; });
    l.stop();

    try {
        lxd::Object nope = client.containers().get("nope");
    } catch (const lxd::NotFound &e) {
        (void)e.http_status();
        (void)e.message();
        (void)e.what();
    }
    lxd::set_warning_callback(
        [](std::string_view, std::string_view, std::string_view msg) { std::clog << msg << "\n"; });
    lxd::set_warning_mode(lxd::WarningMode::Always);
    lxd::set_warning_callback(nullptr);
}

} // namespace readme
