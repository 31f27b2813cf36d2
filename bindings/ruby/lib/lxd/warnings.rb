# frozen_string_literal: true

module LXD
  # Modes of unknown-attribute warnings (`lxd_warning_mode`).
  WARNING_MODES = { once: 0, always: 1, none: 2 }.freeze

  @warning_lock = Mutex.new
  @warning_block = nil
  @warning_functions = []
  @warning_mode = nil

  class << self
    # Receive warnings about attributes the server sent that liblxd's schema
    # for the kind does not list, instead of liblxd printing them to
    # stderr. Process-wide. The block gets the pylxd class name
    # (`"Instance"`, …), the attribute and the full message; it runs on the
    # thread whose call received the object, inside that call. An exception
    # it raises is re-raised by that call once it has returned.
    # Without a block (or with nil), warnings go to stderr again.
    #
    # @example
    #   LXD.on_warning { |klass, attr| puts "#{klass} has a new #{attr}" }
    # @yield [klass, attribute, message]
    # @return [nil]
    def on_warning(callable = nil, &block)
      handler = block || callable
      @warning_lock.synchronize do
        if handler
          fn = FFI::Function.new(:void, %i[string string string pointer]) do |klass, attr, msg, _|
            Call.guard_callback(handler, utf8(klass), utf8(attr), utf8(msg))
            nil
          end
          # Every function ever installed stays referenced: another thread
          # may still be inside an older one.
          (@warning_functions ||= []) << fn
          Native.lxd_set_warning_callback(fn, nil)
        else
          Native.lxd_set_warning_callback(nil, nil)
        end
        @warning_block = handler
      end
      nil
    end

    # The current warning block, or nil (stderr).
    attr_reader :warning_block

    # How often warnings are issued: `:once` per class and attribute per
    # process (the default), `:always`, or `:none`. Overrides the
    # environment variable `LIBLXD_WARNINGS`.
    # @param mode [Symbol]
    def warning_mode=(mode)
      value = WARNING_MODES.fetch(mode.to_s.to_sym) do
        raise InvalidArgument, "warning mode must be one of #{WARNING_MODES.keys.inspect}"
      end
      Call.invoke(:lxd_set_warning_mode, value)
      @warning_mode = mode.to_sym
    end

    # The mode last set through {warning_mode=} (nil: liblxd's default,
    # from `LIBLXD_WARNINGS`).
    attr_reader :warning_mode

    private

    def utf8(str)
      str.to_s.dup.force_encoding(Encoding::UTF_8)
    end
  end
end
