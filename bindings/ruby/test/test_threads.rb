# frozen_string_literal: true

require_relative "helper"

# Threads: one client shared by 8 Ruby threads doing real work; the GVL is
# released during blocking calls; error details stay per thread; closing
# while another thread is inside a call is safe.
class TestThreads < LXDTest::Case
  def test_eight_threads_share_one_client
    box = LXDTest.box
    names = Array.new(8) { |i| unique("thr#{i}") }
    names.each { |n| cleanup("lxc profile delete #{n}") }
    errors = Queue.new
    threads = names.each_with_index.map do |name, i|
      Thread.new do
        p = client.profiles.create({ name: name, config: { "user.thread" => i.to_s } })
        5.times do |round|
          p.config = p.config.merge("user.round" => round.to_s)
          p.save
        end
        r = box.execute(["sh", "-c", "echo thread-#{i}"])
        errors << "exec #{i}: #{r.stdout.inspect}" unless r.stdout == "thread-#{i}\n"
        box.files.put("/tmp/lxdt-rb-thr-#{i}", "data #{i}")
        got = box.files.get("/tmp/lxdt-rb-thr-#{i}")
        errors << "file #{i}: #{got.inspect}" unless got == "data #{i}"
        missing = "#{name}-missing"
        begin
          client.profiles.get(missing)
          errors << "no NotFound for #{missing}"
        rescue LXD::NotFound => e
          # The error read on this thread is this thread's own.
          errors << "foreign error #{e.message}" unless e.message.include?(missing)
        end
        errors << "list #{i}" unless client.profiles.all.map(&:name).include?(name)
      rescue StandardError => e
        errors << "thread #{i}: #{e.class}: #{e.message}"
      end
    end
    threads.each(&:join)
    assert_empty Array.new(errors.size) { errors.pop }
    names.each_with_index do |name, i|
      assert_equal i.to_s, lxc("profile", "get", name, "user.thread")
      assert_equal "4", lxc("profile", "get", name, "user.round")
      assert_equal "data #{i}", lxc("exec", box.name, "--", "cat", "/tmp/lxdt-rb-thr-#{i}")
    end
    LXDTest.sh("lxc exec #{box.name} -- sh -c 'rm -f /tmp/lxdt-rb-thr-*'")
  end

  # Thread A runs a command that only ends once thread B has written a file
  # in the container, and B writes it only after it has seen that A's
  # command is running (so A is inside its exec call). If the exec held the
  # GVL, B could not run and A would end by its timeout, failing the test.
  def test_gvl_is_released_during_a_blocking_exec
    box = LXDTest.box
    dir = "/tmp/lxdt-rb-gvl-#{Process.pid}-#{rand(1 << 30)}"
    cleanup("lxc exec #{box.name} -- rm -rf #{dir}")
    box.files.mkdir(dir)
    progress = 0
    a = Thread.new do
      box.execute(["sh", "-c", "touch #{dir}/started; while [ ! -e #{dir}/go ]; do sleep 0.05; done; echo released"],
                  timeout: 60)
    end
    b = Thread.new do
      until box.execute(["test", "-e", "#{dir}/started"]).success?
        progress += 1
        sleep 0.05
      end
      progress += 1
      box.files.put("#{dir}/go", "")
    end
    b.join
    result = a.value
    assert_equal "released\n", result.stdout
    assert_operator progress, :>=, 1
  end

  # While one thread waits in EventStream#next (seen in its backtrace: it
  # is inside the C call), the main thread does pure-Ruby work and then
  # makes the event that ends the wait. Were the GVL held during the wait,
  # the main thread could not run until the wait timed out, and the waiter
  # would get nil.
  def test_gvl_is_released_while_waiting_for_an_event
    # A project of its own, so that no other activity on the daemon ends
    # the wait early.
    project = unique("gvlp")
    cleanup("lxc project delete #{project}")
    client.projects.create({ name: project, config: { "features.profiles" => "true" } })
    scoped = LXD::Client.new(nil, project: project)
    cleanup { scoped.close }
    name = unique("gvl-ev")
    cleanup("lxc profile delete #{name} --project #{project}")
    stream = scoped.events("lifecycle")
    cleanup { stream.close }
    waiter = Thread.new do
      found = nil
      until found
        e = stream.next(timeout: 20)
        break if e.nil?

        found = e if e.dig("metadata", "source") == "/1.0/profiles/#{name}?project=#{project}"
      end
      found
    end
    inside = eventually(tries: 400, pause: 0.05) do
      waiter.backtrace&.any? { |l| l.include?("lxd_events_next") }
    end
    assert inside, "the waiter never entered lxd_events_next"
    counter = 0
    counter += 1 while counter < 100_000 # pure Ruby work, needs the GVL
    scoped.profiles.create({ name: name })
    event = waiter.value
    refute_nil event, "the wait was not ended by the event made meanwhile"
    assert_equal project, event["project"]
    assert_equal 100_000, counter
  end

  def test_closing_an_object_while_another_thread_uses_it
    c = new_container("close", start: true)
    t = Thread.new { c.execute(%w[sleep 3]).exit_code }
    assert eventually { lxc("exec", c.name, "--", "ps").include?("sleep 3") }
    c.close # the C free is deferred until the call returns: no crash
    assert c.closed?
    assert_equal 0, t.value
    assert_raises(LXD::ClosedError) { c.execute(%w[true]) }
  end
end
