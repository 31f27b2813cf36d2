# frozen_string_literal: true

require_relative "helper"
require_relative "fake_lxd_server"

# The cluster kinds: the one Cluster (a singleton, as the Server), the
# members and groups, and the cluster actions. The suite's daemon is a
# standalone server (and must never become a cluster): the Cluster object
# is read there, the members and groups are LXD's refusal there, and the
# actions' requests are checked on a fake cluster member (FakeLXDServer).
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
  def test_members_groups_and_join_token_need_a_cluster
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

    # join_token: a name, the arguments, or the generic collection action.
    e = assert_not_clustered(400, "join_token") { members.join_token(name) }
    assert_equal "POST /1.0/cluster/members: This server is not clustered", e.message
    assert_not_clustered(400, "join_token(args)") { members.join_token({ server_name: name }, wait: true) }
    assert_not_clustered(400, "collection_action") do
      client.collection_action(:cluster_member, :join_token, { server_name: name })
    end
    # Still a standalone server.
    assert_equal false, query("/1.0/cluster")["enabled"]
  end

  # Each cluster action is a method that runs liblxd's typed function.
  def test_cluster_actions_are_methods_on_their_typed_functions
    typed = {
      cluster: { "join" => :lxd_cluster_join, "update_certificate" => :lxd_cluster_update_certificate },
      cluster_member: { "evacuate" => :lxd_cluster_member_evacuate, "restore" => :lxd_cluster_member_restore,
                        "join_token" => :lxd_cluster_member_join_token }
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
    assert_equal LXD::ClusterMemberManagerMethods, client.cluster_members.method(:join_token).owner
    refute_respond_to client.cluster_groups, :join_token
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
    assert_equal "Success", member.evacuate(mode: "stop")["status"]
    assert_equal ["POST", state, { "action" => "evacuate", "mode" => "stop" }], fake.log[-2]
    before = fake.requests
    assert_equal "Running", member.restore(wait: false)["status"]
    assert_equal [["POST", state, { "action" => "restore" }]], fake.log.drop(before)

    # join_token does not wait by default (LXD's token operation runs until
    # the token is used): one request, the running operation with the token.
    before = fake.requests
    op = fc.cluster_members.join_token("lxdt-fake-m2")
    assert_equal "Running", op["status"]
    assert_equal "lxdt-fake-secret", op["metadata"]["secret"]
    assert_equal [["POST", "/1.0/cluster/members", { "server_name" => "lxdt-fake-m2" }]], fake.log.drop(before)
    assert_equal "Success", fc.cluster_members.join_token({ server_name: "lxdt-fake-m3" }, wait: true)["status"]
    assert_equal ["POST", "/1.0/cluster/members", { "server_name" => "lxdt-fake-m3" }], fake.log[-2]
    fc.cluster_members.join_token(server_name: "lxdt-fake-m4")
    assert_equal ["POST", "/1.0/cluster/members", { "server_name" => "lxdt-fake-m4" }], fake.log.last
  ensure
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
      "clustering_evacuation" => -> { member.evacuate(mode: "stop") },
      "clustering_join_token" => -> { fc.cluster_members.join_token("lxdt-fake-m2") },
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
