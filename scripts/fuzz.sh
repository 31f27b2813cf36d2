#!/usr/bin/env bash
# Fuzz what liblxd parses of a server's answers, and its JSON options, with
# cargo-fuzz (libFuzzer + AddressSanitizer): builds every target in fuzz/,
# then runs each for FUZZ_SECONDS (default 6: all targets together take
# about a minute), starting from its committed corpus (fuzz/corpus/<target>).
#
#   bash scripts/fuzz.sh                     every target, 6 s each
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh    ten minutes each
#   bash scripts/fuzz.sh http_response sftp_reply    only these
#
# Fails if any target crashes: a panic (a failed invariant), a sanitizer
# report, memory over 2 GiB, or one input running over FUZZ_TIMEOUT
# seconds (default 10). The input that did it is saved as
# fuzz/artifacts/<target>/crash-* (or oom-*, timeout-*); replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
# New inputs that reached new code go to build/fuzz/corpus/<target>, not
# to the committed corpus (see README, "Fuzzing"). Logs: build/fuzz/<target>.log.
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer, sanitizer coverage);
# this uses the stable toolchain with RUSTC_BOOTSTRAP=1, never a download.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
SECONDS_EACH="${FUZZ_SECONDS:-6}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

started=$(date +%s)
echo "==> building ${#targets[@]} fuzz target(s)"
if [ "$#" -eq 0 ]; then
    cargo fuzz build
else
    for t in "${targets[@]}"; do cargo fuzz build "$t"; done
fi

mkdir -p build/fuzz
failed=()
for t in "${targets[@]}"; do
    mkdir -p "build/fuzz/corpus/$t" "fuzz/corpus/$t"
    log="build/fuzz/$t.log"
    if cargo fuzz run "$t" "build/fuzz/corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -print_final_stats=1 \
        >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "    $t: ok, ${runs:-?} inputs in ${SECONDS_EACH} s"
    else
        failed+=("$t")
        echo "!!! $t crashed:"
        grep -E -A20 "panicked|ERROR: |SUMMARY" "$log" | head -60
        grep -E "Test unit written|artifact_prefix" "$log" || true
    fi
done

echo "==> fuzzing took $(($(date +%s) - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) crashed: ${failed[*]}"
    echo "$((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
    exit 1
fi
echo "${#targets[@]} passed, 0 failed"
