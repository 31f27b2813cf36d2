// The README's Exec and Files snippets, run as written against a real
// container. test.sh extracts them from README.md into readme/exec.inc and
// readme/files.inc (on the include path); they use `c` (the container)
// and, for Files, `bytes`, `./site` (a local folder) and `./copy`.

#include "harness.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace {

// Runs in a fresh temporary folder, std::cout captured, and restores both.
class Sandbox {
  public:
    Sandbox() {
        char tmpl[] = "/tmp/lxdt-cpp-readme-XXXXXX";
        char *d = mkdtemp(tmpl);
        REQUIRE(d != nullptr);
        dir_ = d;
        char *cwd = getcwd(nullptr, 0);
        old_cwd_ = cwd != nullptr ? cwd : "/";
        std::free(cwd);
        REQUIRE(chdir(dir_.c_str()) == 0);
        old_buf_ = std::cout.rdbuf(out_.rdbuf());
    }
    ~Sandbox() {
        std::cout.rdbuf(old_buf_);
        if (chdir(old_cwd_.c_str()) != 0) {
            std::cerr << "cannot go back to " << old_cwd_ << "\n";
        }
        t::sh("rm -rf " + t::shq(dir_));
    }
    [[nodiscard]] const std::string &dir() const { return dir_; }
    [[nodiscard]] std::string out() const { return out_.str(); }

  private:
    std::string dir_, old_cwd_;
    std::ostringstream out_;
    std::streambuf *old_buf_ = nullptr;
};

} // namespace

TEST(readme_exec_snippet_runs_as_written) {
    std::string name = t::unique("readmeexec");
    lxd::Object c = t::new_container(name, true);
    Sandbox box;
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wunused-result"
#include "exec.inc"
#pragma GCC diagnostic pop
        CHECK_EQ(r.exit_code(), 3);
        CHECK_EQ(r.stdout_data(), std::string_view("out\n"));
        CHECK_EQ(r.stderr_data(), std::string_view("err\n"));
        CHECK(code != 0); // ping: bad address 'x'
        CHECK(got.has_value());
    }
    CHECK(t::contains(box.out(), "err: "));
}

TEST(readme_files_snippet_runs_as_written) {
    std::string name = t::unique("readmefiles");
    lxd::Object c = t::new_container(name, true);
    Sandbox box;
    REQUIRE(t::sh("mkdir -p site/css && echo hello >site/index.html && echo x >site/css/a.css") ==
            0);
    std::string bytes("bl\0b", 4);
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wunused-result"
#include "files.inc"
#pragma GCC diagnostic pop
        CHECK_EQ(back, bytes);
    }
    std::string in = "lxc exec " + name + " -- ";
    CHECK_EQ(t::sh(in + "test -e /root/blob"), 1); // removed at the end
    CHECK_EQ(t::sh(in + "test -d /root/a/b"), 0);
    CHECK_EQ(t::sh_out(in + "cat /root/site/index.html"), std::optional<std::string>("hello"));
    CHECK_EQ(t::sh_out(in + "cat /root/site/css/a.css"), std::optional<std::string>("x"));
    CHECK_EQ(t::sh_out("cat copy/index.html"), std::optional<std::string>("hello"));
    CHECK_EQ(t::sh_out("cat copy/css/a.css"), std::optional<std::string>("x"));
    CHECK(t::contains(box.out(), "/"));
}
