#!/usr/bin/env bash
# The guard's detection time and the fleet's propagation lag, with real processes on loopback:
# `banyan proxy` with a config file, real upstreams, wrk for load and a throwaway PostgreSQL.
#
#   (a) detection: one route `GET /items/:id` in `canary` 50 (sticky on a header that wrk varies,
#       so both sides serve) under steady wrk load; `guard: {compare: true}` for the last scenario
#       only (on the others a 500 would also count as a status difference). Legacy and the
#       candidate are small Python servers (Benchmarks/guard/helper.py) that answer the same JSON
#       and switch, on a control request, to failing, slowing or answering differently. For each
#       scenario the route is put back in canary, the guard waits until healthy, the candidate
#       turns bad, and the run records the time from the candidate's first bad answer to the
#       guard's event (the route back on legacy), the guard's own decided-to-applied time, the
#       rule, the samples in the window, and the bad answers clients got:
#         errors      every candidate answer a 500 (the consecutive-failure rule)
#         error-rate  one candidate answer in five a 500 (the Wilson failure-rate rule)
#         slow        every candidate answer 50 ms late (the latency rule)
#         different   every candidate answer a different JSON body (compare: the difference rule)
#   (b) healthy: nginx returning a fixed JSON body as both legacy and candidate; REQUESTS requests
#       through the route in `canary` 50 (guard on, defaults), then REQUESTS shadow comparisons
#       with the route in `shadow`: the counts and trips from the admin API (expected: 0 trips).
#   (c) fleet: three proxies on one throwaway PostgreSQL (scripts/postgres-cluster.sh); CHANGES
#       mode changes through the first proxy's admin API, each other proxy's admin API polled
#       every millisecond: the lag from the change's answer to the other proxy serving with the
#       new mode, p50 and max over all changes and proxies; then five changes with every listening
#       connection terminated first (pg_terminate_backend), which arrive by the periodic re-read.
#
#   Benchmarks/guard.sh [--requests N] [--changes N] [--json FILE] [BANYAN]
#   environment: BANYAN (the banyan binary; default .build/release/banyan), REQUESTS (default
#   100000), CHANGES (default 50), JSON_OUT (a file for the JSON result)
#
# A quick run with a debug build: Benchmarks/guard.sh --requests 5000 --changes 10 .build/debug/banyan
set -euo pipefail

banyan=${BANYAN:-.build/release/banyan}
requests=${REQUESTS:-100000}
changes=${CHANGES:-50}
json_out=${JSON_OUT:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) requests=${2:?--requests needs a value}; shift 2 ;;
        --changes) changes=${2:?--changes needs a value}; shift 2 ;;
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "guard.sh: unknown option $1" >&2; exit 2 ;;
        *) banyan=$1; shift ;;
    esac
done
if ! [[ $requests =~ ^[1-9][0-9]*$ ]]; then echo "guard.sh: --requests must be 1 or more" >&2; exit 2; fi
if ! [[ $changes =~ ^[1-9][0-9]*$ ]]; then echo "guard.sh: --changes must be 1 or more" >&2; exit 2; fi
[ -n "$json_out" ] && json_out=$(realpath -m "$json_out")

cd "$(dirname "$0")/.."
banyan=$(realpath "$banyan")
[ -x "$banyan" ] || { echo "guard.sh: no banyan binary at $banyan (build one, or pass its path)" >&2; exit 1; }
helper=$PWD/Benchmarks/guard/helper.py
export PATH="$PATH:/usr/sbin"
for tool in nginx wrk python3 psql; do
    command -v "$tool" >/dev/null 2>&1 || { echo "guard.sh: needs $tool" >&2; exit 1; }
done
# shellcheck source=../scripts/postgres-cluster.sh
. scripts/postgres-cluster.sh

work=$(mktemp -d /tmp/banyan-bench-guard.XXXXXX)
[ "$(id -u)" = 0 ] && chmod 755 "$work"
pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -f "$work/nginx.conf" ]; then nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true; fi
    stop_postgres_cluster
    if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WAIT_PORT_TRIES=400
source Benchmarks/lib.sh
forget_pid() {
    local kept=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
    pids=("${kept[@]}")
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; forget_pid "$1"; }

# A wrk script: a different path and sticky header on every request, so a canary's 50% split
# holds for one client address.
cat >"$work/load.lua" <<'LUA'
local n = 0
local prefix = tostring(math.random(1, 1000000000))
request = function()
    n = n + 1
    return wrk.format("GET", "/items/" .. n, { ["x-user-id"] = prefix .. "-" .. n })
end
LUA
start_load() { # port connections → sets load_pid
    wrk -t1 -c"$2" -d3600s -s "$work/load.lua" "http://127.0.0.1:$1/" >"$work/wrk-$1.log" 2>&1 &
    load_pid=$!
    pids+=("$load_pid")
}

start_banyan() { # name config → sets banyan_pid
    "$banyan" proxy --config "$2" >"$work/banyan-$1.log" 2>&1 &
    banyan_pid=$!
    pids+=("$banyan_pid")
}

echo "guard and fleet benchmark"
echo "  banyan:   $banyan ($("$banyan" --version 2>/dev/null || echo "version unknown"))"
echo "  host:     $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  tools:    $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | cut -d' ' -f3), python $(python3 -c 'import platform; print(platform.python_version())')"
echo "  healthy:  $requests requests (canary), $requests comparisons (shadow); fleet: $changes changes, 3 proxies"
echo

# --- (a) detection ---------------------------------------------------------------------------
legacy_port=$(free_port); candidate_port=$(free_port); python3 "$helper" serve "$legacy_port" >"$work/legacy.log" 2>&1 &
pids+=($!)
python3 "$helper" serve "$candidate_port" >"$work/candidate.log" 2>&1 &
pids+=($!)
wait_port "$legacy_port"; wait_port "$candidate_port"
detect_proxy() { # name compare → sets detect_listen, detect_admin, detect_pid
    detect_listen=$(free_port); detect_admin=$(free_port)
    cat >"$work/detect-$1.yaml" <<CONF
legacy: http://127.0.0.1:$legacy_port
candidate: http://127.0.0.1:$candidate_port
listen: 127.0.0.1:$detect_listen
admin: 127.0.0.1:$detect_admin
state: sqlite:$work/detect-$1.sqlite
routes:
  - route: GET /items/:id
    mode: canary
    percent: 50
    sticky: header:x-user-id
    shadow: { timeout: 2s, concurrency: 64 }
    guard: { compare: $2 }
CONF
    start_banyan "detect-$1" "$work/detect-$1.yaml"
    detect_pid=$banyan_pid
    wait_port "$detect_listen"; wait_port "$detect_admin"
}
echo "(a) detection: canary 50 under wrk -c8, guard defaults (min_samples 200, window 60 s, 99.9%);"
echo "    compare: true only for 'different' (a 500 would otherwise also count as a status difference)"
: >"$work/detect.jsonl"
for compare in false true; do
    detect_proxy "compare-$compare" "$compare"
    start_load "$detect_listen" 8
    if [ "$compare" = false ]; then
        scenarios=("errors:fail 1" "error-rate:fail 0.2" "slow:slow 0.05")
    else
        scenarios=("different:diff")
    fi
    for scenario in "${scenarios[@]}"; do
        python3 "$helper" detect "$work/detect.jsonl" "$detect_admin" "$candidate_port" "${scenario%%:*}" \
            "${scenario#*:}"
    done
    stop_pid "$load_pid"
    stop_pid "$detect_pid"
done
echo

# --- (b) healthy -----------------------------------------------------------------------------
nginx_legacy=$(free_port); nginx_candidate=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http { access_log off;
  server { listen 127.0.0.1:$nginx_legacy; location / { default_type application/json; return 200 '{"id":1,"name":"Ada","email":"ada@example.com"}'; } }
  server { listen 127.0.0.1:$nginx_candidate; location / { default_type application/json; return 200 '{"id":1,"name":"Ada","email":"ada@example.com"}'; } } }
CONF
nginx -p "$work" -c "$work/nginx.conf"
wait_port "$nginx_legacy"; wait_port "$nginx_candidate"
: >"$work/healthy.jsonl"
healthy() { # label mode what
    local listen admin percent=""
    listen=$(free_port); admin=$(free_port)
    [ "$2" = canary ] && percent="    percent: 50"
    cat >"$work/healthy-$1.yaml" <<CONF
legacy: http://127.0.0.1:$nginx_legacy
candidate: http://127.0.0.1:$nginx_candidate
listen: 127.0.0.1:$listen
admin: 127.0.0.1:$admin
state: sqlite:$work/healthy-$1.sqlite
routes:
  - route: GET /items/:id
    mode: $2
$percent
    sticky: header:x-user-id
    shadow: { timeout: 2s, concurrency: 64 }
CONF
    start_banyan "healthy-$1" "$work/healthy-$1.yaml"
    local proxy_pid=$banyan_pid
    wait_port "$listen"; wait_port "$admin"
    local started=$SECONDS
    start_load "$listen" 16
    python3 "$helper" count "$admin" "$3" "$requests" 3600 >"$work/healthy-$1.json"
    stop_pid "$load_pid"
    sleep 1
    curl -s "http://127.0.0.1:$admin/api/events?limit=1000" >"$work/healthy-$1-events.json"
    python3 "$helper" count "$admin" "$3" 0 1 >"$work/healthy-$1.json"
    python3 "$helper" healthy "$work/healthy.jsonl" "$work/healthy-$1-events.json" "$work/healthy-$1.json" "$1"
    echo "          ($((SECONDS - started)) s)"
    stop_pid "$proxy_pid"
}
echo "(b) healthy: nginx as both sides, wrk -c16 until $requests requests / comparisons"
healthy canary canary requests
healthy shadow shadow comparisons
echo

# --- (c) fleet -------------------------------------------------------------------------------
start_postgres_cluster
echo "(c) fleet: three proxies on PostgreSQL at 127.0.0.1:$pg_port (re-read on reconnect and every 2 s)"
fleet_admins=()
for index in 1 2 3; do
    listen=$(free_port); admin=$(free_port)
    cat >"$work/fleet-$index.yaml" <<CONF
legacy: http://127.0.0.1:$nginx_legacy
candidate: http://127.0.0.1:$nginx_candidate
listen: 127.0.0.1:$listen
admin: 127.0.0.1:$admin
state: $pg/postgres?schema=bench
routes:
  - route: GET /items/:id
    mode: legacy
CONF
    start_banyan "fleet-$index" "$work/fleet-$index.yaml"
    wait_port "$listen"; wait_port "$admin"
    fleet_admins+=("$admin")
done
psql_command=$(printf '%s\x1f' psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
python3 "$helper" fleet "$work/fleet.json" "$changes" "${psql_command%$'\x1f'}" "${fleet_admins[@]}"
echo

python3 - "$work" "$json_out" <<'PY'
import json, sys
work, out = sys.argv[1], sys.argv[2]
detect = [json.loads(line) for line in open(f"{work}/detect.jsonl")]
healthy = [json.loads(line) for line in open(f"{work}/healthy.jsonl")]
fleet = json.load(open(f"{work}/fleet.json"))
print("summary")
print(f"  {'detection':<12} {'rule':<22} {'first bad → legacy':>19} {'decided → applied':>18} {'window':>10} {'bad served':>11}")
for r in detect:
    window = f"{r['window_hits']}/{r['window_samples']}"
    print(f"  {r['scenario']:<12} {str(r['rule']):<22} {str(r['first_bad_to_trip_ms']) + ' ms':>19} "
          f"{str(r['decided_to_applied_ms']) + ' ms':>18} {window:>10} {r['bad_answers']:>11}")
for r in healthy:
    count = r["legacy_requests"] + r["candidate_requests"] if r["what"] == "canary" else r["compared"]
    unit = "requests" if r["what"] == "canary" else "comparisons"
    print(f"  healthy {r['what']:<7} {count} {unit}: {r['trips']} trips (guard {r['guard_state']})")
print(f"  fleet        {fleet['changes']} changes × {fleet['proxies'] - 1} proxies: p50 {fleet['lag_p50_ms']} ms, "
      f"max {fleet['lag_max_ms']} ms; listener killed: p50 {fleet['killed_lag_p50_ms']} ms, "
      f"max {fleet['killed_lag_max_ms']} ms")
if out:
    json.dump({"detection": detect, "healthy": healthy, "fleet": fleet}, open(out, "w"), indent=2)
    print(f"JSON written to {out}")
PY
