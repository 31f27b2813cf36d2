# frozen_string_literal: true

require "ffi"

module LXD
  # The raw C ABI of liblxd (include/lxd.h), attached with the ffi gem.
  #
  # Everything here is private plumbing: use {LXD::Client} and friends.
  # Calls that may wait on the network (or on a callback that runs Ruby) are
  # attached with `blocking: true`, so other Ruby threads run meanwhile.
  module Native
    extend FFI::Library

    # The file to load: `$LIBLXD_PATH` if set, else `liblxd.so.0` in the
    # `libdir` that pkg-config reports for `liblxd`, else `liblxd.so.0`
    # through the dynamic loader's search path.
    #
    # @return [String]
    def self.library_path
      explicit = ENV["LIBLXD_PATH"]
      return explicit if explicit && !explicit.empty?

      libdir = pkg_config_libdir
      if libdir
        candidate = File.join(libdir, "liblxd.so.0")
        return candidate if File.exist?(candidate)
      end
      "liblxd.so.0"
    end

    # `pkg-config --variable=libdir liblxd`, or nil when pkg-config or the
    # package is missing.
    def self.pkg_config_libdir
      out = IO.popen(%w[pkg-config --variable=libdir liblxd], err: File::NULL, &:read)
      return nil unless $?.success?

      dir = out.strip
      dir.empty? ? nil : dir
    rescue SystemCallError
      nil
    end

    ffi_lib library_path

    # The status codes of include/lxd.h (fixed values, never renumbered).
    STATUS = {
      ok: 0, invalid_argument: 1, connection: 2, tls: 3, timeout: 4,
      not_found: 5, conflict: 6, precondition_failed: 7, forbidden: 8,
      api: 9, operation_failed: 10, unknown_attribute: 11, read_only: 12,
      extension_missing: 13, protocol: 14, cancelled: 15, internal: 16,
      unsafe_path: 17, response_too_large: 18, operation_lost: 19
    }.freeze

    # Callback types.
    callback :output_cb, %i[int pointer size_t pointer], :int
    callback :progress_cb, %i[uint64 uint64 pointer], :int
    callback :event_cb, %i[int string pointer], :int
    callback :warning_cb, %i[string string string pointer], :void

    # [name, args, return, blocking]
    FUNCTIONS = [
      # -- misc, never blocking
      [:lxd_status_name, [:int32], :string, false],
      [:lxd_last_error_message, [], :string, false],
      [:lxd_last_error_http_status, [], :int32, false],
      [:lxd_version, [], :string, false],
      [:lxd_string_free, [:pointer], :void, false],
      [:lxd_bytes_free, [:pointer], :void, false],
      # -- client
      [:lxd_client_new, %i[string string pointer], :int32, true],
      [:lxd_client_derive, %i[pointer string pointer], :int32, false],
      [:lxd_client_endpoint, %i[pointer pointer], :int32, false],
      [:lxd_client_free, [:pointer], :void, true],
      [:lxd_client_host_info, %i[pointer pointer], :int32, true],
      [:lxd_client_has_api_extension, %i[pointer string], :bool, false],
      [:lxd_client_trusted, [:pointer], :bool, false],
      [:lxd_client_authenticate, %i[pointer string], :int32, true],
      [:lxd_api, %i[pointer string string string pointer], :int32, true],
      # -- generic managers
      [:lxd_get, %i[pointer int32 string pointer], :int32, true],
      [:lxd_exists, %i[pointer int32 string pointer], :int32, true],
      [:lxd_all, %i[pointer int32 pointer], :int32, true],
      [:lxd_create, %i[pointer int32 string bool pointer], :int32, true],
      [:lxd_image_get_by_alias, %i[pointer string pointer], :int32, true],
      # -- generic children (kinds with a parent kind)
      [:lxd_child_get, %i[pointer int32 string pointer], :int32, true],
      [:lxd_child_exists, %i[pointer int32 string pointer], :int32, true],
      [:lxd_child_all, %i[pointer int32 pointer], :int32, true],
      [:lxd_child_create, %i[pointer int32 string bool pointer], :int32, true],
      # -- lists
      [:lxd_list_len, [:pointer], :size_t, false],
      [:lxd_list_get, %i[pointer size_t], :pointer, false],
      [:lxd_list_free, [:pointer], :void, false],
      # -- objects
      [:lxd_obj_free, [:pointer], :void, false],
      [:lxd_obj_kind, [:pointer], :int32, false],
      [:lxd_kind_info, %i[int32 pointer], :int32, false],
      [:lxd_obj_key, %i[pointer pointer], :int32, false],
      [:lxd_obj_get, %i[pointer string pointer], :int32, true],
      [:lxd_obj_set, %i[pointer string string], :int32, false],
      [:lxd_obj_dirty, [:pointer], :bool, false],
      [:lxd_obj_sync, [:pointer], :int32, true],
      [:lxd_obj_rollback, [:pointer], :int32, true],
      [:lxd_obj_save, %i[pointer bool], :int32, true],
      [:lxd_obj_delete, %i[pointer bool], :int32, true],
      [:lxd_obj_rename, %i[pointer string bool], :int32, true],
      [:lxd_obj_to_json, %i[pointer pointer], :int32, true],
      [:lxd_obj_operation, %i[pointer pointer], :int32, false],
      [:lxd_obj_patch, %i[pointer string bool], :int32, true],
      # -- actions by name
      [:lxd_obj_action, %i[pointer string string bool pointer], :int32, true],
      [:lxd_obj_action_bytes, %i[pointer string string pointer pointer], :int32, true],
      [:lxd_obj_action_to_file, %i[pointer string string string progress_cb pointer], :int32, true],
      [:lxd_collection_action, %i[pointer int32 string string bool pointer], :int32, true],
      # -- instances (the state changes, state and rename: typed exports of
      # their own signature, kept for the ABI; the binding runs these actions
      # through lxd_obj_action)
      [:lxd_instance_start, %i[pointer int32 bool bool], :int32, true],
      [:lxd_instance_stop, %i[pointer int32 bool bool], :int32, true],
      [:lxd_instance_restart, %i[pointer int32 bool bool], :int32, true],
      [:lxd_instance_freeze, %i[pointer int32 bool bool], :int32, true],
      [:lxd_instance_unfreeze, %i[pointer int32 bool bool], :int32, true],
      [:lxd_instance_state, %i[pointer pointer], :int32, true],
      [:lxd_instance_rename, %i[pointer string bool], :int32, true],
      [:lxd_instance_import,
       %i[pointer string string bool progress_cb pointer pointer], :int32, true],
      [:lxd_instance_console, %i[pointer string pointer], :int32, true],
      # -- operations
      [:lxd_operation_wait, %i[pointer int32], :int32, true],
      [:lxd_operation_cancel, [:pointer], :int32, true],
      # -- exec
      [:lxd_instance_exec, %i[pointer string string pointer size_t pointer], :int32, true],
      [:lxd_instance_exec_stream,
       %i[pointer string string pointer size_t output_cb pointer pointer], :int32, true],
      [:lxd_exec_result_exit_code, [:pointer], :int, false],
      [:lxd_exec_result_stdout, %i[pointer pointer], :pointer, false],
      [:lxd_exec_result_stderr, %i[pointer pointer], :pointer, false],
      [:lxd_exec_result_free, [:pointer], :void, false],
      [:lxd_instance_exec_interactive, %i[pointer string string pointer], :int32, true],
      [:lxd_exec_session_write, %i[pointer pointer size_t], :int32, true],
      [:lxd_exec_session_read, %i[pointer pointer size_t int pointer], :int32, true],
      [:lxd_exec_session_resize, %i[pointer uint32 uint32], :int32, true],
      [:lxd_exec_session_signal, %i[pointer int], :int32, true],
      [:lxd_exec_session_wait, %i[pointer int pointer], :int32, true],
      [:lxd_exec_session_free, [:pointer], :void, true],
      # -- files
      [:lxd_instance_file_put, %i[pointer string pointer size_t string], :int32, true],
      [:lxd_instance_file_get, %i[pointer string pointer pointer], :int32, true],
      [:lxd_instance_file_delete, %i[pointer string], :int32, true],
      [:lxd_instance_file_mkdir, %i[pointer string string], :int32, true],
      [:lxd_instance_file_push,
       %i[pointer string string string progress_cb pointer], :int32, true],
      [:lxd_instance_file_pull, %i[pointer string string progress_cb pointer], :int32, true],
      [:lxd_instance_file_pull_ext,
       %i[pointer string string string progress_cb pointer], :int32, true],
      # -- images that move, instances that move
      [:lxd_image_upload,
       %i[pointer string string string bool progress_cb pointer pointer], :int32, true],
      [:lxd_image_export, %i[pointer string progress_cb pointer pointer], :int32, true],
      [:lxd_image_publish, %i[pointer string bool pointer], :int32, true],
      [:lxd_image_copy_to, %i[pointer pointer string bool pointer], :int32, true],
      [:lxd_image_pull, %i[pointer string string bool pointer], :int32, true],
      [:lxd_instance_copy_to, %i[pointer pointer string bool pointer], :int32, true],
      [:lxd_instance_move_to, %i[pointer pointer string pointer], :int32, true],
      # -- storage volumes that move
      [:lxd_storage_volume_import,
       %i[pointer string string bool progress_cb pointer pointer], :int32, true],
      [:lxd_storage_volume_copy_to, %i[pointer pointer string bool pointer], :int32, true],
      [:lxd_storage_volume_move_to, %i[pointer pointer string pointer], :int32, true],
      # -- trust and cluster join tokens, the server's hardware and metrics
      [:lxd_certificate_token_create, %i[pointer string pointer], :int32, true],
      [:lxd_certificate_tokens, %i[pointer pointer], :int32, true],
      [:lxd_certificate_token_revoke, %i[pointer string], :int32, true],
      [:lxd_cluster_join_token_create, %i[pointer string pointer], :int32, true],
      [:lxd_cluster_join_tokens, %i[pointer pointer], :int32, true],
      [:lxd_cluster_join_token_revoke, %i[pointer string], :int32, true],
      [:lxd_client_resources, %i[pointer pointer], :int32, true],
      [:lxd_client_metrics, %i[pointer pointer pointer], :int32, true],
      # -- events
      [:lxd_events_open, %i[pointer string pointer], :int32, true],
      [:lxd_events_open_ext, %i[pointer string pointer], :int32, true],
      [:lxd_events_next, %i[pointer int pointer], :int32, true],
      [:lxd_events_free, [:pointer], :void, true],
      [:lxd_events_listen, %i[pointer string event_cb pointer pointer], :int32, true],
      [:lxd_events_listener_free, [:pointer], :void, true],
      # -- warnings
      [:lxd_set_warning_callback, %i[warning_cb pointer], :void, false],
      [:lxd_set_warning_mode, [:int32], :int32, false]
    ].freeze

    FUNCTIONS.each do |name, args, ret, blocking|
      attach_function name, args, ret, blocking: blocking
    end

    # The typed functions that liblxd generates from its kind table, as
    # attached by {attach_kind}: name => [:manager | :action, action name or nil].
    TYPED = {}

    # Typed functions the kind table implies that the library lacks
    # (attach_kind skips them; the suite checks this stays empty).
    MISSING_TYPED = []

    # Attach the typed functions liblxd generates for one kind from its
    # table (build.rs): `lxd_<c_name>_get`, `_exists`, `_all` and, when
    # creatable, `_create` (their first argument is the client for a
    # top-level kind, the parent object for a child kind: a pointer
    # either way); and for a kind that is not a variant of another, one
    # `lxd_<c_name>_<action>` per action, of the signature of the entry
    # point for what it returns. Functions attached above by hand (the
    # typed instance actions of their own signature) are left as they are.
    # A singleton kind (the Server, the Cluster: one object, no key) has
    # `lxd_<c_name>_get(client, &out)` instead of the four, and its actions
    # as any other kind (`lxd_cluster_join(obj, args, wait, &result)`).
    # @param info [Hash] the kind's `lxd_kind_info`
    def self.attach_kind(info)
      c_name = info["c_name"]
      if singleton?(info)
        attach_typed(:"lxd_#{c_name}_get", %i[pointer pointer], :singleton, nil)
      else
        verbs = {
          "get" => [%i[pointer string pointer], :manager],
          "exists" => [%i[pointer string pointer], :manager],
          "all" => [%i[pointer pointer], :manager]
        }
        verbs["create"] = [%i[pointer string bool pointer], :manager] if info["creatable"]
        verbs.each { |verb, (args, role)| attach_typed(:"lxd_#{c_name}_#{verb}", args, role, nil) }
      end
      return unless info["variant_of"].nil?

      info["actions"].each do |action|
        fn = :"lxd_#{c_name}_#{action['name']}"
        next if FUNCTIONS.any? { |f| f[0] == fn }

        args = if action["on"] == "collection" then %i[pointer string bool pointer]
               elsif action["returns"] == "bytes" then %i[pointer string pointer pointer]
               elsif action["returns"] == "file" then %i[pointer string string progress_cb pointer]
               else %i[pointer string bool pointer]
               end
        attach_typed(fn, args, :action, action["name"])
      end
    end

    # Whether a kind's `lxd_kind_info` describes a singleton (its
    # `singleton` field: the Server, the Cluster), fetched with the key
    # `""` and never listed.
    def self.singleton?(info)
      info["singleton"] == true
    end

    # @!visibility private
    def self.attach_typed(fn, args, role, action)
      return if TYPED.key?(fn)

      attach_function fn, args, :int32, blocking: true
      TYPED[fn] = [role, action].freeze
    rescue FFI::NotFoundError
      MISSING_TYPED << fn
    end
  end
end
