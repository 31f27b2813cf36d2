# frozen_string_literal: true

require_relative "helper"

# The client: connecting, host info, raw API, errors, managers of every
# kind, the generic calls, library lookup, close.
class TestClient < LXDTest::Case
  def test_host_info_extensions_and_trust
    info = client.host_info
    assert_equal "5.0.2", info.dig("environment", "server_version")
    assert_equal "trusted", info["auth"]
    assert client.trusted?
    ext = info["api_extensions"]
    assert_includes ext, "instances"
    assert client.has_api_extension?("instances")
    assert client.api_extension?(ext.last)
    refute client.has_api_extension?("no_such_extension_lxdt")
    assert_equal LXD::Native.lxd_version, LXD.library_version
    assert_equal LXD::VERSION, LXD.library_version
  end

  def test_raw_api_get_post_and_errors
    doc = client.api(:get, "/1.0/profiles")
    assert_equal "sync", doc["type"]
    assert_includes doc["metadata"], "/1.0/profiles/default"

    name = unique("raw")
    cleanup("lxc profile delete #{name}")
    created = client.api("POST", "/1.0/profiles", { name: name, description: "raw api" })
    assert_equal 200, created["status_code"]
    assert_equal "raw api", JSON.parse(lxc("query", "/1.0/profiles/#{name}"))["description"]
    # A String body is sent as JSON text, as it is.
    client.api(:patch, "/1.0/profiles/#{name}", %({"description":"patched"}))
    assert_equal "patched", JSON.parse(lxc("query", "/1.0/profiles/#{name}"))["description"]
    client.api(:delete, "/1.0/profiles/#{name}")
    refute lxc_ok?("profile", "show", name)

    err = assert_raises(LXD::NotFound) { client.api(:get, "/1.0/instances/#{unique('missing')}") }
    assert_equal 404, err.http_status
    assert_equal LXD::Native::STATUS[:not_found], err.code
    assert_equal "LXD_ERR_NOT_FOUND", err.status_name
    assert_match(/not found/i, err.message)
    assert_kind_of LXD::Error, err
    assert_kind_of StandardError, err

    # Invalid JSON text is refused before anything is sent.
    e = assert_raises(LXD::InvalidArgument) { client.api(:post, "/1.0/profiles", "{not json") }
    assert_match(/JSON/, e.message)
    assert_raises(LXD::InvalidArgument) { client.api(:post, "/1.0/profiles", { "x" => Float::NAN }) }
    assert_raises(LXD::InvalidArgument) { client.api(:brew, "/1.0") }
    assert_raises(LXD::InvalidArgument) { client.api(:get, "/1.0\0/x") }
    assert_raises(LXD::InvalidArgument) { client.api(:get, nil) }
  end

  # Every kind, top-level ones through the client's managers, child kinds
  # through the managers on a parent object. A standalone server refuses
  # the kinds of a cluster (members, groups) for that reason, not as "not
  # found".
  def test_not_found_for_every_kind_carries_the_server_message
    parents = Hash.new do |h, name|
      h[name] = case name
                when :instance then new_container("nfp")
                when :storage_pool then client.storage_pools.get("default")
                when :storage_volume
                  vname = unique("nfv")
                  cleanup("lxc storage volume delete default #{vname}")
                  client.storage_pools.get("default").storage_volumes.create({ name: vname })
                when :network_zone
                  zname = "#{unique('nfz')}.example.net"
                  cleanup("lxc network zone delete #{zname}")
                  client.network_zones.create({ name: zname })
                end
    end
    checked = refused = 0
    (0...LXD::KIND_COUNT).each do |value|
      kind = LXD.kind(value)
      next if kind.singleton? # no key: client.server, client.cluster

      key = case kind.name
            when :storage_volume then "custom/#{unique('nf')}"
            else kind.key_attr == "name" ? unique("nf") : "0" * 64
            end
      if kind.child?
        # A network's children need a network of their own (forwards:
        # test_storage_network.rb; peers are OVN's).
        next if kind.parent.name == :network

        mgr = parents[kind.parent.name].public_send(kind.manager)
      else
        mgr = client.public_send(kind.manager)
      end
      if refused_unclustered?(kind.name)
        status = NOT_CLUSTERED[kind.name]
        e = assert_not_clustered(status, "#{kind.name}.exists?") { mgr.exists?(key) }
        assert_includes e.message, "GET #{kind.endpoint}/#{key}: "
        assert_not_clustered(status, "#{kind.name}.get") { mgr.get(key) }
        refused += 1
        next
      end
      refute mgr.exists?(key), "#{kind.name} #{key} exists?"
      e = assert_raises(LXD::NotFound, kind.name.to_s) { mgr.get(key) }
      assert_equal 404, e.http_status
      refute_empty e.message
      checked += 1
    end
    # All but the two singletons and the network's two child kinds.
    assert_equal LXD::KIND_COUNT - 4, checked + refused
    assert_equal LXDTest.clustered? ? 0 : 2, refused
  end

  def test_every_manager_lists_its_kind
    LXD::KINDS.reject { |k| k.child? || k.singleton? }.each do |kind|
      mgr = client.public_send(kind.manager)
      assert_same mgr, client.manager(kind.name)
      assert_equal kind, mgr.kind
      if refused_unclustered?(kind.name)
        status = NOT_CLUSTERED[kind.name]
        e = assert_not_clustered(status, "#{kind.name}.all") { mgr.all }
        assert_includes e.message, "GET #{kind.endpoint}?recursion=1: "
        assert_not_clustered(status, "lxd_all #{kind.name}") { client.all(kind.name) }
        next
      end
      list = mgr.all
      assert_kind_of Array, list, kind.name.to_s
      list.each { |o| assert_equal kind.name, o.kind }
      assert_equal list.size, mgr.count # Enumerable
      generic = client.all(kind.name)
      # Other test runs on the shared daemons create and delete lxdt-*
      # objects (and images, operations) between the two reads: compare
      # the rest.
      next if %i[operation image warning].include?(kind.name)

      stable = ->(objs) { objs.map(&:key).reject { |k| k.start_with?("lxdt-") }.sort }
      assert_equal stable.call(list), stable.call(generic), kind.name.to_s
    end
    # What every kind holds on this daemon, checked against lxc.
    assert_includes client.profiles.map(&:name), "default"
    assert_includes client.storage_pools.all.map(&:name), "default"
    assert_includes client.projects.all.map(&:name), "default"
    busybox = client.images.get_by_alias("busybox")
    assert_equal lxc("image", "info", "busybox").lines.grep(/Fingerprint/).first.split.last, busybox.key
    assert_includes client.images.all.map(&:key), busybox.key
    assert_includes client.all(:image).map(&:key), busybox.key
    assert_equal busybox.key, client.image_aliases.get("busybox").target
    assert client.images.exists?(busybox.key)
    assert_includes busybox.aliases.map { |a| a["name"] }, "busybox"
    assert_equal "default", client.profiles.get("default").name
    assert_kind_of Hash, client.storage_pools.get("default").config
    assert_kind_of Array, client.networks.all
    assert_kind_of Array, client.certificates.all
    assert_raises(LXD::NotFound) { client.images.get_by_alias(unique("alias")) }
  end

  def test_generic_calls_and_kinds_as_data
    c = new_container("gen")
    as_instance = client.get(:instance, c.name)
    assert_instance_of LXD::Instance, as_instance
    assert_equal :instance, as_instance.kind
    assert_equal :container, client.get("container", c.name).kind
    assert client.exists?(1, c.name)
    assert_raises(LXD::NotFound) { client.get(:virtual_machine, c.name) }
    assert_includes client.all(:container).map(&:name), c.name
    name = unique("genp")
    cleanup("lxc profile delete #{name}")
    p = client.create(:profile, { name: name, config: { "user.k" => "v" } })
    assert_equal :profile, p.kind
    assert_equal "v", lxc("profile", "get", name, "user.k")
    assert_raises(LXD::InvalidArgument) { client.get(:no_such_kind, "x") }
    assert_raises(LXD::InvalidArgument) { client.operations.create({}) }
    assert_raises(LXD::InvalidArgument) { client.create(:operation, {}) }
    assert_raises(LXD::InvalidArgument) { client.create(:profile, "[1,2]") }
    assert_raises(LXD::InvalidArgument) { client.create(:profile, "{oops") }
  end

  def test_bad_arguments_are_errors_not_crashes
    assert_raises(LXD::InvalidArgument) { client.containers.get(nil) }
    assert_raises(LXD::InvalidArgument) { client.containers.get("a\0b") }
    assert_raises(LXD::InvalidArgument) { client.containers.get(42) }
    e = assert_raises(LXD::InvalidArgument) { client.containers.get("\xff\xfe".b) }
    assert_match(/UTF-8/, e.message)
    assert_raises(LXD::InvalidArgument) { client.containers.get("") }
    assert_raises(LXD::InvalidArgument) { client.containers.exists?(nil) }
    assert_raises(LXD::InvalidArgument) { client.has_api_extension?(nil) }
    assert_raises(LXD::InvalidArgument) { client.containers.create({ "bad" => Float::INFINITY }) }
    assert_raises(LXD::InvalidArgument) { client.containers.create({ "name" => "\xff".b }) }
  end

  def test_connection_errors
    dir = Dir.mktmpdir("lxdt-rb-")
    cleanup { FileUtils.rm_rf(dir) }
    e = assert_raises(LXD::ConnectionError) { LXD::Client.new(File.join(dir, "nope.socket")) }
    assert_includes e.message, "nope.socket"
    assert_raises(LXD::InvalidArgument) { LXD::Client.new("ftp://x") }
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(nil, timeout: -1) }
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(nil, timeout: "soon") }
    # A client with explicit options on the unix socket works.
    c = LXD::Client.new("unix:/var/lib/lxd/unix.socket", timeout: 10, project: "default")
    assert c.trusted?
    c.close
  end

  # endpoint and derive on the unix socket (test_cluster_real.rb has them
  # on a cluster): no request, independent handles, arguments checked.
  def test_endpoint_and_derive_on_the_local_daemon
    c = LXD::Client.new("unix:/var/lib/lxd/unix.socket")
    assert_equal "/var/lib/lxd/unix.socket", c.endpoint
    assert_equal "#<LXD::Client /var/lib/lxd/unix.socket>", c.inspect
    d = c.derive(project: "default")
    refute_same c, d
    assert_equal c.endpoint, d.endpoint
    assert_equal "default", d.profiles.get("default").name
    assert_equal "default", c.derive(project: nil, target: nil) { |e| e.profiles.get("default").name }
    c.derive { |same| assert same.trusted? }
    assert_raises(LXD::InvalidArgument) { c.derive(project: 5) }
    assert_raises(LXD::InvalidArgument) { c.derive(target: "m\0") }
    assert_raises(ArgumentError) { c.derive(projects: "x") }
    c.close
    assert_raises(LXD::ClosedError) { c.derive(project: "default") }
    assert_raises(LXD::ClosedError) { c.endpoint }
    assert_equal "#<LXD::Client closed>", c.inspect
    assert_equal "default", d.profiles.get("default").name, "a derived client outlives its source"
    d.close
    assert_raises(LXD::ClosedError) { d.endpoint }
  end

  def test_close_is_idempotent_and_use_after_close_raises
    c = LXD::Client.new
    profile = c.profiles.get("default")
    mgr = c.containers
    c.close
    c.close
    assert c.closed?
    assert_raises(LXD::ClosedError) { c.host_info }
    assert_raises(LXD::ClosedError) { mgr.all }
    assert_raises(LXD::ClosedError) { c.trusted? }
    assert_raises(LXD::ClosedError) { c.events }
    e = assert_raises(LXD::InvalidArgument) { c.api(:get, "/1.0") }
    assert_match(/closed/, e.message)
    # Objects outlive their client (liblxd keeps what they need alive).
    assert_equal "default", profile.name
    profile.sync
    profile.close
    profile.close
    assert_raises(LXD::ClosedError) { profile.description }
    assert_raises(LXD::ClosedError) { profile.key }
    assert_raises(LXD::ClosedError) { profile.dirty? }
    assert_match(/closed/, profile.inspect)
    # Block form closes.
    inner = LXD::Client.open { |cl| cl }
    assert inner.closed?
  end

  def test_forgotten_handles_are_collected
    pool = client.storage_pools
    200.times { pool.all.each(&:config) }
    200.times { LXD::Client.new.profiles.get("default") }
    GC.start
    GC.compact if GC.respond_to?(:compact)
    # Objects of a list stay valid while the list itself is unreferenced.
    objs = client.profiles.all
    GC.start
    assert_equal "default", objs.find { |o| o.name == "default" }.name
  end

  def test_library_lookup
    lib = File.expand_path("../lib", __dir__)
    libdir = LXD::Native.pkg_config_libdir
    refute_nil libdir, "pkg-config finds liblxd (PKG_CONFIG_PATH)"
    code = 'require "lxd"; print LXD::Native.library_path'
    env = { "LD_LIBRARY_PATH" => nil }
    out, err, st = Open3.capture3(env, RbConfig.ruby, "-I#{lib}", "-e", code)
    assert st.success?, err
    assert_equal File.join(libdir, "liblxd.so.0"), out
    out, err, st = Open3.capture3(env.merge("LIBLXD_PATH" => File.join(libdir, "liblxd.so.0.1.0")),
                                  RbConfig.ruby, "-I#{lib}", "-e", code + '; print " ", LXD.library_version')
    assert st.success?, err
    assert_equal "#{libdir}/liblxd.so.0.1.0 0.1.0", out
    _out, err, st = Open3.capture3(env.merge("LIBLXD_PATH" => "/nonexistent/liblxd.so"),
                                   RbConfig.ruby, "-I#{lib}", "-e", code)
    refute st.success?
    assert_match(/nonexistent/, err)
  end

  def test_status_names
    assert_equal "LXD_OK", LXD.status_name(0)
    assert_equal "LXD_ERR_UNSAFE_PATH", LXD.status_name(17)
    assert_equal "LXD_ERR_RESPONSE_TOO_LARGE", LXD.status_name(18)
    assert_equal "LXD_ERR_OPERATION_LOST", LXD.status_name(19)
    assert_equal "LXD_ERR_UNKNOWN_STATUS", LXD.status_name(20)
    assert_equal "LXD_ERR_UNKNOWN_STATUS", LXD.status_name(99)
    # Every code of the C API has its class, and the tables agree with
    # lxd_status_name.
    assert_equal (1..19).to_a, LXD::Error::CLASSES.keys.sort
    assert_equal (0..19).to_a, LXD::Native::STATUS.values.sort
    LXD::Native::STATUS.each do |name, code|
      assert_equal "LXD_#{code.zero? ? '' : 'ERR_'}#{name.upcase}", LXD.status_name(code)
    end
    (1..19).each do |code|
      klass = LXD::Error.for_code(code)
      assert klass < LXD::Error
      assert_equal code, klass.code
      assert_equal code, klass.new("m").code
      assert_equal LXD.status_name(code), klass.new("m").status_name
    end
    assert_equal LXD::ResponseTooLarge, LXD::Error.for_code(18)
    assert_equal LXD::OperationLost, LXD::Error.for_code(19)
    assert_equal LXD::NotFound, LXD::Error.for_code(5)
    assert_equal LXD::Conflict, LXD::Error.for_code(6)
    assert_equal LXD::PreconditionFailed, LXD::Error.for_code(7)
    assert_equal LXD::Timeout, LXD::Error.for_code(4)
    assert_equal LXD::ConnectionError, LXD::Error.for_code(2)
  end

  def test_max_response_bytes
    # The constructor reads GET /1.0 (a few KiB): 200 bytes is too few.
    e = assert_raises(LXD::ResponseTooLarge) { LXD::Client.new(max_response_bytes: 200) }
    assert_equal 18, e.code
    refute_empty e.message
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(max_response_bytes: 0) }
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(max_response_bytes: "1") }

    # A cap that admits GET /1.0 but not the profile list, which holds a
    # profile with a description twice that size.
    limit = 4 * JSON.generate(client.api(:get, "/1.0")).bytesize
    p = new_profile("big")
    p.description = "x" * (2 * limit)
    p.save
    small = LXD::Client.new(max_response_bytes: limit)
    begin
      assert_raises(LXD::ResponseTooLarge) { small.profiles.all }
      assert_raises(LXD::ResponseTooLarge) { small.api(:get, "/1.0/profiles?recursion=1") }
      # What fits still works on that client.
      assert small.profiles.exists?("default")
    ensure
      small.close
    end
    # The default cap reads the whole list.
    assert_includes client.profiles.all.map(&:name), p.name
  end

  def test_last_error_accessors
    assert_raises(LXD::NotFound) { client.profiles.get(unique("le")) }
    assert_match(/not found/i, LXD.last_error_message)
    assert_equal 404, LXD.last_error_http_status
  end

  def test_every_function_of_the_installed_header_is_bound
    out, st = Open3.capture2("pkg-config", "--variable=includedir", "liblxd")
    assert st.success?
    header = File.read(File.join(out.strip, "lxd.h"))
    functions = header.scan(/\b(lxd_[a-z_]+)\(/).flatten.uniq
    assert_operator functions.size, :>=, 100
    functions.each { |f| assert LXD::Native.respond_to?(f), "#{f} is not bound" }
    # The typed functions generated from the kind table are attached from
    # the table: the managers and the action methods call them.
    assert_empty LXD::Native::MISSING_TYPED
    typed = LXD::Native::TYPED.keys.map(&:to_s)
    assert_empty typed - functions, "attached but not in the header"
    LXD::KINDS.each do |kind|
      # A singleton (the Server, the Cluster) has only its get
      # (`lxd_server_get(client, &out)`), and its actions.
      verbs = kind.singleton? ? %w[get] : %w[get exists all]
      verbs << "create" if kind.creatable
      (%w[get exists all create] - verbs).each { |op| refute_includes functions, "lxd_#{kind.c_name}_#{op}" }
      verbs.each do |op|
        assert_includes functions, "lxd_#{kind.c_name}_#{op}"
        assert_includes typed, "lxd_#{kind.c_name}_#{op}"
      end
    end
    # Every function of the header that is generated from the table (one
    # per kind and verb or action) is attached from the table, not by hand.
    generated = functions.select do |f|
      LXD::KINDS.any? do |k|
        f.start_with?("lxd_#{k.c_name}_") && k.actions.any? { |a| f == "lxd_#{k.c_name}_#{a['name']}" }
      end
    end
    hand = LXD::Native::FUNCTIONS.map { |f| f[0].to_s }
    assert_empty generated - typed - hand
    assert_operator typed.size, :>=, 60
  end

  # Managers live where the kind lives: child kinds are not the client's.
  def test_child_kinds_have_no_client_manager
    e = assert_raises(LXD::InvalidArgument) { client.manager(:instance_snapshot) }
    assert_match(/snapshots/, e.message)
    refute client.respond_to?(:snapshots)
    e = assert_raises(LXD::InvalidArgument) { client.get(:instance_snapshot, "x") }
    assert_equal LXD::Native::STATUS[:invalid_argument], e.code
  end
end
