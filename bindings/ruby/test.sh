#!/usr/bin/env bash
# Builds the gem and runs the Ruby binding's whole test suite against the
# real LXD daemon. Finds the installed liblxd through pkg-config (after the
# default `make install` as it is; set PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
# for another prefix) or LIBLXD_PATH. The last line is "<N> passed, <M> failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# The gem must build offline.
build_dir=$(mktemp -d /tmp/lxdt-rb-gem-XXXXXX)
trap 'rm -rf "$build_dir"' EXIT
gem build lxd-ffi.gemspec --output "$build_dir/lxd-ffi.gem" >"$build_dir/build.log" 2>&1 || {
    cat "$build_dir/build.log" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# Syntax and warnings of every file.
for f in lib/lxd.rb lib/lxd/*.rb examples/*.rb test/*.rb; do
    ruby -wc "$f" >/dev/null
done

# Objects already on the daemon before this run are not this run's.
# Images count by their description (the suite's images carry their test's
# name there) and by their aliases; the second server (copies and moves)
# and the cluster too.
SECOND_DIR=/var/lib/lxd-liblxd-second
on_server() { lxc list --format csv -c n; lxc profile list --format csv | cut -d, -f1;
    lxc config trust list --format csv | cut -d, -f2; lxc image alias list --format csv | cut -d, -f1;
    lxc image list --format csv -c d | tr -d '"';
    lxc storage volume list default --format csv | cut -d, -f2; lxc network acl list --format csv | cut -d, -f1;
    lxc network zone list --format csv | cut -d, -f1; lxc project list --format csv | cut -d, -f1 | sed 's/ (current)//';
    lxc config trust list-tokens --format csv | cut -d, -f1; lxc cluster list-tokens --format csv | cut -d, -f1; }
# The "cluster" cluster of scripts/lxd-cluster.sh too (test_cluster_real.rb), seen from m1.
CLUSTER_DIR=/var/lib/lxd-liblxd-cluster-1
ours() { { on_server; [ -S "$SECOND_DIR/unix.socket" ] && LXD_DIR=$SECOND_DIR on_server | sed 's/$/ (second server)/';
    [ -S "$CLUSTER_DIR/unix.socket" ] && LXD_DIR=$CLUSTER_DIR on_server | sed 's/$/ (cluster)/';
    } 2>/dev/null | grep '^lxdt-rb-' | sort -u || true; }
ours >"$build_dir/before.txt"

status=0
ruby -w -Ilib -Itest test/run.rb "$@" 2>&1 | tee "$build_dir/run.log" || status=$?
summary=$(tail -n 1 "$build_dir/run.log")

# Nothing this run created may remain.
ours >"$build_dir/after.txt"
left=$(comm -13 "$build_dir/before.txt" "$build_dir/after.txt")
if [ -n "$left" ]; then
    echo "objects left behind: $left" >&2
    status=1
fi
if ! [[ "$summary" =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
    echo "the suite did not finish" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "$status" -ne 0 ]; then
    # Repeat the summary so that it stays the last line.
    echo "$summary"
fi
exit "$status"
