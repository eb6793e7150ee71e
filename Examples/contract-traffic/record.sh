#!/usr/bin/env bash
# Records seeded, varied traffic from Examples/shop-legacy (Express) as fixtures, for contract
# inference and its hold-out test.
#   Examples/contract-traffic/record.sh OUT_DIR [COUNT] [SEED]
# BANYAN names the banyan executable (default: .build/debug/banyan, then release).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:?usage: record.sh OUT_DIR [COUNT] [SEED]}"
count="${2:-5000}"
seed="${3:-17}"
banyan="${BANYAN:-}"
if [ -z "$banyan" ]; then
    for candidate in "$root/.build/debug/banyan" "$root/.build/release/banyan"; do
        [ -x "$candidate" ] && banyan="$candidate" && break
    done
fi
[ -x "$banyan" ] || { echo "record.sh: no banyan executable; run 'swift build' or set BANYAN" >&2; exit 2; }
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
requests="$(mktemp /tmp/contract-traffic-XXXXXX.http)"
python3 "$root/Examples/contract-traffic/make-requests.py" --seed "$seed" --count "$count" --out "$requests"

NODE_ENV=production PORT="$port" HOST=127.0.0.1 node "$root/Examples/shop-legacy/server.js" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$requests"' EXIT
for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
"$banyan" record --target "http://127.0.0.1:$port" --requests "$requests" --out "$out" --repeat 1 \
    --config "$root/Examples/banyan.yaml"
