# frozen_string_literal: true

require_relative "helper"

# Kinds that live under an instance: snapshots and backups, through the
# managers on the instance (made from the kind table), checked with lxc.
class TestChildren < LXDTest::Case
  def test_snapshot_create_list_get_update_rename_restore_delete
    c = new_container("snap")
    c.files.put("/root/f", "before snapshot")
    c.config = c.config.merge("user.state" => "before")
    c.save

    snap = c.snapshots.create({ name: "s0" }, wait: true)
    assert_instance_of LXD::InstanceSnapshot, snap
    assert_equal :instance_snapshot, snap.kind
    assert_equal "s0", snap.key
    assert_same c.client, snap.client
    assert_equal ["/1.0/instances/#{c.name}/snapshots/s0"], query("/1.0/instances/#{c.name}/snapshots")
    assert_equal "before", snap.config["user.state"]
    assert_same c.snapshots, c.snapshots
    assert_equal ["s0"], c.snapshots.all.map(&:name)
    assert_equal ["s0"], c.snapshots.map(&:key) # Enumerable
    assert c.snapshots.exists?("s0")
    refute c.snapshots.exists?("nope")
    e = assert_raises(LXD::NotFound) { c.snapshots.get("nope") }
    assert_equal 404, e.http_status
    # The generic calls (lxd_child_*) see the same.
    assert_equal "s0", c.child_get(:instance_snapshot, "s0").name
    assert c.child_exists?(:instance_snapshot, "s0")
    assert_equal ["s0"], c.child_all(:instance_snapshot).map(&:name)
    # A second handle on the instance reaches the same snapshots.
    assert_equal ["s0"], client.instances.get(c.name).snapshots.all.map(&:name)

    # expires_at is the one writable attribute; save and patch reach LXD.
    assert_raises(LXD::ReadOnly) { snap.name = "x" }
    assert_raises(LXD::ReadOnly) { snap.config = {} }
    snap.expires_at = "2030-01-02T03:04:05Z"
    assert snap.dirty?
    snap.save
    refute snap.dirty?
    assert_match(/\A2030-01-02T03:04:05/, query("/1.0/instances/#{c.name}/snapshots/s0")["expires_at"])
    snap.patch({ expires_at: "2031-01-02T03:04:05Z" })
    assert_match(/\A2031-01-02T03:04:05/, query("/1.0/instances/#{c.name}/snapshots/s0")["expires_at"])
    assert_match(/\A2031/, snap.expires_at)

    # A change made meanwhile by someone else is not overwritten.
    lxc("query", "--wait", "-X", "PATCH", "/1.0/instances/#{c.name}/snapshots/s0",
        "-d", JSON.generate(expires_at: "2032-01-01T00:00:00Z"))
    snap.expires_at = "2033-01-01T00:00:00Z"
    assert_raises(LXD::PreconditionFailed) { snap.save }
    assert_match(/\A2032/, query("/1.0/instances/#{c.name}/snapshots/s0")["expires_at"])
    snap.rollback

    snap.rename("s1")
    assert_equal "s1", snap.key
    assert_equal ["/1.0/instances/#{c.name}/snapshots/s1"], query("/1.0/instances/#{c.name}/snapshots")

    # Restore: the files and the configuration come back.
    c.files.put("/root/f", "after snapshot")
    c.sync
    c.config = c.config.merge("user.state" => "after")
    c.save
    assert_equal "after", lxc("config", "get", c.name, "user.state")
    snap.restore(wait: true)
    assert_equal "before snapshot", lxc("file", "pull", "#{c.name}/root/f", "-")
    assert_equal "before", lxc("config", "get", c.name, "user.state")

    snap.delete
    assert_empty query("/1.0/instances/#{c.name}/snapshots")
    assert_empty c.snapshots.all

    # Without a name LXD picks one (snap0), which the object learns, with
    # wait and without.
    unnamed = c.snapshots.create({})
    assert_equal "snap0", unnamed.key
    assert_equal ["/1.0/instances/#{c.name}/snapshots/snap0"], query("/1.0/instances/#{c.name}/snapshots")
    later = c.snapshots.create({}, wait: false)
    later.operation&.wait(timeout: 60)
    assert_equal "snap1", later.name
    assert_equal %w[snap0 snap1], c.snapshots.all.map(&:name).sort
    [unnamed, later].each(&:delete)
    assert_empty query("/1.0/instances/#{c.name}/snapshots")
  end

  def test_snapshot_without_wait_and_on_other_handles
    c = new_container("snapw")
    snap = c.snapshots.create({ name: "s0" }, wait: false)
    op = snap.operation
    op&.wait(timeout: 60)
    assert_equal "s0", snap.name # the first read waits for the creation
    assert lxc_ok?("query", "/1.0/instances/#{c.name}/snapshots/s0")
    # Through the instance kind (a container handle and an instance handle
    # reach the same children).
    inst = client.instances.get(c.name)
    assert_instance_of LXD::Instance, inst
    assert_equal ["s0"], inst.snapshots.all.map(&:name)
    inst.snapshots.get("s0").delete
    refute lxc_ok?("query", "/1.0/instances/#{c.name}/snapshots/s0")
    e = assert_raises(LXD::InvalidArgument) { client.profiles.get("default").children(:instance_snapshot) }
    assert_match(/do not live under/, e.message)
    assert_raises(LXD::InvalidArgument) { c.snapshots.create({ name: "" }) }
  end

  def test_backup_create_export_import
    c = new_container("bak")
    content = "backup content #{unique('x')}\n"
    c.files.put("/root/f", content)
    b = c.backups.create({ name: "b0", instance_only: true, compression_algorithm: "gzip" }, wait: true)
    assert_instance_of LXD::InstanceBackup, b
    assert_equal "b0", b.key
    listed = query("/1.0/instances/#{c.name}/backups?recursion=1")
    assert_equal ["b0"], listed.map { |x| x["name"] }
    assert_equal true, listed.first["instance_only"]
    assert_equal true, b.instance_only
    assert_equal ["b0"], c.backups.all.map(&:name)
    assert c.backups.exists?("b0")
    refute c.backups.exists?("nope")
    assert_raises(LXD::ReadOnly) { b.expires_at = "2030-01-01T00:00:00Z" }
    e = assert_raises(LXD::InvalidArgument) { b.patch({ expires_at: "2030-01-01T00:00:00Z" }) }
    assert_equal LXD::Native::STATUS[:invalid_argument], e.code

    Dir.mktmpdir("lxdt-rb-bak") do |dir|
      path = File.join(dir, "b0.tar.gz")
      seen = []
      assert_same b, b.export(path) { |done, total| seen << [done, total] }
      size = File.size(path)
      refute_empty seen
      assert_equal size, seen.last[0]
      assert(seen.each_cons(2).all? { |(a, _), (z, _)| a <= z })
      members, st = Open3.capture2("tar", "-tzf", path)
      assert st.success?
      assert_includes members.lines.map(&:chomp), "backup/index.yaml"
      inside, st = Open3.capture2("tar", "-xzOf", path, "backup/container/rootfs/root/f")
      assert st.success?
      assert_equal content, inside

      # Stopping the download: nil, and no file left behind.
      partial = File.join(dir, "partial.tar.gz")
      assert_nil(b.export(partial) { |_done, _total| break })
      refute File.exist?(partial)
      # act_to_file is the same action by name.
      again = File.join(dir, "again.tar.gz")
      assert_same b, b.act_to_file(:export, nil, again)
      assert_equal File.binread(path).bytesize, File.size(again)

      # Import: a new instance from the tarball, with the file.
      name = unique("imported")
      cleanup("lxc delete -f #{name}")
      progress = []
      imported = client.import_instance(path, name: name) { |done, total| progress << [done, total] }
      assert_kind_of LXD::Instance, imported
      assert_equal name, imported.name
      assert_equal size, progress.last[0]
      assert lxc_ok?("info", name)
      imported.start(wait: true)
      assert_equal "RUNNING", lxc("list", name, "--format", "csv", "-c", "s")
      assert_equal content, lxc("exec", name, "--", "cat", "/root/f") + "\n"
      imported.stop(force: true)

      # The name is taken now: LXD refuses, and says why.
      e = assert_raises(LXD::OperationFailed) { client.import_instance(path, name: name) }
      assert_match(/exist/i, e.message)
      assert_raises(LXD::NotFound) { client.import_instance(File.join(dir, "nope.tar.gz")) }
    end

    b.rename("b1")
    assert_equal ["b1"], query("/1.0/instances/#{c.name}/backups?recursion=1").map { |x| x["name"] }
    b.delete
    assert_empty query("/1.0/instances/#{c.name}/backups")
    # Without a name LXD picks one, which the object learns.
    unnamed = c.backups.create({ instance_only: true })
    assert_equal "backup0", unnamed.key
    assert_equal ["backup0"], query("/1.0/instances/#{c.name}/backups?recursion=1").map { |x| x["name"] }
    unnamed.delete
  end
end
