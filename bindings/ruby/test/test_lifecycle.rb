# frozen_string_literal: true

require_relative "helper"

# Objects: attributes through JSON, dirty/rollback/save with ETag, delete,
# rename, instance actions, operations, every creatable kind.
class TestLifecycle < LXDTest::Case
  def test_container_create_and_delete_from_busybox
    name = unique("cd")
    cleanup("lxc delete -f #{name}")
    c = client.containers.create({ name: name, source: { type: "image", alias: "busybox" } }, wait: true)
    assert_instance_of LXD::Container, c # the class made from the kind table
    assert_kind_of LXD::Instance, c
    assert_equal :container, c.kind
    assert_equal name, c.key
    assert_equal name, c.name
    assert_equal "Stopped", c.status
    assert_equal "container", c.type
    listed = JSON.parse(lxc("list", name, "--format", "json"))
    assert_equal [name], listed.map { |i| i["name"] }
    assert client.containers.exists?(name)
    assert_includes client.containers.all.map(&:name), name

    c.delete(wait: true)
    refute lxc_ok?("info", name)
    refute client.containers.exists?(name)
    e = assert_raises(LXD::NotFound) { client.containers.get(name) }
    assert_equal 404, e.http_status
    # A duplicate is refused with LXD's message.
    d = new_container("dup")
    e = assert_raises(LXD::Error) do
      client.containers.create({ name: d.name, source: { type: "image", alias: "busybox" } })
    end
    assert_match(/already exists/i, e.message)
  end

  def test_attributes_as_methods_and_brackets
    c = new_container("attr")
    assert_kind_of Hash, c.config
    assert_equal c.config, c["config"]
    assert_equal c.config, c[:config]
    assert_equal JSON.parse(c.get_json("config")), c.config
    assert_equal %("#{c.name}"), c.get_json("name")
    assert_includes c.attribute_names, "expanded_config"
    assert_equal c.to_h["name"], c.name
    assert_equal c.to_h, JSON.parse(c.to_json)
    assert c.respond_to?(:config)
    assert c.respond_to?(:description=)
    assert c.respond_to?(:restore=) # in the schema, never sent by LXD
    assert_nil c.restore
    refute c.respond_to?(:no_such_attribute)
    assert c.attribute?("profiles")
    refute c.attribute?("no_such_attribute")
    assert_raises(NoMethodError) { c.no_such_attribute }
    assert_raises(NoMethodError) { c.no_such_attribute = 1 }
    assert_raises(LXD::UnknownAttribute) { c["no_such_attribute"] }
    assert_raises(LXD::UnknownAttribute) { c["no_such_attribute"] = 1 }
    e = assert_raises(LXD::ReadOnly) { c.name = "other" }
    assert_match(/name/, e.message)
    assert_raises(LXD::ReadOnly) { c["status"] = "Running" }
    refute c.dirty?
    assert_match(/#{c.name}/, c.inspect)
  end

  def test_update_dirty_rollback_save_checked_with_lxc
    c = new_container("upd")
    c.description = "changed by ruby"
    assert c.dirty?
    assert_equal "changed by ruby", c.description
    assert_equal "", JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))["description"]
    c.rollback
    refute c.dirty?
    assert_equal "", c.description

    c.config = c.config.merge("user.ruby" => "yes", "user.utf8" => "é ✓")
    c.description = "saved"
    returned = c.save(wait: true)
    assert_same c, returned
    refute c.dirty?
    assert_equal "yes", lxc("config", "get", c.name, "user.ruby")
    assert_equal "é ✓", lxc("config", "get", c.name, "user.utf8")
    assert_equal "saved", JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))["description"]
    # The whole map is replaced: removing a key removes it on the server.
    c.config = c.config.reject { |k, _| k == "user.ruby" }
    c.save
    assert_equal "", lxc("config", "get", c.name, "user.ruby")
    # Saving with nothing dirty sends nothing and is fine.
    c.save
    # set_json: raw JSON text, checked by liblxd.
    c.set_json("config", JSON.generate(c.config.merge("user.raw" => "1")))
    c.save
    assert_equal "1", lxc("config", "get", c.name, "user.raw")
  end

  def test_invalid_json_and_values_are_refused
    c = new_container("json")
    e = assert_raises(LXD::InvalidArgument) { c.set_json("description", "{not json") }
    assert_match(/JSON/, e.message)
    assert_raises(LXD::InvalidArgument) { c.set_json("description", "") }
    assert_raises(LXD::InvalidArgument) { c.set_json("description", "\"a\0b\"") }
    assert_raises(LXD::InvalidArgument) { c.set_json("description", "\"\xff\"".b) }
    assert_raises(LXD::InvalidArgument) { c.description = Float::NAN }
    assert_raises(LXD::InvalidArgument) { c.config = { "user.x" => Float::INFINITY } }
    assert_raises(LXD::InvalidArgument) { c.description = "\xff\xfe".b }
    assert_raises(LXD::InvalidArgument) { c.set_json(nil, "1") }
    assert_raises(LXD::InvalidArgument) { c.set_json("description", nil) }
    refute c.dirty?, "refused values leave the object clean"
    # A value of the wrong type is LXD's to refuse, at save.
    c.config = { "user.x" => 1 }
    assert_raises(LXD::Error) { c.save }
    assert c.dirty?, "a failed save keeps the changes"
    c.rollback
    refute c.dirty?
  end

  def test_save_refuses_a_change_made_meanwhile
    c = new_container("etag")
    lxc("config", "set", c.name, "user.other", "someone else")
    c.description = "mine"
    e = assert_raises(LXD::PreconditionFailed) { c.save }
    assert_equal LXD::Native::STATUS[:precondition_failed], e.code
    assert_equal "someone else", lxc("config", "get", c.name, "user.other")
    assert_equal "", JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))["description"]
    c.sync # keeps local changes, takes the new ETag
    assert c.dirty?
    assert_equal "someone else", c.config["user.other"]
    c.save
    assert_equal "mine", JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))["description"]
    # Objects from a list: re-read first, refused if changed.
    listed = client.containers.all.find { |o| o.name == c.name }
    lxc("config", "set", c.name, "user.other", "again")
    listed.description = "from list"
    assert_raises(LXD::PreconditionFailed) { listed.save }
    listed.rollback
    listed.description = "from list"
    listed.save
    assert_equal "from list", JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))["description"]
  end

  def test_start_stop_restart_freeze_with_wait_checked_with_lxc
    c = new_container("act")
    c.start(wait: true)
    assert_equal "Running", c.status
    assert_equal "RUNNING", lxc("list", c.name, "--format", "csv", "-c", "s")
    state = c.state
    assert_equal "Running", state["status"]
    assert_operator state["pid"], :>, 0
    c.freeze(wait: true)
    assert_equal "FROZEN", lxc("list", c.name, "--format", "csv", "-c", "s")
    assert_equal "Frozen", c.status
    refute c.frozen?, "the Ruby object is not frozen by the LXD action"
    c.unfreeze(wait: true)
    assert_equal "RUNNING", lxc("list", c.name, "--format", "csv", "-c", "s")
    pid = c.state["pid"]
    c.restart(force: true, wait: true)
    refute_equal pid, c.state["pid"]
    assert_equal "RUNNING", lxc("list", c.name, "--format", "csv", "-c", "s")
    e = assert_raises(LXD::Error) { c.start(wait: true) }
    assert_match(/already running/i, e.message)
    c.stop(timeout: 30, wait: true)
    assert_equal "Stopped", c.status
    assert_equal "STOPPED", lxc("list", c.name, "--format", "csv", "-c", "s")
    assert_raises(LXD::InvalidArgument) { c.stop(timeout: "soon") }
    assert_raises(LXD::InvalidArgument) { c.start(timeout: -5) }
  end

  def test_actions_without_wait_give_operations
    c = new_container("op")
    c.start(wait: false)
    op = c.operation
    assert_instance_of LXD::Operation, op
    assert_equal :operation, op.kind
    assert_equal op.key, op.id
    op.wait(timeout: 60)
    assert_equal "Success", op.status
    assert_equal "RUNNING", lxc("list", c.name, "--format", "csv", "-c", "s")
    assert_equal "task", op["class"] # `class` is read with [] (Object#class is Ruby's)

    # An exec operation, started through the raw API, then waited on.
    doc = client.api(:post, "/1.0/instances/#{c.name}/exec",
                     { command: %w[sleep 2], "wait-for-websocket" => false, interactive: false })
    id = doc.dig("metadata", "id")
    assert client.operations.exists?(id)
    running = client.operations.get(id)
    assert_raises(LXD::Timeout) { running.wait(timeout: 0) }
    assert_equal "Running", running.status
    e = assert_raises(LXD::APIError) { running.cancel }
    assert_equal 400, e.http_status
    assert_match(/can't be cancelled/, e.message)
    assert_includes client.operations.all.map(&:id), id
    running.wait(timeout: 60)
    assert_equal "Success", running.status

    c.stop(force: true, wait: true)
    c.delete(wait: false)
    del = c.operation
    del&.wait(timeout: 60)
    assert eventually { !lxc_ok?("info", c.name) }
    # A waited call leaves no operation.
    d = new_container("op2")
    d.start(wait: true)
    assert_nil d.operation
    d.stop(force: true)
  end

  def test_create_without_wait_then_first_read_finishes_it
    name = unique("nowait")
    cleanup("lxc delete -f #{name}")
    c = client.containers.create({ name: name, source: { type: "image", alias: "busybox" } }, wait: false)
    op = c.operation
    assert_instance_of LXD::Operation, op unless op.nil?
    assert_equal "Stopped", c.status # waits for the creation
    assert lxc_ok?("info", name)
  end

  def test_rename_instance_and_profile
    c = new_container("ren")
    old_name = c.name
    new_name = unique("renamed")
    cleanup("lxc delete -f #{new_name}")
    c.rename(new_name, wait: true)
    assert_equal new_name, c.key
    assert_equal new_name, c.name
    assert lxc_ok?("info", new_name)
    refute lxc_ok?("info", old_name)
    # The generic rename too (lxd_obj_rename).
    back = unique("renamed2")
    cleanup("lxc delete -f #{back}")
    LXD::Object.instance_method(:rename).bind_call(c, back)
    assert lxc_ok?("info", back)
    refute lxc_ok?("info", new_name)

    p = new_profile("renp", description: "to rename")
    renamed = unique("renp2")
    cleanup("lxc profile delete #{renamed}")
    p.rename(renamed)
    assert_equal renamed, p.name
    assert_equal "to rename", JSON.parse(lxc("query", "/1.0/profiles/#{renamed}"))["description"]
    pool = client.storage_pools.get("default")
    assert_raises(LXD::InvalidArgument) { pool.rename("x") }
  end

  def test_profile_create_update_delete
    p = new_profile("prof", config: { "user.a" => "1" }, description: "ruby profile")
    assert_equal :profile, p.kind
    assert_equal "1", lxc("profile", "get", p.name, "user.a")
    p.config = { "user.a" => "2", "user.b" => "3" }
    p.description = "updated"
    p.save
    assert_equal "2", lxc("profile", "get", p.name, "user.a")
    assert_equal "3", lxc("profile", "get", p.name, "user.b")
    assert_equal "updated", JSON.parse(lxc("query", "/1.0/profiles/#{p.name}"))["description"]
    e = assert_raises(LXD::Error) { client.profiles.create({ name: p.name }) }
    assert_match(/exists/i, e.message)
    p.delete
    refute lxc_ok?("profile", "show", p.name)
  end

  def test_certificate_kind_create_update_delete
    dir = Dir.mktmpdir("lxdt-rb-cert-")
    cleanup { FileUtils.rm_rf(dir) }
    system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 " \
           "-subj /CN=lxdt-rb -keyout #{dir}/k.pem -out #{dir}/c.pem >/dev/null 2>&1") or flunk "openssl"
    body = File.read("#{dir}/c.pem").lines.reject { |l| l.start_with?("-----") }.join.delete("\n")
    name = unique("cert")
    cert = client.certificates.create({ type: "client", name: name, certificate: body })
    fp = cert.key
    cleanup("lxc config trust remove #{fp}")
    assert_equal 64, fp.size
    assert_equal name, cert.name # `name` is the certificate's attribute, its key the fingerprint
    assert_includes lxc("config", "trust", "list", "--format", "csv"), name
    assert client.certificates.exists?(fp)
    renamed = unique("cert2")
    cert.name = renamed
    cert.save
    assert_equal renamed, JSON.parse(lxc("query", "/1.0/certificates/#{fp}"))["name"]
    assert_raises(LXD::ReadOnly) { cert.fingerprint = "00" }
    cert.delete
    refute client.certificates.exists?(fp)
  end

  def test_project_and_project_scoped_client
    name = unique("proj")
    cleanup("lxc project delete #{name}")
    pr = client.projects.create({ name: name, config: { "features.profiles" => "true" }, description: "ruby" })
    assert_equal "ruby", JSON.parse(lxc("query", "/1.0/projects/#{name}"))["description"]
    pr.description = "ruby2"
    pr.save
    assert_equal "ruby2", JSON.parse(lxc("query", "/1.0/projects/#{name}"))["description"]
    scoped = LXD::Client.new(nil, project: name)
    pname = unique("pp")
    cleanup("lxc profile delete #{pname} --project #{name}")
    scoped.profiles.create({ name: pname })
    assert lxc_ok?("profile", "show", pname, "--project", name)
    refute lxc_ok?("profile", "show", pname)
    assert_includes scoped.profiles.all.map(&:name), pname
    refute_includes client.profiles.all.map(&:name), pname
    scoped.profiles.get(pname).delete
    scoped.close
    pr.delete
    refute lxc_ok?("project", "show", name)
  end

  def test_network_and_storage_pool_kinds
    pool = client.storage_pools.get("default")
    assert_equal "dir", pool.driver
    assert_kind_of Array, pool.used_by
    assert_equal :storage_pool, pool.kind
    client.networks.all.each { |n| assert_kind_of String, n.name }
    name = unique("pool")
    cleanup("lxc storage delete #{name}")
    created = client.storage_pools.create({ name: name, driver: "dir", description: "ruby pool" })
    assert_equal "dir", lxc("storage", "list", "--format", "csv").lines.grep(/^#{name},/).first.split(",")[1]
    created.description = "ruby pool 2"
    created.save
    assert_equal "ruby pool 2", JSON.parse(lxc("query", "/1.0/storage-pools/#{name}"))["description"]
    created.delete
    refute lxc_ok?("storage", "show", name)
  end

  def test_network_bridge_create_update_delete
    # Interface names are at most 15 characters: lxdt-rb-<5 random>.
    name = "lxdt-rb-#{format('%05d', (Process.pid * 31 + rand(100_000)) % 100_000)}"
    cleanup("lxc network delete #{name}")
    n = client.networks.create({ name: name, type: "bridge", description: "ruby net",
                                 config: { "ipv4.address" => "none", "ipv6.address" => "none" } })
    assert_equal :network, n.kind
    assert_equal true, n.managed
    assert_equal "none", lxc("network", "get", name, "ipv4.address")
    assert client.networks.exists?(name)
    n.description = "updated net"
    n.save
    assert_equal "updated net", JSON.parse(lxc("query", "/1.0/networks/#{name}"))["description"]
    assert_equal "none", lxc("network", "get", name, "ipv6.address")
    assert_raises(LXD::ReadOnly) { n.managed = false }
    n.delete
    refute lxc_ok?("network", "show", name)
  end
end
