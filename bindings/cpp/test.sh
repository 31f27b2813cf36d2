#!/usr/bin/env bash
# Build and run the C++ binding's test suite against the real LXD daemon.
#
# Needs liblxd through pkg-config (PKG_CONFIG_PATH) and at run time on the
# loader's path (LD_LIBRARY_PATH), with lxd.hpp and lxd_kinds.hpp installed
# beside lxd.h (the top-level `make install` does it: the README's example
# is built as the README says, against the installed headers), g++ (or
# $CXX), lxc, jq, tar, openssl, and valgrind unless LIBLXD_VALGRIND=0. An
# argument runs only the tests whose name contains it. The last line
# printed is "<N> passed, <M> failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CXX=${CXX:-g++}
WARN=(-Wall -Wextra -Wpedantic -Werror)
read -r -a LXD_CFLAGS <<<"$(pkg-config --cflags liblxd)"
read -r -a LXD_LIBS <<<"$(pkg-config --libs liblxd)"

build=$(mktemp -d /tmp/lxdt-cpp-build-XXXXXX)
trap 'rm -rf "$build"' EXIT

sources=(tests/*.cpp)

# lxd_kinds.hpp is generated from the library's own table of kinds
# (lxd_kind_info): the committed copy must be what this library generates.
echo "==> lxd_kinds.hpp is what gen/gen_kinds.sh makes of this liblxd's kinds"
bash gen/gen_kinds.sh "$build/lxd_kinds.hpp"
if ! diff -u lxd_kinds.hpp "$build/lxd_kinds.hpp"; then
    echo "FAIL lxd_kinds.hpp is stale (the diff above turns it into the generated one);"
    echo "     regenerate it: bash bindings/cpp/gen/gen_kinds.sh bindings/cpp/lxd_kinds.hpp"
    exit 1
fi

# The README, checked as written. Its ```cpp blocks: the program must be
# examples/walkthrough.cpp (after that file's comment header); every other
# block, all pasted in order into one function (so that no two clash),
# must compile; the blocks of each section also go to readme/<section>.inc,
# which tests/test_readme.cpp includes to run the Exec and Files ones.
echo "==> README: the walkthrough is the example, every snippet compiles together"
mkdir -p "$build/readme"
awk -v dir="$build/readme" '
    /^## / { sec = tolower($2); gsub(/[^a-z]/, "", sec) }
    /^```cpp$/ { inb = 1; n++; f = dir "/block" n ".cpp"; print f, sec > (dir "/blocks"); next }
    /^```$/ && inb { inb = 0; close(f); next }
    inb { print > f }
' README.md
snip="$build/readme/snippets.cpp"
{
    printf '#include <lxd.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
'
    printf '#include <string>
#include <string_view>

'
    printf 'void readme_snippets(lxd::Client &client, const std::string &def, const std::string &bytes) {
'
} >"$snip"
programs=0
while read -r f sec; do
    if grep -q '^int main(' "$f"; then
        programs=$((programs + 1))
        if ! diff -u "$f" <(sed '1,/^$/d' examples/walkthrough.cpp); then
            echo "FAIL the README's program differs from examples/walkthrough.cpp (above)"
            exit 1
        fi
    else
        cat "$f" >>"$snip"
        cat "$f" >>"$build/readme/$sec.inc"
    fi
done <"$build/readme/blocks"
echo '}' >>"$snip"
[ "$programs" -eq 1 ] || { echo "FAIL the README has $programs programs, not 1"; exit 1; }
# Snippets show values as bare expressions and unused variables.
for std in c++17 c++20; do
    "$CXX" -std=$std "${WARN[@]}" -Wno-unused-variable -Wno-unused-but-set-variable         -Wno-unused-result -I. "${LXD_CFLAGS[@]}" -fsyntax-only "$snip"
done

# The README's table "C API → C++" names every function of the installed
# <lxd.h> (so every action of every kind, lxd_<kind>_<action>, has its C++
# call), and names none that it lacks. In its first column
# `lxd_x_get/exists/all` stands for lxd_x_get, lxd_x_exists and lxd_x_all,
# and `lxd_x_…` for a kind's lxd_x_get, _exists, _all and _create.
echo "==> README: its C API table maps every function of <lxd.h>"
header="$(pkg-config --variable=includedir liblxd)/lxd.h"
grep -E '^[a-z]' "$header" | grep -oE '\blxd_[a-z0-9_]+\(' | tr -d "(" | LC_ALL=C sort -u >"$build/exports"
[ -s "$build/exports" ] || { echo "FAIL no function found in $header"; exit 1; }
awk '/^## C API → C\+\+$/ { t = 1; next } /^## / { t = 0 } t && /^\| `/' README.md | cut -d'|' -f2 |
    sed 's/…/*/g' | grep -oE 'lxd_[a-z0-9_/*]+' | while read -r tok; do
    case "$tok" in
    *_\*) for op in get exists all create; do echo "${tok%\*}$op wildcard"; done ;;
    */*)
        base=${tok%%/*}
        echo "$base"
        IFS=/ read -r -a alts <<<"${tok#*/}"
        for alt in "${alts[@]}"; do echo "${base%_*}_$alt"; done
        ;;
    *) echo "$tok" ;;
    esac
done >"$build/mapped"
unmapped=$(cut -d' ' -f1 "$build/mapped" | LC_ALL=C sort -u | LC_ALL=C comm -23 "$build/exports" -)
if [ -n "$unmapped" ]; then
    echo "FAIL the README's C API table lacks:" $unmapped
    exit 1
fi
unknown=$(grep -v ' wildcard$' "$build/mapped" | LC_ALL=C sort -u | LC_ALL=C comm -13 "$build/exports" -)
if [ -n "$unknown" ]; then
    echo "FAIL the README's C API table names what <lxd.h> lacks:" $unknown
    exit 1
fi

echo "==> headers alone, C++17 and C++20, extra warnings"
for std in c++17 c++20; do
    for h in lxd.hpp lxd_kinds.hpp; do
        printf '#include "%s"\n#include "%s"\n' "$h" "$h" >"$build/${h%.hpp}_$std.cpp"
        "$CXX" -std=$std "${WARN[@]}" -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast \
            -Wnon-virtual-dtor -I. "${LXD_CFLAGS[@]}" -c "$build/${h%.hpp}_$std.cpp" \
            -o "$build/${h%.hpp}_$std.o"
    done
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

check20() {
    "$CXX" -std=c++20 "${WARN[@]}" -I. -Itests -I"$build/readme" "${LXD_CFLAGS[@]}" -fsyntax-only "$1"
}
compile17() {
    "$CXX" -std=c++17 -g -O1 "${WARN[@]}" -I. -Itests -I"$build/readme" "${LXD_CFLAGS[@]}" -c "$1" \
        -o "$build/$(basename "$1" .cpp).o"
}

echo "==> tests and example, C++20 (syntax only)"
FILES=("${sources[@]}" examples/walkthrough.cpp)
parallel check20

echo "==> building with C++17"
FILES=("${sources[@]}")
parallel compile17
"$CXX" -std=c++17 -g -O1 -pthread "$build"/*.o -o "$build/cpp_tests" "${LXD_LIBS[@]}"
# The example, built with the README's own command (from the top of the
# repository, against the installed <lxd.hpp>), into $build instead of /tmp.
readme_build=$(awk '/^```sh$/ { inb = 1; next } /^```$/ { inb = 0 } inb' README.md |
    grep -m1 'examples/walkthrough\.cpp' || true)
case "$readme_build" in
*"-o /tmp/walkthrough "*) ;;
*) echo "FAIL the README's build command for the example is not found"; exit 1 ;;
esac
for h in lxd.hpp lxd_kinds.hpp; do
    if [ ! -f "$(pkg-config --variable=includedir liblxd)/$h" ]; then
        echo "FAIL $h is not installed beside lxd.h (run the top-level make install)"
        exit 1
    fi
done
(cd ../.. && eval "${readme_build//\/tmp\/walkthrough/$build/walkthrough}")
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

# Everything the tests create is named lxdt-cpp-<what>-$LXDT_CPP_RUN-<n>.
export LXDT_CPP_RUN="r$$"
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

# Nothing of this run may remain on the daemon (other runs may share it).
left=$( (lxc list --all-projects --format csv -c n; lxc profile list --format csv | cut -d, -f1;
    lxc project list --format csv | cut -d, -f1 | sed 's/ (current)$//';
    lxc config trust list --format csv | cut -d, -f2) \
    2>/dev/null | grep "^lxdt-cpp-.*-$LXDT_CPP_RUN-[0-9]*\$" || true)
if [ -n "$left" ]; then
    echo "FAIL objects left behind:" $left
    failed=$((failed + 1))
else
    echo "ok   no_lxdt_cpp_objects_left"
    passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
