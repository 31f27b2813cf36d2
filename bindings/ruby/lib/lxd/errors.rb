# frozen_string_literal: true

module LXD
  # Base of every error liblxd reports. One subclass per status code of
  # include/lxd.h (see {Error.for_code}).
  #
  # @!attribute [r] code
  #   @return [Integer] the C status code (`LXD_ERR_*`)
  # @!attribute [r] http_status
  #   @return [Integer] the HTTP status behind the failure, 0 if none
  # @!attribute [r] server_message
  #   @return [String] the message as liblxd gave it: where the server
  #     sent an error, the request that failed followed by the server's text
  #     (`GET /1.0/instances/nope: Instance not found`); else liblxd's own
  #     description
  class Error < StandardError
    attr_reader :code, :http_status, :server_message

    # @param message [String]
    # @param code [Integer] a status code
    # @param http_status [Integer]
    def initialize(message = nil, code: nil, http_status: 0)
      @code = code || self.class.code
      @http_status = http_status
      @server_message = message.to_s
      super(message)
    end

    # The status name of {#code}, e.g. `"LXD_ERR_NOT_FOUND"`.
    # @return [String]
    def status_name
      LXD.status_name(code)
    end

    class << self
      # The status code of this class (its subclasses set it).
      # @return [Integer, nil]
      def code
        @code if defined?(@code)
      end

      # The class for a status code (unknown codes give {Error} itself).
      # @param code [Integer]
      # @return [Class]
      def for_code(code)
        CLASSES.fetch(code, Error)
      end

      # @!visibility private
      def define_code(code)
        @code = code
      end
    end
  end

  # @!visibility private
  class Error
    CLASSES = {}
  end

  {
    1 => :InvalidArgument,
    2 => :ConnectionError,
    3 => :TLSError,
    4 => :Timeout,
    5 => :NotFound,
    6 => :Conflict,
    7 => :PreconditionFailed,
    8 => :Forbidden,
    9 => :APIError,
    10 => :OperationFailed,
    11 => :UnknownAttribute,
    12 => :ReadOnly,
    13 => :ExtensionMissing,
    14 => :ProtocolError,
    15 => :Cancelled,
    16 => :InternalError,
    17 => :UnsafePath,
    18 => :ResponseTooLarge,
    19 => :OperationLost
  }.each do |code, name|
    klass = Class.new(Error)
    klass.define_code(code)
    const_set(name, klass)
    Error::CLASSES[code] = klass
  end
  Error::CLASSES.freeze

  # Raised when a handle (client, object, stream, session…) is used after
  # `close`. It is an {InvalidArgument}: the C library would reject a NULL
  # handle the same way.
  class ClosedError < InvalidArgument
  end

  class << self
    # The name of a status code (`"LXD_ERR_NOT_FOUND"`; unknown values give
    # `"LXD_ERR_UNKNOWN_STATUS"`).
    # @param code [Integer]
    # @return [String]
    def status_name(code)
      Native.lxd_status_name(Integer(code))
    end

    # The version of the loaded liblxd, e.g. `"0.1.0"`.
    # @return [String]
    def library_version
      Native.lxd_version
    end

    # The message of this thread's last failed liblxd call ("" if none).
    # The binding raises exceptions carrying it, so this is rarely needed.
    # @return [String]
    def last_error_message
      Native.lxd_last_error_message.dup.force_encoding(Encoding::UTF_8)
    end

    # The HTTP status of this thread's last failure, 0 if not from HTTP.
    # @return [Integer]
    def last_error_http_status
      Native.lxd_last_error_http_status
    end
  end
end
