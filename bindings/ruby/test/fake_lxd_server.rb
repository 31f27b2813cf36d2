# frozen_string_literal: true

require "socket"
require "json"
require "tmpdir"

# A FAKE LXD server, NOT LXD: a few canned HTTP/1.1 answers on a unix socket
# in a temporary folder, served by Ruby threads of the test process. The
# real LXD 5.0.2 never sends attributes that liblxd's schema lacks, so the
# warning tests need this to make liblxd see unknown attributes.
class FakeLXDServer
  HOST_INFO = {
    "api_extensions" => ["instances"], "api_status" => "stable", "api_version" => "1.0",
    "auth" => "trusted", "public" => false, "auth_methods" => ["tls"],
    "environment" => { "server_version" => "5.0.2" }
  }.freeze

  attr_reader :path, :extra_attrs

  # `extra_attrs`: the unknown attributes every profile and instance carries
  # (unique per server, since warnings are issued once per process).
  def initialize
    @dir = Dir.mktmpdir("lxdt-rb-fake-lxd-")
    @path = File.join(@dir, "unix.socket")
    token = format("%06x", rand(0xffffff))
    @extra_attrs = { "shiny_#{token}" => 42, "another_#{token}" => "x" }
    @server = UNIXServer.new(@path)
    @requests = 0
    @lock = Mutex.new
    @conns = []
    @thread = Thread.new { accept_loop }
  end

  def requests
    @lock.synchronize { @requests }
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
      sock.read(length) if length.positive?
      @lock.synchronize { @requests += 1 }
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

  def answer(method, target)
    return sync("method" => method) unless method == "GET"

    case target
    when "/1.0" then sync(HOST_INFO)
    when "/1.0/profiles/p1" then sync(profile("p1"))
    when "/1.0/profiles?recursion=1" then sync([profile("p1"), profile("p2")])
    when "/1.0/instances/c1" then sync(instance("c1"))
    else
      [404, JSON.generate("type" => "error", "error" => "Not found (fake LXD)", "error_code" => 404,
                          "metadata" => nil)]
    end
  end
end
