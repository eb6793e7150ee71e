#!/usr/bin/env bash
# The migration journey on the bundled example, with nothing to configure: the Express shop
# (Examples/shop-legacy) and its Swift port (Examples/ShopPort) are started on free ports, the
# Express answers are recorded as fixtures, and the port is verified and probed against them,
# first as a careful port, then with its classic porting mistakes (--naive).
#   scripts/demo.sh                 the careful candidate is the Swift port (Examples/ShopPort)
#   scripts/demo.sh --port rust     the careful candidate is the Rust port (Examples/shop-rust)
# The naive mistakes (steps 4 and 5) are the Swift port's --naive in both cases.
set -euo pipefail
cd "$(dirname "$0")/.."
candidate=swift
case "${1:-}" in
    "") ;;
    --port) candidate="${2:-}" ;;
    --port=*) candidate="${1#--port=}" ;;
    *) echo "usage: scripts/demo.sh [--port swift|rust]" >&2; exit 2 ;;
esac
[ "$candidate" = swift ] || [ "$candidate" = rust ] || { echo "--port is swift or rust" >&2; exit 2; }
source scripts/setup.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "building banyan and the Swift port (the first build takes a few minutes)"
swift build --product banyan 2>&1 | grep -E "error|warning:|Compiling banyan|Build complete" || true
swift build --package-path Examples/ShopPort 2>&1 | grep -E "error|warning:|Build complete" || true
banyan=.build/debug/banyan
port_bin=Examples/ShopPort/.build/debug/ShopPort
careful_bin=$port_bin
if [ "$candidate" = rust ]; then
    say "building the Rust port (offline, from Debian's crates)"
    bash scripts/build-shop-rust.sh build 2>&1 | grep -E "error|warning|Finished" || true
    careful_bin=Examples/shop-rust/target/release/shop-rust
fi
work=.banyan/demo
rm -rf "$work" && mkdir -p "$work"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_for() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1; see $work/*.log" >&2
    exit 2
}
start_services() {
    local bin=$port_bin
    if [ "${1:-}" = --careful ]; then bin=$careful_bin; shift; fi
    legacy_port=$(free_port); port_port=$(free_port)
    NODE_ENV=production PORT=$legacy_port HOST=127.0.0.1 node Examples/shop-legacy/server.js >"$work/legacy.log" 2>&1 &
    pids+=($!)
    "$bin" --host 127.0.0.1 --port "$port_port" "$@" >"$work/port.log" 2>&1 &
    pids+=($!)
    wait_for "$legacy_port"; wait_for "$port_port"
}

say "1. the example migration: Examples/banyan.yaml"
$banyan config check Examples/banyan.yaml

say "2. record what the Express service answers (Examples/requests.http)"
start_services --careful
$banyan record --config Examples/banyan.yaml --target "http://127.0.0.1:$legacy_port" \
    --requests Examples/requests.http --out "$work/fixtures"
echo "one fixture, as a reviewer reads it:"
sed 's/^/    /' "$(ls "$work"/fixtures/get-orders-id/*.fixture | head -1)"

say "3. verify the careful $candidate port ($careful_bin) against the fixtures"
$banyan verify "$work/fixtures" --config Examples/banyan.yaml --target "http://127.0.0.1:$port_port" | tail -4
cleanup; pids=()

say "4. verify the naive port (ShopPort --naive): every classic mistake, with its kind and path"
start_services --naive
# The recorded fixtures replay the same requests in the same order, so both start from the same state.
set +e
$banyan verify "$work/fixtures" --config Examples/banyan.yaml --target "http://127.0.0.1:$port_port" >"$work/naive-verify.txt"
status=$?
set -e
grep -v "^PASS" "$work/naive-verify.txt" || true
echo "(exit status $status: 1 means differences at or above the policy's fail_at severity; add --format json for the report other tools read)"
cleanup; pids=()

say "5. probe edge cases the requests did not cover (trailing slash, case, %ZZ, HEAD, OPTIONS, …)"
start_services --naive
set +e
$banyan probe --config Examples/banyan.yaml --legacy "http://127.0.0.1:$legacy_port" \
    --candidate "http://127.0.0.1:$port_port" --requests Examples/requests.http | grep -E "^FAIL|^[0-9]+ exchanges"
set -e

say "done: fixtures in $work/fixtures; 'banyan --help' for the rest of the journey"
