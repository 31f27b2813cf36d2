# frozen_string_literal: true

module LXD
  # @!visibility private
  module Call
    module_function

    # Options for liblxd as JSON text, or nil for none: the keywords a
    # method names (nil: not given) and any others, passed on as they are
    # (liblxd refuses an option it does not know with {InvalidArgument}).
    def options_json(known, more, what)
      opts = known.compact.transform_keys(&:to_s)
      more.each { |k, v| opts[k.to_s] = v }
      opts.empty? ? nil : c_string(to_json_text(opts, what), what)
    end

    # Aliases as liblxd takes them: names, or Hashes `{name:, description:}`;
    # one alone may be given as it is.
    def aliases(value)
      value.is_a?(String) || value.is_a?(Symbol) || value.is_a?(Hash) ? [value] : value
    end

    # The client another server is reached through.
    def target_client(target)
      return target if target.is_a?(Client)

      raise InvalidArgument, "the target must be an LXD::Client, not #{target.class}"
    end
  end

  # Extra methods of the images manager.
  module ImageManagerMethods
    # Upload an image from local files, streamed (`lxd_image_upload`): a
    # unified tarball, or a split image's metadata tarball with its root
    # filesystem (`rootfs:`, squashfs or tarball). The block, if given,
    # sees progress as `|done, total|` bytes of the files; `break` out of
    # it (or an exception, raised again afterwards) stops the upload, and
    # then the method returns nil.
    # @param local_path [String, Pathname] the tarball, or the metadata tarball
    # @param rootfs [String, Pathname, nil] the root filesystem of a split image
    # @param public [Boolean, nil]
    # @param auto_update [Boolean, nil] (needs `wait`)
    # @param aliases [Array<String, Hash>, String, nil] names, or
    #   `{name:, description:}` (needs `wait`)
    # @param properties [Hash, nil] of Strings
    # @param filename [String, nil] the name LXD records
    # @param wait [Boolean] true: return once LXD stored the image, loaded;
    #   false: once it accepted the upload (the image learns its
    #   fingerprint when {Object#operation} ends)
    # @return [Image, nil]
    # @raise [Conflict] the server has this image already; [NotFound] no
    #   such local file; [OperationFailed] LXD refused the files
    def upload(local_path, rootfs: nil, public: nil, auto_update: nil, aliases: nil, properties: nil,
               filename: nil, wait: true, **more, &progress)
      local_path = Call.path_arg(local_path, "local path")
      rootfs = rootfs.nil? ? nil : Call.path_arg(rootfs, "rootfs path")
      json = Call.options_json({ public: public, auto_update: auto_update, aliases: Call.aliases(aliases),
                                 properties: properties, filename: filename }, more, "image options")
      ptr = nil
      done = Call.transfer(progress) do |cb|
        ptr = @client.with_ptr do |c|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_image_upload, c, local_path, rootfs, json, wait ? true : false, cb, nil, out)
          end
        end
      end
      done ? Object.wrap(ptr, @client) : nil
    end

    # Bring an image from a remote image server onto this server
    # (`lxd_image_pull`, as `lxc image copy images:alpine/3.19 local:`):
    # the LXD server downloads it itself.
    # @param source [Hash, String] `server:` (`https://…`), `protocol:`
    #   (`"simplestreams"`, the default, or `"lxd"`), one of `alias:` and
    #   `fingerprint:`, and optionally `certificate:` (the server's, PEM),
    #   `secret:` (from {Image#secret}), `image_type:`; or that as JSON text
    # @param aliases [Array<String, Hash>, String, nil] made for the image here
    # @param public [Boolean, nil]
    # @param auto_update [Boolean, nil] LXD then refreshes it from the server
    # @param wait [Boolean]
    # @return [Image]
    # @raise [InvalidArgument] a bad source; [OperationFailed] the server
    #   could not fetch it (the message says why)
    def pull(source, aliases: nil, public: nil, auto_update: nil, wait: true, **more)
      src = Call.c_string(Call.json_arg(source, "image source"), "image source")
      json = Call.options_json({ aliases: Call.aliases(aliases), public: public, auto_update: auto_update },
                               more, "image options")
      ptr = @client.with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) do |out|
          Call.invoke(:lxd_image_pull, c, src, json, wait ? true : false, out)
        end
      end
      Object.wrap(ptr, @client)
    end
  end

  # An image: its attributes and lifecycle, and the images that move
  # (export to files, copy to another server, a secret for another server).
  class Image < Object
    # Export the image into an existing local folder, streamed
    # (`lxd_image_export`): one file for a unified image, two for a split
    # one (metadata first), named as LXD names them. Files of those names
    # are replaced; on failure the files written so far are removed. The
    # block, if given, sees progress as `|done, total|` bytes (total 0 when
    # LXD sends no length); `break` out of it stops the export, and then the
    # method returns nil.
    # @param folder [String, Pathname]
    # @return [Array<String>, nil] the paths written, in order
    # @raise [NotFound] no such image or folder
    def export(folder, &progress)
      folder = Call.path_arg(folder, "folder")
      text = nil
      done = Call.transfer(progress) do |cb|
        text = with_ptr do |o|
          Call.out_string { |out| Call.invoke(:lxd_image_export, o, folder, cb, nil, out) }
        end
      end
      done ? Call.from_json_text(text) : nil
    end

    # Copy the image to the server of `target` (`lxd_image_copy_to`, as
    # `lxc image copy`): the target pulls it from this image's server,
    # which must listen on a network address the target reaches; a private
    # image goes through a one-time secret.
    # @param target [Client]
    # @param copy_aliases [Boolean, nil] the image's aliases too (default true)
    # @param aliases [Array<String, Hash>, String, nil] more aliases
    # @param public [Boolean, nil] default false: the copy is private
    # @param auto_update [Boolean, nil]
    # @param wait [Boolean] true: the copy, loaded; false: at once (the
    #   target's operation is {Object#operation})
    # @return [Image] the copy, an image of `target` (also when the target
    #   had it already)
    # @raise [InvalidArgument] this server listens on no network address;
    #   [OperationFailed] the target could not fetch it
    def copy_to(target, copy_aliases: nil, aliases: nil, public: nil, auto_update: nil, wait: true, **more)
      target = Call.target_client(target)
      json = Call.options_json({ copy_aliases: copy_aliases, aliases: Call.aliases(aliases), public: public,
                                 auto_update: auto_update }, more, "copy options")
      ptr = with_ptr do |o|
        target.with_ptr do |t|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_image_copy_to, o, t, json, wait ? true : false, out)
          end
        end
      end
      Object.wrap(ptr, target)
    end

    # A one-time secret that lets another server copy this image even when
    # it is private (the action `secret`). Its operation ends when the
    # secret is used, so by default this does not wait for it.
    # @return [Hash] the operation: `op["metadata"]["secret"]`, `op["id"]`
    def secret(args = nil, wait: false, **kw)
      run_action("secret", Call.action_args(args, kw), wait: wait)
    end
  end

  # Publishing as an image, for instances and their snapshots.
  module Publishable
    # Publish this instance or snapshot as a new image on the same server
    # and project (`lxd_image_publish`, as `lxc publish`). A running
    # instance must be stopped first.
    # @param aliases [Array<String, Hash>, String, nil]
    # @param public [Boolean, nil]
    # @param auto_update [Boolean, nil]
    # @param properties [Hash, nil] of Strings
    # @param compression_algorithm [String, nil] e.g. "gzip", "none"
    # @param expires_at [String, nil]
    # @param filename [String, nil]
    # @param profiles [Array<String>, nil]
    # @param wait [Boolean] true: the image, loaded; false: at once (it
    #   learns its fingerprint when {Object#operation} ends)
    # @return [Image]
    # @raise [OperationFailed] e.g. the instance runs or an alias is taken
    def publish(aliases: nil, public: nil, auto_update: nil, properties: nil, compression_algorithm: nil,
                expires_at: nil, filename: nil, profiles: nil, wait: true, **more)
      json = Call.options_json({ aliases: Call.aliases(aliases), public: public, auto_update: auto_update,
                                 properties: properties, compression_algorithm: compression_algorithm,
                                 expires_at: expires_at, filename: filename, profiles: profiles },
                               more, "publish options")
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_image_publish, o, json, wait ? true : false, out) }
      end
      Object.wrap(ptr, @client)
    end
  end

  class Instance
    include Publishable

    # Copy the instance to the server of `target` (`lxd_instance_copy_to`,
    # as `lxc copy`), with its snapshots unless `instance_only`. A
    # `target` on the same server makes LXD's local copy.
    # @param target [Client]
    # @param name [String, nil] the copy's name (default: this one's)
    # @param mode [Symbol, String, nil] `:pull` (the default: the target
    #   connects to this server), `:push` (this server connects to the
    #   target) or `:relay` (this process carries the data; needs `wait`)
    # @param instance_only [Boolean, nil] without the snapshots
    # @param refresh [Boolean, nil] bring an existing copy up to date
    # @param config [Hash, nil] keys set on the copy
    # @param profiles [Array<String>, nil] the copy's (default: this one's)
    # @param pool [String, nil] the target's pool for the root disk
    # @param wait [Boolean] true: the copy, loaded; false: at once (the
    #   target's operation is {Object#operation})
    # @return [Instance] the copy, an instance of `target`
    # @raise [Conflict] the name is taken on the target; [InvalidArgument]
    #   bad options, relay without wait; [OperationFailed] the target
    #   refused. On failure this instance is unchanged.
    def copy_to(target, name: nil, mode: nil, instance_only: nil, refresh: nil, config: nil, profiles: nil,
                pool: nil, wait: true, **more)
      target = Call.target_client(target)
      json = Call.options_json({ name: name, mode: mode&.to_s, instance_only: instance_only, refresh: refresh,
                                 config: config, profiles: profiles, pool: pool }, more, "copy options")
      ptr = with_ptr do |o|
        target.with_ptr do |t|
          Call.out_pointer(:lxd_obj_free) do |out|
            Call.invoke(:lxd_instance_copy_to, o, t, json, wait ? true : false, out)
          end
        end
      end
      Object.wrap(ptr, target)
    end

    # Move the stopped instance to the server of `target`
    # (`lxd_instance_move_to`, as `lxc move`): {#copy_to}, waited for, then
    # this instance is deleted (this object then names a deleted instance).
    # Options as {#copy_to} (`name:` renames it on the way).
    # @return [Instance] the moved instance, on `target`
    # @raise [InvalidArgument] the instance runs, bad options; the copy's
    #   errors (the source untouched)
    def move_to(target, name: nil, mode: nil, instance_only: nil, config: nil, profiles: nil, pool: nil, **more)
      target = Call.target_client(target)
      json = Call.options_json({ name: name, mode: mode&.to_s, instance_only: instance_only, config: config,
                                 profiles: profiles, pool: pool }, more, "move options")
      ptr = with_ptr do |o|
        target.with_ptr do |t|
          Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_instance_move_to, o, t, json, out) }
        end
      end
      Object.wrap(ptr, target)
    end
  end

  # A snapshot of an instance (its manager: `inst.snapshots`); it can be
  # published as an image.
  class InstanceSnapshot < Object
    include Publishable
  end
end
