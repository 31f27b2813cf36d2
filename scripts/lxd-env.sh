#!/usr/bin/env bash
# Prepare a local LXD 5.0.x daemon (Debian 12 "lxd" package) for liblxd's
# integration tests, without systemd and without internet access.
#
# Idempotent: on a machine where everything is already set up it only checks
# and prints a one-line summary (well under a second).
#
#   1. installs lxd, lxd-client, iptables, busybox-static via apt if missing
#   2. starts the daemon in the background (detached) if it does not answer
#   3. initialises it: "dir" pool "default", default profile with a root disk
#      only (no NIC), core.https_address=127.0.0.1:8443
#   4. builds a tiny busybox image offline (scripts/busybox-image.sh; the
#      tarball is kept in /var/cache/liblxd/) and imports it as alias "busybox"
#   5. prints: LXD version, socket path, image fingerprint
#
# Environment knobs:
#   LXD_DIR           daemon state dir        (default /var/lib/lxd)
#   LXD_ENV_LOG       daemon log file         (default /var/log/lxd-liblxd.log)
#   LXD_ENV_HTTPS     core.https_address      (default 127.0.0.1:8443)
#   LXD_ENV_ALIAS     image alias             (default busybox)
set -euo pipefail

export LXD_DIR="${LXD_DIR:-/var/lib/lxd}"
LOG="${LXD_ENV_LOG:-/var/log/lxd-liblxd.log}"
HTTPS_ADDR="${LXD_ENV_HTTPS:-127.0.0.1:8443}"
ALIAS="${LXD_ENV_ALIAS:-busybox}"
SOCK="$LXD_DIR/unix.socket"
# IMAGE_REV, BUSYBOX and busybox_image_tarball: the test image.
# shellcheck source=scripts/busybox-image.sh
. "$(dirname "${BASH_SOURCE[0]}")/busybox-image.sh"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

say() { echo "lxd-env: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

# ---------------------------------------------------------------- 1. packages
pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
need_pkgs=()
for p in lxd lxd-client iptables busybox-static; do
    pkg_installed "$p" || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ] || ! command -v lxd >/dev/null || ! command -v lxc >/dev/null; then
    say "installing ${need_pkgs[*]:-lxd lxd-client} ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq lxd lxd-client iptables busybox-static >/dev/null
fi
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing after installing busybox-static"

# ------------------------------------------------------------------ 2. daemon
# Answering = the REST API on the unix socket returns 200 for GET /1.0.
lxd_answers() {
    [ -S "$SOCK" ] || return 1
    if command -v curl >/dev/null; then
        curl -fsS --max-time 3 --unix-socket "$SOCK" http://lxd/1.0 >/dev/null 2>&1
    else
        lxd waitready --timeout 1 >/dev/null 2>&1
    fi
}

if ! lxd_answers; then
    getent group lxd >/dev/null || groupadd --system lxd
    # Is a daemon for our LXD_DIR already there (e.g. still starting up)?
    # Then just wait for it.  Skip zombies, "[lxc monitor]" processes (their
    # comm is "lxd" too) and "lxd fork*"/"lxd waitready" helpers: the
    # daemon's argv[0] is lxd and argv[1] is empty or an option.
    running=""
    for pid in $(pgrep -x lxd 2>/dev/null || true); do
        state="$( { awk '{print $3}' "/proc/$pid/stat"; } 2>/dev/null || true)"
        case "$state" in "" | Z | X) continue ;; esac
        argv="$( { tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 2 | tr '\n' ' '; } 2>/dev/null || true)"
        # "lxd --group lxd ..." yes; "[lxc monitor] ...", "lxd forkexec ..." no
        case "$argv" in lxd\ | lxd\ -* | */lxd\ | */lxd\ -*) ;; *) continue ;; esac
        dir="$( { tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^LXD_DIR=//p'; } 2>/dev/null || true)"
        [ "${dir:-/var/lib/lxd}" = "$LXD_DIR" ] && running="$pid"
    done
    if [ -z "$running" ]; then
        say "starting lxd (log: $LOG) ..."
        mkdir -p "$(dirname "$LOG")"
        ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
        # Fully detached: new session, no inherited stdio, so neither this
        # script nor a CI process-group wait hangs on the daemon.
        # Its stderr (a Go panic lands there) goes next to the log.
        # In /: a daemon keeps its working folder, and LXD runs rsync and
        # other tools there (a deleted folder breaks every copy).
        (cd / && setsid -f lxd --group lxd --logfile "$LOG" </dev/null >>"$LOG.stderr" 2>&1)
    else
        say "lxd already running as pid $running, waiting for it ..."
    fi
    lxd waitready --timeout 60 || die "lxd did not become ready; see $LOG"
fi

# -------------------------------------------------------------- 3. lxd init
pool_ok=0; root_ok=0
lxc storage show default >/dev/null 2>&1 && pool_ok=1
[ "$(lxc profile device get default root pool 2>/dev/null || true)" = default ] && root_ok=1
if [ "$pool_ok" = 0 ]; then
    say "lxd init --preseed ..."
    lxd init --preseed <<EOF
config:
  core.https_address: "$HTTPS_ADDR"
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  description: Default LXD profile (liblxd tests)
  devices:
    root:
      type: disk
      path: /
      pool: default
EOF
elif [ "$root_ok" = 0 ]; then
    say "adding root disk to default profile ..."
    lxc profile device remove default root >/dev/null 2>&1 || true
    lxc profile device add default root disk path=/ pool=default >/dev/null
fi
if [ "$(lxc config get core.https_address)" != "$HTTPS_ADDR" ]; then
    say "setting core.https_address=$HTTPS_ADDR"
    lxc config set core.https_address "$HTTPS_ADDR"
fi

# ----------------------------------------------------------- 4. busybox image
image_fp() {
    lxc image list --format csv -c lF 2>/dev/null | awk -F, -v a="$ALIAS" '
        { n = split($1, al, /[ \n]+/); for (i = 1; i <= n; i++) if (al[i] == a) { print $2; exit } }'
}

have_alias=0; old_fp=""
if lxc image alias list --format csv 2>/dev/null | cut -d, -f1 | grep -qxF "$ALIAS"; then
    have_alias=1
    if [ "$(lxc image get-property "$ALIAS" liblxd.rev 2>/dev/null || true)" != "$IMAGE_REV" ]; then
        old_fp="$(image_fp)"
    fi
fi
if [ "$have_alias" = 0 ] || [ -n "$old_fp" ]; then
    say "building $ALIAS image (rev $IMAGE_REV) ..."
    if [ -n "$old_fp" ]; then
        lxc image alias delete "$ALIAS" >/dev/null
        lxc image delete "$old_fp" >/dev/null 2>&1 || true
    fi
    busybox_image_import "$ALIAS"
fi

# --------------------------------------------------------------- 5. summary
ver="$(lxc version 2>/dev/null | sed -n 's/^Server version: *//p')"
echo "lxd-env: LXD ${ver:-?} ready; socket=$SOCK https=$HTTPS_ADDR image=$ALIAS fingerprint=$(image_fp)"
