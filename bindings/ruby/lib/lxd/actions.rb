# frozen_string_literal: true

module LXD
  class Object
    # Run action `name` of the object's kind (`lxd_obj_action`): one that
    # returns nothing, a document or a background operation. The kind's
    # actions are listed in {Kind#actions}; each also has a method of its
    # own (`inst.logs`, `snap.restore`), which is the usual way.
    #
    # @param name [Symbol, String] e.g. `:logs`
    # @param args [Hash, String, nil] the arguments (a Hash, or JSON text)
    # @param wait [Boolean] for an action that starts a background
    #   operation: true waits for it to end; false returns once LXD
    #   accepted it ({#operation} then gives it)
    # @return [Object] the result, parsed: nil, the document (a Hash or an
    #   Array), or the operation as a Hash (final when waited for)
    # @raise [InvalidArgument] no such action for the kind, missing or bad
    #   arguments, or an action that returns bytes or a file (see
    #   {#act_bytes}, {#act_to_file}); [ExtensionMissing] the server lacks
    #   the kind's or the action's API extension (nothing was sent)
    def act(name, args = nil, wait: true)
      name = Call.c_string(name.to_s, "action name")
      json = Call.action_args(args, {})
      text = with_ptr do |o|
        Call.out_string { |out| Call.invoke(:lxd_obj_action, o, name, json, wait ? true : false, out) }
      end
      Call.from_json_text(text)
    end

    # Run action `name` that returns bytes (`lxd_obj_action_bytes`): an
    # instance's `log`, `console_log`, `template`.
    # @return [String] the bytes (ASCII-8BIT)
    def act_bytes(name, args = nil)
      name = Call.c_string(name.to_s, "action name")
      fetch_bytes(:lxd_obj_action_bytes, name, Call.action_args(args, {}))
    end

    # Run action `name` that returns a file (`lxd_obj_action_to_file`),
    # streaming it to `local_path` (replaced if it exists; removed again if
    # the transfer fails): a backup's `export`. The block, if given, sees
    # progress as `|done, total|` bytes; `break` out of it (or an exception,
    # raised again afterwards) stops the transfer, and then the method
    # returns nil.
    # @return [self, nil]
    def act_to_file(name, args, local_path, &progress)
      name = Call.c_string(name.to_s, "action name")
      to_file(:lxd_obj_action_to_file, name, Call.action_args(args, {}), local_path, progress)
    end

    # Change part of the object on the server with LXD's PATCH
    # (`lxd_obj_patch`): only the fields given change; maps such as
    # `config` are merged key by key by LXD (a key set to `""` is removed).
    # Guarded by the ETag of the last sync. Local changes not yet saved stay
    # local (and dirty).
    # @param fields [Hash, String] a Hash, or JSON text
    # @param wait [Boolean] true: the object is synced afterwards
    # @raise [UnknownAttribute, ReadOnly] a field that cannot be set;
    #   [InvalidArgument] a kind without PATCH ({Kind#patchable?});
    #   [PreconditionFailed] changed on the server since the last sync
    # @return [self]
    def patch(fields, wait: true)
      json = Call.c_string(Call.json_arg(fields, "patch"), "patch")
      with_ptr { |o| Call.invoke(:lxd_obj_patch, o, json, wait ? true : false) }
      self
    end

    # The manager of a kind that lives under this object, e.g.
    # `inst.children(:instance_snapshot)`; the named methods
    # (`inst.snapshots`, `inst.backups`) are the usual way.
    # @return [Manager]
    # @raise [InvalidArgument] a kind that does not live under this one
    def children(kind)
      kind = LXD.kind(kind)
      unless own_kind_values.include?(kind.info["parent"])
        raise InvalidArgument, "#{kind.class_name} objects do not live under #{@kind_info.class_name} objects"
      end

      @children_lock.synchronize { @children[kind.name] ||= Manager.new(self, kind) }
    end

    # Fetch the child of `kind` named `key` (`lxd_child_get`).
    # @return [LXD::Object]
    def child_get(kind, key)
      kind = LXD.kind(kind)
      key = Call.c_string(key, "key")
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_child_get, o, kind.value, key, out) }
      end
      Object.wrap(ptr, @client)
    end

    # Whether a child of `kind` named `key` exists (`lxd_child_exists`).
    # @return [Boolean]
    def child_exists?(kind, key)
      kind = LXD.kind(kind)
      key = Call.c_string(key, "key")
      with_ptr { |o| Call.out_bool { |out| Call.invoke(:lxd_child_exists, o, kind.value, key, out) } }
    end

    # All children of `kind` (`lxd_child_all`).
    # @return [Array<LXD::Object>]
    def child_all(kind)
      kind = LXD.kind(kind)
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_list_free) { |out| Call.invoke(:lxd_child_all, o, kind.value, out) }
      end
      Object.wrap_list(ptr, @client)
    end

    # Create a child of `kind` from its definition (`lxd_child_create`).
    # @return [LXD::Object]
    def child_create(kind, definition, wait: true)
      kind = LXD.kind(kind)
      json = Call.c_string(Call.json_arg(definition, "definition"), "definition")
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_obj_free) do |out|
          Call.invoke(:lxd_child_create, o, kind.value, json, wait ? true : false, out)
        end
      end
      Object.wrap(ptr, @client)
    end

    private

    # The kind values a child kind's `parent` may name for this object: its
    # own, and the one it is a variant of.
    def own_kind_values
      [@kind_info.value, @kind_info.info["variant_of"]].compact
    end

    # Run an action through liblxd's typed function for it when there is
    # one (`lxd_instance_logs`), else through `lxd_obj_action`; what the
    # generated action methods and the conveniences call. `json`: the
    # arguments as JSON text, or nil.
    def run_action(name, json, wait: true)
      fn = @kind_info.typed_action_function(name)
      text = with_ptr do |o|
        Call.out_string do |out|
          if fn
            Call.invoke(fn, o, json, wait ? true : false, out)
          else
            Call.invoke(:lxd_obj_action, o, name.to_s, json, wait ? true : false, out)
          end
        end
      end
      Call.from_json_text(text)
    end

    # As {#run_action}, for an action that returns bytes.
    def run_action_bytes(name, json)
      fn = @kind_info.typed_action_function(name)
      fn ? fetch_bytes(fn, nil, json) : fetch_bytes(:lxd_obj_action_bytes, name.to_s, json)
    end

    # As {#run_action}, for an action that returns a file.
    def run_action_to_file(name, json, local_path, progress)
      fn = @kind_info.typed_action_function(name)
      fn ? to_file(fn, nil, json, local_path, progress) : to_file(:lxd_obj_action_to_file, name.to_s, json, local_path, progress)
    end

    def fetch_bytes(fn, name, json)
      len = FFI::MemoryPointer.new(:size_t)
      data = with_ptr do |o|
        Call.out_pointer(:lxd_bytes_free) do |out|
          Call.invoke(fn, o, *[name].compact, json, out, len)
        end
      end
      Call.take_bytes(data, len)
    end

    def to_file(fn, name, json, local_path, progress)
      local_path = Call.path_arg(local_path, "local path")
      done = Call.transfer(progress) do |cb|
        with_ptr { |o| Call.invoke(fn, o, *[name].compact, json, local_path, cb, nil) }
      end
      done ? self : nil
    end
  end

  # The conveniences of the instance actions that take arguments: the
  # others (`state`, `logs`, `console_log`, `clear_console_log`,
  # `metadata`, `set_metadata(doc)`, `patch_metadata(fields)`,
  # `templates`) are made from the kind table as they are.
  class Instance
    # One log file's content (the action `log`).
    # @param name [String] a file name, e.g. "lxc.log", or one of the paths
    #   {#logs} lists (its last part is the name)
    # @return [String] the bytes (ASCII-8BIT)
    def log(name)
      run_action_bytes("log", Call.action_args({ "name" => log_name(name) }, {}))
    end

    # Delete one log file (the action `delete_log`; LXD refuses the
    # current lxc.log and console.log).
    # @return [self]
    def delete_log(name, wait: true)
      run_action("delete_log", Call.action_args({ "name" => log_name(name) }, {}), wait: wait)
      self
    end

    # One template file's content (the action `template`).
    # @param path [String] a template file name, as {#templates} lists it
    # @return [String] the bytes (ASCII-8BIT)
    def template(path)
      run_action_bytes("template", Call.action_args({ "path" => Call.c_string(path, "path") }, {}))
    end

    # Create or replace a template file (the action `put_template`).
    # @param path [String] its name, e.g. "hostname.tpl"
    # @param content [String] its text (UTF-8)
    # @return [self]
    def put_template(path, content, wait: true)
      args = { "path" => Call.c_string(path, "path"), "content" => Call.c_string(content, "content") }
      run_action("put_template", Call.action_args(args, {}), wait: wait)
      self
    end

    # Delete a template file (the action `delete_template`).
    # @return [self]
    def delete_template(path, wait: true)
      run_action("delete_template", Call.action_args({ "path" => Call.c_string(path, "path") }, {}), wait: wait)
      self
    end

    # Attach to the running instance's console (as `lxc console`): the
    # session class of {#execute_interactive}, on the console's terminal.
    # `read` gives what the instance writes to its console, `write` types
    # into it, `resize` resizes it; `signal` raises {InvalidArgument}
    # (there is no command), and `wait` returns 0 once LXD ends the
    # console (the instance stopped). `close` detaches; the instance goes
    # on running.
    # @param width [Integer, nil] columns (80 by default)
    # @param height [Integer, nil] rows (24 by default)
    # @return [ExecSession]
    # @raise [APIError] the instance is not running, or another client
    #   holds its console
    def console(width: nil, height: nil)
      opts = { "width" => width, "height" => height }.compact
      opts.each do |k, v|
        raise InvalidArgument, "#{k} must be a positive Integer" unless v.is_a?(Integer) && v.positive? && v < 2**32
      end
      json = opts.empty? ? nil : Call.c_string(Call.to_json_text(opts, "console options"), "console options")
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_exec_session_free) { |out| Call.invoke(:lxd_instance_console, o, json, out) }
      end
      ExecSession.new(ptr)
    end

    private

    def log_name(name)
      name = Call.c_string(name, "log name")
      name.include?("/") ? name.split("/").last.to_s : name
    end
  end

  class Client
    # Run action `name` on the whole collection of a top-level kind
    # (`lxd_collection_action`): instances' `set_state_all`
    # (`{state: {action: "stop", timeout: 30, force: true}}`: every
    # instance of the client's project at once). Each such action is also a
    # method of the kind's manager (`client.instances.set_state_all(...)`).
    # @return [Object] the result, parsed, as {Object#act} gives it
    def collection_action(kind, name, args = nil, wait: true)
      kind = LXD.kind(kind)
      name = Call.c_string(name.to_s, "action name")
      json = Call.action_args(args, {})
      text = with_ptr do |c|
        Call.out_string do |out|
          Call.invoke(:lxd_collection_action, c, kind.value, name, json, wait ? true : false, out)
        end
      end
      Call.from_json_text(text)
    end

    # @!visibility private
    # A collection action through liblxd's typed function for it when there
    # is one (`lxd_instance_set_state_all`), else {#collection_action}.
    def run_collection_action(kind, name, json, wait:)
      fn = kind.typed_action_function(name)
      return collection_action(kind, name, json, wait: wait) unless fn

      text = with_ptr do |c|
        Call.out_string { |out| Call.invoke(fn, c, json, wait ? true : false, out) }
      end
      Call.from_json_text(text)
    end

    # Create an instance from a backup tarball (one a backup's `export`
    # wrote, or `lxc export`), streaming the file (`lxd_instance_import`).
    # The block, if given, sees progress as `|done, total|` bytes; `break`
    # out of it stops the upload, and then the method returns nil.
    # @param local_path [String]
    # @param name [String, nil] the new instance's name (default: the
    #   backup's)
    # @param pool [String, nil] the storage pool (default: the backup's)
    # @param wait [Boolean] true: return once the instance exists, loaded;
    #   false: once LXD accepted the upload ({Object#operation})
    # @return [Instance, nil]
    # @raise [NotFound] no such local file; [OperationFailed] LXD could not
    #   restore it (e.g. the name is taken)
    def import_instance(local_path, name: nil, pool: nil, wait: true, &progress)
      local_path = Call.path_arg(local_path, "local path")
      opts = { "name" => name, "pool" => pool }.compact
      opts.each { |k, v| Call.c_string(v, k) }
      json = opts.empty? ? nil : Call.c_string(Call.to_json_text(opts, "import options"), "import options")
      ptr = nil
      done = Call.transfer(progress) do |cb|
        ptr = with_ptr do |c|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_instance_import, c, local_path, json, wait ? true : false, cb, nil, out)
          end
        end
      end
      done ? Object.wrap(ptr, self) : nil
    end
  end
end
