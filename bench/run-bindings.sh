#!/usr/bin/env bash
# Per-call cost of the bindings (C++, Go, Ruby) against the C API, with pylxd
# as the reference, on the same local LXD daemon: one command,
#
#   bash bench/run-bindings.sh        # as root
#
# 1. makes sure LXD is up (scripts/lxd-env.sh), installs liblxd with
#    `make install PREFIX=target/bench/prefix` (the bindings find it through
#    pkg-config: PKG_CONFIG_PATH / LD_LIBRARY_PATH point there), builds the
#    C, C++ and Go programs of bench/bindings/ and checks the venv with pylxd
#    (bench/.venv, shared with bench/run.sh);
# 2. creates the busybox container lxdt-bench-bind and starts it; it is
#    deleted on exit, failure or Ctrl-C;
# 3. runs BENCH_ROUNDS rounds; in each, every language's program runs once,
#    one after the other (the order rotates from round to round), and prints
#    "key value" lines (target/bench/bindings/<lang>.<round>.txt). The table
#    shows each figure's median over the rounds and its ratio to C.
# It prints figures only; the exit status is non-zero if a program failed.
#
# Knobs: BENCH_ROUNDS (3; ROUNDS works too), BENCH_GETS (300, for get and
# get_config), BENCH_EXECS (50), BENCH_SAVES (100).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
ROUNDS="${BENCH_ROUNDS:-${ROUNDS:-3}}"
GETS="${BENCH_GETS:-300}"
EXECS="${BENCH_EXECS:-50}"
SAVES="${BENCH_SAVES:-100}"
NAME=lxdt-bench-bind
BENCH_TAG=bench-bindings
# PYLXD_VERSION, VENV, OUT, PATH, say, bench_liblxd_source, bench_ensure_venv:
. bench/common.sh
PREFIX="$OUT/prefix"
BOUT="$OUT/bindings"
LANGS=(c cpp go ruby pylxd)

# ------------------------------------------------------------- 1. prepare
bash scripts/lxd-env.sh

say "installing liblxd into $PREFIX (make install) ..."
mkdir -p "$BOUT"
if ! make install PREFIX="$PREFIX" >"$BOUT/make-install.log" 2>&1; then
    cat "$BOUT/make-install.log" >&2
    exit 1
fi
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
export LD_LIBRARY_PATH="$PREFIX/lib"
unset LIBLXD_PATH  # the Ruby binding would load that file instead

say "building the C, C++ and Go programs ..."
# shellcheck disable=SC2046
gcc -O2 -Wall -Wextra -std=c11 bench/bindings/bench.c -o "$BOUT/bench-c" \
    $(pkg-config --cflags --libs liblxd) -Wl,-rpath,"$PREFIX/lib"
# shellcheck disable=SC2046
g++ -O2 -Wall -Wextra -std=c++17 bench/bindings/bench.cpp -o "$BOUT/bench-cpp" \
    $(pkg-config --cflags --libs liblxd) -Wl,-rpath,"$PREFIX/lib"
(cd bench/bindings/go && GOFLAGS=-mod=mod GOPROXY=off go build -o "$BOUT/bench-go" .)
ruby -I bindings/ruby/lib -e 'require "lxd"' || { say "the Ruby binding does not load (ffi gem?)"; exit 1; }
bench_ensure_venv

cmd_for() { # LANG -> the command line, without the arguments
    case "$1" in
        c) echo "$BOUT/bench-c" ;;
        cpp) echo "$BOUT/bench-cpp" ;;
        go) echo "$BOUT/bench-go" ;;
        ruby) echo "ruby -I $ROOT/bindings/ruby/lib $ROOT/bench/bindings/bench.rb" ;;
        pylxd) echo "$VENV/bin/python $ROOT/bench/bindings/bench_pylxd.py" ;;
    esac
}

# --------------------------------------------------------- 2. container
job=""  # pid of the running bench program, if any
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$job" ]; then kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; fi
    if lxc info "$NAME" >/dev/null 2>&1; then
        say "deleting $NAME ..."
        lxc delete -f "$NAME" >/dev/null 2>&1 || say "could not delete $NAME"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if lxc info "$NAME" >/dev/null 2>&1; then
    say "deleting a left-over $NAME ..."
    lxc delete -f "$NAME" >/dev/null
fi
say "creating and starting $NAME (busybox) ..."
out="$(lxc init busybox "$NAME" 2>&1)" || { echo "$out" >&2; exit 1; }
lxc start "$NAME" >/dev/null

# ------------------------------------------------------------------ 3. run
run() { "$@" & job=$!; wait "$job"; local rc=$?; job=""; return "$rc"; }
rm -f "$BOUT"/*.[0-9]*.txt "$BOUT"/*.[0-9]*.err
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
failed=()
n="${#LANGS[@]}"
for r in $(seq 1 "$ROUNDS"); do
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${LANGS[$(((i + r - 1) % n))]}"); done
    say "round $r/$ROUNDS: ${order[*]} ($GETS gets, $GETS gets + config, $EXECS execs, $SAVES saves each) ..."
    for l in "${order[@]}"; do
        # shellcheck disable=SC2046
        if ! run $(cmd_for "$l") "$NAME" "$GETS" "$EXECS" "$SAVES" >"$BOUT/$l.$r.txt" 2>"$BOUT/$l.$r.err"; then
            say "$l failed in round $r: $(tail -n 3 "$BOUT/$l.$r.err")"
            failed+=("$l.$r")
            rm -f "$BOUT/$l.$r.txt"
        fi
    done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# val LANG KEY: the median over the rounds (max for peak_rss_kb, sum for
# exec_errors, text as is); empty if no round of LANG succeeded.
val() {
    local files=("$BOUT/$1".*.txt)
    [ -e "${files[0]}" ] || return 0
    awk -v k="$2" '$1 == k { print $2 }' "${files[@]}" | sort -g | awk -v k="$2" '
        { v[NR] = $1; s += $1 }
        END { if (NR == 0) exit
              if (k == "peak_rss_kb") print v[NR]
              else if (k == "exec_errors") print s
              else if (k == "version" || k == "python" || k == "ruby") print v[1]
              else if (NR % 2) print v[(NR + 1) / 2]
              else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

lxd_ver="$(lxc version 2>/dev/null | sed -n 's/^Server version: *//p')"
echo
echo "liblxd $(val c version), $(bench_liblxd_source); installed in $PREFIX"
echo "C (gcc -O2), C++ (g++ -O2 -std=c++17, lxd.hpp), Go ($(go version | cut -d' ' -f3)), Ruby $(val ruby ruby) (ffi $(ruby -e 'require "ffi"; print FFI::VERSION')), pylxd $(val pylxd version) (Python $(val pylxd python))"
echo "LXD $lxd_ver; $(nproc) CPUs; $(uname -sr); load average at start $load_start, at end $load_end"
echo "median of $ROUNDS rounds; per call: get = $GETS x containers.get + free; get_config = $GETS x get + config + free;"
echo "exec = $EXECS x exec [\"true\"] with output; set_save = $SAVES x set description + save(wait)"
echo
labels=("C" "C++" "Go" "Ruby" "pylxd")
printf '| metric |'; for x in "${labels[@]}"; do printf ' %s |' "$x"; done; echo
printf '|---|'; for _ in "${labels[@]}"; do printf -- '---:|'; done; echo
row() { # label key: each language's value and its ratio to C
    local c v
    c="$(val c "$2")"
    printf '| %s |' "$1"
    for l in "${LANGS[@]}"; do
        v="$(val "$l" "$2")"
        if [ -z "$v" ]; then printf ' failed |'
        elif [ "$l" = c ]; then printf ' %s |' "$v"
        else awk -v v="$v" -v c="$c" 'BEGIN { if (c > 0) printf " %s (%.2f×) |", v, v / c; else printf " %s |", v }'
        fi
    done
    echo
}
row "get: wall per call, mean (ms)" get_wall_ms
row "get: wall per call, median (ms)" get_wall_p50_ms
row "get: CPU per call (ms)" get_cpu_ms
row "get_config: wall per call, mean (ms)" get_config_wall_ms
row "get_config: wall per call, median (ms)" get_config_wall_p50_ms
row "get_config: CPU per call (ms)" get_config_cpu_ms
row "exec: wall per call, mean (ms)" exec_wall_ms
row "exec: wall per call, median (ms)" exec_wall_p50_ms
row "exec: CPU per call (ms)" exec_cpu_ms
row "set_save: wall per call, mean (ms)" set_save_wall_ms
row "set_save: wall per call, median (ms)" set_save_wall_p50_ms
row "set_save: CPU per call (ms)" set_save_cpu_ms
row "peak RSS of the process (KiB)" peak_rss_kb
echo
echo "(x.xx×) = ratio to C. pylxd execute() calls retried after a ws4py error, all rounds: $(val pylxd exec_errors)"
echo "raw figures per round: $BOUT/{$(IFS=,; echo "${LANGS[*]}")}.N.txt"
if [ "${#failed[@]}" -gt 0 ]; then
    say "failed runs: ${failed[*]} (stderr in $BOUT/*.err)"
    exit 1
fi
