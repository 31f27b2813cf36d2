# frozen_string_literal: true

require_relative "lib/lxd/version"

Gem::Specification.new do |spec|
  spec.name = "lxd-ffi"
  spec.version = LXD::VERSION
  spec.summary = "Ruby binding of liblxd, a client library for the LXD REST API"
  spec.description = <<~DESC
    LXD::Client and friends wrap liblxd's C ABI through the ffi gem: managers for every
    kind of LXD object, attributes as Ruby methods, ETag-safe saves, exec, files,
    events and warnings. liblxd itself is found through LIBLXD_PATH or pkg-config.
  DESC
  spec.authors = ["liblxd authors"]
  spec.homepage = "https://canonical.com/lxd"
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb"] + Dir["examples/*.rb"] + ["README.md", "lxd-ffi.gemspec"]
  spec.require_paths = ["lib"]
  spec.add_runtime_dependency "ffi", ">= 1.15", "< 2"
  spec.add_development_dependency "minitest", "~> 5.15"
  spec.requirements << "liblxd (make install; found through pkg-config or LIBLXD_PATH)"
  spec.metadata["rubygems_mfa_required"] = "true"
end
