// C++ side of the bindings benchmark (see bench/README.md, "Bindings"; run
// via bench/run-bindings.sh): bench/bindings/bench.c's workloads and output
// keys through lxd.hpp (RAII handles, exceptions, std::string).
//
//   bench-cpp NAME GETS EXECS SAVES
//
//   get        client.containers().get(NAME), destroyed at once
//   get_config the same + obj.get("config") (std::string of JSON text)
//   exec       obj.exec({"true"}) (ExecResult: exit code, stdout, stderr)
//   set_save   obj.set("description", "\"...\"") + obj.save(true)
#include <lxd.hpp>

#include <time.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

double now_s(clockid_t clk) {
    timespec ts{};
    clock_gettime(clk, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void measure(const char *key, const std::function<void()> &op, int warmup, int n) {
    for (int i = 0; i < warmup; i++) op();
    std::vector<double> wall(static_cast<size_t>(n));
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        double t = now_s(CLOCK_MONOTONIC);
        op();
        wall[static_cast<size_t>(i)] = now_s(CLOCK_MONOTONIC) - t;
    }
    double w1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    std::sort(wall.begin(), wall.end());
    size_t h = static_cast<size_t>(n / 2);
    double p50 = n % 2 ? wall[h] : (wall[h - 1] + wall[h]) / 2;
    std::printf("%s_n %d\n", key, n);
    std::printf("%s_wall_ms %.3f\n", key, (w1 - w0) / n * 1e3);
    std::printf("%s_wall_p50_ms %.3f\n", key, p50 * 1e3);
    std::printf("%s_cpu_ms %.4f\n", key, (cpu1 - cpu0) / n * 1e3);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s NAME GETS EXECS SAVES\n", argv[0]);
        return 2;
    }
    const std::string name = argv[1];
    int gets = std::atoi(argv[2]), execs = std::atoi(argv[3]), saves = std::atoi(argv[4]);
    if (gets < 1 || execs < 1 || saves < 1) {
        std::fprintf(stderr, "bench.cpp: counts must be >= 1\n");
        return 2;
    }
    try {
        std::printf("impl cpp\n");
        std::printf("version %s\n", lxd::version());
        lxd::Client client;
        lxd::Object inst = client.containers().get(name);
        int counter = 0;

        measure("get", [&] { lxd::Object o = client.containers().get(name); }, 5, gets);
        measure("get_config", [&] {
            lxd::Object o = client.containers().get(name);
            std::string config = o.get("config");
            if (config.empty() || config[0] != '{') throw std::runtime_error("config is not a map: " + config);
        }, 5, gets);
        measure("exec", [&] {
            lxd::ExecResult r = inst.exec({"true"});
            if (r.exit_code() != 0) throw std::runtime_error("exec [\"true\"] exited " + std::to_string(r.exit_code()));
            (void)r.stdout_data();
            (void)r.stderr_data();
        }, 3, execs);
        measure("set_save", [&] {
            inst.set("description", "\"lxdt-bench " + std::to_string(++counter) + "\"");
            inst.save(true);
        }, 3, saves);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench.cpp: %s\n", e.what());
        return 1;
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}
