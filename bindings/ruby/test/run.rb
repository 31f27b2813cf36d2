# frozen_string_literal: true

# Runs the whole suite: ruby -Ilib -Itest test/run.rb [minitest options]
# (e.g. -n /exec/ to run some tests only). Needs a running LXD and liblxd
# (found through LIBLXD_PATH or pkg-config).

require_relative "helper"

Dir[File.join(__dir__, "test_*.rb")].sort.each { |f| require f }

ok = begin
  Minitest.run(ARGV)
ensure
  LXD::Listener.stop_all
  LXDTest.client.close if LXDTest.instance_variable_get(:@client)
end
exit(ok ? 0 : 1)
