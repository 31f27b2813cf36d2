// gen_kinds: writes lxd_kinds.hpp (to stdout) from liblxd's own table of
// kinds, as lxd_kind_info describes each kind 0..LXD_KIND_COUNT-1: the
// lxd::Kind enum, kind_count, all_kinds, to_string, c_name, parent_of,
// variant_of, is_singleton, and the named manager accessors (client.instances(),
// inst.snapshots(), ...) as two mixins that lxd.hpp's Client and
// ObjectRef derive from. Run by gen_kinds.sh (which test.sh uses to check
// that the committed header is not stale). Fails, writing nothing, when
// the table holds something it cannot map (an accessor name that clashes
// with a hand-written member, or with another kind's).

#include <lxd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

// ---- a small JSON reader (enough for lxd_kind_info) -----------------------

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
    bool b = false;
    std::string text; // a string, or a number as written
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;

    [[nodiscard]] const Json &operator[](const std::string &key) const {
        for (const auto &m : members) {
            if (m.first == key) {
                return m.second;
            }
        }
        throw std::runtime_error("no member \"" + key + "\"");
    }
    [[nodiscard]] const std::string &str() const {
        if (type != Type::String) {
            throw std::runtime_error("not a string");
        }
        return text;
    }
    [[nodiscard]] bool boolean() const {
        if (type != Type::Bool) {
            throw std::runtime_error("not a boolean");
        }
        return b;
    }
    [[nodiscard]] long number() const {
        if (type != Type::Number) {
            throw std::runtime_error("not a number");
        }
        return std::stol(text);
    }
    [[nodiscard]] bool null() const { return type == Type::Null; }
};

class Parser {
  public:
    explicit Parser(std::string s) : s_(std::move(s)) {}

    Json parse() {
        Json v = value();
        ws();
        if (i_ != s_.size()) {
            fail("trailing text");
        }
        return v;
    }

  private:
    [[noreturn]] void fail(const char *what) const {
        throw std::runtime_error(std::string("JSON: ") + what + " at " + std::to_string(i_));
    }
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])) != 0) {
            ++i_;
        }
    }
    bool eat(const char *word) {
        std::string w(word);
        if (s_.compare(i_, w.size(), w) == 0) {
            i_ += w.size();
            return true;
        }
        return false;
    }
    Json value() {
        ws();
        Json v;
        if (i_ >= s_.size()) {
            fail("unexpected end");
        }
        char c = s_[i_];
        if (c == '{') {
            v.type = Json::Type::Object;
            ++i_;
            ws();
            if (i_ < s_.size() && s_[i_] == '}') {
                ++i_;
                return v;
            }
            for (;;) {
                ws();
                std::string key = string();
                ws();
                if (!eat(":")) fail("expected ':'");
                v.members.emplace_back(key, value());
                ws();
                if (eat("}")) break;
                if (!eat(",")) fail("expected ',' or '}'");
            }
        } else if (c == '[') {
            v.type = Json::Type::Array;
            ++i_;
            ws();
            if (i_ < s_.size() && s_[i_] == ']') {
                ++i_;
                return v;
            }
            for (;;) {
                v.items.push_back(value());
                ws();
                if (eat("]")) break;
                if (!eat(",")) fail("expected ',' or ']'");
            }
        } else if (c == '"') {
            v.type = Json::Type::String;
            v.text = string();
        } else if (eat("true")) {
            v.type = Json::Type::Bool;
            v.b = true;
        } else if (eat("false")) {
            v.type = Json::Type::Bool;
        } else if (eat("null")) {
            v.type = Json::Type::Null;
        } else {
            v.type = Json::Type::Number;
            std::size_t start = i_;
            while (i_ < s_.size() && std::string("+-0123456789.eE").find(s_[i_]) != std::string::npos) {
                ++i_;
            }
            if (i_ == start) fail("unexpected character");
            v.text = s_.substr(start, i_ - start);
        }
        return v;
    }
    static void utf8(std::string &out, unsigned long cp) {
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
    unsigned long hex4() {
        if (i_ + 4 > s_.size()) fail("short \\u escape");
        unsigned long cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
        i_ += 4;
        return cp;
    }
    std::string string() {
        if (!eat("\"")) fail("expected a string");
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) fail("unexpected end");
            char e = s_[i_++];
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                unsigned long cp = hex4();
                if (cp >= 0xd800 && cp < 0xdc00 && eat("\\u")) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4() - 0xdc00);
                }
                utf8(out, cp);
                break;
            }
            default: out += e;
            }
        }
        if (!eat("\"")) fail("unterminated string");
        return out;
    }

    std::string s_;
    std::size_t i_ = 0;
};

// ---- the kinds --------------------------------------------------------------

struct KindDesc {
    long value = 0;
    std::string cls;    // "InstanceSnapshot": the enumerator
    std::string c_name; // "instance_snapshot"
    std::string macro;  // "LXD_KIND_INSTANCE_SNAPSHOT"
    std::string endpoint, key, extension;
    long parent = -1, variant_of = -1;
    bool project_scoped = false, creatable = false;
    bool singleton = false; // kind_info's `singleton`: one object, no key, no list
    std::string accessor;   // "instances", "snapshots"; "server", "cluster" for a singleton
};

std::string upper(std::string s) {
    for (char &c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

bool ends_with(const std::string &s, const std::string &tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string plural(const std::string &s) {
    if (ends_with(s, "s") || ends_with(s, "x") || ends_with(s, "sh") || ends_with(s, "ch")) {
        return s + "es";
    }
    if (s.size() >= 2 && s.back() == 'y' && std::string("aeiou").find(s[s.size() - 2]) == std::string::npos) {
        return s.substr(0, s.size() - 1) + "ies";
    }
    return s + "s";
}

// Members written by hand in lxd.hpp: a generated accessor of the same
// name would hide them, or be hidden (C++ name lookup stops at the
// derived class), so a kind whose accessor lands here is refused.
const std::set<std::string> client_members = {
    "api",          "authenticate",      "close",           "collection_action",
    "create_join_token", "create_trust_token", "derive",    "endpoint",
    "events",       "h",                 "has_api_extension", "host_info",
    "import_instance", "join_tokens",    "listen",          "manager",
    "metrics",      "native",            "resources",       "revoke_join_token",
    "revoke_trust_token", "set_state_all", "singleton",     "trust_tokens",
    "trusted",
};
const std::set<std::string> object_members = {
    "action",         "action_bytes",   "action_to_file", "cancel",        "children",
    "copy_to",        "move_to",        "publish",        "refresh",       "secret",
    "clear_console_log", "console",     "console_log",    "delete_log",    "delete_template",
    "dirty",          "evacuate",       "exec",           "exec_interactive", "exec_stream",
    "export_to",
    "files",          "freeze",         "get",            "get_template",  "h",
    "import_volume",  "join",
    "key",            "kind",           "leases",         "log",           "logs",
    "metadata",       "resources",
    "native",         "operation",      "patch",          "patch_metadata", "put_template",
    "remove",         "rename",         "restart",        "restore",       "rollback",
    "save",           "set",            "set_metadata",   "start",         "state",
    "stop",           "sync",           "templates",      "to_json",       "unfreeze",
    "update_certificate", "wait",
};

KindDesc describe(long k) {
    char *out = nullptr;
    lxd_status st = lxd_kind_info(static_cast<lxd_kind>(k), &out);
    if (st != LXD_OK) {
        throw std::runtime_error("lxd_kind_info(" + std::to_string(k) + "): " + lxd_status_name(st));
    }
    std::string text(out);
    lxd_string_free(out);
    Json j = Parser(text).parse();
    KindDesc d;
    d.value = j["kind"].number();
    if (d.value != k) {
        throw std::runtime_error("lxd_kind_info(" + std::to_string(k) + ") says kind " + std::to_string(d.value));
    }
    d.cls = j["class"].str();
    d.c_name = j["c_name"].str();
    d.macro = "LXD_KIND_" + upper(d.c_name);
    d.endpoint = j["endpoint"].str();
    d.key = j["key"].str();
    d.extension = j["extension"].null() ? "" : j["extension"].str();
    d.parent = j["parent"].null() ? -1 : j["parent"].number();
    d.variant_of = j["variant_of"].null() ? -1 : j["variant_of"].number();
    d.project_scoped = j["project_scoped"].boolean();
    d.creatable = j["creatable"].boolean();
    d.singleton = j["singleton"].boolean();
    // A singleton has no key and no parent (Client::singleton fetches it
    // with the key ""); any other kind has a key.
    if (d.singleton != d.key.empty() || (d.singleton && d.parent >= 0)) {
        throw std::runtime_error("kind " + d.cls + ": singleton " + (d.singleton ? "true" : "false") +
                                 " with key \"" + d.key + "\"" +
                                 (d.parent >= 0 ? " and a parent" : ""));
    }
    return d;
}

std::string key_phrase(const std::string &key) {
    if (key.empty()) return "one per server";
    if (key == "id") return "by operation id";
    return "by " + key;
}

// `text` as `///` comment lines indented by `indent`, within 100 columns.
std::string comment(const std::string &text, const std::string &indent) {
    std::string out, line;
    std::istringstream words(text);
    std::string w;
    const std::size_t width = 100 - indent.size() - 4;
    while (words >> w) {
        if (!line.empty() && line.size() + 1 + w.size() > width) {
            out += indent + "/// " + line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + w;
    }
    if (!line.empty()) out += indent + "/// " + line + "\n";
    return out;
}

// The documentation of a kind, from its description; `accessor`: of its
// manager accessor.
std::string doc(const KindDesc &d, const std::vector<KindDesc> &all, bool accessor = false) {
    std::string s = d.cls + " objects";
    if (d.parent >= 0) {
        const std::string &p = all[static_cast<std::size_t>(d.parent)].cls;
        s = accessor ? "This " + p + "'s " + d.cls + " objects" : s + ", under " + p + " objects";
    }
    s += ": `" + d.endpoint + "`, " + key_phrase(d.key);
    if (d.variant_of >= 0) {
        s += "; only the " + all[static_cast<std::size_t>(d.variant_of)].cls + " objects of this type";
    }
    if (!d.project_scoped) s += "; global (not in a project)";
    if (!d.creatable) s += "; cannot be created";
    if (!d.extension.empty()) s += "; needs the API extension `" + d.extension + "`";
    return s + ".";
}

void generate(std::ostream &o) {
    std::vector<KindDesc> kinds;
    for (long k = 0; k < static_cast<long>(LXD_KIND_COUNT); ++k) {
        kinds.push_back(describe(k));
    }
    // Accessor names: a top-level kind's plural c_name (a singleton's
    // c_name: client.server(), client.cluster() are the objects); a child's without its
    // parent's prefix (instance_snapshot under instance: snapshots). Children
    // of different parents may share a name (inst.snapshots(),
    // volume.snapshots()): the accessor then picks the kind by the object's
    // kind. Two children of one parent sharing a name are refused.
    std::set<std::string> top_names;
    std::map<std::string, std::set<long>> child_parents;
    for (KindDesc &d : kinds) {
        if (d.parent >= 0) {
            const std::string &p = kinds[static_cast<std::size_t>(d.parent)].c_name;
            std::string base = d.c_name.rfind(p + "_", 0) == 0 ? d.c_name.substr(p.size() + 1) : d.c_name;
            d.accessor = plural(base);
            if (object_members.count(d.accessor) != 0 ||
                !child_parents[d.accessor].insert(d.parent).second) {
                throw std::runtime_error("kind " + d.cls + ": accessor " + d.accessor +
                                         "() clashes with a member of lxd::ObjectRef or a sibling kind");
            }
        } else {
            d.accessor = d.singleton ? d.c_name : plural(d.c_name);
            if (client_members.count(d.accessor) != 0 || !top_names.insert(d.accessor).second) {
                throw std::runtime_error("kind " + d.cls + ": accessor " + d.accessor +
                                         "() clashes with a member of lxd::Client");
            }
        }
    }
    for (const KindDesc &d : kinds) {
        if (d.parent >= 0 && top_names.count(d.accessor) != 0) {
            // Not a C++ clash (different classes), but confusing: refuse it.
            throw std::runtime_error("kind " + d.cls + ": accessor " + d.accessor +
                                     "() is also a top-level kind's");
        }
    }

    o << R"(// lxd_kinds.hpp: the kinds of LXD objects, for lxd.hpp (which includes it;
// both are installed side by side).
//
// GENERATED from liblxd's own table of kinds (lxd_kind_info for every kind
// up to LXD_KIND_COUNT) by bindings/cpp/gen/gen_kinds.sh: do not edit.
// bindings/cpp/test.sh fails when this file is stale; to rewrite it:
//   bash bindings/cpp/gen/gen_kinds.sh bindings/cpp/lxd_kinds.hpp

#ifndef LXD_KINDS_HPP
#define LXD_KINDS_HPP

#include <lxd.h>

#include <cstddef>
#include <optional>

)";
    o << "static_assert(LXD_KIND_COUNT == " << kinds.size() << ",\n"
      << "              \"lxd_kinds.hpp does not match <lxd.h>: regenerate it (gen/gen_kinds.sh)\");\n\n";
    o << R"(namespace lxd {

/// The kinds of LXD objects (the values are liblxd's `LXD_KIND_*`), as
/// passed to Client::manager, ObjectRef::children and lxd::kind_info.
enum class Kind : lxd_kind {
)";
    for (const KindDesc &d : kinds) {
        o << comment(doc(d, kinds), "    ");
        o << "    " << d.cls << " = " << d.macro << ",\n";
    }
    o << "};\n\n";
    o << "/// How many kinds there are (`LXD_KIND_COUNT`).\n";
    o << "inline constexpr std::size_t kind_count = LXD_KIND_COUNT;\n\n";
    o << "/// Every kind, in the order of their values.\n";
    o << "inline constexpr Kind all_kinds[] = {\n";
    for (const KindDesc &d : kinds) {
        o << "    Kind::" << d.cls << ",\n";
    }
    o << "};\n\n";

    o << "/// The kind's name as pylxd's class: \"Instance\", \"InstanceSnapshot\", ..., or \"?\".\n";
    o << "[[nodiscard]] constexpr const char *to_string(Kind kind) noexcept {\n    switch (kind) {\n";
    for (const KindDesc &d : kinds) {
        o << "    case Kind::" << d.cls << ": return \"" << d.cls << "\";\n";
    }
    o << "    }\n    return \"?\";\n}\n\n";

    o << "/// The kind's name in liblxd's C functions (`lxd_<c_name>_get`): \"instance\",\n"
         "/// \"instance_snapshot\", ..., or \"?\".\n";
    o << "[[nodiscard]] constexpr const char *c_name(Kind kind) noexcept {\n    switch (kind) {\n";
    for (const KindDesc &d : kinds) {
        o << "    case Kind::" << d.cls << ": return \"" << d.c_name << "\";\n";
    }
    o << "    }\n    return \"?\";\n}\n\n";

    o << "/// The kind whose objects those of `kind` live under (Kind::Instance for\n"
         "/// snapshots and backups: reached with ObjectRef::children), or std::nullopt\n"
         "/// for a top-level kind (reached with Client::manager).\n";
    o << "[[nodiscard]] constexpr std::optional<Kind> parent_of(Kind kind) noexcept {\n    switch (kind) {\n";
    for (const KindDesc &d : kinds) {
        if (d.parent >= 0) {
            o << "    case Kind::" << d.cls << ": return Kind::" << kinds[static_cast<std::size_t>(d.parent)].cls
              << ";\n";
        }
    }
    o << "    default: return std::nullopt;\n    }\n}\n\n";

    o << "/// For a typed variant of a kind (Kind::Container), the general kind\n"
         "/// (Kind::Instance); else std::nullopt.\n";
    o << "[[nodiscard]] constexpr std::optional<Kind> variant_of(Kind kind) noexcept {\n    switch (kind) {\n";
    for (const KindDesc &d : kinds) {
        if (d.variant_of >= 0) {
            o << "    case Kind::" << d.cls << ": return Kind::"
              << kinds[static_cast<std::size_t>(d.variant_of)].cls << ";\n";
        }
    }
    o << "    default: return std::nullopt;\n    }\n}\n\n";

    o << "/// Whether `kind` has one object and no key (kind_info's `singleton`):\n"
         "/// Client::singleton(kind) fetches it; its manager has no list.\n";
    o << "[[nodiscard]] constexpr bool is_singleton(Kind kind) noexcept {\n    switch (kind) {\n";
    for (const KindDesc &d : kinds) {
        if (d.singleton) {
            o << "    case Kind::" << d.cls << ":\n";
        }
    }
    o << "        return true;\n    default: return false;\n    }\n}\n\n";

    o << R"(namespace detail {

/// A kind and the name of its accessor (client.instances(), inst.snapshots()).
struct KindAccessor {
    Kind kind;
    const char *name;
};

/// Every kind with its accessor, in the order of their values.
inline constexpr KindAccessor kind_accessors[] = {
)";
    for (const KindDesc &d : kinds) {
        o << "    {Kind::" << d.cls << ", \"" << d.accessor << "\"},\n";
    }
    o << "};\n\n";

    o << R"(/// The managers of the top-level kinds, one accessor each: the base of
/// lxd::Client (Self), whose manager(kind) they call (M: lxd::Manager).
/// A singleton kind (lxd::is_singleton) has an accessor that fetches the
/// object itself (O: lxd::Object) with Self's singleton(kind).
template <typename Self, typename M, typename O> class KindManagers {
  public:
)";
    for (const KindDesc &d : kinds) {
        if (d.parent >= 0) continue;
        if (d.singleton) {
            o << comment(doc(d, kinds) + " Fetches it, fully loaded (a request each call).", "    ");
            o << "    [[nodiscard]] O " << d.accessor << "() const {\n"
              << "        return self().singleton(Kind::" << d.cls << ");\n    }\n";
            continue;
        }
        o << comment(doc(d, kinds), "    ");
        o << "    [[nodiscard]] M " << d.accessor << "() const noexcept {\n"
          << "        return self().manager(Kind::" << d.cls << ");\n    }\n";
    }
    o << R"(
  protected:
    KindManagers() noexcept = default;

  private:
    [[nodiscard]] const Self &self() const noexcept { return static_cast<const Self &>(*this); }
};

/// The managers of the kinds that live under another object, one accessor
/// each: the base of lxd::ObjectRef (Self), whose children(kind) they call
/// (M: lxd::ChildManager).
/// On an object of another kind than the parent, their calls throw
/// lxd::InvalidArgument.
template <typename Self, typename M> class ChildManagers {
  public:
)";
    std::set<std::string> done;
    for (const KindDesc &d : kinds) {
        if (d.parent < 0 || !done.insert(d.accessor).second) continue;
        std::vector<const KindDesc *> same;
        for (const KindDesc &e : kinds) {
            if (e.parent >= 0 && e.accessor == d.accessor) same.push_back(&e);
        }
        for (const KindDesc *e : same) {
            o << comment(doc(*e, kinds, true), "    ");
        }
        if (same.size() > 1) {
            o << comment("(The kind follows this object's kind; on any other, the first's.)", "    ");
        }
        o << "    [[nodiscard]] M " << d.accessor << "() const {\n";
        if (same.size() == 1) {
            o << "        return self().children(Kind::" << d.cls << ");\n    }\n";
            continue;
        }
        o << "        switch (self().kind()) {\n";
        for (std::size_t i = 1; i < same.size(); ++i) {
            o << "        case Kind::" << kinds[static_cast<std::size_t>(same[i]->parent)].cls
              << ": return self().children(Kind::" << same[i]->cls << ");\n";
        }
        o << "        default: return self().children(Kind::" << d.cls << ");\n        }\n    }\n";
    }
    o << R"(
  protected:
    ChildManagers() noexcept = default;

  private:
    [[nodiscard]] const Self &self() const noexcept { return static_cast<const Self &>(*this); }
};

} // namespace detail
} // namespace lxd

#endif // LXD_KINDS_HPP
)";
}

} // namespace

int main() {
    try {
        std::ostringstream out;
        generate(out);
        std::cout << out.str();
        std::cout.flush();
        return std::cout ? 0 : 1;
    } catch (const std::exception &e) {
        std::cerr << "gen_kinds: " << e.what() << "\n";
        return 1;
    }
}
