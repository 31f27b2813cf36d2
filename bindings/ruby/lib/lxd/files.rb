# frozen_string_literal: true

module LXD
  # The files of an instance, from {Instance#files} (like pylxd's
  # `instance.files`). Paths in the instance are absolute.
  class Files
    # @!visibility private
    def initialize(instance)
      @instance = instance
    end

    # Write `data` (bytes) to `path`, creating or replacing the file.
    # @param mode [Integer, String, nil] e.g. 0o644 or "0644"
    # @param uid [Integer, nil]
    # @param gid [Integer, nil]
    # @param append [Boolean] add to the end of an existing file
    # @raise [NotFound] the parent folder is missing (or, with `append`, the file)
    # @return [Integer] the number of bytes written
    def put(path, data, mode: nil, uid: nil, gid: nil, append: false)
      path = Call.c_string(path, "path")
      data = Call.bytes(data, "data")
      opts = options(mode: mode, uid: uid, gid: gid, append: append ? true : nil)
      buf = Call.buffer(data)
      @instance.with_ptr do |o|
        Call.invoke(:lxd_instance_file_put, o, path, buf, data.bytesize, opts)
      end
      data.bytesize
    end

    # Read file `path` (a symlink is followed).
    # @return [String] its bytes (ASCII-8BIT)
    # @raise [NotFound]; [InvalidArgument] for a folder
    def get(path)
      path = Call.c_string(path, "path")
      len = FFI::MemoryPointer.new(:size_t)
      data = @instance.with_ptr do |o|
        Call.out_pointer(:lxd_bytes_free) { |out| Call.invoke(:lxd_instance_file_get, o, path, out, len) }
      end
      Call.take_bytes(data, len)
    end

    # Remove a file or an empty folder.
    # @return [nil]
    def delete(path)
      path = Call.c_string(path, "path")
      @instance.with_ptr { |o| Call.invoke(:lxd_instance_file_delete, o, path) }
      nil
    end

    # Create a folder (an existing one is not an error).
    # @param parents [Boolean] create missing parents too (`mkdir -p`)
    # @raise [Conflict] a file is in the way; [NotFound] parent missing
    # @return [nil]
    def mkdir(path, mode: nil, uid: nil, gid: nil, parents: false)
      path = Call.c_string(path, "path")
      opts = options(mode: mode, uid: uid, gid: gid, parents: parents ? true : nil)
      @instance.with_ptr { |o| Call.invoke(:lxd_instance_file_mkdir, o, path, opts) }
      nil
    end

    # Copy a local file or folder tree to `remote_path` (made at that path),
    # streaming from disk. The block, if given, sees progress as
    # `|done, total|` bytes; `break` out of it (or an exception, re-raised
    # afterwards) stops the transfer, and then push returns nil.
    # @return [self, nil]
    def push(local_path, remote_path, mode: nil, uid: nil, gid: nil, &progress)
      local_path = Call.c_string(local_path, "local path")
      remote_path = Call.c_string(remote_path, "remote path")
      opts = options(mode: mode, uid: uid, gid: gid)
      transfer(progress) do |cb|
        @instance.with_ptr do |o|
          Call.invoke(:lxd_instance_file_push, o, local_path, remote_path, opts, cb, nil)
        end
      end
    end

    # Copy `remote_path` (a file, or a folder tree) to `local_path` (made at
    # that path), streaming to disk; refuses ({UnsafePath}) a tree with
    # names or symlinks that would land outside `local_path`. Progress as
    # {#push}. Files get the permission bits (0777) of their remote mode;
    # the set-uid, set-gid and sticky bits are dropped, as `lxc file pull`
    # does, unless `keep_special_bits: true`.
    # @param keep_special_bits [Boolean] keep the set-uid, set-gid and
    #   sticky bits the server reports
    # @return [self, nil]
    def pull(remote_path, local_path, keep_special_bits: false, &progress)
      remote_path = Call.c_string(remote_path, "remote path")
      local_path = Call.c_string(local_path, "local path")
      opts = options(keep_special_bits: keep_special_bits ? true : nil)
      transfer(progress) do |cb|
        @instance.with_ptr do |o|
          if opts
            Call.invoke(:lxd_instance_file_pull_ext, o, remote_path, local_path, opts, cb, nil)
          else
            Call.invoke(:lxd_instance_file_pull, o, remote_path, local_path, cb, nil)
          end
        end
      end
    end

    private

    def transfer(progress, &block)
      Call.transfer(progress, &block) ? self : nil
    end

    def options(mode: nil, uid: nil, gid: nil, **rest)
      opts = {}
      unless mode.nil?
        raise InvalidArgument, "mode must be an Integer or an octal String" unless mode.is_a?(Integer) || mode.is_a?(String)

        opts["mode"] = mode
      end
      { "uid" => uid, "gid" => gid }.each do |k, v|
        next if v.nil?
        raise InvalidArgument, "#{k} must be a non-negative Integer" unless v.is_a?(Integer) && !v.negative?

        opts[k] = v
      end
      rest.each { |k, v| opts[k.to_s] = v unless v.nil? }
      return nil if opts.empty?

      Call.c_string(Call.to_json_text(opts, "file options"), "file options")
    end
  end
end
