# frozen_string_literal: true

# Ruby side of the bindings benchmark (see bench/README.md, "Bindings"; run
# via bench/run-bindings.sh): bench/bindings/bench.c's workloads and output
# keys through the lxd-ffi gem.
#
#   ruby -I bindings/ruby/lib bench/bindings/bench.rb NAME GETS EXECS SAVES
#
#   get        client.containers.get(NAME) + obj.close
#   get_config the same + obj.config (a Hash, parsed from JSON) + close
#   exec       obj.execute(["true"]) (ExecResult: exit code, stdout, stderr)
#   set_save   obj.description = "..." + obj.save(wait: true)

require "lxd"

def now_mono = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def now_cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

def measure(key, warmup, n)
  warmup.times { yield }
  wall = Array.new(n)
  cpu0 = now_cpu
  w0 = now_mono
  n.times do |i|
    t = now_mono
    yield
    wall[i] = now_mono - t
  end
  w1 = now_mono
  cpu1 = now_cpu
  wall.sort!
  p50 = n.odd? ? wall[n / 2] : (wall[n / 2 - 1] + wall[n / 2]) / 2
  puts format("%s_n %d", key, n)
  puts format("%s_wall_ms %.3f", key, (w1 - w0) / n * 1e3)
  puts format("%s_wall_p50_ms %.3f", key, p50 * 1e3)
  puts format("%s_cpu_ms %.4f", key, (cpu1 - cpu0) / n * 1e3)
  $stdout.flush
end

abort "usage: #{$PROGRAM_NAME} NAME GETS EXECS SAVES" unless ARGV.size == 4
name = ARGV[0]
gets, execs, saves = ARGV[1..].map { Integer(_1) }
abort "bench.rb: counts must be >= 1" unless [gets, execs, saves].all?(&:positive?)

puts "impl ruby"
puts "version #{LXD.library_version}"
puts "ruby #{RUBY_VERSION}"
client = LXD::Client.new
inst = client.containers.get(name)
counter = 0

measure("get", 5, gets) { client.containers.get(name).close }
measure("get_config", 5, gets) do
  o = client.containers.get(name)
  raise "config is not a Hash" unless o.config.is_a?(Hash)

  o.close
end
measure("exec", 3, execs) do
  r = inst.execute(["true"])
  raise "exec [\"true\"] exited #{r.exit_code}" unless r.exit_code.zero?
end
measure("set_save", 3, saves) do
  inst.description = "lxdt-bench #{counter += 1}"
  inst.save(wait: true)
end

inst.close
client.close
# Ruby has no getrusage binding in core; /proc gives the same figure (VmHWM).
hwm = File.read("/proc/self/status")[/^VmHWM:\s+(\d+)/, 1]
puts "peak_rss_kb #{hwm}"
