# frozen_string_literal: true

module LXD
  # The version of this gem (it follows liblxd's).
  VERSION = "0.1.0"
end
