#!/usr/bin/env bash
# The proxy's data path against its anchors, in one run: a fast backend (nginx returning a fixed
# 47-byte JSON body), then the same load generator (wrk) through no proxy, nginx as a reverse
# proxy (one worker, keepalive 64), HAProxy (one thread, http-reuse always), Banyan with the route
# in `legacy` mode and Banyan with the route in `shadow` mode (the copy goes to a second nginx
# backend and is diffed). Release build; Banyan runs one event-loop thread.
#
# Two phases:
#   1. saturation: wrk -t1 -c32 for DURATION s after a 2 s warm-up; requests/s, p50, p99, and the
#      proxy's CPU per request from /proc (steadier than requests/s on a noisy host).
#   2. same rate: every proxy at half of nginx's phase-1 rate (wrk with a per-request delay), to
#      compare p99 latency at equal load.
# Banyan's RSS is read idle (after start) and under load (mid-run VmRSS, and VmHWM after).
#   Benchmarks/proxy.sh [DURATION]          default 8
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
connections=32

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

echo "building banyan (release)"
swift build -c release --product banyan 2>&1 | grep -E "error|Compiling banyan|Build complete" || true
banyan=$(swift build -c release --show-bin-path)/banyan

work=$(mktemp -d /tmp/banyan-bench-proxy.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for conf in "$work"/*.nginx.conf; do [ -f "$conf" ] && nginx -p "$work" -c "$conf" -s stop 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "nothing listens on $1" >&2; exit 1
}

backend_port=$(free_port); shadow_port=$(free_port); nginx_port=$(free_port); haproxy_port=$(free_port)
banyan_port=$(free_port); banyan_admin=$(free_port)

backend_conf() { # name port
    cat >"$work/$1.nginx.conf" <<CONF
worker_processes 1;
pid $work/$1.pid;
error_log $work/$1-error.log;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:$2; location / { default_type application/json; return 200 '{"id":1,"name":"Ada","email":"ada@example.com"}'; } } }
CONF
    nginx -p "$work" -c "$work/$1.nginx.conf"
    wait_port "$2"
}
backend_conf backend "$backend_port"
backend_conf shadow "$shadow_port"

cat >"$work/proxy.nginx.conf" <<CONF
worker_processes 1;
pid $work/proxy.pid;
error_log $work/proxy-error.log;
events { worker_connections 4096; }
http { access_log off;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx -p "$work" -c "$work/proxy.nginx.conf"
wait_port "$nginx_port"

cat >"$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:$haproxy_port
  default_backend be
backend be
  http-reuse always
  server s1 127.0.0.1:$backend_port
CONF
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
haproxy_pid=$!
wait_port "$haproxy_port"

banyan_config() { # mode
    cat >"$work/banyan-$1.yaml" <<CONF
legacy: http://127.0.0.1:$backend_port
candidate: http://127.0.0.1:$shadow_port
listen: 127.0.0.1:$banyan_port
admin: 127.0.0.1:$banyan_admin
state: sqlite:$work/state-$1.sqlite
routes:
  - route: GET /users/:id
    mode: $1
    shadow: { sample: 1.0, timeout: 2s, concurrency: 64 }
CONF
}
banyan_config legacy
banyan_config shadow

banyan_pid=""
start_banyan() { # mode
    "$banyan" proxy --config "$work/banyan-$1.yaml" >"$work/banyan-$1.log" 2>&1 &
    banyan_pid=$!
    pids+=($banyan_pid)
    wait_port "$banyan_port"
    sleep 0.5
}
stop_banyan() {
    kill "$banyan_pid" 2>/dev/null || true
    wait "$banyan_pid" 2>/dev/null || true
    banyan_pid=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
nginx_worker() { pgrep -P "$(cat "$work/$1.pid")" | head -1; }
hz=$(getconf CLK_TCK)

# run NAME PORT PID [DELAY_MS] → one result line
results="$work/results.txt"
: >"$results"
run() {
    local name=$1 port=$2 pid=$3 delay=${4:-}
    local script=()
    if [ -n "$delay" ]; then
        printf 'function delay() return %s end\n' "$delay" >"$work/delay.lua"
        script=(-s "$work/delay.lua")
    fi
    wrk -t1 -c"$connections" -d2s "${script[@]}" "http://127.0.0.1:$port/users/1" >/dev/null
    local before idle_rss=""
    [ -n "$pid" ] && before=$(cpu_ticks "$pid")
    wrk -t1 -c"$connections" -d"${duration}s" --latency "${script[@]}" "http://127.0.0.1:$port/users/1" >"$work/$name.wrk" &
    local wrk_pid=$!
    sleep $((duration / 2))
    local mid_rss=""
    [ -n "$pid" ] && mid_rss=$(rss_kb "$pid")
    wait "$wrk_pid"
    local rps p50 p99 requests errors cpu_us=""
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$work/$name.wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")
    requests=$(awk '/requests in/ {print $1}' "$work/$name.wrk")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/$name.wrk" | tr '\n' ' ')
    if [ -n "$pid" ]; then
        local after
        after=$(cpu_ticks "$pid")
        cpu_us=$(python3 -c "print(round(($after - $before) / $hz * 1e6 / $requests, 1))")
    fi
    echo "$name $rps $p50 $p99 ${cpu_us:--} ${mid_rss:--} $errors" >>"$results"
    printf '  %-22s %10s req/s  p50 %-8s p99 %-8s cpu/req %6s us  rss mid-load %s kB %s\n' \
        "$name" "$rps" "$p50" "$p99" "${cpu_us:--}" "${mid_rss:--}" "$errors"
}

ms() { # wrk latency (us/ms/s) → milliseconds
    python3 -c "
import sys; v=sys.argv[1]
print(float(v[:-2])/1000 if v.endswith('us') else float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)" "$1"
}
field() { awk -v n="$1" -v f="$2" '$1 == n {print $f}' "$results"; }

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load: wrk -t1 -c$connections -d${duration}s GET /users/1 (47-byte JSON), after a 2 s warm-up"
echo
echo "phase 1: saturation"
run direct "$backend_port" ""
run nginx "$nginx_port" "$(nginx_worker proxy)"
run haproxy "$haproxy_port" "$haproxy_pid"
start_banyan legacy
banyan_idle_legacy=$(rss_kb "$banyan_pid")
run banyan-legacy "$banyan_port" "$banyan_pid"
banyan_hwm_legacy=$(hwm_kb "$banyan_pid")
stop_banyan
start_banyan shadow
banyan_idle_shadow=$(rss_kb "$banyan_pid")
run banyan-shadow "$banyan_port" "$banyan_pid"
banyan_hwm_shadow=$(hwm_kb "$banyan_pid")
shadow_stats=$("$banyan" status --config "$work/banyan-shadow.yaml" --format json | python3 -c '
import json,sys; r=json.load(sys.stdin)["routes"][0]; s=r["shadowDiffs"]
print("shadow copies sent %d, compared %d, differing %d, timeouts %d, skipped %s" % (s["sent"], s["compared"], s["differing"], s["timeouts"], s["skipped"]))')
stop_banyan

nginx_rps=$(field nginx 2)
rate=$(python3 -c "print(int(float('$nginx_rps') / 2))")
# Closed loop with think time: each connection waits DELAY ms between requests.
delay=$(python3 -c "print(max(1, round($connections * 1000 / $rate)))")
echo
echo "phase 2: same rate (about $rate req/s: $connections connections, ${delay} ms between requests each)"
run nginx@rate "$nginx_port" "$(nginx_worker proxy)" "$delay"
run haproxy@rate "$haproxy_port" "$haproxy_pid" "$delay"
start_banyan legacy
run banyan-legacy@rate "$banyan_port" "$banyan_pid" "$delay"
stop_banyan
start_banyan shadow
run banyan-shadow@rate "$banyan_port" "$banyan_pid" "$delay"
stop_banyan

echo
echo "banyan RSS: legacy mode idle ${banyan_idle_legacy} kB, peak under load ${banyan_hwm_legacy} kB;" \
    "shadow mode idle ${banyan_idle_shadow} kB, peak under load ${banyan_hwm_shadow} kB"
echo "$shadow_stats"
echo
python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    rows[parts[0]] = parts
def rps(n): return float(rows[n][1])
def ms(v):
    return float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
def p99(n): return ms(rows[n][3])
def check(label, value, target, higher=True):
    ok = value >= target if higher else value <= target
    print(f"  {label:<58} {value:5.2f}x  (target {'>=' if higher else '<='} {target}) {'ok' if ok else 'MISSED'}")
print("ratios")
check("banyan legacy / nginx, requests/s (saturation)", rps("banyan-legacy") / rps("nginx"), 0.9)
print(f"  {'banyan legacy / haproxy, requests/s (saturation)':<58} {rps('banyan-legacy') / rps('haproxy'):5.2f}x")
check("banyan shadow / banyan legacy, requests/s (saturation)", rps("banyan-shadow") / rps("banyan-legacy"), 0.8)
check("banyan legacy / nginx, p99 at the same rate", p99("banyan-legacy@rate") / p99("nginx@rate"), 1.5, higher=False)
print(f"  {'banyan shadow / nginx, p99 at the same rate':<58} {p99('banyan-shadow@rate') / p99('nginx@rate'):5.2f}x")
print(f"  {'achieved rates at the same rate (nginx, banyan legacy, banyan shadow)':<58} "
      f"{rps('nginx@rate'):.0f}, {rps('banyan-legacy@rate'):.0f}, {rps('banyan-shadow@rate'):.0f} req/s")
PY
