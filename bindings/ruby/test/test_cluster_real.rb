# frozen_string_literal: true

require_relative "helper"

# The binding against the real 3-member cluster "cluster" of
# scripts/lxd-cluster.sh (members m1, m2, m3 on https://127.0.0.11-13:8443,
# a member-local dir pool "local", the busybox image, a trusted client
# certificate): several endpoints and failover, derived clients (target,
# project), join tokens, evacuate's refused mode. Every outcome is read back
# with `lxc` on a member's unix socket.
#
# The cluster is shared with tests/c/test_cluster.c and the other bindings,
# which run at the same time: everything made here is named lxdt-rb-<pid>-…
# and deleted; nothing here evacuates, renames, removes or joins a member
# (the C suite covers those). The C suite does rename m3 and evacuate m2
# for a moment: the checks against `lxc` read both sides again until they
# agree, and an instance placed on m2 waits for m2 to be online.
class TestClusterReal < LXDTest::Case
  STATE = "/var/lib/lxd-liblxd-cluster"
  M1_DIR = "/var/lib/lxd-liblxd-cluster-1"
  MEMBERS = %w[m1 m2 m3].freeze
  ENDPOINTS = %w[https://127.0.0.11:8443 https://127.0.0.12:8443 https://127.0.0.13:8443].freeze
  # Nothing listens there (a loopback address of no member).
  DEAD = "https://127.0.0.19:8443"

  def setup
    super
    skip "the cluster's state dir #{STATE} is missing (bash scripts/lxd-cluster.sh cluster up)" unless Dir.exist?(STATE)
  end

  # HTTPS with the cluster's trusted client certificate, cluster.crt
  # pinned (paths read now: every CI run makes the cluster afresh).
  def tls
    { cert: File.join(STATE, "client.crt"), key: File.join(STATE, "client.key"),
      server_cert: File.join(STATE, "cluster.crt") }
  end

  # A client of the cluster on `endpoints` (all three members by default),
  # closed at teardown.
  def cluster_client(endpoints = ENDPOINTS, **opts)
    c = LXD::Client.new(endpoints, **tls, **opts)
    cleanup { c.close }
    c
  end

  # `lxc ARGS` on m1's unix socket; stdout without the final newline.
  def cluster_lxc(*args)
    out, err, st = Open3.capture3({ "LXD_DIR" => M1_DIR }, "lxc", *args)
    assert st.success?, "LXD_DIR=#{M1_DIR} lxc #{args.join(' ')} failed: #{err}"
    out.chomp
  end

  def cluster_query(path)
    JSON.parse(cluster_lxc("query", path))
  end

  # A cleanup that runs `lxc ARGS` on m1, whatever its outcome.
  def cluster_cleanup(*args)
    cleanup { Open3.capture3({ "LXD_DIR" => M1_DIR }, "lxc", *args) }
  end

  # Yields until the block's two values agree (the other suites may be
  # renaming or evacuating a member right now); asserts they do.
  def assert_agrees(what, tries: 40)
    ours = theirs = nil
    tries.times do
      ours, theirs = yield
      break if ours == theirs

      sleep 0.25
    end
    assert_equal theirs, ours, what
  end

  # Wait (up to a minute) until the member is online: the C suite
  # evacuates m2 for a few seconds.
  def wait_online(member)
    online = eventually(tries: 240, pause: 0.25) { cluster_query("/1.0/cluster/members/#{member}")["status"] == "Online" }
    assert online, "#{member} never came back online"
  end

  # A busybox container (not started), deleted at teardown. Stopped in
  # place, never moved, if the C suite evacuates its member.
  def cluster_container(client, tag)
    name = unique(tag)
    cluster_cleanup("delete", "-f", name)
    client.containers.create({ "name" => name, "source" => { "type" => "image", "alias" => "busybox" },
                               "config" => { "cluster.evacuate" => "stop" } })
  end

  def test_a_client_of_three_members
    c = cluster_client
    assert c.trusted?
    cl = c.cluster
    assert_equal true, cl.enabled
    assert_includes ENDPOINTS, c.endpoint
    # The member answering is the endpoint in use.
    n = ENDPOINTS.index(c.endpoint) + 1
    me, = Open3.capture2({ "LXD_DIR" => "#{STATE}-#{n}" }, "lxc", "query", "/1.0/cluster")
    assert_equal JSON.parse(me)["server_name"], cl.server_name

    members = c.cluster_members
    assert_agrees("the members' names, as lxc cluster list") do
      [members.all.map(&:server_name).sort,
       JSON.parse(cluster_lxc("cluster", "list", "--format", "json")).map { |m| m["server_name"] }.sort]
    end
    assert_agrees("m2 as lxc query sees it") do
      m2 = members.get("m2")
      q = cluster_query("/1.0/cluster/members/m2")
      [[m2.server_name, m2.url, m2.status, m2.roles, m2.database], q.values_at(*%w[server_name url status roles database])]
    end
    m2 = members.get("m2")
    assert_instance_of LXD::ClusterMember, m2
    assert_equal "https://127.0.0.12:8443", m2.url
    assert members.exists?("m3") || members.exists?("m1")
    refute members.exists?(unique("no-member"))

    # The same cluster through a comma list, and through endpoint +
    # endpoints: the first given answers.
    c2 = cluster_client(ENDPOINTS.join(","))
    assert_includes ENDPOINTS, c2.endpoint
    c3 = cluster_client(ENDPOINTS[1], endpoints: [ENDPOINTS[0]])
    assert_equal ENDPOINTS[1], c3.endpoint
    assert_equal "m2", c3.cluster.server_name
    c4 = cluster_client(nil, endpoints: ENDPOINTS.drop(1), failover: "on")
    assert_equal ENDPOINTS[1], c4.endpoint
    assert_match(/\A#<LXD::Client #{Regexp.escape(ENDPOINTS[1])}>\z/, c4.inspect)
  end

  # Failover without killing anything: the first endpoint is an address
  # nothing listens on. Connecting there fails before anything was sent,
  # so every request, POST included, moves on to a member.
  def test_failover_past_an_address_nobody_listens_on
    c = cluster_client([DEAD, *ENDPOINTS])
    assert_includes ENDPOINTS, c.endpoint, "client creation moved on"
    assert_equal true, c.cluster.enabled
    assert_includes ENDPOINTS, c.endpoint
    # Once DEAD's back-off (0.5 s) is over it is tried first again: the
    # create is refused there without a byte sent, and goes on to a member.
    sleep 0.6
    box = cluster_container(c, "fo")
    assert_includes MEMBERS, box.location
    assert_includes ENDPOINTS, c.endpoint
    assert_equal "#{box.name},STOPPED", cluster_lxc("list", box.name, "--format", "csv", "-c", "ns")
    box.delete
    assert_equal "", cluster_lxc("list", box.name, "--format", "csv", "-c", "n")

    # With failover off only the first endpoint is used: creating the
    # client (its GET /1.0) fails.
    [false, "off", :off].each do |off|
      e = assert_raises(LXD::ConnectionError, off.inspect) do
        LXD::Client.new([DEAD, *ENDPOINTS], **tls, failover: off)
      end
      assert_equal LXD::Native::STATUS[:connection], e.code
    end
    e = assert_raises(LXD::InvalidArgument) { LXD::Client.new(ENDPOINTS, **tls, failover: "maybe") }
    assert_match(/failover/, e.message)
    assert_raises(LXD::InvalidArgument) { LXD::Client.new(ENDPOINTS[0], **tls, endpoints: 5) }
    assert_raises(LXD::InvalidArgument) { LXD::Client.new([ENDPOINTS[0], nil], **tls) }
  end

  def test_derive_a_target_and_back
    c = cluster_client
    on_m2 = c.derive(target: "m2")
    cleanup { on_m2.close }
    assert_equal c.endpoint, on_m2.endpoint, "the same connections"
    # The target's member-specific state: its server config.
    assert_equal "127.0.0.12:8443", on_m2.server.config["core.https_address"]

    wait_online("m2")
    box = cluster_container(on_m2, "tgt")
    assert_instance_of LXD::Container, box
    assert_equal "m2", box.location
    assert_equal "#{box.name},m2", cluster_lxc("list", box.name, "--format", "csv", "-c", "nL")
    assert_equal "m2", cluster_query("/1.0/instances/#{box.name}")["location"]
    # Reached through the untargeted client too (LXD forwards).
    assert_equal "m2", c.containers.get(box.name).location
    refute LXD.kind(:instance).writable?(:location)
    assert_raises(LXD::ReadOnly) { box.location = "m1" }

    # Target dropped: the member in use answers for itself again. The
    # original client never had one.
    back = on_m2.derive(target: nil)
    cleanup { back.close }
    here = cluster_query("/1.0/cluster/members/#{c.cluster.server_name}")["url"].delete_prefix("https://")
    assert_equal here, back.server.config["core.https_address"]
    assert_equal here, c.server.config["core.https_address"]
    # Keys not given are kept: another project, still m2.
    on_m2.derive(project: "default") do |d|
      assert_equal "127.0.0.12:8443", d.server.config["core.https_address"]
    end
    # Independent handles: the derived client outlives the one it came from.
    d = c.derive(target: "m3")
    c.close
    assert_raises(LXD::ClosedError) { c.endpoint }
    assert_equal "127.0.0.13:8443", d.server.config["core.https_address"]
    d.close
    box.delete
    assert_equal "", cluster_lxc("list", box.name, "--format", "csv", "-c", "n")
  end

  def test_derive_a_project
    c = cluster_client
    project = unique("proj")
    profile = unique("pp")
    cluster_cleanup("project", "delete", project)
    cluster_cleanup("profile", "delete", profile, "--project", project)
    c.projects.create({ "name" => project, "config" => { "features.profiles" => "true" } })
    in_p = c.derive(project: project)
    cleanup { in_p.close }
    prof = in_p.profiles.create({ "name" => profile, "description" => "in #{project}" })
    assert_equal profile, prof.name
    assert_equal "in #{project}", JSON.parse(cluster_lxc("query", "/1.0/profiles/#{profile}?project=#{project}"))["description"]
    refute_includes cluster_lxc("profile", "list", "--format", "csv"), profile
    # Only the project's objects.
    assert_equal ["default", profile].sort, in_p.profiles.all.map(&:name).sort
    assert in_p.profiles.exists?(profile)
    refute c.profiles.exists?(profile)
    # Objects fetched through it keep its project.
    got = in_p.profiles.get(profile)
    got.description = "saved in #{project}"
    got.save
    assert_equal "saved in #{project}",
                 JSON.parse(cluster_lxc("query", "/1.0/profiles/#{profile}?project=#{project}"))["description"]
    # Project dropped: the default project again.
    in_p.derive(project: nil) { |d| refute d.profiles.exists?(profile) }
    got.delete
    assert_equal "default", cluster_lxc("profile", "list", "--project", project, "--format", "csv").lines.map { |l| l.split(",").first }.join
    c.projects.get(project).delete
    refute_includes cluster_lxc("project", "list", "--format", "csv"), project
  end

  def test_join_tokens
    c = cluster_client
    members = c.cluster_members
    n1 = unique("tok")
    n2 = unique("tok")
    cluster_cleanup("cluster", "revoke-token", n1)
    cluster_cleanup("cluster", "revoke-token", n2)
    t1 = members.create_token(n1)
    t2 = members.create_token(server_name: n2)
    assert_equal %w[id token server_name fingerprint addresses expires_at created_at].sort, t1.keys.sort
    assert_equal [n1, n2], [t1["server_name"], t2["server_name"]]
    refute_equal t1["token"], t2["token"]
    assert_equal n1, JSON.parse(t1["token"].unpack1("m"))["server_name"]
    # The very string lxc prints.
    listed = cluster_lxc("cluster", "list-tokens", "--format", "csv").lines.to_h { |l| l.chomp.split(",").first(2) }
    assert_equal t1["token"], listed[n1]
    assert_equal t2["token"], listed[n2]
    pending = members.tokens
    assert_equal t1, pending.find { |t| t["server_name"] == n1 }
    assert_equal t2["id"], pending.find { |t| t["server_name"] == n2 }["id"]

    assert_nil members.revoke_token(n1)
    assert_nil members.revoke_token(t2["id"])
    out = cluster_lxc("cluster", "list-tokens", "--format", "csv")
    refute_includes out, n1
    refute_includes out, n2
    assert_empty members.tokens.select { |t| [n1, n2].include?(t["server_name"]) }
    e = assert_raises(LXD::NotFound) { members.revoke_token(n1) }
    assert_match(/no pending cluster join token/, e.message)
    assert_raises(LXD::NotFound) { members.revoke_token(t2["id"]) }
    # Refused before any request.
    assert_raises(LXD::InvalidArgument) { members.create_token }
    assert_raises(LXD::InvalidArgument) { members.create_token(n1, server_name: n1) }
    assert_raises(LXD::InvalidArgument) { members.create_token(n1, expiry: "1h") }
    refute_includes cluster_lxc("cluster", "list-tokens", "--format", "csv"), n1
  end

  # LXD 5.0.2 lacks clustering_evacuation_mode: a mode is refused before
  # any request, so nothing is evacuated (never evacuated here at all).
  def test_evacuate_with_a_mode_is_refused
    c = cluster_client
    refute c.has_api_extension?("clustering_evacuation_mode")
    m1 = c.cluster_members.get("m1")
    e = assert_raises(LXD::ExtensionMissing) { m1.evacuate(mode: "stop") }
    assert_match(/clustering_evacuation_mode/, e.message)
    assert_raises(LXD::ExtensionMissing) { m1.act(:evacuate, { mode: "migrate" }) }
    assert_equal "Online", cluster_query("/1.0/cluster/members/m1")["status"]
    assert_match(/\Am1,.*,ONLINE,/, cluster_lxc("cluster", "list", "--format", "csv").lines.grep(/\Am1,/).first.to_s)
    m1.sync
    assert_equal "Online", m1.status
  end

  README = File.expand_path("../README.md", __dir__)

  # The ruby blocks under the README heading `section`, joined.
  def readme_block(section)
    current = nil
    found = []
    File.read(README).scan(/^\#{2,3} ([^\n]*)$|^```(\w*)\n(.*?)^```$/m) do |heading, lang, code|
      if heading
        current = heading
      elsif current == section && lang == "ruby"
        found << code
      end
    end
    refute_empty found, "no ruby block under ### #{section}"
    found.join("\n")
  end

  # README's Clusters blocks as written, on this cluster: its addresses for
  # 10.0.0.x, the certificates under the names the README gives them, and
  # names of the test's own for the container and the join token.
  def test_readme_cluster_blocks_run_as_written
    web = unique("web")
    node = unique("node")
    cluster_cleanup("delete", "-f", web)
    cluster_cleanup("cluster", "revoke-token", node)
    wait_online("m2")
    code = [readme_block("Several members and failover"), readme_block("Target and derive"),
            readme_block("Join tokens")].join("\n")
    code = code.gsub(%r{10\.0\.0\.(\d)}, '127.0.0.1\\1').gsub('"web1"', %("#{web}")).gsub('"node4"', %("#{node}"))
    checks = <<~RUBY
      raise "members" unless client.cluster_members.all.map(&:server_name).sort == %w[m1 m2 m3]
      raise "endpoint" unless ENDPOINTS.include?(client.endpoint) && same.endpoint == ENDPOINTS[1]
      raise "location" unless web.location == "m2"
      raise "derive" unless anywhere.endpoint == client.endpoint && in_dev.endpoint == client.endpoint
      raise "token" unless token["server_name"] == #{node.inspect} && token["token"].size > 20
      raise "revoked" if members.tokens.any? { |t| t["server_name"] == #{node.inspect} }
      puts "ran"
    RUBY
    Dir.mktmpdir("lxdt-rb-readme") do |dir|
      { "client.crt" => "client.crt", "client.key" => "client.key", "cluster.crt" => "cluster.crt" }.each do |name, file|
        File.symlink(File.join(STATE, file), File.join(dir, name))
      end
      program = "require \"lxd\"\nENDPOINTS = #{ENDPOINTS.inspect}\n#{code}\n#{checks}"
      out, err, st = Open3.capture3(RbConfig.ruby, "-w", "-I#{File.expand_path('../lib', __dir__)}", "-e", program,
                                    chdir: dir)
      assert st.success? && err.empty?, "README's cluster blocks failed: #{err}"
      assert_equal "ran\n", out
    end
    assert_equal "#{web},m2", cluster_lxc("list", web, "--format", "csv", "-c", "nL")
    refute_includes cluster_lxc("cluster", "list-tokens", "--format", "csv"), node
  end
end
