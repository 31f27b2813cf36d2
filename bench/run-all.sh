#!/usr/bin/env bash
# The one bench command (bench/README.md, "One bench command"), as root:
#
#   bash bench/run-all.sh            # or: make bench
#
# Runs the same workloads with five clients against the local LXD — liblxd
# (bench/bench_all.c), LXD's official Go client (../shared/bench-anchors/
# go-official, built outside ../shared), pylxd 2.4.2
# (bench/bench_all_pylxd.py), the lxc command (bench/bench_all_lxc.py) and
# the raw floor (bench/bench_floor.c: a keep-alive HTTP loop and bare
# websocket handshakes) — in interleaved rounds whose order rotates, then
# liblxd at scale (bench/bench_scale.c) and the images part
# (bench/run-images.sh), and prints one table of medians and ratios
# (bench/report.py), with a PNG of the per-call latencies.
#
# Output: target/bench/all/ (results.jsonl: every line of every round;
# table.md; latency.png). Nothing is asserted; the exit status says whether
# everything ran and every check (byte-identical files, exit codes, values
# read back) passed.
#
# Knobs: BENCH_ANCHORS (the folder holding go-official/),
# BENCH_ROUNDS (5), BENCH_CLIENTS ("liblxd go pylxd lxc floor"),
# BENCH_HTTPS (1: also get and exec over HTTPS), BENCH_SCALE (1),
# BENCH_IMAGES (1), N_GET (300) N_LIST (30) N_EXEC (30) N_SET (30)
# FILE_MB (32) N_LIFE (10) LIFE_THREADS (4, the threaded lifecycle);
# the lxc command is run with fewer calls (LXC_N_GET 30, LXC_N_EXEC 10,
# LXC_N_SET 10, LXC_N_LIFE 4: it starts a process per call; the table is
# per call); scale: N_SCALE (1000), N_OPS (200), THREADS (16),
# N_THREAD_GETS (10000).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
. bench/common.sh
BENCH_TAG=bench-all
ROUNDS="${BENCH_ROUNDS:-5}"
CLIENTS="${BENCH_CLIENTS:-liblxd go pylxd lxc floor}"
HTTPS="${BENCH_HTTPS:-1}"
SCALE="${BENCH_SCALE:-1}"
IMAGES="${BENCH_IMAGES:-1}"
export N_GET="${N_GET:-300}" N_LIST="${N_LIST:-30}" N_EXEC="${N_EXEC:-30}" N_SET="${N_SET:-30}"
export FILE_MB="${FILE_MB:-32}" N_LIFE="${N_LIFE:-10}"
THREADS_LIFE="${LIFE_THREADS:-4}"
PREFIX=bench-all-
SCALE_PREFIX=bench-scale-
A="$OUT/all"
# The Go client's harness: BENCH_ANCHORS, else ../shared/bench-anchors
# beside this tree, else beside the repository a clone was made from.
ANCHOR=""
origin="$(git config --get remote.origin.url 2>/dev/null || true)"
for d in "${BENCH_ANCHORS:-}" "$ROOT/../shared/bench-anchors" "${origin:+$origin/../shared/bench-anchors}"; do
    if [ -n "$d" ] && [ -f "$d/go-official/run.sh" ]; then ANCHOR="$(cd "$d/go-official" && pwd)"; break; fi
done
has() { [[ " $CLIENTS " == *" $1 "* ]]; }

# ------------------------------------------------------------- 1. prepare
bash scripts/lxd-env.sh >/dev/null
bench_build_liblxd
mkdir -p "$A"
bench_build_c bench_all -lpthread
bench_build_c bench_scale -lpthread
if has floor; then
    gcc -O2 -Wall -Wextra -std=gnu11 bench/bench_floor.c -o "$OUT/bench_floor" -lssl -lcrypto -lpthread
fi
GO_BIN="$OUT/go-official/bench-go-official"
if has go; then
    if [ -n "$ANCHOR" ]; then
        say "building LXD's Go client harness (once; into $OUT/go-official) ..."
        BENCH_BUILD_DIR="$OUT/go-official" BENCH_BUILD_ONLY=1 bash "$ANCHOR/run.sh" 2>&1 | tail -n 1 >&2
    else
        say "no ../shared/bench-anchors/go-official (set BENCH_ANCHORS): the Go client's column stays empty"
        CLIENTS="${CLIENTS/go/}"
    fi
fi
bench_ensure_venv
"$VENV/bin/python" -c 'import matplotlib' 2>/dev/null ||
    { say "installing matplotlib into $VENV (for the plot) ..."; "$VENV/bin/pip" install -q --disable-pip-version-check matplotlib; }

# ---------------------------------------------------------- 2. fixtures
TMP="$(mktemp -d /tmp/bench-all.XXXXXX)"
export BENCH_TMP="$TMP" BENCH_PREFIX="$PREFIX"
trust_fp=""; job=""
ours() {
    lxc list --format csv -c n 2>/dev/null | grep -E "^(${PREFIX}|${SCALE_PREFIX})" || true
}
cleanup() {
    local rc=$? existing
    trap - EXIT INT TERM
    if [ -n "$job" ]; then kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; fi
    existing="$(ours)"
    if [ -n "$existing" ]; then
        say "deleting $(echo "$existing" | wc -l) bench instances ..."
        echo "$existing" | xargs -r -P 4 -n 16 lxc delete --force >/dev/null 2>&1 || true
    fi
    [ -n "$trust_fp" ] && { lxc config trust remove "$trust_fp" >/dev/null 2>&1 || true; }
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

old="$(ours)"
[ -z "$old" ] || echo "$old" | xargs -r -P 4 -n 16 lxc delete --force >/dev/null
say "fixtures: ${PREFIX}base (running), ${PREFIX}l0..l$((N_LIST - 1)) (stopped), a ${FILE_MB} MiB file ..."
lxc launch busybox "${PREFIX}base" >/dev/null
seq 0 $((N_LIST - 1)) | xargs -P 4 -I{} sh -c \
    'out="$(lxc init busybox "$1" 2>&1)" || { echo "$out" >&2; exit 255; }' _ "${PREFIX}l{}"
head -c "$((FILE_MB << 20))" /dev/urandom >"$TMP/src.bin"
if [ "$HTTPS" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
        -subj "/CN=${PREFIX}$$" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
    lxc config trust add "$TMP/cert.pem" --name "${PREFIX}$$" >/dev/null
    trust_fp="$(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
    HTTPS_ENV=(BENCH_HTTPS=1 BENCH_HTTPS_URL=https://127.0.0.1:8443 BENCH_TLS_CERT="$TMP/cert.pem"
        BENCH_TLS_KEY="$TMP/key.pem" BENCH_TLS_SERVER_CERT="${LXD_DIR:-/var/lib/lxd}/server.crt")
fi

# ------------------------------------------------------------------ 3. rounds
RES="$A/results.jsonl"
: >"$RES"
# tag ROUND MODE: add "round" and "mode" to the JSON lines on stdin
tag() { python3 -c '
import json, sys
for l in sys.stdin:
    l = l.strip()
    if not l.startswith("{"): continue
    d = json.loads(l); d["round"] = int(sys.argv[1]); d["mode"] = sys.argv[2]
    print(json.dumps(d))' "$1" "$2"; }
# run ROUND MODE CLIENT [ENV...]: one client program, one process
run() {
    local r=$1 mode=$2 c=$3 rc=0
    shift 3
    local envs=("$@") cmd
    case $c in
        liblxd) cmd=("$OUT/bench_all") ;;
        floor) cmd=("$OUT/bench_floor") ;;
        pylxd) cmd=("$VENV/bin/python" bench/bench_all_pylxd.py) ;;
        lxc) cmd=(python3 bench/bench_all_lxc.py)
            envs+=(N_GET="${LXC_N_GET:-30}" N_EXEC="${LXC_N_EXEC:-10}" N_SET="${LXC_N_SET:-10}" N_LIFE="${LXC_N_LIFE:-4}") ;;
        go) cmd=("$GO_BIN") ;;
    esac
    env "${envs[@]}" timeout 900 "${cmd[@]}" >"$TMP/out.jsonl" 2>"$TMP/err" & job=$!
    wait "$job" || rc=$?; job=""
    tag "$r" "$mode" <"$TMP/out.jsonl" >>"$RES"
    if [ "$rc" != 0 ]; then say "$c ($mode, round $r) FAILED (exit $rc):"; tail -n 5 "$TMP/err" >&2; FAILED=1; fi
}
# The Go harness has no threads of its own: LIFE_THREADS processes run side
# by side, each with its share of the lifecycles (merged by report.py).
run_go_threads() {
    local r=$1 t n pids=() rc=0
    for t in $(seq 0 $((THREADS_LIFE - 1))); do
        n=$(((N_LIFE - t + THREADS_LIFE - 1) / THREADS_LIFE))
        BENCH_PREFIX="${PREFIX}go-t$t-" N_GET=0 N_LIST=0 N_EXEC=0 N_SET=0 FILE_MB=0 N_LIFE=$n \
            timeout 900 "$GO_BIN" >"$TMP/go-t$t.jsonl" 2>"$TMP/go-t$t.err" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=$?; done
    cat "$TMP"/go-t*.jsonl | sed 's/"lifecycle x[0-9]*"/"lifecycle_threadpart"/' | tag "$r" unix >>"$RES"
    if [ "$rc" != 0 ]; then say "go (lifecycle, $THREADS_LIFE processes, round $r) FAILED"; cat "$TMP"/go-t*.err >&2; FAILED=1; fi
}

FAILED=0
read -r -a order <<<"$CLIENTS"
NO_LIFE=(N_LIFE=0)
for r in $(seq 1 "$ROUNDS"); do
    say "round $r of $ROUNDS (order: ${order[*]}) ..."
    for c in "${order[@]}"; do
        run "$r" unix "$c" LIFE_THREADS=1
        if [ "$HTTPS" = 1 ] && [ "$c" != lxc ]; then
            run "$r" https "$c" "${HTTPS_ENV[@]}" N_LIST=0 N_SET=0 FILE_MB=0 "${NO_LIFE[@]}" \
                BENCH_WORKLOADS=get_instance,exec_true
        fi
        if [ "$THREADS_LIFE" -gt 1 ]; then
            if [ "$c" = go ]; then run_go_threads "$r"; else
                run "$r" unix "$c" LIFE_THREADS="$THREADS_LIFE" N_GET=0 N_LIST=0 N_EXEC=0 N_SET=0 FILE_MB=0 \
                    BENCH_WORKLOADS="lifecycle_${THREADS_LIFE}threads"
            fi
        fi
    done
    order=("${order[@]:1}" "${order[0]}") # rotate
done

# ------------------------------------------------------------------ 4. scale
if [ "$SCALE" = 1 ]; then
    S=(env BENCH_PREFIX="$SCALE_PREFIX" BENCH_BASE="${PREFIX}base")
    say "scale: ${N_SCALE:-1000} instances created in batches of ${N_OPS:-200} operations ..."
    "${S[@]}" "$OUT/bench_scale" ops | tag 1 unix >>"$RES" || FAILED=1
    say "scale: listing them all (liblxd, floor, go) ..."
    "${S[@]}" "$OUT/bench_scale" list | tag 1 unix >>"$RES" || FAILED=1
    if has floor; then run 1 scale floor N_GET=0 N_EXEC=0 N_SET=0 FILE_MB=0 N_LIFE=0; fi
    if has go; then run 1 scale go N_GET=0 N_EXEC=0 N_SET=0 FILE_MB=0 N_LIFE=0; fi
    run 1 scale liblxd N_GET=0 N_EXEC=0 N_SET=0 FILE_MB=0 N_LIFE=0
    say "scale: ${THREADS:-16} threads x ${N_THREAD_GETS:-10000} gets on one client ..."
    "${S[@]}" "$OUT/bench_scale" threads | tag 1 unix >>"$RES" || FAILED=1
    say "scale: deleting them in batches ..."
    "${S[@]}" "$OUT/bench_scale" delete | tag 1 unix >>"$RES" || FAILED=1
fi

# ------------------------------------------------------------------ 5. images
if [ "$IMAGES" = 1 ]; then
    say "images and copies between two servers (bench/run-images.sh) ..."
    BENCH_IMAGES_JSONL="$A/images.jsonl" BENCH_ROUNDS="${BENCH_IMAGE_ROUNDS:-3}" bash bench/run-images.sh >"$A/images.txt" || FAILED=1
    cat "$A/images.jsonl" >>"$RES" 2>/dev/null || true
fi

# ------------------------------------------------------------------ 6. report
N_SCALE="${N_SCALE:-1000}" LIFE_THREADS="$THREADS_LIFE" "$VENV/bin/python" bench/report.py "$RES" "$A" "$(bench_liblxd_source)" | tee "$A/table.md"
say "results: $RES; table: $A/table.md; plot: $A/latency.png"
exit "$FAILED"
