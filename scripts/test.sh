#!/usr/bin/env bash
# Run every test of liblxd against a real local LXD daemon.
#
#   scripts/test.sh            everything (as CI does)
#   scripts/test.sh lifecycle  only the C test programs/cases whose name contains "lifecycle"
#   scripts/test.sh go         only one binding's suite (cpp, go or ruby)
#   scripts/test.sh fuzz       only the short fuzz run (scripts/fuzz.sh)
#
# Starts (and if needed installs) LXD itself through scripts/lxd-env.sh,
# and the private daemon that tests/c/test_restart.c crashes, freezes and
# restarts through scripts/lxd-private.sh (in the background while the
# build runs). The suites then run in parallel lanes (see below).
# Environment: LIBLXD_VALGRIND=0 runs the C tests without valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILTER="${1:-}"
export PATH="$HOME/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
# The tests check outcomes with `lxc`. LXD 5.0.2's `lxc exec` now and then
# hangs on a loaded machine (the command ran, the CLI never returns): the
# tests' `lxc exec` is bounded, so a hung check fails (or, read-only, is
# asked again) instead of stopping the run. Every other `lxc` is LXD's.
REAL_LXC="$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v lxc || echo /usr/bin/lxc)"
mkdir -p build/bin
printf '#!/bin/sh\nif [ "$1" = exec ]; then exec timeout -k 5 60 %s "$@"; fi\nexec %s "$@"\n' \
    "$REAL_LXC" "$REAL_LXC" >build/bin/lxc
chmod +x build/bin/lxc
export PATH="$ROOT/build/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "LXD"
bash scripts/lxd-env.sh

# Tools the tests use besides LXD: valgrind, openssl (certificates), g++
# and pkg-config (header and install checks, C++ binding), jq (reading lxc
# query output), Go and Ruby with ffi and minitest (the bindings), python3
# (the fake simplestreams server), mksquashfs and xz (split test images).
# All are Debian packages; a missing one is installed.
BINDINGS="cpp go ruby"
missing=()
for need in valgrind:valgrind openssl:openssl g++:g++ jq:jq pkg-config:pkg-config \
            go:golang-go ruby:ruby python3:python3 mksquashfs:squashfs-tools xz:xz-utils; do
    command -v "${need%%:*}" >/dev/null || missing+=("${need##*:}")
done
if command -v ruby >/dev/null; then
    ruby -e 'require "ffi"' 2>/dev/null || missing+=(ruby-ffi)
    ruby -e 'require "minitest"' 2>/dev/null || missing+=(ruby-minitest)
else
    missing+=(ruby-ffi ruby-minitest)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    step "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The C programs that use the private daemon "restart-test" of
# scripts/lxd-private.sh (LXD_DIR /var/lib/lxd-liblxd-restart-test): it
# starts now in the background (it needs nothing of the build) and is
# waited for before the first of them runs.
PRIVATE_PROGRAMS=" test_restart test_secrets "
PRIVATE_DIR=/var/lib/lxd-liblxd-restart-test
export LIBLXD_PRIVATE_SCRIPT="$ROOT/scripts/lxd-private.sh"
mkdir -p build/tests
rm -f build/lxd-private.rc
if [ -z "$FILTER" ] || [[ " $BINDINGS " != *" $FILTER "* ]]; then
    { timeout -k 10 400 bash scripts/lxd-private.sh restart-test >build/lxd-private.log 2>&1; echo $? >build/lxd-private.rc; } &
else
    echo 0 >build/lxd-private.rc
fi
# The second server of the copy and migration tests (tests/c/test_images.c,
# test_migration.c and the bindings'): scripts/lxd-private.sh second
# (LXD_DIR /var/lib/lxd-liblxd-second, HTTPS 127.0.0.2:8443), started the
# same way and ready before any lane runs.
SECOND_DIR=/var/lib/lxd-liblxd-second
rm -f build/lxd-second.rc
{ timeout -k 10 400 bash scripts/lxd-private.sh second >build/lxd-second.log 2>&1; echo $? >build/lxd-second.rc; } &
second_ready() {
    while [ ! -s build/lxd-second.rc ]; do sleep 0.2; done
    if [ "$(cat build/lxd-second.rc)" = 0 ]; then
        tail -n 1 build/lxd-second.log
        return 0
    fi
    echo "!!! scripts/lxd-private.sh second failed:"; cat build/lxd-second.log
}
# The two 3-member clusters of scripts/lxd-cluster.sh (members on
# 127.0.0.11-13 and 127.0.0.31-33): "cluster", which tests/c/test_cluster.c
# and the bindings' cluster tests share, and "failover", whose members
# tests/c/test_failover.c kills. Brought up in the background now, ready
# before any lane runs, and taken down (their state deleted) at the end.
CLUSTER_PROGRAMS=" test_cluster test_failover "
export LIBLXD_CLUSTER_SCRIPT="$ROOT/scripts/lxd-cluster.sh"
clusters=()
if [ -z "$FILTER" ] || [[ " $BINDINGS " == *" $FILTER "* ]] || [[ "$CLUSTER_PROGRAMS" == *"$FILTER"* ]]; then
    clusters=(cluster failover)
fi
# Each try is bounded (a member that never answers must not stop the
# run); a failed first try is taken down and made afresh once.
cluster_up() {
    local cl=$1 rc
    timeout -k 10 420 bash scripts/lxd-cluster.sh "$cl" up && return 0
    rc=$?
    echo "!!! scripts/lxd-cluster.sh $cl up failed (exit $rc$([ "$rc" = 124 ] && echo ", timed out after 420 s")); taking it down, trying once more"
    timeout -k 10 300 bash scripts/lxd-cluster.sh "$cl" down || true
    timeout -k 10 420 bash scripts/lxd-cluster.sh "$cl" up
}
for cl in "${clusters[@]}"; do
    rm -f "build/lxd-$cl.rc"
    { cluster_up "$cl" >"build/lxd-$cl.log" 2>&1; echo $? >"build/lxd-$cl.rc"; } &
done
clusters_ready() {
    local cl
    for cl in "${clusters[@]}"; do
        while [ ! -s "build/lxd-$cl.rc" ]; do sleep 0.2; done
        if [ "$(cat "build/lxd-$cl.rc")" = 0 ]; then
            tail -n 1 "build/lxd-$cl.log"
        else
            echo "!!! scripts/lxd-cluster.sh $cl up failed:"; cat "build/lxd-$cl.log"
        fi
    done
}
# LIBLXD_KEEP_CLUSTERS=1 leaves them up (quicker runs while working on them).
clusters_down() {
    local cl
    [ "${LIBLXD_KEEP_CLUSTERS:-0}" = 1 ] && return 0
    for cl in "${clusters[@]}"; do timeout -k 10 300 bash scripts/lxd-cluster.sh "$cl" down >>"build/lxd-$cl.log" 2>&1 || true; done
}
trap clusters_down EXIT

# Wait for the private daemon's start (from any lane); its log on failure.
private_ready() {
    while [ ! -s build/lxd-private.rc ]; do sleep 0.2; done
    if [ "$(cat build/lxd-private.rc)" = 0 ]; then
        [ -f build/lxd-private.log ] && tail -n 1 build/lxd-private.log
        return 0
    fi
    echo "!!! scripts/lxd-private.sh restart-test failed:"; cat build/lxd-private.log
}

step "build (release)"
cargo build --release --quiet
LIBDIR="$ROOT/target/release"
ln -sf liblxd.so "$LIBDIR/liblxd.so.0"

mkdir -p build/tests
if [ -z "$FILTER" ]; then
    step "Rust unit tests and header check"
    set +e
    cargo test --release >build/cargo-test.log 2>&1
    rc=$?
    set -e
    grep -E '^(test result|     Running)' build/cargo-test.log || true
    if [ "$rc" -ne 0 ]; then
        echo "!!! cargo test failed (exit $rc):"; cat build/cargo-test.log; exit 1
    fi
fi

step "make install into build/prefix; the installed header compiles as C11 and C++17 with -Wall -Wextra -Werror"
# The bindings and these checks use the library the way users get it: the
# installed copy, found through pkg-config.
PREFIX="$ROOT/build/prefix"
rm -rf "$PREFIX"
make --no-print-directory -s install PREFIX="$PREFIX" >build/install.log 2>&1 || { cat build/install.log; exit 1; }
# Set for the checks and the bindings only: the C tests run the build
# tree's library (with its line tables, for valgrind's reports).
INSTALLED_PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
INSTALLED_LD_LIBRARY_PATH="$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
pkg-config() { PKG_CONFIG_PATH="$INSTALLED_PKG_CONFIG_PATH" command pkg-config "$@"; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ "$(pkg-config --modversion liblxd)" = "$version" ] || { echo "!!! pkg-config liblxd: wrong version"; exit 1; }
[ "$(readlink "$PREFIX/lib/liblxd.so.${version%%.*}")" = "liblxd.so.$version" ] || { echo "!!! soname link missing"; exit 1; }
printf '#include <lxd.h>\n#include <string.h>\nint main(void){return strcmp(lxd_version(), LXD_VERSION_STRING)!=0;}\n' > build/tests/header_c.c
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Wextra -Wpedantic -Werror build/tests/header_c.c $(pkg-config --cflags --libs liblxd) -o build/tests/header_c
LD_LIBRARY_PATH="$INSTALLED_LD_LIBRARY_PATH" build/tests/header_c
# The static library links with what pkg-config --static adds.
# shellcheck disable=SC2046
gcc -std=c11 build/tests/header_c.c $(pkg-config --cflags liblxd) "$PREFIX/lib/liblxd.a" \
    $(pkg-config --static --libs-only-l liblxd | sed 's/-llxd//') -o build/tests/header_c_static
if ldd build/tests/header_c_static | grep -q liblxd; then echo "!!! static link used liblxd.so"; exit 1; fi
build/tests/header_c_static
printf '#include <lxd.h>\nint main(){return lxd_version()==nullptr;}\n' > build/tests/header_cpp.cpp
# shellcheck disable=SC2046
g++ -std=c++17 -Wall -Wextra -Wpedantic -Werror build/tests/header_cpp.cpp $(pkg-config --cflags --libs liblxd) -o build/tests/header_cpp
LD_LIBRARY_PATH="$INSTALLED_LD_LIBRARY_PATH" build/tests/header_cpp
echo "installed: $(cd "$PREFIX" && find . -type f -o -type l | sort | tr '\n' ' ')"

# Count one test program's or suite's run into the totals: its summary line
# ("N passed, M failed"; "" when it printed none) and its exit status.
# Sets run_pass and run_fail.
count_run() {
    local label=$1 rc=$2 summary=$3
    run_pass=$(echo "$summary" | awk '{print $1}'); run_fail=$(echo "$summary" | awk '{print $3}')
    run_pass=${run_pass:-0}; run_fail=${run_fail:-0}
    total_pass=$((total_pass + run_pass)); total_fail=$((total_fail + run_fail))
    if [ "$rc" -ne 0 ] || [ -z "$summary" ] || [ "$run_fail" -ne 0 ]; then
        [ "$rc" -eq 99 ] && echo "!!! valgrind reported errors in $label"
        [ -z "$summary" ] && echo "!!! $label exited $rc without a summary" && total_fail=$((total_fail + 1))
        failed_programs+=("$label")
    fi
    return 0
}

run_c=1; run_bindings=1
if [ -n "$FILTER" ]; then
    if [[ " $BINDINGS " == *" $FILTER "* ]]; then run_c=0; BINDINGS=$FILTER; else run_bindings=0; fi
    [ "$FILTER" = fuzz ] && run_c=0
fi

CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -O1 -D_GNU_SOURCE -Iinclude -Itests/c)
LDFLAGS=(-L"$LIBDIR" -llxd -lpthread -Wl,-rpath,"$LIBDIR")
VALGRIND=()
if [ "${LIBLXD_VALGRIND:-1}" != 0 ]; then
    VALGRIND=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
              --errors-for-leak-kinds=definite,indirect --error-exitcode=99
              --suppressions="$ROOT/tests/c/valgrind.supp")
fi
c_runs=(); private_runs=(); cluster_runs=()
if [ "$run_c" = 1 ]; then
    step "C integration tests: build"
    if [ "${#VALGRIND[@]}" -gt 0 ]; then
        # Prove valgrind really catches a leak of liblxd memory with these
        # options: a program that drops a client without lxd_client_free must fail.
        printf '#include "lxd.h"\nint main(void){lxd_client *c=0; if(lxd_client_new(0,0,&c)) return 2; c=0; return 0;}\n' > build/tests/leak_canary.c
        gcc -std=c11 -g -Iinclude build/tests/leak_canary.c "${LDFLAGS[@]}" -o build/tests/leak_canary
        set +e; "${VALGRIND[@]}" build/tests/leak_canary >/dev/null 2>&1; rc=$?; set -e
        if [ "$rc" -ne 99 ]; then
            echo "!!! valgrind did not report a deliberate leak (exit $rc): the leak check is not working"
            exit 1
        fi
        echo "valgrind canary: a deliberate leak is caught (exit 99)"
    fi
    for src in tests/c/test_*.c; do
        name=$(basename "$src" .c)
        gcc "${CFLAGS[@]}" tests/c/harness.c "$src" "${LDFLAGS[@]}" -o "build/tests/$name"
    done
    # These programs run twice: over the unix socket and over HTTPS with a
    # client certificate (the harness's LIBLXD_TEST_TRANSPORT=https).
    BOTH_TRANSPORTS=" test_exec test_files test_events test_backups test_images test_migration "
    for src in tests/c/test_*.c; do
        name=$(basename "$src" .c)
        for transport in unix https; do
            [ "$transport" = https ] && [[ "$BOTH_TRANSPORTS" != *" $name "* ]] && continue
            if [[ "$CLUSTER_PROGRAMS" == *" $name "* ]]; then
                [ "$transport" = unix ] && cluster_runs+=("$name:$transport")
            elif [[ "$PRIVATE_PROGRAMS" == *" $name "* ]]; then
                private_runs+=("$name:$transport")
            else
                c_runs+=("$name:$transport")
            fi
        done
    done
fi

# The suites run in four lanes at once, each against a daemon of its own
# or on objects of its own: (1) the C programs on the main daemon, (2) the
# C++, Go and Ruby suites (each builds against the installed library) on
# the main daemon and the "cluster" cluster, (3) the programs that crash
# and freeze the private daemon, (4) the C cluster programs (test_cluster
# on the "cluster" cluster, test_failover killing members of "failover").
# Every test names its objects lxdt-<program>-<pid>-…, so lanes never
# touch each other's. Each lane writes its own log (shown
# whole when all are done) and one result line per program or suite.
rm -rf build/lanes; mkdir -p build/lanes
# A program or suite that hangs is stopped and fails, so that the run
# still ends well inside CI's limit (the slowest, under valgrind, take
# 4-6 min on 2 cores).
PROGRAM_LIMIT=${LIBLXD_PROGRAM_LIMIT:-900}
SUITE_LIMIT=${LIBLXD_SUITE_LIMIT:-1200}
# Record one run: label, exit status, its summary line.
record() { printf '%s\t%s\t%s\n' "$2" "$3" "$4" >>"build/lanes/$1.results"; }
run_c_program() { # LANE NAME:TRANSPORT
    local lane=$1 name=${2%%:*} transport=${2##*:} label log prog_filter="" rc
    label=$name; [ "$transport" = https ] && label="$name (https)"
    log="build/tests/$name-$transport.log"
    if [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]]; then prog_filter="$FILTER"; fi
    echo "--- $label ${VALGRIND:+(under valgrind)}"
    set +e
    (cd build/tests && LIBLXD_TEST_TRANSPORT=$transport timeout -k 30 "$PROGRAM_LIMIT" "${VALGRIND[@]}" "./$name" $prog_filter) >"$log" 2>&1
    rc=$?
    set -e
    cat "$log"
    [ "$rc" = 124 ] && echo "!!! $label did not finish within ${PROGRAM_LIMIT} s and was stopped"
    record "$lane" "$label" "$rc" "$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)"
}
lane_c() {
    local run
    for run in "${c_runs[@]}"; do run_c_program c "$run"; done
}
lane_private() {
    local run rc
    [ "${#private_runs[@]}" -gt 0 ] && private_ready
    for run in "${private_runs[@]}"; do run_c_program private "$run"; done
    # The fuzz targets (a short run of each: scripts/fuzz.sh) need no
    # daemon: pure CPU, while the other lanes mostly wait on LXD.
    if [ -z "$FILTER" ] || [ "$FILTER" = fuzz ]; then
        echo "--- fuzz targets (scripts/fuzz.sh)"
        set +e
        timeout -k 30 "$PROGRAM_LIMIT" bash scripts/fuzz.sh >build/fuzz.log 2>&1
        rc=$?
        set -e
        grep -vE '^ +Compiling|^ +Finished' build/fuzz.log | tail -n 25
        record private "fuzz" "$rc" "$(tail -n 1 build/fuzz.log | grep -E '^[0-9]+ passed, [0-9]+ failed$' || true)"
    fi
}
lane_cluster() {
    local run
    for run in "${cluster_runs[@]}"; do run_c_program cluster "$run"; done
}
lane_bindings() {
    local b log rc
    for b in $BINDINGS; do
        step "$b binding tests"
        log="build/tests/binding-$b.log"
        set +e
        PKG_CONFIG_PATH="$INSTALLED_PKG_CONFIG_PATH" LD_LIBRARY_PATH="$INSTALLED_LD_LIBRARY_PATH" \
            LIBLXD_VALGRIND="${LIBLXD_VALGRIND:-1}" timeout -k 30 "$SUITE_LIMIT" bash "bindings/$b/test.sh" >"$log" 2>&1
        rc=$?
        set -e
        cat "$log"
        [ "$rc" = 124 ] && echo "!!! the $b binding's suite did not finish within ${SUITE_LIMIT} s and was stopped"
        # The summary must be the suite's very last line.
        record bindings "$b-binding" "$rc" "$(tail -n 1 "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' || true)"
    done
}
# Every object a test creates is named lxdt-*; none may survive the tests,
# in the main daemon nor in the private one (when it runs). Objects that
# were there before this run (a crashed earlier run, someone else's work
# on the shared daemon) are reported but are not this run's failure.
list_objects() {
    lxc list --all-projects --format csv -c n
    lxc profile list --format csv | cut -d, -f1
    lxc network list --format csv | cut -d, -f1
    lxc storage list --format csv | cut -d, -f1
    lxc project list --format csv | cut -d, -f1 | sed 's/ (current)$//'
    lxc image list --format csv -c l | tr ',' '\n'
    lxc config trust list --format csv | cut -d, -f2
}
all_test_objects() {
    {
        list_objects
        if [ -S "$PRIVATE_DIR/unix.socket" ] &&
            curl -fsS --max-time 3 --unix-socket "$PRIVATE_DIR/unix.socket" http://lxd/1.0 >/dev/null 2>&1; then
            LXD_DIR=$PRIVATE_DIR list_objects | sed 's/$/ (private daemon restart-test)/'
        fi
        if [ -S "$SECOND_DIR/unix.socket" ]; then
            LXD_DIR=$SECOND_DIR list_objects | sed 's/$/ (second daemon)/'
        fi
    } 2>/dev/null | grep '^lxdt-' | sort -u || true
}
private_ready >/dev/null
second_ready
clusters_ready
all_test_objects >build/objects-before.txt

lanes=()
[ "${#c_runs[@]}" -gt 0 ] && lanes+=(c)
{ [ "${#private_runs[@]}" -gt 0 ] || [ -z "$FILTER" ] || [ "$FILTER" = fuzz ]; } && lanes+=(private)
[ "${#cluster_runs[@]}" -gt 0 ] && lanes+=(cluster)
[ "$run_bindings" = 1 ] && lanes+=(bindings)
step "running ${lanes[*]} in parallel (logs: build/lanes/)"
lane_started=$(date +%s)
pids=()
for lane in "${lanes[@]}"; do
    ( "lane_$lane" >"build/lanes/$lane.log" 2>&1; echo "lane $lane: $(( $(date +%s) - lane_started )) s" >>"build/lanes/$lane.log" ) &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

total_pass=0; total_fail=0; failed_programs=()
c_pass=0; c_fail=0; binding_summary=""
for lane in "${lanes[@]}"; do
    step "lane $lane"
    cat "build/lanes/$lane.log"
    [ -f "build/lanes/$lane.results" ] || continue
    while IFS=$'\t' read -r label rc summary; do
        count_run "$label" "$rc" "$summary"
        if [ "$lane" = bindings ]; then
            binding_summary+="; ${label%-binding}: $run_pass passed, $run_fail failed"
        else
            c_pass=$((c_pass + run_pass)); c_fail=$((c_fail + run_fail))
        fi
    done <"build/lanes/$lane.results"
done

private_ready >/dev/null
step "leftover check"
all_test_objects >build/objects-after.txt
stale=$(comm -12 build/objects-before.txt build/objects-after.txt)
if [ -n "$stale" ]; then
    echo "note: test objects that were already there before this run (not counted):"
    echo "$stale"
fi
leftovers=$(comm -13 build/objects-before.txt build/objects-after.txt)
if [ -n "$leftovers" ]; then
    echo "!!! test objects left behind:"; echo "$leftovers"
    failed_programs+=(leftovers)
fi

echo
if [ "${#failed_programs[@]}" -gt 0 ]; then
    echo "FAILED: ${failed_programs[*]}"
fi
rust_pass=0; rust_fail=0
if [ -f build/cargo-test.log ] && [ -z "$FILTER" ]; then
    rust_pass=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' build/cargo-test.log | awk '{s+=$4} END {print s+0}')
    rust_fail=$(grep -Eo '[0-9]+ failed;' build/cargo-test.log | awk '{s+=$1} END {print s+0}')
fi
echo "Rust tests: $rust_pass passed, $rust_fail failed; C tests: $c_pass passed, $c_fail failed${binding_summary}"
echo "total: $((rust_pass + total_pass)) passed, $((rust_fail + total_fail)) failed"
[ "${#failed_programs[@]}" -eq 0 ]
