#!/usr/bin/env bash
# Images and migration: liblxd (bench/bench_images.c) beside the `lxc`
# command on the same operations, in interleaved rounds (the order flips
# every round), against the main daemon and the second one
# (scripts/lxd-private.sh second).
#
#   bash bench/run-images.sh   # as root; BENCH_IMAGE_MB=64 BENCH_BIG_MB=256 BENCH_ROUNDS=3
#
# - upload: a unified image tarball of BENCH_IMAGE_MB MiB (busybox plus a
#   file of random bytes; an uncompressed tar, so the bytes moved are the
#   size) — lxd_image_upload(wait) vs `lxc image import`; the image is
#   deleted after each.
# - export: that image — lxd_image_export vs `lxc image export`.
# - copy: a stopped container holding a BENCH_IMAGE_MB MiB file, to the
#   second server in pull, push and relay mode — lxd_instance_copy_to(wait)
#   vs `lxc copy --mode …` (lxc reaches the second server as a remote
#   added for the run with a trust token, removed at the end).
# - memory: liblxd's peak RSS uploading and exporting a BENCH_BIG_MB MiB
#   image, beside the BENCH_IMAGE_MB one (flat: it streams).
# The table shows medians over the rounds: wall ms per operation and the
# process's peak RSS. Prints figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MB="${BENCH_IMAGE_MB:-64}"
BIG="${BENCH_BIG_MB:-256}"
ROUNDS="${BENCH_ROUNDS:-3}"
SECOND_DIR=/var/lib/lxd-liblxd-second
TAG="lxdt-bench-img-$$"
. bench/common.sh

bash scripts/lxd-env.sh >/dev/null
bash scripts/lxd-private.sh second >/dev/null
bench_build_liblxd
bench_build_c bench_images
B="$OUT/bench_images"

TMP="$(mktemp -d /tmp/lxdbench-img.XXXXXX)"
cleanup() {
    set +e
    for m in pull push relay; do
        for w in lib lxc; do LXD_DIR=$SECOND_DIR lxc delete -f "$TAG-$m-$w" >/dev/null 2>&1; done
    done
    lxc delete -f "$TAG-src" >/dev/null 2>&1
    for f in "$TMP"/*.fp; do [ -f "$f" ] && lxc image delete "$(cat "$f")" >/dev/null 2>&1; done
    lxc remote remove "$TAG" >/dev/null 2>&1
    for fp in $(LXD_DIR=$SECOND_DIR lxc config trust list --format csv | awk -F, -v n="$TAG" '$2==n {print $4}'); do
        LXD_DIR=$SECOND_DIR lxc config trust remove "$fp" >/dev/null 2>&1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# make_image MB FILE: busybox plus MB MiB of random bytes, as a plain tar.
make_image() {
    local d="$TMP/build-$1" tb
    tb="$(ls -t /var/cache/liblxd/busybox-rev*.tar.gz | head -n 1)"
    mkdir -p "$d"
    tar -xzf "$tb" -C "$d"
    head -c "$(($1 * 1024 * 1024))" /dev/urandom >"$d/rootfs/bench.bin"
    echo "$TAG-$1" >"$d/rootfs/lxdt-id"
    tar --numeric-owner -C "$d" -cf "$2" metadata.yaml rootfs
    rm -rf "$d"
}
say "making the ${MB} MiB and ${BIG} MiB images ..."
make_image "$MB" "$TMP/img.tar"
make_image "$BIG" "$TMP/big.tar"
FP="$(sha256sum "$TMP/img.tar" | cut -d' ' -f1)"
echo "$FP" >"$TMP/img.fp"
sha256sum "$TMP/big.tar" | cut -d' ' -f1 >"$TMP/big.fp"

say "preparing the source container and the lxc remote ..."
lxc init busybox "$TAG-src" >/dev/null
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$TMP/payload"
lxc file push -q "$TMP/payload" "$TAG-src/bench.bin"
token="$(LXD_DIR=$SECOND_DIR lxc config trust add --name "$TAG" --quiet | tail -n 1)"
lxc remote add "$TAG" "$token" >/dev/null

# one OUTFILE COMMAND...: run once, append its key/value lines.
one() { local out=$1; shift; "$@" >>"$out"; }
lib_upload() { one "$1" "$B" upload "$TMP/img.tar"; lxc image delete "$FP"; }
lxc_upload() { one "$1" "$B" spawn upload -- lxc image import "$TMP/img.tar"; lxc image delete "$FP"; }
lib_export() { rm -rf "$TMP/exp" && mkdir "$TMP/exp" && one "$1" "$B" export "$FP" "$TMP/exp"; }
lxc_export() { rm -rf "$TMP/exp" && mkdir "$TMP/exp" && one "$1" "$B" spawn export -- lxc image export "$FP" "$TMP/exp/img"; }
lib_copy() { # OUT MODE
    one "$1" "$B" copy "$TAG-src" "$2" "$TAG-$2-lib" "$SECOND_DIR/unix.socket"
    sed -i "s/^copy_wall_ms/copy_$2_wall_ms/; s/^peak_rss_kb/copy_$2_rss_kb/" "$1"
    LXD_DIR=$SECOND_DIR lxc delete -f "$TAG-$2-lib" >/dev/null
}
lxc_copy() {
    one "$1" "$B" spawn "copy_$2" -- lxc copy "$TAG-src" "$TAG:$TAG-$2-lxc" --mode "$2"
    LXD_DIR=$SECOND_DIR lxc delete -f "$TAG-$2-lxc" >/dev/null
}

for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="lib lxc"; else order="lxc lib"; fi
    for w in $order; do
        out="$TMP/$w.$r"
        : >"$out"
        "${w}_upload" "$out"
        sed -i 's/^peak_rss_kb/upload_rss_kb/' "$out"
    done
    # The export needs the image: uploaded once per round, untimed.
    lxc image import "$TMP/img.tar" >/dev/null
    for w in $order; do
        tmpout="$TMP/$w.$r.exp"
        : >"$tmpout"
        "${w}_export" "$tmpout"
        sed 's/^peak_rss_kb/export_rss_kb/' "$tmpout" >>"$TMP/$w.$r"
        cmp -s "$TMP/exp/"* "$TMP/img.tar" || { say "export differs from the tarball"; exit 1; }
    done
    lxc image delete "$FP"
    for m in pull push relay; do
        for w in $order; do
            tmpout="$TMP/$w.$r.copy"
            : >"$tmpout"
            "${w}_copy" "$tmpout" "$m"
            cat "$tmpout" >>"$TMP/$w.$r"
        done
    done
    say "round $r of $ROUNDS done"
done

# Memory: the big image, liblxd only, once.
"$B" upload "$TMP/big.tar" | sed 's/^/big_/' >"$TMP/big.out"
mkdir -p "$TMP/bigexp"
"$B" export "$(cat "$TMP/big.fp")" "$TMP/bigexp" | sed 's/^/big_/' >>"$TMP/big.out"
lxc image delete "$(cat "$TMP/big.fp")"

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
fig() { for r in $(seq 1 "$ROUNDS"); do awk -v k="$2" '$1==k {print $2}' "$TMP/$1.$r"; done | median; }
echo
echo "images and migration, ${MB} MiB, liblxd ($(bench_liblxd_source)) vs lxc, $ROUNDS rounds, medians"
printf '%-28s %10s %10s %9s\n' metric liblxd lxc lib/lxc
for k in upload_wall_ms upload_rss_kb export_wall_ms export_rss_kb \
    copy_pull_wall_ms copy_pull_rss_kb copy_push_wall_ms copy_push_rss_kb copy_relay_wall_ms copy_relay_rss_kb; do
    l=$(fig lib "$k"); x=$(fig lxc "$k")
    printf '%-28s %10s %10s %9.3f\n' "$k" "$l" "$x" "$(echo "$l / $x" | bc -l)"
done
echo
echo "liblxd peak RSS (KiB): ${MB} MiB image upload $(fig lib upload_rss_kb), export $(fig lib export_rss_kb);" \
    "${BIG} MiB image upload $(awk '$1=="big_peak_rss_kb"{print $2; exit}' "$TMP/big.out")," \
    "export $(awk '$1=="big_peak_rss_kb"{v=$2} END{print v}' "$TMP/big.out")"

# For bench/run-all.sh: every round's figures as JSON lines (its table).
if [ -n "${BENCH_IMAGES_JSONL:-}" ]; then
    : >"$BENCH_IMAGES_JSONL"
    for r in $(seq 1 "$ROUNDS"); do
        for w in lib lxc; do
            for k in upload export copy_pull copy_push copy_relay; do
                ms=$(awk -v k="${k}_wall_ms" '$1==k {print $2}' "$TMP/$w.$r")
                kb=$(awk -v k="${k}_rss_kb" '$1==k {print $2}' "$TMP/$w.$r")
                [ -n "$ms" ] || continue
                printf '{"client":"%s","workload":"image_%s","n":1,"wall_s":%s,"lat_ms":[%s],"peak_rss_kb":%s,"round":%d,"mode":"images"}\n' \
                    "$([ $w = lib ] && echo liblxd || echo lxc)" "$k" "$(awk -v m="$ms" 'BEGIN {printf "%.6f", m / 1000}')" "$ms" "${kb:-null}" "$r" >>"$BENCH_IMAGES_JSONL"
            done
        done
    done
fi
