# Sourced by scripts/lxd-env.sh and scripts/lxd-private.sh: the tiny
# busybox container image of liblxd's tests, built offline from
# /bin/busybox (busybox-static) and kept as a tarball under
# /var/cache/liblxd/, so that every daemon of the tests can import the same
# file (same fingerprint) without building it again.
#
#   IMAGE_REV                 the image's revision (image property liblxd.rev)
#   busybox_image_tarball     prints the tarball's path, building it if missing
#
# Environment knob: LIBLXD_IMAGE_CACHE (default /var/cache/liblxd).

# Bump when the image content below changes: an existing image with another
# revision is then rebuilt and its alias moved to the new one.
IMAGE_REV=2
BUSYBOX=/bin/busybox

busybox_image_arch() {
    case "$(uname -m)" in
        x86_64 | amd64) echo x86_64 ;;
        i?86) echo i686 ;;
        aarch64 | arm64) echo aarch64 ;;
        armv7* | armv8l | armhf) echo armv7l ;;
        armv6*) echo armv6l ;;
        ppc64le) echo ppc64le ;;
        s390x) echo s390x ;;
        riscv64) echo riscv64 ;;
        *) uname -m ;;
    esac
}

# The path of the image tarball for this revision, busybox version and
# architecture; built first when it is not in the cache. The build goes to
# a temporary file renamed into place, so concurrent callers never see half
# a tarball.
busybox_image_tarball() {
    local arch bbver cache out
    arch="$(busybox_image_arch)"
    bbver="$("$BUSYBOX" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')"
    cache="${LIBLXD_IMAGE_CACHE:-/var/cache/liblxd}"
    out="$cache/busybox-rev$IMAGE_REV-${bbver:-unknown}-$arch.tar.gz"
    if [ ! -s "$out" ]; then
        mkdir -p "$cache"
        (busybox_image_build "$arch" "${bbver:-unknown}" "$out")
    fi
    echo "$out"
}

# Build the image into $3 (runs in a subshell: its trap is its own).
busybox_image_build() {
    local arch=$1 bbver=$2 out=$3 tmp r now
    tmp="$(mktemp -d /tmp/lxd-env-image.XXXXXX)"
    # shellcheck disable=SC2064 # expanded now: the subshell's locals are gone at exit
    trap "rm -rf '$tmp'" EXIT
    r="$tmp/rootfs"
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc/init.d,tmp,proc,sys,dev,root,var/log,var/tmp,run,mnt,home}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    chmod 700 "$r/root"
    cp "$BUSYBOX" "$r/bin/busybox"
    chmod 755 "$r/bin/busybox"
    # Every applet in its canonical dir (bin, sbin, usr/bin, usr/sbin) ...
    "$BUSYBOX" --list-full | while read -r p; do
        case "$p" in linuxrc | */init) continue ;; esac
        [ -e "$r/$p" ] || [ -L "$r/$p" ] || ln -s /bin/busybox "$r/$p"
    done
    # ... and additionally in /bin, so /bin/<applet> always works.
    "$BUSYBOX" --list | while read -r a; do
        case "$a" in linuxrc | init) continue ;; esac
        [ -e "$r/bin/$a" ] || [ -L "$r/bin/$a" ] || ln -s /bin/busybox "$r/bin/$a"
    done
    # PID 1 is a tiny ash script, not busybox init: busybox init's halt path
    # sleeps ~2.5 s (TERM all, sleep 1, KILL all, sleep 1), which makes every
    # "lxc stop" slow.  A clean LXD stop (PUT state action=stop, no force)
    # makes liblxc send lxc.signal.halt = SIGPWR to PID 1; busybox's
    # halt/poweroff/reboot applets send USR1/USR2/TERM.  On those we give the
    # other processes 0.1 s, then call reboot(2) ("poweroff -f"/"reboot -f"),
    # which inside a PID namespace ends the container as halted (SIGINT) or
    # rebooted (SIGHUP; LXC then starts it again).
    cat >"$r/sbin/init" <<'EOF'
#!/bin/sh
# PID 1 of the liblxd busybox test image (built by scripts/lxd-env.sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -x /etc/init.d/rcS ] && /etc/init.d/rcS
_down() { kill -TERM -1 2>/dev/null; sleep 0.1; "$1" -f; exit 0; }
trap '_down poweroff' PWR USR1 USR2
trap '_down reboot' TERM INT
trap '' HUP
while :; do
    sleep 86400 &
    wait $!
done
EOF
    chmod 755 "$r/sbin/init"
    cat >"$r/etc/init.d/rcS" <<'EOF'
#!/bin/sh
mkdir -p /run /var/run /tmp
EOF
    chmod 755 "$r/etc/init.d/rcS"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    printf 'root::0:0:99999:7:::\n' >"$r/etc/shadow"; chmod 600 "$r/etc/shadow"
    echo busybox >"$r/etc/hostname"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"
    printf 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n' >"$r/etc/profile"
    now="$(date +%s)"
    cat >"$tmp/metadata.yaml" <<EOF
architecture: $arch
creation_date: $now
properties:
  architecture: $arch
  description: BusyBox $bbver ($arch), liblxd test image
  name: busybox-$bbver-$arch-$now
  os: busybox
  release: "$bbver"
  variant: liblxd-test
  liblxd.rev: "$IMAGE_REV"
templates: {}
EOF
    tar --numeric-owner --owner=0 --group=0 -C "$tmp" -czf "$tmp/busybox.tar.gz" metadata.yaml rootfs
    mv "$tmp/busybox.tar.gz" "$out.tmp.$$"
    mv -f "$out.tmp.$$" "$out"
}

# Import the tarball into the daemon of $LXD_DIR under alias $1 (which must
# not exist). The image may be there already without the alias (same
# tarball, so same fingerprint): then only the alias is added.
busybox_image_import() {
    local alias=$1 tarball fp
    tarball="$(busybox_image_tarball)"
    fp="$(sha256sum "$tarball" | cut -d' ' -f1)"
    if lxc image info "$fp" >/dev/null 2>&1; then
        lxc image alias create "$alias" "$fp" >/dev/null
    else
        lxc image import "$tarball" --alias "$alias" >/dev/null
    fi
}
