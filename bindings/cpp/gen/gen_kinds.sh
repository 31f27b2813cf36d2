#!/usr/bin/env bash
# Write lxd_kinds.hpp from liblxd's own table of kinds:
#
#   bash bindings/cpp/gen/gen_kinds.sh OUT     (e.g. bindings/cpp/lxd_kinds.hpp)
#
# Builds gen_kinds.cpp against the liblxd that pkg-config finds (as
# bindings/cpp/test.sh does: PKG_CONFIG_PATH and LD_LIBRARY_PATH point at
# the installed copy) and runs it; OUT is replaced only when generation
# succeeded. test.sh runs this into a temporary file and fails when the
# committed lxd_kinds.hpp differs.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CXX=${CXX:-g++}
read -r -a LXD_CFLAGS <<<"$(pkg-config --cflags liblxd)"
read -r -a LXD_LIBS <<<"$(pkg-config --libs liblxd)"
tmp=$(mktemp -d /tmp/lxdt-cpp-gen-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$CXX" -std=c++17 -O1 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wold-style-cast \
    "${LXD_CFLAGS[@]}" "$here/gen_kinds.cpp" -o "$tmp/gen_kinds" "${LXD_LIBS[@]}"
"$tmp/gen_kinds" >"$tmp/lxd_kinds.hpp"
mv "$tmp/lxd_kinds.hpp" "$out"
