# frozen_string_literal: true

# The seed walk-through of liblxd's README, in Ruby: connect, get a
# container, read its config, update it, see it dirty, roll back, save with
# wait, stop it.
#
#   ruby -Ilib examples/walkthrough.rb NAME     # an existing container
#   ruby -Ilib examples/walkthrough.rb --create # makes lxdt-rb-walk-<pid>
#                                               # from image "busybox",
#                                               # and deletes it at the end

require "lxd"

create = ARGV.first == "--create"
name = create ? "lxdt-rb-walk-#{Process.pid}" : ARGV.first
abort "usage: walkthrough.rb NAME | --create" unless name

client = LXD::Client.new # the local unix socket
if create
  client.containers.create({ name: name, source: { type: "image", alias: "busybox" } }, wait: true)
  client.containers.get(name).start(wait: true)
end

begin
  # --- the quick-start (README.md) ---
  c = client.containers.get(name)
  puts "config: #{c.config}" # a Hash

  c.description = "my container" # not sent yet
  puts "dirty: #{c.dirty?}" # true
  c.rollback # back to the server's state
  puts "dirty after rollback: #{c.dirty?}" # false

  c.description = "my container"
  c.config = c.config.merge("user.walkthrough" => "yes")
  begin
    c.save(wait: true) # PUT with If-Match, waits
  rescue LXD::PreconditionFailed => e
    warn "changed on the server meanwhile: #{e.message}"
    raise
  end
  puts "description: #{c.description}"
  puts "saved user.walkthrough: #{c.config['user.walkthrough']}"

  c.stop(timeout: 30, wait: true) # clean stop, wait
  puts "status: #{c.status}"
  # --- end of the quick-start ---
rescue LXD::NotFound => e
  abort "#{e.message} (HTTP #{e.http_status})"
ensure
  if create
    begin
      client.containers.get(name).tap { |ct| ct.stop(force: true) if ct.status == "Running" }.delete(wait: true)
    rescue LXD::Error => e
      warn "cleanup: #{e.message}"
    end
  end
  client.close
end
