# frozen_string_literal: true

require_relative "helper"

# Events from the real daemon: pulled streams and block listeners.
class TestEvents < LXDTest::Case
  # Read events until one matches; nil if none within `tries` reads.
  def next_matching(stream, timeout: 10, tries: 300)
    tries.times do
      event = stream.next(timeout: timeout)
      return nil if event.nil?
      return event if yield(event)
    end
    nil
  end

  def test_lifecycle_event_received
    client.events("lifecycle") do |stream|
      name = unique("evp")
      cleanup("lxc profile delete #{name}")
      lxc("profile", "create", name)
      event = next_matching(stream) { |e| e.dig("metadata", "source") == "/1.0/profiles/#{name}" }
      refute_nil event, "no lifecycle event for the profile's creation"
      assert_equal "lifecycle", event["type"]
      assert_equal "profile-created", event.dig("metadata", "action")
      assert_kind_of String, event["timestamp"]
    end
  end

  def test_types_as_array_and_each
    stream = client.events(%i[lifecycle operation])
    c = new_container("evc")
    c.start(wait: true)
    types = []
    stream.each(timeout: 5) do |e|
      types << e["type"]
      break if types.include?("lifecycle") && types.include?("operation")
    end
    assert_includes types, "lifecycle"
    assert_includes types, "operation"
    assert_empty types - %w[lifecycle operation]
    stream.close
    c.stop(force: true)
  end

  def test_quiet_stream_times_out_with_nil_and_stays_usable
    stream = client.events("lifecycle")
    cleanup { stream.close }
    # Earlier work may still trickle in; take it until a wait comes back empty.
    timed_out = 50.times.any? { stream.next(timeout: 0.2).nil? }
    assert timed_out
    name = unique("evq")
    cleanup("lxc profile delete #{name}")
    lxc("profile", "create", name)
    refute_nil(next_matching(stream) { |e| e.dig("metadata", "source") == "/1.0/profiles/#{name}" })
  end

  def test_close_and_bad_input
    stream = client.events
    stream.close
    stream.close
    assert stream.closed?
    assert_raises(LXD::ClosedError) { stream.next(timeout: 0) }
    assert_raises(LXD::InvalidArgument) { client.events("life\0cycle") }
    assert_raises(LXD::InvalidArgument) { client.events("lifecycle").next(timeout: -1) }
    assert_raises(LXD::InvalidArgument) { client.listen("lifecycle") }
  end

  def test_listener_runs_the_block_on_another_thread_and_stops
    heard = Queue.new
    name = unique("evl")
    cleanup("lxc profile delete #{name}; lxc profile delete #{name}-2")
    listener = client.listen("lifecycle") { |e| heard << [Thread.current, e] }
    assert listener.active?
    lxc("profile", "create", name)
    thread = nil
    found = 300.times.any? do
      t, e = pop_within(heard, 10)
      break false if e.nil?

      thread = t
      e.dig("metadata", "source") == "/1.0/profiles/#{name}"
    end
    assert found, "the listener did not report the profile's creation"
    refute_same Thread.current, thread
    listener.stop
    listener.stop
    refute listener.active?
    # After stop, no block runs any more: a marker seen by a pulled stream
    # opened afterwards proves events still flow.
    heard.clear
    probe = client.events("lifecycle")
    lxc("profile", "create", "#{name}-2")
    refute_nil(next_matching(probe) { |e| e.dig("metadata", "source") == "/1.0/profiles/#{name}-2" })
    probe.close
    assert heard.empty?, "#{heard.size} events after stop"
  end

  def test_exception_in_the_listener_block_stops_it_and_is_reraised_by_stop
    calls = Queue.new
    listener = client.listen("lifecycle") do |_e|
      calls << 1
      raise KeyError, "listener failed"
    end
    name = unique("evx")
    cleanup("lxc profile delete #{name}; lxc profile delete #{name}-b")
    lxc("profile", "create", name)
    refute_nil pop_within(calls, 20), "no event reached the listener"
    probe = client.events("lifecycle")
    lxc("profile", "create", "#{name}-b")
    refute_nil(next_matching(probe) { |e| e.dig("metadata", "source") == "/1.0/profiles/#{name}-b" })
    probe.close
    assert_equal 0, calls.size, "the block ran again after raising"
    refute listener.active?
    assert_instance_of KeyError, listener.error
    e = assert_raises(KeyError) { listener.stop }
    assert_equal "listener failed", e.message
    listener.stop # idempotent, raises only once
  end

  def test_listener_stopping_from_inside_its_block
    seen = Queue.new
    listener = nil
    listener = client.listen("lifecycle") do |e|
      seen << e
      listener.stop
    end
    name = unique("evi")
    cleanup("for i in 1 2 3; do lxc profile delete #{name}-$i; done")
    3.times { |i| lxc("profile", "create", "#{name}-#{i + 1}") }
    refute_nil pop_within(seen, 20)
    probe = client.events("lifecycle")
    lxc("profile", "set", "#{name}-1", "user.x", "1")
    refute_nil(next_matching(probe) { |e| e.dig("metadata", "source") == "/1.0/profiles/#{name}-1" })
    probe.close
    assert_equal 0, seen.size, "blocks ran after stop from inside"
    listener.stop
  end
end
