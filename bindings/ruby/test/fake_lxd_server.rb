# frozen_string_literal: true

require "socket"
require "json"
require "tmpdir"

# A FAKE LXD server, NOT LXD: a few canned HTTP/1.1 answers on a unix socket
# in a temporary folder, served by Ruby threads of the test process. The
# real LXD 5.0.2 never sends attributes that liblxd's schema lacks, so the
# warning tests need this to make liblxd see unknown attributes; and the
# suite's daemon is no cluster (and must not become one), so the cluster
# actions' requests are checked here, on a fake member of a fake cluster.
class FakeLXDServer
  HOST_INFO = {
    "api_extensions" => ["instances"], "api_status" => "stable", "api_version" => "1.0",
    "auth" => "trusted", "public" => false, "auth_methods" => ["tls"],
    "environment" => { "server_version" => "5.0.2" }
  }.freeze

  # The fake cluster's one member, and the id of every operation.
  MEMBER = "lxdt-fake-m1"
  OPERATION = "lxdt-fake-op"

  attr_reader :path, :extra_attrs

  # `extra_attrs`: the unknown attributes every profile and instance carries
  # (unique per server, since warnings are issued once per process).
  # `extensions`: the API extensions it announces.
  def initialize(extensions: HOST_INFO["api_extensions"])
    @dir = Dir.mktmpdir("lxdt-rb-fake-lxd-")
    @path = File.join(@dir, "unix.socket")
    token = format("%06x", rand(0xffffff))
    @extra_attrs = { "shiny_#{token}" => 42, "another_#{token}" => "x" }
    @host_info = HOST_INFO.merge("api_extensions" => extensions)
    @server = UNIXServer.new(@path)
    @requests = 0
    @log = []
    @lock = Mutex.new
    @conns = []
    @thread = Thread.new { accept_loop }
  end

  def requests
    @lock.synchronize { @requests }
  end

  # Every request received so far, as [method, target, body] (the body
  # parsed; nil for none).
  def log
    @lock.synchronize { @log.dup }
  end

  def stop
    @server.close
    @thread.join
    @lock.synchronize { @conns.dup }.each do |t|
      t.kill
      t.join
    end
    FileUtils.rm_rf(@dir)
  end

  private

  def accept_loop
    loop do
      sock = @server.accept
      @lock.synchronize { @conns << Thread.new(sock) { |s| serve(s) } }
    end
  rescue IOError, Errno::EBADF
    nil
  end

  def serve(sock)
    while (line = sock.gets("\r\n"))
      method, target, = line.split
      length = 0
      while (h = sock.gets("\r\n")) && h != "\r\n"
        length = h.split(":", 2)[1].to_i if h.downcase.start_with?("content-length:")
      end
      sent = length.positive? ? sock.read(length) : nil
      @lock.synchronize do
        @requests += 1
        @log << [method, target, sent && (JSON.parse(sent) rescue sent)]
      end
      status, body = answer(method, target)
      sock.write("HTTP/1.1 #{status} X\r\nContent-Type: application/json\r\n" \
                 "Content-Length: #{body.bytesize}\r\nConnection: keep-alive\r\n\r\n#{body}")
    end
  rescue IOError, SystemCallError
    nil
  ensure
    sock.close
  end

  def sync(metadata)
    [200, JSON.generate("type" => "sync", "status" => "Success", "status_code" => 200,
                        "metadata" => metadata)]
  end

  def profile(name)
    { "name" => name, "description" => "", "config" => {}, "devices" => {}, "used_by" => [] }
      .merge(@extra_attrs)
  end

  def instance(name)
    { "architecture" => "x86_64", "config" => {}, "created_at" => "2024-01-01T00:00:00Z",
      "description" => "", "devices" => {}, "ephemeral" => false, "expanded_config" => {},
      "expanded_devices" => {}, "last_used_at" => "1970-01-01T00:00:00Z", "location" => "none",
      "name" => name, "profiles" => ["default"], "project" => "default", "stateful" => false,
      "status" => "Stopped", "status_code" => 102, "type" => "container" }.merge(@extra_attrs)
  end

  def operation(status, code)
    { "id" => OPERATION, "class" => "task", "description" => "fake", "created_at" => "2024-01-01T00:00:00Z",
      "updated_at" => "2024-01-01T00:00:00Z", "status" => status, "status_code" => code, "resources" => {},
      "metadata" => { "serverName" => "lxdt-fake-m2", "secret" => "lxdt-fake-secret" }, "may_cancel" => false,
      "err" => "", "location" => MEMBER }
  end

  # A cluster join token's operation, as LXD 5.0.2 runs it until the
  # token is used.
  def token_operation
    operation("Running", 103).merge(
      "class" => "token",
      "metadata" => { "serverName" => "lxdt-fake-m2", "secret" => "lxdt-fake-secret",
                      "fingerprint" => "lxdt-fake-fingerprint", "addresses" => ["192.0.2.1:8443"] }
    )
  end

  # An async answer: operation OPERATION (by default a task), running.
  def async(op = operation("Running", 103))
    [202, JSON.generate("type" => "async", "status" => "Operation created", "status_code" => 100,
                        "operation" => "/1.0/operations/#{OPERATION}", "metadata" => op)]
  end

  def member
    { "architecture" => "x86_64", "config" => {}, "database" => true, "description" => "",
      "failure_domain" => "default", "groups" => ["default"], "message" => "Fully operational",
      "roles" => ["database"], "server_name" => MEMBER, "status" => "Online", "url" => "https://192.0.2.1:8443" }
  end

  def answer(method, target)
    case [method, target]
    when ["PUT", "/1.0/cluster"], ["POST", "/1.0/cluster/members/#{MEMBER}/state"]
      return async
    when ["POST", "/1.0/cluster/members"]
      return async(token_operation)
    end
    return sync("method" => method) unless method == "GET"

    case target
    when "/1.0" then sync(@host_info)
    when "/1.0/cluster" then sync("enabled" => true, "server_name" => MEMBER, "member_config" => [])
    when "/1.0/cluster/members/#{MEMBER}" then sync(member)
    when %r{\A/1\.0/operations/#{OPERATION}/wait\?timeout=\d+\z} then sync(operation("Success", 200))
    when "/1.0/operations?recursion=1" then sync("running" => [token_operation])
    when "/1.0/profiles/p1" then sync(profile("p1"))
    when "/1.0/profiles?recursion=1" then sync([profile("p1"), profile("p2")])
    when "/1.0/instances/c1" then sync(instance("c1"))
    else
      [404, JSON.generate("type" => "error", "error" => "Not found (fake LXD)", "error_code" => 404,
                          "metadata" => nil)]
    end
  end
end
