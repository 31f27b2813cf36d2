# frozen_string_literal: true

require_relative "helper"
require "digest"

# Files of the shared running container, checked with `lxc exec`/`lxc file`.
class TestFiles < LXDTest::Case
  def box
    LXDTest.box
  end

  def dir
    @dir ||= "/root/#{unique('f')}"
  end

  def setup
    super
    box.files.mkdir(dir)
    cleanup("lxc exec #{box.name} -- rm -rf #{dir}")
  end

  def test_binary_round_trip_with_nuls
    data = (Array.new(70_000) { |i| (i * 7 + i / 256) % 256 }.pack("C*") + "\0\0\xff".b)
    assert_equal data.bytesize, box.files.put("#{dir}/bin", data)
    got = box.files.get("#{dir}/bin")
    assert_equal Encoding::ASCII_8BIT, got.encoding
    assert_equal data, got
    assert_equal Digest::MD5.hexdigest(data), lxc("exec", box.name, "--", "md5sum", "#{dir}/bin").split.first
    # Empty files too.
    box.files.put("#{dir}/empty", "")
    assert_equal "", box.files.get("#{dir}/empty")
    assert_equal "0", lxc("exec", box.name, "--", "stat", "-c", "%s", "#{dir}/empty")
  end

  def test_mode_owner_append_delete
    box.files.put("#{dir}/m", "x", mode: 0o640, uid: 1000, gid: 1001)
    assert_equal "640 1000 1001", lxc("exec", box.name, "--", "stat", "-c", "%a %u %g", "#{dir}/m")
    box.files.put("#{dir}/s", "y", mode: "0600")
    assert_equal "600", lxc("exec", box.name, "--", "stat", "-c", "%a", "#{dir}/s")
    box.files.put("#{dir}/m", "more", append: true)
    assert_equal "xmore", lxc("exec", box.name, "--", "cat", "#{dir}/m")
    box.files.delete("#{dir}/m")
    refute lxc_ok?("exec", box.name, "--", "test", "-e", "#{dir}/m")
    assert_raises(LXD::NotFound) { box.files.get("#{dir}/m") }
    assert_raises(LXD::NotFound) { box.files.delete("#{dir}/m") }
    assert_raises(LXD::NotFound) { box.files.put("#{dir}/no/such/parent", "x") }
    assert_raises(LXD::InvalidArgument) { box.files.get(dir) }
    assert_raises(LXD::InvalidArgument) { box.files.put("#{dir}/x", 12) }
    assert_raises(LXD::InvalidArgument) { box.files.put("#{dir}/x\0y", "z") }
    assert_raises(LXD::InvalidArgument) { box.files.put("#{dir}/x", "z", mode: 1.5) }
  end

  def test_mkdir
    box.files.mkdir("#{dir}/a/b/c", parents: true, mode: 0o700)
    assert_equal "700", lxc("exec", box.name, "--", "stat", "-c", "%a", "#{dir}/a/b/c")
    box.files.mkdir("#{dir}/a") # exists: fine
    assert_raises(LXD::NotFound) { box.files.mkdir("#{dir}/x/y") }
    box.files.put("#{dir}/file", "f")
    assert_raises(LXD::Conflict) { box.files.mkdir("#{dir}/file") }
    box.files.delete("#{dir}/a/b/c")
    refute lxc_ok?("exec", box.name, "--", "test", "-d", "#{dir}/a/b/c")
  end

  def test_push_and_pull_a_tree_with_progress
    local = Dir.mktmpdir("lxdt-rb-push-")
    cleanup { FileUtils.rm_rf(local) }
    FileUtils.mkdir_p("#{local}/tree/sub")
    File.binwrite("#{local}/tree/a.bin", "\0\1\2" * 100_000)
    File.binwrite("#{local}/tree/sub/b.txt", "hello\n")
    File.symlink("sub/b.txt", "#{local}/tree/link")
    progress = []
    assert_same box.files, box.files.push("#{local}/tree", "#{dir}/tree") { |done, total| progress << [done, total] }
    refute_empty progress
    assert_equal 300_006, progress.last[0]
    assert_equal 300_006, progress.last[1]
    assert_equal "hello", lxc("exec", box.name, "--", "cat", "#{dir}/tree/sub/b.txt")
    assert_equal "sub/b.txt", lxc("exec", box.name, "--", "readlink", "#{dir}/tree/link")
    assert_equal Digest::MD5.hexdigest("\0\1\2" * 100_000),
                 lxc("exec", box.name, "--", "md5sum", "#{dir}/tree/a.bin").split.first

    pulled = []
    box.files.pull("#{dir}/tree", "#{local}/back") { |done, total| pulled << [done, total] }
    assert_equal File.binread("#{local}/tree/a.bin"), File.binread("#{local}/back/a.bin")
    assert_equal "hello\n", File.read("#{local}/back/sub/b.txt")
    assert_equal "sub/b.txt", File.readlink("#{local}/back/link")
    assert_equal 300_006, pulled.last[0]
    box.files.pull("#{dir}/tree/sub/b.txt", "#{local}/single.txt") # no block: no progress
    assert_equal "hello\n", File.read("#{local}/single.txt")
    assert_raises(LXD::NotFound) { box.files.pull("#{dir}/nothing", "#{local}/x") }
  end

  def test_stopping_a_transfer_from_the_block
    local = Dir.mktmpdir("lxdt-rb-stop-")
    cleanup { FileUtils.rm_rf(local) }
    File.binwrite("#{local}/big", "z" * 4_000_000)
    assert_nil(box.files.push("#{local}/big", "#{dir}/big") { |_done, _total| break })
    e = assert_raises(RuntimeError) do
      box.files.push("#{local}/big", "#{dir}/big2") { |_done, _total| raise "no more" }
    end
    assert_equal "no more", e.message
    box.files.push("#{local}/big", "#{dir}/big3")
    assert_equal "4000000", lxc("exec", box.name, "--", "stat", "-c", "%s", "#{dir}/big3")
  end

  def test_pull_drops_special_bits_unless_asked_to_keep_them
    lxc("exec", box.name, "--", "sh", "-c",
        "mkdir -p #{dir}/sb && printf s > #{dir}/sb/suid && chmod 4755 #{dir}/sb/suid && " \
        "printf t > #{dir}/sb/sticky && chmod 1777 #{dir}/sb/sticky")
    assert_equal "4755", lxc("exec", box.name, "--", "stat", "-c", "%a", "#{dir}/sb/suid")
    local = Dir.mktmpdir("lxdt-rb-sbits-")
    cleanup { FileUtils.rm_rf(local) }
    mode = ->(path) { File.stat(path).mode & 0o7777 }

    box.files.pull("#{dir}/sb/suid", "#{local}/plain")
    assert_equal 0o755, mode.call("#{local}/plain")
    box.files.pull("#{dir}/sb/suid", "#{local}/false", keep_special_bits: false)
    assert_equal 0o755, mode.call("#{local}/false")
    assert_same box.files, box.files.pull("#{dir}/sb/suid", "#{local}/kept", keep_special_bits: true)
    assert_equal 0o4755, mode.call("#{local}/kept")
    # A folder, with progress: every file keeps its bits.
    progress = []
    box.files.pull("#{dir}/sb", "#{local}/tree", keep_special_bits: true) { |done, total| progress << [done, total] }
    assert_equal [2, 2], progress.last
    assert_equal 0o4755, mode.call("#{local}/tree/suid")
    assert_equal 0o1777, mode.call("#{local}/tree/sticky")
    box.files.pull("#{dir}/sb", "#{local}/tree-plain")
    assert_equal 0o755, mode.call("#{local}/tree-plain/suid")
    assert_equal 0o777, mode.call("#{local}/tree-plain/sticky")
  end

  def test_pull_refuses_a_symlink_out_of_the_tree
    lxc("exec", box.name, "--", "sh", "-c", "mkdir -p #{dir}/evil && ln -s /etc/passwd #{dir}/evil/pw")
    local = Dir.mktmpdir("lxdt-rb-evil-")
    cleanup { FileUtils.rm_rf(local) }
    assert_raises(LXD::UnsafePath) { box.files.pull("#{dir}/evil", "#{local}/evil") }
    refute File.exist?("#{local}/evil/pw")
  end
end
