# frozen_string_literal: true

require_relative "helper"

# HTTPS clients against the real daemon at 127.0.0.1:8443, with client
# certificates made for the test (one trusted through `lxc config trust
# add`, one not), pinning LXD's self-signed server certificate.
class TestHTTPS < LXDTest::Case
  ENDPOINT = "https://127.0.0.1:8443"
  SERVER_CERT = "/var/lib/lxd/server.crt"

  def make_cert(dir, name)
    ok = system("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "#{dir}/#{name}.key", "-out", "#{dir}/#{name}.crt", "-days", "1",
                "-subj", "/CN=lxdt-rb", %i[out err] => File::NULL)
    assert ok, "openssl could not make a certificate"
    fp, = Open3.capture2("openssl", "x509", "-in", "#{dir}/#{name}.crt", "-noout", "-fingerprint", "-sha256")
    fp.split("=", 2).last.delete(":").strip.downcase
  end

  def setup
    super
    @dir = Dir.mktmpdir("lxdt-rb-tls-")
    cleanup { FileUtils.rm_rf(@dir) }
  end

  def test_trusted_client_certificate
    fp = make_cert(@dir, "client")
    cleanup("lxc config trust remove #{fp}")
    lxc("config", "trust", "add", "#{@dir}/client.crt", "--name", unique("trust"))
    c = LXD::Client.new(ENDPOINT, cert: "#{@dir}/client.crt", key: "#{@dir}/client.key",
                                  server_cert: SERVER_CERT, timeout: 30)
    cleanup { c.close }
    assert c.trusted?
    assert_equal "trusted", c.host_info["auth"]
    assert_equal "5.0.2", c.host_info.dig("environment", "server_version")
    c.authenticate("anything: already trusted") # nothing is sent
    # Real work over HTTPS: a profile round trip and an exec.
    p = c.profiles.create({ name: unique("tlsp"), config: { "user.tls" => "yes" } })
    cleanup("lxc profile delete #{p.name}")
    assert_equal "yes", lxc("profile", "get", p.name, "user.tls")
    p.delete
    refute lxc_ok?("profile", "show", p.name)
    box = c.containers.get(LXDTest.box.name)
    assert_equal "over tls\n", box.execute(["echo", "over tls"]).stdout
    assert_equal 404, assert_raises(LXD::NotFound) { c.api(:get, "/1.0/instances/#{unique('x')}") }.http_status
    # The certificate is on the server's list, under its fingerprint.
    assert c.certificates.exists?(fp)
  end

  def test_untrusted_client_and_authenticate
    make_cert(@dir, "untrusted")
    c = LXD::Client.new(ENDPOINT, cert: "#{@dir}/untrusted.crt", key: "#{@dir}/untrusted.key",
                                  server_cert: SERVER_CERT)
    cleanup { c.close }
    refute c.trusted?
    assert_equal "untrusted", c.host_info["auth"]
    e = assert_raises(LXD::Forbidden) { c.authenticate("lxdt-rb-not-the-password") }
    refute_empty e.message
    refute c.trusted?
    assert_raises(LXD::Forbidden) { c.containers.all }
    # The unix client is trusted already: nothing to do.
    client.authenticate("pw")
    # No client certificate: cannot authenticate.
    anon = LXD::Client.new(ENDPOINT, verify: false)
    cleanup { anon.close }
    assert_raises(LXD::InvalidArgument) { anon.authenticate("pw") }
    assert_raises(LXD::InvalidArgument) { anon.authenticate(nil) }
  end

  def test_tls_errors
    # LXD's certificate is self-signed: verification against the system's
    # roots fails.
    e = assert_raises(LXD::TLSError) { LXD::Client.new(ENDPOINT) }
    refute_empty e.message
    make_cert(@dir, "other")
    # Pinning a different certificate fails too.
    assert_raises(LXD::TLSError) { LXD::Client.new(ENDPOINT, server_cert: "#{@dir}/other.crt") }
    assert_raises(LXD::TLSError) do
      LXD::Client.new(ENDPOINT, cert: "#{@dir}/missing.crt", key: "#{@dir}/missing.key", server_cert: SERVER_CERT)
    end
  end
end
