# frozen_string_literal: true

require_relative "helper"
require_relative "fake_lxd_server"

# Unknown-attribute warnings reaching Ruby blocks. These talk to
# FakeLXDServer (a FAKE LXD, see fake_lxd_server.rb): the real LXD 5.0.2
# never sends attributes that liblxd does not know.
class TestWarnings < LXDTest::Case
  def setup
    super
    @fake = FakeLXDServer.new
    @fake_client = LXD::Client.new(@fake.path)
    @warnings = Queue.new
    LXD.on_warning { |klass, attr, message| @warnings << [klass, attr, message, Thread.current] }
  end

  def teardown
    LXD.warning_mode = :once
    LXD.on_warning(nil)
    @fake_client.close
    @fake.stop
    super
  end

  def drain
    list = []
    list << @warnings.pop until @warnings.empty?
    list
  end

  def test_once_per_class_and_attribute_on_the_calling_thread
    LXD.warning_mode = :once
    assert_equal :once, LXD.warning_mode
    2.times { @fake_client.profiles.get("p1") }
    @fake_client.profiles.all
    got = drain
    assert_equal @fake.extra_attrs.keys.sort, got.map { |w| w[1] }.sort
    got.each do |klass, attr, message, thread|
      assert_equal "Profile", klass
      assert_equal %(Attempted to set unknown attribute "#{attr}" on instance of "Profile"), message
      assert_same Thread.current, thread
    end
    # Another class warns for the same attributes again, once.
    @fake_client.instances.get("c1")
    @fake_client.instances.get("c1")
    assert_equal ["Instance"] * 2, drain.map(&:first)
  end

  def test_always_and_none
    LXD.warning_mode = :always
    2.times { @fake_client.profiles.get("p1") }
    @fake_client.profiles.all # two profiles
    assert_equal 4 * @fake.extra_attrs.size, drain.size
    LXD.warning_mode = :none
    @fake_client.profiles.get("p1")
    @fake_client.profiles.all
    assert_empty drain
    assert_raises(LXD::InvalidArgument) { LXD.warning_mode = :sometimes }
  end

  def test_unknown_attribute_is_readable_but_not_settable
    LXD.warning_mode = :none
    p1 = @fake_client.profiles.get("p1")
    attr = @fake.extra_attrs.keys.first
    assert_equal 42, p1[attr]
    assert_equal 42, p1.public_send(attr)
    assert p1.respond_to?(attr)
    assert_includes p1.attribute_names, attr
    assert_raises(LXD::UnknownAttribute) { p1[attr] = 1 }
    assert_raises(NoMethodError) { p1.public_send("#{attr}=", 1) }
  end

  def test_exception_in_the_block_is_reraised_by_the_call
    LXD.warning_mode = :always
    LXD.on_warning { |_klass, attr| raise IndexError, "warned about #{attr}" }
    e = assert_raises(IndexError) { @fake_client.profiles.get("p1") }
    assert_match(/warned about /, e.message)
    # The next call is not affected by the earlier exception.
    LXD.on_warning { |*w| @warnings << w }
    refute_nil @fake_client.profiles.get("p1")
    assert_equal 2, drain.size
  end

  def test_without_a_block_warnings_go_to_stderr
    lib = File.expand_path("../lib", __dir__)
    code = <<~RUBY
      require "lxd"
      LXD.on_warning { |*| abort "the block must be gone" }
      LXD.on_warning(nil)
      c = LXD::Client.new(ARGV[0])
      c.profiles.get("p1")
      puts "done"
    RUBY
    out, err, st = Open3.capture3(RbConfig.ruby, "-I#{lib}", "-e", code, @fake.path)
    assert st.success?, err
    assert_equal "done\n", out
    @fake.extra_attrs.each_key do |attr|
      assert_includes err, %(Attempted to set unknown attribute "#{attr}" on instance of "Profile")
    end
  end

  def test_fake_server_errors_map_to_exceptions
    e = assert_raises(LXD::NotFound) { @fake_client.profiles.get("nope") }
    assert_equal "Not found (fake LXD)", e.message.split(": ").last
    assert_equal 404, e.http_status
  end
end
