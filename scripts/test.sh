#!/usr/bin/env bash
# Runs every Banyan test on a fresh machine: installs what is missing, checks formatting,
# builds the package and the example ports (Swift, Rust), then runs the unit and integration tests.
#   scripts/test.sh                 everything
#   scripts/test.sh --filter NAME   only tests whose name matches (swift test --filter), in one run
# Without --filter it ends by replaying the fuzzer's corpus (scripts/fuzz.sh --replay).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "lint (swift format lint --strict)"
swift format lint --strict --recursive Sources Tests Benchmarks/loadgen/Server Examples/ShopPort/Sources Examples/ShopPort/Tests Package.swift \
    Examples/ShopPort/Package.swift

step "build banyan (warnings fail the build)"
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning:|Compiling|Build" | grep -v "^\[" || true
if grep -E "^$root/(Sources|Tests)/.*: (warning|error):" "$log"; then
    echo "the build has warnings or errors in the project's own sources" >&2
    exit 1
fi
grep -q "error:" "$log" && { echo "build failed" >&2; exit 1; }

step "build the Swift port of the reference service (Examples/ShopPort)"
swift build --package-path Examples/ShopPort 2>&1 | grep -E "error|warning:|Build" || true
export BANYAN_SHOPPORT_BIN="$root/Examples/ShopPort/.build/debug/ShopPort"
[ -x "$BANYAN_SHOPPORT_BIN" ] || { echo "ShopPort did not build" >&2; exit 1; }

step "build the Rust port of the reference service (Examples/shop-rust, offline from Debian's crates)"
log=$(bash scripts/build-shop-rust.sh build 2>&1) || { echo "$log" >&2; echo "shop-rust did not build" >&2; exit 1; }
grep -E "warning|Finished" <<<"$log" || true
export BANYAN_SHOPRUST_BIN="$root/Examples/shop-rust/target/release/shop-rust"

step "shop-rust's own tests (cargo test)"
log=$(bash scripts/build-shop-rust.sh test 2>&1) || { echo "$log" >&2; echo "shop-rust's tests failed" >&2; exit 1; }
grep -E "^test result" <<<"$log"

step "ShopPort's own tests"
swift test --package-path Examples/ShopPort 2>&1 | tail -3

if [ $# -gt 0 ]; then
    step "banyan tests matching $*"
    swift test "$@"
    exit 0
fi

# Tests that kill processes at chosen moments, wait for a timed batch or measure latency assert
# what happened between two instants; they run after the rest, on their own, so that the suite's other work
# (and the builds of generated code) does not starve them of the processor. The test that builds
# the generated Rust crate and Swift package runs last, alone as well.
timed="DashboardTests|aRepairKilledAndRunAgainEndsTheSame|planOnTheReferenceWorkloadPutsThePriceRouteFirst|CrashSafetyTests|BackfillWorkersTests|shadowedWriteIsNotBatched|FleetTests|GuardProxyTests|GuardCompareTests|BenchTests|BenchCommandTests|BenchReferenceWorkloadTests|LimitsTests"
builds="ContractGenTests"

# Each group has a time limit (scripts/swift-test-within.sh): a test that never ends fails the run,
# naming itself, instead of holding it until the CI's own limit.
step "banyan tests (unit and integration)"
bash scripts/swift-test-within.sh 1500 --skip "$timed|$builds"

step "banyan tests that time kills, batches and latency, on their own, one at a time"
bash scripts/swift-test-within.sh 1200 --skip-build --no-parallel --filter "$timed"

step "banyan tests that build generated code, on their own"
bash scripts/swift-test-within.sh 1500 --skip-build --filter "$builds"

# The parsers' fuzz target (FuzzTesting/, a package of its own) replays its corpus and its past
# findings: a debug build with libFuzzer and AddressSanitizer, then a few seconds of replay. Last,
# so that its build does not compete with the timed tests; a finding fails the run.
step "fuzz target: replay FuzzTesting/Corpus and FuzzTesting/FailCases (scripts/fuzz.sh --replay)"
bash scripts/fuzz.sh --replay
