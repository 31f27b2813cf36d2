#!/usr/bin/env bash
# liblxd vs pylxd benchmark against the local LXD daemon: one command,
#
#   bash bench/run.sh
#
# 1. makes sure LXD is up (scripts/lxd-env.sh), builds liblxd and the C bench
#    program, and a Python venv at bench/.venv with pylxd from PyPI;
# 2. creates BENCH_N stopped busybox containers lxdbench-1..N (existing ones
#    are kept) and deletes them all again on exit, failure or Ctrl-C included;
# 3. runs bench/bench_liblxd.c and bench/bench_pylxd.py on the same workloads
#    (alternating, BENCH_ROUNDS times) and prints a table: both sides
#    (medians over the rounds), the ratio liblxd/pylxd and the target.
# It prints figures only; no assertion, the exit status says whether it ran.
#
# Knobs: BENCH_N (30 containers), BENCH_GETS (300), BENCH_LISTS (20),
# BENCH_SAVES (30 rounds of get + set config + save, liblxd only; 0 skips),
# BENCH_ROUNDS (3 alternating rounds; the table shows medians).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
N="${BENCH_N:-30}"
GETS="${BENCH_GETS:-300}"
LISTS="${BENCH_LISTS:-20}"
SAVES="${BENCH_SAVES:-30}"
ROUNDS="${BENCH_ROUNDS:-3}"
PREFIX=lxdbench-
# PYLXD_VERSION, VENV, OUT, PATH, say and the build/venv steps:
. bench/common.sh

# ------------------------------------------------------------- 1. prepare
bash scripts/lxd-env.sh

bench_build_liblxd
bench_build_c bench_liblxd
bench_ensure_venv

# ---------------------------------------------------------- 2. containers
names=()
for i in $(seq 1 "$N"); do names+=("$PREFIX$i"); done

job=""  # pid of the running bench program, if any
cleanup() {
    local rc=$? existing
    trap - EXIT INT TERM
    if [ -n "$job" ]; then kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; fi
    existing="$(lxc list --format csv -c n 2>/dev/null | grep -xE "${PREFIX}[0-9]+" | awk -F- -v n="$N" '$2 <= n' || true)"
    if [ -n "$existing" ]; then
        say "deleting $(echo "$existing" | wc -l) ${PREFIX}* containers ..."
        # shellcheck disable=SC2086
        echo "$existing" | xargs -r -P 4 -n 8 lxc delete --force >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

have="$(lxc list --format csv -c n | grep -xE "${PREFIX}[0-9]+" || true)"
missing=()
for n in "${names[@]}"; do
    grep -qxF "$n" <<<"$have" || missing+=("$n")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "creating ${#missing[@]} busybox containers (${PREFIX}1..$N, not started) ..."
    # lxc init's "no network attached" notice is noise here; show output only on failure.
    printf '%s\n' "${missing[@]}" | xargs -P 4 -I{} sh -c \
        'out="$(lxc init busybox "$1" 2>&1)" || { echo "$out" >&2; exit 255; }' _ {}
fi

# ------------------------------------------------------------------ 3. run
GET_NAME="${PREFIX}1"
# Each side runs as a background job that we wait for, so that a TERM/INT sent
# to this script alone is acted on at once (cleanup stops the job first).
run() { "$@" & job=$!; wait "$job"; job=""; }
# The two sides alternate for ROUNDS rounds, so a change in the daemon's load
# during the run (e.g. tests on the same daemon) hits both alike; the table
# shows each figure's median over the rounds (peak RSS: the maximum).
rm -f "$OUT"/liblxd.*.txt "$OUT"/pylxd.*.txt
for r in $(seq 1 "$ROUNDS"); do
    say "round $r/$ROUNDS: liblxd, then pylxd: $GETS gets of $GET_NAME, $LISTS lists of $N ..."
    run "$OUT/bench_liblxd" "$GET_NAME" "$PREFIX" "$GETS" "$LISTS" "$SAVES" >"$OUT/liblxd.$r.txt"
    run "$VENV/bin/python" bench/bench_pylxd.py "$GET_NAME" "$PREFIX" "$GETS" "$LISTS" >"$OUT/pylxd.$r.txt"
done

lxd_ver="$(lxc version 2>/dev/null | sed -n 's/^Server version: *//p')"
# val IMPL KEY: the median over the rounds (max for peak_rss_kb; text as is).
val() {
    awk -v k="$2" '$1 == k { print $2 }' "$OUT/$1".*.txt | sort -g | awk -v k="$2" '
        { v[NR] = $1 }
        END { if (NR == 0) exit; if (k == "peak_rss_kb") print v[NR]; else print v[int((NR + 1) / 2)] }'
}

echo
echo "liblxd $(val liblxd version) (C, gcc -O2)  vs  pylxd $(val pylxd version) (Python $(val pylxd python))"
echo "LXD $lxd_ver at $(val pylxd endpoint); $(nproc) CPUs; $(uname -sr)"
echo "median of $ROUNDS rounds, each: (A) $GETS x containers.get(\"$GET_NAME\")    (B) $LISTS x containers.all() + config of each of $(val liblxd list_configs_read) instances ($(val liblxd list_instances) listed)"
if [ "$SAVES" -gt 0 ]; then
    echo "    (C) $SAVES x get + set config + save(wait) of \"$GET_NAME\" (liblxd only)"
fi
echo
fmt='%-38s %10s %10s %13s  %s\n'
printf "$fmt" metric liblxd pylxd liblxd/pylxd target
row() { # label key target
    local a b
    a="$(val liblxd "$2")"; b="$(val pylxd "$2")"
    printf "$fmt" "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" "$3"
}
row "get: wall per call, mean (us)" get_wall_us "<= 0.7"
row "get: wall per call, median (us)" get_wall_p50_us "-"
row "get: client CPU per call (us)" get_cpu_us "<= 0.1"
row "list+config: wall per list (ms)" list_wall_ms "<= 0.1 (>= 10x faster)"
row "list+config: client CPU per list (ms)" list_cpu_ms "-"
if [ "$SAVES" -gt 0 ]; then
    # pylxd's program has no save workload: its column says n/a.
    printf "$fmt" "get+set+save: wall per round (ms)" "$(val liblxd save_wall_ms)" n/a - -
    printf "$fmt" "get+set+save: client CPU per round (ms)" "$(val liblxd save_cpu_ms)" n/a - -
fi
row "peak RSS of the process (KiB)" peak_rss_kb "-"
awk -v a="$(val liblxd list_wall_ms)" -v b="$(val pylxd list_wall_ms)" \
    'BEGIN { if (a > 0) printf "\nlist+config speed-up: %.1fx (target >= 10x)\n", b / a }'
echo "raw figures per round: $OUT/{liblxd,pylxd}.N.txt"
