# frozen_string_literal: true

module LXD
  class Kind
    # Whether the kind has exactly one object, made and kept by the server
    # (the Server, the Cluster; `singleton` in `lxd_kind_info`): top-level,
    # keyed by `""`, never listed. Its object comes from a method of the
    # {Client} of its name (`client.server`, `client.cluster`), not a
    # manager.
    def singleton?
      Native.singleton?(info)
    end
  end

  # A storage pool; its volumes are `pool.storage_volumes`.
  class StoragePool < Object
    # Create a custom volume from a volume backup tarball (one a volume
    # backup's `export` wrote), streaming the file
    # (`lxd_storage_volume_import`). The block, if given, sees progress as
    # `|done, total|` bytes; `break` out of it stops the upload, and then
    # the method returns nil.
    # @param local_path [String, Pathname]
    # @param name [String] the new volume's name (its key: `custom/NAME`)
    # @param wait [Boolean] true: return once the volume exists, loaded;
    #   false: once LXD accepted the upload ({Object#operation})
    # @return [StorageVolume, nil]
    # @raise [NotFound] no such local file; [OperationFailed] LXD could not
    #   restore it (e.g. the name is taken); [InvalidArgument] a name with `/`
    def import_volume(local_path, name:, wait: true, &progress)
      local_path = Call.path_arg(local_path, "local path")
      name = Call.c_string(name, "name")
      ptr = nil
      done = Call.transfer(progress) do |cb|
        ptr = with_ptr do |p|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_storage_volume_import, p, local_path, name, wait ? true : false, cb, nil, out)
          end
        end
      end
      done ? Object.wrap(ptr, @client) : nil
    end
  end

  # A storage volume (key `TYPE/NAME`, e.g. `custom/vol1`), under its pool:
  # `pool.storage_volumes`; its snapshots and backups are `vol.snapshots`
  # and `vol.backups`.
  class StorageVolume < Object
    # Copy the custom volume into a storage pool (`lxd_storage_volume_copy_to`,
    # as `lxc storage volume copy`), with its snapshots unless
    # `volume_only`: another pool of this server (LXD's local copy), or a
    # pool of another server (a pool object got through that server's
    # client).
    # @param pool [StoragePool] the pool the copy goes into
    # @param name [String, nil] the copy's name (default: this one's)
    # @param mode [Symbol, String, nil] between servers: `:pull` (the
    #   default), `:push` or `:relay` (this process carries the data; needs
    #   `wait`)
    # @param volume_only [Boolean, nil] without the snapshots
    # @param refresh [Boolean, nil] bring an existing copy up to date
    # @param wait [Boolean] true: the copy, loaded; false: at once (the
    #   target's operation is {Object#operation})
    # @return [StorageVolume] the copy, in `pool`
    # @raise [Conflict] the name is taken in the pool; [InvalidArgument] not
    #   a custom volume, bad options. On failure this volume is unchanged.
    def copy_to(pool, name: nil, mode: nil, volume_only: nil, refresh: nil, wait: true, **more)
      pool = StorageVolume.target_pool(pool)
      json = Call.options_json({ name: name, mode: mode&.to_s, volume_only: volume_only, refresh: refresh },
                               more, "copy options")
      ptr = with_ptr do |v|
        pool.with_ptr do |p|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_storage_volume_copy_to, v, p, json, wait ? true : false, out)
          end
        end
      end
      Object.wrap(ptr, pool.client)
    end

    # Move the custom volume into a storage pool
    # (`lxd_storage_volume_move_to`): on one server LXD moves it (`name:`
    # renames it); to another server it is copied as {#copy_to}, then this
    # one deleted (this object then names a deleted volume). It must not be
    # attached to an instance.
    # @return [StorageVolume] the moved volume, in `pool`
    def move_to(pool, name: nil, mode: nil, volume_only: nil, **more)
      pool = StorageVolume.target_pool(pool)
      json = Call.options_json({ name: name, mode: mode&.to_s, volume_only: volume_only }, more, "move options")
      ptr = with_ptr do |v|
        pool.with_ptr do |p|
          Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_storage_volume_move_to, v, p, json, out) }
        end
      end
      Object.wrap(ptr, pool.client)
    end

    # @!visibility private
    def self.target_pool(pool)
      return pool if pool.is_a?(StoragePool)

      raise InvalidArgument, "the target must be an LXD::StoragePool, not #{pool.class}"
    end
  end

  # Extra methods of the certificates manager: trust tokens.
  module CertificateManagerMethods
    # Make a one-time trust token for a new client (`lxc config trust add`
    # without a certificate; `lxd_certificate_token_create`). The new
    # client (HTTPS, a certificate of its own) passes `token["token"]` to
    # {Client#authenticate} and is trusted.
    # @param name [String] the new client's name
    # @param projects [Array<String>, nil] with `restricted: true`
    # @return [Hash] `id` (the pending operation), `token`, `client_name`,
    #   `fingerprint`, `addresses`, `expires_at`, `created_at`
    def create_token(name:, projects: nil, restricted: nil, **more)
      json = Call.options_json({ name: name, projects: projects, restricted: restricted }, more, "token options")
      text = @client.with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_certificate_token_create, c, json, out) }
      end
      Call.from_json_text(text)
    end

    # The pending trust tokens (made, not yet used, revoked or expired), as
    # {#create_token} returns them (`lxd_certificate_tokens`).
    # @return [Array<Hash>]
    def tokens
      text = @client.with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_certificate_tokens, c, out) }
      end
      Call.from_json_text(text)
    end

    # Revoke a pending token, by its `id` or its client's name
    # (`lxd_certificate_token_revoke`).
    # @raise [NotFound] no such pending token
    # @return [nil]
    def revoke_token(id_or_name)
      id_or_name = Call.c_string(id_or_name, "token")
      @client.with_ptr { |c| Call.invoke(:lxd_certificate_token_revoke, c, id_or_name) }
      nil
    end
  end

  class Client
    # The server's hardware (`GET /1.0/resources`: `cpu`, `memory`, `gpu`,
    # `network`, `storage`, `usb`, `pci`, `system`; `lxd_client_resources`).
    # @return [Hash]
    # @raise [ExtensionMissing] a server without `resources`
    def resources
      text = with_ptr { |c| Call.out_string { |out| Call.invoke(:lxd_client_resources, c, out) } }
      Call.from_json_text(text)
    end

    # The server's metrics (`GET /1.0/metrics`, OpenMetrics text, the
    # client's project's instances; `lxd_client_metrics`). LXD serves them
    # over HTTPS to a trusted client only.
    # @return [String]
    # @raise [Forbidden] an untrusted client (or the unix socket)
    def metrics
      len = FFI::MemoryPointer.new(:size_t)
      data = with_ptr do |c|
        Call.out_pointer(:lxd_bytes_free) { |out| Call.invoke(:lxd_client_metrics, c, out, len) }
      end
      Call.take_bytes(data, len).force_encoding(Encoding::UTF_8)
    end

    # @!visibility private
    # The one object of a singleton kind (`lxd_server_get`, `lxd_cluster_get`).
    def singleton(kind)
      kind = LXD.kind(kind)
      raise InvalidArgument, "#{kind.class_name} is not a singleton kind" unless kind.singleton?

      fn = kind.typed_function("get")
      ptr = with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) do |out|
          fn ? Call.invoke(fn, c, out) : Call.invoke(:lxd_get, c, kind.value, "", out)
        end
      end
      Object.wrap(ptr, self)
    end
  end
end
