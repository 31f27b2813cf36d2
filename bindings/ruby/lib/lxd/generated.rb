# frozen_string_literal: true

module LXD
  # @!visibility private
  # The part of the binding made from liblxd's kind table at load time
  # (ruby-vips style): one Ruby class per kind, the managers (on the client
  # for top-level kinds, on the parent's objects for child kinds) and one
  # method per action. Loaded last, so that hand-written methods (the
  # conveniences of {Instance}, Ruby's own) are never replaced: a generated
  # method is only defined where no method of that name exists yet.
  # Whatever is not defined that way stays reachable through the generic
  # calls ({Object#act}, {Object#children}, {Client#manager},
  # {Client#collection_action}).
  module Generated
    METHOD_NAME = /\A[a-z_][a-z0-9_]*\z/.freeze

    @classes = {}
    @collection_modules = {}

    class << self
      # The Ruby class of a kind's objects.
      def object_class(kind)
        @classes.fetch(kind.value) { raise InternalError, "no class for #{kind.inspect}" }
      end

      # The module of a kind's collection actions (for its managers), or nil.
      def collection_actions_module(kind)
        @collection_modules[kind.value]
      end

      # Whether a generated method `name` may be defined on `klass`: a
      # plain name that neither the class nor Ruby defines already.
      def free_name?(klass, name)
        METHOD_NAME.match?(name.to_s) &&
          !klass.method_defined?(name) && !klass.private_method_defined?(name)
      end

      # Build everything, once, at load time.
      def build
        KINDS.each { |kind| build_class(kind) }
        KINDS.each do |kind|
          build_children(kind)
          build_collection_actions(kind)
        end
        build_client_managers
      end

      private

      # A kind's class: the hand-written one of its name (LXD::Instance,
      # LXD::Operation), or a new subclass of LXD::Object (of the class of
      # the kind it is a variant of: LXD::Container < LXD::Instance) named
      # after the kind (LXD::InstanceSnapshot). A name already taken by
      # something else puts the class under LXD::Objects.
      def build_class(kind)
        return @classes[kind.value] if @classes.key?(kind.value)

        name = kind.class_name
        existing = LXD.const_defined?(name, false) ? LXD.const_get(name, false) : nil
        klass = if existing.is_a?(Class) && existing <= LXD::Object
                  existing
                else
                  base = kind.variant_of ? build_class(kind.variant_of) : LXD::Object
                  k = Class.new(base)
                  (existing.nil? ? LXD : Objects).const_set(name, k)
                  k
                end
        @classes[kind.value] = klass
        build_object_actions(kind, klass)
        klass
      end

      # One method per action on one object, in a module of the class.
      def build_object_actions(kind, klass)
        mod = Module.new
        kind.object_actions.each do |action|
          name = action["name"]
          next unless free_name?(klass, name)

          case action["returns"]
          when "bytes"
            mod.define_method(name) do |args = nil, **kw|
              run_action_bytes(name, Call.action_args(args, kw))
            end
          when "file"
            mod.define_method(name) do |local_path, args = nil, **kw, &progress|
              run_action_to_file(name, Call.action_args(args, kw), local_path, progress)
            end
          else
            mod.define_method(name) do |args = nil, wait: true, **kw|
              run_action(name, Call.action_args(args, kw), wait: wait)
            end
          end
        end
        return if mod.instance_methods.empty?

        klass.const_set(:TableActions, mod)
        klass.include(mod)
      end

      # The managers of the kinds that live under this one, on its class.
      def build_children(kind)
        klass = object_class(kind)
        KINDS.select { |k| k.info["parent"] == kind.value }.each do |child|
          next unless free_name?(klass, child.manager)

          klass.define_method(child.manager) { children(child) }
        end
      end

      # A top-level kind's collection actions, for its managers.
      def build_collection_actions(kind)
        return if kind.child? || kind.collection_actions.empty?

        mod = Module.new
        hand = kind.manager_extension
        kind.collection_actions.each do |action|
          name = action["name"]
          next unless free_name?(Manager, name)
          next if hand&.method_defined?(name)

          mod.define_method(name) do |args = nil, wait: true, **kw|
            @client.run_collection_action(kind, name, Call.action_args(args, kw), wait: wait)
          end
        end
        @collection_modules[kind.value] = mod unless mod.instance_methods.empty?
      end

      # client.containers, client.images, … for the top-level kinds; for a
      # singleton kind, its one object (client.server, client.cluster).
      def build_client_managers
        KINDS.reject(&:child?).each do |kind|
          if kind.singleton?
            next unless free_name?(Client, kind.name)

            Client.define_method(kind.name) { singleton(kind) }
            next
          end
          next unless free_name?(Client, kind.manager)

          Client.define_method(kind.manager) { manager(kind) }
        end
      end
    end
  end

  # Classes of kinds whose name is taken in LXD by something else.
  module Objects
  end

  Generated.build
end
