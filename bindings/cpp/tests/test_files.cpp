// Files: binary round trips, modes, append, mkdir/delete, push/pull of a
// tree with progress, and progress callbacks that stop or throw.

#include "harness.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

std::string temp_dir() {
    char tmpl[] = "/tmp/lxdt-cpp-files-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    std::string dir = tmpl;
    t::defer_sh("rm -rf " + t::shq(dir));
    return dir;
}

void write_file(const std::string &path, const std::string &data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

std::string blob(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    unsigned x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        s[i] = static_cast<char>((x >> 16) & 0xff);
    }
    if (n > 2) {
        s[0] = '\0';
        s[n - 1] = '\0';
    }
    return s;
}

struct Stop : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace

TEST(file_round_trip_binary_with_nuls_checked_with_lxc) {
    std::string name = t::unique("files");
    lxd::Object c = t::new_container(name, true);
    lxd::Files files = c.files();
    std::string data = blob(300000, 7);
    data.replace(100, 5, std::string("\0\0\0\0\0", 5));
    files.put("/root/blob.bin", data);
    std::string back = files.get("/root/blob.bin");
    CHECK_EQ(back.size(), data.size());
    CHECK(back == data);

    // The same bytes as the server's own copy, fetched with lxc.
    std::string dir = temp_dir();
    write_file(dir + "/local.bin", data);
    auto want = t::sh_out("md5sum < " + dir + "/local.bin");
    auto got = t::sh_out("lxc exec " + name + " -- md5sum /root/blob.bin");
    REQUIRE(want && got);
    CHECK_EQ(got->substr(0, 32), want->substr(0, 32));

    // Empty files, and vector<uint8_t> input.
    files.put("/root/empty", "");
    CHECK_EQ(files.get("/root/empty"), std::string());
    std::vector<std::uint8_t> v = {0, 1, 2, 0, 255};
    files.put("/root/v", v);
    CHECK_EQ(files.get("/root/v"), std::string("\0\1\2\0\xff", 5));
}

TEST(file_put_mode_uid_gid_append_mkdir_delete) {
    std::string name = t::unique("fopt");
    lxd::Object c = t::new_container(name, true);
    lxd::FileOptions opts;
    opts.mode = 0640;
    opts.uid = 1000;
    opts.gid = 100;
    c.files().put("/root/m.txt", "first\n", opts);
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- stat -c '%a %u %g' /root/m.txt"),
             std::optional<std::string>("640 1000 100"));
    lxd::FileOptions append;
    append.append = true;
    c.files().put("/root/m.txt", "second\n", append);
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- cat /root/m.txt"),
             std::optional<std::string>("first\nsecond"));

    lxd::FileOptions parents;
    parents.parents = true;
    parents.mode = 0700;
    c.files().mkdir("/root/a/b/c", parents);
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- stat -c %a /root/a/b/c"),
             std::optional<std::string>("700"));
    THROWS(lxd::NotFound, c.files().mkdir("/root/x/y"));
    THROWS(lxd::Conflict, c.files().mkdir("/root/m.txt"));
    THROWS(lxd::NotFound, c.files().put("/root/nope/f", "x"));

    c.files().remove("/root/m.txt");
    CHECK(t::sh("lxc exec " + name + " -- test -e /root/m.txt") != 0);
    auto nf = THROWS(lxd::NotFound, (void)c.files().get("/root/m.txt"));
    CHECK(nf && nf->http_status() == 404);
    THROWS(lxd::NotFound, c.files().remove("/root/m.txt"));
    THROWS(lxd::InvalidArgument, (void)c.files().get("/root"));
    THROWS(lxd::InvalidArgument, c.files().put(std::string("/root/a\0b", 9), "x"));
}

TEST(push_and_pull_a_tree_with_progress) {
    std::string name = t::unique("tree");
    lxd::Object c = t::new_container(name, true);
    std::string dir = temp_dir();
    REQUIRE(t::sh("mkdir -p " + dir + "/src/sub && ln -s a.bin " + dir + "/src/link") == 0);
    std::string a = blob(100000, 1);
    std::string b = blob(5000, 2);
    write_file(dir + "/src/a.bin", a);
    write_file(dir + "/src/sub/b.bin", b);
    chmod((dir + "/src/sub/b.bin").c_str(), 0600);

    std::uint64_t last_done = 0;
    std::uint64_t last_total = 0;
    int calls = 0;
    c.files().push(dir + "/src", "/root/tree", {}, [&](std::uint64_t done, std::uint64_t total) {
        CHECK(done >= last_done);
        last_done = done;
        last_total = total;
        ++calls;
        return true;
    });
    CHECK(calls > 0);
    CHECK_EQ(last_done, std::uint64_t(a.size() + b.size()));
    CHECK_EQ(last_total, last_done);
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- stat -c %a /root/tree/sub/b.bin"),
             std::optional<std::string>("600"));
    CHECK_EQ(t::sh_out("lxc exec " + name + " -- readlink /root/tree/link"),
             std::optional<std::string>("a.bin"));
    CHECK(c.files().get("/root/tree/sub/b.bin") == b);

    std::uint64_t pulled = 0;
    c.files().pull("/root/tree", dir + "/back", [&](std::uint64_t done, std::uint64_t) {
        pulled = done;
        return true;
    });
    CHECK_EQ(pulled, std::uint64_t(a.size() + b.size()));
    CHECK(read_file(dir + "/back/a.bin") == a);
    CHECK(read_file(dir + "/back/sub/b.bin") == b);
    CHECK_EQ(t::sh_out("readlink " + dir + "/back/link"), std::optional<std::string>("a.bin"));

    // A symlink out of the tree: refused, nothing written.
    REQUIRE(t::sh("lxc exec " + name +
                  " -- sh -c 'mkdir /root/evil && ln -s /etc/passwd "
                  "/root/evil/p && echo x > /root/evil/f'") == 0);
    THROWS(lxd::UnsafePath, c.files().pull("/root/evil", dir + "/evil"));
    CHECK(t::sh("test -e " + dir + "/evil/f") != 0);
}

TEST(progress_callback_stopping_or_throwing) {
    std::string name = t::unique("prog");
    lxd::Object c = t::new_container(name, true);
    std::string dir = temp_dir();
    write_file(dir + "/big", blob(4 << 20, 3));
    auto cancelled =
        THROWS(lxd::Cancelled, c.files().push(dir + "/big", "/root/big", {},
                                              [](std::uint64_t, std::uint64_t) { return false; }));
    CHECK(cancelled && cancelled->code() == LXD_ERR_CANCELLED);
    auto thrown = THROWS(
        Stop, c.files().push(dir + "/big", "/root/big2", {},
                             [](std::uint64_t, std::uint64_t) -> bool { throw Stop("push"); }));
    CHECK(thrown && std::string(thrown->what()) == "push");

    c.files().push(dir + "/big", "/root/big3");
    auto pull_thrown = THROWS(
        Stop, c.files().pull("/root/big3", dir + "/pulled",
                             [](std::uint64_t, std::uint64_t) -> bool { throw Stop("pull"); }));
    CHECK(pull_thrown && std::string(pull_thrown->what()) == "pull");
    // The object is still usable.
    CHECK_EQ(c.files().get("/root/big3").size(), std::size_t(4 << 20));
}

TEST(pull_drops_setuid_setgid_sticky_unless_keep_special_bits) {
    std::string name = t::unique("sbits");
    lxd::Object c = t::new_container(name, true);
    std::string dir = temp_dir();
    REQUIRE(t::sh("lxc exec " + name +
                  " -- sh -c 'mkdir /root/sb && printf s > /root/sb/suid && chmod 4755 "
                  "/root/sb/suid && printf g > /root/sb/sgid && chmod 2750 /root/sb/sgid'") == 0);
    REQUIRE(t::sh_out("lxc exec " + name + " -- stat -c %a /root/sb/suid") ==
            std::optional<std::string>("4755"));
    auto mode = [](const std::string &path) -> unsigned {
        struct stat st {};
        REQUIRE(stat(path.c_str(), &st) == 0);
        return st.st_mode & 07777u;
    };
    // Plain pull (and default options): the bits are dropped.
    c.files().pull("/root/sb/suid", dir + "/plain");
    CHECK_EQ(mode(dir + "/plain"), 0755u);
    c.files().pull("/root/sb/suid", dir + "/default", {}, lxd::FileOptions{});
    CHECK_EQ(mode(dir + "/default"), 0755u);
    // Asked to keep them: a file, and a folder with progress.
    lxd::FileOptions keep;
    keep.keep_special_bits = true;
    c.files().pull("/root/sb/suid", dir + "/kept", {}, keep);
    CHECK_EQ(mode(dir + "/kept"), 04755u);
    std::uint64_t done_bytes = 0;
    c.files().pull(
        "/root/sb", dir + "/tree",
        [&](std::uint64_t done, std::uint64_t) {
            done_bytes = done;
            return true;
        },
        keep);
    CHECK_EQ(done_bytes, std::uint64_t(2));
    CHECK_EQ(mode(dir + "/tree/suid"), 04755u);
    CHECK_EQ(mode(dir + "/tree/sgid"), 02750u);
    c.files().pull("/root/sb", dir + "/tree-plain");
    CHECK_EQ(mode(dir + "/tree-plain/suid"), 0755u);
    CHECK_EQ(mode(dir + "/tree-plain/sgid"), 0750u);
    // An option pull does not take, and the pull option elsewhere: refused.
    lxd::FileOptions with_mode;
    with_mode.mode = 0600;
    THROWS(lxd::InvalidArgument, c.files().pull("/root/sb/suid", dir + "/bad", {}, with_mode));
    THROWS(lxd::InvalidArgument, c.files().put("/root/x", "x", keep));
}
