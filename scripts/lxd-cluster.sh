#!/usr/bin/env bash
# Real 3-member LXD clusters on this machine, for the cluster tests.
#
#   bash scripts/lxd-cluster.sh NAME up       bring cluster NAME up (idempotent:
#                                             quick when it already answers)
#   bash scripts/lxd-cluster.sh NAME down     stop every member (a fourth one a
#                                             test joined too) and delete their
#                                             state: the next "up" starts afresh
#   bash scripts/lxd-cluster.sh NAME pid N    member N's daemon process id
#   bash scripts/lxd-cluster.sh NAME start N  start member N again (after a test
#                                             killed it), wait until it is ready
#   bash scripts/lxd-cluster.sh NAME env      the settings below, as shell lines
#
# NAME is "cluster" (HTTPS on 127.0.0.1N:8443), which the cluster tests of
# C and the bindings share, or "failover" (127.0.0.3N:8443), whose members
# tests/c/test_failover.c kills and restarts: each suite that kills a
# daemon has its own.
#
# Member N (1..3; 4 is the spare a test joins and removes) is an LXD daemon
# of scripts/lxd-private.sh named NAME-N: LXD_DIR=/var/lib/lxd-liblxd-NAME-N,
# log /var/log/lxd-liblxd-NAME-N.log, named mN, HTTPS on its address above
# (loopback only). The members share a "dir" pool "local" (the default
# profile's root disk; no network) and the busybox image (alias "busybox").
# The cluster trusts one client certificate, made here:
#   $STATE/client.crt, $STATE/client.key   (STATE=/var/lib/lxd-liblxd-NAME)
# and serves the certificate to pin: $STATE/cluster.crt (every member's
# port 8443 serves it, not its own server.crt).
set -euo pipefail

say() { echo "lxd-cluster: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NAME="${1:-}"
case "$NAME" in
    cluster) NET=1 ;;
    failover) NET=3 ;;
    *) die "usage: $0 cluster|failover up|down|env|pid N|start N" ;;
esac
shift
STATE="/var/lib/lxd-liblxd-$NAME"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

member_dir() { echo "/var/lib/lxd-liblxd-$NAME-$1"; }
member_addr() { echo "127.0.0.$NET$1:8443"; }
private() { # N CMD (the lock's fd 8 closed: a daemon started must not hold it)
    LXD_PRIVATE_HTTPS="$(member_addr "$1")" bash "$HERE/lxd-private.sh" "$NAME-$1" "$2" 8>&-
}
on() { # N lxc ARGS...: lxc on member N's unix socket, for at most 2 min
    # (a member whose database has no leader answers nothing, forever)
    local n=$1
    shift
    LXD_DIR="$(member_dir "$n")" timeout -k 5 120 "$@"
}
clustered() { # N: member N answers and is a cluster member
    [ -S "$(member_dir "$1")/unix.socket" ] &&
        [ "$(on "$1" lxc query /1.0/cluster 2>/dev/null | jq -r .enabled 2>/dev/null)" = true ]
}
# Member N answers GET /1.0 within 5 s (a member without database quorum
# answers nothing).
answers() {
    [ -S "$(member_dir "$1")/unix.socket" ] &&
        curl -fsS --max-time 5 --unix-socket "$(member_dir "$1")/unix.socket" http://lxd/1.0 >/dev/null 2>&1
}
online_members() {
    answers 1 || return 0
    on 1 lxc query '/1.0/cluster/members?recursion=1' 2>/dev/null |
        jq -r '[.[] | select(.status == "Online") | .server_name] | sort | join(",")' 2>/dev/null || true
}

print_env() {
    echo "LIBLXD_CLUSTER_ENDPOINTS=https://$(member_addr 1),https://$(member_addr 2),https://$(member_addr 3)"
    echo "LIBLXD_CLUSTER_CERT=$STATE/cluster.crt"
    echo "LIBLXD_CLUSTER_CLIENT_CERT=$STATE/client.crt"
    echo "LIBLXD_CLUSTER_CLIENT_KEY=$STATE/client.key"
}

# Join member N (2, 3, …) to the cluster of member 1.
join() {
    local n=$1 token
    private "$n" start >/dev/null
    clustered "$n" && return 0
    token="$(on 1 lxc cluster add "m$n" --quiet)"
    say "joining m$n ..."
    on "$n" lxd init --preseed <<EOF
cluster:
  enabled: true
  server_name: m$n
  server_address: "$(member_addr "$n")"
  cluster_address: "$(member_addr 1)"
  cluster_certificate: "$(sed 's/$/\\n/' "$(member_dir 1)/cluster.crt" | tr -d '\n')"
  cluster_password: "$token"
  member_config:
  - entity: storage-pool
    name: local
    key: source
    value: ""
EOF
}

up() {
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    mkdir -p /run/lock "$STATE"
    exec 8>"/run/lock/lxd-liblxd-$NAME.lock"
    flock -w 600 8 || die "another 'lxd-cluster.sh $NAME' has held /run/lock/lxd-liblxd-$NAME.lock for 10 min"
    if [ "$(online_members)" = "m1,m2,m3" ] && [ -s "$STATE/client.crt" ]; then
        say "the cluster answers (m1, m2, m3 online)"
        return 0
    fi
    # What a killed run left (members stopped, a member missing): a member
    # started alone has no database quorum and never becomes ready, so the
    # old state is deleted and the cluster made afresh (it holds only test
    # objects).
    if compgen -G "/var/lib/lxd-liblxd-$NAME-[0-9]" >/dev/null; then
        say "the cluster does not answer with m1, m2, m3 online: deleting its state, starting afresh"
        down
        mkdir -p "$STATE"
    fi
    private 1 start >/dev/null
    if ! clustered 1; then
        say "m1: enabling clustering ..."
        on 1 lxd init --preseed <<EOF
config:
  core.https_address: "$(member_addr 1)"
cluster:
  server_name: m1
  enabled: true
EOF
    fi
    on 1 lxc storage show local >/dev/null 2>&1 || on 1 lxc storage create local dir >/dev/null
    if [ "$(on 1 lxc profile device get default root pool 2>/dev/null || true)" != local ]; then
        on 1 lxc profile device add default root disk path=/ pool=local >/dev/null
    fi
    join 2
    join 3
    # The members a crashed run left stopped (a test kills them).
    for n in 2 3; do private "$n" start >/dev/null; done
    cp "$(member_dir 1)/cluster.crt" "$STATE/cluster.crt"
    if [ ! -s "$STATE/client.crt" ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 30 \
            -subj /CN=liblxd-cluster-tests -keyout "$STATE/client.key" -out "$STATE/client.crt" \
            >/dev/null 2>&1
    fi
    local fp
    fp="$(openssl x509 -in "$STATE/client.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
    if ! on 1 lxc config trust list --format csv | grep -q "${fp:0:12}"; then
        on 1 lxc config trust add "$STATE/client.crt" --name liblxd-cluster-tests >/dev/null
    fi
    if ! on 1 lxc image alias list --format csv 2>/dev/null | cut -d, -f1 | grep -qxF busybox; then
        say "importing the busybox image ..."
        # shellcheck source=scripts/busybox-image.sh
        . "$HERE/busybox-image.sh"
        LXD_DIR="$(member_dir 1)" busybox_image_import busybox
    fi
    for _ in $(seq 60); do
        [ "$(online_members)" = "m1,m2,m3" ] && break
        sleep 1
    done
    [ "$(online_members)" = "m1,m2,m3" ] || die "members online: $(online_members) (want m1,m2,m3)"
    say "cluster ready: m1, m2, m3 on $(member_addr 1), $(member_addr 2), $(member_addr 3)"
}

down() {
    local n pid
    # The instances first (a running member stops them cluster-wide), then
    # the daemons: the state is deleted, so there is nothing to hand over.
    for n in 1 2 3 4; do
        if answers "$n" &&
            timeout 60 env LXD_DIR="$(member_dir "$n")" lxc stop --all --force >/dev/null 2>&1; then
            break
        fi
    done
    for n in 4 3 2 1; do
        [ -d "$(member_dir "$n")" ] || continue
        pid="$(private "$n" pid 2>/dev/null || true)"
        if [ -n "$pid" ]; then
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        # Instances' monitors and mounts that outlived the daemon.
        pkill -KILL -f "lxc monitor.*$(member_dir "$n")" 2>/dev/null || true
        { grep -o " $(member_dir "$n")/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$(member_dir "$n")"
    done
    rm -rf "$STATE"
    say "$NAME down, state removed"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    env) print_env ;;
    pid) private "${2:?member number}" pid ;;
    start) private "${2:?member number}" start ;;
    *) die "usage: $0 cluster|failover up|down|env|pid N|start N" ;;
esac
