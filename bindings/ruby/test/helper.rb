# frozen_string_literal: true

# Shared helpers of the test suite: it drives the REAL LXD daemon on this
# machine (only test_warnings.rb talks to a fake one) and checks outcomes
# independently with the `lxc` command.

require "minitest"
require "open3"
require "json"
require "tmpdir"
require "fileutils"
require "digest"
require "lxd"

module LXDTest
  PREFIX = "lxdt-rb-#{Process.pid}"
  # The second server's LXD_DIR (scripts/lxd-private.sh second).
  SECOND_DIR = "/var/lib/lxd-liblxd-second"
  @counter = 0
  @counter_lock = Mutex.new

  class << self
    # A unique object name, `lxdt-rb-<pid>-<tag>-<n>`.
    def unique(tag)
      n = @counter_lock.synchronize { @counter += 1 }
      "#{PREFIX}-#{tag}-#{n}"
    end

    # The client shared by the tests (local unix socket).
    def client
      @client ||= LXD::Client.new
    end

    # A running busybox container shared by the exec and files tests,
    # created on first use and deleted at exit.
    def box
      @box_lock ||= Mutex.new
      @box_lock.synchronize do
        @box ||= begin
          name = unique("box")
          at_exit { LXDTest.sh("lxc delete -f #{name}") }
          c = client.containers.create({ name: name, source: { type: "image", alias: "busybox" } })
          c.start(wait: true)
          c
        end
      end
    end

    # A client of the second server (scripts/lxd-private.sh second), on its
    # unix socket, for the copies and moves; closed at exit.
    def second
      @second_lock ||= Mutex.new
      @second_lock.synchronize do
        @second ||= LXD::Client.new(File.join(SECOND_DIR, "unix.socket")).tap do |c|
          at_exit { c.close }
        end
      end
    end

    # Build a unique image in `dir` from the busybox tarball, with
    # /lxdt-id and the description in metadata.yaml holding `id` (so that
    # test.sh finds any left behind): dir/unified.tar.gz, and split as
    # dir/meta.tar.gz + dir/rootfs.squashfs.
    def make_images(dir, id)
      _out, err, st = Open3.capture3("bash", "-c", <<~SH, "make_images", dir, id)
        set -e; cd "$1"; tb=$(ls -t /var/cache/liblxd/busybox-rev*.tar.gz | head -n 1)
        mkdir x; tar -xzf "$tb" -C x; echo "$2" > x/rootfs/lxdt-id
        sed -i "s/^  description: .*/  description: $2/" x/metadata.yaml
        tar --numeric-owner -C x -czf unified.tar.gz metadata.yaml rootfs
        tar --numeric-owner -C x -czf meta.tar.gz metadata.yaml
        mksquashfs x/rootfs rootfs.squashfs -quiet -noappend -all-root >/dev/null; rm -rf x
      SH
      raise "making images: #{err}" unless st.success?

      { unified: File.join(dir, "unified.tar.gz"), meta: File.join(dir, "meta.tar.gz"),
        rootfs: File.join(dir, "rootfs.squashfs") }
    end

    # Whether the daemon is a member of a cluster: `lxc query /1.0/cluster`'s
    # `enabled`, read once (the suite's daemon is a standalone server).
    def clustered?
      return @clustered unless @clustered.nil?

      out, ok = sh("lxc query /1.0/cluster")
      raise "lxc query /1.0/cluster failed" unless ok

      @clustered = JSON.parse(out)["enabled"] == true
    end

    # Run a shell command; [stdout, success].
    def sh(cmd)
      out, _err, st = Open3.capture3(cmd)
      [out, st.success?]
    end

    # Everything the run may have left, by name prefix (the safety net;
    # each test deletes what it creates in its own teardown).
    def sweep
      out, = sh("lxc list #{PREFIX} --format csv -c n")
      out.split.each { |n| sh("lxc delete -f #{n}") if n.start_with?(PREFIX) }
      out, = sh("lxc profile list --format csv")
      out.lines.map { |l| l.split(",").first }.each do |n|
        sh("lxc profile delete #{n}") if n&.start_with?(PREFIX)
      end
      out, = sh("lxc query /1.0/certificates?recursion=1")
      (JSON.parse(out) rescue []).each do |c|
        sh("lxc config trust remove #{c['fingerprint']}") if c["name"].to_s.start_with?(PREFIX)
      end
    end
  end

  # Base class: per-test cleanups run in teardown even when the test failed.
  class Case < Minitest::Test
    make_my_diffs_pretty!

    def setup
      @cleanups = []
    end

    def teardown
      @cleanups.reverse_each do |c|
        c.call
      rescue StandardError => e
        warn "cleanup failed: #{e.class}: #{e.message}"
      end
    end

    def client
      LXDTest.client
    end

    def unique(tag)
      LXDTest.unique(tag)
    end

    # Register a cleanup (a shell command or a block).
    def cleanup(cmd = nil, &block)
      @cleanups << (block || -> { LXDTest.sh("#{cmd} >/dev/null 2>&1") })
    end

    # Run `lxc ARGS`; assert success; return stdout without the final newline.
    #
    # LXD 5.0.2 now and then loses the whole output of an `lxc exec` on a
    # loaded machine (canonical/lxd#11422, fixed in LXD 5.14): an `lxc exec`
    # of a read-only program that succeeded without output is asked again.
    def lxc(*args)
      3.times do |attempt|
        out, err, st = Open3.capture3("lxc", *args)
        assert st.success?, "lxc #{args.join(' ')} failed: #{err}"
        return out.chomp unless out.empty? && lxc_exec_reads?(args) && attempt < 2
      end
    end

    READERS = %w[cat stat md5sum sha256sum readlink ls ps id pwd wc head tail find du env].freeze

    # Whether ARGS are `exec NAME -- PROG …` with PROG a program that only
    # reads, so that running it again is safe.
    def lxc_exec_reads?(args)
      return false unless args.first == "exec"

      i = args.index("--")
      !i.nil? && READERS.include?(args[i + 1])
    end

    # The HTTP status with which a standalone LXD 5.0.2 refuses the
    # endpoints of a kind that needs a cluster ("Server is not clustered",
    # 500, for members; "This server is not clustered", 400, for groups).
    NOT_CLUSTERED = { cluster_member: 500, cluster_group: 400 }.freeze

    # Whether the daemon refuses kind `name` for not being a cluster.
    def refused_unclustered?(name)
      NOT_CLUSTERED.key?(name) && !LXDTest.clustered?
    end

    # Assert that the block raises LXD's refusal of a standalone server:
    # LXD::APIError with HTTP status `status` (one of {NOT_CLUSTERED}) and
    # "not clustered" in the message. Returns the error.
    def assert_not_clustered(status, what)
      e = assert_raises(LXD::APIError, what) { yield }
      assert_equal status, e.http_status, what
      assert_equal LXD::Native::STATUS[:api], e.code, what
      assert_match(/not clustered/, e.message, what)
      e
    end

    # `lxc ARGS` on the second server (LXD_DIR set), as {#lxc}.
    def second_lxc(*args)
      out, err, st = Open3.capture3({ "LXD_DIR" => LXDTest::SECOND_DIR }, "lxc", *args)
      assert st.success?, "LXD_DIR=#{LXDTest::SECOND_DIR} lxc #{args.join(' ')} failed: #{err}"
      out.chomp
    end

    def second
      LXDTest.second
    end

    # Delete image `fp` from both servers at teardown.
    def forget_image(fp)
      cleanup("lxc image delete #{fp}")
      cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc image delete #{fp}")
    end

    # A folder of the test's own, removed at teardown.
    def tmpdir
      dir = Dir.mktmpdir("lxdt-rb-img")
      cleanup { FileUtils.rm_rf(dir) }
      dir
    end

    def sha256(*files)
      Digest::SHA256.hexdigest(files.map { |f| File.binread(f) }.join)
    end

    # `lxc query PATH`, parsed: the server's view, read independently.
    def query(path)
      JSON.parse(lxc("query", path))
    end

    # Whether `lxc ARGS` succeeds.
    def lxc_ok?(*args)
      _out, _err, st = Open3.capture3("lxc", *args)
      st.success?
    end

    # A new busybox container (deleted at teardown).
    def new_container(tag, start: false)
      name = unique(tag)
      cleanup("lxc delete -f #{name}")
      c = client.containers.create({ "name" => name, "source" => { "type" => "image", "alias" => "busybox" } })
      c.start if start
      c
    end

    # A new profile (deleted at teardown).
    def new_profile(tag, **extra)
      name = unique(tag)
      cleanup("lxc profile delete #{name}")
      client.profiles.create({ "name" => name }.merge(extra.transform_keys(&:to_s)))
    end

    # Queue#pop with a timeout (Ruby 3.1's Queue#pop has none): the next
    # item, or nil when none came within `seconds`.
    def pop_within(queue, seconds)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
      loop do
        begin
          return queue.pop(true)
        rescue ThreadError
          return nil if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

          sleep 0.02
        end
      end
    end

    # Poll `block` until it is truthy (a functional wait, not a timing
    # assertion); returns its last value.
    def eventually(tries: 100, pause: 0.1)
      value = nil
      tries.times do
        value = yield
        return value if value

        sleep pause
      end
      value
    end
  end
end

# "N passed, M failed" as the last line (skips count as failed: no test may
# hide a missing feature behind a skip).
module Minitest
  # @!visibility private
  class LXDSummaryReporter < AbstractReporter
    def initialize
      super
      @runs = @failed = 0
    end

    def record(result)
      @runs += 1
      @failed += 1 unless result.passed?
    end

    def report
      $stdout.puts "#{@runs - @failed} passed, #{@failed} failed"
    end

    def passed?
      @failed.zero?
    end
  end

  def self.plugin_lxd_summary_init(_options)
    reporter << LXDSummaryReporter.new
  end
  extensions << "lxd_summary"
end
