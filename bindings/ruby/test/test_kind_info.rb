# frozen_string_literal: true

require_relative "helper"

# lxd_kind_info: LXD::Kind#info, the schema it gives, and the object
# methods built on it, checked against real objects.
class TestKindInfo < LXDTest::Case
  def test_every_kind_is_described_by_liblxd
    assert_equal 26, LXD::KIND_COUNT
    assert_equal LXD::KIND_COUNT, LXD::KINDS.size
    (0...LXD::KIND_COUNT).each do |value|
      kind = LXD::KINDS[value]
      info = kind.info
      assert_same info, kind.info # memoised
      assert info.frozen?
      assert info["attributes"].all?(&:frozen?)
      assert_equal value, kind.value
      assert_equal value, info["kind"]
      assert_equal LXD::Kind.describe(value), info
      assert_equal kind.c_name, info["c_name"]
      assert_equal kind.class_name, info["class"]
      assert_equal kind.key_attr, info["key"]
      # The one Server and the one Cluster are keyed by "" (no attribute),
      # top-level; every other kind by an attribute.
      assert_equal info["singleton"], kind.singleton?, kind.name
      if kind.singleton?
        assert_equal "", kind.key_attr
        refute kind.child?
        refute kind.creatable
        refute kind.deletable?
      else
        assert_includes kind.attribute_names, kind.key_attr
      end
      assert_equal %w[name writable], info["attributes"].flat_map(&:keys).uniq.sort
      %w[savable patchable renamable deletable creatable project_scoped].each do |flag|
        assert_includes [true, false], info[flag], "#{kind.name}.#{flag}"
      end
      assert_equal info["savable"], kind.savable?
      assert_equal info["patchable"], kind.patchable?
      assert_equal info["deletable"], kind.deletable?
      assert(info["extension"] == kind.extension, kind.name)
      assert(info["parent"] == kind.parent&.value, kind.name)
      assert(info["variant_of"] == kind.variant_of&.value, kind.name)
      assert_same kind, LXD.kind(value)
      assert_same kind, LXD.kind(kind.name)
      assert_equal kind.attribute_names.uniq, kind.attribute_names
      if kind.name == :cluster
        # GET /1.0/cluster gives exactly the fields its PUT takes.
        assert_equal kind.attribute_names, kind.writable_attributes
      else
        assert_operator kind.writable_attributes.size, :<, kind.attribute_names.size
      end
    end
    assert_equal %i[server cluster], LXD::KINDS.select(&:singleton?).map(&:name)
    container = LXD.kind(:container)
    assert_equal "/1.0/containers", container.endpoint
    assert container.project_scoped?
    assert container.renamable?
    assert container.writable?("config")
    refute container.writable?(:status)
    refute container.writable?("no_such_attribute")
    refute LXD.kind(:storage_pool).project_scoped?
    refute LXD.kind(:image).renamable?
    refute LXD.kind(:operation).creatable
    assert_empty LXD.kind(:operation).writable_attributes
    snap = LXD.kind(:instance_snapshot)
    assert_equal "/1.0/instances/{instance}/snapshots", snap.endpoint
    assert_same LXD.kind(:instance), snap.parent
    assert snap.child?
    assert_equal :snapshots, snap.manager
    assert_equal :backups, LXD.kind(:instance_backup).manager
    assert_equal "container_backup", LXD.kind(:instance_backup).extension
    assert_same LXD.kind(:instance), LXD.kind(:container).variant_of
    assert_equal [LXD.kind(:instance_snapshot), LXD.kind(:instance_backup)], LXD.kind(:container).children
    assert_equal %w[restore], snap.actions.map { |a| a["name"] }
    assert_equal "parent", snap.action(:restore)["on"]
    assert_nil snap.action(:fly)
    refute LXD.kind(:instance_backup).savable?
    refute LXD.kind(:operation).patchable?
  end

  # LXD::KIND_COUNT comes from the library (the first value lxd_kind_info
  # refuses); it must be the header's LXD_KIND_COUNT, and every LXD_KIND_*
  # constant of the header must name the kind of its value.
  def test_kind_count_and_values_match_the_installed_header
    out, st = Open3.capture2("pkg-config", "--variable=includedir", "liblxd")
    assert st.success?
    header = File.read(File.join(out.strip, "lxd.h"))
    assert_equal header[/^#define LXD_KIND_COUNT (\d+)$/, 1].to_i, LXD::KIND_COUNT
    constants = header.scan(/^#define LXD_KIND_([A-Z_]+) (\d+)$/).reject { |n, _| n == "COUNT" }
    assert_equal LXD::KIND_COUNT, constants.size
    constants.each do |name, value|
      assert_equal name.downcase.to_sym, LXD.kind(value.to_i).name
    end
  end

  def test_invalid_kinds_raise_invalid_argument
    [-1, LXD::KIND_COUNT, 2**31 - 1, -2**31].each do |value|
      e = assert_raises(LXD::InvalidArgument) { LXD::Kind.describe(value) }
      assert_equal 1, e.code
      assert_match(/not an lxd_kind/, e.message) if value.abs < 2**30
    end
    [2**31, 1.5, "container", nil].each do |value|
      assert_raises(LXD::InvalidArgument) { LXD::Kind.describe(value) }
    end
    assert_raises(LXD::InvalidArgument) { LXD.kind(LXD::KIND_COUNT) }
    assert_raises(LXD::InvalidArgument) { LXD.kind(-1) }
    assert_raises(LXD::InvalidArgument) { LXD.kind(:nope) }
  end

  # For a real container: every writable attribute takes its current value
  # (and the save changes nothing on the server), every read-only one raises
  # ReadOnly, and every key of to_json is in the schema.
  def test_schema_against_a_real_container
    c = new_container("schema")
    kind = c.kind_info
    before = JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))
    assert_empty c.to_h.keys - kind.attribute_names
    assert_empty JSON.parse(c.to_json).keys - kind.attribute_names
    assert_equal kind.attribute_names, c.attribute_names

    kind.attribute_names.each do |attr|
      assert c.attribute?(attr)
      assert c.respond_to?(attr), attr
      assert c.respond_to?("#{attr}="), attr
      if kind.writable?(attr)
        assert c.writable?(attr)
        c[attr] = c[attr]
        c.public_send("#{attr}=", c.public_send(attr))
        assert c.dirty?, attr
      else
        refute c.writable?(attr)
        value = c[attr]
        e = assert_raises(LXD::ReadOnly, attr) { c[attr] = value }
        assert_match(/#{attr}/, e.message)
        assert_raises(LXD::ReadOnly, attr) { c.public_send("#{attr}=", value) }
      end
    end
    c.save(wait: true)
    refute c.dirty?
    after = JSON.parse(lxc("query", "/1.0/instances/#{c.name}"))
    kind.writable_attributes.each do |attr|
      before[attr].nil? ? assert_nil(after[attr], attr) : assert_equal(before[attr], after[attr], attr)
    end
    refute c.writable?("no_such_attribute")
    refute c.respond_to?(:no_such_attribute=)
  end

  # The other kinds, on objects every LXD has: to_json keys are listed, the
  # writable attributes take their current values, read-only ones refuse.
  def test_schema_against_existing_objects_of_other_kinds
    image = client.images.get_by_alias("busybox")
    pool = client.storage_pools.all.first
    objects = [client.profiles.get("default"), client.projects.get("default"), image, pool,
               client.networks.all.first].compact
    assert_operator objects.size, :>=, 4
    objects.each do |obj|
      kind = obj.kind_info
      assert_empty obj.to_h.keys - kind.attribute_names, kind.name
      kind.attribute_names.each do |attr|
        value = obj[attr]
        if kind.writable?(attr)
          obj[attr] = value
        else
          assert_raises(LXD::ReadOnly, "#{kind.name}.#{attr}") { obj[attr] = value }
        end
      end
      obj.rollback # nothing is saved on these shared objects
      refute obj.dirty?
    end
  end

  def test_respond_to_needs_no_request_for_schema_attributes
    c = new_container("rt")
    c.close
    # The answer comes from the kind's schema: even a closed object knows it.
    assert c.respond_to?(:config)
    assert c.respond_to?(:restore=)
    assert_raises(LXD::ClosedError) { c.config }
  end
end
