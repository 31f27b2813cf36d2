# frozen_string_literal: true

module LXD
  # One kind of LXD object, as data: everything the generic managers,
  # object classes and action methods need. Built from liblxd's own
  # description of the kind (`lxd_kind_info`), so it never disagrees with
  # the C library: a kind or an action added to liblxd's table reaches
  # Ruby without any Ruby code (see lib/lxd/generated.rb).
  #
  # @!attribute [r] name      [Symbol] e.g. `:container`, `:instance_snapshot`
  # @!attribute [r] value     [Integer] the C `lxd_kind` value
  # @!attribute [r] c_name    [String] the name in typed C functions (`lxd_<c_name>_get`)
  # @!attribute [r] class_name [String] pylxd's class name (as in warnings),
  #   also the name of the Ruby class of its objects (`LXD::InstanceSnapshot`)
  # @!attribute [r] manager   [Symbol] the method giving its manager: on the
  #   {Client} for a top-level kind (`client.containers`), on the parent's
  #   objects for a child kind (`inst.snapshots`)
  # @!attribute [r] key_attr  [String] the attribute that is its key
  # @!attribute [r] creatable [Boolean]
  # @!attribute [r] info      [Hash] liblxd's description of the kind, see {#info}
  Kind = Struct.new(:name, :value, :c_name, :class_name, :manager, :key_attr, :creatable, :info,
                    keyword_init: true) do
    # liblxd's description of a kind value, read from `lxd_kind_info`
    # without any request, as a deeply frozen Hash: `kind`, `class`,
    # `c_name`, `parent`, `variant_of`, `endpoint`, `key`,
    # `project_scoped`, `creatable`, `savable`, `patchable`, `renamable`,
    # `deletable`, `extension`, `actions` (`[{"name" => "logs", "method" =>
    # "GET", "on" => "object", "path" => "/logs", "returns" => "document",
    # "args" => "", "doc" => "…", "extension" => nil}, …]`) and `attributes`
    # (`[{"name" => "config", "writable" => true}, …]`, in liblxd's schema
    # order). {Kind#info} gives the same, read once.
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

    # @!visibility private
    # The manager method's name for a kind: its c_name, less its parent's
    # c_name as a prefix (`instance_snapshot` under `instance`: `snapshot`),
    # in the plural.
    def self.manager_name(info, parent_info)
      base = info["c_name"]
      prefix = parent_info && "#{parent_info['c_name']}_"
      base = base.delete_prefix(prefix) if prefix && base.start_with?(prefix) && base != prefix
      plural = case base
               when /[^aeiou]y\z/ then "#{base[0..-2]}ies"
               when /(s|x|z|ch|sh)\z/ then "#{base}es"
               else "#{base}s"
               end
      plural.to_sym
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

    # The API endpoint of the kind, e.g. `"/1.0/instances"`; a child kind's
    # has its parents' keys as `{c_name}`
    # (`"/1.0/instances/{instance}/snapshots"`).
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

    # Whether {Object#save} works for the kind.
    def savable?
      info["savable"]
    end

    # Whether {Object#patch} works for the kind.
    def patchable?
      info["patchable"]
    end

    # Whether objects of the kind can be deleted.
    def deletable?
      info["deletable"]
    end

    # The API extension the kind needs (nil: none); without it liblxd
    # raises {ExtensionMissing} before any request.
    # @return [String, nil]
    def extension
      info["extension"]
    end

    # The kind this one lives under (snapshots: the instance kind), or nil
    # for a top-level kind.
    # @return [Kind, nil]
    def parent
      value = info["parent"]
      value.nil? ? nil : LXD.kind(value)
    end

    # Whether the kind lives under another ({#parent}): its manager is on
    # the parent's objects, not on the {Client}.
    def child?
      !info["parent"].nil?
    end

    # The kind this one is a typed variant of (containers: instances), or nil.
    # @return [Kind, nil]
    def variant_of
      value = info["variant_of"]
      value.nil? ? nil : LXD.kind(value)
    end

    # The kinds that live under objects of this kind (or, for a typed
    # variant, under objects of the kind it is a variant of).
    # @return [Array<Kind>]
    def children
      own = [value, info["variant_of"]].compact
      KINDS.select { |k| own.include?(k.info["parent"]) }
    end

    # The kind's actions, as `lxd_kind_info` lists them.
    # @return [Array<Hash>]
    def actions
      info["actions"]
    end

    # The action of this name, or nil.
    # @return [Hash, nil]
    def action(name)
      name = name.to_s
      actions.find { |a| a["name"] == name }
    end

    # The actions run on one object (`on` is "object" or "parent").
    # @return [Array<Hash>]
    def object_actions
      actions.reject { |a| a["on"] == "collection" }
    end

    # The actions run on the whole collection (`on` is "collection").
    # @return [Array<Hash>]
    def collection_actions
      actions.select { |a| a["on"] == "collection" }
    end

    # The Ruby class that wraps objects of this kind (`LXD::Container`,
    # `LXD::InstanceSnapshot`, …), made from the table at load time.
    # @return [Class]
    def object_class
      Generated.object_class(self)
    end

    # @!visibility private
    # The typed C function liblxd generated for a verb of this kind
    # (`:lxd_instance_snapshot_get`), or nil.
    def typed_function(verb)
      fn = :"lxd_#{c_name}_#{verb}"
      Native::TYPED.key?(fn) ? fn : nil
    end

    # @!visibility private
    # The typed C function liblxd generated for an action of this kind, or
    # nil. For a variant, that of the kind it is a variant of for actions
    # on one object (`lxd_instance_logs` serves containers too), but not for
    # collection actions, whose typed function names its kind
    # (`lxd_instance_set_state_all` acts on every instance, not only on the
    # containers).
    def typed_action_function(action_name)
      described = action(action_name)
      owner = described && described["on"] != "collection" && variant_of || self
      fn = :"lxd_#{owner.c_name}_#{action_name}"
      role = Native::TYPED[fn]
      role && role[0] == :action ? fn : nil
    end

    # Extra hand-written manager methods of this kind (a module), or nil:
    # those of liblxd functions that are not in the kind table, and
    # collection actions that need more than the generated method (a
    # generated method of the same name is then not made).
    def manager_extension
      { image: ImageManagerMethods, certificate: CertificateManagerMethods,
        cluster_member: ClusterMemberManagerMethods }[name]
    end

    def inspect
      "#<LXD::Kind #{name} (#{value})>"
    end
  end

  # How many kinds liblxd has (`LXD_KIND_COUNT`): every value from 0 to
  # KIND_COUNT - 1 is an `lxd_kind`. Read at load time from the library
  # itself, as the first value `lxd_kind_info` refuses, so it always
  # matches the loaded library (the suite checks it against the header).
  KIND_COUNT = begin
    out = FFI::MemoryPointer.new(:pointer)
    (0..65_536).find do |value|
      status = Native.lxd_kind_info(value, out)
      Native.lxd_string_free(out.read_pointer) if status.zero?
      !status.zero?
    end
  end

  # Every kind, in `lxd_kind` order (values 0 to {KIND_COUNT} - 1), as
  # liblxd describes them.
  KINDS = Array.new(KIND_COUNT) do |value|
    info = Kind.describe(value)
    parent_info = info["parent"].nil? ? nil : Kind.describe(info["parent"])
    Kind.new(name: info["c_name"].to_sym, value: info["kind"], c_name: info["c_name"],
             class_name: info["class"], manager: Kind.manager_name(info, parent_info),
             key_attr: info["key"], creatable: info["creatable"], info: info).freeze
  end.freeze

  KINDS_BY_NAME = KINDS.to_h { |k| [k.name, k] }.freeze

  # liblxd's typed functions of every kind (`lxd_container_get`,
  # `lxd_instance_snapshot_all`, `lxd_instance_logs`, …), attached from the
  # table.
  KINDS.each { |kind| Native.attach_kind(kind.info) }

  # The {Kind} for a name (`:container`, `"container"`), an lxd_kind value
  # or a Kind.
  # @return [Kind]
  def self.kind(spec)
    case spec
    when Kind then spec
    when Integer
      raise InvalidArgument, "no kind #{spec}" unless spec >= 0 && spec < KIND_COUNT

      KINDS[spec]
    when Symbol, String
      KINDS_BY_NAME.fetch(spec.to_sym) { raise InvalidArgument, "no kind #{spec.inspect}" }
    else raise InvalidArgument, "not a kind: #{spec.inspect}"
    end
  end

  # The manager of one kind: like pylxd's `client.containers`, or
  # `inst.snapshots` for a kind that lives under another object. `get`,
  # `exists?`, `all` (also Enumerable through {#each}) and `create`, plus
  # one method per collection action of the kind (`set_state_all` of
  # instances). One class serves every kind; it calls liblxd's typed
  # functions (`lxd_<kind>_get`, …) named from the {Kind} data.
  class Manager
    include Enumerable

    # @return [Kind]
    attr_reader :kind

    # The client, or for a child kind the parent object, the manager
    # belongs to.
    attr_reader :owner

    # @!visibility private
    # @param owner [Client, Object] the client (top-level kinds) or the
    #   parent object (child kinds)
    def initialize(owner, kind)
      @owner = owner
      @client = owner.is_a?(Client) ? owner : owner.client
      @kind = kind
      @get_fn, @exists_fn, @all_fn, @create_fn = %w[get exists all create].map { |v| kind.typed_function(v) }
      if kind.child?
        @generic = { get: :lxd_child_get, exists: :lxd_child_exists, all: :lxd_child_all,
                     create: :lxd_child_create }
      else
        @generic = { get: :lxd_get, exists: :lxd_exists, all: :lxd_all, create: :lxd_create }
      end
      ext = kind.manager_extension
      extend(ext) if ext
      actions = Generated.collection_actions_module(kind)
      extend(actions) if actions
    end

    # Fetch one object by its key (name; fingerprint for images and
    # certificates; id for operations), fully loaded.
    # @param key [String]
    # @return [LXD::Object]
    # @raise [NotFound] when there is no such object (`http_status` 404; the
    #   message is the request, then the server's text)
    def get(key)
      key = Call.c_string(key, "key")
      ptr = @owner.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(*call(:get, @get_fn, c), key, out) }
      end
      Object.wrap(ptr, @client)
    end

    # Whether an object with this key exists.
    # @return [Boolean]
    def exists?(key)
      key = Call.c_string(key, "key")
      @owner.with_ptr do |c|
        Call.out_bool { |out| Call.invoke(*call(:exists, @exists_fn, c), key, out) }
      end
    end

    # All objects of the kind (in the client's project for project-scoped
    # kinds; of the parent object for child kinds), fully loaded, in one
    # request.
    # @return [Array<LXD::Object>]
    def all
      ptr = @owner.with_ptr do |c|
        Call.out_pointer(:lxd_list_free) { |out| Call.invoke(*call(:all, @all_fn, c), out) }
      end
      Object.wrap_list(ptr, @client)
    end

    # Iterates over {#all}.
    def each(&block)
      return enum_for(:each) unless block

      all.each(&block)
    end

    # Create an object from its definition, the body of LXD's POST for the
    # kind (a Hash, or JSON text as a String): for a snapshot
    # `{name: "s0", expires_at: "2030-01-01T00:00:00Z"}`, for a backup
    # `{name: "b0", instance_only: true}`.
    # @param definition [Hash, String]
    # @param wait [Boolean] true: return once created, loaded; false: return
    #   once accepted ({Object#operation} gives the operation)
    # @return [LXD::Object]
    def create(definition, wait: true)
      raise InvalidArgument, "#{kind.class_name} objects cannot be created" unless kind.creatable

      json = Call.c_string(Call.json_arg(definition, "definition"), "definition")
      ptr = @owner.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) do |out|
          Call.invoke(*call(:create, @create_fn, c), json, wait ? true : false, out)
        end
      end
      Object.wrap(ptr, @client)
    end

    def inspect
      where = @owner.is_a?(Client) ? "" : " of #{@owner.inspect}"
      "#<#{self.class.name} #{kind.manager}#{where}>"
    end

    private

    # The function and leading arguments of a call: the typed function
    # when liblxd has one, else the generic one with the kind.
    def call(verb, typed, ptr)
      typed ? [typed, ptr] : [@generic.fetch(verb), ptr, kind.value]
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
