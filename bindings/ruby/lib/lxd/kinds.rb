# frozen_string_literal: true

module LXD
  # One kind of LXD object, as data: everything the generic managers need.
  # Built from liblxd's own description of the kind (`lxd_kind_info`), so
  # it never disagrees with the C library.
  #
  # @!attribute [r] name      [Symbol] e.g. `:container`
  # @!attribute [r] value     [Integer] the C `lxd_kind` value
  # @!attribute [r] c_name    [String] the name in typed C functions (`lxd_<c_name>_get`)
  # @!attribute [r] class_name [String] pylxd's class name (as in warnings)
  # @!attribute [r] manager   [Symbol] the {Client} method giving its manager
  # @!attribute [r] key_attr  [String] the attribute that is its key
  # @!attribute [r] creatable [Boolean]
  # @!attribute [r] info      [Hash] liblxd's description of the kind, see {#info}
  Kind = Struct.new(:name, :value, :c_name, :class_name, :manager, :key_attr, :creatable, :info,
                    keyword_init: true) do
    # liblxd's description of a kind value, read from `lxd_kind_info`
    # without any request, as a deeply frozen Hash: `kind`, `class`,
    # `c_name`, `endpoint`, `key`, `project_scoped`, `creatable`,
    # `renamable` and `attributes` (`[{"name" => "config", "writable" => true}, …]`,
    # in liblxd's schema order). {Kind#info} gives the same, read once.
    # @param value [Integer] an `lxd_kind` value
    # @raise [InvalidArgument] a value that is not an `lxd_kind`
    # @return [Hash]
    def self.describe(value)
      unless value.is_a?(Integer) && value >= -2**31 && value < 2**31
        raise InvalidArgument, "not an lxd_kind value: #{value.inspect}"
      end

      deep_freeze(Call.from_json_text(Call.out_string { |out| Call.invoke(:lxd_kind_info, value, out) }))
    end

    # @!visibility private
    def self.deep_freeze(data)
      case data
      when Hash then data.each_value { |v| deep_freeze(v) }
      when Array then data.each { |v| deep_freeze(v) }
      end
      data.freeze
    end

    # @!method info
    #   liblxd's description of the kind (memoised: it never changes), as
    #   {Kind.describe} gives it.
    #   @return [Hash]

    # The names of the attributes liblxd knows for the kind, in schema order.
    # @return [Array<String>]
    def attribute_names
      info["attributes"].map { |a| a["name"] }
    end

    # The attributes that can be set (and are sent by {Object#save}).
    # @return [Array<String>]
    def writable_attributes
      info["attributes"].select { |a| a["writable"] }.map { |a| a["name"] }
    end

    # Whether the kind's schema has this attribute.
    def attribute?(attr)
      attribute_names.include?(attr.to_s)
    end

    # Whether the attribute is in the kind's schema and can be set.
    def writable?(attr)
      writable_attributes.include?(attr.to_s)
    end

    # The API endpoint of the kind, e.g. `"/1.0/instances"`.
    # @return [String]
    def endpoint
      info["endpoint"]
    end

    # Whether objects of the kind live in a project.
    def project_scoped?
      info["project_scoped"]
    end

    # Whether objects of the kind can be renamed.
    def renamable?
      info["renamable"]
    end

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

  # Every kind, in `lxd_kind` order, as liblxd describes them (the values
  # 0, 1, … up to the first that `lxd_kind_info` refuses).
  KINDS = (0..).lazy.map do |value|
    Kind.describe(value)
  rescue InvalidArgument
    nil
  end.take_while(&:itself).map do |info|
    Kind.new(name: info["c_name"].to_sym, value: info["kind"], c_name: info["c_name"],
             class_name: info["class"], manager: :"#{info['c_name']}s", key_attr: info["key"],
             creatable: info["creatable"], info: info).freeze
  end.to_a.freeze

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
    # @raise [NotFound] when there is no such object (`http_status` 404; the
    #   message is the request, then the server's text)
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
