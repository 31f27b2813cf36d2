# frozen_string_literal: true

require_relative "helper"

# README.md as a newcomer uses it: every block parses, the quick-start is
# the example's code, and the blocks that can run on a container of the
# suite run as written.
class TestReadme < LXDTest::Case
  ROOT = File.expand_path("..", __dir__)
  README = File.join(ROOT, "README.md")
  EXAMPLE = File.join(ROOT, "examples", "walkthrough.rb")

  # [[section, language, code]] of every fenced block.
  def blocks
    section = nil
    found = []
    File.read(README).scan(/^\#{2,3} ([^\n]*)$|^```(\w*)\n(.*?)^```$/m) do |heading, lang, code|
      if heading
        section = heading
      else
        found << [section, lang, code]
      end
    end
    found
  end

  def block(section, lang = "ruby")
    found = blocks.select { |s, l, _| s == section && l == lang }
    refute_empty found, "no #{lang} block under ## #{section}"
    found.map(&:last).join("\n")
  end

  def test_every_block_parses
    all = blocks
    assert_operator all.count { |_, l, _| l == "ruby" }, :>=, 10
    all.each do |section, lang, code|
      case lang
      when "ruby"
        out, err, st = Open3.capture3(RbConfig.ruby, "-wc", "-e", code)
        assert st.success? && err.empty?, "ruby block under ## #{section}: #{err}\n#{code}"
        assert_equal "Syntax OK\n", out
      when "sh"
        _out, err, st = Open3.capture3("bash", "-n", "-c", code)
        assert st.success?, "sh block under ## #{section}: #{err}"
      else
        flunk "a block without a language under ## #{section}" if lang.empty?
      end
    end
  end

  def test_quick_start_is_the_example
    example = File.read(EXAMPLE)
    core = example[example.index(%(require "lxd"))..]
    assert_equal core, block("Quick start")
    refute_includes File.read(README), "/work/main"
  end

  # The example on a running container, on a stopped one (nothing to stop)
  # and on one that does not exist; it changes nothing but the description
  # and the running state.
  def test_walkthrough_on_running_and_stopped_containers
    c = new_container("walk", start: true)
    before = JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))
    out = run_example(c.name)
    assert_match(/^config: \{.*"volatile.base_image"=>/, out)
    assert_includes out, "dirty: true\ndirty after rollback: false\ndescription: my container\nstatus: Stopped\n"
    after = JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))
    assert_equal "my container", after["description"]
    assert_equal "Stopped", after["status"]
    %w[config devices profiles ephemeral architecture].each do |attr|
      expected = before[attr]
      expected = expected.reject { |k, _| k.start_with?("volatile.") } if attr == "config"
      actual = attr == "config" ? after[attr].reject { |k, _| k.start_with?("volatile.") } : after[attr]
      assert_equal expected, actual, attr
    end

    out = run_example(c.name) # already stopped: no error, no backtrace
    assert_includes out, "description: my container\nalready stopped\n"
    assert_equal "STOPPED", lxc("list", c.name, "--format", "csv", "-c", "s")

    name = unique("missing")
    _out, err, st = Open3.capture3(RbConfig.ruby, "-I#{ROOT}/lib", EXAMPLE, name)
    refute st.success?
    assert_equal "GET /1.0/instances/#{name}: Instance not found\n", err
  end

  # Every function of the installed header has its row in the table
  # "C function → Ruby", named in full.
  def test_every_header_function_is_in_the_table
    out, st = Open3.capture2("pkg-config", "--variable=includedir", "liblxd")
    assert st.success?
    functions = File.read(File.join(out.strip, "lxd.h")).scan(/\b(lxd_[a-z_]+)\(/).flatten.uniq
    readme = File.read(README)
    table = readme[readme.index("## C function → Ruby")..]
    named = table.scan(/`(lxd_[a-z_]+)`/).flatten
    # Rows name a family's first function in full and the others by suffix
    # (`lxd_instance_start` / `_stop`): expand those, on every stem of the
    # last full name before them.
    table.each_line do |row|
      last = nil
      row.scan(/`(lxd_[a-z_]+|_[a-z_]+)`/).flatten.each do |name|
        next last = name if name.start_with?("lxd_")
        next unless last

        parts = last.split("_")
        (2...parts.size).each { |n| named << "#{parts.first(n).join('_')}#{name}" }
      end
    end
    missing = functions.reject { |f| named.include?(f) }
    assert_empty missing, "functions without a row in README's table"
  end

  # The blocks of Snapshots and backups and of Actions, on a container of
  # their own: what they did is checked on the server.
  def test_snapshot_backup_and_action_blocks_run_as_written
    c = new_container("readme2", start: true)
    cleanup("lxc delete -f #{c.name}-copy")
    Dir.mktmpdir("lxdt-rb-readme") do |dir|
      code = <<~RUBY
        require "lxd"
        client = LXD::Client.new
        c = client.containers.get(ARGV[0])
        #{block('Snapshots and backups')}
        raise "restore" unless c.files.get("/root/f") == "v1"
        #{block('Actions')}
        puts "ran"
      RUBY
      out, err, st = Open3.capture3(RbConfig.ruby, "-w", "-I#{ROOT}/lib", "-e", code, c.name, chdir: dir)
      assert st.success? && err.empty?, "blocks failed: #{err}"
      assert_equal "ran\n", out
      assert File.size?(File.join(dir, "backup.tar.gz"))
    end
    refute lxc_ok?("info", "#{c.name}-copy")
    assert_empty query("/1.0/instances/#{c.name}/snapshots")
    assert_empty query("/1.0/instances/#{c.name}/backups")
    assert_empty query("/1.0/instances/#{c.name}/metadata/templates")
    md = query("/1.0/instances/#{c.name}/metadata")
    assert_equal "mine", md["properties"]["description"]
    assert_equal "mine", md["properties"]["os"]
  end

  def test_runnable_blocks_run_as_written
    c = new_container("readme", start: true)
    Dir.mktmpdir("lxdt-rb-readme") do |dir|
      FileUtils.mkdir_p(File.join(dir, "local", "dir", "sub"))
      File.write(File.join(dir, "local", "dir", "sub", "x"), "pushed")
      checks = {
        "Exec" => <<~RUBY,
          raise "exec: \#{r.inspect}" unless r.exit_code == 3 && r.stdout == "bytes\\0ok".b && r.stderr == "err\\n"
          raise "stream: \#{code.inspect}" unless code.zero?
        RUBY
        "Files" => <<~RUBY,
          raise "pull" unless File.read("local/copy/sub/x") == "pushed"
          raise "mkdir" unless c.execute(["test", "-d", "/root/a/b"]).exit_code.zero?
        RUBY
        "Errors" => "",
        "Warnings" => "raise unless LXD.warning_mode == :always\n"
      }
      checks.each do |section, check|
        code = <<~RUBY
          require "lxd"
          client = LXD::Client.new
          c = client.containers.get(ARGV[0])
          #{block(section)}
          #{check}
          puts "ran"
        RUBY
        out, err, st = Open3.capture3(RbConfig.ruby, "-w", "-I#{ROOT}/lib", "-e", code, c.name, chdir: dir)
        assert st.success? && err.empty?, "## #{section} failed: #{err}"
        assert_match(/ran\n\z/, out)
        assert_equal "1\n2\n3\n4\n5\nran\n", out if section == "Exec"
      end
    end
  end

  # What the README says about terminal echo, checked.
  def test_read_until_marker_is_not_matched_by_the_echo
    s = LXDTest.box.execute_interactive(["sh"])
    s.write(%(echo h""i\n))
    got = s.read_until("hi\r\n", timeout: 10)
    assert_includes got, %(echo h""i)
    assert_match(/h""i\r\n(.*\r\n)?hi\r\n/m, got)
    s.write("exit 3\n")
    assert_equal 3, s.wait(timeout: 10)
  ensure
    s&.close
  end

  private

  def run_example(name)
    out, err, st = Open3.capture3(RbConfig.ruby, "-I#{ROOT}/lib", EXAMPLE, name)
    assert st.success?, "walkthrough failed: #{err}\n#{out}"
    assert_empty err
    out
  end
end
