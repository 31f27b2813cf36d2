#!/usr/bin/env bash
# Build and run the C++ binding's test suite against the real LXD daemon.
#
# Needs liblxd through pkg-config (PKG_CONFIG_PATH) and at run time on the
# loader's path (LD_LIBRARY_PATH), g++ (or $CXX), lxc, jq, openssl, and
# valgrind unless LIBLXD_VALGRIND=0. An argument runs only the tests whose
# name contains it. The last line printed is "<N> passed, <M> failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CXX=${CXX:-g++}
WARN=(-Wall -Wextra -Wpedantic -Werror)
read -r -a LXD_CFLAGS <<<"$(pkg-config --cflags liblxd)"
read -r -a LXD_LIBS <<<"$(pkg-config --libs liblxd)"

build=$(mktemp -d /tmp/lxdt-cpp-build-XXXXXX)
trap 'rm -rf "$build"' EXIT

sources=(tests/*.cpp) # readme_snippets.cpp: the README's snippets, compiled

echo "==> header alone, C++17 and C++20, extra warnings"
for std in c++17 c++20; do
    printf '#include "lxd.hpp"\n#include "lxd.hpp"\n' >"$build/header_$std.cpp"
    "$CXX" -std=$std "${WARN[@]}" -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast \
        -Wnon-virtual-dtor -I. "${LXD_CFLAGS[@]}" -c "$build/header_$std.cpp" -o "$build/header_$std.o"
done

# Run "$@" for every file in FILES, two at a time (2 cores); fail if any fails.
parallel() {
    local pids=() f
    for f in "${FILES[@]}"; do
        "$@" "$f" &
        pids+=($!)
        if [ ${#pids[@]} -ge 2 ]; then
            wait "${pids[0]}"
            pids=("${pids[@]:1}")
        fi
    done
    for f in "${pids[@]}"; do wait "$f"; done
}

check20() { "$CXX" -std=c++20 "${WARN[@]}" -I. -Itests "${LXD_CFLAGS[@]}" -fsyntax-only "$1"; }
compile17() {
    "$CXX" -std=c++17 -g -O1 "${WARN[@]}" -I. -Itests "${LXD_CFLAGS[@]}" -c "$1" \
        -o "$build/$(basename "$1" .cpp).o"
}

echo "==> tests and example, C++20 (syntax only)"
FILES=("${sources[@]}" examples/walkthrough.cpp)
parallel check20

echo "==> building with C++17"
FILES=("${sources[@]}")
parallel compile17
"$CXX" -std=c++17 -g -O1 -pthread "$build"/*.o -o "$build/cpp_tests" "${LXD_LIBS[@]}"
"$CXX" -std=c++17 -g -O1 "${WARN[@]}" -I. "${LXD_CFLAGS[@]}" examples/walkthrough.cpp \
    -o "$build/walkthrough" "${LXD_LIBS[@]}"
export LXDT_CPP_WALKTHROUGH="$build/walkthrough"

run=("$build/cpp_tests")
if [ "${LIBLXD_VALGRIND:-1}" != "0" ]; then
    # As the C tests: definite and indirect leaks are errors; "possibly lost"
    # blocks are process-lifetime tables (hashbrown keeps an interior pointer).
    run=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
        --error-exitcode=99 --suppressions=../../tests/c/valgrind.supp "${run[@]}")
    echo "==> running under valgrind"
else
    echo "==> running (LIBLXD_VALGRIND=0: without valgrind)"
fi

rc=0
"${run[@]}" "$@" | tee "$build/out.txt" || rc=$?
summary=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$build/out.txt" | tail -n 1 || true)
passed=$(echo "$summary" | awk '{print $1}')
failed=$(echo "$summary" | awk '{print $3}')
passed=${passed:-0}
failed=${failed:-0}
if [ -z "$summary" ]; then
    echo "FAIL the test program ended without its summary (exit status $rc)"
    failed=$((failed + 1))
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "FAIL valgrind reported errors or leaks (exit status $rc)"
    failed=$((failed + 1))
fi

# Nothing of ours may remain on the daemon.
left=$( (lxc list --format csv -c n; lxc profile list --format csv | cut -d, -f1;
    lxc config trust list --format csv | cut -d, -f2) 2>/dev/null | grep '^lxdt-cpp-' || true)
if [ -n "$left" ]; then
    echo "FAIL objects left behind:" $left
    failed=$((failed + 1))
else
    echo "ok   no_lxdt_cpp_objects_left"
    passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
