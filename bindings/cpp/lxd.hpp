// lxd.hpp: header-only C++17 binding of liblxd, a client library for the
// LXD REST API.
//
// It wraps the C ABI of <lxd.h> (which stays the contract) with:
//   - RAII owners, move-only, for every handle liblxd hands out (client,
//     object, list, exec result, exec session, event stream, listener);
//   - exceptions instead of status codes: lxd::Error and one subclass per
//     status code (lxd::NotFound, lxd::Conflict, ...), carrying the code,
//     the HTTP status and the message (the failed request and the server's
//     text, e.g. "GET /1.0/instances/nope: Instance not found");
//   - std::string / std::string_view in and out; attribute values and
//     definitions stay JSON text (no JSON library is imposed);
//   - std::function callbacks, with exceptions carried across the C
//     boundary safely (caught, the C call stopped, rethrown afterwards).
//
// Build with: c++ -std=c++17 app.cpp $(pkg-config --cflags --libs liblxd)
//
// A moved-from (or closed) handle is empty: every use of it throws
// lxd::InvalidArgument instead of crashing. Handles that borrow from
// another (lxd::Manager from lxd::Client, lxd::ObjectRef from lxd::List,
// lxd::Files from an object) must not outlive what they borrow from.

#ifndef LXD_HPP
#define LXD_HPP

#include <lxd.h>

#include "lxd_kinds.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lxd {

// ===========================================================================
// Errors
// ===========================================================================

/// Every failure of liblxd, as an exception. `code()` is the lxd_status
/// (`LXD_ERR_*`), `http_status()` the HTTP status of the response behind
/// it (0 when none), `message()` liblxd's message: where the server sent
/// an error, the failed request followed by the server's text, as in
/// "GET /1.0/instances/nope: Instance not found"; else liblxd's
/// description. Catch a subclass (lxd::NotFound, ...) to handle one code.
class Error : public std::runtime_error {
  public:
    /// An error with status `code`, HTTP status `http_status` (0: none)
    /// and message `message`.
    Error(lxd_status code, int http_status, std::string message)
        : std::runtime_error(describe(code, http_status, message)), code_(code),
          http_status_(http_status), message_(std::move(message)) {}

    /// The status code (`LXD_ERR_NOT_FOUND`, ...).
    [[nodiscard]] lxd_status code() const noexcept { return code_; }
    /// The HTTP status of the failing response (e.g. 404), or 0.
    [[nodiscard]] int http_status() const noexcept { return http_status_; }
    /// The message without the status name: the failed request and the
    /// server's text ("GET /1.0/instances/nope: Instance not found"), or
    /// liblxd's description.
    [[nodiscard]] const std::string &message() const noexcept { return message_; }
    /// The status code's name, e.g. "LXD_ERR_NOT_FOUND".
    [[nodiscard]] const char *status_name() const noexcept { return lxd_status_name(code_); }

  private:
    static std::string describe(lxd_status code, int http_status, const std::string &message) {
        std::string s = lxd_status_name(code);
        if (http_status != 0) {
            s += " (HTTP " + std::to_string(http_status) + ")";
        }
        if (!message.empty()) {
            s += ": " + message;
        }
        return s;
    }

    lxd_status code_;
    int http_status_;
    std::string message_;
};

// One subclass per status code; each can be constructed from an HTTP
// status and a message, and carries its fixed code.
#define LXD_HPP_ERROR_CLASS(Name, Code)                                                            \
    class Name : public Error {                                                                    \
      public:                                                                                      \
        Name(int http_status, std::string message)                                                 \
            : Error(Code, http_status, std::move(message)) {}                                      \
    };

/// Bad input: NULL, a NUL byte, invalid UTF-8 or JSON, an empty handle. (LXD_ERR_INVALID_ARGUMENT)
LXD_HPP_ERROR_CLASS(InvalidArgument, LXD_ERR_INVALID_ARGUMENT)
/// The daemon could not be reached. (LXD_ERR_CONNECTION)
LXD_HPP_ERROR_CLASS(ConnectionError, LXD_ERR_CONNECTION)
/// TLS failure (handshake, certificates). (LXD_ERR_TLS)
LXD_HPP_ERROR_CLASS(TlsError, LXD_ERR_TLS)
/// A network read/write or a wait timed out. (LXD_ERR_TIMEOUT)
LXD_HPP_ERROR_CLASS(Timeout, LXD_ERR_TIMEOUT)
/// HTTP 404: no such object. (LXD_ERR_NOT_FOUND)
LXD_HPP_ERROR_CLASS(NotFound, LXD_ERR_NOT_FOUND)
/// HTTP 409: already exists or conflicts. (LXD_ERR_CONFLICT)
LXD_HPP_ERROR_CLASS(Conflict, LXD_ERR_CONFLICT)
/// HTTP 412, or a save refused: the object changed on the server. (LXD_ERR_PRECONDITION_FAILED)
LXD_HPP_ERROR_CLASS(PreconditionFailed, LXD_ERR_PRECONDITION_FAILED)
/// HTTP 403/401: not allowed. (LXD_ERR_FORBIDDEN)
LXD_HPP_ERROR_CLASS(Forbidden, LXD_ERR_FORBIDDEN)
/// Any other error response of the server. (LXD_ERR_API)
LXD_HPP_ERROR_CLASS(ApiError, LXD_ERR_API)
/// A background operation ended in failure. (LXD_ERR_OPERATION_FAILED)
LXD_HPP_ERROR_CLASS(OperationFailed, LXD_ERR_OPERATION_FAILED)
/// The kind has no attribute of that name. (LXD_ERR_UNKNOWN_ATTRIBUTE)
LXD_HPP_ERROR_CLASS(UnknownAttribute, LXD_ERR_UNKNOWN_ATTRIBUTE)
/// The attribute cannot be set. (LXD_ERR_READ_ONLY)
LXD_HPP_ERROR_CLASS(ReadOnly, LXD_ERR_READ_ONLY)
/// The server lacks an API extension the call needs. (LXD_ERR_EXTENSION_MISSING)
LXD_HPP_ERROR_CLASS(ExtensionMissing, LXD_ERR_EXTENSION_MISSING)
/// The server's response was malformed. (LXD_ERR_PROTOCOL)
LXD_HPP_ERROR_CLASS(ProtocolError, LXD_ERR_PROTOCOL)
/// An operation was cancelled, or a callback asked to stop. (LXD_ERR_CANCELLED)
LXD_HPP_ERROR_CLASS(Cancelled, LXD_ERR_CANCELLED)
/// A bug in liblxd (please report it). (LXD_ERR_INTERNAL)
LXD_HPP_ERROR_CLASS(InternalError, LXD_ERR_INTERNAL)
/// A file transfer refused a path that would land outside its target. (LXD_ERR_UNSAFE_PATH)
LXD_HPP_ERROR_CLASS(UnsafePath, LXD_ERR_UNSAFE_PATH)
/// A response to be read into memory was larger than the client's
/// max_response_bytes (an error document: larger than 1 MiB); it was not
/// read. (LXD_ERR_RESPONSE_TOO_LARGE)
LXD_HPP_ERROR_CLASS(ResponseTooLarge, LXD_ERR_RESPONSE_TOO_LARGE)
/// The daemon restarted while the operation ran (or, with several cluster
/// members, the member running it went down during a wait): LXD lost it,
/// and whether it took effect is unknown. (LXD_ERR_OPERATION_LOST)
LXD_HPP_ERROR_CLASS(OperationLost, LXD_ERR_OPERATION_LOST)

#undef LXD_HPP_ERROR_CLASS

/// Throw the lxd::Error subclass for `code` (lxd::Error itself for a code
/// this header does not know). `code` must not be LXD_OK.
[[noreturn]] inline void throw_error(lxd_status code, int http_status, std::string message) {
    switch (code) {
    case LXD_ERR_INVALID_ARGUMENT: throw InvalidArgument(http_status, std::move(message));
    case LXD_ERR_CONNECTION: throw ConnectionError(http_status, std::move(message));
    case LXD_ERR_TLS: throw TlsError(http_status, std::move(message));
    case LXD_ERR_TIMEOUT: throw Timeout(http_status, std::move(message));
    case LXD_ERR_NOT_FOUND: throw NotFound(http_status, std::move(message));
    case LXD_ERR_CONFLICT: throw Conflict(http_status, std::move(message));
    case LXD_ERR_PRECONDITION_FAILED: throw PreconditionFailed(http_status, std::move(message));
    case LXD_ERR_FORBIDDEN: throw Forbidden(http_status, std::move(message));
    case LXD_ERR_API: throw ApiError(http_status, std::move(message));
    case LXD_ERR_OPERATION_FAILED: throw OperationFailed(http_status, std::move(message));
    case LXD_ERR_UNKNOWN_ATTRIBUTE: throw UnknownAttribute(http_status, std::move(message));
    case LXD_ERR_READ_ONLY: throw ReadOnly(http_status, std::move(message));
    case LXD_ERR_EXTENSION_MISSING: throw ExtensionMissing(http_status, std::move(message));
    case LXD_ERR_PROTOCOL: throw ProtocolError(http_status, std::move(message));
    case LXD_ERR_CANCELLED: throw Cancelled(http_status, std::move(message));
    case LXD_ERR_INTERNAL: throw InternalError(http_status, std::move(message));
    case LXD_ERR_UNSAFE_PATH: throw UnsafePath(http_status, std::move(message));
    case LXD_ERR_RESPONSE_TOO_LARGE: throw ResponseTooLarge(http_status, std::move(message));
    case LXD_ERR_OPERATION_LOST: throw OperationLost(http_status, std::move(message));
    default: throw Error(code, http_status, std::move(message));
    }
}

/// The name of a status code, e.g. "LXD_ERR_NOT_FOUND" (never fails).
[[nodiscard]] inline const char *status_name(lxd_status code) noexcept {
    return lxd_status_name(code);
}

/// The message of this thread's last failed liblxd call ("" if none).
/// Rarely needed: every failure already throws an lxd::Error with it.
[[nodiscard]] inline std::string last_error_message() {
    return lxd_last_error_message();
}

/// The HTTP status behind this thread's last failure, or 0.
[[nodiscard]] inline int last_error_http_status() noexcept {
    return static_cast<int>(lxd_last_error_http_status());
}

/// The version of the liblxd library loaded, e.g. "0.1.0".
[[nodiscard]] inline const char *version() noexcept {
    return lxd_version();
}

// ===========================================================================
// Internals
// ===========================================================================

namespace detail {

// An exception thrown by a callback that liblxd runs on the calling thread
// inside a call (the warning callback), kept until that call returns.
inline std::exception_ptr &pending_exception() noexcept {
    thread_local std::exception_ptr pending;
    return pending;
}

inline void rethrow_pending() {
    std::exception_ptr &p = pending_exception();
    if (p) {
        std::exception_ptr e = std::exchange(p, nullptr);
        std::rethrow_exception(e);
    }
}

// Check a status right after the C call: the error details are read at
// once (they are per thread and overwritten by the next failing call).
inline void check(lxd_status status) {
    if (status != LXD_OK) {
        std::string message = lxd_last_error_message();
        int http = static_cast<int>(lxd_last_error_http_status());
        rethrow_pending();
        throw_error(status, http, std::move(message));
    }
    rethrow_pending();
}

[[noreturn]] inline void throw_empty(const char *what) {
    throw InvalidArgument(0, std::string(what) + " is empty (moved from or closed)");
}

// A NUL-terminated copy of a string_view for the C API. A NUL byte inside
// would silently cut the string short: refused as InvalidArgument.
class CStr {
  public:
    CStr(std::string_view s, const char *what) : s_(s) {
        if (s_.find('\0') != std::string::npos) {
            throw InvalidArgument(0, std::string(what) + " contains a NUL byte");
        }
    }
    [[nodiscard]] const char *get() const noexcept { return s_.c_str(); }

  private:
    std::string s_;
};

// As CStr, for optional arguments (nullopt is NULL).
class OptCStr {
  public:
    OptCStr(const std::optional<std::string_view> &s, const char *what) {
        if (s) {
            s_.emplace(*s, what);
        }
    }
    [[nodiscard]] const char *get() const noexcept { return s_ ? s_->get() : nullptr; }

  private:
    std::optional<CStr> s_;
};

// Take ownership of a string liblxd returned: copy it, free it.
inline std::string take_string(char *s) {
    if (s == nullptr) {
        return std::string();
    }
    std::string out(s);
    lxd_string_free(s);
    return out;
}

inline void append_json_string(std::string &out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

// A JSON array of strings.
inline std::string strings_json(const std::vector<std::string> &items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        append_json_string(out, items[i]);
    }
    return out + "]";
}

// Builds a flat JSON object member by member.
class JsonObject {
  public:
    void raw(std::string_view key, std::string_view json_value) {
        out_ += out_.empty() ? "{" : ",";
        append_json_string(out_, key);
        out_ += ':';
        out_ += json_value;
    }
    void string(std::string_view key, std::string_view value) {
        std::string v;
        append_json_string(v, value);
        raw(key, v);
    }
    template <typename T> void number(std::string_view key, T value) {
        raw(key, std::to_string(value));
    }
    void boolean(std::string_view key, bool value) { raw(key, value ? "true" : "false"); }
    [[nodiscard]] std::string str() const { return out_.empty() ? "{}" : out_ + "}"; }
    [[nodiscard]] bool empty() const noexcept { return out_.empty(); }

  private:
    std::string out_;
};

// A move-only owner of a liblxd handle, freed with Free.
template <typename T, void (*Free)(T *)> class Handle {
  public:
    Handle() noexcept = default;
    explicit Handle(T *p) noexcept : p_(p) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            reset();
            p_ = std::exchange(other.p_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }

    void reset() noexcept {
        if (p_ != nullptr) {
            Free(std::exchange(p_, nullptr));
        }
    }
    [[nodiscard]] T *get() const noexcept { return p_; }
    [[nodiscard]] T *release() noexcept { return std::exchange(p_, nullptr); }
    [[nodiscard]] T *checked(const char *what) const {
        if (p_ == nullptr) {
            throw_empty(what);
        }
        return p_;
    }

  private:
    T *p_ = nullptr;
};

} // namespace detail

/// Quote `s` as a JSON string value (with its quotes and escapes), e.g.
/// for `obj.set("description", lxd::json_string("my container"))`.
[[nodiscard]] inline std::string json_string(std::string_view s) {
    std::string out;
    detail::append_json_string(out, s);
    return out;
}

// ===========================================================================
// Kinds, byte views, options
// ===========================================================================

// lxd::Kind, lxd::kind_count, lxd::all_kinds, lxd::to_string(Kind),
// lxd::c_name(Kind), lxd::parent_of(Kind), lxd::variant_of(Kind) and the
// named manager accessors come from lxd_kinds.hpp, generated from liblxd's
// own table of kinds (included at the top).

/// Describe a kind, without any request, as liblxd's JSON object (kept as
/// text: no JSON library is imposed): `kind` (the value), `class` (as
/// to_string), `c_name`, `parent` (the kind its objects live under, or
/// null), `variant_of`, `endpoint` (e.g. "/1.0/instances/{instance}/snapshots"),
/// `key` (the attribute that names objects: "name", "fingerprint" or "id"),
/// `project_scoped`, `creatable`, `savable`, `patchable`, `renamable`,
/// `deletable`, `extension` (the API extension it needs, or null),
/// `actions` (each {"name", "method", "on", "path", "returns", "args",
/// "doc", "extension"}: what ObjectRef::action and friends run), and
/// `attributes`: every attribute of the kind in schema order, as
/// {"name":"config","writable":true}. The writable ones are those
/// ObjectRef::set accepts; the others throw lxd::ReadOnly. Throws
/// lxd::InvalidArgument for a value that is not a kind.
[[nodiscard]] inline std::string kind_info(Kind kind) {
    char *out = nullptr;
    detail::check(lxd_kind_info(static_cast<lxd_kind>(kind), &out));
    return detail::take_string(out);
}

/// A read-only view of bytes given to liblxd (file contents, stdin,
/// terminal input). Made implicitly from std::string, std::string_view,
/// std::vector<std::uint8_t>, std::vector<char> or a string literal; the
/// length is always passed explicitly, so NUL bytes are data.
class ByteView {
  public:
    ByteView() noexcept = default;
    ByteView(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
    ByteView(std::string_view s) noexcept : ByteView(s.data(), s.size()) {}
    ByteView(const std::string &s) noexcept : ByteView(s.data(), s.size()) {}
    ByteView(const char *s) noexcept : ByteView(s, s != nullptr ? std::strlen(s) : 0) {}
    ByteView(const std::vector<std::uint8_t> &v) noexcept : ByteView(v.data(), v.size()) {}
    ByteView(const std::vector<char> &v) noexcept : ByteView(v.data(), v.size()) {}

    [[nodiscard]] const std::uint8_t *data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

  private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

/// Options of a client (the `options_json` of lxd_client_new). Fields left
/// unset take liblxd's defaults.
struct ClientOptions {
    std::optional<std::string> cert;         ///< PEM file of the client certificate
    std::optional<std::string> key;          ///< PEM file of its key
    std::optional<bool> verify;              ///< false: accept any server certificate
    std::optional<std::string> server_cert;  ///< PEM file: trust exactly this server cert
    std::optional<std::uint32_t> timeout_ms; ///< per connect, read or write (default 30000)
    /// The longest one whole call may take, start to end (waits and
    /// transfers included), then lxd::Timeout; default none. exec and
    /// exec_stream without their own timeout_ms kill the command then.
    std::optional<std::uint64_t> deadline_ms;
    /// The largest response read into memory (default 64 MiB), beyond
    /// which a call throws lxd::ResponseTooLarge. The constructor reads
    /// GET /1.0 (a few KiB): a smaller value fails it already.
    std::optional<std::uint64_t> max_response_bytes;
    std::optional<std::string> project; ///< project of project-scoped calls
    /// A cluster member's name, or "@group": where new instances are
    /// placed, and whose member-specific state (storage pools and volumes,
    /// networks, the server's config, Client::resources) calls read and
    /// change. See also Client::derive.
    std::optional<std::string> target;
    /// More members of the same cluster, after the endpoint(s) given to
    /// the constructor (with std::nullopt as endpoint: only these), e.g.
    /// {"https://10.0.0.2:8443", "https://10.0.0.3:8443"}. Requests go to
    /// the first member that has not failed lately (see Client).
    std::vector<std::string> endpoints;
    /// Whether a request moves on to the next endpoint when a member stops
    /// answering (liblxd's default: true); false: only the first is used.
    std::optional<bool> failover;

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (cert) o.string("cert", *cert);
        if (key) o.string("key", *key);
        if (verify) o.boolean("verify", *verify);
        if (server_cert) o.string("server_cert", *server_cert);
        if (timeout_ms) o.number("timeout_ms", *timeout_ms);
        if (deadline_ms) o.number("deadline_ms", *deadline_ms);
        if (max_response_bytes) o.number("max_response_bytes", *max_response_bytes);
        if (project) o.string("project", *project);
        if (target) o.string("target", *target);
        if (!endpoints.empty()) o.raw("endpoints", detail::strings_json(endpoints));
        if (failover) o.boolean("failover", *failover);
        return o.str();
    }
};

/// The tag of lxd::keep (see lxd::Setting).
struct Keep {};
/// The tag of lxd::drop (see lxd::Setting).
struct Drop {};
/// For Client::derive: keep the client's own value.
inline constexpr Keep keep{};
/// For Client::derive: drop the client's value (none: the default project,
/// no target).
inline constexpr Drop drop{};

/// One option of Client::derive: lxd::keep (the default: the client's
/// own), lxd::drop or nullptr (none), or a string (a project; a member's
/// name or "@group").
class Setting {
  public:
    /// The client's own value (lxd::keep).
    Setting(Keep = keep) noexcept {}
    /// No value: the option is dropped (lxd::drop).
    Setting(Drop) noexcept : state_(State::Drop) {}
    /// No value: the option is dropped, as lxd::drop.
    Setting(std::nullptr_t) noexcept : state_(State::Drop) {}
    /// This value.
    Setting(std::string_view value) : state_(State::Set), value_(value) {}
    /// This value.
    Setting(const std::string &value) : state_(State::Set), value_(value) {}
    /// This value (a null pointer drops it, as lxd::drop).
    Setting(const char *value)
        : state_(value != nullptr ? State::Set : State::Drop),
          value_(value != nullptr ? value : "") {}

    /// Whether the client's own value is kept.
    [[nodiscard]] bool kept() const noexcept { return state_ == State::Keep; }
    /// Whether the value is dropped.
    [[nodiscard]] bool dropped() const noexcept { return state_ == State::Drop; }
    /// The value set ("" when kept or dropped).
    [[nodiscard]] const std::string &value() const noexcept { return value_; }

  private:
    enum class State { Keep, Drop, Set };
    State state_ = State::Keep;
    std::string value_;
};

/// Options of a command run in an instance (lxd_instance_exec and friends).
struct ExecOptions {
    std::map<std::string, std::string> environment; ///< extra environment variables
    std::optional<std::string> cwd;                 ///< working directory
    std::optional<std::uint32_t> user;              ///< numeric user id
    std::optional<std::uint32_t> group;             ///< numeric group id
    /// Kill the command after this many ms (exec and exec_stream only;
    /// then lxd::Timeout is thrown). Unset or 0: the client's deadline_ms
    /// if it has one, else no limit.
    std::optional<std::uint64_t> timeout_ms;
    std::optional<std::uint32_t> width;  ///< terminal columns (exec_interactive only)
    std::optional<std::uint32_t> height; ///< terminal rows (exec_interactive only)

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (!environment.empty()) {
            detail::JsonObject env;
            for (const auto &[k, v] : environment) {
                env.string(k, v);
            }
            o.raw("environment", env.str());
        }
        if (cwd) o.string("cwd", *cwd);
        if (user) o.number("user", *user);
        if (group) o.number("group", *group);
        if (timeout_ms) o.number("timeout_ms", *timeout_ms);
        if (width) o.number("width", *width);
        if (height) o.number("height", *height);
        return o.str();
    }
};

/// Options of file operations. `mode`, `uid` and `gid` apply to put, mkdir
/// and push; `append` to put only; `parents` to mkdir only;
/// `keep_special_bits` to pull only. An option the call does not take
/// throws lxd::InvalidArgument.
struct FileOptions {
    std::optional<std::uint32_t> mode; ///< permission bits, e.g. 0644
    std::optional<std::uint32_t> uid;  ///< owner
    std::optional<std::uint32_t> gid;  ///< group
    bool append = false;               ///< put: add to the end of an existing file
    bool parents = false;              ///< mkdir: create missing parents (mkdir -p)
    /// pull: files keep the set-uid, set-gid and sticky bits of their
    /// remote mode (by default they are dropped, as `lxc file pull` does).
    bool keep_special_bits = false;

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (mode) o.number("mode", *mode);
        if (uid) o.number("uid", *uid);
        if (gid) o.number("gid", *gid);
        if (append) o.boolean("append", true);
        if (parents) o.boolean("parents", true);
        if (keep_special_bits) o.boolean("keep_special_bits", true);
        return o.str();
    }
};

/// Options of ObjectRef::console: the console terminal's size.
struct ConsoleOptions {
    std::optional<std::uint32_t> width;  ///< columns (default 80)
    std::optional<std::uint32_t> height; ///< rows (default 24)

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (width) o.number("width", *width);
        if (height) o.number("height", *height);
        return o.str();
    }
};

/// Options of Client::import_instance. Unset fields take the backup's own.
struct ImportOptions {
    std::optional<std::string> name; ///< the new instance's name (default: the backup's)
    std::optional<std::string> pool; ///< the storage pool to put it in (default: the backup's)

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (name) o.string("name", *name);
        if (pool) o.string("pool", *pool);
        return o.str();
    }
};

/// An image alias made along with an image (UploadOptions, PublishOptions,
/// ImageCopyOptions, PullOptions): a name and an optional description.
/// Made implicitly from a name: `o.aliases = {"web", {"db", "the database"}}`.
struct Alias {
    /// An alias named `alias_name`, without description.
    Alias(const char *alias_name) : name(alias_name != nullptr ? alias_name : "") {}
    /// An alias named `alias_name`, described as `alias_description`.
    Alias(std::string alias_name, std::string alias_description = {})
        : name(std::move(alias_name)), description(std::move(alias_description)) {}

    std::string name;        ///< the alias (not empty)
    std::string description; ///< its description ("" for none)
};

namespace detail {

inline std::string string_map_json(const std::map<std::string, std::string> &m) {
    JsonObject o;
    for (const auto &[k, v] : m) {
        o.string(k, v);
    }
    return o.str();
}

inline std::string aliases_json(const std::vector<Alias> &aliases) {
    std::string out = "[";
    for (std::size_t i = 0; i < aliases.size(); ++i) {
        JsonObject a;
        a.string("name", aliases[i].name);
        a.string("description", aliases[i].description);
        out += (i > 0 ? "," : "") + a.str();
    }
    return out + "]";
}

// The members every image option struct shares.
inline void image_options_json(JsonObject &o, const std::optional<bool> &is_public,
                               const std::optional<bool> &auto_update,
                               const std::vector<Alias> &aliases) {
    if (is_public) o.boolean("public", *is_public);
    if (auto_update) o.boolean("auto_update", *auto_update);
    if (!aliases.empty()) o.raw("aliases", aliases_json(aliases));
}

} // namespace detail

/// Options of Manager::upload (images only). Unset fields take LXD's
/// defaults (a private image, no alias, no auto-update).
struct UploadOptions {
    /// The root filesystem (squashfs or tarball) of a split image: the
    /// path given to upload is then its metadata tarball. Unset: the path
    /// is a unified tarball.
    std::optional<std::string> rootfs;
    std::optional<bool> public_;                  ///< "public" (`public` is a C++ keyword)
    std::optional<bool> auto_update;              ///< applied once uploaded: needs wait
    std::vector<Alias> aliases;                   ///< made once uploaded: needs wait
    std::map<std::string, std::string> properties; ///< the image's properties
    std::optional<std::string> filename;          ///< the file name LXD records

    /// These options as liblxd's JSON (without `rootfs`, an argument of its own).
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        detail::image_options_json(o, public_, auto_update, aliases);
        if (!properties.empty()) o.raw("properties", detail::string_map_json(properties));
        if (filename) o.string("filename", *filename);
        return o.str();
    }
};

/// Options of ObjectRef::publish (an instance or a snapshot made an image).
struct PublishOptions {
    std::optional<bool> public_;                   ///< "public"
    std::optional<bool> auto_update;               ///< "auto_update"
    std::vector<Alias> aliases;                    ///< aliases of the new image
    std::map<std::string, std::string> properties; ///< the image's properties
    std::optional<std::string> compression_algorithm; ///< e.g. "gzip", "none"
    std::optional<std::string> expires_at;         ///< e.g. "2031-01-01T00:00:00Z"
    std::optional<std::string> filename;           ///< the file name LXD records
    std::optional<std::vector<std::string>> profiles; ///< the image's profiles

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        detail::image_options_json(o, public_, auto_update, aliases);
        if (!properties.empty()) o.raw("properties", detail::string_map_json(properties));
        if (compression_algorithm) o.string("compression_algorithm", *compression_algorithm);
        if (expires_at) o.string("expires_at", *expires_at);
        if (filename) o.string("filename", *filename);
        if (profiles) o.raw("profiles", detail::strings_json(*profiles));
        return o.str();
    }
};

/// Options of ObjectRef::copy_to for an image (`lxc image copy`).
struct ImageCopyOptions {
    /// The image's aliases are made on the target too (liblxd's default: true).
    std::optional<bool> copy_aliases;
    /// The copy is public (default false: private, as with `lxc image copy`).
    std::optional<bool> public_;
    std::optional<bool> auto_update; ///< "auto_update"
    std::vector<Alias> aliases;      ///< more aliases, made on the target

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (copy_aliases) o.boolean("copy_aliases", *copy_aliases);
        detail::image_options_json(o, public_, auto_update, aliases);
        return o.str();
    }
};

/// Where Manager::pull gets an image: a remote image server (`lxc image
/// copy images:alpine/3.19 local:`), by alias or by fingerprint (exactly one).
struct ImageSource {
    std::string server;                  ///< the image server's URL, "https://…"
    std::optional<std::string> protocol; ///< "simplestreams" (default) or "lxd"
    std::optional<std::string> alias;    ///< the image's alias there
    std::optional<std::string> fingerprint; ///< or its fingerprint
    /// The server's certificate (PEM text), trusted for this download: for
    /// a self-signed server.
    std::optional<std::string> certificate;
    std::optional<std::string> secret;     ///< a private LXD image's secret (ObjectRef::secret)
    std::optional<std::string> image_type; ///< "container" or "virtual-machine"

    /// This source as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        o.string("server", server);
        if (protocol) o.string("protocol", *protocol);
        if (alias) o.string("alias", *alias);
        if (fingerprint) o.string("fingerprint", *fingerprint);
        if (certificate) o.string("certificate", *certificate);
        if (secret) o.string("secret", *secret);
        if (image_type) o.string("image_type", *image_type);
        return o.str();
    }
};

/// Options of Manager::pull.
struct PullOptions {
    std::optional<bool> public_;     ///< "public"
    std::optional<bool> auto_update; ///< LXD then refreshes it from the server
    std::vector<Alias> aliases;      ///< aliases made for it here

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        detail::image_options_json(o, public_, auto_update, aliases);
        return o.str();
    }
};

/// How ObjectRef::copy_to and move_to carry an instance between servers.
enum class CopyMode {
    Pull,  ///< the target connects to the source (which must listen on a network address)
    Push,  ///< the source connects to the target
    Relay, ///< this client connects to both and carries the data (needs wait)
};

/// Options of ObjectRef::copy_to and move_to for an instance (`lxc copy`,
/// `lxc move`). Unset fields take liblxd's defaults.
struct CopyOptions {
    std::optional<std::string> name; ///< the copy's name (default: the source's)
    std::optional<CopyMode> mode;    ///< default CopyMode::Pull
    bool instance_only = false;      ///< without the snapshots
    bool refresh = false;            ///< bring an existing copy up to date
    std::map<std::string, std::string> config;        ///< keys set on the copy
    std::optional<std::vector<std::string>> profiles; ///< default: the source's
    std::optional<std::string> pool; ///< the target's pool for the root disk

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (name) o.string("name", *name);
        if (mode) {
            o.string("mode", *mode == CopyMode::Push    ? "push"
                             : *mode == CopyMode::Relay ? "relay"
                                                        : "pull");
        }
        if (instance_only) o.boolean("instance_only", true);
        if (refresh) o.boolean("refresh", true);
        if (!config.empty()) o.raw("config", detail::string_map_json(config));
        if (profiles) o.raw("profiles", detail::strings_json(*profiles));
        if (pool) o.string("pool", *pool);
        return o.str();
    }
};

/// Options of ObjectRef::copy_to and move_to for a custom storage volume
/// (`lxc storage volume copy`, `move`) into a pool. Unset fields take
/// liblxd's defaults.
struct VolumeCopyOptions {
    std::optional<std::string> name; ///< the copy's name (default: the source's)
    /// Between servers (default CopyMode::Pull); on one server LXD copies itself.
    std::optional<CopyMode> mode;
    bool volume_only = false; ///< without the snapshots
    bool refresh = false;     ///< bring an existing copy up to date

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (name) o.string("name", *name);
        if (mode) {
            o.string("mode", *mode == CopyMode::Push    ? "push"
                             : *mode == CopyMode::Relay ? "relay"
                                                        : "pull");
        }
        if (volume_only) o.boolean("volume_only", true);
        if (refresh) o.boolean("refresh", true);
        return o.str();
    }
};

/// Options of Client::create_trust_token (`lxc config trust add`).
struct TrustTokenOptions {
    std::string name;                  ///< the new client's name (needed)
    std::vector<std::string> projects; ///< the projects it may use (with restricted)
    bool restricted = false;           ///< limited to `projects`

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        o.string("name", name);
        if (!projects.empty()) o.raw("projects", detail::strings_json(projects));
        if (restricted) o.boolean("restricted", true);
        return o.str();
    }
};

/// Options of Client::events(const EventsOptions &).
struct EventsOptions {
    /// The event types the server sends ("lifecycle", "operation",
    /// "logging"); empty: all.
    std::vector<std::string> types;
    /// The events of every project, whatever the client's project.
    bool all_projects = false;

    /// These options as liblxd's JSON.
    [[nodiscard]] std::string to_json() const {
        detail::JsonObject o;
        if (!types.empty()) o.raw("types", detail::strings_json(types));
        if (all_projects) o.boolean("all_projects", true);
        return o.str();
    }
};

/// Which output stream a chunk of exec_stream output came from.
enum class Stream : int {
    Out = 1, ///< standard output
    Err = 2, ///< standard error
};

/// Receives exec_stream output chunk by chunk, on the calling thread. Return
/// true to go on; false stops the command (it is killed and exec_stream
/// throws lxd::Cancelled). An exception thrown here also kills the command,
/// and exec_stream rethrows it.
using OutputCallback = std::function<bool(Stream stream, std::string_view chunk)>;

/// Progress of push/pull: bytes done so far and in all, on the calling
/// thread. Return true to go on; false stops the transfer (lxd::Cancelled).
/// An exception thrown here stops it too and is rethrown by push/pull.
using ProgressCallback = std::function<bool(std::uint64_t done, std::uint64_t total)>;

namespace detail {

inline std::string command_json(const std::vector<std::string> &command) {
    std::string out = "[";
    for (std::size_t i = 0; i < command.size(); ++i) {
        if (command[i].find('\0') != std::string::npos) {
            throw InvalidArgument(0,
                                  "command argument " + std::to_string(i) + " contains a NUL byte");
        }
        if (i > 0) {
            out += ',';
        }
        append_json_string(out, command[i]);
    }
    out += ']';
    return out;
}

struct OutputContext {
    const OutputCallback *callback;
    std::exception_ptr error;
};

inline int output_trampoline(int stream, const std::uint8_t *data, std::size_t len,
                             void *user) noexcept {
    auto *ctx = static_cast<OutputContext *>(user);
    try {
        std::string_view chunk(reinterpret_cast<const char *>(data), len);
        return (*ctx->callback)(static_cast<Stream>(stream), chunk) ? 0 : 1;
    } catch (...) {
        ctx->error = std::current_exception();
        return 1;
    }
}

struct ProgressContext {
    const ProgressCallback *callback;
    std::exception_ptr error;
};

inline int progress_trampoline(std::uint64_t done, std::uint64_t total, void *user) noexcept {
    auto *ctx = static_cast<ProgressContext *>(user);
    try {
        return (*ctx->callback)(done, total) ? 0 : 1;
    } catch (...) {
        ctx->error = std::current_exception();
        return 1;
    }
}

// After a C call that ran a callback: the callback's exception first (the
// call's status is then only the consequence of stopping), else the status.
inline void check_after_callback(lxd_status status, std::exception_ptr &error) {
    if (error) {
        std::rethrow_exception(std::exchange(error, nullptr));
    }
    check(status);
}

// Take ownership of a string liblxd returned, after checking the status of
// the call that returned it (the error details are read first).
inline std::string take_string(lxd_status status, char *s) {
    std::unique_ptr<char, void (*)(char *)> owned(s, lxd_string_free);
    check(status);
    return owned == nullptr ? std::string() : std::string(owned.get());
}

// Take ownership of bytes liblxd returned (lxd_bytes_free), after checking
// the status of the call that returned them.
inline std::string take_bytes(lxd_status status, std::uint8_t *data, std::size_t len) {
    std::unique_ptr<std::uint8_t, void (*)(std::uint8_t *)> owned(data, lxd_bytes_free);
    check(status);
    if (owned == nullptr) {
        return std::string();
    }
    return std::string(reinterpret_cast<const char *>(owned.get()), len);
}

// {"key": value} with a string value.
inline std::string one_arg(std::string_view key, std::string_view value) {
    JsonObject o;
    o.string(key, value);
    return o.str();
}

inline void append_utf8(std::string &out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// The strings of a JSON array of strings (what liblxd returns as a list of
// paths), unescaped. Anything else throws lxd::ProtocolError.
inline std::vector<std::string> parse_string_array(std::string_view json) {
    auto bad = [&]() -> ProtocolError {
        return ProtocolError(0, "expected a JSON array of strings from liblxd: " + std::string(json));
    };
    std::vector<std::string> out;
    std::size_t i = 0;
    auto ws = [&] {
        while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r')) {
            ++i;
        }
    };
    auto hex4 = [&]() -> unsigned long {
        if (i + 4 > json.size()) throw bad();
        unsigned long cp = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = json[i++];
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= static_cast<unsigned long>(c - '0');
            else if (c >= 'a' && c <= 'f') cp |= static_cast<unsigned long>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') cp |= static_cast<unsigned long>(c - 'A' + 10);
            else throw bad();
        }
        return cp;
    };
    ws();
    if (i >= json.size() || json[i++] != '[') throw bad();
    ws();
    if (i < json.size() && json[i] == ']') {
        ++i;
    } else {
        for (;;) {
            ws();
            if (i >= json.size() || json[i++] != '"') throw bad();
            std::string item;
            for (;;) {
                if (i >= json.size()) throw bad();
                char c = json[i++];
                if (c == '"') break;
                if (c != '\\') {
                    item += c;
                    continue;
                }
                if (i >= json.size()) throw bad();
                char e = json[i++];
                switch (e) {
                case 'n': item += '\n'; break;
                case 't': item += '\t'; break;
                case 'r': item += '\r'; break;
                case 'b': item += '\b'; break;
                case 'f': item += '\f'; break;
                case 'u': {
                    unsigned long cp = hex4();
                    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < json.size() && json[i] == '\\' &&
                        json[i + 1] == 'u') {
                        i += 2;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4() - 0xdc00);
                    }
                    append_utf8(item, cp);
                    break;
                }
                default: item += e; // " \\ /
                }
            }
            out.push_back(std::move(item));
            ws();
            if (i < json.size() && json[i] == ',') {
                ++i;
                continue;
            }
            if (i < json.size() && json[i] == ']') {
                ++i;
                break;
            }
            throw bad();
        }
    }
    ws();
    if (i != json.size()) throw bad();
    return out;
}

} // namespace detail

// ===========================================================================
// Exec results and sessions
// ===========================================================================

/// The outcome of ObjectRef::exec: exit code and byte-exact stdout/stderr.
/// Move-only.
class ExecResult {
  public:
    ExecResult() noexcept = default;
    /// Adopt a result from the C API (freed by this object).
    explicit ExecResult(lxd_exec_result *owned) noexcept : h_(owned) {}

    /// The command's exit code.
    [[nodiscard]] int exit_code() const {
        return lxd_exec_result_exit_code(h_.checked("lxd::ExecResult"));
    }
    /// The command's standard output, byte-exact (may hold NULs), as a
    /// view valid while this result lives.
    [[nodiscard]] std::string_view stdout_data() const & {
        std::size_t len = 0;
        const std::uint8_t *p = lxd_exec_result_stdout(h_.checked("lxd::ExecResult"), &len);
        return std::string_view(reinterpret_cast<const char *>(p), len);
    }
    /// On a temporary result (`obj.exec(...).stdout_data()`): a copy, so
    /// that nothing dangles.
    [[nodiscard]] std::string stdout_data() const && {
        return std::string(static_cast<const ExecResult &>(*this).stdout_data());
    }
    /// The command's standard error, as stdout_data().
    [[nodiscard]] std::string_view stderr_data() const & {
        std::size_t len = 0;
        const std::uint8_t *p = lxd_exec_result_stderr(h_.checked("lxd::ExecResult"), &len);
        return std::string_view(reinterpret_cast<const char *>(p), len);
    }
    /// On a temporary result: a copy, as stdout_data().
    [[nodiscard]] std::string stderr_data() const && {
        return std::string(static_cast<const ExecResult &>(*this).stderr_data());
    }

    /// Whether this result holds a handle (false once moved from).
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_exec_result *native() const noexcept { return h_.get(); }

  private:
    detail::Handle<lxd_exec_result, lxd_exec_result_free> h_;
};

/// A command running on a terminal in an instance (ObjectRef::exec_interactive).
/// Move-only; destroying a session whose command still runs makes LXD kill it.
class ExecSession {
  public:
    ExecSession() noexcept = default;
    /// Adopt a session from the C API.
    explicit ExecSession(lxd_exec_session *owned) noexcept : h_(owned) {}

    /// Write bytes to the terminal (the command's input).
    void write(ByteView data) {
        detail::check(lxd_exec_session_write(h(), data.data(), data.size()));
    }

    /// Read terminal output, waiting up to `timeout_ms` (negative: no limit;
    /// 0: only what has arrived). Returns the bytes read (at most
    /// `max_bytes`); an empty string at the end of output (the command
    /// ended); std::nullopt when nothing came in time.
    [[nodiscard]] std::optional<std::string> read(int timeout_ms = -1,
                                                  std::size_t max_bytes = 65536) {
        std::string buf(max_bytes == 0 ? 1 : max_bytes, '\0');
        std::size_t got = 0;
        lxd_status st = lxd_exec_session_read(h(), reinterpret_cast<std::uint8_t *>(buf.data()),
                                              buf.size(), timeout_ms, &got);
        if (st == LXD_ERR_TIMEOUT) {
            return std::nullopt;
        }
        detail::check(st);
        buf.resize(got);
        return buf;
    }

    /// Tell the command its terminal is now `width` x `height`.
    void resize(std::uint32_t width, std::uint32_t height) {
        detail::check(lxd_exec_session_resize(h(), width, height));
    }

    /// Send signal `signum` (e.g. 15, SIGTERM) to the command.
    void signal(int signum) { detail::check(lxd_exec_session_signal(h(), signum)); }

    /// Wait up to `timeout_ms` (negative: no limit) for the command to end;
    /// its exit code, or std::nullopt if it still runs (output that arrives
    /// meanwhile is kept for read()).
    [[nodiscard]] std::optional<int> wait(int timeout_ms = -1) {
        int code = -1;
        lxd_status st = lxd_exec_session_wait(h(), timeout_ms, &code);
        if (st == LXD_ERR_TIMEOUT) {
            return std::nullopt;
        }
        detail::check(st);
        return code;
    }

    /// End the session now (as the destructor does). Idempotent.
    void close() noexcept { h_.reset(); }
    /// Whether this session holds a handle.
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_exec_session *native() const noexcept { return h_.get(); }

  private:
    [[nodiscard]] lxd_exec_session *h() const { return h_.checked("lxd::ExecSession"); }
    detail::Handle<lxd_exec_session, lxd_exec_session_free> h_;
};

// ===========================================================================
// Objects
// ===========================================================================

class Client;
class Object;
class Files;
class List;
class ChildManager;

/// A non-owning handle to an LXD object of any kind: what a List yields,
/// and the base of the owning lxd::Object, so every operation is here.
/// Copyable; it must not outlive the List or Object it comes from.
///
/// Attribute values are JSON text both ways: a string reads back with its
/// quotes ("\"Running\""), a map as an object. Calls on one object are
/// thread-safe (liblxd serialises them). The managers of the objects that
/// live under this one (snapshots(), backups(), ...: see lxd_kinds.hpp)
/// come from detail::ChildManagers, generated from liblxd's kinds.
class ObjectRef : public detail::ChildManagers<ObjectRef, ChildManager> {
  public:
    ObjectRef() noexcept = default;
    /// Wrap a C object handle without taking ownership.
    explicit ObjectRef(lxd_obj *borrowed) noexcept : h_(borrowed) {}

    /// The object's kind.
    [[nodiscard]] Kind kind() const { return static_cast<Kind>(lxd_obj_kind(h())); }

    /// The key: name, fingerprint (images, certificates) or id (operations),
    /// as plain text, without any request.
    [[nodiscard]] std::string key() const {
        char *out = nullptr;
        detail::check(lxd_obj_key(h(), &out));
        return detail::take_string(out);
    }

    /// Read attribute `attr` as JSON text; local unsaved changes are seen.
    /// An attribute not loaded yet syncs the object first.
    /// Throws lxd::UnknownAttribute for an attribute the kind lacks.
    /// lxd::kind_info(kind()) lists the kind's attributes.
    [[nodiscard]] std::string get(std::string_view attr) const {
        detail::CStr a(attr, "attribute name");
        char *out = nullptr;
        detail::check(lxd_obj_get(h(), a.get(), &out));
        return detail::take_string(out);
    }

    /// Set attribute `attr` to the JSON value `json_value` (the whole
    /// value: setting "config" replaces the map). Marks the object dirty;
    /// nothing is sent until save(). Throws lxd::UnknownAttribute (no such
    /// attribute), lxd::ReadOnly (e.g. "name", "status"), then
    /// lxd::InvalidArgument for JSON that does not parse (the object is
    /// unchanged). lxd::kind_info(kind()) tells which attributes are writable.
    void set(std::string_view attr, std::string_view json_value) const {
        detail::CStr a(attr, "attribute name");
        detail::CStr v(json_value, "JSON value");
        detail::check(lxd_obj_set(h(), a.get(), v.get()));
    }

    /// Whether the object has local changes not saved yet.
    [[nodiscard]] bool dirty() const { return lxd_obj_dirty(h()); }

    /// Refresh from the server, keeping local changes (still dirty).
    void sync() const { detail::check(lxd_obj_sync(h())); }

    /// Discard local changes and take the server's state.
    void rollback() const { detail::check(lxd_obj_rollback(h())); }

    /// Write local changes (a PUT guarded by the ETag). Nothing dirty: no
    /// request. Throws lxd::PreconditionFailed when the object changed on
    /// the server since it was loaded (sync or rollback, then save again).
    /// `wait` false: return once accepted; see operation().
    void save(bool wait = true) const { detail::check(lxd_obj_save(h(), wait)); }

    /// Delete the object on the server (this handle stays valid).
    void remove(bool wait = true) const { detail::check(lxd_obj_delete(h(), wait)); }

    /// Rename an instance, profile, network, project, snapshot or backup
    /// (lxd::kind_info tells which kinds are `renamable`). The object
    /// follows the new name at once. (Instances use lxd_instance_rename,
    /// the others lxd_obj_rename; instances must be stopped.)
    void rename(std::string_view new_name, bool wait = true) const {
        detail::CStr n(new_name, "new name");
        lxd_obj *o = h();
        Kind k = kind();
        bool instance = k == Kind::Instance || k == Kind::Container || k == Kind::VirtualMachine;
        detail::check(instance ? lxd_instance_rename(o, n.get(), wait)
                               : lxd_obj_rename(o, n.get(), wait));
    }

    /// The whole object as one JSON object, local changes included.
    [[nodiscard]] std::string to_json() const {
        char *out = nullptr;
        detail::check(lxd_obj_to_json(h(), &out));
        return detail::take_string(out);
    }

    /// The background operation that this object's last call made with
    /// `wait` false started, or std::nullopt (none, or finished).
    [[nodiscard]] std::optional<Object> operation() const;

    /// Change part of the object on the server with LXD's PATCH: only the
    /// fields of `fields_json` change (maps such as "config" are merged key
    /// by key by LXD: a key set to "" is removed); everything else stays as
    /// it is on the server. Guarded by the ETag of the last sync. Local
    /// changes not saved yet stay local (and dirty). With `wait` the object
    /// is synced afterwards. Throws lxd::UnknownAttribute, lxd::ReadOnly
    /// (a field that cannot be set), lxd::InvalidArgument (not a JSON
    /// object; a kind without PATCH: see kind_info's `patchable`),
    /// lxd::PreconditionFailed (changed on the server since the last sync).
    void patch(std::string_view fields_json, bool wait = true) const {
        detail::CStr f(fields_json, "patch");
        detail::check(lxd_obj_patch(h(), f.get(), wait));
    }

    // ---- children and actions -------------------------------------------

    /// The objects of child kind `kind` under this object (e.g.
    /// Kind::InstanceSnapshot under an instance; lxd::parent_of tells a
    /// kind's parent). The named accessors (snapshots(), backups(), ...)
    /// call this. The view must not outlive this object.
    [[nodiscard]] ChildManager children(Kind kind) const;

    /// Run action `name` of this object's kind (lxd::kind_info lists each
    /// kind's `actions`, with their arguments), for actions that return
    /// nothing, a document or a background operation. `args_json`:
    /// std::nullopt or a JSON object of arguments. `wait`: for an action
    /// that starts an operation, wait for it to end (false: see
    /// operation()). Returns JSON text: "null", the document, or the
    /// operation. Throws lxd::InvalidArgument (no such action, bad
    /// arguments, or an action that returns bytes or a file),
    /// lxd::ExtensionMissing (before any request, when the server lacks
    /// the action's API extension), LXD's errors.
    std::string action(std::string_view name,
                       std::optional<std::string_view> args_json = std::nullopt,
                       bool wait = true) const {
        detail::CStr n(name, "action name");
        detail::OptCStr a(args_json, "arguments");
        char *out = nullptr;
        lxd_status st = lxd_obj_action(h(), n.get(), a.get(), wait, &out);
        return detail::take_string(st, out);
    }

    /// Run action `name` that returns bytes (an instance's "log",
    /// "console_log", "template"): the bytes, byte-exact. Throws as
    /// action(), and lxd::ResponseTooLarge over the client's max_response_bytes.
    [[nodiscard]] std::string action_bytes(std::string_view name,
                                           std::optional<std::string_view> args_json = std::nullopt) const {
        detail::CStr n(name, "action name");
        detail::OptCStr a(args_json, "arguments");
        std::uint8_t *data = nullptr;
        std::size_t len = 0;
        lxd_status st = lxd_obj_action_bytes(h(), n.get(), a.get(), &data, &len);
        return detail::take_bytes(st, data, len);
    }

    /// Run action `name` that returns a file (a backup's "export"),
    /// streaming it to `local_path` (replaced if it exists; removed again
    /// if the transfer fails), reporting progress to `progress` (return
    /// false to stop: lxd::Cancelled). Throws as action().
    void action_to_file(std::string_view name, std::optional<std::string_view> args_json,
                        std::string_view local_path, const ProgressCallback &progress = {}) const {
        detail::CStr n(name, "action name");
        detail::OptCStr a(args_json, "arguments");
        detail::CStr l(local_path, "local path");
        detail::ProgressContext ctx{&progress, nullptr};
        lxd_status st = lxd_obj_action_to_file(h(), n.get(), a.get(), l.get(),
                                               progress ? detail::progress_trampoline : nullptr,
                                               progress ? &ctx : nullptr);
        detail::check_after_callback(st, ctx.error);
    }

    // ---- instances -------------------------------------------------------

    /// Start an instance. `timeout_s` and `force` go to LXD (-1: LXD's
    /// default). With `wait`, returns once it runs (the object loads again on
    /// its next read).
    void start(int timeout_s = -1, bool force = false, bool wait = true) const {
        detail::check(lxd_instance_start(h(), timeout_s, force, wait));
    }
    /// Stop an instance: clean shutdown within `timeout_s`, or kill with `force`.
    void stop(int timeout_s = -1, bool force = false, bool wait = true) const {
        detail::check(lxd_instance_stop(h(), timeout_s, force, wait));
    }
    /// Restart an instance, as stop().
    void restart(int timeout_s = -1, bool force = false, bool wait = true) const {
        detail::check(lxd_instance_restart(h(), timeout_s, force, wait));
    }
    /// Freeze (pause) a running instance.
    void freeze(int timeout_s = -1, bool force = false, bool wait = true) const {
        detail::check(lxd_instance_freeze(h(), timeout_s, force, wait));
    }
    /// Unfreeze (resume) a frozen instance.
    void unfreeze(int timeout_s = -1, bool force = false, bool wait = true) const {
        detail::check(lxd_instance_unfreeze(h(), timeout_s, force, wait));
    }
    /// The runtime state as JSON: an instance's (status, processes,
    /// memory, network), or the action "state" of a network (addresses,
    /// counters), a storage volume (usage; the dir driver: lxd::ApiError
    /// "Not supported") or a project (resource usage).
    [[nodiscard]] std::string state() const {
        Kind k = kind();
        if (k != Kind::Instance && k != Kind::Container && k != Kind::VirtualMachine) {
            return action("state");
        }
        char *out = nullptr;
        detail::check(lxd_instance_state(h(), &out));
        return detail::take_string(out);
    }

    /// Run `command` (argv, not a shell line) in the running instance, feed
    /// it `stdin_data` (then end of file), and collect its output. Returns
    /// whatever the exit code. Throws lxd::NotFound when the command does
    /// not exist, lxd::Timeout when options.timeout_ms passed (the command
    /// is killed), lxd::ApiError when the instance is not running.
    [[nodiscard]] ExecResult exec(const std::vector<std::string> &command,
                                  const ExecOptions &options = {}, ByteView stdin_data = {}) const {
        std::string cmd = detail::command_json(command);
        std::string opts = options.to_json();
        lxd_exec_result *out = nullptr;
        lxd_status st = lxd_instance_exec(h(), cmd.c_str(), opts.c_str(), stdin_data.data(),
                                          stdin_data.size(), &out);
        ExecResult result(out);
        detail::check(st);
        return result;
    }

    /// Run `command` as exec() does, handing its output to `on_output`
    /// chunk by chunk as it arrives (on this thread). Returns the exit
    /// code. `on_output` empty discards the output. See OutputCallback
    /// for stopping and exceptions.
    int exec_stream(const std::vector<std::string> &command, const OutputCallback &on_output,
                    const ExecOptions &options = {}, ByteView stdin_data = {}) const {
        std::string cmd = detail::command_json(command);
        std::string opts = options.to_json();
        detail::OutputContext ctx{&on_output, nullptr};
        int code = -1;
        lxd_status st = lxd_instance_exec_stream(
            h(), cmd.c_str(), opts.c_str(), stdin_data.data(), stdin_data.size(),
            on_output ? detail::output_trampoline : nullptr, on_output ? &ctx : nullptr, &code);
        detail::check_after_callback(st, ctx.error);
        return code;
    }

    /// Start `command` on a terminal (stdout and stderr mixed), as `lxc
    /// exec` does without -T. options.width/height set the terminal size.
    [[nodiscard]] ExecSession exec_interactive(const std::vector<std::string> &command,
                                               const ExecOptions &options = {}) const {
        std::string cmd = detail::command_json(command);
        std::string opts = options.to_json();
        lxd_exec_session *out = nullptr;
        lxd_status st = lxd_instance_exec_interactive(h(), cmd.c_str(), opts.c_str(), &out);
        ExecSession session(out);
        detail::check(st);
        return session;
    }

    /// The instance's files (put/get/remove/mkdir/push/pull). The view
    /// must not outlive this object.
    [[nodiscard]] Files files() const;

    /// Attach to the running instance's console, as `lxc console`: a
    /// session like exec_interactive's on the console's terminal. read()
    /// gives what the instance writes to its console, write() types into
    /// it, resize() resizes it; there is no command, so signal() throws
    /// lxd::InvalidArgument and wait() gives 0 once LXD ends the console
    /// (the instance stopped). Destroying the session detaches; the
    /// instance goes on running. Throws lxd::ApiError when the instance is
    /// not running (or another client holds its console).
    [[nodiscard]] ExecSession console(const ConsoleOptions &options = {}) const {
        std::string opts = options.to_json();
        lxd_exec_session *out = nullptr;
        lxd_status st = lxd_instance_console(h(), opts.c_str(), &out);
        ExecSession session(out);
        detail::check(st);
        return session;
    }

    /// The instance's log files, as LXD lists them: a JSON array of their
    /// paths, e.g. ["/1.0/instances/c1/logs/lxc.log"] (the last part is
    /// the name for log() and delete_log()).
    [[nodiscard]] std::string logs() const { return doc_action(lxd_instance_logs, std::nullopt); }

    /// One log file's content (`name`, e.g. "lxc.log"). Throws lxd::NotFound.
    [[nodiscard]] std::string log(std::string_view name) const {
        return bytes_action(lxd_instance_log, detail::one_arg("name", name));
    }

    /// Delete one log file (LXD refuses the current lxc.log and console.log).
    void delete_log(std::string_view name) const {
        (void)doc_action(lxd_instance_delete_log, detail::one_arg("name", name));
    }

    /// The console log: what the instance wrote to its console, byte-exact.
    [[nodiscard]] std::string console_log() const {
        return bytes_action(lxd_instance_console_log, std::nullopt);
    }

    /// Empty the console log.
    void clear_console_log() const {
        (void)doc_action(lxd_instance_clear_console_log, std::nullopt);
    }

    /// The instance's metadata (its metadata.yaml) as JSON: architecture,
    /// creation_date, properties, templates.
    [[nodiscard]] std::string metadata() const {
        return doc_action(lxd_instance_metadata, std::nullopt);
    }

    /// Replace the instance's metadata with the JSON document `metadata_json`.
    void set_metadata(std::string_view metadata_json) const {
        (void)doc_action(lxd_instance_set_metadata, metadata_json);
    }

    /// Change part of the instance's metadata: the fields of `fields_json`.
    void patch_metadata(std::string_view fields_json) const {
        (void)doc_action(lxd_instance_patch_metadata, fields_json);
    }

    /// The names of the instance's template files, as a JSON array.
    [[nodiscard]] std::string templates() const {
        return doc_action(lxd_instance_templates, std::nullopt);
    }

    /// One template file's content (`path`: a name from templates()).
    /// Throws lxd::NotFound.
    [[nodiscard]] std::string get_template(std::string_view path) const {
        return bytes_action(lxd_instance_template, detail::one_arg("path", path));
    }

    /// Create or replace template file `path` with `content` (text: UTF-8).
    void put_template(std::string_view path, std::string_view content) const {
        detail::JsonObject a;
        a.string("path", path);
        a.string("content", content);
        (void)doc_action(lxd_instance_put_template, a.str());
    }

    /// Delete template file `path`.
    void delete_template(std::string_view path) const {
        (void)doc_action(lxd_instance_delete_template, detail::one_arg("path", path));
    }

    // ---- snapshots and backups ---------------------------------------------

    /// For a snapshot: restore its instance to it (files and
    /// configuration), or for a storage volume's snapshot its volume. For
    /// a cluster member: bring an evacuated member's instances back (see
    /// evacuate()). With `wait`, returns once done (else see operation()).
    /// Returns the operation as JSON.
    std::string restore(bool wait = true) const {
        DocActionFn fn = lxd_instance_snapshot_restore;
        switch (kind()) {
        case Kind::StorageVolumeSnapshot: fn = lxd_storage_volume_snapshot_restore; break;
        case Kind::ClusterMember: fn = lxd_cluster_member_restore; break;
        default: break;
        }
        return doc_action(fn, std::nullopt, wait);
    }

    /// Export to local files, streamed, reporting progress to `progress`
    /// (false stops it: lxd::Cancelled, and what was written is removed).
    /// Returns the paths written.
    ///
    /// For a backup: its tarball to file `path` (replaced if it exists);
    /// returns {path}. Client::import_instance makes an instance of it
    /// again; a storage volume's backup, import_volume a volume.
    ///
    /// For an image: into the existing folder `path`, one file for a
    /// unified image, two for a split one (metadata first, then the root
    /// filesystem), named as LXD names them (files of those names are
    /// replaced); returns their paths in that order. Manager::upload
    /// takes them back. Throws lxd::NotFound (no such image or folder).
    std::vector<std::string> export_to(std::string_view path,
                                       const ProgressCallback &progress = {}) const {
        detail::CStr l(path, "local path");
        detail::ProgressContext ctx{&progress, nullptr};
        lxd_progress_cb cb = progress ? detail::progress_trampoline : nullptr;
        void *user = progress ? &ctx : nullptr;
        if (kind() == Kind::Image) {
            char *files = nullptr;
            lxd_status st = lxd_image_export(h(), l.get(), cb, user, &files);
            std::unique_ptr<char, void (*)(char *)> owned(files, lxd_string_free);
            detail::check_after_callback(st, ctx.error);
            return detail::parse_string_array(owned ? owned.get() : "[]");
        }
        lxd_status st = kind() == Kind::StorageVolumeBackup
                            ? lxd_storage_volume_backup_export(h(), nullptr, l.get(), cb, user)
                            : lxd_instance_backup_export(h(), nullptr, l.get(), cb, user);
        detail::check_after_callback(st, ctx.error);
        return {std::string(path)};
    }

    // ---- networks and storage pools -----------------------------------------

    /// For a network: its DHCP leases, as JSON (an array; a managed
    /// bridge lists its gateway too). Action `leases`.
    [[nodiscard]] std::string leases() const {
        return doc_action(lxd_network_leases, std::nullopt);
    }

    /// For a network ACL: its log, the bytes LXD sends (action `log`; OVN
    /// networks only: LXD 5.0.2 refuses others with lxd::ApiError "Only
    /// OVN log entries may be retrieved at this time"). An instance's log
    /// files: log(name).
    [[nodiscard]] std::string log() const {
        return bytes_action(lxd_network_acl_log, std::nullopt);
    }

    /// For a storage pool: its space and inodes, used and total, as JSON
    /// (action `resources`; the host's: Client::resources()).
    [[nodiscard]] std::string resources() const {
        return doc_action(lxd_storage_pool_resources, std::nullopt);
    }

    // ---- storage volumes ---------------------------------------------------

    /// For a storage pool: create custom volume `name` from a volume
    /// backup tarball (a volume backup's export_to), streaming the file
    /// and reporting progress to `progress` (false stops it:
    /// lxd::Cancelled). `wait` true: returns the volume (key
    /// "custom/NAME"), loaded; false: once LXD accepted the upload (see
    /// operation()). Throws lxd::NotFound (no such local file),
    /// lxd::OperationFailed (e.g. the name is taken), lxd::InvalidArgument
    /// (not a pool; a name with a '/').
    Object import_volume(std::string_view local_path, std::string_view name, bool wait = true,
                         const ProgressCallback &progress = {}) const;

    // ---- images and moves between servers ------------------------------------

    /// For an instance (stopped: LXD refuses a running one) or a snapshot:
    /// publish it as a new image on the same server and project (`lxc
    /// publish`). `wait` true: returns the image, loaded (its
    /// fingerprint); false: at once, the image learning its fingerprint
    /// when its operation() ends. Throws lxd::OperationFailed (e.g. the
    /// instance runs, an alias is taken), lxd::InvalidArgument (not an
    /// instance nor a snapshot).
    Object publish(const PublishOptions &options = {}, bool wait = true) const;

    /// For an instance: copy it to the server of `target` (`lxc copy`), with
    /// its snapshots unless options.instance_only; both clients on one
    /// server: LXD's local copy. Returns the copy (an object of `target`),
    /// loaded with `wait`, else pending on its operation(). Throws
    /// lxd::Conflict (the name is taken on the target),
    /// lxd::OperationFailed (the target refused), lxd::InvalidArgument
    /// (CopyMode::Relay without wait; the server that must be reached
    /// listens on no network address). On failure the source is unchanged.
    Object copy_to(const Client &target, const CopyOptions &options, bool wait = true) const;

    /// For an image: copy it to the server of `target` (`lxc image copy`):
    /// the target pulls it over HTTPS from this image's server, a private
    /// image through a one-time secret. The copy is private unless
    /// options.public_; the image's aliases go along unless
    /// options.copy_aliases is false. The target having it already is
    /// fine (LXD keeps it as it is). Returns the copy (an image of
    /// `target`), loaded with `wait`, else pending on its operation().
    Object copy_to(const Client &target, const ImageCopyOptions &options,
                   bool wait = true) const;

    /// copy_to with default options, for an instance or an image alike.
    Object copy_to(const Client &target, bool wait = true) const;

    /// For a custom storage volume: copy it into storage pool `pool` (an
    /// object of Kind::StoragePool), with its snapshots unless
    /// options.volume_only: another pool of the same server (LXD's local
    /// copy), or a pool fetched through another server's client (in
    /// options.mode). Returns the copy (an object of the pool's client),
    /// loaded with `wait`, else pending on its operation(). Throws
    /// lxd::Conflict (the name is taken in the pool), lxd::InvalidArgument
    /// (not a custom volume, not a pool, CopyMode::Relay without wait).
    Object copy_to(const ObjectRef &pool, const VolumeCopyOptions &options = {},
                   bool wait = true) const;

    /// For a custom storage volume not attached to an instance: move it
    /// into `pool` (on one server LXD moves it, renaming it with
    /// options.name; to another server: copied, then the source deleted).
    /// Returns the moved volume.
    Object move_to(const ObjectRef &pool, const VolumeCopyOptions &options = {}) const;

    /// For a stopped instance: move it to the server of `target` (`lxc
    /// move`): copy_to with wait, then delete the source (options.name
    /// renames it on the way). Returns the moved instance; this object then
    /// names a deleted instance. Throws lxd::InvalidArgument (the instance
    /// runs), copy_to's errors (the source untouched).
    Object move_to(const Client &target, const CopyOptions &options = {}) const;

    /// For an image: a one-time secret that lets another server copy it
    /// even when it is private (liblxd's action `secret`). Returns the
    /// operation as JSON, not waited for (it ends when the secret is used,
    /// or is cancelled): the secret is its `metadata.secret`, for
    /// ImageSource::secret.
    [[nodiscard]] std::string secret() const {
        char *out = nullptr;
        lxd_status st = lxd_image_secret(h(), nullptr, false, &out);
        return detail::take_string(st, out);
    }

    /// For an image: have LXD refresh it from its source (images copied
    /// from a remote with auto_update; action `refresh`). Returns the
    /// operation as JSON (final with `wait`).
    std::string refresh(bool wait = true) const {
        char *out = nullptr;
        lxd_status st = lxd_image_refresh(h(), nullptr, wait, &out);
        return detail::take_string(st, out);
    }

    // ---- clusters ----------------------------------------------------------

    /// For the Cluster (client.cluster()): join this standalone server to
    /// an existing cluster (LXD's PUT /1.0/cluster, "enabled" true).
    /// `args_json`: a JSON object of server_name, server_address,
    /// cluster_address, cluster_certificate (PEM), cluster_password (a
    /// join token: Client::create_join_token's "token", made on a member
    /// of that cluster) and
    /// member_config. Returns the operation as JSON (final with `wait`;
    /// else see operation()). Throws lxd::InvalidArgument (not the
    /// Cluster, arguments that are not a JSON object), LXD's errors
    /// (lxd::OperationFailed: the join failed).
    std::string join(std::string_view args_json, bool wait = true) const {
        return doc_action(lxd_cluster_join, args_json, wait);
    }

    /// For the Cluster: replace the cluster's certificate and key on every
    /// member. `args_json`: {"cluster_certificate": PEM,
    /// "cluster_certificate_key": PEM}. Returns "null". Throws
    /// lxd::InvalidArgument (not the Cluster), lxd::ApiError (LXD refuses
    /// what is not PEM), lxd::ExtensionMissing (`clustering_update_cert`).
    std::string update_certificate(std::string_view args_json, bool wait = true) const {
        return doc_action(lxd_cluster_update_certificate, args_json, wait);
    }

    /// For a cluster member: move or stop its instances and mark it
    /// evacuated (`lxc cluster evacuate`); restore() undoes it. `mode`:
    /// "" (each instance's `cluster.evacuate` config decides), or "stop",
    /// "migrate" or "live-migrate" for all, which needs the API extension
    /// `clustering_evacuation_mode` (LXD 5.0.2 lacks it:
    /// lxd::ExtensionMissing, before any request). Returns the operation
    /// as JSON (final with `wait`; else see operation()). Throws
    /// lxd::InvalidArgument (not a cluster member), lxd::ExtensionMissing
    /// (`clustering_evacuation`; a mode without
    /// `clustering_evacuation_mode`), LXD's errors.
    std::string evacuate(std::string_view mode = "", bool wait = true) const {
        std::optional<std::string> args;
        if (!mode.empty()) {
            args = detail::one_arg("mode", mode);
        }
        return doc_action(lxd_cluster_member_evacuate, args, wait);
    }

    // ---- operations ------------------------------------------------------

    /// For an operation object: wait up to `timeout_s` seconds (negative:
    /// no limit) for it to end; its attributes then hold the final state.
    /// Throws lxd::OperationFailed (with LXD's err), lxd::Cancelled,
    /// lxd::Timeout (still running), lxd::InvalidArgument (not an operation).
    void wait(int timeout_s = -1) const { detail::check(lxd_operation_wait(h(), timeout_s)); }

    /// For an operation object: ask LXD to cancel it.
    void cancel() const { detail::check(lxd_operation_cancel(h())); }

    // ---- handle ------------------------------------------------------------

    /// Whether this refers to an object (false once moved from).
    explicit operator bool() const noexcept { return h_ != nullptr; }
    /// The C handle, or nullptr. Not owned by the caller.
    [[nodiscard]] lxd_obj *native() const noexcept { return h_; }

  protected:
    [[nodiscard]] lxd_obj *h() const {
        if (h_ == nullptr) {
            detail::throw_empty("lxd::Object");
        }
        return h_;
    }
    lxd_obj *h_ = nullptr;

  private:
    using DocActionFn = lxd_status (*)(const lxd_obj *, const char *, bool, char **);
    using BytesActionFn = lxd_status (*)(const lxd_obj *, const char *, std::uint8_t **,
                                         std::size_t *);

    // A generated lxd_<kind>_<action> of lxd_obj_action's shape (it
    // refuses an object of another kind), waited for unless `wait` is false.
    std::string doc_action(DocActionFn fn, std::optional<std::string_view> args_json,
                           bool wait = true) const {
        detail::OptCStr a(args_json, "arguments");
        char *out = nullptr;
        lxd_status st = fn(h(), a.get(), wait, &out);
        return detail::take_string(st, out);
    }
    // A generated lxd_<kind>_<action> of lxd_obj_action_bytes's shape.
    std::string bytes_action(BytesActionFn fn, std::optional<std::string_view> args_json) const {
        detail::OptCStr a(args_json, "arguments");
        std::uint8_t *data = nullptr;
        std::size_t len = 0;
        lxd_status st = fn(h(), a.get(), &data, &len);
        return detail::take_bytes(st, data, len);
    }
};

/// An LXD object that this program owns (freed when destroyed). Move-only;
/// every operation is ObjectRef's.
class Object : public ObjectRef {
  public:
    Object() noexcept = default;
    /// Adopt a C object handle (not one borrowed from a list).
    explicit Object(lxd_obj *owned) noexcept : ObjectRef(owned) {}
    Object(const Object &) = delete;
    Object &operator=(const Object &) = delete;
    Object(Object &&other) noexcept : ObjectRef(std::exchange(other.h_, nullptr)) {}
    Object &operator=(Object &&other) noexcept {
        if (this != &other) {
            reset();
            h_ = std::exchange(other.h_, nullptr);
        }
        return *this;
    }
    ~Object() { reset(); }

    /// Free the handle now (the object on the server is untouched).
    void reset() noexcept { lxd_obj_free(std::exchange(h_, nullptr)); }
    /// Give up ownership: the caller must lxd_obj_free the result.
    [[nodiscard]] lxd_obj *release() noexcept { return std::exchange(h_, nullptr); }
};

inline std::optional<Object> ObjectRef::operation() const {
    lxd_obj *out = nullptr;
    lxd_status st = lxd_obj_operation(h(), &out);
    Object op(out);
    detail::check(st);
    if (!op) {
        return std::nullopt;
    }
    return std::optional<Object>(std::move(op));
}

/// File operations on an instance (from ObjectRef::files()); a view that
/// must not outlive its object. Paths in the instance are absolute.
class Files {
  public:
    /// A view of the files of the instance `instance` (not owned).
    explicit Files(lxd_obj *instance) noexcept : h_(instance) {}

    /// Write `data` to file `path`, creating or replacing it (or appending,
    /// with options.append). Throws lxd::NotFound when the folder is missing.
    void put(std::string_view path, ByteView data, const FileOptions &options = {}) const {
        detail::CStr p(path, "path");
        std::string opts = options.to_json();
        detail::check(lxd_instance_file_put(h(), p.get(), data.data(), data.size(), opts.c_str()));
    }

    /// Read file `path` into memory, byte-exact (symlinks followed).
    /// Throws lxd::NotFound, lxd::InvalidArgument for a folder.
    [[nodiscard]] std::string get(std::string_view path) const {
        detail::CStr p(path, "path");
        std::uint8_t *data = nullptr;
        std::size_t len = 0;
        detail::check(lxd_instance_file_get(h(), p.get(), &data, &len));
        std::unique_ptr<std::uint8_t, void (*)(std::uint8_t *)> owned(data, lxd_bytes_free);
        return std::string(reinterpret_cast<const char *>(owned.get()), len);
    }

    /// Remove file (or empty folder) `path`.
    void remove(std::string_view path) const {
        detail::CStr p(path, "path");
        detail::check(lxd_instance_file_delete(h(), p.get()));
    }

    /// Create folder `path` (options.parents: with missing parents). An
    /// existing folder is fine; a file in the way is lxd::Conflict.
    void mkdir(std::string_view path, const FileOptions &options = {}) const {
        detail::CStr p(path, "path");
        std::string opts = options.to_json();
        detail::check(lxd_instance_file_mkdir(h(), p.get(), opts.c_str()));
    }

    /// Copy local file or folder `local_path` to `remote_path` in the
    /// instance (streamed from disk), reporting progress to `progress`.
    void push(std::string_view local_path, std::string_view remote_path,
              const FileOptions &options = {}, const ProgressCallback &progress = {}) const {
        detail::CStr l(local_path, "local path");
        detail::CStr r(remote_path, "remote path");
        std::string opts = options.to_json();
        detail::ProgressContext ctx{&progress, nullptr};
        lxd_status st = lxd_instance_file_push(h(), l.get(), r.get(), opts.c_str(),
                                               progress ? detail::progress_trampoline : nullptr,
                                               progress ? &ctx : nullptr);
        detail::check_after_callback(st, ctx.error);
    }

    /// Copy `remote_path` (file or folder) of the instance to `local_path`
    /// (streamed to disk). Throws lxd::UnsafePath, writing nothing, for a
    /// remote tree with names or symlinks that would escape `local_path`.
    /// Files get the permission bits (0777) of their remote mode; the
    /// set-uid, set-gid and sticky bits are dropped, as `lxc file pull`
    /// does, unless options.keep_special_bits (the only option pull takes;
    /// it comes last so that existing calls keep their meaning).
    void pull(std::string_view remote_path, std::string_view local_path,
              const ProgressCallback &progress = {}, const FileOptions &options = {}) const {
        detail::CStr r(remote_path, "remote path");
        detail::CStr l(local_path, "local path");
        std::string opts = options.to_json();
        detail::ProgressContext ctx{&progress, nullptr};
        lxd_status st = lxd_instance_file_pull_ext(
            h(), r.get(), l.get(), opts.c_str(), progress ? detail::progress_trampoline : nullptr,
            progress ? &ctx : nullptr);
        detail::check_after_callback(st, ctx.error);
    }

  private:
    [[nodiscard]] lxd_obj *h() const {
        if (h_ == nullptr) {
            detail::throw_empty("lxd::Files");
        }
        return h_;
    }
    lxd_obj *h_;
};

inline Files ObjectRef::files() const {
    return Files(h());
}

/// A list of objects (Manager::all()). Move-only; iterable (yields
/// ObjectRef, valid while the list lives), size(), operator[].
class List {
  public:
    /// Iterates the objects of a list as ObjectRef values.
    class iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = ObjectRef;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = ObjectRef;

        iterator() noexcept = default;
        iterator(const lxd_list *list, std::size_t i) noexcept : list_(list), i_(i) {}
        ObjectRef operator*() const { return ObjectRef(lxd_list_get(list_, i_)); }
        iterator &operator++() noexcept {
            ++i_;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++i_;
            return old;
        }
        bool operator==(const iterator &o) const noexcept { return list_ == o.list_ && i_ == o.i_; }
        bool operator!=(const iterator &o) const noexcept { return !(*this == o); }

      private:
        const lxd_list *list_ = nullptr;
        std::size_t i_ = 0;
    };

    List() noexcept = default;
    /// Adopt a C list.
    explicit List(lxd_list *owned) noexcept : h_(owned) {}

    /// The number of objects.
    [[nodiscard]] std::size_t size() const { return lxd_list_len(h()); }
    /// Whether the list has no object.
    [[nodiscard]] bool empty() const { return size() == 0; }
    /// The object at `i` (borrowed: valid while the list lives). Throws
    /// std::out_of_range past the end.
    [[nodiscard]] ObjectRef operator[](std::size_t i) const {
        lxd_obj *o = lxd_list_get(h(), i);
        if (o == nullptr) {
            throw std::out_of_range("lxd::List index " + std::to_string(i) +
                                    " out of range (size " + std::to_string(size()) + ")");
        }
        return ObjectRef(o);
    }
    /// As operator[].
    [[nodiscard]] ObjectRef at(std::size_t i) const { return (*this)[i]; }
    [[nodiscard]] iterator begin() const { return iterator(h(), 0); }
    [[nodiscard]] iterator end() const { return iterator(h(), lxd_list_len(h())); }

    /// Whether this holds a list (false once moved from).
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_list *native() const noexcept { return h_.get(); }

  private:
    [[nodiscard]] lxd_list *h() const { return h_.checked("lxd::List"); }
    detail::Handle<lxd_list, lxd_list_free> h_;
};

/// The objects of a child kind under one parent object, as Manager is for
/// the top-level kinds: `inst.snapshots()`, `inst.backups()`, or
/// `obj.children(kind)`. A view of its parent: it must not outlive it.
/// Children are ordinary objects (get/set/save/patch/rename/remove, and
/// their kind's actions: a snapshot's restore(), a backup's export_to()).
class ChildManager {
  public:
    /// The objects of `kind` under `parent` (not owned).
    ChildManager(const ObjectRef &parent, Kind kind) noexcept
        : parent_(parent.native()), kind_(kind) {}

    /// The kind managed.
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

    /// The kind managed, described as JSON: lxd::kind_info(kind()). No request.
    [[nodiscard]] std::string info() const { return kind_info(kind_); }

    /// Fetch one child by key (its name), fully loaded. Throws
    /// lxd::NotFound, lxd::InvalidArgument (the parent is not of the
    /// kind's parent kind), lxd::ExtensionMissing (before any request).
    [[nodiscard]] Object get(std::string_view key) const {
        detail::CStr k(key, "key");
        lxd_obj *out = nullptr;
        lxd_status st = lxd_child_get(parent(), static_cast<lxd_kind>(kind_), k.get(), &out);
        Object obj(out);
        detail::check(st);
        return obj;
    }

    /// Whether the parent has a child with this key.
    [[nodiscard]] bool exists(std::string_view key) const {
        detail::CStr k(key, "key");
        bool out = false;
        detail::check(lxd_child_exists(parent(), static_cast<lxd_kind>(kind_), k.get(), &out));
        return out;
    }

    /// All children of the kind under the parent, in one request.
    [[nodiscard]] List all() const {
        lxd_list *out = nullptr;
        lxd_status st = lxd_child_all(parent(), static_cast<lxd_kind>(kind_), &out);
        List list(out);
        detail::check(st);
        return list;
    }

    /// Create a child from `definition_json`, the body of LXD's POST for
    /// it: a snapshot R"({"name":"s0","stateful":false,"expires_at":"2030-01-01T00:00:00Z"})",
    /// a backup R"({"name":"b0","instance_only":true,"compression_algorithm":"gzip"})".
    /// Without a name LXD picks one (snap0, backup0), which the object
    /// learns once created. `wait` false: return once accepted (see
    /// ObjectRef::operation()).
    Object create(std::string_view definition_json, bool wait = true) const {
        detail::CStr d(definition_json, "definition");
        lxd_obj *out = nullptr;
        lxd_status st =
            lxd_child_create(parent(), static_cast<lxd_kind>(kind_), d.get(), wait, &out);
        Object obj(out);
        detail::check(st);
        return obj;
    }

  private:
    [[nodiscard]] lxd_obj *parent() const {
        if (parent_ == nullptr) {
            detail::throw_empty("lxd::ChildManager's parent");
        }
        return parent_;
    }
    lxd_obj *parent_;
    Kind kind_;
};

inline ChildManager ObjectRef::children(Kind kind) const {
    return ChildManager(ObjectRef(h()), kind);
}

// ===========================================================================
// Events
// ===========================================================================

/// An open event stream (Client::events()): a pull API read on the
/// caller's thread. Events after it opened are queued until read. Move-only.
class Events {
  public:
    Events() noexcept = default;
    /// Adopt a C event stream.
    explicit Events(lxd_events *owned) noexcept : h_(owned) {}

    /// The next event as LXD's JSON, waiting up to `timeout_ms` (negative:
    /// no limit; 0: only one already there); std::nullopt on timeout (the
    /// stream stays usable). Throws lxd::ConnectionError when the server
    /// closed the stream.
    [[nodiscard]] std::optional<std::string> next(int timeout_ms = -1) {
        char *out = nullptr;
        lxd_status st = lxd_events_next(h(), timeout_ms, &out);
        if (st == LXD_ERR_TIMEOUT) {
            return std::nullopt;
        }
        detail::check(st);
        return detail::take_string(out);
    }

    /// As next(int), with a std::chrono duration.
    template <typename Rep, typename Period>
    [[nodiscard]] std::optional<std::string> next(std::chrono::duration<Rep, Period> timeout) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
        return next(static_cast<int>(ms));
    }

    /// Close the stream now (as the destructor does). Idempotent.
    void close() noexcept { h_.reset(); }
    /// Whether the stream is open.
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_events *native() const noexcept { return h_.get(); }

  private:
    [[nodiscard]] lxd_events *h() const { return h_.checked("lxd::Events"); }
    detail::Handle<lxd_events, lxd_events_free> h_;
};

/// Receives each event (LXD's JSON) on liblxd's listener thread. Return
/// true to go on, false to stop listening.
using EventCallback = std::function<bool(std::string_view event_json)>;

/// Receives the error that ended a listener's stream (e.g.
/// lxd::ConnectionError when the daemon went away), on the listener thread.
using EventErrorCallback = std::function<void(const Error &error)>;

namespace detail {

struct ListenerState {
    EventCallback on_event;
    EventErrorCallback on_error;
    std::atomic<bool> active{true};
    std::mutex mutex;
    std::exception_ptr error; // guarded by mutex
};

inline std::exception_ptr make_error(lxd_status status, int http, std::string message) {
    try {
        throw_error(status, http, std::move(message));
    } catch (...) {
        return std::current_exception();
    }
}

inline int event_trampoline(lxd_status status, const char *event_json, void *user) noexcept {
    auto *state = static_cast<ListenerState *>(user);
    try {
        if (status != LXD_OK) {
            state->active = false;
            std::exception_ptr e =
                make_error(status, 0, event_json != nullptr ? event_json : "event stream failed");
            {
                std::lock_guard<std::mutex> lock(state->mutex);
                if (!state->error) {
                    state->error = e;
                }
            }
            if (state->on_error) {
                try {
                    std::rethrow_exception(e);
                } catch (const Error &err) {
                    state->on_error(err);
                }
            }
            return 1;
        }
        if (!state->on_event(event_json != nullptr ? event_json : "")) {
            state->active = false;
            return 1;
        }
        return 0;
    } catch (...) {
        state->active = false;
        std::lock_guard<std::mutex> lock(state->mutex);
        state->error = std::current_exception();
        return 1;
    }
}

} // namespace detail

/// Events delivered to a callback on liblxd's own background thread, one
/// at a time, in order (Client::listen()). Move-only; destroying or
/// stop()ping it guarantees no callback runs afterwards. Do not destroy it
/// from inside its own callback: return false instead.
class EventListener {
  public:
    EventListener() noexcept = default;
    EventListener(EventListener &&) noexcept = default;
    EventListener &operator=(EventListener &&other) noexcept {
        if (this != &other) {
            h_.reset(); // stop our own callbacks before dropping their state
            h_ = std::move(other.h_);
            state_ = std::move(other.state_);
        }
        return *this;
    }
    ~EventListener() { h_.reset(); }

    /// Whether events still reach the callback: false once it returned
    /// false or threw, once the stream failed, and after stop().
    [[nodiscard]] bool active() const noexcept {
        return h_.get() != nullptr && state_ && state_->active.load();
    }

    /// The exception the callback threw, or the error that ended the
    /// stream; nullptr if none.
    [[nodiscard]] std::exception_ptr error() const {
        if (!state_) {
            return nullptr;
        }
        std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->error;
    }

    /// Stop listening (no callback runs after this returns), then rethrow
    /// what error() holds, if anything. Idempotent.
    void stop() {
        h_.reset();
        if (state_) {
            state_->active = false;
            std::exception_ptr e = error();
            state_.reset();
            if (e) {
                std::rethrow_exception(e);
            }
        }
    }

    /// Whether this holds a listener.
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_events_listener *native() const noexcept { return h_.get(); }

  private:
    friend class Client;
    // Declared first, destroyed last: h_ (the C listener) goes before state_.
    std::unique_ptr<detail::ListenerState> state_;
    detail::Handle<lxd_events_listener, lxd_events_listener_free> h_;
};

// ===========================================================================
// Warnings
// ===========================================================================

/// Receives a warning about an attribute the server sent that liblxd's
/// schema for the object's kind does not list: pylxd's class name
/// ("Instance", "Profile", ...), the attribute, and the message
/// `Attempted to set unknown attribute "x" on instance of "Instance"`.
/// It runs on the thread whose liblxd call received the object, inside
/// that call; it must not use that same object. An exception it throws is
/// rethrown by that call once liblxd returns.
using WarningCallback = std::function<void(std::string_view object_class,
                                           std::string_view attribute, std::string_view message)>;

/// How often unknown-attribute warnings are issued.
enum class WarningMode : lxd_warning_mode {
    Once = LXD_WARNINGS_ONCE,     ///< once per (class, attribute) per process (default)
    Always = LXD_WARNINGS_ALWAYS, ///< for every object received
    None = LXD_WARNINGS_NONE,     ///< never
};

namespace detail {

struct WarningState {
    std::mutex mutex;
    std::shared_ptr<const WarningCallback> callback;
};

// Never destroyed: liblxd may warn from any thread until the process ends.
inline WarningState &warning_state() {
    static WarningState *state = new WarningState;
    return *state;
}

inline void warning_trampoline(const char *object_class, const char *attribute, const char *message,
                               void *) noexcept {
    std::shared_ptr<const WarningCallback> cb;
    {
        WarningState &s = warning_state();
        std::lock_guard<std::mutex> lock(s.mutex);
        cb = s.callback;
    }
    if (!cb) {
        return;
    }
    try {
        (*cb)(object_class != nullptr ? object_class : "", attribute != nullptr ? attribute : "",
              message != nullptr ? message : "");
    } catch (...) {
        std::exception_ptr &pending = pending_exception();
        if (!pending) {
            pending = std::current_exception();
        }
    }
}

} // namespace detail

/// Send warnings to `callback` instead of stderr; an empty function
/// restores stderr. Process-wide; safe from any thread. The function is
/// kept (copied) until replaced. See WarningCallback for its thread.
inline void set_warning_callback(WarningCallback callback) {
    detail::WarningState &s = detail::warning_state();
    // The callback replaced, destroyed at the end (once liblxd has the new one).
    std::shared_ptr<const WarningCallback> prev;
    bool set = static_cast<bool>(callback);
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        prev = std::exchange(s.callback,
                             set ? std::make_shared<const WarningCallback>(std::move(callback))
                                 : nullptr);
    }
    lxd_set_warning_callback(set ? detail::warning_trampoline : nullptr, nullptr);
}

/// Choose the warning mode (overrides the LIBLXD_WARNINGS environment
/// variable). Process-wide. Throws lxd::InvalidArgument for an unknown value.
inline void set_warning_mode(WarningMode mode) {
    detail::check(lxd_set_warning_mode(static_cast<lxd_warning_mode>(mode)));
}

// ===========================================================================
// Client and managers
// ===========================================================================

class Client;

/// The objects of one kind, as pylxd's `client.containers` and friends:
/// get, exists, all, create. A view of its Client: it must not outlive it.
class Manager {
  public:
    /// The objects of `kind` through `client`.
    Manager(const Client &client, Kind kind) noexcept : client_(&client), kind_(kind) {}

    /// The kind managed.
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

    /// The kind managed, described as JSON: lxd::kind_info(kind()). No request.
    [[nodiscard]] std::string info() const { return kind_info(kind_); }

    /// Fetch one object by key (name; fingerprint for images and
    /// certificates; id for operations), fully loaded. Throws lxd::NotFound.
    [[nodiscard]] Object get(std::string_view key) const;

    /// Whether an object with this key exists.
    [[nodiscard]] bool exists(std::string_view key) const;

    /// All objects of the kind (in the client's project), in one request.
    [[nodiscard]] List all() const;

    /// Create an object from `definition_json`, the body of LXD's POST for
    /// the kind, e.g. R"({"name":"c1","source":{"type":"image","alias":"busybox"}})".
    /// `wait` false: return once accepted; see ObjectRef::operation().
    Object create(std::string_view definition_json, bool wait = true) const;

    /// Images only: fetch the image an alias points at.
    [[nodiscard]] Object get_by_alias(std::string_view alias) const;

    /// Images only: upload an image from local files, streamed (memory
    /// stays flat): `local_path` is a unified tarball, or with
    /// options.rootfs the metadata tarball of a split image. Reports the
    /// bytes of the files sent to `progress` (false stops it:
    /// lxd::Cancelled). `wait` true: returns once LXD stored it, loaded
    /// (its fingerprint); false: once LXD accepted it (see
    /// ObjectRef::operation()); aliases and auto_update need `wait`.
    /// Throws lxd::Conflict (the server has this image already),
    /// lxd::NotFound (no such local file), lxd::OperationFailed (not an image).
    Object upload(std::string_view local_path, const UploadOptions &options = {},
                  bool wait = true, const ProgressCallback &progress = {}) const;

    /// Images only: bring an image from a remote image server onto this
    /// client's server, which downloads it itself (so it must reach it).
    /// Returns the image, loaded with `wait`, else pending on its
    /// operation(). Throws lxd::InvalidArgument (a source without server
    /// URL, or without exactly one of alias and fingerprint, an unknown
    /// protocol), lxd::OperationFailed (the server could not fetch it).
    Object pull(const ImageSource &source, const PullOptions &options = {},
                bool wait = true) const;

  private:
    [[nodiscard]] lxd_client *client() const;
    const Client *client_;
    Kind kind_;
};

/// A connection to one LXD daemon, or to the members of one cluster.
/// Move-only. Safe to use from many threads at once (connections are kept
/// alive and reused). Objects made from it stay valid after it is
/// destroyed; Managers do not. The named managers (instances(),
/// containers(), images(), ...: see lxd_kinds.hpp) come from
/// detail::KindManagers, generated from liblxd's kinds.
///
/// Several endpoints (the members of one cluster: a comma list, and/or
/// ClientOptions::endpoints): requests go to the first member, in the
/// order given, that has not failed lately. A member that stops answering
/// (connection refused or reset, timeout_ms passed) is left alone for a
/// back-off (0.5 s, doubling up to 8 s, reset once it answers) and the
/// request goes to the next member when that is safe: always if no
/// connection carried it; once sent, only GET/HEAD and PUT/PATCH/DELETE
/// guarded by an ETag (ObjectRef::save sends one). Any other request that
/// may have reached the member (a POST: a create, a rename, an exec) is
/// never resent: it throws lxd::ConnectionError saying it may have been
/// applied, and the next call goes to the next member. A wait for an
/// operation whose member went down throws lxd::OperationLost.
/// ClientOptions::failover false: only the first endpoint is used.
class Client : public detail::KindManagers<Client, Manager, Object> {
  public:
    /// Connect and check the daemon answers (GET /1.0). `endpoint`:
    /// std::nullopt for the local daemon's unix socket, a socket path
    /// (optionally "unix:"-prefixed), "https://host[:port]", or the
    /// members of one cluster separated by commas
    /// ("https://10.0.0.1:8443,https://10.0.0.2:8443"; more in
    /// ClientOptions::endpoints). `options_json`: liblxd's options as JSON
    /// (see ClientOptions). Throws lxd::ConnectionError (no endpoint
    /// answers), lxd::TlsError, lxd::InvalidArgument, ...
    explicit Client(std::optional<std::string_view> endpoint = std::nullopt,
                    std::optional<std::string_view> options_json = std::nullopt) {
        detail::OptCStr e(endpoint, "endpoint");
        detail::OptCStr o(options_json, "options");
        lxd_client *out = nullptr;
        lxd_status st = lxd_client_new(e.get(), o.get(), &out);
        h_ = detail::Handle<lxd_client, lxd_client_free>(out);
        detail::check(st);
    }

    /// As above, with typed options.
    Client(std::optional<std::string_view> endpoint, const ClientOptions &options)
        : Client(endpoint, std::string_view(options.to_json())) {}

    /// Adopt a C client.
    explicit Client(lxd_client *owned) noexcept : h_(owned) {}

    /// A client on the same connections, members and options, with
    /// another project and/or cluster target (as the Go client's
    /// UseProject/UseTarget): each is lxd::keep (the default: this
    /// client's), lxd::drop or nullptr (none: the default project, no
    /// target), or a string (a project; a member's name or "@group").
    /// Objects fetched through it keep its project and target. No request
    /// is made; both clients stay valid independently of each other, e.g.
    /// client.derive(lxd::keep, "m2"), client.derive("web").
    [[nodiscard]] Client derive(const Setting &project, const Setting &target = keep) const {
        detail::JsonObject o;
        auto add = [&o](const char *name, const Setting &setting) {
            if (setting.dropped()) {
                o.raw(name, "null");
            } else if (!setting.kept()) {
                detail::CStr checked(setting.value(), name); // no NUL byte
                o.string(name, setting.value());
            }
        };
        add("project", project);
        add("target", target);
        std::string opts = o.str();
        lxd_client *out = nullptr;
        lxd_status st = lxd_client_derive(h(), opts.c_str(), &out);
        Client derived(out);
        detail::check(st);
        return derived;
    }

    /// The endpoint requests go to now: with several members, the one in
    /// use (e.g. "https://10.0.0.2:8443"): the first, in the order given,
    /// whose back-off is not running (so a member that failed is named
    /// again once its back-off is over, until a request finds it still
    /// down); a socket path for a unix socket. No request is made.
    [[nodiscard]] std::string endpoint() const {
        char *out = nullptr;
        lxd_status st = lxd_client_endpoint(h(), &out);
        return detail::take_string(st, out);
    }

    /// The server's information (GET /1.0 metadata) as JSON, freshly read.
    [[nodiscard]] std::string host_info() const {
        char *out = nullptr;
        detail::check(lxd_client_host_info(h(), &out));
        return detail::take_string(out);
    }

    /// Whether the server has API extension `name` (as of the last host
    /// info read). Does not block.
    [[nodiscard]] bool has_api_extension(std::string_view name) const {
        detail::CStr n(name, "extension name");
        return lxd_client_has_api_extension(h(), n.get());
    }

    /// Whether the server trusts this client. Does not block.
    [[nodiscard]] bool trusted() const { return lxd_client_trusted(h()); }

    /// Ask the server to trust this HTTPS client's certificate, with LXD's
    /// trust password or a trust token (another client's
    /// create_trust_token: its "token"). Throws lxd::Forbidden for a wrong
    /// password or token.
    void authenticate(std::string_view password) const {
        detail::CStr p(password, "password");
        detail::check(lxd_client_authenticate(h(), p.get()));
    }

    /// The raw API: send `method` to `path` (e.g. "/1.0/instances") with an
    /// optional JSON body; returns LXD's whole response document. Error
    /// responses throw (lxd::NotFound, ...); async ones are returned as is.
    [[nodiscard]] std::string api(std::string_view method, std::string_view path,
                                  std::optional<std::string_view> body_json = std::nullopt) const {
        detail::CStr m(method, "method");
        detail::CStr p(path, "path");
        detail::OptCStr b(body_json, "body");
        char *out = nullptr;
        detail::check(lxd_api(h(), m.get(), p.get(), b.get(), &out));
        return detail::take_string(out);
    }

    /// The manager of any kind.
    [[nodiscard]] Manager manager(Kind kind) const noexcept { return Manager(*this, kind); }

    /// The one object of a singleton kind (lxd::is_singleton: Kind::Server,
    /// Kind::Cluster; server() and cluster() call this), fully loaded with
    /// its ETag: its writable attributes are set()/save()d, rollback()ed
    /// as any object's (and patch()ed where kind_info says `patchable`).
    /// Throws lxd::InvalidArgument, before any request, for a kind that is
    /// not a singleton; lxd::ExtensionMissing when the server lacks the
    /// kind's API extension.
    [[nodiscard]] Object singleton(Kind kind) const {
        if (!is_singleton(kind)) {
            throw InvalidArgument(0, std::string(to_string(kind)) + " is not a singleton kind");
        }
        lxd_obj *out = nullptr;
        lxd_status st = lxd_get(h(), static_cast<lxd_kind>(kind), "", &out);
        Object obj(out);
        detail::check(st);
        return obj;
    }

    /// Make a one-time trust token for a new client (`lxc config trust
    /// add`): a new HTTPS client with a certificate of its own hands
    /// its `token` to authenticate() and is trusted. Returns LXD's
    /// answer as JSON: {"id", "token", "client_name", "fingerprint",
    /// "addresses", "expires_at", "created_at"}. Throws
    /// lxd::InvalidArgument (no name), LXD's errors.
    [[nodiscard]] std::string create_trust_token(const TrustTokenOptions &options) const {
        std::string o = options.to_json();
        char *out = nullptr;
        lxd_status st = lxd_certificate_token_create(h(), o.c_str(), &out);
        return detail::take_string(st, out);
    }

    /// The pending trust tokens, as a JSON array of what
    /// create_trust_token returns.
    [[nodiscard]] std::string trust_tokens() const {
        char *out = nullptr;
        lxd_status st = lxd_certificate_tokens(h(), &out);
        return detail::take_string(st, out);
    }

    /// Revoke a pending trust token by its "id" or its client's name.
    /// Throws lxd::NotFound (no such pending token).
    void revoke_trust_token(std::string_view id_or_name) const {
        detail::CStr n(id_or_name, "token id or name");
        detail::check(lxd_certificate_token_revoke(h(), n.get()));
    }

    /// Make a one-time join token for a new cluster member `server_name`
    /// (`lxc cluster add NAME`): the new server gives its "token" to
    /// ObjectRef::join as cluster_password and becomes member NAME.
    /// Returns JSON: {"id", "token", "server_name", "fingerprint",
    /// "addresses", "expires_at", "created_at"} ("token" is the string
    /// lxc prints, "id" the pending operation). Throws
    /// lxd::InvalidArgument (an empty name), LXD's errors (lxd::ApiError:
    /// not clustered; a name in use).
    [[nodiscard]] std::string create_join_token(std::string_view server_name) const {
        detail::CStr n(server_name, "server name");
        detail::JsonObject o;
        o.string("server_name", server_name);
        std::string opts = o.str();
        char *out = nullptr;
        lxd_status st = lxd_cluster_join_token_create(h(), opts.c_str(), &out);
        return detail::take_string(st, out);
    }

    /// The pending cluster join tokens (`lxc cluster list-tokens`), as a
    /// JSON array of what create_join_token returns.
    [[nodiscard]] std::string join_tokens() const {
        char *out = nullptr;
        lxd_status st = lxd_cluster_join_tokens(h(), &out);
        return detail::take_string(st, out);
    }

    /// Revoke a pending cluster join token by its "id" or its member's
    /// name (`lxc cluster revoke-token`). Throws lxd::NotFound (no such
    /// pending token).
    void revoke_join_token(std::string_view id_or_name) const {
        detail::CStr n(id_or_name, "token id or name");
        detail::check(lxd_cluster_join_token_revoke(h(), n.get()));
    }

    /// The server's hardware (GET /1.0/resources: cpu, memory, gpu,
    /// network, storage, usb, pci, system) as JSON; in a cluster, the
    /// target member's (see ClientOptions::target, derive).
    [[nodiscard]] std::string resources() const {
        char *out = nullptr;
        lxd_status st = lxd_client_resources(h(), &out);
        return detail::take_string(st, out);
    }

    /// The server's metrics (GET /1.0/metrics, OpenMetrics text: the
    /// running instances of the client's project, ending "# EOF"). Over
    /// HTTPS the certificate must be trusted: lxd::Forbidden otherwise.
    /// (LXD 5.0.2 serves them over the unix socket as well.)
    [[nodiscard]] std::string metrics() const {
        std::uint8_t *data = nullptr;
        std::size_t len = 0;
        lxd_status st = lxd_client_metrics(h(), &data, &len);
        return detail::take_bytes(st, data, len);
    }
    /// Run action `name` of the whole collection of top-level `kind`
    /// (lxd::kind_info lists actions whose `on` is "collection"), e.g.
    /// Kind::Instance's "set_state_all". Returns JSON text as
    /// ObjectRef::action: the operation (final when waited for, as it
    /// started otherwise). Throws as ObjectRef::action.
    std::string collection_action(Kind kind, std::string_view name,
                                  std::optional<std::string_view> args_json = std::nullopt,
                                  bool wait = true) const {
        detail::CStr n(name, "action name");
        detail::OptCStr a(args_json, "arguments");
        char *out = nullptr;
        lxd_status st =
            lxd_collection_action(h(), static_cast<lxd_kind>(kind), n.get(), a.get(), wait, &out);
        return detail::take_string(st, out);
    }

    /// Change the state of every instance of the client's project at once
    /// (PUT /1.0/instances): `action` "start", "stop", "restart", "freeze"
    /// or "unfreeze"; `timeout_s` and `force` as ObjectRef::stop. Returns
    /// the operation as JSON (final with `wait`). Mind the project: with
    /// the default project this reaches every instance in it.
    std::string set_state_all(std::string_view action, int timeout_s = -1, bool force = false,
                              bool wait = true) const {
        detail::JsonObject state;
        state.string("action", action);
        state.number("timeout", timeout_s);
        state.boolean("force", force);
        detail::JsonObject args;
        args.raw("state", state.str());
        std::string a = args.str();
        char *out = nullptr;
        lxd_status st = lxd_instance_set_state_all(h(), a.c_str(), wait, &out);
        return detail::take_string(st, out);
    }

    /// Create an instance from a backup tarball (ObjectRef::export_to, or
    /// `lxc export`), streaming the file (memory stays flat), reporting
    /// progress to `progress` as it is sent (false stops it:
    /// lxd::Cancelled). `wait` true: returns the new instance, loaded;
    /// false: returns once LXD accepted the upload (see
    /// ObjectRef::operation()). Throws lxd::NotFound (no such local file),
    /// lxd::OperationFailed (LXD could not restore it, e.g. the name is taken).
    Object import_instance(std::string_view local_path, const ImportOptions &options = {},
                           bool wait = true, const ProgressCallback &progress = {}) const {
        detail::CStr l(local_path, "local path");
        std::string opts = options.to_json();
        detail::ProgressContext ctx{&progress, nullptr};
        lxd_obj *out = nullptr;
        lxd_status st = lxd_instance_import(h(), l.get(), opts.c_str(), wait,
                                            progress ? detail::progress_trampoline : nullptr,
                                            progress ? &ctx : nullptr, &out);
        Object obj(out);
        detail::check_after_callback(st, ctx.error);
        return obj;
    }

    /// Open the event stream (/1.0/events), filtered by `types` on the
    /// server: std::nullopt for all, or a comma list such as
    /// "lifecycle,operation".
    [[nodiscard]] Events events(std::optional<std::string_view> types = std::nullopt) const {
        detail::OptCStr t(types, "event types");
        lxd_events *out = nullptr;
        lxd_status st = lxd_events_open(h(), t.get(), &out);
        Events ev(out);
        detail::check(st);
        return ev;
    }

    /// Open the event stream with options: the types, and the events of
    /// all projects (LXD's all-projects) rather than the client's.
    [[nodiscard]] Events events(const EventsOptions &options) const {
        std::string o = options.to_json();
        lxd_events *out = nullptr;
        lxd_status st = lxd_events_open_ext(h(), o.c_str(), &out);
        Events ev(out);
        detail::check(st);
        return ev;
    }

    /// Listen to events with `on_event` called on liblxd's own background
    /// thread (see EventCallback, EventErrorCallback). The stream is open
    /// when this returns. `on_event` and `on_error` must be thread-safe
    /// with respect to the rest of the program; they may use liblxd.
    [[nodiscard]] EventListener listen(std::optional<std::string_view> types,
                                       EventCallback on_event,
                                       EventErrorCallback on_error = {}) const {
        if (!on_event) {
            throw InvalidArgument(0, "lxd::Client::listen: on_event is empty");
        }
        detail::OptCStr t(types, "event types");
        EventListener l;
        l.state_ = std::make_unique<detail::ListenerState>();
        l.state_->on_event = std::move(on_event);
        l.state_->on_error = std::move(on_error);
        lxd_events_listener *out = nullptr;
        lxd_status st =
            lxd_events_listen(h(), t.get(), detail::event_trampoline, l.state_.get(), &out);
        l.h_ = detail::Handle<lxd_events_listener, lxd_events_listener_free>(out);
        detail::check(st);
        return l;
    }

    /// Close the client now (as the destructor does). Idempotent.
    void close() noexcept { h_.reset(); }
    /// Whether this holds a client (false once moved from or closed).
    explicit operator bool() const noexcept { return h_.get() != nullptr; }
    /// The C handle (still owned by this object), or nullptr.
    [[nodiscard]] lxd_client *native() const noexcept { return h_.get(); }

  private:
    friend class Manager;
    [[nodiscard]] lxd_client *h() const { return h_.checked("lxd::Client"); }
    detail::Handle<lxd_client, lxd_client_free> h_;
};

inline lxd_client *Manager::client() const {
    return client_->h();
}

inline Object Manager::get(std::string_view key) const {
    detail::CStr k(key, "key");
    lxd_obj *out = nullptr;
    lxd_status st = lxd_get(client(), static_cast<lxd_kind>(kind_), k.get(), &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline bool Manager::exists(std::string_view key) const {
    detail::CStr k(key, "key");
    bool out = false;
    detail::check(lxd_exists(client(), static_cast<lxd_kind>(kind_), k.get(), &out));
    return out;
}

inline List Manager::all() const {
    lxd_list *out = nullptr;
    lxd_status st = lxd_all(client(), static_cast<lxd_kind>(kind_), &out);
    List list(out);
    detail::check(st);
    return list;
}

inline Object Manager::create(std::string_view definition_json, bool wait) const {
    detail::CStr d(definition_json, "definition");
    lxd_obj *out = nullptr;
    lxd_status st = lxd_create(client(), static_cast<lxd_kind>(kind_), d.get(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object Manager::get_by_alias(std::string_view alias) const {
    if (kind_ != Kind::Image) {
        throw InvalidArgument(0,
                              std::string("get_by_alias is for images, not ") + to_string(kind_));
    }
    detail::CStr a(alias, "alias");
    lxd_obj *out = nullptr;
    lxd_status st = lxd_image_get_by_alias(client(), a.get(), &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object Manager::upload(std::string_view local_path, const UploadOptions &options, bool wait,
                              const ProgressCallback &progress) const {
    if (kind_ != Kind::Image) {
        throw InvalidArgument(0, std::string("upload is for images, not ") + to_string(kind_));
    }
    detail::CStr l(local_path, "local path");
    std::optional<detail::CStr> r;
    if (options.rootfs) {
        r.emplace(*options.rootfs, "rootfs path");
    }
    std::string opts = options.to_json();
    detail::ProgressContext ctx{&progress, nullptr};
    lxd_obj *out = nullptr;
    lxd_status st = lxd_image_upload(client(), l.get(), r ? r->get() : nullptr, opts.c_str(), wait,
                                     progress ? detail::progress_trampoline : nullptr,
                                     progress ? &ctx : nullptr, &out);
    Object obj(out);
    detail::check_after_callback(st, ctx.error);
    return obj;
}

inline Object Manager::pull(const ImageSource &source, const PullOptions &options,
                            bool wait) const {
    if (kind_ != Kind::Image) {
        throw InvalidArgument(0, std::string("pull is for images, not ") + to_string(kind_));
    }
    std::string src = source.to_json();
    std::string opts = options.to_json();
    detail::CStr s(src, "image source");
    lxd_obj *out = nullptr;
    lxd_status st = lxd_image_pull(client(), s.get(), opts.c_str(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object ObjectRef::publish(const PublishOptions &options, bool wait) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_image_publish(h(), opts.c_str(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

namespace detail {

inline lxd_client *target_of(const Client &target) {
    lxd_client *c = target.native();
    if (c == nullptr) {
        throw_empty("the target lxd::Client");
    }
    return c;
}

} // namespace detail

inline Object ObjectRef::copy_to(const Client &target, const CopyOptions &options,
                                 bool wait) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_instance_copy_to(h(), detail::target_of(target), opts.c_str(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object ObjectRef::copy_to(const Client &target, const ImageCopyOptions &options,
                                 bool wait) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_image_copy_to(h(), detail::target_of(target), opts.c_str(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object ObjectRef::copy_to(const Client &target, bool wait) const {
    if (kind() == Kind::Image) {
        return copy_to(target, ImageCopyOptions{}, wait);
    }
    return copy_to(target, CopyOptions{}, wait);
}

inline Object ObjectRef::import_volume(std::string_view local_path, std::string_view name,
                                      bool wait, const ProgressCallback &progress) const {
    detail::CStr l(local_path, "local path");
    detail::CStr n(name, "volume name");
    detail::ProgressContext ctx{&progress, nullptr};
    lxd_obj *out = nullptr;
    lxd_status st = lxd_storage_volume_import(h(), l.get(), n.get(), wait,
                                              progress ? detail::progress_trampoline : nullptr,
                                              progress ? &ctx : nullptr, &out);
    Object obj(out);
    detail::check_after_callback(st, ctx.error);
    return obj;
}

inline Object ObjectRef::copy_to(const ObjectRef &pool, const VolumeCopyOptions &options,
                                 bool wait) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_storage_volume_copy_to(h(), pool.h(), opts.c_str(), wait, &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object ObjectRef::move_to(const ObjectRef &pool, const VolumeCopyOptions &options) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_storage_volume_move_to(h(), pool.h(), opts.c_str(), &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

inline Object ObjectRef::move_to(const Client &target, const CopyOptions &options) const {
    std::string opts = options.to_json();
    lxd_obj *out = nullptr;
    lxd_status st = lxd_instance_move_to(h(), detail::target_of(target), opts.c_str(), &out);
    Object obj(out);
    detail::check(st);
    return obj;
}

} // namespace lxd

#endif // LXD_HPP
