# frozen_string_literal: true

require_relative "helper"
require_relative "fake_lxd_server"

# The cluster kinds: the one Cluster (a singleton, as the Server), the
# members and groups, and the cluster actions. The suite's daemon is a
# standalone server (and must never become a cluster): the Cluster object
# is read there, the members, groups and join tokens are LXD's refusal
# there, and the requests of the actions and join tokens are checked on a
# fake cluster member (FakeLXDServer). test_cluster_real.rb has the real
# cluster.
class TestCluster < LXDTest::Case
  EXTENSIONS = %w[instances clustering clustering_evacuation clustering_join_token clustering_update_cert
                  clustering_groups].freeze

  def test_the_cluster_is_one_object_as_lxc_shows_it
    shown = query("/1.0/cluster")
    cl = client.cluster
    assert_instance_of LXD::Cluster, cl
    assert_equal :cluster, cl.kind
    assert_equal "", cl.key
    assert_equal shown["enabled"], cl.enabled
    unless LXDTest.clustered?
      assert_equal false, cl.enabled
      assert_equal "", cl.server_name
    end
    assert_equal shown["server_name"], cl.server_name
    assert_equal shown["member_config"], cl.member_config
    assert_equal shown, JSON.parse(cl.to_json)
    # The same object through the generic call, with the key "".
    generic = client.get(:cluster, "")
    assert_instance_of LXD::Cluster, generic
    assert_equal cl.to_h, generic.to_h
    # A singleton: no manager, no list, a client method of its name.
    e = assert_raises(LXD::InvalidArgument) { client.manager(:cluster) }
    assert_match(/client\.cluster/, e.message)
    e = assert_raises(LXD::InvalidArgument) { client.all(:cluster) }
    assert_match(/no list/, e.message)
    refute client.respond_to?(:clusters)
    assert LXD.kind(:cluster).singleton?
    refute cl.writable?(:no_such_attribute)
    refute cl.dirty?
  end

  # On a standalone server LXD refuses every request of the members and
  # groups; the binding raises that refusal as LXD::APIError with LXD's
  # status and message (the request, then the server's text).
  def test_members_groups_and_join_tokens_need_a_cluster
    members = client.cluster_members
    groups = client.cluster_groups
    assert_same LXD.kind(:cluster_member), members.kind
    assert_same LXD.kind(:cluster_group), groups.kind
    if LXDTest.clustered?
      # (Not the suite's daemon: a cluster lists its members and groups.)
      assert_includes members.all.map(&:server_name), client.cluster.server_name
      assert_includes groups.all.map(&:name), "default"
      return
    end

    name = unique("cm")
    e = assert_not_clustered(500, "members.all") { members.all }
    assert_equal "GET /1.0/cluster/members?recursion=1: Server is not clustered", e.message
    assert_equal e.message, e.server_message
    e = assert_not_clustered(500, "members.get") { members.get(name) }
    assert_equal "GET /1.0/cluster/members/#{name}: Server is not clustered", e.message
    assert_not_clustered(500, "members.exists?") { members.exists?(name) }
    assert_not_clustered(500, "lxd_get") { client.get(:cluster_member, name) }

    e = assert_not_clustered(400, "groups.all") { groups.all }
    assert_equal "GET /1.0/cluster/groups?recursion=1: This server is not clustered", e.message
    assert_not_clustered(400, "groups.get") { groups.get(name) }
    assert_not_clustered(400, "groups.exists?") { groups.exists?(name) }
    e = assert_not_clustered(400, "groups.create") { groups.create({ name: name, description: "lxdt" }) }
    assert_equal "POST /1.0/cluster/groups: This server is not clustered", e.message

    # Join tokens: LXD refuses to make one; none is pending, none to revoke.
    e = assert_not_clustered(400, "create_token") { members.create_token(name) }
    assert_equal "POST /1.0/cluster/members: This server is not clustered", e.message
    assert_equal [], members.tokens
    e = assert_raises(LXD::NotFound) { members.revoke_token(name) }
    assert_equal %(no pending cluster join token "#{name}"), e.message
    # Still a standalone server.
    assert_equal false, query("/1.0/cluster")["enabled"]
  end

  # Each cluster action is a method that runs liblxd's typed function.
  def test_cluster_actions_are_methods_on_their_typed_functions
    typed = {
      cluster: { "join" => :lxd_cluster_join, "update_certificate" => :lxd_cluster_update_certificate },
      cluster_member: { "evacuate" => :lxd_cluster_member_evacuate, "restore" => :lxd_cluster_member_restore }
    }
    typed.each do |kind_name, actions|
      kind = LXD.kind(kind_name)
      assert_equal actions.keys.sort, kind.actions.map { |a| a["name"] }.sort
      actions.each do |action, fn|
        assert_equal fn, kind.typed_action_function(action), "#{kind_name}.#{action}"
        assert_equal [:action, action], LXD::Native::TYPED[fn]
        assert LXD::Native.respond_to?(fn), fn
      end
    end
    %i[join update_certificate].each { |m| assert LXD::Cluster.public_method_defined?(m), m }
    %i[evacuate restore].each { |m| assert LXD::ClusterMember.public_method_defined?(m), m }
    # Join tokens: hand-written manager methods on their own functions (the
    # old collection action join_token is gone from the table and the ABI).
    %i[create_token tokens revoke_token].each do |m|
      assert_equal LXD::ClusterMemberManagerMethods, client.cluster_members.method(m).owner, m
    end
    %i[lxd_cluster_join_token_create lxd_cluster_join_tokens lxd_cluster_join_token_revoke].each do |fn|
      assert LXD::Native.respond_to?(fn), fn
    end
    refute LXD::Native.respond_to?(:lxd_cluster_member_join_token)
    refute_respond_to client.cluster_members, :join_token
    refute_respond_to client.cluster_groups, :create_token
    refute LXD::ClusterGroup.public_method_defined?(:evacuate)
  end

  # On a fake member of a fake cluster: each action sends its request
  # (the table's fixed fields, then the caller's arguments), waits for
  # the operation where asked, and returns it.
  def test_cluster_actions_send_their_requests
    fake = FakeLXDServer.new(extensions: EXTENSIONS)
    fc = LXD::Client.new(fake.path)
    cl = fc.cluster
    assert_equal [true, FakeLXDServer::MEMBER], [cl.enabled, cl.server_name]

    join = { "server_name" => "lxdt-fake-m2", "server_address" => "192.0.2.2:8443",
             "cluster_address" => "192.0.2.1:8443", "cluster_certificate" => "PEM", "cluster_password" => "tok" }
    op = cl.join(join)
    assert_equal ["Success", FakeLXDServer::OPERATION], [op["status"], op["id"]]
    put, wait = fake.log.last(2)
    assert_equal ["PUT", "/1.0/cluster", { "enabled" => true }.merge(join)], put
    assert_match(%r{\AGET /1\.0/operations/#{FakeLXDServer::OPERATION}/wait\?timeout=\d+\z}, wait.first(2).join(" "))

    assert_nil cl.update_certificate(cluster_certificate: "CERT", cluster_certificate_key: "KEY")
    assert_equal ["PUT", "/1.0/cluster/certificate", { "cluster_certificate" => "CERT", "cluster_certificate_key" => "KEY" }],
                 fake.log.last

    member = fc.cluster_members.get(FakeLXDServer::MEMBER)
    assert_instance_of LXD::ClusterMember, member
    assert_equal FakeLXDServer::MEMBER, member.key
    state = "/1.0/cluster/members/#{FakeLXDServer::MEMBER}/state"
    assert_equal "Success", member.evacuate["status"]
    assert_equal ["POST", state, { "action" => "evacuate" }], fake.log[-2]
    before = fake.requests
    assert_equal "Running", member.restore(wait: false)["status"]
    assert_equal [["POST", state, { "action" => "restore" }]], fake.log.drop(before)
    # A mode needs clustering_evacuation_mode (LXD 5.0.2 lacks it), and an
    # argument cannot change the action's fixed body: refused, nothing sent.
    before = fake.requests
    e = assert_raises(LXD::ExtensionMissing) { member.evacuate(mode: "stop") }
    assert_match(/clustering_evacuation_mode/, e.message)
    e = assert_raises(LXD::InvalidArgument) { member.evacuate(action: "restore") }
    assert_match(/fixed/, e.message)
    assert_equal before, fake.requests
    # A server that has the extension gets the mode.
    newer = FakeLXDServer.new(extensions: EXTENSIONS + ["clustering_evacuation_mode"])
    nc = LXD::Client.new(newer.path)
    nc.cluster_members.get(FakeLXDServer::MEMBER).evacuate(mode: "stop")
    assert_equal ["POST", state, { "action" => "evacuate", "mode" => "stop" }], newer.log[-2]

    # Join tokens: the request, and the token string made of the
    # operation's metadata (LXD's fields, in LXD's order).
    before = fake.requests
    t = fc.cluster_members.create_token("lxdt-fake-m2")
    assert_equal [["POST", "/1.0/cluster/members", { "server_name" => "lxdt-fake-m2" }]], fake.log.drop(before)
    assert_equal [FakeLXDServer::OPERATION, "lxdt-fake-m2", "lxdt-fake-fingerprint", ["192.0.2.1:8443"]],
                 t.values_at("id", "server_name", "fingerprint", "addresses")
    decoded = JSON.parse(t["token"].unpack1("m"))
    assert_equal({ "server_name" => "lxdt-fake-m2", "fingerprint" => "lxdt-fake-fingerprint",
                   "addresses" => ["192.0.2.1:8443"], "secret" => "lxdt-fake-secret",
                   "expires_at" => "0001-01-01T00:00:00Z" }, decoded)
    assert_equal %w[server_name fingerprint addresses secret expires_at], decoded.keys
    fc.cluster_members.create_token(server_name: "lxdt-fake-m3")
    assert_equal ["POST", "/1.0/cluster/members", { "server_name" => "lxdt-fake-m3" }], fake.log.last
    before = fake.requests
    assert_equal [t], fc.cluster_members.tokens
    assert_nil fc.cluster_members.revoke_token("lxdt-fake-m2")
    assert_equal [["GET", "/1.0/operations?recursion=1", nil], ["GET", "/1.0/operations?recursion=1", nil],
                  ["DELETE", "/1.0/operations/#{FakeLXDServer::OPERATION}", nil]], fake.log.drop(before)
    before = fake.requests
    assert_raises(LXD::NotFound) { fc.cluster_members.revoke_token("lxdt-fake-m9") }
    assert_equal [["GET", "/1.0/operations?recursion=1", nil]], fake.log.drop(before)
  ensure
    nc&.close
    newer&.stop
    fc&.close
    fake&.stop
  end

  # A server without the API extensions: liblxd refuses before sending.
  def test_cluster_kinds_and_actions_without_their_extensions
    fake = FakeLXDServer.new(extensions: %w[instances clustering])
    fc = LXD::Client.new(fake.path)
    cl = fc.cluster
    member = fc.cluster_members.get(FakeLXDServer::MEMBER)
    before = fake.requests
    { "clustering_update_cert" => -> { cl.update_certificate(cluster_certificate: "C", cluster_certificate_key: "K") },
      "clustering_evacuation" => -> { member.evacuate },
      "clustering_groups" => -> { fc.cluster_groups.all } }.each do |extension, call|
      e = assert_raises(LXD::ExtensionMissing, extension) { call.call }
      assert_match(/#{extension}/, e.message)
    end
    assert_raises(LXD::ExtensionMissing) { member.restore }
    assert_equal before, fake.requests, "nothing was sent"
    bare = FakeLXDServer.new
    bc = LXD::Client.new(bare.path)
    e = assert_raises(LXD::ExtensionMissing) { bc.cluster }
    assert_match(/clustering/, e.message)
    assert_raises(LXD::ExtensionMissing) { bc.cluster_members.all }
  ensure
    bc&.close
    bare&.stop
    fc&.close
    fake&.stop
  end
end
