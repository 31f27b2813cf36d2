#!/usr/bin/env bash
# Streaming benchmark (exec and file transfer) against the local LXD daemon:
# liblxd (C) vs pylxd vs the `lxc` command, one command,
#
#   bash bench/run-stream.sh
#
# 1. makes sure LXD is up (scripts/lxd-env.sh), builds liblxd and
#    bench/bench_stream.c, the venv bench/.venv with pylxd (bench/common.sh),
#    installs GNU time (Debian package "time") if missing;
# 2. launches one busybox container lxdbench-stream-<pid>, makes random files
#    of BENCH_FILE_MIB and BENCH_BIG_MIB MiB in /tmp/lxdbench-stream-*, and
#    deletes both again on exit, failure or Ctrl-C included;
# 3. for BENCH_ROUNDS rounds, clients one after the other in each round:
#    (a) BENCH_EXEC_CALLS x exec of `true`: lxd_instance_exec vs
#        container.execute(["true"]) vs `lxc exec NAME -- true` (one process
#        per call, timed from spawn to exit);
#    (b) BENCH_XFERS x push, then pull, of the BENCH_FILE_MIB file (a new
#        process each time): lxd_instance_file_push/_pull vs
#        files.put/files.get vs `lxc file push/pull`; every result is
#        compared with cmp, and a transfer that is not byte-identical is left
#        out of the figures (with its pair) and counted as bad;
#    (s) BENCH_STDIN_CALLS x exec of md5sum fed a BENCH_STDIN_MIB MiB random
#        file as stdin (it answers only at end of file), liblxd beside
#        `lxc exec -T` (a process per call, the file as its stdin); liblxd's
#        digest is checked;
#    (c) peak RSS of a process that only pushes the BENCH_BIG_MIB file, and
#        one that only pushes the BENCH_FILE_MIB file, per client (getrusage
#        ru_maxrss; lxc: GNU time's "Maximum resident set size");
#    then prints a table: medians over the rounds (push/pull: over all the
#    transfers; peak RSS: the maximum), ratios and targets.
# Every client talks to the daemon over its unix socket; with BENCH_HTTPS=1,
# liblxd also runs (a) and (b) over HTTPS (127.0.0.1:8443, a client
# certificate trusted for the run and removed again, LXD's server.crt pinned).
# It prints figures only; no assertion on them. The exit status is non-zero
# when it could not run, or when a client failed or a transfer was corrupt.
#
# Knobs: BENCH_EXEC_CALLS (50), BENCH_ROUNDS (3), BENCH_XFERS (3),
# BENCH_FILE_MIB (32), BENCH_BIG_MIB (256), BENCH_STDIN_MIB (8),
# BENCH_STDIN_CALLS (5), BENCH_HTTPS (0),
# BENCH_TIMEOUT (300 s per client run).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
CALLS="${BENCH_EXEC_CALLS:-50}"
ROUNDS="${BENCH_ROUNDS:-3}"
XFERS="${BENCH_XFERS:-3}"
MIB="${BENCH_FILE_MIB:-32}"
STDIN_MIB="${BENCH_STDIN_MIB:-8}"
STDIN_CALLS="${BENCH_STDIN_CALLS:-5}"
BIG_MIB="${BENCH_BIG_MIB:-256}"
HTTPS="${BENCH_HTTPS:-0}"
TIMEOUT="${BENCH_TIMEOUT:-300}"
NAME="lxdbench-stream-$$"
BENCH_TAG=bench-stream
# PYLXD_VERSION, VENV, OUT, PATH, say and the build/venv steps:
. bench/common.sh
B="$OUT/bench_stream"
PY=("$VENV/bin/python" "$ROOT/bench/bench_stream_pylxd.py")
ROOTFS="${LXD_DIR:-/var/lib/lxd}/containers/$NAME/rootfs"

# ------------------------------------------------------------- 1. prepare
bash scripts/lxd-env.sh
bench_build_liblxd
bench_build_c bench_stream
bench_ensure_venv
if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
    say "installing GNU time (Debian package time) ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

# ----------------------------------------------- 2. container, files, trap
TMP=""; created=0; trust_fp=""
job=""  # pid of the running client, if any
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$job" ]; then kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; fi
    if [ "$created" = 1 ]; then
        say "deleting $NAME ..."
        lxc delete --force "$NAME" >/dev/null 2>&1 || true
    fi
    [ -n "$trust_fp" ] && { lxc config trust remove "$trust_fp" >/dev/null 2>&1 || true; }
    [ -n "$TMP" ] && rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TMP="$(mktemp -d /tmp/lxdbench-stream-XXXXXX)"
say "launching $NAME (busybox) ..."
created=1
out="$(lxc launch busybox "$NAME" 2>&1)" || { echo "$out" >&2; exit 1; }
SRC="$TMP/src-$MIB"; BIG="$TMP/src-$BIG_MIB"; STDIN_SRC="$TMP/stdin-$STDIN_MIB"
say "making $MIB MiB and $BIG_MIB MiB random files in $TMP ..."
head -c $((MIB * 1048576)) /dev/urandom >"$SRC"
head -c $((BIG_MIB * 1048576)) /dev/urandom >"$BIG"
head -c $((STDIN_MIB * 1048576)) /dev/urandom >"$STDIN_SRC"
STDIN_MD5="$(md5sum <"$STDIN_SRC" | cut -c1-32)"

impls=(liblxd pylxd lxc)
if [ "$HTTPS" = 1 ]; then
    say "trusting a client certificate for liblxd over HTTPS ..."
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
        -subj "/CN=$NAME" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
    fp="$(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
    lxc config trust add "$TMP/cert.pem" --name "$NAME" >/dev/null
    trust_fp="$fp"
    HTTPS_ENV=(env BENCH_LXD_ENDPOINT=https://127.0.0.1:8443
        "BENCH_LXD_OPTIONS={\"cert\":\"$TMP/cert.pem\",\"key\":\"$TMP/key.pem\",\"server_cert\":\"${LXD_DIR:-/var/lib/lxd}/server.crt\"}")
    impls+=(https)
fi

# ------------------------------------------------------------------ 3. run
fails=0
# run OUTFILE CMD...: runs one client as a background job that we wait for
# (so a TERM/INT sent to this script alone is acted on at once), with a time
# limit. Its stderr goes to OUTFILE.err (shown on failure; noted otherwise).
# On failure its output is kept as OUTFILE.failed, out of the figures.
run() {
    local f="$1" rc=0; shift
    timeout "$TIMEOUT" "$@" </dev/null >"$f" 2>"$f.err" & job=$!
    wait "$job" || rc=$?
    job=""
    if [ "$rc" != 0 ]; then
        say "FAILED (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${TIMEOUT}s")): $*"
        sed 's/^/    /' "$f.err" >&2
        mv "$f" "$f.failed"
        fails=$((fails + 1))
        return 1
    fi
    if [ -s "$f.err" ]; then
        say "note: $(basename "$f" .txt) wrote to stderr (kept in $f.err): $(head -c 300 "$f.err" | tr '\n' ' ')"
    else
        rm -f "$f.err"
    fi
}
# run_lxc OUTFILE KEY CALLS WARMUP LXC-ARGS...: times `lxc ARGS` (appends).
run_lxc() {
    local f="$1" key="$2" calls="$3" warm="$4"; shift 4
    run "$f.part" "$B" spawn "$key" "$calls" "$warm" -- lxc "$@" || return 1
    cat "$f.part" >>"$f"; rm -f "$f.part"
}
# same_remote LOCAL REMOTE: is file REMOTE in the container byte-identical
# to LOCAL? Read on the host through the container's rootfs (dir pool), or
# else through `lxc exec cat`.
same_remote() {
    if [ -d "$ROOTFS" ]; then cmp -s "$1" "$ROOTFS$2"; else lxc exec "$NAME" -- cat "$2" | cmp -s "$1" -; fi
}
rm_remote() { lxc exec "$NAME" -- rm -f "$@"; }
# check IMPL WHAT OK?: records a transfer check; a bad one drops the round's
# figures of that client (its output file becomes .bad).
check() {
    if [ "$3" = 0 ]; then echo "$1 ok" >>"$OUT/stream-checks.txt"; return 0; fi
    echo "$1 bad" >>"$OUT/stream-checks.txt"
    say "CORRUPT: $1's $2 is not byte-identical to the source"
    return 1
}

# One push (+ pull) of LOCAL by IMPL into file OUT: push to /root/IMPL.bin,
# pull back to $TMP/pulled-IMPL; each checked with cmp.
transfer() { # IMPL OUTFILE LOCAL MODE(files|push)
    local impl="$1" f="$2" src="$3" mode="$4" remote="/root/$1.bin" pulled="$TMP/pulled-$1" ok=0
    local args=("$mode" "$NAME" "$src" "$remote")
    [ "$mode" = files ] && args+=("$pulled")
    rm_remote "$remote"; rm -f "$pulled"
    case "$impl" in
        liblxd) run "$f" "$B" "${args[@]}" || return 0 ;;
        https)  run "$f" "${HTTPS_ENV[@]}" "$B" "${args[@]}" || return 0 ;;
        pylxd)  run "$f" "${PY[@]}" "${args[@]}" || return 0 ;;
        lxc)
            : >"$f"
            if [ "$mode" = push ]; then
                # lxc's stdout (its progress) is not wanted in the file
                run "$TMP/lxc-out" /usr/bin/time -v -o "$TMP/time.txt" lxc file push "$src" "$NAME$remote" || return 0
                sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): */peak_rss_kb /p' "$TMP/time.txt" >"$f"
            else
                run_lxc "$f" push 1 0 file push "$src" "$NAME$remote" || return 0
            fi
            ;;
    esac
    same_remote "$src" "$remote" || ok=1
    check "$impl" "push" "$ok" || { mv "$f" "$f.bad"; return 0; }
    [ "$mode" = files ] || return 0
    if [ "$impl" = lxc ]; then run_lxc "$f" pull 1 0 file pull "$NAME$remote" "$pulled" || return 0; fi
    cmp -s "$src" "$pulled" || ok=1
    check "$impl" "pull" "$ok" || mv "$f" "$f.bad"
    rm -f "$pulled"
}

rm -f "$OUT"/stream-*
for r in $(seq 1 "$ROUNDS"); do
    say "round $r/$ROUNDS: ${impls[*]}: $CALLS x exec true ..."
    for impl in "${impls[@]}"; do
        f="$OUT/stream-exec-$impl.$r.txt"
        case "$impl" in
            liblxd) run "$f" "$B" exec "$NAME" "$CALLS" || true ;;
            https)  run "$f" "${HTTPS_ENV[@]}" "$B" exec "$NAME" "$CALLS" || true ;;
            pylxd)  run "$f" "${PY[@]}" exec "$NAME" "$CALLS" || true ;;
            lxc)    : >"$f"; run_lxc "$f" exec "$CALLS" 3 exec "$NAME" -- true || true ;;
        esac
    done
    say "round $r/$ROUNDS: liblxd lxc$([ "$HTTPS" = 1 ] && echo " https"): $STDIN_CALLS x md5sum of $STDIN_MIB MiB of stdin ..."
    for impl in "${impls[@]}"; do
        f="$OUT/stream-stdin-$impl.$r.txt"
        case "$impl" in
            liblxd) run "$f" "$B" stdin "$NAME" "$STDIN_SRC" "$STDIN_CALLS" || true ;;
            https)  run "$f" "${HTTPS_ENV[@]}" "$B" stdin "$NAME" "$STDIN_SRC" "$STDIN_CALLS" || true ;;
            lxc)    run "$f" env BENCH_SPAWN_STDIN="$STDIN_SRC" "$B" spawn stdin "$STDIN_CALLS" 1 -- \
                        lxc exec "$NAME" -T -- md5sum || true ;;
            *)      : ;;
        esac
        if [ -s "$f" ] && grep -q '^stdin_md5 ' "$f" && ! grep -q "^stdin_md5 $STDIN_MD5\$" "$f"; then
            say "CORRUPT: $impl's md5sum of the stdin is not $STDIN_MD5"; mv "$f" "$f.bad"; fails=$((fails + 1))
        fi
    done
    say "round $r/$ROUNDS: ${impls[*]}: $XFERS x push + pull of $MIB MiB ..."
    for x in $(seq 1 "$XFERS"); do
        for impl in "${impls[@]}"; do
            transfer "$impl" "$OUT/stream-files-$impl.$r.$x.txt" "$SRC" files
        done
    done
    say "round $r/$ROUNDS: liblxd pylxd lxc: peak RSS of a push of $BIG_MIB MiB, of $MIB MiB ..."
    for impl in liblxd pylxd lxc; do
        transfer "$impl" "$OUT/stream-rssbig-$impl.$r.txt" "$BIG" push
        transfer "$impl" "$OUT/stream-rss-$impl.$r.txt" "$SRC" push
    done
    rm_remote /root/liblxd.bin /root/pylxd.bin /root/lxc.bin /root/https.bin
done

# ---------------------------------------------------------------- 4. table
# val FILE-STEM KEY: median over the rounds' files (max for peak_rss_kb, sum
# for *_errors; text as is).
val() {
    { cat "$OUT/$1".*.txt 2>/dev/null || true; } | awk -v k="$2" '$1 == k { print $2 }' | sort -g | awk -v k="$2" '
        { v[NR] = $1; s += $1 }
        END { if (NR == 0) exit; if (k == "peak_rss_kb") print v[NR]; else if (k ~ /_errors$/) print s; else print v[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }
mibs() { awk -v ms="$1" -v m="$MIB" 'BEGIN { if (ms == "" || ms + 0 == 0) print ""; else printf "%.1f", m / (ms / 1000) }'; }
checks() { # IMPL: "ok N/M"
    local ok all
    ok="$(grep -c "^$1 ok$" "$OUT/stream-checks.txt" 2>/dev/null || true)"
    all="$(grep -c "^$1 " "$OUT/stream-checks.txt" 2>/dev/null || true)"
    echo "${ok:-0}/${all:-0}"
}

lxd_ver="$(lxc version 2>/dev/null | sed -n 's/^Server version: *//p')"
lxc_ver="$(lxc version 2>/dev/null | sed -n 's/^Client version: *//p')"
echo
echo "liblxd $(val stream-exec-liblxd version) (C, gcc -O2; $(bench_liblxd_source))  vs  pylxd $(val stream-exec-pylxd version) (Python $(val stream-exec-pylxd python))  vs  lxc $lxc_ver (a process per call)"
echo "LXD $lxd_ver at $(val stream-exec-pylxd endpoint) (all clients); container $NAME (busybox, running); $(nproc) CPUs; $(uname -sr)"
echo "medians of $ROUNDS rounds, each: $CALLS x exec [\"true\"] after 3 warm-up calls; $XFERS x push, then pull, of a $MIB MiB random file (median of all $((ROUNDS * XFERS)); each compared with cmp); peak RSS: max over the rounds of a process that only pushes"
echo
cols=(liblxd pylxd lxc)
hdr=(metric liblxd pylxd lxc)
if [ "$HTTPS" = 1 ]; then cols+=(https); hdr+=("liblxd-https"); fi
fmt="%-38s$(printf ' %%10s%.0s' "${cols[@]}") %13s %11s  %s\n"
printf "$fmt" "${hdr[@]}" liblxd/pylxd liblxd/lxc target
row() { # label stem key printf-format target [mibs]
    local label="$1" stem="$2" key="$3" vfmt="$4" target="$5" conv="${6:-}" v=() c x
    for c in "${cols[@]}"; do
        x="$(val "$stem-$c" "$key")"
        if [ -n "$conv" ]; then x="$(mibs "$x")"; fi
        v+=("$x")
    done
    local shown=()
    for x in "${v[@]}"; do
        if [ -n "$x" ]; then shown+=("$(printf "$vfmt" "$x")"); else shown+=(n/a); fi
    done
    local r1 r2
    r1="$(ratio "${v[0]}" "${v[1]}")"; r2="$(ratio "${v[0]}" "${v[2]}")"
    case "$key" in *_errors) r1=""; r2="" ;; esac
    printf "$fmt" "$label" "${shown[@]}" "$r1" "$r2" "$target"
}
row "exec true: wall per call, mean (ms)"   stream-exec exec_wall_ms     %.2f "<= 0.3 pylxd, <= 0.7 lxc"
row "exec true: wall per call, median (ms)" stream-exec exec_wall_p50_ms %.2f "-"
row "exec true: client CPU per call (ms)"   stream-exec exec_cpu_ms      %.2f "-"
row "exec true: failed calls, retried (all)" stream-exec exec_errors     %d   "0"
row "md5sum of $STDIN_MIB MiB stdin: wall per call (ms)" stream-stdin stdin_wall_ms %.1f "liblxd/lxc <= 1"
row "md5sum of $STDIN_MIB MiB stdin: client CPU (ms)"     stream-stdin stdin_cpu_ms  %.1f "-"
row "push $MIB MiB: wall (ms)"              stream-files push_wall_ms    %.1f "liblxd/lxc <= 1"
row "push $MIB MiB: MiB/s"                  stream-files push_wall_ms    %.1f "liblxd/lxc >= 1" mibs
row "push $MIB MiB: client CPU (ms)"        stream-files push_cpu_ms     %.1f "-"
row "pull $MIB MiB: wall (ms)"              stream-files pull_wall_ms    %.1f "liblxd/lxc <= 1"
row "pull $MIB MiB: MiB/s"                  stream-files pull_wall_ms    %.1f "liblxd/lxc >= 1" mibs
row "pull $MIB MiB: client CPU (ms)"        stream-files pull_cpu_ms     %.1f "-"
# peak RSS has no HTTPS run: drop that column for these rows
[ "$HTTPS" = 1 ] && cols=(liblxd pylxd lxc none)
row "peak RSS, push of $MIB MiB (KiB)"      stream-rss    peak_rss_kb    %d "-"
row "peak RSS, push of $BIG_MIB MiB (KiB)"  stream-rssbig peak_rss_kb    %d "liblxd flat (as $MIB MiB)"
[ "$HTTPS" = 1 ] && cols=(liblxd pylxd lxc https)
shown=()
for c in "${cols[@]}"; do shown+=("$(checks "$c")"); done
printf "$fmt" "transfers byte-identical (cmp)" "${shown[@]}" "" "" "all"

a="$(val stream-exec-liblxd exec_wall_ms)"; p="$(val stream-exec-pylxd exec_wall_ms)"; l="$(val stream-exec-lxc exec_wall_ms)"
echo
awk -v a="$a" -v p="$p" -v l="$l" 'BEGIN { if (a > 0 && p > 0 && l > 0)
    printf "exec: liblxd %.1fx as fast as pylxd (target >= 3.3x), %.1fx as fast as lxc exec (target >= 1.43x)\n", p / a, l / a }'
s="$(val stream-rss-liblxd peak_rss_kb)"; g="$(val stream-rssbig-liblxd peak_rss_kb)"
awk -v s="$s" -v g="$g" -v m="$MIB" -v b="$BIG_MIB" 'BEGIN { if (s > 0 && g > 0)
    printf "liblxd peak RSS: %d KiB pushing %d MiB, %d KiB pushing %d MiB (%+d KiB for %d MiB more file): %s\n",
        s, m, g, b, g - s, b - m, (g - s < 1024 ? "flat" : "grows") }'
echo "raw figures per round: $OUT/stream-*.txt"
bad="$(grep -c ' bad$' "$OUT/stream-checks.txt" 2>/dev/null || true)"
if [ "$fails" != 0 ] || [ "${bad:-0}" != 0 ]; then
    say "$fails client run(s) failed, ${bad:-0} transfer(s) not byte-identical (see above)"
    exit 1
fi
