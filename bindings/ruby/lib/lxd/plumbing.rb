# frozen_string_literal: true

require "json"

module LXD
  # @!visibility private
  # Calling into liblxd: status checks, out-parameters, strings, callbacks.
  module Call
    PENDING_KEY = :__lxd_callback_exception

    module_function

    # Call `Native.fn(*args)`; on a non-zero status raise the matching
    # {LXD::Error} with this thread's last error details, read at once on
    # the thread that made the call. An exception that a Ruby block raised
    # inside the call (and that was kept out of C) is re-raised here, after
    # the call has returned.
    def invoke(fn, *args)
      status = Native.public_send(fn, *args)
      raise error_for(status) unless status.zero?

      pending = take_pending
      raise pending if pending

      status
    rescue Error
      pending = take_pending
      raise pending if pending

      raise
    end

    # The exception for a failed call's status, with this thread's details.
    def error_for(status)
      message = Native.lxd_last_error_message.dup.force_encoding(Encoding::UTF_8)
      http = Native.lxd_last_error_http_status
      Error.for_code(status).new(message, code: status, http_status: http)
    end

    # Runs `block` with a pointer-sized out-parameter and returns what it
    # points at afterwards (a FFI::Pointer, possibly NULL).
    # If the block raises after liblxd wrote the out-parameter (a Ruby
    # block's exception re-raised after a successful call), what was
    # written is freed with `free_fn`.
    def out_pointer(free_fn = nil)
      mem = FFI::MemoryPointer.new(:pointer)
      begin
        yield mem
      rescue Exception # rubocop:disable Lint/RescueException
        written = mem.read_pointer
        Native.public_send(free_fn, written) if free_fn && !written.null?
        raise
      end
      mem.read_pointer
    end

    # Runs `block` with a `char **` out-parameter, then returns the string
    # (UTF-8) and frees liblxd's copy.
    def out_string(&block)
      take_string(out_pointer(:lxd_string_free, &block))
    end

    # A liblxd-allocated C string as a Ruby String, freed on the C side.
    def take_string(ptr)
      return nil if ptr.null?

      ptr.read_string.force_encoding(Encoding::UTF_8)
    ensure
      Native.lxd_string_free(ptr) if ptr && !ptr.null?
    end

    # Runs `block` with a `bool *` out-parameter and returns it.
    def out_bool
      mem = FFI::MemoryPointer.new(:bool)
      yield mem
      mem.read(:bool)
    end

    # A Ruby value checked for passing as a C string: nil stays nil (only
    # where `nullable`), symbols become strings, NUL bytes are refused.
    def c_string(value, what, nullable: false)
      if value.nil?
        return nil if nullable

        raise InvalidArgument, "#{what} must not be nil"
      end
      value = value.to_s if value.is_a?(Symbol)
      raise InvalidArgument, "#{what} must be a String, not #{value.class}" unless value.is_a?(String)
      raise InvalidArgument, "#{what} contains a NUL byte" if value.include?("\0")

      value
    end

    # Ruby data as JSON text for liblxd. NaN, Infinity and strings that are
    # not valid UTF-8 give {InvalidArgument}.
    def to_json_text(value, what)
      JSON.generate(value)
    rescue JSON::GeneratorError, Encoding::UndefinedConversionError, ArgumentError => e
      raise InvalidArgument, "#{what} cannot be sent as JSON: #{e.message}"
    end

    # A local path (a String, or anything with `to_path`, as Pathname) for C.
    def path_arg(value, what)
      c_string(value.respond_to?(:to_path) ? value.to_path : value, what)
    end

    # A definition or argument document for liblxd: a String is JSON text
    # as it is (liblxd refuses text that is not JSON), anything else is
    # converted.
    def json_arg(value, what)
      value.is_a?(String) ? value : to_json_text(value, what)
    end

    # An action's arguments as JSON text, or nil for none: `args` (a Hash,
    # JSON text, or nil) with the keyword arguments `kw` merged in.
    def action_args(args, kw)
      unless kw.empty?
        raise InvalidArgument, "action arguments: give a Hash or keywords, not both" if args.is_a?(String)
        raise InvalidArgument, "action arguments must be a Hash, not #{args.class}" unless args.nil? || args.is_a?(Hash)

        args = (args || {}).merge(kw)
      end
      return nil if args.nil?

      c_string(json_arg(args, "action arguments"), "action arguments")
    end

    # Run a transfer that reports progress to a user's block (`|done,
    # total|`), never letting the block unwind through C: `yield`s the C
    # callback (nil without a block). Returns true when done, false when the
    # block stopped it (`break`, `throw`, or an exception, which is then
    # raised again once the C call has returned).
    def transfer(progress)
      stopped = false
      cb = nil
      if progress
        cb = FFI::Function.new(:int, %i[uint64 uint64 pointer]) do |done, total, _|
          outcome, = guard_callback(progress, done, total)
          stopped = true if outcome == :stop
          outcome == :stop ? 1 : 0
        end
      end
      clear_pending
      begin
        yield cb
      rescue Cancelled
        raise unless stopped

        return false
      end
      true
    end

    # liblxd-allocated bytes (`*data`, `len`) as a binary String, freed on
    # the C side.
    def take_bytes(ptr, len)
      n = len.read(:size_t)
      ptr.null? || n.zero? ? "".b : ptr.read_bytes(n)
    ensure
      Native.lxd_bytes_free(ptr) if ptr && !ptr.null?
    end

    # JSON text from liblxd as Ruby data (scalars included).
    def from_json_text(text)
      JSON.parse(text)
    rescue JSON::ParserError => e
      raise ProtocolError, "liblxd returned text that is not JSON: #{e.message}"
    end

    # Seconds (Numeric or nil) as whole milliseconds for C; nil gives `none`.
    def millis(seconds, what, none: -1)
      return none if seconds.nil?
      raise InvalidArgument, "#{what} must be a number of seconds" unless seconds.is_a?(Numeric)
      raise InvalidArgument, "#{what} must not be negative" if seconds.negative?

      ms = (seconds * 1000).ceil
      raise InvalidArgument, "#{what} is too large" if ms > 2**31 - 1

      ms
    end

    # Whole seconds (Integer or nil) for C; nil gives -1 (LXD's default).
    def seconds(value, what)
      return -1 if value.nil?
      raise InvalidArgument, "#{what} must be an Integer number of seconds" unless value.is_a?(Integer)
      raise InvalidArgument, "#{what} out of range" if value.negative? || value > 2**31 - 1

      value
    end

    # Binary data for C: a String (any encoding, bytes as they are) or nil.
    def bytes(data, what)
      return "".b if data.nil?
      raise InvalidArgument, "#{what} must be a String" unless data.is_a?(String)

      data
    end

    # A String's bytes in C memory (nil for an empty String).
    def buffer(data)
      return nil if data.empty?

      FFI::MemoryPointer.new(:uint8, data.bytesize).put_bytes(0, data)
    end

    # --- callbacks ------------------------------------------------------

    # Call a user's block from inside a C callback, never letting anything
    # unwind through C: an exception is kept (re-raised by {invoke} once the
    # C call has returned) and a non-local exit (break, throw) is stopped
    # here. Returns [:ok, value] or [:stop, nil]; `:stop` means the caller
    # returns its "cancel" value to C.
    def guard_callback(block, *args)
      finished = false
      value = nil
      begin
        value = block.call(*args)
        finished = true
      rescue Exception => e # rubocop:disable Lint/RescueException
        Thread.current[PENDING_KEY] ||= e
      ensure
        # `return` inside ensure cancels an in-flight break or throw, which
        # must not unwind through the C frames below this one.
        return [:stop, nil] unless finished # rubocop:disable Lint/EnsureReturn
      end
      [:ok, value]
    end

    # The exception a block raised during the current call, cleared.
    def take_pending
      e = Thread.current[PENDING_KEY]
      Thread.current[PENDING_KEY] = nil if e
      e
    end

    # Forget a stale pending exception (before a call that runs callbacks).
    def clear_pending
      Thread.current[PENDING_KEY] = nil
    end
  end

  # close and closed? for the classes whose C handle is a {Handle} in
  # @handle (client, object, event stream, exec session).
  module HandleOwner
    # Free the C side now (the garbage collector would otherwise).
    # Idempotent; later calls raise {ClosedError}.
    def close
      @handle.close
    end

    # Whether {#close} was called.
    def closed?
      @handle.closed?
    end
  end

  # @!visibility private
  # A C handle with its free function, safe against use after close and
  # against closing while another thread is still inside a call with it:
  # the C free runs when the last such call returns. Forgotten handles are
  # freed by the garbage collector (FFI::AutoPointer).
  class Handle
    # @param ptr [FFI::Pointer] non-NULL
    # @param free_fn [Symbol, nil] the Native free function; nil for a
    #   borrowed pointer (kept valid by `owner`)
    # @param what [String] for error messages
    # @param owner [Object, nil] kept alive while this handle is open
    def initialize(ptr, free_fn, what, owner: nil)
      raise InternalError, "liblxd returned a NULL #{what}" if ptr.nil? || ptr.null?

      @raw = FFI::Pointer.new(ptr.address)
      @auto = free_fn ? FFI::AutoPointer.new(@raw, Native.method(free_fn)) : nil
      @owner = owner
      @what = what
      @lock = Mutex.new
      @users = 0
      @closed = false
    end

    attr_reader :what

    # Yields the raw pointer; raises {ClosedError} once closed.
    def use
      @lock.synchronize do
        raise ClosedError, "#{@what} is closed" if @closed

        @users += 1
      end
      begin
        yield @raw
      ensure
        release_now = @lock.synchronize do
          @users -= 1
          @closed && @users.zero?
        end
        release if release_now
      end
    end

    # Whether {close} was called.
    def closed?
      @closed
    end

    # Free the C side (now, or when the last call using it returns).
    # Idempotent.
    def close
      release_now = @lock.synchronize do
        next false if @closed

        @closed = true
        @users.zero?
      end
      release if release_now
      nil
    end

    private

    def release
      @auto&.free
      @owner = nil
    end
  end
end
