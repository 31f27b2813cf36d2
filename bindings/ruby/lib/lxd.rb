# frozen_string_literal: true

# Ruby binding of liblxd, a client library for the LXD REST API, through
# the ffi gem. The library is found through `$LIBLXD_PATH`, else
# pkg-config (`liblxd`), else the dynamic loader's search path.
#
# @example
#   require "lxd"
#   client = LXD::Client.new
#   c = client.containers.get("c1")
#   c.description = "my container"
#   c.save(wait: true)
module LXD
end

require_relative "lxd/version"
require_relative "lxd/native"
require_relative "lxd/errors"
require_relative "lxd/plumbing"
require_relative "lxd/kinds"
require_relative "lxd/client"
require_relative "lxd/object"
require_relative "lxd/exec"
require_relative "lxd/files"
require_relative "lxd/events"
require_relative "lxd/warnings"
require_relative "lxd/actions"
require_relative "lxd/images"
require_relative "lxd/storage"
require_relative "lxd/cluster"
require_relative "lxd/generated"
