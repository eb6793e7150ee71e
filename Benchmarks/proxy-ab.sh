#!/usr/bin/env bash
# A/B of two banyan release builds on proxy.sh's legacy-mode setup, in one run: the same nginx
# backend (a fixed 47-byte JSON body), one `banyan proxy` per build with the route in `legacy`
# mode (one event-loop thread), and wrk -t1 -c32 for DURATION s after a 2 s warm-up against each.
# Both proxies are started once; each round measures both, the order alternating between rounds
# (A B, B A, A B, ...), so drift on a shared host falls on both. Prints req/s, p99 and the proxy's
# CPU time per request (utime+stime from /proc) per run, the per-round ratios B/A and their
# medians, and the load average before and after.
#
#   Benchmarks/proxy-ab.sh BANYAN_A BANYAN_B [--duration S] [--rounds N] [--pin]
#   (A is the baseline, B the build under test; ROUNDS default 6, DURATION default 8)
#   --pin: both proxies on CPU 0, nginx and wrk on CPU 1 (taskset), so that the load generator and
#   the backend do not share the proxy's core; only one proxy is under load at a time.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
banyan_a=$(realpath "$1"); banyan_b=$(realpath "$2"); shift 2
duration=${DURATION:-8}; rounds=${ROUNDS:-6}; pin_proxy=(); pin_tools=()
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2%s}; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --pin) pin_proxy=(taskset -c 0); pin_tools=(taskset -c 1); shift ;;
        *) echo "proxy-ab.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for binary in "$banyan_a" "$banyan_b"; do [ -x "$binary" ] || { echo "not executable: $binary" >&2; exit 1; }; done
export PATH="$PATH:/usr/sbin"
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk (Benchmarks/proxy.sh installs them)" >&2; exit 1; }

work=$(mktemp -d /tmp/banyan-bench-ab.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -f "$work/backend.nginx.conf" ] && nginx -p "$work" -c "$work/backend.nginx.conf" -s stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"

backend_port=$(free_port)
cat >"$work/backend.nginx.conf" <<CONF
worker_processes 1;
pid $work/backend.pid;
error_log $work/backend-error.log;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:$backend_port; location / { default_type application/json; return 200 '{"id":1,"name":"Ada","email":"ada@example.com"}'; } } }
CONF
"${pin_tools[@]}" nginx -p "$work" -c "$work/backend.nginx.conf"
wait_port "$backend_port"

declare -A port_of pid_of
for side in A B; do
    binary=$banyan_a; [ "$side" = B ] && binary=$banyan_b
    port=$(free_port); admin=$(free_port)
    cat >"$work/banyan-$side.yaml" <<CONF
legacy: http://127.0.0.1:$backend_port
candidate: http://127.0.0.1:$backend_port
listen: 127.0.0.1:$port
admin: 127.0.0.1:$admin
state: sqlite:$work/state-$side.sqlite
routes:
  - route: GET /users/:id
    mode: legacy
CONF
    "${pin_proxy[@]}" "$binary" proxy --config "$work/banyan-$side.yaml" >"$work/banyan-$side.log" 2>&1 &
    pids+=($!)
    pid_of[$side]=$!
    wait_port "$port"
    port_of[$side]=$port
done

echo "A: $banyan_a"
echo "B: $banyan_b"
[ ${#pin_proxy[@]} -gt 0 ] && echo "pinned: proxies on CPU 0, nginx and wrk on CPU 1"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # side → "req/s p99 cpu-µs-per-request"
    local port=${port_of[$1]} pid=${pid_of[$1]} before after
    "${pin_tools[@]}" wrk -t1 -c32 -d2s "http://127.0.0.1:$port/users/1" >/dev/null
    before=$(ticks "$pid")
    "${pin_tools[@]}" wrk -t1 -c32 -d"${duration}s" --latency "http://127.0.0.1:$port/users/1" >"$work/wrk.out"
    after=$(ticks "$pid")
    awk -v t=$((after - before)) -v hz="$hz" '/requests in/ {n=$1} /Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2}
        END {printf "%s %s %.2f\n", rps, p99, t / hz * 1e6 / n}' "$work/wrk.out"
}
results=(); cpu_results=()
for round in $(seq 1 "$rounds"); do
    order="A B"; [ $((round % 2)) -eq 0 ] && order="B A"
    declare -A got=()
    for side in $order; do got[$side]=$(run "$side"); done
    read -r a_rps a_p99 a_cpu <<<"${got[A]}"; read -r b_rps b_p99 b_cpu <<<"${got[B]}"
    ratio=$(python3 -c "print('%.3f' % ($b_rps / $a_rps))")
    cpu_ratio=$(python3 -c "print('%.3f' % ($b_cpu / $a_cpu))")
    results+=("$ratio"); cpu_results+=("$cpu_ratio")
    printf 'round %d (%s): A %s req/s p99 %s %s µs CPU/req   B %s req/s p99 %s %s µs CPU/req   B/A req/s %s CPU/req %s   load %s\n' \
        "$round" "$order" "$a_rps" "$a_p99" "$a_cpu" "$b_rps" "$b_p99" "$b_cpu" "$ratio" "$cpu_ratio" \
        "$(cut -d' ' -f1 /proc/loadavg)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c "
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print('B/A req/s per round: median %.3f, min %.3f, max %.3f (%d rounds)' % (statistics.median(r), min(r), max(r), len(r)))
" "${results[@]}"
python3 -c "
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print('B/A CPU per request per round: median %.3f, min %.3f, max %.3f (%d rounds)' % (statistics.median(r), min(r), max(r), len(r)))
" "${cpu_results[@]}"
