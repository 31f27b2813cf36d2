# frozen_string_literal: true

module LXD
  # The outcome of {Instance#execute}: exit code and the two outputs as
  # binary Strings (ASCII-8BIT), byte-exact.
  ExecResult = Struct.new(:exit_code, :stdout, :stderr) do
    # Whether the command exited with 0.
    def success?
      exit_code.zero?
    end
  end

  class Instance
    # Run a command in the running instance (a list of arguments, not a
    # shell line), feeding it `stdin`.
    #
    # Without a block, collects the output and returns an {ExecResult}.
    # With a block, hands over the output chunk by chunk as it arrives
    # (`stream` is :stdout or :stderr, `data` a binary String) and returns
    # the exit code. A `break` out of the block stops the command (LXD
    # sends it SIGKILL) and `execute` returns nil; an exception raised in
    # the block stops it too and is re-raised once the call has returned.
    #
    # @param command [Array<String>]
    # @param environment [Hash{String=>String}, nil]
    # @param cwd [String, nil]
    # @param user [Integer, nil] numeric uid
    # @param group [Integer, nil] numeric gid
    # @param timeout [Numeric, nil] seconds; when it passes the command is
    #   killed and {Timeout} raised
    # @param stdin [String, nil] bytes for standard input (then EOF)
    # @yield [stream, data]
    # @return [ExecResult, Integer, nil]
    # @raise [NotFound] no such command; [APIError] instance not running
    def execute(command, environment: nil, cwd: nil, user: nil, group: nil, timeout: nil,
                stdin: nil, &block)
      cmd = exec_command_json(command)
      opts = exec_options_json(environment: environment, cwd: cwd, user: user, group: group,
                               timeout_ms: timeout.nil? ? nil : Call.millis(timeout, "timeout"))
      input = Call.bytes(stdin, "stdin")
      input_ptr = Call.buffer(input)
      return execute_stream(cmd, opts, input_ptr, input.bytesize, block) if block

      result = with_ptr do |o|
        Call.out_pointer(:lxd_exec_result_free) do |out|
          Call.invoke(:lxd_instance_exec, o, cmd, opts, input_ptr, input.bytesize, out)
        end
      end
      begin
        ExecResult.new(Native.lxd_exec_result_exit_code(result),
                       read_output(result, :lxd_exec_result_stdout),
                       read_output(result, :lxd_exec_result_stderr))
      ensure
        Native.lxd_exec_result_free(result)
      end
    end

    # Start a command on a terminal (like `lxc exec` without `-T`).
    # @param width [Integer, nil] columns (80 by default)
    # @param height [Integer, nil] rows (24 by default)
    # @return [ExecSession]
    def execute_interactive(command, environment: nil, cwd: nil, user: nil, group: nil,
                            width: nil, height: nil)
      cmd = exec_command_json(command)
      opts = exec_options_json(environment: environment, cwd: cwd, user: user, group: group,
                               width: width, height: height)
      ptr = with_ptr do |o|
        Call.out_pointer(:lxd_exec_session_free) do |out|
          Call.invoke(:lxd_instance_exec_interactive, o, cmd, opts, out)
        end
      end
      ExecSession.new(ptr)
    end

    private

    def execute_stream(cmd, opts, input_ptr, input_len, block)
      stopped = false
      on_output = FFI::Function.new(:int, %i[int pointer size_t pointer]) do |stream, data, len, _|
        chunk = len.zero? ? "".b : data.read_bytes(len)
        name = stream == 2 ? :stderr : :stdout
        outcome, = Call.guard_callback(block, name, chunk)
        stopped = true if outcome == :stop
        outcome == :stop ? 1 : 0
      end
      code = FFI::MemoryPointer.new(:int)
      Call.clear_pending
      begin
        with_ptr do |o|
          Call.invoke(:lxd_instance_exec_stream, o, cmd, opts, input_ptr, input_len,
                      on_output, nil, code)
        end
      rescue Cancelled
        raise unless stopped

        return nil
      end
      code.read_int
    end

    def read_output(result, fn)
      len = FFI::MemoryPointer.new(:size_t)
      ptr = Native.public_send(fn, result, len)
      n = len.read(:size_t)
      ptr.null? || n.zero? ? "".b : ptr.read_bytes(n)
    end

    def exec_command_json(command)
      unless command.is_a?(Array) && !command.empty?
        raise InvalidArgument, "command must be a non-empty Array of Strings"
      end

      command.each { |arg| Call.c_string(arg, "command argument") }
      Call.c_string(Call.to_json_text(command, "command"), "command")
    end

    def exec_options_json(**opts)
      if (env = opts[:environment])
        raise InvalidArgument, "environment must be a Hash" unless env.is_a?(Hash)

        opts[:environment] = env.to_h do |k, v|
          [Call.c_string(k.to_s, "environment name"), Call.c_string(v.to_s, "environment value")]
        end
      end
      Call.c_string(opts[:cwd], "cwd", nullable: true)
      %i[user group width height].each do |k|
        next if opts[k].nil? || (opts[k].is_a?(Integer) && !opts[k].negative?)

        raise InvalidArgument, "#{k} must be a non-negative Integer"
      end
      opts = opts.compact
      return nil if opts.empty?

      Call.c_string(Call.to_json_text(opts.transform_keys(&:to_s), "exec options"), "exec options")
    end
  end

  # A command running on a terminal, from {Instance#execute_interactive}.
  # Calls on one session are serialised by liblxd.
  class ExecSession
    # close: LXD kills a command still running.
    include HandleOwner

    # @!visibility private
    def initialize(ptr)
      @handle = Handle.new(ptr, :lxd_exec_session_free, "exec session")
    end

    # Write bytes to the terminal (the command's input).
    # @return [Integer] the number of bytes written
    def write(data)
      data = Call.bytes(data, "data")
      return 0 if data.empty?

      buf = Call.buffer(data)
      @handle.use { |s| Call.invoke(:lxd_exec_session_write, s, buf, data.bytesize) }
      data.bytesize
    end
    alias << write

    # Read terminal output: waits up to `timeout` seconds (nil: no limit;
    # 0: only what has arrived) for some.
    # @return [String, nil] binary bytes, or nil at the end of output
    # @raise [Timeout] when nothing came in time
    def read(max = 65_536, timeout: nil)
      raise InvalidArgument, "max must be a positive Integer" unless max.is_a?(Integer) && max.positive?

      ms = Call.millis(timeout, "timeout")
      buf = FFI::MemoryPointer.new(:uint8, max)
      got = FFI::MemoryPointer.new(:size_t)
      @handle.use { |s| Call.invoke(:lxd_exec_session_read, s, buf, max, ms, got) }
      n = got.read(:size_t)
      n.zero? ? nil : buf.read_bytes(n)
    end

    # Read until the output so far matches `pattern` (a String or Regexp)
    # or ends; raises {Timeout} if neither happens within `timeout` seconds.
    # @return [String] everything read
    def read_until(pattern, timeout:)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      out = "".b
      until pattern.is_a?(Regexp) ? pattern.match?(out) : out.include?(pattern.b)
        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        raise LXD::Timeout, "no #{pattern.inspect} in the output within #{timeout} s: #{out.inspect}" if left <= 0

        chunk = read(timeout: left)
        break if chunk.nil?

        out << chunk
      end
      out
    end

    # Tell the command its terminal is now `width` × `height`.
    # @return [self]
    def resize(width, height)
      unless [width, height].all? { |v| v.is_a?(Integer) && v.positive? && v < 2**32 }
        raise InvalidArgument, "width and height must be positive Integers"
      end

      @handle.use { |s| Call.invoke(:lxd_exec_session_resize, s, width, height) }
      self
    end

    # Send a signal (a number, or a name such as "TERM" or :INT).
    # @return [self]
    def signal(sig)
      number = sig.is_a?(Integer) ? sig : Signal.list[sig.to_s.delete_prefix("SIG")]
      raise InvalidArgument, "unknown signal #{sig.inspect}" unless number

      @handle.use { |s| Call.invoke(:lxd_exec_session_signal, s, number) }
      self
    end

    # Wait for the command to end and return its exit code.
    # @param timeout [Numeric, nil] seconds; nil: no limit
    # @raise [Timeout] still running (the session stays usable)
    # @return [Integer]
    def wait(timeout: nil)
      ms = Call.millis(timeout, "timeout")
      code = FFI::MemoryPointer.new(:int)
      @handle.use { |s| Call.invoke(:lxd_exec_session_wait, s, ms, code) }
      code.read_int
    end
  end
end
