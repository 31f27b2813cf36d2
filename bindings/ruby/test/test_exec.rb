# frozen_string_literal: true

require_relative "helper"

# Exec in the shared running busybox container: collected, streamed,
# interactive.
class TestExec < LXDTest::Case
  def box
    LXDTest.box
  end

  def test_output_and_exit_code
    r = box.execute(%w[echo hi])
    assert_instance_of LXD::ExecResult, r
    assert_equal 0, r.exit_code
    assert r.success?
    assert_equal "hi\n", r.stdout
    assert_equal "", r.stderr
    assert_equal Encoding::ASCII_8BIT, r.stdout.encoding
    assert_equal Encoding::ASCII_8BIT, r.stderr.encoding

    r = box.execute(["sh", "-c", "echo out; echo err >&2; exit 42"])
    assert_equal 42, r.exit_code
    refute r.success?
    assert_equal "out\n", r.stdout
    assert_equal "err\n", r.stderr
    assert_equal 1, box.execute(["false"]).exit_code
  end

  def test_stdin_binary_environment_cwd_user
    data = (0..255).map(&:chr).join.b * 64
    r = box.execute(["cat"], stdin: data)
    assert_equal data, r.stdout, "stdin and stdout byte-exact, NULs included"
    r = box.execute(["md5sum"], stdin: data)
    assert_equal Digest::MD5.hexdigest(data), r.stdout.split.first
    r = box.execute(["sh", "-c", "echo \"$FOO\"; pwd; id -u; id -g"],
                    environment: { "FOO" => "bar baz" }, cwd: "/tmp", user: 1000, group: 1001)
    assert_equal "bar baz\n/tmp\n1000\n1001\n", r.stdout
    r = box.execute(["sh", "-c", "printf '\\000\\377x'"])
    assert_equal "\x00\xffx".b, r.stdout
  end

  def test_errors
    e = assert_raises(LXD::NotFound) { box.execute(["/no/such/command"]) }
    refute_empty e.message
    e = assert_raises(LXD::Timeout) { box.execute(%w[sleep 30], timeout: 0.5) }
    assert_match(/within 500 ms/, e.message)
    assert eventually { !box.execute(["ps"]).stdout.include?("sleep 30") }, "the timed-out command was killed"
    assert_raises(LXD::InvalidArgument) { box.execute("echo hi") }
    assert_raises(LXD::InvalidArgument) { box.execute([]) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo", 1]) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo", "a\0b"]) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo", "\xff".b]) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo"], stdin: 5) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo"], user: -1) }
    assert_raises(LXD::InvalidArgument) { box.execute(["echo"], environment: "X=1") }
    stopped = new_container("exstop")
    e = assert_raises(LXD::Error) { stopped.execute(%w[echo hi]) }
    assert_includes [400, 409], e.http_status, e.message
  end

  def test_client_deadline_bounds_a_call_and_kills_the_command
    limited = LXD::Client.new(deadline: 1.5)
    c = limited.containers.get(box.name)
    # It bounds each call, not the client: a quick one passes.
    assert_equal 0, c.execute(["true"]).exit_code
    # A command without a timeout of its own ends with the call's deadline:
    # LXD::Timeout long before the sleep would end, and it is killed (the
    # sleep is far longer than the wait below, so only the kill ends it).
    marker = "6#{Process.pid % 10_000}1"
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(LXD::Timeout) { c.execute(["sleep", marker]) }
    took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert_operator took, :<, 4.5, "a call with a 1.5 s deadline took #{took} s"
    assert eventually { !box.execute(["ps", "w"]).stdout.include?("sleep #{marker}") },
           "the command was killed"
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(deadline: -1) }
  ensure
    limited&.close
  end

  def test_streamed_output_reaches_the_block
    chunks = []
    code = box.execute(["sh", "-c", "echo one; echo two >&2; echo three; exit 3"]) do |stream, data|
      chunks << [stream, data]
    end
    assert_equal 3, code
    assert_equal "one\nthree\n", chunks.select { |s, _| s == :stdout }.map(&:last).join
    assert_equal "two\n", chunks.select { |s, _| s == :stderr }.map(&:last).join
    chunks.each { |_, d| assert_equal Encoding::ASCII_8BIT, d.encoding }
    big = box.execute(["sh", "-c", "head -c 3000000 /dev/zero"]) { |_, d| chunks << [:big, d.bytesize] }
    assert_equal 0, big
    assert_equal 3_000_000, chunks.select { |s, _| s == :big }.sum(&:last)
  end

  def test_break_out_of_the_block_stops_the_command
    seen = 0
    marker = "lxdt-rb-loop-#{Process.pid}"
    result = box.execute(["sh", "-c", "while true; do echo #{marker}; sleep 0.05; done"]) do |_, data|
      seen += data.bytesize
      break :early if seen > 100
    end
    assert_nil result
    assert_operator seen, :>, 100
    assert eventually { !box.execute(["ps", "w"]).stdout.include?("echo #{marker}") }
  end

  def test_exception_in_the_block_stops_the_command_and_is_reraised
    calls = 0
    e = assert_raises(ArgumentError) do
      box.execute(["sh", "-c", "while true; do echo tick; sleep 0.05; done"]) do |_, _|
        calls += 1
        raise ArgumentError, "stop here"
      end
    end
    assert_equal "stop here", e.message
    assert_equal 1, calls
    # The binding is still sound afterwards.
    assert_equal "ok\n", box.execute(%w[echo ok]).stdout
  end

  def test_interactive_session
    s = box.execute_interactive(["sh"], width: 100, height: 30, environment: { "PS1" => "$ " })
    s.write("stty size\n")
    assert_match(/30 100/, s.read_until(/30 100/, timeout: 20))
    s.resize(120, 40)
    s.write("stty size\n")
    assert_match(/40 120/, s.read_until(/40 120/, timeout: 20))
    s << "echo $((6*7))\n"
    assert_match(/^42\r?$/, s.read_until(/^42\r?$/, timeout: 20))
    assert_raises(LXD::Timeout) { s.wait(timeout: 0.2) }
    s.write("exit 5\n")
    assert_equal 5, s.wait(timeout: 20)
    s.close
    s.close
    assert s.closed?
    assert_raises(LXD::ClosedError) { s.read(timeout: 0) }
    assert_raises(LXD::ClosedError) { s.write("x") }

    t = box.execute_interactive(%w[sleep 600])
    assert_raises(LXD::Timeout) { t.read(timeout: 0.1) }
    t.signal("TERM")
    code = t.wait(timeout: 20)
    refute_equal 0, code
    assert_raises(LXD::InvalidArgument) { t.signal("NOPE") }
    assert_raises(LXD::InvalidArgument) { t.resize(0, 10) }
    t.close
  end

  def test_closing_a_running_session_kills_its_command
    marker = "7#{Process.pid % 10_000}3"
    s = box.execute_interactive(["sleep", marker])
    assert eventually { box.execute(["ps", "w"]).stdout.include?("sleep #{marker}") }
    s.close
    assert eventually { !box.execute(["ps", "w"]).stdout.include?("sleep #{marker}") }
  end
end

require "digest"
