# frozen_string_literal: true

# The quick-start of README.md, as a program (the test suite checks that
# the two are the same code): connect, get a container, read its config,
# change its description, see it dirty, roll back, save with wait, and stop
# the container unless it is stopped already. The saved description ("my
# container") and the stop are its only changes.
#
#   ruby -Ilib examples/walkthrough.rb NAME     # an existing container (default: c1)

require "lxd"

name = ARGV.fetch(0, "c1")                     # an existing container
client = LXD::Client.new                       # local unix socket
begin
  c = client.containers.get(name)
rescue LXD::NotFound => e
  abort e.message                              # "GET /1.0/instances/c1: Instance not found"
end
puts "config: #{c.config}"                     # a Hash

c.description = "my container"                 # not sent yet
puts "dirty: #{c.dirty?}"                      # true
c.rollback                                     # back to the server's state
puts "dirty after rollback: #{c.dirty?}"       # false

c.description = "my container"
begin
  c.save(wait: true)                           # PUT with If-Match, waits
rescue LXD::PreconditionFailed => e            # someone changed it meanwhile
  abort e.message
end
puts "description: #{c.description}"

if c.status == "Stopped"                       # stopping it again would raise
  puts "already stopped"
else
  c.stop(timeout: 30, wait: true)              # clean stop, wait
  puts "status: #{c.status}"                   # Stopped
end
client.close
