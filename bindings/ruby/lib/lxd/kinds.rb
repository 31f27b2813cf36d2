# frozen_string_literal: true

module LXD
  # One kind of LXD object, as data: everything the generic managers need.
  #
  # @!attribute [r] name      [Symbol] e.g. `:container`
  # @!attribute [r] value     [Integer] the C `lxd_kind` value
  # @!attribute [r] c_name    [String] the name in typed C functions (`lxd_<c_name>_get`)
  # @!attribute [r] class_name [String] pylxd's class name (as in warnings)
  # @!attribute [r] manager   [Symbol] the {Client} method giving its manager
  # @!attribute [r] key_attr  [String] the attribute that is its key
  # @!attribute [r] creatable [Boolean]
  Kind = Struct.new(:name, :value, :c_name, :class_name, :manager, :key_attr, :creatable,
                    keyword_init: true) do
    # The Ruby class that wraps objects of this kind.
    # @return [Class]
    def object_class
      case name
      when :instance, :container, :virtual_machine then Instance
      when :operation then Operation
      else Object
      end
    end

    # Extra manager methods of this kind (a module), or nil.
    def manager_extension
      name == :image ? ImageManagerMethods : nil
    end
  end

  # Every kind, in `lxd_kind` order (the values are fixed by the C ABI).
  KINDS = [
    [:instance, "Instance", :instances, "name"],
    [:container, "Container", :containers, "name"],
    [:virtual_machine, "VirtualMachine", :virtual_machines, "name"],
    [:image, "Image", :images, "fingerprint"],
    [:profile, "Profile", :profiles, "name"],
    [:network, "Network", :networks, "name"],
    [:storage_pool, "StoragePool", :storage_pools, "name"],
    [:project, "Project", :projects, "name"],
    [:certificate, "Certificate", :certificates, "fingerprint"],
    [:operation, "Operation", :operations, "id"]
  ].each_with_index.map do |(name, class_name, manager, key_attr), value|
    Kind.new(name: name, value: value, c_name: name.to_s, class_name: class_name,
             manager: manager, key_attr: key_attr, creatable: name != :operation).freeze
  end.freeze

  KINDS_BY_NAME = KINDS.to_h { |k| [k.name, k] }.freeze

  # The {Kind} for a name (`:container`, `"container"`), an lxd_kind value
  # or a Kind.
  # @return [Kind]
  def self.kind(spec)
    case spec
    when Kind then spec
    when Integer then KINDS.fetch(spec) { raise InvalidArgument, "no kind #{spec}" }
    when Symbol, String
      KINDS_BY_NAME.fetch(spec.to_sym) { raise InvalidArgument, "no kind #{spec.inspect}" }
    else raise InvalidArgument, "not a kind: #{spec.inspect}"
    end
  end

  # The manager of one kind for one client, like pylxd's `client.containers`:
  # `get`, `exists?`, `all` (also Enumerable through {#each}) and `create`.
  # One class serves every kind; it calls liblxd's typed functions
  # (`lxd_<kind>_get`, …) named from the {Kind} data.
  class Manager
    include Enumerable

    # @return [Kind]
    attr_reader :kind

    # @!visibility private
    def initialize(client, kind)
      @client = client
      @kind = kind
      prefix = "lxd_#{kind.c_name}"
      @get_fn = :"#{prefix}_get"
      @exists_fn = :"#{prefix}_exists"
      @all_fn = :"#{prefix}_all"
      @create_fn = kind.creatable ? :"#{prefix}_create" : nil
      ext = kind.manager_extension
      extend(ext) if ext
    end

    # Fetch one object by its key (name; fingerprint for images and
    # certificates; id for operations), fully loaded.
    # @param key [String]
    # @return [LXD::Object]
    # @raise [NotFound] when there is no such object (the server's message
    #   and `http_status` 404)
    def get(key)
      key = Call.c_string(key, "key")
      ptr = @client.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(@get_fn, c, key, out) }
      end
      Object.wrap(ptr, @client)
    end

    # Whether an object with this key exists.
    # @return [Boolean]
    def exists?(key)
      key = Call.c_string(key, "key")
      @client.with_ptr do |c|
        Call.out_bool { |out| Call.invoke(@exists_fn, c, key, out) }
      end
    end

    # All objects of the kind (in the client's project for project-scoped
    # kinds), fully loaded, in one request.
    # @return [Array<LXD::Object>]
    def all
      ptr = @client.with_ptr do |c|
        Call.out_pointer(:lxd_list_free) { |out| Call.invoke(@all_fn, c, out) }
      end
      Object.wrap_list(ptr, @client)
    end

    # Iterates over {#all}.
    def each(&block)
      return enum_for(:each) unless block

      all.each(&block)
    end

    # Create an object from its definition, the body of LXD's POST for the
    # kind (a Hash, or JSON text as a String).
    # @param definition [Hash, String]
    # @param wait [Boolean] true: return once created, loaded; false: return
    #   once accepted ({Object#operation} gives the operation)
    # @return [LXD::Object]
    def create(definition, wait: true)
      raise InvalidArgument, "#{kind.class_name} objects cannot be created" unless @create_fn

      json = definition.is_a?(String) ? definition : Call.to_json_text(definition, "definition")
      json = Call.c_string(json, "definition")
      ptr = @client.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(@create_fn, c, json, wait ? true : false, out) }
      end
      Object.wrap(ptr, @client)
    end

    def inspect
      "#<#{self.class.name} #{kind.manager}>"
    end
  end

  # Extra methods of the images manager.
  module ImageManagerMethods
    # The image an alias points at, like pylxd's `images.get_by_alias`.
    # @param name [String] the alias
    # @return [LXD::Object]
    def get_by_alias(name)
      name = Call.c_string(name, "alias")
      ptr = @client.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_image_get_by_alias, c, name, out) }
      end
      Object.wrap(ptr, @client)
    end
  end
end
