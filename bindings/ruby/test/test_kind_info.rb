# frozen_string_literal: true

require_relative "helper"

# lxd_kind_info: LXD::Kind#info, the schema it gives, and the object
# methods built on it, checked against real objects.
class TestKindInfo < LXDTest::Case
  def test_every_kind_is_described_by_liblxd
    assert_equal 10, LXD::KINDS.size
    LXD::KINDS.each_with_index do |kind, value|
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
      assert_includes kind.attribute_names, kind.key_attr
      assert_equal %w[name writable], info["attributes"].flat_map(&:keys).uniq.sort
      assert_equal kind.attribute_names.uniq, kind.attribute_names
      assert_operator kind.writable_attributes.size, :<, kind.attribute_names.size
    end
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
  end

  def test_invalid_kinds_raise_invalid_argument
    [-1, 10, 2**31 - 1, -2**31].each do |value|
      e = assert_raises(LXD::InvalidArgument) { LXD::Kind.describe(value) }
      assert_equal 1, e.code
      assert_match(/not an lxd_kind/, e.message) if value.abs < 2**30
    end
    [2**31, 1.5, "container", nil].each do |value|
      assert_raises(LXD::InvalidArgument) { LXD::Kind.describe(value) }
    end
    assert_raises(LXD::InvalidArgument) { LXD.kind(10) }
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
