// Images that move, against the two real daemons (the main one and the
// second, scripts/lxd-private.sh second: LXD_DIR /var/lib/lxd-liblxd-second):
// Manager::upload (unified and split, options, progress, wait or not;
// twice is lxd::Conflict), ObjectRef::export_to into a folder (the files
// together are the fingerprint), image aliases as a kind
// (client.image_aliases()), ObjectRef::copy_to another server (private
// and public), Manager::pull (from the main server over the LXD protocol;
// bad sources refused), and the image actions secret and refresh.
//
// Every image is made here from the busybox tarball with a file of its
// own (so a fingerprint of its own) and deleted afterwards from both
// servers. Outcomes are read with lxc (the second server's with LXD_DIR)
// and sha256sum.

#include "harness.hpp"

#include <memory>

namespace {

const std::string second_dir = "/var/lib/lxd-liblxd-second";
const std::string on_second = "LXD_DIR=" + second_dir + " ";

std::unique_ptr<lxd::Client> second_holder;

// A client of the second server (its unix socket), made on first use.
lxd::Client &second() {
    if (!second_holder) {
        second_holder = std::make_unique<lxd::Client>(second_dir + "/unix.socket");
    }
    return *second_holder;
}

// jq `filter` (raw output, one line per value joined by spaces) on `json`.
std::string jq(const std::string &json, const std::string &filter) {
    return t::sh_out("printf '%s' " + t::shq(json) + " | jq -r " + t::shq(filter) +
                     " | tr '\\n' ' ' | sed 's/ $//'")
        .value_or("(jq failed)");
}

std::string out(const std::string &cmd) { return t::sh_out(cmd).value_or("(failed: " + cmd + ")"); }

// A folder of the test's own, removed after it.
std::string tmpdir() {
    std::string d = out("mktemp -d /tmp/lxdt-cpp-img-XXXXXX");
    t::defer_sh("rm -rf " + t::shq(d));
    return d;
}

// In `dir`, a unique image made from the busybox tarball with /lxdt-id
// holding `id`: unified (unified.tar.gz) and split (meta.tar.gz +
// rootfs.squashfs).
void make_images(const std::string &dir, const std::string &id) {
    REQUIRE_EQ(t::sh("set -e; cd " + t::shq(dir) +
                     "; tb=$(ls -t /var/cache/liblxd/busybox-rev*.tar.gz | head -n 1); "
                     "mkdir x; tar -xzf \"$tb\" -C x; echo " + t::shq(id) + " > x/rootfs/lxdt-id; "
                     "tar --numeric-owner -C x -czf unified.tar.gz metadata.yaml rootfs; "
                     "tar --numeric-owner -C x -czf meta.tar.gz metadata.yaml; "
                     "mksquashfs x/rootfs rootfs.squashfs -quiet -noappend -all-root >/dev/null; "
                     "rm -rf x"),
               0);
}

std::string sha256(const std::string &files) {
    return out("cat " + files + " | sha256sum | cut -d' ' -f1");
}

// Delete image `fp` from both servers after the test.
void forget(const std::string &fp) {
    t::defer_sh("lxc image delete " + fp + " >/dev/null 2>&1");
    t::defer_sh(on_second + "lxc image delete " + fp + " >/dev/null 2>&1");
}

// The fingerprint attribute of an image, without quotes.
std::string fp_of(const lxd::ObjectRef &img) { return jq(img.get("fingerprint"), "."); }

struct Meter {
    std::uint64_t calls = 0, done = 0, total = 0;
    lxd::ProgressCallback fn() {
        return [this](std::uint64_t d, std::uint64_t t) {
            ++calls;
            done = d;
            total = t;
            return true;
        };
    }
};

} // namespace

TEST(image_upload_unified_with_options_then_again_is_a_conflict) {
    std::string dir = tmpdir();
    std::string id = t::unique("img-u");
    make_images(dir, id);
    std::string file = dir + "/unified.tar.gz";
    std::string want = sha256(file);
    forget(want);
    std::string alias = t::unique("alias-u");
    t::defer_sh("lxc image alias delete " + alias + " >/dev/null 2>&1");

    lxd::UploadOptions o;
    o.public_ = true;
    o.aliases = {{alias, "from C++"}};
    o.properties = {{"lxdt.id", id}, {"os", "busybox"}};
    o.filename = "lxdt.tar.gz";
    Meter m;
    lxd::Object img = t::client().images().upload(file, o, true, m.fn());
    CHECK(img.kind() == lxd::Kind::Image);
    CHECK_EQ(img.key(), want);
    CHECK_EQ(fp_of(img), want);
    CHECK(m.calls >= 2 && m.total > 0 && m.done == m.total);
    CHECK_EQ(out("stat -c %s " + file), std::to_string(m.total));
    CHECK_EQ(out("lxc query /1.0/images/" + want +
                 " | jq -r '[.public, .properties[\"lxdt.id\"], .properties.os, .filename, "
                 ".aliases[0].name, .aliases[0].description] | join(\",\")'"),
             "true," + id + ",busybox,lxdt.tar.gz," + alias + ",from C++");
    CHECK_EQ(out("lxc image list " + want.substr(0, 12) + " --format csv -c lp"), alias + ",yes");

    // The same image twice: the server has it.
    auto dup = THROWS(lxd::Conflict, (void)t::client().images().upload(file));
    CHECK(dup && dup->code() == LXD_ERR_CONFLICT);
    CHECK_EQ(out("lxc image list " + want.substr(0, 12) + " --format csv -c f | wc -l"), "1");

    // Refusals before any upload: a missing file, a manager of another kind.
    CHECK(THROWS(lxd::NotFound, (void)t::client().images().upload(dir + "/nope.tar.gz")));
    CHECK(THROWS(lxd::InvalidArgument, (void)t::client().profiles().upload(file)));
}

TEST(image_upload_split_and_export_to_a_folder) {
    std::string dir = tmpdir();
    std::string id = t::unique("img-s");
    make_images(dir, id);
    std::string meta = dir + "/meta.tar.gz", root = dir + "/rootfs.squashfs";
    std::string want = sha256(meta + " " + root);
    forget(want);
    lxd::UploadOptions split;
    split.rootfs = root;
    Meter m;
    lxd::Object img = t::client().images().upload(meta, split, true, m.fn());
    CHECK_EQ(fp_of(img), want);
    CHECK_EQ(out("echo $(( $(stat -c %s " + meta + ") + $(stat -c %s " + root + ") ))"),
             std::to_string(m.total));
    CHECK_EQ(out("lxc query /1.0/images/" + want + " | jq -r .fingerprint"), want);

    // Exported: two files, metadata first; together they are the image.
    std::string to = tmpdir();
    Meter e;
    std::vector<std::string> files = img.export_to(to, e.fn());
    REQUIRE_EQ(files.size(), std::size_t(2));
    CHECK(t::contains(files[0], "meta"));
    CHECK_EQ(files[0].rfind(to + "/", 0), std::size_t(0));
    CHECK_EQ(sha256(t::shq(files[0]) + " " + t::shq(files[1])), want);
    CHECK(e.calls >= 2 && e.done > 0);

    // A unified one, uploaded without waiting: its operation gives it its
    // fingerprint; it exports as one file, the tarball itself.
    std::string uni = dir + "/unified.tar.gz";
    std::string ufp = sha256(uni);
    forget(ufp);
    lxd::Object u = t::client().images().upload(uni, {}, false);
    std::optional<lxd::Object> op = u.operation();
    REQUIRE(op.has_value());
    op->wait(120);
    CHECK_EQ(fp_of(u), ufp);
    std::string to2 = tmpdir();
    std::vector<std::string> one = u.export_to(to2);
    REQUIRE_EQ(one.size(), std::size_t(1));
    CHECK_EQ(sha256(t::shq(one[0])), ufp);

    // A progress callback that throws: the export stops, the exception
    // comes back, nothing is left in the folder.
    std::string to3 = tmpdir();
    struct Stop {};
    CHECK(THROWS(Stop, (void)u.export_to(to3, [](std::uint64_t, std::uint64_t) -> bool {
        throw Stop{};
    })));
    CHECK_EQ(out("ls -A " + to3 + " | wc -l"), "0");
    CHECK(THROWS(lxd::Cancelled,
                 (void)u.export_to(to3, [](std::uint64_t, std::uint64_t) { return false; })));
    CHECK_EQ(out("ls -A " + to3 + " | wc -l"), "0");
    CHECK(THROWS(lxd::NotFound, (void)u.export_to("/nonexistent/lxdt-cpp")));
}

TEST(image_aliases_create_update_rename_delete) {
    std::string fp = t::client().images().get_by_alias("busybox").key();
    std::string name = t::unique("alias");
    std::string renamed = t::unique("alias-ren");
    t::defer_sh("lxc image alias delete " + name + " >/dev/null 2>&1");
    t::defer_sh("lxc image alias delete " + renamed + " >/dev/null 2>&1");
    lxd::Manager aliases = t::client().image_aliases();
    CHECK(aliases.kind() == lxd::Kind::ImageAlias);
    lxd::Object a = aliases.create(R"({"name":)" + lxd::json_string(name) + R"(,"target":")" + fp +
                                   R"(","description":"one"})");
    CHECK_EQ(a.key(), name);
    CHECK_EQ(out("lxc query /1.0/images/aliases/" + name + " | jq -r '.target + \" \" + .description'"),
             fp + " one");
    CHECK(aliases.exists(name));
    bool listed = false;
    for (lxd::ObjectRef o : aliases.all()) {
        listed = listed || o.key() == name;
    }
    CHECK(listed);
    CHECK_EQ(aliases.get(name).get("target"), lxd::json_string(fp));

    // Update through set + save; the name cannot be set.
    a.set("description", lxd::json_string("two"));
    a.save();
    CHECK_EQ(out("lxc query /1.0/images/aliases/" + name + " | jq -r .description"), "two");
    CHECK(THROWS(lxd::ReadOnly, a.set("name", lxd::json_string(renamed))));

    // Rename: the alias follows, and finds the image.
    a.rename(renamed);
    CHECK_EQ(a.key(), renamed);
    CHECK_EQ(out("lxc image alias list --format csv | grep -c '^" + renamed + ",'"), "1");
    CHECK_EQ(out("lxc image alias list --format csv | grep -c '^" + name + ",' || true"), "0");
    CHECK_EQ(t::client().images().get_by_alias(renamed).key(), fp);

    a.remove();
    CHECK(!aliases.exists(renamed));
    CHECK_EQ(out("lxc image alias list --format csv | grep -c '^" + renamed + ",' || true"), "0");
    CHECK(THROWS(lxd::NotFound, (void)aliases.get(renamed)));
    // The image it pointed at stays.
    CHECK_EQ(out("lxc query /1.0/images/" + fp + " | jq -r .fingerprint"), fp);
}

TEST(image_copy_to_the_second_server_private_and_public) {
    std::string dir = tmpdir();
    std::string id = t::unique("img-c");
    make_images(dir, id);
    std::string alias = t::unique("copied");
    t::defer_sh("lxc image alias delete " + alias + " >/dev/null 2>&1");
    t::defer_sh(on_second + "lxc image alias delete " + alias + " >/dev/null 2>&1");

    // Private, with an alias that goes along.
    lxd::UploadOptions o;
    o.public_ = false;
    o.aliases = {alias};
    lxd::Object priv = t::client().images().upload(dir + "/unified.tar.gz", o);
    std::string fp = fp_of(priv);
    forget(fp);
    CHECK_EQ(out("lxc image list " + fp.substr(0, 12) + " --format csv -c lp"), alias + ",no");
    lxd::Object copy = priv.copy_to(second()); // default options: wait, aliases, private
    CHECK(copy.kind() == lxd::Kind::Image);
    CHECK_EQ(fp_of(copy), fp);
    CHECK_EQ(out(on_second + "lxc image list " + fp.substr(0, 12) + " --format csv -c lp"),
             alias + ",no");
    CHECK_EQ(out(on_second + "lxc query /1.0/images/" + fp + " | jq -r .fingerprint"), fp);
    // Again (without its alias, which the target has now): the target has
    // the image already, which is fine.
    // liblxd's copy asks the source for a one-time secret, which the
    // target does not use when it has the image: its token operation stays
    // running on the main server. Cancel what this image's copies left.
    t::defer_sh("lxc query '/1.0/operations?recursion=1' | jq -r '.running[]? | "
                "select(.resources.images[]? == \"/1.0/images/" + fp + "\") | .id' | "
                "xargs -r -I{} lxc query -X DELETE /1.0/operations/{} >/dev/null 2>&1");
    lxd::ImageCopyOptions no_aliases;
    no_aliases.copy_aliases = false;
    lxd::Object again = priv.copy_to(second(), no_aliases, true);
    CHECK_EQ(fp_of(again), fp);
    CHECK_EQ(out(on_second + "lxc image list " + fp.substr(0, 12) + " --format csv -c f | wc -l"),
             "1");

    // Public and split, not waited for: the copy's operation.
    lxd::UploadOptions s;
    s.rootfs = dir + "/rootfs.squashfs";
    s.public_ = true;
    lxd::Object pub = t::client().images().upload(dir + "/meta.tar.gz", s);
    std::string pfp = fp_of(pub);
    forget(pfp);
    lxd::ImageCopyOptions co;
    co.public_ = true;
    co.copy_aliases = false;
    lxd::Object later = pub.copy_to(second(), co, false);
    std::optional<lxd::Object> op = later.operation();
    REQUIRE(op.has_value());
    op->wait(120);
    CHECK_EQ(fp_of(later), pfp);
    CHECK_EQ(out(on_second + "lxc image list " + pfp.substr(0, 12) + " --format csv -c lp"), ",yes");
}

// The second server pulls a public image of the main one over the LXD
// protocol by alias (the main server's certificate trusted for the
// download), kept up to date by LXD (auto_update): its refresh works.
TEST(image_pull_from_the_main_server_and_bad_sources) {
    std::string dir = tmpdir();
    std::string id = t::unique("img-p");
    make_images(dir, id);
    std::string there = t::unique("to-pull");
    t::defer_sh("lxc image alias delete " + there + " >/dev/null 2>&1");
    lxd::UploadOptions o;
    o.public_ = true;
    o.aliases = {there};
    lxd::Object img = t::client().images().upload(dir + "/unified.tar.gz", o);
    std::string fp = fp_of(img);
    forget(fp);
    std::string alias = t::unique("pulled");
    t::defer_sh(on_second + "lxc image alias delete " + alias + " >/dev/null 2>&1");

    lxd::ImageSource src;
    src.server = "https://127.0.0.1:8443";
    src.protocol = "lxd";
    src.alias = there;
    src.certificate = out("cat /var/lib/lxd/server.crt");
    lxd::PullOptions po;
    po.aliases = {{alias, "pulled from C++"}};
    po.auto_update = true; // LXD keeps the source then
    lxd::Object got = second().images().pull(src, po);
    CHECK_EQ(fp_of(got), fp);
    CHECK_EQ(out(on_second + "lxc query /1.0/images/aliases/" + alias +
                 " | jq -r '.target + \" \" + .description'"),
             fp + " pulled from C++");
    CHECK_EQ(out(on_second + "lxc query /1.0/images/" + fp +
                 " | jq -r '[.auto_update, .update_source.server, .update_source.protocol] | "
                 "join(\",\")'"),
             "true,https://127.0.0.1:8443,lxd");
    // It has a source: the refresh action succeeds (nothing new there).
    std::string r = got.refresh();
    CHECK_EQ(jq(r, ".status"), "Success");
    CHECK_EQ(out(on_second + "lxc query /1.0/images/" + fp + " | jq -r .fingerprint"), fp);

    // Bad sources, refused before any request.
    lxd::ImageSource none; // no server
    none.alias = "x";
    CHECK(THROWS(lxd::InvalidArgument, (void)t::client().images().pull(none)));
    lxd::ImageSource neither;
    neither.server = "https://images.example";
    CHECK(THROWS(lxd::InvalidArgument, (void)t::client().images().pull(neither)));
    lxd::ImageSource both = neither;
    both.alias = "a";
    both.fingerprint = "f";
    CHECK(THROWS(lxd::InvalidArgument, (void)t::client().images().pull(both)));
    lxd::ImageSource proto = neither;
    proto.alias = "a";
    proto.protocol = "ftp";
    auto e = THROWS(lxd::InvalidArgument, (void)t::client().images().pull(proto));
    CHECK(e && t::contains(e->message(), "ftp"));
    CHECK(THROWS(lxd::InvalidArgument, (void)t::client().instances().pull(proto)));
}

TEST(image_secret_and_refresh_actions) {
    std::string dir = tmpdir();
    make_images(dir, t::unique("img-a"));
    lxd::Object img = t::client().images().upload(dir + "/unified.tar.gz");
    std::string fp = fp_of(img);
    forget(fp);

    // A secret: a running operation holding it, until used or cancelled.
    std::string op = img.secret();
    std::string op_id = jq(op, ".id");
    std::string secret = jq(op, ".metadata.secret");
    CHECK(secret.size() >= 16 && secret != "null");
    CHECK_EQ(jq(op, ".status"), "Running");
    CHECK_EQ(out("lxc query /1.0/operations/" + op_id + " | jq -r .metadata.secret"), secret);
    // The same through the generic action; each secret is its own.
    std::string op2 = img.action("secret", std::nullopt, false);
    std::string op2_id = jq(op2, ".id");
    CHECK(op2_id != op_id && jq(op2, ".metadata.secret") != secret);
    for (const std::string &id : {op_id, op2_id}) {
        t::client().operations().get(id).cancel();
        CHECK(t::eventually([&] {
            return t::sh("lxc query /1.0/operations/" + id +
                         " 2>/dev/null | jq -e '.status == \"Running\"' >/dev/null") != 0;
        }));
    }

    // Refresh: an uploaded image has no source to refresh from, which
    // LXD's operation says (a pulled one refreshes: see the pull test).
    auto nosrc = THROWS(lxd::OperationFailed, (void)img.refresh());
    CHECK(nosrc && t::contains(nosrc->message(), "Image source not found"));
    CHECK_EQ(out("lxc query /1.0/images/" + fp + " | jq -r .fingerprint"), fp);

    // Not an image: refused.
    lxd::Object prof = t::client().profiles().get("default");
    CHECK(THROWS(lxd::InvalidArgument, (void)prof.secret()));
    CHECK(THROWS(lxd::InvalidArgument, (void)prof.refresh()));
}
