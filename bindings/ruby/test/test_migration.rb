# frozen_string_literal: true

require_relative "helper"

# Instances moving between the main server and the second one: copies in
# pull, push and relay mode (with and without snapshots), a refresh of an
# existing copy, a taken name, a move, a local copy, refused input.
# Outcomes are read on the servers with `lxc` (the second with LXD_DIR
# set): the copy's file checksum and snapshots. One stopped source
# container (a file of its own, one snapshot) serves the whole file.
class TestMigration < LXDTest::Case
  MARK = "/lxdt-migration.txt"

  @source_lock = Mutex.new

  class << self
    # The shared stopped source: [container, md5 of MARK]; deleted at exit.
    def source
      @source_lock.synchronize do
        @source ||= begin
          name = LXDTest.unique("mig-src")
          at_exit { LXDTest.sh("lxc delete -f #{name}") }
          make(name)
        end
      end
    end

    # A stopped container with MARK (content of its own) and a snapshot s0.
    def make(name)
      c = LXDTest.client.containers.create({ name: name, source: { type: "image", alias: "busybox" } })
      content = "migrated from #{name} at #{Process.clock_gettime(Process::CLOCK_REALTIME, :nanosecond)}"
      c.files.put(MARK, content)
      c.snapshots.create({ name: "s0" })
      [c, Digest::MD5.hexdigest(content)]
    end
  end

  def source
    self.class.source
  end

  # md5 of MARK in instance `name` of the second server.
  def second_sum(name)
    out, _err, st = Open3.capture3({ "LXD_DIR" => LXDTest::SECOND_DIR }, "lxc", "file", "pull", "#{name}#{MARK}", "-")
    assert st.success?, "no #{MARK} in #{name} on the second server"
    Digest::MD5.hexdigest(out)
  end

  def second_snapshots(name)
    JSON.parse(second_lxc("query", "/1.0/instances/#{name}/snapshots")).map { |u| u.split("/").last }
  end

  def copy_in_mode(mode, instance_only)
    src, sum = source
    name = unique(mode.to_s)
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc delete -f #{name}")
    copy = src.copy_to(second, name: name, mode: mode, instance_only: instance_only)
    assert_kind_of LXD::Instance, copy
    assert_same second, copy.client
    assert_equal [name, "Stopped"], [copy.name, copy.status]
    assert_equal sum, second_sum(name)
    assert_equal(instance_only ? [] : ["s0"], second_snapshots(name))
    assert_equal "STOPPED", lxc("list", src.name, "-c", "s", "--format", "csv")
  end

  def test_copy_pull_with_snapshots
    copy_in_mode(:pull, false)
  end

  def test_copy_push_instance_only
    copy_in_mode("push", true)
  end

  def test_copy_relay_with_snapshots
    copy_in_mode(:relay, false)
  end

  # A refresh brings a change of the source to the existing copy; without
  # refresh the name is taken: Conflict, both sides as they were.
  def test_refresh_and_a_taken_name
    src, sum = source
    name = unique("refresh")
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc delete -f #{name}")
    src.copy_to(second, name: name, instance_only: true)
    extra = "refreshed #{name}"
    src.files.put("/lxdt-extra.txt", extra)
    cleanup("lxc file delete #{src.name}/lxdt-extra.txt")
    src.copy_to(second, name: name, refresh: true, instance_only: true)
    assert_equal extra, second_lxc("file", "pull", "#{name}/lxdt-extra.txt", "-")

    e = assert_raises(LXD::Conflict) { src.copy_to(second, name: name) }
    assert_equal LXD::Native::STATUS[:conflict], e.code
    assert_equal sum, second_sum(name)
    assert_equal sum, Digest::MD5.hexdigest(lxc("file", "pull", "#{src.name}#{MARK}", "-"))
    assert_equal "STOPPED", lxc("list", src.name, "-c", "s", "--format", "csv")
  end

  # A running instance is refused (and stays); stopped, it moves: gone
  # from the main server, on the second with its file and snapshot.
  def test_move
    name = unique("move")
    cleanup("lxc delete -f #{name}")
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc delete -f #{name}")
    c, sum = self.class.make(name)
    c.start
    assert_raises(LXD::InvalidArgument) { c.move_to(second, mode: :push) }
    assert_equal "RUNNING", lxc("list", name, "-c", "s", "--format", "csv")
    c.stop(force: true)

    moved = c.move_to(second, mode: :push)
    assert_same second, moved.client
    assert_equal name, moved.name
    assert_equal "", lxc("list", name, "-c", "n", "--format", "csv")
    assert_equal name, second_lxc("list", name, "-c", "n", "--format", "csv")
    assert_equal sum, second_sum(name)
    assert_equal ["s0"], second_snapshots(name)
  end

  # Both clients on one server: LXD's local copy, through the same call.
  def test_copy_to_the_same_server_is_a_local_copy
    src, sum = source
    name = unique("local")
    cleanup("lxc delete -f #{name}")
    copy = src.copy_to(client, name: name, mode: :relay, instance_only: true)
    assert_equal name, copy.name
    assert_equal sum, Digest::MD5.hexdigest(lxc("file", "pull", "#{name}#{MARK}", "-"))
  end

  def test_bad_input_is_refused_before_any_request
    src, = source
    e = assert_raises(LXD::InvalidArgument) { src.copy_to(second, mode: :relay, wait: false) }
    assert_equal LXD::Native::STATUS[:invalid_argument], e.code
    assert_raises(LXD::InvalidArgument) { src.copy_to(second, mode: :teleport) }
    e = assert_raises(LXD::InvalidArgument) { src.copy_to(second, nme: "x") }
    assert_match(/nme/, e.message)
    assert_raises(LXD::InvalidArgument) { src.copy_to(nil) }
    assert_raises(LXD::InvalidArgument) { src.move_to("second") }
    assert_equal "STOPPED", lxc("list", src.name, "-c", "s", "--format", "csv")
  end
end
