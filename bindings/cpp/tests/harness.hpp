// A tiny test harness for the C++ binding's tests (no framework is
// installed on the build machines, and none is downloaded).
//
// TEST(name) { ... } registers a test. CHECK* record a failure and go on;
// REQUIRE* record it and end the test. THROWS(Type, statements) checks
// that the statements throw Type (or a subclass) and returns the caught
// exception as std::optional<Type>. After each test, pass or fail, the
// cleanups registered with t::defer / t::defer_sh run (last first). The
// run prints "ok"/"FAIL" per test and ends with "N passed, M failed".

#ifndef LXD_CPP_TEST_HARNESS_HPP
#define LXD_CPP_TEST_HARNESS_HPP

#include "lxd.hpp"

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace t {

using TestFn = void (*)();

/// Adds a test to the registry (used by TEST).
struct Register {
    Register(const char *name, TestFn fn);
};

/// Thrown by REQUIRE to end the running test.
struct Abort {};

/// Record a failure of the running test.
void fail(const char *file, int line, const std::string &message);
/// Whether the running test has failed so far.
bool failed();

/// Run `fn` after the running test, pass or fail (last registered first).
void defer(std::function<void()> fn);
/// Run shell command `cmd` after the running test.
void defer_sh(const std::string &cmd);

/// "lxdt-cpp-<prefix>-<run>-<n>", unique in this run (<run>: $LXDT_CPP_RUN,
/// else the pid).
std::string unique(const std::string &prefix);

/// Run a shell command; its exit status (-1 if it did not exit normally).
int sh(const std::string &cmd);
/// Run a shell command; its stdout without trailing newlines, or nullopt
/// when it failed.
std::optional<std::string> sh_out(const std::string &cmd);
/// Quote for the shell.
std::string shq(std::string_view s);

/// The client shared by the tests (local unix socket), made on first use.
lxd::Client &client();

/// A busybox container named `name` (created with wait; started if
/// `start`), deleted with lxc after the test.
lxd::Object new_container(const std::string &name, bool start = false);

/// A custom volume `name` in the main server's pool "default" (deleted
/// with lxc after the test, with its snapshots).
lxd::Object new_volume(const std::string &name);

/// A configuration-only bridge (192.0.2.1/24, no NAT, no DHCP, no IPv6),
/// its name "lxdtc<pid%100000><n>" (15 chars at most), deleted after the test.
lxd::Object new_bridge();

/// A network zone `name` (a DNS name), deleted after the test.
lxd::Object new_zone(const std::string &name);

/// The first line `jq -r filter` prints for `json`, or "" (jq failed).
std::string jq(const std::string &json, const std::string &filter);

/// Whether the daemon is a cluster (`lxc query /1.0/cluster`'s `enabled`,
/// read once). The test daemon is a standalone server.
bool clustered();

/// Whether LXD serves `kind` on a cluster only: its endpoint is under
/// /1.0/cluster/ (the members, the groups; lxd::kind_info tells).
bool cluster_only(lxd::Kind kind);

/// Whether `e` is LXD's refusal of a cluster-only request on a standalone
/// server: lxd::ApiError with an HTTP error status and "not clustered"
/// in LXD's message ("Server is not clustered", "This server is not
/// clustered"). Records a failure (with `what`) when it is not.
bool check_not_clustered(const std::optional<lxd::ApiError> &e, const std::string &what);

/// The definition of a busybox container named `name`.
std::string busybox(const std::string &name);

/// Whether `haystack` contains `needle`.
inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

/// Poll `cond` every 100 ms for up to `seconds`; whether it became true.
bool eventually(const std::function<bool()> &cond, int seconds = 20);

template <typename T> std::string show(const T &v) {
    if constexpr (std::is_convertible_v<const T &, std::string_view>) {
        return "\"" + std::string(std::string_view(v)) + "\"";
    } else if constexpr (std::is_enum_v<T>) {
        return std::to_string(static_cast<long long>(v));
    } else {
        std::ostringstream os;
        os << v;
        return os.str();
    }
}

template <typename T> std::string show(const std::optional<T> &v) {
    return v ? show(*v) : std::string("nullopt");
}

/// Calls `fn`; the Expected exception it threw, or nullopt (failure
/// recorded) if it threw nothing or something else.
template <typename Expected, typename Fn>
std::optional<Expected> throws(Fn &&fn, const char *type, const char *file, int line) {
    try {
        fn();
    } catch (const Expected &e) {
        return e;
    } catch (const std::exception &e) {
        fail(file, line, std::string("expected ") + type + ", got another exception: " + e.what());
        return std::nullopt;
    } catch (...) {
        fail(file, line, std::string("expected ") + type + ", got a non-std exception");
        return std::nullopt;
    }
    fail(file, line, std::string("expected ") + type + ", nothing was thrown");
    return std::nullopt;
}

} // namespace t

#define T_CAT2(a, b) a##b
#define T_CAT(a, b) T_CAT2(a, b)

#define TEST(name)                                                                                 \
    static void test_##name();                                                                     \
    static const ::t::Register T_CAT(t_register_, name)(#name, test_##name);                       \
    static void test_##name()

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) ::t::fail(__FILE__, __LINE__, "CHECK(" #cond ")");                            \
    } while (0)

#define CHECK_MSG(cond, msg)                                                                       \
    do {                                                                                           \
        if (!(cond)) ::t::fail(__FILE__, __LINE__, std::string("CHECK(" #cond "): ") + (msg));     \
    } while (0)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ::t::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")");                                   \
            throw ::t::Abort{};                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        const auto &t_a_ = (a);                                                                    \
        const auto &t_b_ = (b);                                                                    \
        if (!(t_a_ == t_b_))                                                                       \
            ::t::fail(__FILE__, __LINE__,                                                          \
                      "CHECK_EQ(" #a ", " #b "): " + ::t::show(t_a_) + " != " + ::t::show(t_b_));  \
    } while (0)

#define REQUIRE_EQ(a, b)                                                                           \
    do {                                                                                           \
        const auto &t_a_ = (a);                                                                    \
        const auto &t_b_ = (b);                                                                    \
        if (!(t_a_ == t_b_)) {                                                                     \
            ::t::fail(__FILE__, __LINE__,                                                          \
                      "REQUIRE_EQ(" #a ", " #b "): " + ::t::show(t_a_) +                           \
                          " != " + ::t::show(t_b_));                                               \
            throw ::t::Abort{};                                                                    \
        }                                                                                          \
    } while (0)

/// THROWS(Type, statements...): the caught Type as std::optional<Type>.
#define THROWS(Type, ...) ::t::throws<Type>([&]() { __VA_ARGS__; }, #Type, __FILE__, __LINE__)

#endif // LXD_CPP_TEST_HARNESS_HPP
