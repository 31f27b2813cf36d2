# frozen_string_literal: true

module LXD
  # A connection to one LXD daemon, like pylxd's `Client`. Safe to share
  # between threads; network calls release the GVL.
  #
  # @example
  #   client = LXD::Client.new                     # the local unix socket
  #   c = client.containers.get("c1")
  #   c.config                                     # => {"volatile..." => ...}
  class Client
    # close: objects obtained from the client stay usable (liblxd keeps what
    # they need alive).
    include HandleOwner

    # Open a client and check that the daemon answers (`GET /1.0`).
    #
    # @param endpoint [String, Array<String>, nil] nil for the local daemon;
    #   a unix socket path (optionally `unix:`-prefixed); `https://host[:port]`;
    #   or the members of one cluster, as an Array of URLs or a comma list
    #   (`"https://10.0.0.1:8443,https://10.0.0.2:8443"`)
    # @param endpoints [Array<String>, nil] more member URLs of the same
    #   cluster, tried after those of `endpoint` (with a nil `endpoint`,
    #   only these)
    # @param failover [Boolean, String, Symbol, nil] with several members:
    #   true (or "on", liblxd's default) moves a request that may safely be
    #   sent again to the next member when one stops answering; false (or
    #   "off") uses the first endpoint only. See README "Clusters".
    # @param target [String, nil] a cluster member's name, or "@group":
    #   where new instances are placed, and whose member-specific state
    #   (storage pools and volumes, networks, the server's config,
    #   {#resources}) the calls read and change; see {#derive}
    # @param cert [String, nil] PEM file of a client certificate (HTTPS)
    # @param key [String, nil] PEM file of its private key
    # @param verify [Boolean] false accepts any server certificate
    # @param server_cert [String, nil] PEM file: trust exactly this server
    #   certificate (pinning; overrides `verify`); for a cluster, the
    #   cluster's certificate (`cluster.crt`), which every member serves
    # @param timeout [Numeric, nil] seconds per connect, network read or
    #   write (liblxd's default: 30)
    # @param deadline [Numeric, nil] seconds one whole call may take, start
    #   to end, every request, wait and transfer of it included; then it
    #   raises {Timeout} (an `execute` without its own `timeout:` has its
    #   command killed). Default: none. Also bounds this constructor.
    # @param max_response_bytes [Integer, nil] the largest response read
    #   into memory (liblxd's default: 64 MiB); a larger one is not read and
    #   the call raises {ResponseTooLarge}. The constructor reads `GET /1.0`
    #   (a few KiB), so a smaller value makes it raise already.
    # @param project [String, nil] project for project-scoped calls
    # @raise [ConnectionError, TLSError, Timeout, ProtocolError,
    #   ResponseTooLarge, InvalidArgument]
    def initialize(endpoint = nil, cert: nil, key: nil, verify: true, server_cert: nil,
                   timeout: nil, deadline: nil, max_response_bytes: nil, project: nil,
                   endpoints: nil, failover: nil, target: nil)
      options = { "verify" => verify ? true : false }
      options["cert"] = cert if cert
      options["key"] = key if key
      options["server_cert"] = server_cert if server_cert
      options["timeout_ms"] = Call.millis(timeout, "timeout") if timeout
      options["deadline_ms"] = Call.millis(deadline, "deadline") if deadline
      unless max_response_bytes.nil?
        unless max_response_bytes.is_a?(Integer) && max_response_bytes.positive?
          raise InvalidArgument, "max_response_bytes must be a positive Integer"
        end

        options["max_response_bytes"] = max_response_bytes
      end
      options["project"] = Call.c_string(project, "project") if project
      options["target"] = Call.c_string(target, "target") if target
      options["endpoints"] = Client.endpoint_list(endpoints, "endpoints") unless endpoints.nil?
      options["failover"] = Client.failover_option(failover) unless failover.nil?
      endpoint = Client.endpoint_list(endpoint, "endpoint").join(",") if endpoint.is_a?(Array)
      endpoint = Call.c_string(endpoint, "endpoint", nullable: true)
      json = Call.c_string(Call.to_json_text(options, "options"), "options")
      ptr = Call.out_pointer(:lxd_client_free) do |out|
        Call.invoke(:lxd_client_new, endpoint, json, out)
      end
      adopt(ptr)
    end

    # @!visibility private
    # Member URLs as liblxd takes them: an Array of Strings (one String
    # alone is an Array of one).
    def self.endpoint_list(value, what)
      value = [value] if value.is_a?(String)
      raise InvalidArgument, "#{what} must be an Array of Strings, not #{value.class}" unless value.is_a?(Array)

      value.map { |v| Call.c_string(v, what) }
    end

    # @!visibility private
    # `failover:` as liblxd's option: true / false ("on" / "off").
    def self.failover_option(value)
      case value
      when true, "on", :on then true
      when false, "off", :off then false
      else raise InvalidArgument, "failover must be true, false, \"on\" or \"off\", not #{value.inspect}"
      end
    end

    # Open a client, yield it and close it afterwards.
    # @return the block's value
    def self.open(*args, **kwargs)
      client = new(*args, **kwargs)
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # The endpoint requests go to now (`lxd_client_endpoint`): with several
    # cluster members, the one in use, e.g. "https://10.0.0.2:8443"; the
    # socket's path for a unix socket. No request is made.
    # @return [String]
    def endpoint
      with_ptr { |c| Call.out_string { |out| Call.invoke(:lxd_client_endpoint, c, out) } }
    end

    # Keys of {#derive} not given: the client's value is kept.
    KEEP = ::Object.new.freeze
    private_constant :KEEP

    # A client on the same connections, cluster members and options, with
    # another project and/or cluster target (`lxd_client_derive`; what Go's
    # `UseProject` / `UseTarget` do). Objects fetched through it keep its
    # project and target. No request is made. The new client is closed
    # independently of this one (with a block: after the block).
    #
    # @example
    #   on_m2 = client.derive(target: "m2")       # new instances go to m2
    #   other = client.derive(project: "dev")     # another project, same target
    #   client.derive(target: nil) { |c| ... }    # no target; closed after the block
    # @param project [String, nil] a project; nil drops this client's (the
    #   default project); not given: this client's
    # @param target [String, nil] a member's name or "@group"; nil drops
    #   this client's target; not given: this client's
    # @return [Client, Object] the new client, or the block's value
    # @raise [InvalidArgument]
    def derive(project: KEEP, target: KEEP)
      opts = {}
      opts["project"] = Call.c_string(project, "project", nullable: true) unless KEEP.equal?(project)
      opts["target"] = Call.c_string(target, "target", nullable: true) unless KEEP.equal?(target)
      json = Call.c_string(Call.to_json_text(opts, "derive options"), "derive options")
      ptr = with_ptr do |c|
        Call.out_pointer(:lxd_client_free) { |out| Call.invoke(:lxd_client_derive, c, json, out) }
      end
      derived = Client.allocate
      derived.send(:adopt, ptr)
      return derived unless block_given?

      begin
        yield derived
      ensure
        derived.close
      end
    end


    # @!visibility private
    def with_ptr(&block)
      @handle.use(&block)
    end

    # The manager of a top-level kind, e.g. `client.manager(:container)`;
    # the named methods ({#containers}, …) are the usual way. (A kind that
    # lives under another object has its manager there: `inst.snapshots`.)
    # @return [Manager]
    # @raise [InvalidArgument] a kind that lives under another object
    def manager(kind)
      kind = LXD.kind(kind)
      if kind.child?
        raise InvalidArgument,
              "#{kind.class_name} objects live under #{kind.parent.class_name} objects: use obj.#{kind.manager}"
      end
      raise InvalidArgument, "there is one #{kind.class_name} object: use client.#{kind.name}" if kind.singleton?

      @managers_lock.synchronize { @managers[kind.name] ||= Manager.new(self, kind) }
    end

    # One manager method per top-level kind, made from the kind table
    # (lib/lxd/generated.rb): instances, containers, virtual_machines,
    # images, profiles, networks, storage_pools, projects, certificates,
    # operations, image_aliases, network_acls, network_zones, warnings,
    # cluster_members, cluster_groups; and `server` and `cluster`, the one
    # Server and the one Cluster object.

    # Fetch one object of any kind (`lxd_get`).
    # @return [LXD::Object]
    def get(kind, key)
      kind = LXD.kind(kind)
      key = Call.c_string(key, "key")
      ptr = with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) { |out| Call.invoke(:lxd_get, c, kind.value, key, out) }
      end
      Object.wrap(ptr, self)
    end

    # Whether an object of any kind exists (`lxd_exists`).
    # @return [Boolean]
    def exists?(kind, key)
      kind = LXD.kind(kind)
      key = Call.c_string(key, "key")
      with_ptr do |c|
        Call.out_bool { |out| Call.invoke(:lxd_exists, c, kind.value, key, out) }
      end
    end

    # All objects of a kind (`lxd_all`).
    # @return [Array<LXD::Object>]
    def all(kind)
      kind = LXD.kind(kind)
      ptr = with_ptr do |c|
        Call.out_pointer(:lxd_list_free) { |out| Call.invoke(:lxd_all, c, kind.value, out) }
      end
      Object.wrap_list(ptr, self)
    end

    # Create an object of any kind (`lxd_create`).
    # @param definition [Hash, String] the POST body (Hash or JSON text)
    # @return [LXD::Object]
    def create(kind, definition, wait: true)
      kind = LXD.kind(kind)
      json = Call.c_string(Call.json_arg(definition, "definition"), "definition")
      ptr = with_ptr do |c|
        Call.out_pointer(:lxd_obj_free) do |out|
          Call.invoke(:lxd_create, c, kind.value, json, wait ? true : false, out)
        end
      end
      Object.wrap(ptr, self)
    end

    # The raw API, like pylxd's `client.api`: send `method` to `path` and
    # return the whole response document, parsed.
    #
    # @param method [Symbol, String] :get, :post, :put, :patch, :delete, :head
    # @param path [String] e.g. "/1.0/instances?recursion=1"
    # @param body [Hash, Array, String, nil] a String is sent as JSON text
    #   as it is (liblxd refuses text that is not JSON)
    # @return [Hash] `type`, `status`, `metadata`, …
    # @raise [NotFound, APIError, …] for an error response, with
    #   `http_status` and a message naming the request, then the server's text
    def api(method, path, body = nil)
      method = Call.c_string(method.to_s.upcase, "method")
      path = Call.c_string(path, "path")
      json = case body
             when nil then nil
             when String then Call.c_string(body, "body")
             else Call.c_string(Call.to_json_text(body, "body"), "body")
             end
      text = with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_api, c, method, path, json, out) }
      end
      Call.from_json_text(text)
    end

    # The server's information (`GET /1.0` metadata), freshly read.
    # @return [Hash]
    def host_info
      text = with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_client_host_info, c, out) }
      end
      Call.from_json_text(text)
    end

    # Whether the server has an API extension (as of the client's creation
    # or last {#host_info}). Does not block.
    # @return [Boolean]
    def has_api_extension?(name) # rubocop:disable Naming/PredicateName
      name = Call.c_string(name, "name")
      with_ptr { |c| Native.lxd_client_has_api_extension(c, name) }
    end
    alias api_extension? has_api_extension?

    # Whether the server trusts this client (as of its creation or last
    # {#host_info}). Does not block.
    # @return [Boolean]
    def trusted?
      with_ptr { |c| Native.lxd_client_trusted(c) }
    end

    # Ask the server to trust this client's certificate with LXD's trust
    # password (pylxd's `authenticate`). Nothing is sent when trusted.
    # @raise [Forbidden] wrong password; [InvalidArgument] not an HTTPS
    #   client with a certificate
    # @return [self]
    def authenticate(password)
      password = Call.c_string(password, "password")
      with_ptr { |c| Call.invoke(:lxd_client_authenticate, c, password) }
      self
    end

    # Open an event stream (`/1.0/events`), pull style.
    # @param types [String, Symbol, Array, nil] nil for every type, or e.g.
    #   "lifecycle" or [:lifecycle, :operation]
    # @param all_projects [Boolean] the events of every project, whatever
    #   the client's project (LXD's `all-projects`; `lxd_events_open_ext`)
    # @yield [EventStream] when a block is given, the stream is closed after it
    # @return [EventStream, Object] the stream, or the block's value
    def events(types = nil, all_projects: false)
      stream = EventStream.new(self, types, all_projects: all_projects)
      return stream unless block_given?

      begin
        yield stream
      ensure
        stream.close
      end
    end

    # Listen to events with a block run for each event, on a thread of
    # liblxd's (dispatched into Ruby by ffi). Stop with {Listener#stop}.
    # @return [Listener]
    def listen(types = nil, &block)
      raise InvalidArgument, "listen needs a block" unless block

      Listener.new(self, types, block)
    end

    def inspect
      state = closed? ? "closed" : endpoint
      "#<#{self.class.name} #{state}>"
    end

    private

    # Take ownership of a new `lxd_client *`.
    def adopt(ptr)
      @handle = Handle.new(ptr, :lxd_client_free, "client")
      @managers = {}
      @managers_lock = Mutex.new
    end
  end
end
