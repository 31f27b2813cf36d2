# frozen_string_literal: true

require_relative "helper"

# Issue 12's kinds against the real daemons: storage volumes (snapshots,
# backups, import, copies to the second server), network forwards, ACLs,
# zones and records, the Server object, trust tokens, resources, metrics
# and events of every project. Outcomes are read back with `lxc` and on
# disk (the dir driver's /var/lib/lxd/storage-pools/POOL/custom/default_NAME).
class TestStorageNetwork < LXDTest::Case
  POOLS = "/var/lib/lxd/storage-pools"
  SECOND_POOLS = "#{LXDTest::SECOND_DIR}/storage-pools".freeze
  ENDPOINT = "https://127.0.0.1:8443"
  SERVER_CERT = "/var/lib/lxd/server.crt"

  def pool
    @pool ||= client.storage_pools.get("default")
  end

  def vol_dir(name, root = POOLS)
    "#{root}/default/custom/default_#{name}"
  end

  # A new custom volume in the default pool (deleted at teardown).
  def new_volume(tag)
    name = unique(tag)
    cleanup("lxc storage volume delete default #{name}")
    pool.storage_volumes.create({ name: name })
  end

  def test_new_kinds_have_their_managers_and_the_server_is_one_object
    %i[storage_volume storage_volume_snapshot storage_volume_backup network_forward network_acl
       network_zone network_zone_record warning server network_peer].each { |k| assert LXD.kind(k) }
    assert_equal 26, LXD::KIND_COUNT
    assert_equal :storage_volumes, LXD.kind(:storage_volume).manager
    assert_equal %i[snapshots backups], LXD.kind(:storage_volume).children.map(&:manager)
    assert_equal %i[forwards peers], LXD.kind(:network).children.map(&:manager).grep(/forwards|peers/)
    assert_equal %i[records], LXD.kind(:network_zone).children.map(&:manager)
    assert_kind_of LXD::Manager, client.network_acls
    assert_kind_of LXD::Manager, client.network_zones
    assert_kind_of LXD::Manager, client.warnings
    refute client.respond_to?(:servers)
    s = client.server
    assert_instance_of LXD::Server, s
    assert_equal query("/1.0")["config"], s.config
    e = assert_raises(LXD::InvalidArgument) { client.manager(:server) }
    assert_match(/client\.server/, e.message)
    assert LXD.kind(:server).singleton?
    refute LXD.kind(:network).singleton?
    # Volumes of every type are listed; ours among them, keyed TYPE/NAME.
    vol = new_volume("kv")
    assert_equal "custom/#{vol.name}", vol.key
    assert_includes pool.storage_volumes.all.map(&:key), "custom/#{vol.name}"
    assert pool.storage_volumes.exists?("custom/#{vol.name}")
    refute pool.storage_volumes.exists?("custom/#{vol.name}-no")
  end

  def test_volume_lifecycle_with_snapshot_restore
    vol = new_volume("vol")
    dir = vol_dir(vol.name)
    assert File.directory?(dir), "no #{dir} on disk"
    File.write("#{dir}/f.txt", "v1")
    vol.description = "lxdt described"
    vol.config = vol.config.merge("user.lxdt" => "x")
    vol.save
    shown = query("/1.0/storage-pools/default/volumes/custom/#{vol.name}")
    assert_equal "lxdt described", shown["description"]
    assert_equal "x", shown["config"]["user.lxdt"]
    snap = vol.snapshots.create({ name: "s0" })
    assert_equal "s0", snap.name
    assert_equal "s0", vol.snapshots.get("s0").name
    assert vol.snapshots.exists?("s0")
    # (The list's objects are named VOLUME/s0, as LXD's recursive list has
    # them, and cannot be deleted by that key: a defect of the core, left
    # out here.)
    assert_equal 1, vol.snapshots.all.size
    assert_equal "s0", query("/1.0/storage-pools/default/volumes/custom/#{vol.name}/snapshots/s0")["name"]
    File.write("#{dir}/f.txt", "v2")
    snap.restore
    assert_equal "v1", File.read("#{dir}/f.txt")
    snap.delete
    assert_empty query("/1.0/storage-pools/default/volumes/custom/#{vol.name}/snapshots")
    old = vol.name
    vol.rename("#{old}-r")
    cleanup("lxc storage volume delete default #{old}-r")
    assert_equal "custom/#{old}-r", vol.key
    assert File.directory?(vol_dir("#{old}-r"))
    refute File.exist?(dir)
    vol.delete
    refute lxc_ok?("storage", "volume", "show", "default", "#{old}-r")
    refute File.exist?(vol_dir("#{old}-r"))
  end

  def test_volume_backup_export_and_import
    vol = new_volume("bk")
    File.write("#{vol_dir(vol.name)}/f.txt", "backed up")
    backup = vol.backups.create({ name: "b0", volume_only: true })
    assert_equal ["b0"], query("/1.0/storage-pools/default/volumes/custom/#{vol.name}/backups")
      .map { |u| u.split("/").last }
    path = File.join(tmpdir, "vol.tar.gz")
    backup.export(path)
    assert_operator File.size(path), :>, 0
    name = unique("imp")
    cleanup("lxc storage volume delete default #{name}")
    seen = []
    imported = pool.import_volume(path, name: name) { |done, _total| seen << done }
    assert_equal "custom/#{name}", imported.key
    refute_empty seen
    assert_equal "backed up", File.read("#{vol_dir(name)}/f.txt")
    backup.delete
    assert_empty query("/1.0/storage-pools/default/volumes/custom/#{vol.name}/backups")
  end

  def test_volume_copy_to_the_second_server_and_a_move
    vol = new_volume("cp")
    File.write("#{vol_dir(vol.name)}/f.txt", "travels")
    vol.snapshots.create({ name: "s0" })
    rpool = second.storage_pools.get("default")
    name = unique("cpr")
    cleanup("LXD_DIR=#{LXDTest::SECOND_DIR} lxc storage volume delete default #{name}")
    copy = vol.copy_to(rpool, name: name, mode: :push)
    assert_same second, copy.client
    assert_equal "custom/#{name}", copy.key
    assert_equal "travels", File.read("#{vol_dir(name, SECOND_POOLS)}/f.txt")
    assert_equal ["s0"], JSON.parse(second_lxc("query", "/1.0/storage-pools/default/volumes/custom/#{name}/snapshots"))
      .map { |u| u.split("/").last }
    e = assert_raises(LXD::Conflict) { vol.copy_to(rpool, name: name, mode: :push) }
    refute_empty e.message
    e = assert_raises(LXD::InvalidArgument) { vol.copy_to(second) }
    assert_match(/StoragePool/, e.message)
    # A move in the same pool: LXD's own, renaming it.
    moved_name = unique("mv")
    cleanup("lxc storage volume delete default #{moved_name}")
    moved = vol.move_to(pool, name: moved_name)
    assert_equal "custom/#{moved_name}", moved.key
    assert_equal "travels", File.read("#{vol_dir(moved_name)}/f.txt")
    refute lxc_ok?("storage", "volume", "show", "default", vol.name)
  end

  # A bridge of the documentation range (configuration only), deleted at
  # teardown, with a /28 of 198.51.100.0/24 of its own.
  def new_bridge
    name = "lxdt#{Process.pid % 1_000_000}x"
    base = 16 * (Process.pid % 16)
    cleanup("lxc network delete #{name}")
    net = client.networks.create({ name: name, type: "bridge",
                                   config: { "ipv4.address" => "198.51.100.#{base + 1}/28", "ipv4.nat" => "false",
                                             "ipv4.dhcp" => "false", "ipv6.address" => "none" } })
    [net, base]
  end

  def test_network_forward_on_a_documentation_bridge
    net, base = new_bridge
    listen = "198.51.100.#{base + 10}"
    fw = net.forwards.create({ listen_address: listen, description: "lxdt fw",
                               ports: [{ protocol: "tcp", listen_port: "80",
                                         target_address: "198.51.100.#{base + 5}", target_port: "8080" }] })
    assert_equal listen, fw.key
    shown = query("/1.0/networks/#{net.name}/forwards/#{listen}")
    assert_equal "lxdt fw", shown["description"]
    assert_equal [["tcp", "80", "198.51.100.#{base + 5}", "8080"]],
                 shown["ports"].map { |p| p.values_at("protocol", "listen_port", "target_address", "target_port") }
    fw.description = "lxdt fw 2"
    fw.save
    assert_equal "lxdt fw 2", query("/1.0/networks/#{net.name}/forwards/#{listen}")["description"]
    assert_equal [listen], net.forwards.all.map(&:listen_address)
    assert net.forwards.exists?(listen)
    refute net.forwards.exists?("198.51.100.#{base + 11}")
    assert_equal 404, assert_raises(LXD::NotFound) { net.forwards.get("198.51.100.#{base + 11}") }.http_status
    # Peers are OVN's: LXD refuses a bridge's.
    assert_raises(LXD::Error) { net.peers.all }
    fw.delete
    assert_empty query("/1.0/networks/#{net.name}/forwards")
    net.delete
    refute lxc_ok?("network", "show", net.name)
  end

  def test_network_acl
    name = unique("acl")
    cleanup("lxc network acl delete #{name}")
    cleanup("lxc network acl delete #{name}-r")
    acl = client.network_acls.create({ name: name, description: "lxdt acl",
                                       ingress: [{ action: "allow", source: "192.0.2.0/24", state: "enabled" }] })
    shown = query("/1.0/network-acls/#{name}")
    assert_equal "lxdt acl", shown["description"]
    assert_equal [%w[allow 192.0.2.0/24 enabled]], shown["ingress"].map { |r| r.values_at("action", "source", "state") }
    acl.egress = [{ "action" => "reject", "destination" => "198.51.100.0/24", "state" => "enabled" }]
    acl.save
    assert_equal ["reject"], query("/1.0/network-acls/#{name}")["egress"].map { |r| r["action"] }
    acl.rename("#{name}-r")
    assert client.network_acls.exists?("#{name}-r")
    refute lxc_ok?("network", "acl", "show", name)
    acl.delete
    refute lxc_ok?("network", "acl", "show", "#{name}-r")
  end

  def test_network_zone_with_a_record
    zname = "#{unique('z')}.example.net"
    cleanup("lxc network zone delete #{zname}")
    zone = client.network_zones.create({ name: zname, description: "lxdt zone" })
    cleanup("lxc network zone record delete #{zname} www")
    rec = zone.records.create({ name: "www", entries: [{ type: "A", value: "192.0.2.30" }] })
    shown = query("/1.0/network-zones/#{zname}/records/www")
    assert_equal [%w[A 192.0.2.30]], shown["entries"].map { |e| e.values_at("type", "value") }
    assert_equal ["www"], zone.records.all.map(&:name)
    rec.description = "lxdt rec"
    rec.save
    assert_equal "lxdt rec", query("/1.0/network-zones/#{zname}/records/www")["description"]
    rec.delete
    assert_empty query("/1.0/network-zones/#{zname}/records")
    zone.delete
    refute lxc_ok?("network", "zone", "show", zname)
  end

  def test_server_config_set_save_and_patch_removing_the_key
    key = "user.#{unique('srv')}"
    cleanup("lxc config unset #{key}")
    s = client.server
    stale = client.server
    s.config = s.config.merge(key => "1")
    s.save
    assert_equal "1", lxc("config", "get", key)
    # The other copy's ETag is old: its save is refused, nothing changes.
    stale.config = stale.config.merge(key => "2")
    assert_raises(LXD::PreconditionFailed) { stale.save }
    assert_equal "1", lxc("config", "get", key)
    s.patch({ config: { key => "" } })
    refute query("/1.0")["config"].key?(key)
    refute s.config.key?(key)
    assert_equal query("/1.0")["config"]["core.https_address"], s.config["core.https_address"]
  end

  def make_cert(dir)
    ok = system("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "#{dir}/c.key", "-out", "#{dir}/c.crt", "-days", "1",
                "-subj", "/CN=lxdt-rb", %i[out err] => File::NULL)
    assert ok, "openssl could not make a certificate"
    fp, = Open3.capture2("openssl", "x509", "-in", "#{dir}/c.crt", "-noout", "-fingerprint", "-sha256")
    fp.split("=", 2).last.delete(":").strip.downcase
  end

  def test_trust_token_authenticates_a_fresh_https_client_and_metrics
    dir = tmpdir
    fp = make_cert(dir)
    cleanup("lxc config trust remove #{fp}")
    name = unique("tok")
    cleanup("lxc config trust revoke-token #{name}")
    token = client.certificates.create_token(name: name)
    assert_equal name, token["client_name"]
    refute_empty token["token"]
    assert_includes client.certificates.tokens.map { |t| t["client_name"] }, name
    assert_includes lxc("config", "trust", "list-tokens", "--format", "csv"), name
    other = unique("tok2")
    cleanup("lxc config trust revoke-token #{other}")
    client.certificates.create_token(name: other)
    client.certificates.revoke_token(other)
    refute_includes lxc("config", "trust", "list-tokens", "--format", "csv"), other
    assert_raises(LXD::NotFound) { client.certificates.revoke_token(other) }

    c = LXD::Client.new(ENDPOINT, cert: "#{dir}/c.crt", key: "#{dir}/c.key", server_cert: SERVER_CERT)
    cleanup { c.close }
    refute c.trusted?
    assert_raises(LXD::Forbidden) { c.metrics }
    c.authenticate(token["token"])
    assert c.trusted?
    assert_equal "trusted", c.host_info["auth"]
    assert_equal name, query("/1.0/certificates/#{fp}")["name"]
    refute_includes lxc("config", "trust", "list-tokens", "--format", "csv"), name
    metrics = c.metrics
    assert_equal Encoding::UTF_8, metrics.encoding
    assert metrics.end_with?("# EOF\n"), "not OpenMetrics text: #{metrics[-200..]}"
    # A running container of the suite shows up (LXD caches the metrics
    # for a few seconds: asked again until it does).
    box = LXDTest.box.name
    listed = eventually(tries: 60, pause: 0.5) { c.metrics.include?(%(name="#{box}")) }
    assert listed, "no metrics of #{box}"
  end

  def test_resources
    res = client.resources
    seen = query("/1.0/resources")
    assert_equal seen["cpu"]["total"], res["cpu"]["total"]
    assert_equal seen["memory"]["total"], res["memory"]["total"]
    assert_operator res["cpu"]["total"], :>, 0
    kb = File.read("/proc/meminfo")[/^MemTotal:\s+(\d+)/, 1].to_i
    assert_operator res["memory"]["total"], :>=, kb * 1024 / 2
  end

  def test_events_of_all_projects
    project = unique("proj")
    cleanup("lxc project delete #{project}")
    client.projects.create({ name: project, config: { "features.profiles" => "true", "features.images" => "false" } })
    pc = LXD::Client.new(project: project)
    cleanup { pc.close }
    in_project = unique("pp")
    marker = unique("pm")
    cleanup("lxc profile delete --project #{project} #{in_project}")
    cleanup("lxc profile delete #{marker}")
    about = ->(ev, name) { %r{/profiles/#{Regexp.escape(name)}(\?|\z)}.match?(ev.dig("metadata", "source").to_s) }
    client.events(:lifecycle, all_projects: true) do |all|
      client.events(:lifecycle) do |own|
        pc.profiles.create({ name: in_project })
        client.profiles.create({ name: marker })
        # The all-projects stream sees the other project's event.
        got = all.each(timeout: 30).find { |ev| about.call(ev, in_project) }
        refute_nil got, "no event of #{in_project}"
        assert_equal project, got["project"]
        assert_equal "profile-created", got.dig("metadata", "action")
        # The default project's stream sees the marker, and not the other
        # project's event before it.
        before = []
        marked = own.each(timeout: 30).find { |ev| about.call(ev, marker) || (before << ev && false) }
        refute_nil marked, "no event of #{marker}"
        refute before.any? { |ev| about.call(ev, in_project) }
      end
    end
  end
end
