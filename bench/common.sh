# Shared by bench/run.sh and bench/run-stream.sh; sourced (not run) after
# `cd` to the repository root with ROOT set to it.
#
#   bench_build_liblxd      cargo build --release, the liblxd.so.0 link, and a
#                           copy of the library in $OUT/lib (see below)
#   bench_build_c NAME [ARGS] gcc bench/NAME.c [ARGS] -> $OUT/NAME, linked to that copy
#   bench_liblxd_source     one line: the commit liblxd was built from, and
#                           whether src/ had uncommitted changes
#   bench_ensure_venv       $VENV with pylxd==$PYLXD_VERSION from PyPI

PYLXD_VERSION=2.4.2
VENV="$ROOT/bench/.venv"
OUT="$ROOT/target/bench"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$HOME/.cargo/bin:$PATH"

# Messages go to stderr, prefixed with $BENCH_TAG (default "bench").
say() { echo "${BENCH_TAG:-bench}: $*" >&2; }

# The bench programs load a copy of the library taken right after the build
# ($OUT/lib/liblxd.so.0, its soname): target/release is shared with whoever
# else builds in this tree, and a rebuild there during a run would otherwise
# change the library under the later rounds.
bench_build_liblxd() {
    say "building liblxd (cargo build --release) ..."
    cargo build --release -q
    ln -sf liblxd.so target/release/liblxd.so.0
    mkdir -p "$OUT/lib"
    cp target/release/liblxd.so "$OUT/lib/.liblxd.so.0.$$"
    mv -f "$OUT/lib/.liblxd.so.0.$$" "$OUT/lib/liblxd.so.0"
}

bench_build_c() { # NAME [more gcc arguments]
    gcc -O2 -Wall -Wextra -std=gnu11 -Iinclude "bench/$1.c" -o "$OUT/$1" \
        -L"$OUT/lib" -l:liblxd.so.0 -Wl,-rpath,"$OUT/lib" "${@:2}"
}

bench_liblxd_source() {
    local rev dirty
    rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    dirty="$(git -C "$ROOT" status --porcelain -- src include build.rs Cargo.toml Cargo.lock 2>/dev/null | wc -l)"
    if [ "$dirty" = 0 ]; then echo "built from commit $rev"; else
        echo "built from commit $rev + $dirty uncommitted file(s) in src/ etc."; fi
}

bench_ensure_venv() {
    if ! "$VENV/bin/python" -c "import pylxd, sys; sys.exit(pylxd.__version__ != '$PYLXD_VERSION')" 2>/dev/null; then
        say "creating $VENV with pylxd==$PYLXD_VERSION ..."
        if ! python3 -c 'import ensurepip' 2>/dev/null; then
            # Debian splits venv/ensurepip off python3 itself.
            apt-get install -y -qq python3-venv >/dev/null
        fi
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
        # pylxd 2.4.2 installs and runs as is on Python 3.11 with the current
        # requests/urllib3/cryptography; nothing needs pinning.
        "$VENV/bin/pip" install -q --disable-pip-version-check "pylxd==$PYLXD_VERSION"
    fi
}
