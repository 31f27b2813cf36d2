#!/usr/bin/env bash
# Build, vet and run the Go binding's test suite against the real LXD.
# Needs PKG_CONFIG_PATH (and LD_LIBRARY_PATH) to find liblxd, a running LXD
# with the image alias busybox, and no internet. The suite runs twice: as
# is, then under the race detector; the last line counts the `--- PASS` and
# `--- FAIL` lines (top-level tests and subtests) of both runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=1
export GOTOOLCHAIN=local
if [[ -z "${HOME:-}" || ! -w "${HOME:-/nonexistent}" ]]; then
	export GOCACHE=${GOCACHE:-/tmp/lxdt-go-cache} GOPATH=${GOPATH:-/tmp/lxdt-go-path}
fi
# Everything the tests create is named lxdt-go-$LXDT_GO_RUN-…
export LXDT_GO_RUN=${LXDT_GO_RUN:-$$r$RANDOM}

cleanup() {
	# Safety net for a crashed run: remove whatever this run left behind.
	local prefix="lxdt-go-$LXDT_GO_RUN-" n
	for n in $(lxc list --format csv -c n 2>/dev/null | grep "^$prefix" || true); do
		lxc delete -f "$n" >/dev/null 2>&1 || true
	done
	for n in $(lxc profile list --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
		lxc profile delete "$n" >/dev/null 2>&1 || true
	done
	# The copies and moves of the image and migration tests (second server),
	# and image aliases on both.
	local second=/var/lib/lxd-liblxd-second
	for n in $(LXD_DIR=$second lxc list --format csv -c n 2>/dev/null | grep "^$prefix" || true); do
		LXD_DIR=$second lxc delete -f "$n" >/dev/null 2>&1 || true
	done
	for n in $(lxc image alias list --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
		lxc image alias delete "$n" >/dev/null 2>&1 || true
	done
	for n in $(LXD_DIR=$second lxc image alias list --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
		LXD_DIR=$second lxc image alias delete "$n" >/dev/null 2>&1 || true
	done
	local p
	for p in $(lxc project list --format csv 2>/dev/null | cut -d, -f1 | sed 's/ (current)$//' | grep "^$prefix" || true); do
		for n in $(lxc list --project "$p" --format csv -c n 2>/dev/null || true); do
			lxc delete -f --project "$p" "$n" >/dev/null 2>&1 || true
		done
		lxc project delete "$p" >/dev/null 2>&1 || true
	done
	# The real cluster (cluster_live_test.go), through member 1's socket:
	# instances, profiles and projects, join tokens.
	local cl=/var/lib/lxd-liblxd-cluster-1
	if [[ -S $cl/unix.socket ]]; then
		for n in $(LXD_DIR=$cl lxc list --format csv -c n 2>/dev/null | grep "^$prefix" || true); do
			LXD_DIR=$cl lxc delete -f "$n" >/dev/null 2>&1 || true
		done
		for n in $(LXD_DIR=$cl lxc profile list --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
			LXD_DIR=$cl lxc profile delete "$n" >/dev/null 2>&1 || true
		done
		for p in $(LXD_DIR=$cl lxc project list --format csv 2>/dev/null | cut -d, -f1 | sed 's/ (current)$//' | grep "^$prefix" || true); do
			for n in $(LXD_DIR=$cl lxc list --project "$p" --format csv -c n 2>/dev/null || true); do
				LXD_DIR=$cl lxc delete -f --project "$p" "$n" >/dev/null 2>&1 || true
			done
			for n in $(LXD_DIR=$cl lxc profile list --project "$p" --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
				LXD_DIR=$cl lxc profile delete --project "$p" "$n" >/dev/null 2>&1 || true
			done
			LXD_DIR=$cl lxc project delete "$p" >/dev/null 2>&1 || true
		done
		for n in $(LXD_DIR=$cl lxc cluster list-tokens --format csv 2>/dev/null | cut -d, -f1 | grep "^$prefix" || true); do
			LXD_DIR=$cl lxc cluster revoke-token "$n" >/dev/null 2>&1 || true
		done
	fi
	for n in $(lxc query '/1.0/certificates?recursion=1' 2>/dev/null |
		jq -r --arg p "$prefix" '.[] | select(.name | startswith($p)) | .fingerprint' 2>/dev/null || true); do
		lxc config trust remove "$n" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

pkg-config --exists liblxd || { echo "pkg-config cannot find liblxd (set PKG_CONFIG_PATH)" >&2; exit 1; }

fail=0
unformatted=$(gofmt -l .)
if [[ -n "$unformatted" ]]; then
	echo "gofmt: not formatted: $unformatted" >&2
	fail=1
fi
go vet ./... || fail=1

log=$(mktemp /tmp/lxdt-go-test.XXXXXX)
trap 'rm -f "$log"; cleanup' EXIT
status=0
go test -count=1 -v -timeout 20m ./... 2>&1 | tee -a "$log" || status=1
go test -race -count=1 -v -timeout 30m ./... 2>&1 | tee -a "$log" || status=1

passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
if [[ $status -ne 0 || $fail -ne 0 ]] && [[ $failed -eq 0 ]]; then
	failed=1 # a build, vet or format failure, or a crash before any test ended
fi
echo "$passed passed, $failed failed"
[[ $status -eq 0 && $fail -eq 0 && $failed -eq 0 ]]
