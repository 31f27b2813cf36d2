#!/usr/bin/env bash
# The transport and save A/B: wall and client CPU per GET, and per round of
# get + set config + save(wait), of this tree's liblxd beside another
# commit's, over the unix socket and over HTTPS, in one run.
#
#   bash bench/run-transport.sh          # as root; BENCH_BASE=<commit> (default
#                                        # 5e866cf: the last with the hand-written
#                                        # HTTP code), BENCH_GETS=2000,
#                                        # BENCH_SAVES=30, BENCH_ROUNDS=5
#   BENCH_BASE=main bash bench/run-transport.sh   # what the model's save costs
#
# It builds BENCH_BASE's library in a git worktree under target/bench-base/,
# compiles bench/bench_liblxd.c once (the ABI of lxd_container_get and friends
# is the same in both), creates one stopped busybox container and a trusted
# client certificate (both removed on exit), then alternates base and current
# for BENCH_ROUNDS rounds per transport, each a fresh process that does
# BENCH_GETS gets after warm-up (its list part runs once, on the one
# container), then BENCH_SAVES rounds of lxd_container_get, lxd_obj_set of
# the config with user.bench changed, lxd_obj_save(wait) and lxd_obj_free
# (0 skips them). The table shows medians over the rounds. Prints figures
# only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BASE="${BENCH_BASE:-5e866cf}"
GETS="${BENCH_GETS:-2000}"
SAVES="${BENCH_SAVES:-30}"
ROUNDS="${BENCH_ROUNDS:-5}"
NAME="lxdt-bench-ab-$$"
. bench/common.sh

bash scripts/lxd-env.sh
bench_build_liblxd
WT="$ROOT/target/bench-base/wt"
if [ ! -d "$WT" ]; then
    mkdir -p "$ROOT/target/bench-base"
    git worktree add --detach "$WT" "$BASE" >/dev/null
fi
git -C "$WT" checkout -q --detach "$BASE"
say "building the base library ($BASE) ..."
(cd "$WT" && cargo build --release -q)
mkdir -p "$OUT/base-lib"
cp "$WT/target/release/liblxd.so" "$OUT/base-lib/liblxd.so.0"
gcc -O2 -Wall -Wextra -std=c11 -Iinclude bench/bench_liblxd.c -o "$OUT/bench_ab" -L"$OUT/lib" -l:liblxd.so.0

TMP="$(mktemp -d /tmp/lxdbench-ab.XXXXXX)"
cleanup() {
    lxc delete -f "$NAME" >/dev/null 2>&1 || true
    lxc config trust remove "${fp:-none}" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
lxc init busybox "$NAME" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
    -subj "/CN=$NAME" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
fp="$(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
lxc config trust add "$TMP/cert.pem" --name "$NAME" >/dev/null
HTTPS_OPTS="{\"cert\":\"$TMP/cert.pem\",\"key\":\"$TMP/key.pem\",\"server_cert\":\"${LXD_DIR:-/var/lib/lxd}/server.crt\"}"

# run LIBDIR TRANSPORT OUTFILE
run() {
    if [ "$2" = https ]; then
        BENCH_LXD_ENDPOINT=https://127.0.0.1:8443 BENCH_LXD_OPTIONS="$HTTPS_OPTS" \
            LD_LIBRARY_PATH="$1" "$OUT/bench_ab" "$NAME" "$NAME" "$GETS" 1 "$SAVES" >"$3"
    else
        LD_LIBRARY_PATH="$1" "$OUT/bench_ab" "$NAME" "$NAME" "$GETS" 1 "$SAVES" >"$3"
    fi
}
for r in $(seq 1 "$ROUNDS"); do
    for t in unix https; do
        run "$OUT/base-lib" "$t" "$TMP/base.$t.$r"
        run "$OUT/lib" "$t" "$TMP/cur.$t.$r"
    done
    say "round $r of $ROUNDS done"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
fig() { for r in $(seq 1 "$ROUNDS"); do awk -v k="$3" '$1==k {print $2}' "$TMP/$1.$2.$r"; done | median; }
echo
echo "liblxd per call, base $BASE ($(git -C "$WT" rev-parse --short HEAD)) vs current ($(bench_liblxd_source))"
echo "$GETS gets and $SAVES rounds of get + set config + save(wait) x $ROUNDS rounds, medians"
keys="get_wall_us get_wall_p50_us get_cpu_us"
if [ "$SAVES" -gt 0 ]; then keys="$keys save_wall_ms save_wall_p50_ms save_cpu_ms"; fi
keys="$keys peak_rss_kb"
printf '%-34s %10s %10s %8s\n' metric base current cur/base
for t in unix https; do
    for k in $keys; do
        b=$(fig base "$t" "$k"); c=$(fig cur "$t" "$k")
        printf '%-34s %10s %10s %8.3f\n' "$t: $k" "$b" "$c" "$(echo "$c / $b" | bc -l)"
    done
done
