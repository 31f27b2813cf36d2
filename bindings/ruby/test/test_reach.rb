# frozen_string_literal: true

require_relative "helper"

# Every kind and every action of liblxd's kind table reaches Ruby: a
# class, a manager where the kind lives, one method per action. Nothing
# here names a kind or an action: it all comes from lxd_kind_info.
class TestReach < LXDTest::Case
  def test_every_kind_has_a_class_and_a_manager_where_it_lives
    (0...LXD::KIND_COUNT).each do |value|
      kind = LXD.kind(value)
      klass = kind.object_class
      assert_operator klass, :<=, LXD::Object, kind.name
      assert_equal kind.class_name, klass.name.split("::").last
      if kind.variant_of
        assert_operator klass, :<, kind.variant_of.object_class, kind.name
      end
      if kind.child?
        # On the parent kind's class, and so on its variants' classes.
        holders = LXD::KINDS.select { |k| [k.value, k.info["variant_of"]].include?(kind.info["parent"]) }
        refute_empty holders
        holders.each do |holder|
          assert holder.object_class.public_method_defined?(kind.manager),
                 "#{holder.class_name}##{kind.manager} for #{kind.class_name}"
        end
        refute LXD::Client.public_method_defined?(kind.manager)
      elsif kind.singleton?
        # Its one object, from a client method of its name.
        refute LXD::Client.public_method_defined?(kind.manager)
        assert_instance_of klass, client.public_send(kind.name)
      else
        assert LXD::Client.public_method_defined?(kind.manager), "Client##{kind.manager}"
        assert_same kind, client.public_send(kind.manager).kind
      end
    end
  end

  def test_every_action_is_a_method
    count = 0
    (0...LXD::KIND_COUNT).each do |value|
      kind = LXD.kind(value)
      kind.actions.each do |action|
        count += 1
        name = action["name"]
        if action["on"] == "collection"
          assert_respond_to client.manager(kind), name, "#{kind.name} collection action #{name}"
        else
          assert kind.object_class.public_method_defined?(name), "#{kind.class_name}##{name}"
        end
      end
    end
    assert_operator count, :>=, 20
    # The hand-written conveniences are actions of the table (nothing stale).
    %i[start stop restart freeze unfreeze log delete_log template put_template delete_template].each do |m|
      assert LXD.kind(:instance).action(m), m
    end
  end

  def test_typed_functions_of_the_table_are_used
    kind = LXD.kind(:instance_snapshot)
    assert_equal :lxd_instance_snapshot_get, kind.typed_function("get")
    assert_equal :lxd_instance_snapshot_restore, kind.typed_action_function("restore")
    # A variant runs its kind's typed action functions…
    assert_equal :lxd_instance_logs, LXD.kind(:container).typed_action_function("logs")
    # …but not its collection actions (those of containers act on
    # containers only: lxd_collection_action with the container kind).
    assert_equal :lxd_instance_set_state_all, LXD.kind(:instance).typed_action_function("set_state_all")
    assert_nil LXD.kind(:container).typed_action_function("set_state_all")
    # Actions with a typed function of their own signature run through
    # lxd_obj_action.
    assert_nil LXD.kind(:instance).typed_action_function("start")
  end

  # A kind and actions the table does not have yet get a class and
  # methods with no Ruby code: the methods hand the action's name to
  # liblxd (which, not knowing it, refuses it before any request).
  def test_a_new_kind_in_the_table_needs_no_ruby_code
    actions = [
      { "name" => "polish", "on" => "object", "returns" => "document" },
      { "name" => "blueprint", "on" => "object", "returns" => "bytes" },
      { "name" => "archive", "on" => "object", "returns" => "file" },
      { "name" => "frob_all", "on" => "collection", "returns" => "operation" }
    ]
    info = { "kind" => 1000, "c_name" => "lxdt_widget", "class" => "LxdtWidget", "parent" => nil,
             "variant_of" => nil, "key" => "name", "creatable" => true, "actions" => actions,
             "attributes" => [] }
    fake = LXD::Kind.new(name: :lxdt_widget, value: 1000, c_name: "lxdt_widget", class_name: "LxdtWidget",
                         manager: :lxdt_widgets, key_attr: "name", creatable: true, info: info)
    klass = LXD::Generated.send(:build_class, fake)
    LXD::Generated.send(:build_collection_actions, fake)
    assert_equal "LXD::LxdtWidget", klass.name
    %i[polish blueprint archive].each { |m| assert klass.public_method_defined?(m), m }
    mod = LXD::Generated.collection_actions_module(fake)
    assert mod.public_method_defined?(:frob_all)
    c = LXDTest.box
    e = assert_raises(LXD::InvalidArgument) { klass.instance_method(:polish).bind_call(c, { x: 1 }) }
    assert_match(/no action "polish"/, e.message)
    e = assert_raises(LXD::InvalidArgument) { klass.instance_method(:blueprint).bind_call(c) }
    assert_match(/no action "blueprint"/, e.message)
    e = assert_raises(LXD::InvalidArgument) { klass.instance_method(:archive).bind_call(c, "/tmp/lxdt-rb-nothing") }
    assert_match(/no action "archive"/, e.message)
  ensure
    LXD.send(:remove_const, :LxdtWidget) if LXD.const_defined?(:LxdtWidget, false)
    LXD::Generated.instance_variable_get(:@classes).delete(1000)
    LXD::Generated.instance_variable_get(:@collection_modules).delete(1000)
  end
end
