# frozen_string_literal: true

module LXD
  # An open stream of the server's events, from {Client#events}: pull them
  # with {#next} or {#each} on your own thread (the GVL is released while
  # waiting). Events after the stream opened are queued until read.
  class EventStream
    include HandleOwner
    include Enumerable

    # @!visibility private
    def initialize(client, types, all_projects: false)
      types = EventStream.types_string(types)
      ptr = client.with_ptr do |c|
        Call.out_pointer(:lxd_events_free) do |out|
          if all_projects
            opts = { "all_projects" => true }
            opts["types"] = types if types
            Call.invoke(:lxd_events_open_ext, c, Call.c_string(Call.to_json_text(opts, "options"), "options"), out)
          else
            Call.invoke(:lxd_events_open, c, types, out)
          end
        end
      end
      @handle = Handle.new(ptr, :lxd_events_free, "event stream")
    end

    # @!visibility private
    def self.types_string(types)
      case types
      when nil then nil
      when Array then Call.c_string(types.map(&:to_s).join(","), "types")
      else Call.c_string(types.to_s, "types")
      end
    end

    # The next event as a Hash (`type`, `timestamp`, `metadata`, …).
    # @param timeout [Numeric, nil] seconds to wait (nil: no limit; 0: only
    #   one already there)
    # @return [Hash, nil] nil when none came in time
    # @raise [ConnectionError] when the server closed the stream
    def next(timeout: nil)
      ms = Call.millis(timeout, "timeout")
      text = @handle.use do |e|
        Call.out_string { |out| Call.invoke(:lxd_events_next, e, ms, out) }
      end
      Call.from_json_text(text)
    rescue LXD::Timeout
      nil
    end

    # Yields events as they come. Ends when no event came within `timeout`
    # seconds (if given) or when the server closes the stream.
    # @return [Enumerator] without a block
    def each(timeout: nil)
      return enum_for(:each, timeout: timeout) unless block_given?

      loop do
        event = begin
          self.next(timeout: timeout)
        rescue ConnectionError
          break
        end
        break if event.nil?

        yield event
      end
      self
    end

  end

  # Events delivered to a block on a background thread, from
  # {Client#listen}. The block runs in Ruby (ffi hands each call over to a
  # Ruby thread); an exception it raises stops the listener and is kept in
  # {#error} and re-raised by {#stop}.
  class Listener
    @active = {}
    @active_lock = Mutex.new

    class << self
      # @!visibility private
      # Listeners alive on liblxd's side are kept referenced here, so that
      # neither they nor their callback are garbage collected.
      def register(listener, on)
        @active_lock.synchronize { on ? @active[listener] = true : @active.delete(listener) }
      end

      # @!visibility private
      def stop_all
        @active_lock.synchronize { @active.keys }.each do |l|
          l.stop
        rescue Exception # rubocop:disable Lint/RescueException
          nil
        end
      end
    end

    # The exception that ended the listener: the block's own, or an
    # {LXD::Error} when the stream failed (e.g. {ConnectionError}). nil
    # while it runs normally.
    attr_reader :error

    # @!visibility private
    def initialize(client, types, block)
      @block = block
      @error = nil
      @stop_requested = false
      @callback_thread = nil
      @callback = FFI::Function.new(:int, %i[int string pointer]) do |status, text, _|
        deliver(status, text)
      end
      types = EventStream.types_string(types)
      ptr = client.with_ptr do |c|
        Call.out_pointer(:lxd_events_listener_free) do |out|
          Call.invoke(:lxd_events_listen, c, types, @callback, nil, out)
        end
      end
      @handle = Handle.new(ptr, :lxd_events_listener_free, "event listener")
      Listener.register(self, true)
    end

    # Whether events are still being delivered.
    def active?
      !@handle.closed? && !@stop_requested && @error.nil?
    end

    # Stop listening: no block runs after this returns (called from inside
    # the block, the current call is the last). Idempotent. Re-raises an
    # exception the block raised.
    # @return [nil]
    def stop
      if Thread.current.equal?(@callback_thread)
        @stop_requested = true
        return nil
      end
      @handle.close
      Listener.register(self, false)
      err = @error
      @error = nil if err && !err.is_a?(LXD::Error)
      raise err if err && !err.is_a?(LXD::Error)

      nil
    end
    alias close stop

    private

    def deliver(status, text)
      return 1 if @stop_requested

      text = text.to_s.dup.force_encoding(Encoding::UTF_8)
      unless status.zero?
        @error ||= Error.for_code(status).new(text, code: status)
        return 1
      end
      @callback_thread = Thread.current
      begin
        event = JSON.parse(text)
        outcome, = Call.guard_callback(@block, event)
      rescue JSON::ParserError => e
        @error ||= ProtocolError.new("event is not JSON: #{e.message}")
        return 1
      ensure
        @callback_thread = nil
      end
      pending = Call.take_pending
      @error ||= pending if pending
      outcome == :stop || pending || @stop_requested ? 1 : 0
    end
  end

  at_exit { Listener.stop_all }
end
