#!/usr/bin/env bash
# The newcomer's one command: on a fresh Debian machine, as root,
#
#   bash scripts/demo.sh
#
# installs and starts LXD with a busybox image (scripts/lxd-env.sh), builds
# liblxd, compiles examples/demo.c against include/lxd.h and runs it.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$HOME/.cargo/bin:$PATH"

say() { echo "demo: $*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "please run as root (LXD's socket and apt need it)"; exit 1; }

# liblxd uses Rust edition 2024: Rust 1.85 or newer. (Debian 12's own
# "cargo" package is 1.63, too old.)
rust_help() {
    say "install Rust 1.85+ with rustup, then run this again:"
    say "  apt-get install -y curl gcc"
    say "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y"
    say "  . \"\$HOME/.cargo/env\""
    exit 1
}
if ! command -v cargo >/dev/null; then
    say "cargo (Rust) is not installed."
    rust_help
fi
rust_minor="$(cargo --version | sed -n 's/^cargo 1\.\([0-9]*\).*/\1/p')"
if [ -n "$rust_minor" ] && [ "$rust_minor" -lt 85 ]; then
    say "$(cargo --version) is too old."
    rust_help
fi

say "1/4 preparing LXD (installs it on first run) ..."
bash scripts/lxd-env.sh

if ! command -v gcc >/dev/null; then
    say "installing gcc ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
fi

say "2/4 building liblxd (cargo build --release) ..."
cargo build --release
# The library's soname is liblxd.so.0; give the linker and loader that name.
ln -sf liblxd.so target/release/liblxd.so.0

say "3/4 compiling examples/demo.c ..."
mkdir -p target/demo
gcc -Wall -Wextra -std=c11 -O2 -Iinclude examples/demo.c -o target/demo/demo \
    -Ltarget/release -llxd -Wl,-rpath,"$ROOT/target/release"

say "4/4 running target/demo/demo"
echo
exec target/demo/demo
