# frozen_string_literal: true

require_relative "helper"

# The instance actions of the kind table (logs, console log, metadata,
# templates, the console, set_state_all), PATCH, and the generic act
# calls, checked against the server with lxc or the host's files.
class TestActions < LXDTest::Case
  LOGS = "/var/lib/lxd/logs"

  def test_logs_log_and_delete_log
    c = new_container("logs", start: true)
    paths = c.logs
    assert_equal query("/1.0/instances/#{c.name}/logs").sort, paths.sort
    assert_includes paths, "/1.0/instances/#{c.name}/logs/lxc.log"
    host_log = File.join(LOGS, c.name, "lxc.log")
    assert_equal File.binread(host_log), c.log("lxc.log")
    assert_equal Encoding::ASCII_8BIT, c.log("lxc.log").encoding
    # A name as `logs` lists it works too, and the generic calls agree.
    assert_equal c.log("lxc.log"), c.log("/1.0/instances/#{c.name}/logs/lxc.log")
    assert_equal c.log("lxc.log"), c.act_bytes(:log, { name: "lxc.log" })
    assert_equal paths.sort, c.act(:logs).sort

    # LXD lets only some log files go: an exec_ one written on the host.
    File.write(File.join(LOGS, c.name, "exec_lxdt.log"), "from the host\n")
    assert_includes c.logs, "/1.0/instances/#{c.name}/logs/exec_lxdt.log"
    assert_equal "from the host\n", c.log("exec_lxdt.log")
    assert_same c, c.delete_log("exec_lxdt.log")
    refute File.exist?(File.join(LOGS, c.name, "exec_lxdt.log"))
    refute_includes query("/1.0/instances/#{c.name}/logs"), "/1.0/instances/#{c.name}/logs/exec_lxdt.log"
    e = assert_raises(LXD::APIError) { c.delete_log("lxc.log") }
    assert_match(/may not be deleted/, e.message)
    assert File.exist?(host_log)
    # LXD 5.0.2 answers a missing log file with an error 500.
    e = assert_raises(LXD::APIError) { c.log("exec_nope.log") }
    assert_match(/no such file/, e.message)
    e = assert_raises(LXD::APIError) { c.log("nope.log") }
    assert_match(/not valid/, e.message)
  end

  def test_act_errors_are_invalid_argument_before_any_request
    c = LXDTest.box
    e = assert_raises(LXD::InvalidArgument) { c.act(:fly) }
    assert_match(/no action "fly".*start/, e.message)
    e = assert_raises(LXD::InvalidArgument) { c.act(:log) } # a bytes action
    assert_match(/act_bytes|lxd_obj_action_bytes/, e.message)
    assert_raises(LXD::InvalidArgument) { c.act_bytes(:logs) }
    assert_raises(LXD::InvalidArgument) { c.act_bytes(:log) } # its argument is missing
    assert_raises(LXD::InvalidArgument) { c.act(:logs, "{not json") }
    assert_raises(LXD::InvalidArgument) { c.act(:logs, [1, 2]) }
    assert_raises(LXD::InvalidArgument) { c.act("lo\0gs") }
    assert_raises(LXD::InvalidArgument) { c.put_template("x.tpl", "\xff".b) }
    assert_raises(LXD::InvalidArgument) { client.profiles.get("default").act(:logs) }
    e = assert_raises(LXD::InvalidArgument) { client.collection_action(:instance, :logs) }
    assert_match(/acts on one/, e.message)
    assert_raises(LXD::InvalidArgument) { client.collection_action(:profile, :set_state_all) }
  end

  # LXD's console handler writes what the instance prints on its console
  # to its buffer and to the host's console.log a moment later; the test
  # waits for it in that file (a functional wait) before asking LXD.
  def test_console_log_and_clear
    c = new_container("clog", start: true)
    file = File.join(LOGS, c.name, "console.log")
    print = lambda do |mark|
      c.execute(["sh", "-c", "echo #{mark} > /dev/console"])
      assert eventually { File.read(file).include?(mark) }, "#{mark} never reached #{file}"
    end
    marks = Array.new(4) { unique("mark") }
    print.call(marks[0])
    print.call(marks[1])
    log = c.console_log
    assert_equal Encoding::ASCII_8BIT, log.encoding
    assert_includes log, "#{marks[0]}\r\n#{marks[1]}\r\n" # all that was not read yet
    print.call(marks[2])
    assert_nil c.clear_console_log
    print.call(marks[3])
    log = c.act_bytes(:console_log)
    assert_includes log, marks[3]
    refute_includes log, marks[2] # cleared before it was read
  end

  def test_metadata_and_templates_round_trip
    c = new_container("meta")
    md = c.metadata
    assert_equal query("/1.0/instances/#{c.name}/metadata"), md
    md["properties"]["description"] = "lxdt ruby"
    md["templates"] = { "/root/hello" => { "when" => ["start"], "template" => "lxdt.tpl" } }
    assert_nil c.set_metadata(md)
    server = query("/1.0/instances/#{c.name}/metadata")
    assert_equal "lxdt ruby", server["properties"]["description"]
    assert_equal ["start"], server["templates"]["/root/hello"]["when"]
    c.patch_metadata(properties: { "os" => "patched" })
    server = query("/1.0/instances/#{c.name}/metadata")
    assert_equal "patched", server["properties"]["os"]
    assert_equal "lxdt ruby", server["properties"]["description"] # merged, not replaced

    text = "hello {{ container.name }}\n"
    assert_same c, c.put_template("lxdt.tpl", text)
    assert_equal ["lxdt.tpl"], query("/1.0/instances/#{c.name}/metadata/templates")
    assert_equal text, lxc("config", "template", "show", c.name, "lxdt.tpl") + "\n"
    assert_equal ["lxdt.tpl"], c.templates
    assert_equal text, c.template("lxdt.tpl")
    assert_equal text, c.act_bytes(:template, { path: "lxdt.tpl" })
    # The metadata and the template at work: LXD renders it at start.
    c.start
    assert_equal "hello #{c.name}\n", lxc("exec", c.name, "--", "cat", "/root/hello") + "\n"
    c.stop(force: true)
    c.delete_template("lxdt.tpl")
    assert_empty query("/1.0/instances/#{c.name}/metadata/templates")
    assert_raises(LXD::NotFound) { c.template("lxdt.tpl") }
  end

  def test_patch_changes_only_the_fields_given
    p = new_profile("patch", config: { "user.a" => "1", "user.b" => "2" }, description: "before")
    assert_same p, p.patch({ config: { "user.a" => "9" } })
    assert_equal "9", lxc("profile", "get", p.name, "user.a")
    assert_equal "2", lxc("profile", "get", p.name, "user.b") # maps merge key by key
    assert_equal "before", query("/1.0/profiles/#{p.name}")["description"]
    assert_equal "9", p.config["user.a"] # synced
    # Local changes stay local (and dirty).
    p.description = "local"
    p.patch(%({"config": {"user.c": "3"}}))
    assert p.dirty?
    assert_equal "local", p.description
    assert_equal "before", query("/1.0/profiles/#{p.name}")["description"]
    assert_equal "3", lxc("profile", "get", p.name, "user.c")
    p.rollback
    # Fields that cannot be set are refused before anything is sent.
    assert_raises(LXD::ReadOnly) { p.patch({ name: "x" }) }
    assert_raises(LXD::UnknownAttribute) { p.patch({ no_such: 1 }) }
    assert_raises(LXD::InvalidArgument) { p.patch("[1]") }
    # Someone else's change since the last sync is not overwritten.
    lxc("profile", "set", p.name, "user.d", "theirs")
    assert_raises(LXD::PreconditionFailed) { p.patch({ description: "mine" }) }
    assert_equal "before", query("/1.0/profiles/#{p.name}")["description"]
    p.sync
    assert_equal "before", p.description
    # Without wait, the next read syncs: it shows the patched value.
    p.patch({ description: "no wait" }, wait: false)
    assert_equal "no wait", p.description
    assert_equal "no wait", query("/1.0/profiles/#{p.name}")["description"]
    # Instances too.
    c = new_container("patchc")
    c.patch({ config: { "user.x" => "1" }, description: "patched" })
    assert_equal "1", lxc("config", "get", c.name, "user.x")
    assert_equal "patched", query("/1.0/instances/#{c.name}")["description"]
  end

  def test_console_session
    c = new_container("console", start: true)
    s = c.console(width: 100, height: 30)
    assert_instance_of LXD::ExecSession, s
    # What the instance writes to its console reaches the session (LXD
    # 5.0.2 may drop pty output under load: written again until seen).
    mark = unique("cons")
    seen = eventually(tries: 10, pause: 0) do
      c.execute(["sh", "-c", "echo #{mark} > /dev/console"])
      s.read_until(mark, timeout: 3)
    rescue LXD::Timeout
      nil
    end
    assert_includes seen, mark
    # What is typed is echoed by the console's terminal.
    s.write("typed-#{mark}\n")
    assert_includes s.read_until("typed-#{mark}", timeout: 10), "typed-#{mark}"
    assert_same s, s.resize(90, 20)
    assert_raises(LXD::InvalidArgument) { s.signal("TERM") }
    assert_raises(LXD::Timeout) { s.wait(timeout: 0) }
    # Closed first: that a stop ends an attached console is tested in C on
    # a daemon of its own (LXD 5.0.2 can crash doing it).
    s.close
    c.stop(force: true)
    e = assert_raises(LXD::APIError) { c.console }
    assert_match(/not running/i, e.message)
    assert_raises(LXD::InvalidArgument) { c.console(width: 0) }
  end

  # set_state_all acts on every instance of a project: only ever in a
  # project of the test's own.
  def test_set_state_all_in_a_project_of_its_own
    project = unique("proj")
    cleanup("lxc project delete #{project}")
    client.projects.create({ name: project, config: { "features.images" => "false", "features.profiles" => "false" } })
    scoped = LXD::Client.new(nil, project: project)
    names = Array.new(2) { unique("all") }
    names.each do |n|
      cleanup("lxc delete -f #{n} --project #{project}")
      scoped.containers.create({ name: n, source: { type: "image", alias: "busybox" } })
    end
    states = -> { lxc("list", "--project", project, "--format", "csv", "-c", "ns").lines.map(&:chomp).sort }

    op = scoped.instances.set_state_all(state: { action: "start" })
    assert_equal "Success", op["status"]
    assert_equal names.sort.map { |n| "#{n},RUNNING" }, states.call
    # A collection's action is refused on one object (nothing is sent).
    one = scoped.instances.get(names[0])
    e = assert_raises(LXD::InvalidArgument) { one.act(:set_state_all, { state: { action: "stop", force: true } }) }
    assert_match(/collection/, e.message)
    assert_equal names.sort.map { |n| "#{n},RUNNING" }, states.call
    op = scoped.collection_action(:instance, :set_state_all, { state: { action: "stop", force: true } })
    assert_equal "Success", op["status"]
    assert_equal names.sort.map { |n| "#{n},STOPPED" }, states.call
    names.each { |n| scoped.instances.get(n).delete }
    assert_empty states.call
    scoped.close
  end
end

# liblxd's ExtensionMissing, raised before any request: against a fake
# server (LXD 5.0.2 has every extension) that announces only "instances".
class TestExtensionMissing < LXDTest::Case
  def test_kinds_and_actions_without_their_extension
    require_relative "fake_lxd_server"
    fake = FakeLXDServer.new
    fc = LXD::Client.new(fake.path)
    LXD.warning_mode = :none
    c = fc.instances.get("c1")
    before = fake.requests
    e = assert_raises(LXD::ExtensionMissing) { c.backups.all }
    assert_equal 13, e.code
    assert_equal "LXD_ERR_EXTENSION_MISSING", e.status_name
    assert_match(/container_backup/, e.message)
    assert_same LXD::ExtensionMissing, LXD::Error.for_code(13)
    assert_raises(LXD::ExtensionMissing) { c.backups.create({ name: "b" }) }
    assert_raises(LXD::ExtensionMissing) { c.backups.exists?("b") }
    e = assert_raises(LXD::ExtensionMissing) { c.console_log }
    assert_match(/console/, e.message)
    assert_raises(LXD::ExtensionMissing) { c.clear_console_log }
    assert_raises(LXD::ExtensionMissing) { c.metadata }
    assert_raises(LXD::ExtensionMissing) { c.act(:templates) }
    assert_raises(LXD::ExtensionMissing) { c.put_template("x.tpl", "x") }
    assert_equal before, fake.requests, "nothing was sent"
    # Kinds and actions without an extension are asked for.
    assert_raises(LXD::NotFound) { c.snapshots.all }
    assert_operator fake.requests, :>, before
  ensure
    LXD.warning_mode = :once
    fc&.close
    fake&.stop
  end
end
