# frozen_string_literal: true

require_relative "helper"
require "pathname"

# Images that move, against the real daemons: upload from files (unified
# and split, options, progress, twice is a Conflict), export to files,
# aliases as a kind, publish, copies to the second server, a secret and a
# pull between the two servers, refresh. Every image is made by the test
# (a file and a description of its own, so a fingerprint of its own) and
# deleted from both servers afterwards; `lxc` and sha256 check outcomes.
class TestImages < LXDTest::Case
  def test_upload_unified_with_options_and_progress
    id = unique("img-u")
    files = LXDTest.make_images(tmpdir, id)
    fp = sha256(files[:unified])
    forget_image(fp)

    # Stopped from the block: nil, nothing on the server.
    assert_nil(client.images.upload(files[:unified]) { |_done, _total| break })
    refute lxc_ok?("image", "info", fp)

    alias_name = unique("alias-u")
    cleanup("lxc image alias delete #{alias_name}")
    seen = []
    img = client.images.upload(files[:unified], public: true,
                                                aliases: [{ name: alias_name, description: "from Ruby" }],
                                                properties: { "lxdt.id" => id }, filename: "lxdt.tar.gz") do |done, total|
      seen << [done, total]
    end
    assert_instance_of LXD::Image, img
    assert_equal fp, img.fingerprint
    assert_operator seen.size, :>=, 2
    assert_equal File.size(files[:unified]), seen.last[1]
    assert_equal seen.last[1], seen.last[0]
    got = query("/1.0/images/#{fp}")
    assert_equal true, got["public"]
    assert_equal id, got["properties"]["lxdt.id"]
    assert_equal "lxdt.tar.gz", got["filename"]
    assert_equal [alias_name, "from Ruby"], [got["aliases"][0]["name"], got["aliases"][0]["description"]]
    assert_equal fp, query("/1.0/images/aliases/#{alias_name}")["target"]

    # Twice: the server has it.
    e = assert_raises(LXD::Conflict) { client.images.upload(files[:unified]) }
    assert_equal LXD::Native::STATUS[:conflict], e.code
    assert_raises(LXD::NotFound) { client.images.upload(File.join(tmpdir, "none.tar.gz")) }
    assert_raises(LXD::InvalidArgument) { client.images.upload(files[:unified], nope: 1) }
  end

  def test_split_upload_and_export
    id = unique("img-s")
    dir = tmpdir
    files = LXDTest.make_images(dir, id)
    fp = sha256(files[:meta], files[:rootfs])
    forget_image(fp)
    total = nil
    img = client.images.upload(Pathname.new(files[:meta]), rootfs: files[:rootfs], wait: false) { |_d, t| total = t }
    img.operation&.wait(timeout: 120)
    assert_equal fp, img.fingerprint
    assert_equal File.size(files[:meta]) + File.size(files[:rootfs]), total
    assert_equal "lxdt-rb", query("/1.0/images/#{fp}")["properties"]["description"][0, 7]

    # Export: two files, metadata first; together they are the image.
    out = tmpdir
    calls = 0
    paths = img.export(out) { |_done, _total| calls += 1 }
    assert_equal 2, paths.size
    paths.each { |p| assert_equal out, File.dirname(p) }
    assert_includes File.basename(paths[0]), "meta"
    assert_equal fp, sha256(*paths)
    assert_operator calls, :>=, 2

    # Stopped from the block: nil, no file left.
    out2 = tmpdir
    assert_nil(img.export(out2) { break })
    assert_empty Dir.children(out2)
    assert_raises(LXD::NotFound) { img.export(File.join(out2, "no", "such")) }

    # A unified image exports as one file: the tarball itself.
    ufp = sha256(files[:unified])
    forget_image(ufp)
    uni = client.images.upload(files[:unified])
    upaths = uni.export(tmpdir)
    assert_equal 1, upaths.size
    assert_equal ufp, sha256(upaths[0])
  end

  def test_image_aliases_are_a_kind
    fp = client.images.get_by_alias("busybox").fingerprint
    name = unique("alias")
    renamed = unique("alias-ren")
    cleanup("lxc image alias delete #{name}")
    cleanup("lxc image alias delete #{renamed}")
    mgr = client.image_aliases
    assert_equal :image_alias, mgr.kind.name
    a = mgr.create({ name: name, target: fp, description: "one" })
    assert_instance_of LXD::ImageAlias, a
    got = query("/1.0/images/aliases/#{name}")
    assert_equal [fp, "one"], [got["target"], got["description"]]
    assert mgr.exists?(name)
    assert_includes mgr.all.map(&:name), name

    a.description = "two"
    a.save
    assert_equal "two", query("/1.0/images/aliases/#{name}")["description"]
    a.rename(renamed)
    assert_equal renamed, a.name
    assert_includes alias_names, renamed
    refute_includes alias_names, name
    refute mgr.exists?(name)
    assert_equal fp, client.images.get_by_alias(renamed).fingerprint
    a.delete
    refute mgr.exists?(renamed)
    refute_includes alias_names, renamed
    assert_raises(LXD::NotFound) { mgr.get(renamed) }
  end

  def test_publish_an_instance_and_a_snapshot
    c = new_container("publish")
    mark = "published #{c.name}"
    c.files.put("/lxdt-pub.txt", mark)
    snap = c.snapshots.create({ name: "s0" })
    alias_name = unique("pub")
    cleanup("lxc image alias delete #{alias_name}")

    img = c.publish(aliases: [alias_name], public: true, compression_algorithm: "none",
                    properties: { "description" => c.name, "lxdt.from" => c.name })
    assert_instance_of LXD::Image, img
    fp = img.fingerprint
    forget_image(fp)
    assert_equal fp, query("/1.0/images/aliases/#{alias_name}")["target"]
    got = query("/1.0/images/#{fp}")
    assert_equal [true, c.name], [got["public"], got["properties"]["lxdt.from"]]
    # The image holds the file: exported, its rootfs has it.
    out = tmpdir
    path, = img.export(out)
    assert_equal mark, lxc_sh("tar -xOf #{path} rootfs/lxdt-pub.txt")

    # A snapshot, without waiting: the image learns its fingerprint.
    img2 = snap.publish(properties: { "description" => "#{c.name}-snap" }, compression_algorithm: "none",
                        wait: false)
    op = img2.operation
    refute_nil op
    op.wait(timeout: 120)
    fp2 = img2.fingerprint
    forget_image(fp2)
    assert_match(/\A\h{64}\z/, fp2)
    assert_equal fp2, query("/1.0/images/#{fp2}")["fingerprint"]
    refute_equal fp, fp2

    e = assert_raises(LXD::InvalidArgument) { c.publish(nope: 1) }
    assert_match(/nope/, e.message)
  end

  # A private image to the second server (a secret of the source's), with
  # its alias; again (the target has it); a public split one, not waited.
  def test_copy_images_to_the_second_server
    id = unique("img-c")
    files = LXDTest.make_images(tmpdir, id)
    alias_name = unique("copied")
    cleanup("lxc image alias delete #{alias_name}")
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc image alias delete #{alias_name}")
    priv = client.images.upload(files[:unified], public: false, aliases: alias_name)
    fp = priv.fingerprint
    forget_image(fp)
    refute second_lxc("image", "list", "--format", "csv", "-c", "F").include?(fp)

    copy = priv.copy_to(second)
    assert_instance_of LXD::Image, copy
    assert_same second, copy.client
    assert_equal fp, copy.fingerprint
    assert_includes second_lxc("image", "list", "--format", "csv", "-c", "F").split, fp
    got = JSON.parse(second_lxc("query", "/1.0/images/#{fp}"))
    assert_equal [false, alias_name], [got["public"], got["aliases"][0]["name"]]

    # Again: the target has it already, LXD leaves it as it is. (liblxd
    # then leaves the secret it made unused: its token operation stays
    # running on the source, so the test removes it.)
    cleanup { drop_tokens_of(fp) }
    again = priv.copy_to(second, copy_aliases: false)
    assert_equal fp, again.fingerprint

    meta, root = files.values_at(:meta, :rootfs)
    pub = client.images.upload(meta, rootfs: root, public: true)
    pfp = pub.fingerprint
    forget_image(pfp)
    later = pub.copy_to(second, copy_aliases: false, public: true, wait: false)
    later.operation&.wait(timeout: 120)
    assert_equal pfp, later.fingerprint
    assert_equal true, JSON.parse(second_lxc("query", "/1.0/images/#{pfp}"))["public"]

    assert_raises(LXD::InvalidArgument) { pub.copy_to("not a client") }
  end

  # The second server pulls from the main one over the LXD protocol: a
  # private image through a secret, then a public one by alias with
  # auto_update, which refresh then checks against its source.
  def test_secret_pull_and_refresh
    id = unique("img-p")
    files = LXDTest.make_images(tmpdir, id)
    img = client.images.upload(files[:unified])
    fp = img.fingerprint
    forget_image(fp)
    cert = client.host_info["environment"]["certificate"]
    server = "https://#{lxc('config', 'get', 'core.https_address')}"

    op = img.secret
    cleanup("lxc operation delete #{op['id']}")
    assert_equal "Running", op["status"]
    secret = op["metadata"]["secret"]
    got = second.images.pull({ server: server, protocol: "lxd", fingerprint: fp, secret: secret,
                               certificate: cert })
    assert_equal fp, got.fingerprint
    assert_equal false, JSON.parse(second_lxc("query", "/1.0/images/#{fp}"))["public"]
    # The secret was used up: its operation is over.
    refute_equal "Running", (JSON.parse(lxc("query", "/1.0/operations/#{op['id']}"))["status"] rescue "gone")
    second_lxc("image", "delete", fp)

    # Public with an alias: pulled by alias, with auto_update.
    alias_name = unique("pulled")
    cleanup("lxc image alias delete #{alias_name}")
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc image alias delete #{alias_name}")
    img.public = true
    img.save
    client.image_aliases.create({ name: alias_name, target: fp })
    got = second.images.pull({ server: server, protocol: "lxd", alias: alias_name, certificate: cert },
                             aliases: [alias_name], auto_update: true)
    assert_equal fp, got.fingerprint
    there = JSON.parse(second_lxc("query", "/1.0/images/#{fp}"))
    assert_equal [true, alias_name, server], [there["auto_update"], there["aliases"][0]["name"],
                                               there["update_source"]["server"]]
    result = got.refresh
    assert_equal "Success", result["status"]
    assert_equal false, result["metadata"]["refreshed"]
    # An image uploaded from files has no source to refresh from.
    assert_raises(LXD::OperationFailed) { img.refresh }

    # Bad sources are refused before any request.
    [{}, { server: "ftp://example.invalid", alias: "x" }, { server: server }, { server: server, alias: "x", fingerprint: fp },
     { server: server, alias: "x", protocol: "gopher" }, { server: server, alias: "x", sever: "y" }, "{", "[]"].each do |bad|
      assert_raises(LXD::InvalidArgument, bad.inspect) { second.images.pull(bad) }
    end
    assert_raises(LXD::InvalidArgument) { second.images.pull(nil) }
  end

  private

  # Delete the running image-download tokens of image `fp` (main server).
  def drop_tokens_of(fp)
    ops = query("/1.0/operations?recursion=1")
    ops.values.flatten.compact.each do |op|
      next unless op["class"] == "token" && op.dig("resources", "images").to_a.any? { |r| r.end_with?("/#{fp}") }

      LXDTest.sh("lxc operation delete #{op['id']}")
    end
  end

  def alias_names
    lxc("image", "alias", "list", "--format", "csv").lines.map { |l| l.split(",").first }
  end

  # A shell pipeline's stdout (asserting success).
  def lxc_sh(cmd)
    out, err, st = Open3.capture3("bash", "-c", cmd)
    assert st.success?, "#{cmd}: #{err}"
    out
  end
end
