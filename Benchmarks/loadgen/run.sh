#!/usr/bin/env bash
# Banyan's load generator against wrk on the same trivial server, one core each, in one run:
# the server on core 1, the generator on core 0, both generators closed loop with the same
# connections (the way to find a generator's ceiling), interleaved wrk, banyan, wrk, banyan.
# Prints each run, the best of each, and the ratio banyan ÷ wrk (the target is ≥ 0.8).
#   Benchmarks/loadgen/run.sh [SECONDS] [CONNECTIONS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
connections=${2:-32}
repeats=${3:-2}

if ! command -v wrk >/dev/null; then
    echo "loadgen: installing wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
echo "loadgen: building release (banyan, LoadgenServer)"
swift build -c release --product banyan 2>&1 | grep -E "error|Compiling|Build" | tail -1
swift build -c release --product LoadgenServer 2>&1 | grep -E "error|Build" | tail -1
bin=$(swift build -c release --show-bin-path)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 1 "$bin/LoadgenServer" "$port" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

url="http://127.0.0.1:$port/"
best_wrk=0
best_banyan=0
echo "loadgen: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "loadgen: ${seconds}s per run, $connections connections, server on core 1, generator on core 0"
for i in $(seq 1 "$repeats"); do
    wrk_rate=$(taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" "$url" | awk '/Requests\/sec/ {print $2}')
    echo "  run $i  wrk     ${wrk_rate} req/s"
    banyan_rate=$(taskset -c 0 "$bin/banyan" bench --target "$url" --closed-loop --rounds 0 --warmup 0 \
        --low-load-duration 0 --connections "$connections" --duration "${seconds}s" --json 2>/dev/null \
        | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["targets"][0]["closedLoop"]["achievedRate"])')
    echo "  run $i  banyan  ${banyan_rate} req/s"
    best_wrk=$(python3 -c "print(max($best_wrk, $wrk_rate))")
    best_banyan=$(python3 -c "print(max($best_banyan, $banyan_rate))")
done
ratio=$(python3 -c "print('%.2f' % ($best_banyan / $best_wrk))")
echo "loadgen: best wrk $best_wrk req/s, best banyan $best_banyan req/s, banyan/wrk = $ratio (target >= 0.80)"
python3 -c "import sys; sys.exit(0 if $ratio >= 0.8 else 1)"
