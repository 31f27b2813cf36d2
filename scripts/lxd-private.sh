#!/usr/bin/env bash
# A private LXD daemon for the tests that crash, freeze or restart a daemon
# (tests/c/test_restart.c), so that the main daemon of scripts/lxd-env.sh,
# which other suites and people share, is never disturbed.
#
#   bash scripts/lxd-private.sh NAME [up]   start it if it does not answer,
#                                           initialise it, import the image
#   bash scripts/lxd-private.sh NAME start  only start it if it does not
#                                           answer and wait until it is ready
#                                           (what a test does after a crash)
#   bash scripts/lxd-private.sh NAME stop   stop its containers and the daemon
#   bash scripts/lxd-private.sh NAME pid    print the daemon's process id
#
# NAME is e.g. "restart-test". The daemon has its own state directory
# LXD_DIR=/var/lib/lxd-liblxd-NAME (socket $LXD_DIR/unix.socket), log
# /var/log/lxd-liblxd-NAME.log and HTTPS address on a loopback address of
# its own (restart-test: 127.0.0.21:8443; second, the other server of the
# copy and migration tests: 127.0.0.2:8443; others: set LXD_PRIVATE_HTTPS).
# Like the main daemon it has a "dir" pool "default", a default profile
# with a root disk only (no network) and the busybox image (alias
# "busybox", the tarball scripts/busybox-image.sh builds).
#
# Idempotent and quick when the daemon is up. Needs the packages
# scripts/lxd-env.sh installs (run that first on a fresh machine).
set -euo pipefail

say() { echo "lxd-private: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

NAME="${1:-}"
CMD="${2:-up}"
case "$NAME" in
    "" | -*) die "usage: $0 NAME [up|start|stop|pid]" ;;
    *[!a-z0-9-]*) die "NAME must be made of a-z, 0-9 and -" ;;
esac
case "$NAME" in
    restart-test) default_addr=127.0.0.21:8443 ;;
    second) default_addr=127.0.0.2:8443 ;;
    *) default_addr="" ;;
esac
HTTPS_ADDR="${LXD_PRIVATE_HTTPS:-$default_addr}"
[ -n "$HTTPS_ADDR" ] || die "no HTTPS address known for $NAME: set LXD_PRIVATE_HTTPS (a loopback address)"
case "$HTTPS_ADDR" in 127.*) ;; *) die "$HTTPS_ADDR is not a loopback address" ;; esac

export LXD_DIR="/var/lib/lxd-liblxd-$NAME"
LOG="/var/log/lxd-liblxd-$NAME.log"
SOCK="$LXD_DIR/unix.socket"
ALIAS=busybox
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# shellcheck source=scripts/busybox-image.sh
. "$(dirname "${BASH_SOURCE[0]}")/busybox-image.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
command -v lxd >/dev/null && command -v lxc >/dev/null && [ -x "$BUSYBOX" ] ||
    die "lxd, lxc or $BUSYBOX missing: run scripts/lxd-env.sh first"

# One caller at a time per daemon (fd 9; the daemon must not inherit it).
mkdir -p /run/lock
exec 9>"/run/lock/lxd-liblxd-$NAME.lock"
flock -w 600 9 || { echo "lxd-private: ERROR: another lxd-private.sh $NAME has held /run/lock/lxd-liblxd-$NAME.lock for 10 min" >&2; exit 1; }

# The daemon of our LXD_DIR: a process whose argv is "lxd" plus options
# (not "[lxc monitor]", "lxd forkexec ..." or "lxd waitready") with
# LXD_DIR=$LXD_DIR in its environment; zombies skipped. Empty if none.
daemon_pid() {
    local pid state argv dir
    for pid in $(pgrep -x lxd 2>/dev/null || true); do
        state="$( { awk '{print $3}' "/proc/$pid/stat"; } 2>/dev/null || true)"
        case "$state" in "" | Z | X) continue ;; esac
        argv="$( { tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 2 | tr '\n' ' '; } 2>/dev/null || true)"
        case "$argv" in lxd\ | lxd\ -* | */lxd\ | */lxd\ -*) ;; *) continue ;; esac
        dir="$( { tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^LXD_DIR=//p'; } 2>/dev/null || true)"
        if [ "$dir" = "$LXD_DIR" ]; then echo "$pid"; return 0; fi
    done
}

answers() {
    [ -S "$SOCK" ] && curl -fsS --max-time 3 --unix-socket "$SOCK" http://lxd/1.0 >/dev/null 2>&1
}

# Start the daemon unless it answers; wait until it is ready.
start_daemon() {
    answers && return 0
    getent group lxd >/dev/null || groupadd --system lxd
    local pid
    pid="$(daemon_pid)"
    if [ -n "$pid" ]; then
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] &&
            die "lxd for $LXD_DIR (pid $pid) is stopped (SIGSTOP); send it SIGCONT"
        say "lxd for $LXD_DIR already running as pid $pid, waiting for it ..."
    else
        say "starting lxd for $LXD_DIR (log: $LOG) ..."
        mkdir -p "$LXD_DIR" "$(dirname "$LOG")"
        chmod 711 "$LXD_DIR"
        ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
        # Fully detached, as scripts/lxd-env.sh starts the main daemon.
        # Its stderr (a Go panic lands there) goes next to the log.
        # In /: a daemon keeps its working folder, and LXD runs rsync and
        # other tools there (a deleted folder breaks every copy).
        (cd / && setsid -f lxd --group lxd --logfile "$LOG" </dev/null >>"$LOG.stderr" 2>&1 9>&-)
    fi
    lxd waitready --timeout 60 || die "lxd for $LXD_DIR did not become ready; see $LOG"
}

case "$CMD" in
    pid)
        pid="$(daemon_pid)"
        [ -n "$pid" ] || die "no lxd running for $LXD_DIR"
        echo "$pid"
        exit 0
        ;;
    start)
        start_daemon
        daemon_pid
        exit 0
        ;;
    stop)
        pid="$(daemon_pid)"
        if [ -z "$pid" ]; then
            say "no lxd running for $LXD_DIR"
            exit 0
        fi
        kill -CONT "$pid" 2>/dev/null || true
        # "lxd shutdown" stops the instances cleanly, then the daemon.
        if ! lxd shutdown --timeout 60 >/dev/null 2>&1; then
            say "lxd shutdown failed; sending SIGTERM to $pid"
            kill -TERM "$pid" 2>/dev/null || true
        fi
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            say "lxd $pid still running after 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped lxd for $LXD_DIR"
        exit 0
        ;;
    up) ;;
    *) die "unknown command $CMD (up, start, stop or pid)" ;;
esac

# -------------------------------------------------------------------- up
start_daemon

if ! lxc storage show default >/dev/null 2>&1; then
    say "lxd init --preseed ..."
    lxd init --preseed <<EOF
config:
  core.https_address: "$HTTPS_ADDR"
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  description: Default LXD profile (liblxd private test daemon $NAME)
  devices:
    root:
      type: disk
      path: /
      pool: default
EOF
fi
if [ "$(lxc profile device get default root pool 2>/dev/null || true)" != default ]; then
    lxc profile device remove default root >/dev/null 2>&1 || true
    lxc profile device add default root disk path=/ pool=default >/dev/null
fi
if [ "$(lxc config get core.https_address)" != "$HTTPS_ADDR" ]; then
    lxc config set core.https_address "$HTTPS_ADDR"
fi

if ! lxc image alias list --format csv 2>/dev/null | cut -d, -f1 | grep -qxF "$ALIAS"; then
    say "importing the $ALIAS image ..."
    busybox_image_import "$ALIAS"
elif [ "$(lxc image get-property "$ALIAS" liblxd.rev 2>/dev/null || true)" != "$IMAGE_REV" ]; then
    say "replacing the $ALIAS image (rev $IMAGE_REV) ..."
    old="$(lxc image info "$ALIAS" | sed -n 's/^Fingerprint: //p')"
    lxc image alias delete "$ALIAS" >/dev/null
    lxc image delete "$old" >/dev/null 2>&1 || true
    busybox_image_import "$ALIAS"
fi

echo "lxd-private: $NAME ready; LXD_DIR=$LXD_DIR socket=$SOCK https=$HTTPS_ADDR pid=$(daemon_pid) image=$ALIAS"
