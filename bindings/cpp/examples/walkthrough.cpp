// The C++ quick-start (README.md): connect, get a container, read its
// config, update it, see it dirty, roll back, save with wait.
//
//   walkthrough NAME   uses the existing container NAME (and leaves it there)
//   walkthrough        creates lxdt-cpp-walk-<pid> from the "busybox" image
//                      first, and deletes it at the end
//
// Build, from the top of the repository once `make install` put lxd.hpp
// beside lxd.h (no -I needed), and run:
//   c++ -std=c++17 bindings/cpp/examples/walkthrough.cpp -o /tmp/walkthrough
//       $(pkg-config --cflags --libs liblxd)
//   /tmp/walkthrough

#include <lxd.hpp>

#include <unistd.h>

#include <iostream>
#include <string>

int main(int argc, char **argv) {
    std::string name = argc > 1 ? argv[1] : "lxdt-cpp-walk-" + std::to_string(getpid());
    bool own = argc <= 1;
    try {
        lxd::Client client; // the local daemon's unix socket
        if (own) {
            lxd::Object made = client.containers().create(
                R"({"name":")" + name + R"(","source":{"type":"image","alias":"busybox"}})", true);
            made.start(-1, false, true); // so that the stop below has something to stop
        }

        lxd::Object c = client.containers().get(name);
        std::cout << "config: " << c.get("config") << "\n"; // JSON text

        c.set("description", R"("my container")");                  // a JSON value: a string
        std::cout << "dirty: " << c.dirty() << "\n";                // 1
        c.rollback();                                               // back to the server's state
        std::cout << "dirty after rollback: " << c.dirty() << "\n"; // 0
        c.set("description", R"("my container")");
        try {
            c.save(true); // PUT with If-Match, waits
        } catch (const lxd::PreconditionFailed &e) {
            std::cerr << "changed on the server meanwhile: " << e.message() << "\n";
        }
        std::cout << "description: " << c.get("description") << "\n";

        try {
            c.stop(30, false, true); // clean stop, wait
        } catch (const lxd::Error &e) {
            std::cout << "stop: " << e.message() << "\n"; // e.g. it was not running
        }
        if (own) {
            try {
                c.stop(-1, true, true); // forced: a clean stop that timed out left it running
            } catch (const lxd::Error &) {
                // it is stopped
            }
            c.remove(true);
        }
        return 0;
    } catch (const lxd::Error &e) {
        std::cerr << "error: " << e.message() << " (HTTP " << e.http_status() << ")\n";
        if (own) {
            lxd::Client cleanup;
            if (cleanup.containers().exists(name)) {
                cleanup.containers().get(name).remove(true);
            }
        }
        return 1;
    }
}
