#!/usr/bin/env bash
# "Was the rewrite worth it?": banyan bench of the Express service, the Swift port and the Rust
# port side by side, on a CPU-bound route (GET /price/:symbol) and an I/O-light one
# (GET /users/:id). Release builds of everything; Express with NODE_ENV=production.
#
#   Benchmarks/three-way.sh [--price-rate N] [--users-rate N] [--duration 5s] [--rounds 3]
#
# Prints banyan bench's table for each route (p50/p99/p99.9, RSS idle and under load, CPU per
# request, verdict, honesty checks, conditions) and writes the HTML reports to .build/three-way/.
set -euo pipefail
price_rate=100
users_rate=400
duration=5s
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --price-rate) price_rate="$2"; shift 2 ;;
        --users-rate) users_rate="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "three-way.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
source scripts/setup.sh
out=.build/three-way
mkdir -p "$out"

echo "== release builds: banyan, ShopPort, shop-rust"
build() { "$@" >"$out/build.log" 2>&1 || { tail -20 "$out/build.log" >&2; echo "build failed: $*" >&2; exit 2; }; }
build swift build -c release --product banyan
build swift build -c release --package-path Examples/ShopPort
build bash scripts/build-shop-rust.sh
banyan=.build/release/banyan
swift_bin=Examples/ShopPort/.build/release/ShopPort
rust_bin=Examples/shop-rust/target/release/shop-rust

source Benchmarks/lib.sh
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
wait_for() {
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    echo "nothing listens on port $1" >&2; exit 2
}
node_port=$(free_port); swift_port=$(free_port); rust_port=$(free_port)
NODE_ENV=production PORT=$node_port HOST=127.0.0.1 node Examples/shop-legacy/server.js >"$out/node.log" 2>&1 &
pids+=($!)
"$swift_bin" --host 127.0.0.1 --port "$swift_port" >"$out/swift.log" 2>&1 &
pids+=($!)
"$rust_bin" --host 127.0.0.1 --port "$rust_port" >"$out/rust.log" 2>&1 &
pids+=($!)
wait_for "$node_port"; wait_for "$swift_port"; wait_for "$rust_port"

run() {
    local name=$1 path=$2 rate=$3
    echo
    echo "== $name: GET $path at $rate requests/s, $rounds rounds of $duration per target"
    local targets=(--target "express=http://127.0.0.1:$node_port$path" \
        --target "swift=http://127.0.0.1:$swift_port$path" --target "rust=http://127.0.0.1:$rust_port$path")
    $banyan bench "${targets[@]}" --rate "$rate" --duration "$duration" --rounds "$rounds" --warmup 3s \
        --html "$out/$name.html"
}
run price /price/AAPL "$price_rate"
run users /users/1 "$users_rate"
echo
echo "HTML reports: $out/price.html, $out/users.html"
