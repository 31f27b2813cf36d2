# frozen_string_literal: true

module LXD
  # One LXD object of any kind (instance, image, profile, network, storage
  # pool, project, certificate, operation, an instance's snapshot or
  # backup), with pylxd's lifecycle:
  # reading an attribute not yet loaded syncs it; setting one makes the
  # object dirty; {#rollback} takes the server's state back; {#save} writes
  # the changes, protected by the ETag.
  #
  # Attributes are Ruby methods, converted through JSON:
  #   obj.config                # => Hash
  #   obj.config = {"user.x" => "1"}
  #   obj["description"]        # same as obj.description
  # Which names exist comes from liblxd: the kind's schema ({Kind#info},
  # see {#attribute_names} and {#writable?}), plus anything the server sent
  # beyond it. An unknown name raises NoMethodError through methods,
  # {UnknownAttribute} through {#[]}. Names that Ruby's Object
  # already uses (an operation's `class`) are read with {#[]}.
  #
  # Each kind has a subclass made from liblxd's kind table
  # (`LXD::Container`, `LXD::InstanceSnapshot`, …, see {Kind#object_class})
  # with one method per action of the kind and one manager per kind that
  # lives under it (lib/lxd/generated.rb).
  class Object
    include HandleOwner
    alias free close

    # @!visibility private
    # Wrap an owned `lxd_obj *` in the class of its kind.
    def self.wrap(ptr, client)
      kind = KINDS[Native.lxd_obj_kind(ptr)]
      unless kind
        Native.lxd_obj_free(ptr)
        raise InternalError, "liblxd returned an object of an unknown kind"
      end
      obj = kind.object_class.allocate
      obj.send(:setup, Handle.new(ptr, :lxd_obj_free, "#{kind.class_name} object"), kind, client)
      obj
    end

    # @!visibility private
    # Wrap an owned `lxd_list *` as an Array; its objects borrow from the
    # list, which is freed once none of them is referenced any more.
    def self.wrap_list(ptr, client)
      list = Handle.new(ptr, :lxd_list_free, "list")
      list.use do |l|
        Array.new(Native.lxd_list_len(l)) do |i|
          item = Native.lxd_list_get(l, i)
          kind = LXD.kind(Native.lxd_obj_kind(item))
          kind.object_class.allocate.tap do |obj|
            obj.send(:setup, Handle.new(item, nil, "#{kind.class_name} object", owner: list),
                     kind, client)
          end
        end
      end
    end

    private_class_method :new

    # @return [Kind] the object's kind
    attr_reader :kind_info

    # @return [Client] the client it came from
    attr_reader :client

    # The kind as a Symbol, e.g. `:container`.
    # @return [Symbol]
    def kind
      @kind_info.name
    end

    # The key (name, fingerprint or id), without any request.
    # @return [String]
    def key
      with_ptr { |o| Call.out_string { |out| Call.invoke(:lxd_obj_key, o, out) } }
    end

    # Read an attribute as Ruby data (syncs first if not loaded yet).
    # @param attr [String, Symbol]
    # @raise [UnknownAttribute]
    def [](attr)
      Call.from_json_text(get_json(attr))
    end

    # Set an attribute (the whole value: a Hash replaces the map). Nothing
    # is sent until {#save}.
    # @raise [UnknownAttribute, ReadOnly, InvalidArgument]
    def []=(attr, value)
      set_json(attr, Call.to_json_text(value, "value of #{attr}"))
    end

    # Read an attribute as the JSON text liblxd gives (`"\"c1\""`).
    # @return [String]
    def get_json(attr)
      attr = Call.c_string(attr, "attribute")
      with_ptr { |o| Call.out_string { |out| Call.invoke(:lxd_obj_get, o, attr, out) } }
    end

    # Set an attribute from JSON text, as it is; text that is not JSON
    # raises {InvalidArgument}.
    # @return [self]
    def set_json(attr, json)
      attr = Call.c_string(attr, "attribute")
      json = Call.c_string(json, "JSON value")
      with_ptr { |o| Call.invoke(:lxd_obj_set, o, attr, json) }
      self
    end

    # Whether the object has an attribute of this name: one of the kind's
    # schema (answered from {Kind#info}, without any request), or one the
    # server sent beyond the schema (that asks the object, which may load
    # it once).
    # @return [Boolean]
    def attribute?(attr)
      attr = attr.to_s
      return false if attr.empty? || attr.include?("\0")
      return true if @kind_info.attribute?(attr)

      get_json(attr)
      true
    rescue UnknownAttribute
      false
    end

    # Whether the attribute can be set (from the kind's schema, without any
    # request). Attributes the server sent beyond the schema never can.
    # @return [Boolean]
    def writable?(attr)
      @kind_info.writable?(attr)
    end

    # The names of the object's attributes: the kind's schema in liblxd's
    # order (also those the server did not send, which read nil), then any
    # the server sent beyond it (this part reads the object, which may load
    # it once).
    # @return [Array<String>]
    def attribute_names
      schema = @kind_info.attribute_names
      schema + (to_h.keys - schema)
    end

    # The whole object as a Hash, local changes included.
    # @return [Hash]
    def to_h
      Call.from_json_text(with_ptr { |o| Call.out_string { |out| Call.invoke(:lxd_obj_to_json, o, out) } })
    end

    # The whole object as JSON text, local changes included.
    # @return [String]
    def to_json(*args)
      args.empty? ? with_ptr { |o| Call.out_string { |out| Call.invoke(:lxd_obj_to_json, o, out) } } : to_h.to_json(*args)
    end

    # Whether there are local changes not yet saved.
    # @return [Boolean]
    def dirty?
      with_ptr { |o| Native.lxd_obj_dirty(o) }
    end

    # Refresh from the server, keeping local changes.
    # @return [self]
    def sync
      with_ptr { |o| Call.invoke(:lxd_obj_sync, o) }
      self
    end

    # Discard local changes and take the server's state.
    # @return [self]
    def rollback
      with_ptr { |o| Call.invoke(:lxd_obj_rollback, o) }
      self
    end

    # Write local changes (PUT with If-Match); nothing is sent when clean.
    # @param wait [Boolean] true: return once applied (the object loads
    #   again on its next read); false: once accepted (see {#operation})
    # @raise [PreconditionFailed] changed on the server since loaded
    # @return [self]
    def save(wait: true)
      with_ptr { |o| Call.invoke(:lxd_obj_save, o, wait ? true : false) }
      self
    end

    # Delete the object on the server. The Ruby object stays (closed or not).
    # @return [self]
    def delete(wait: true)
      with_ptr { |o| Call.invoke(:lxd_obj_delete, o, wait ? true : false) }
      self
    end

    # Rename (the kinds whose {Kind#renamable?} is true: instances,
    # profiles, networks, projects, snapshots, backups). The object follows
    # the new name at once.
    # @return [self]
    def rename(new_name, wait: true)
      new_name = Call.c_string(new_name, "new name")
      with_ptr { |o| Call.invoke(:lxd_obj_rename, o, new_name, wait ? true : false) }
      self
    end

    # The background operation the last call made with `wait: false`
    # started, or nil (none needed, or already finished by the object).
    # @return [Operation, nil]
    def operation
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_obj_operation, o, out) }
      end
      ptr.null? ? nil : Object.wrap(ptr, @client)
    end


    def inspect
      return "#<#{self.class.name} #{kind} (closed)>" if closed?

      "#<#{self.class.name} #{kind} #{key.inspect}#{dirty? ? ' dirty' : ''}>"
    rescue Error
      "#<#{self.class.name} #{kind}>"
    end
    alias to_s inspect

    # @!visibility private
    def with_ptr(&block)
      @handle.use(&block)
    end

    private

    ATTRIBUTE_NAME = /\A[a-z_][a-z0-9_]*\z/.freeze
    private_constant :ATTRIBUTE_NAME

    def setup(handle, kind, client)
      @handle = handle
      @kind_info = kind
      @client = client
      @children = {}
      @children_lock = Mutex.new
    end

    # `obj.config` reads, `obj.config = v` sets; names liblxd does not know
    # for the kind raise NoMethodError.
    def method_missing(name, *args, &block)
      str = name.to_s
      setter = str.end_with?("=")
      attr = setter ? str[0..-2] : str
      return super unless ATTRIBUTE_NAME.match?(attr) && !block

      if setter && args.length == 1
        begin
          self[attr] = args[0]
        rescue UnknownAttribute
          return super
        end
        args[0]
      elsif !setter && args.empty?
        begin
          self[attr]
        rescue UnknownAttribute
          super
        end
      else
        super
      end
    end

    # Setters exist for the kind's schema attributes (a read-only one raises
    # {ReadOnly}); readers also for attributes the server sent beyond it.
    def respond_to_missing?(name, include_private = false)
      str = name.to_s
      setter = str.end_with?("=")
      attr = setter ? str[0..-2] : str
      return super unless ATTRIBUTE_NAME.match?(attr)
      return true if @kind_info.attribute?(attr)
      return super if setter || closed?

      attribute?(attr) || super
    end
  end

  # An instance (container or virtual machine): exec, files, console, and
  # the instance actions of the kind table (state, logs, metadata,
  # templates, …; lib/lxd/actions.rb). LXD::Container and
  # LXD::VirtualMachine are its subclasses.
  class Instance < Object
    # @!macro [new] state_change
    #   @param timeout [Integer, nil] seconds passed to LXD (nil: LXD's
    #     default, -1)
    #   @param force [Boolean]
    #   @param stateful [Boolean, nil] passed to LXD when given
    #   @param wait [Boolean] true: return once done (the object loads
    #     again on its next read);
    #     false: once accepted ({#operation} gives the operation)
    #   @return [self]

    # Start the instance (the action `start`). @macro state_change
    def start(timeout: nil, force: false, stateful: nil, wait: true)
      state_change("start", timeout, force, stateful, wait)
    end

    # Stop it (cleanly within `timeout`, or at once with `force`). @macro state_change
    def stop(timeout: nil, force: false, stateful: nil, wait: true)
      state_change("stop", timeout, force, stateful, wait)
    end

    # Restart it. @macro state_change
    def restart(timeout: nil, force: false, stateful: nil, wait: true)
      state_change("restart", timeout, force, stateful, wait)
    end

    # Freeze (pause) it: the LXD action, not Ruby's Object#freeze (an
    # instance handle is never frozen in Ruby's sense). @macro state_change
    def freeze(timeout: nil, force: false, stateful: nil, wait: true)
      state_change("freeze", timeout, force, stateful, wait)
    end

    # Unfreeze (resume) it. @macro state_change
    def unfreeze(timeout: nil, force: false, stateful: nil, wait: true)
      state_change("unfreeze", timeout, force, stateful, wait)
    end

    # The instance's files.
    # @return [Files]
    def files
      @files ||= Files.new(self)
    end

    private

    def state_change(name, timeout, force, stateful, wait)
      args = { "timeout" => Call.seconds(timeout, "timeout"), "force" => force ? true : false }
      args["stateful"] = stateful ? true : false unless stateful.nil?
      run_action(name, Call.c_string(Call.to_json_text(args, "arguments"), "arguments"), wait: wait)
      self
    end
  end

  # A background operation: wait for it, cancel it, read its attributes
  # (`status`, `err`, `metadata`; its `class` through `op["class"]`).
  class Operation < Object
    # Wait for the operation to end (LXD's `/wait`, no polling).
    # @param timeout [Integer, nil] seconds; nil: no limit
    # @raise [OperationFailed, Cancelled, Timeout]
    # @return [self]
    def wait(timeout: nil)
      t = timeout.nil? ? -1 : Call.seconds(timeout, "timeout")
      with_ptr { |o| Call.invoke(:lxd_operation_wait, o, t) }
      self
    end

    # Ask LXD to cancel the operation.
    # @return [self]
    def cancel
      with_ptr { |o| Call.invoke(:lxd_operation_cancel, o) }
      self
    end
  end
end
