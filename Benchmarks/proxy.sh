#!/usr/bin/env bash
# The proxy's data path against its anchors, in one run: a fast backend (nginx returning a fixed
# 47-byte JSON body), then the same load through no proxy, nginx as a reverse proxy (one worker,
# keepalive 64), HAProxy (one thread, http-reuse always), Banyan with the route in `legacy` mode
# and Banyan with the route in `shadow` mode (the copy goes to a second nginx backend and is
# diffed), and Banyan in `legacy` mode with `io: nio` (plain SwiftNIO instead of the direct
# socket writes; target banyan-nio, printed beside banyan-legacy with the ratio). Release build;
# Banyan runs one event-loop thread.
#
# Everything is started once: both nginx backends, the nginx proxy, HAProxy and two Banyan
# processes (one per mode, each with its own ports and state file), so nothing restarts between
# rounds. Each round measures every target once; the order alternates between rounds (forward,
# reverse, forward, ...), so drift on a shared host falls on every target.
#
#   1. saturation: wrk -t1 -c32 for DURATION s after a 2 s warm-up. Per run: req/s, p50, p99, the
#      proxy's CPU per request (utime+stime from /proc; the nginx worker for nginx), the backend's
#      and the shadow backend's CPU per request, wrk's own CPU, steal and idle ticks from
#      /proc/stat, and the proxy's VmRSS in the middle of the run.
#   2. same rate: every proxy offered the same open-loop load (`banyan bench`, a constant rate of
#      about half of the slowest proxy's median phase-1 req/s, banyan-nio not counted, 32 connections), DURATION s after a 2 s
#      warm-up at the same rate, p50 and p99 compared; the same per-run records.
#
# Ratios are given two ways: the median of the per-round ratios (both targets measured in the same
# round) with their min-max, and the ratio of the per-target medians. The targets are checked on
# the median of the per-round ratios.
#
# An A/B of two builds: BASELINE=PATH (another release build of banyan, e.g. the main branch's)
# adds another Banyan process in legacy mode run by that binary, measured as target banyan-base in
# the same rounds, and the ratio banyan-legacy / banyan-base.
#
#   Benchmarks/proxy.sh [--duration S] [--rounds N] [--json FILE]     or   Benchmarks/proxy.sh [S [N]]
#   environment: DURATION (default 8), ROUNDS (default 3), JSON_OUT (a file for the JSON result),
#   BASELINE (a banyan binary to compare with)
set -euo pipefail

duration=${DURATION:-8}
rounds=${ROUNDS:-3}
json_out=${JSON_OUT:-}
positional=()
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --rounds) rounds=${2:?--rounds needs a value}; shift 2 ;;
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "proxy.sh: unknown option $1" >&2; exit 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
[ ${#positional[@]} -ge 1 ] && duration=${positional[0]}
[ ${#positional[@]} -ge 2 ] && rounds=${positional[1]}
duration=${duration%s}
if ! [[ $duration =~ ^[1-9][0-9]*$ ]]; then echo "proxy.sh: DURATION must be whole seconds, 1 or more" >&2; exit 2; fi
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then echo "proxy.sh: ROUNDS must be 1 or more" >&2; exit 2; fi
[ -n "$json_out" ] && json_out=$(realpath -m "$json_out")
connections=32
warmup=2

cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

echo "building banyan (release)"
swift build -c release --product banyan 2>&1 | grep -E "error|Compiling banyan|Build complete" || true
banyan=$(swift build -c release --show-bin-path)/banyan
[ -x "$banyan" ] || { echo "no release build of banyan at $banyan" >&2; exit 1; }
baseline=${BASELINE:-}
if [ -n "$baseline" ]; then
    baseline=$(realpath "$baseline")
    [ -x "$baseline" ] || { echo "BASELINE: no executable at $baseline" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/banyan-bench-proxy.XXXXXX)
pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid conf
    for pid in "${pids[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    for conf in "$work"/*.nginx.conf; do
        [ -f "$conf" ] || continue
        nginx -p "$work" -c "$conf" -s stop 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    sleep 0.2
    for conf in "$work"/*.nginx.conf; do
        local pidfile=${conf%.nginx.conf}.pid
        if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source Benchmarks/lib.sh
# Runs in the background and waits, so that INT/TERM reach the trap at once.
pause() { sleep "$1" & wait $!; }
forget_pid() { # pid: drop from the cleanup list once reaped
    local kept=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
    pids=("${kept[@]}")
}

backend_port=$(free_port); shadow_port=$(free_port); nginx_port=$(free_port); haproxy_port=$(free_port)
legacy_port=$(free_port); legacy_admin=$(free_port); shadowmode_port=$(free_port); shadowmode_admin=$(free_port)
base_port=$(free_port); base_admin=$(free_port); nio_port=$(free_port); nio_admin=$(free_port)

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
haproxy_pid=$!
pids+=("$haproxy_pid")
wait_port "$haproxy_port"

start_banyan() { # mode listen-port admin-port [binary [name [io]]] → sets banyan_pid
    local binary=${4:-$banyan} name=${5:-$1} io=${6:-}
    cat >"$work/banyan-$name.yaml" <<CONF
legacy: http://127.0.0.1:$backend_port
candidate: http://127.0.0.1:$shadow_port
listen: 127.0.0.1:$2
admin: 127.0.0.1:$3
state: sqlite:$work/state-$name.sqlite
routes:
  - route: GET /users/:id
    mode: $1
    shadow: { sample: 1.0, timeout: 2s, concurrency: 64 }
CONF
    # Only when asked for: a baseline build from before the setting would refuse the key.
    if [ -n "$io" ]; then echo "io: $io" >>"$work/banyan-$name.yaml"; fi
    "$binary" proxy --config "$work/banyan-$name.yaml" >"$work/banyan-$name.log" 2>&1 &
    banyan_pid=$!
    pids+=("$banyan_pid")
    wait_port "$2"
    wait_port "$3"
}
start_banyan legacy "$legacy_port" "$legacy_admin"
legacy_pid=$banyan_pid
start_banyan shadow "$shadowmode_port" "$shadowmode_admin"
shadowmode_pid=$banyan_pid
start_banyan legacy "$nio_port" "$nio_admin" "$banyan" nio nio
nio_pid=$banyan_pid
base_pid=""
if [ -n "$baseline" ]; then
    start_banyan legacy "$base_port" "$base_admin" "$baseline" base
    base_pid=$banyan_pid
fi
pause 0.5

nginx_worker() { pgrep -P "$(cat "$work/$1.pid")" | head -1; }
proxy_worker=$(nginx_worker proxy)
backend_worker=$(nginx_worker backend)
shadow_worker=$(nginx_worker shadow)

cpu_ticks() { if [ -n "$1" ]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo "-"; fi; }
rss_kb() { if [ -n "$1" ]; then awk '/VmRSS/ {print $2}' "/proc/$1/status"; else echo "-"; fi; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
stat_ticks() { awk '$1 == "cpu" {print $9, $5, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; } # steal idle all
shadow_status() { "$banyan" status --config "$work/banyan-shadow.yaml" --format json >"$work/status-$1.json"; }
hz=$(getconf CLK_TCK)

declare -A port_of=([direct]=$backend_port [nginx]=$nginx_port [haproxy]=$haproxy_port
    [banyan-legacy]=$legacy_port [banyan-shadow]=$shadowmode_port [banyan-nio]=$nio_port [banyan-base]=$base_port)
declare -A pid_of=([direct]="" [nginx]=$proxy_worker [haproxy]=$haproxy_pid
    [banyan-legacy]=$legacy_pid [banyan-shadow]=$shadowmode_pid [banyan-nio]=$nio_pid [banyan-base]=$base_pid)

runs="$work/runs.tsv"
printf 'phase\tround\tposition\ttarget\toutput\tproxy_ticks\tbackend_ticks\tshadow_ticks\tgenerator_cpu_s\tsteal\tidle\tall_ticks\trss_mid_kb\twall_s\n' >"$runs"

# measure PHASE ROUND POSITION TARGET OUTPUT COMMAND...: runs COMMAND (the measured load) in the
# background under /usr/bin/time and records the /proc deltas around it as one line of $runs.
measure() {
    local phase=$1 round=$2 position=$3 name=$4 output=$5
    shift 5
    local pid=${pid_of[$name]}
    local p0 b0 s0 st0 t0
    p0=$(cpu_ticks "$pid"); b0=$(cpu_ticks "$backend_worker"); s0=$(cpu_ticks "$shadow_worker")
    st0=$(stat_ticks); t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$work/time.out" "$@" >"$output" 2>"$output.err" &
    local gen=$!
    pids+=("$gen")
    pause $((duration / 2))
    local rss
    rss=$(rss_kb "$pid")
    local status=0
    wait "$gen" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "load generator failed with status $status ($name, $phase round $round):" >&2
        cat "$output.err" "$output" >&2
        exit 1
    fi
    forget_pid "$gen"
    check_alive
    local p1 b1 s1 st1 t1
    p1=$(cpu_ticks "$pid"); b1=$(cpu_ticks "$backend_worker"); s1=$(cpu_ticks "$shadow_worker")
    st1=$(stat_ticks); t1=$(date +%s.%N)
    local gen_cpu
    gen_cpu=$(tail -1 "$work/time.out" | awk '{print $1 + $2}')
    python3 - "$phase" "$round" "$position" "$name" "$output" "$p0" "$p1" "$b0" "$b1" "$s0" "$s1" \
        "$gen_cpu" "$st0" "$st1" "$rss" "$t0" "$t1" >>"$runs" <<'PY'
import sys
(phase, rnd, pos, name, out, p0, p1, b0, b1, s0, s1, gen, st0, st1, rss, t0, t1) = sys.argv[1:]
d = lambda a, b: "-" if "-" in (a, b) else str(int(b) - int(a))
st0, st1 = st0.split(), st1.split()
print("\t".join([phase, rnd, pos, name, out, d(p0, p1), d(b0, b1), d(s0, s1), gen,
                 d(st0[0], st1[0]), d(st0[1], st1[1]), d(st0[2], st1[2]), rss,
                 "%.3f" % (float(t1) - float(t0))]))
PY
}

background() { # COMMAND...: run to completion in the background (interruptible), output kept on failure
    "$@" >"$work/background.log" 2>&1 &
    local job=$! status=0
    pids+=("$job")
    wait "$job" || status=$?
    forget_pid "$job"
    if [ "$status" -ne 0 ]; then
        echo "failed with status $status: $*" >&2
        cat "$work/background.log" >&2
        exit 1
    fi
}

url() { echo "http://127.0.0.1:${port_of[$1]}/users/1"; }

# Every process the runs depend on must still be the one started above; one stopped from outside
# (another job's `pkill`) would turn the rest of the run into connection errors.
declare -A log_of=([haproxy]="$work/haproxy.log" [banyan-legacy]="$work/banyan-legacy.log"
    [banyan-shadow]="$work/banyan-shadow.log" [banyan-nio]="$work/banyan-nio.log" [nginx]="$work/proxy-error.log"
    [backend]="$work/backend-error.log" [shadow-backend]="$work/shadow-error.log")
declare -A alive_pid=([haproxy]=$haproxy_pid [banyan-legacy]=$legacy_pid [banyan-shadow]=$shadowmode_pid
    [banyan-nio]=$nio_pid
    [nginx]=$proxy_worker [backend]=$backend_worker [shadow-backend]=$shadow_worker)
if [ -n "$baseline" ]; then
    log_of[banyan-base]="$work/banyan-base.log"
    alive_pid[banyan-base]=$base_pid
fi
check_alive() {
    local name
    for name in "${!alive_pid[@]}"; do
        if ! kill -0 "${alive_pid[$name]}" 2>/dev/null; then
            echo "$name (pid ${alive_pid[$name]}) has exited: was it stopped from outside? Its log:" >&2
            tail -5 "${log_of[$name]}" >&2
            exit 1
        fi
    done
}

wrk_run() { # round position target
    local name=$3
    check_alive
    background wrk -t1 -c"$connections" -d"${warmup}s" "$(url "$name")"
    measure saturation "$1" "$2" "$name" "$work/p1-r$1-$name.wrk" \
        wrk -t1 -c"$connections" -d"${duration}s" --latency "$(url "$name")"
}

bench_run() { # round position target
    local name=$3
    check_alive
    local args=(--target "$name=$(url "$name")" --pid "$name=${pid_of[$name]}" --rate "$rate"
        --connections "$connections" --rounds 1 --warmup 0s --low-load-duration 0s --json)
    background "$banyan" bench "${args[@]}" --duration "${warmup}s"
    measure same-rate "$1" "$2" "$name" "$work/p2-r$1-$name.json" "$banyan" bench "${args[@]}" --duration "${duration}s"
}

order() { # round target...: the targets forward in odd rounds, reversed in even ones
    local round=$1
    shift
    if [ $((round % 2)) -eq 1 ]; then
        printf '%s\n' "$@"
    else
        printf '%s\n' "$@" | tac
    fi
}

run_rounds() { # runner target...: every round runs each target once, in that round's order
    local runner=$1 round position name
    shift
    for round in $(seq 1 "$rounds"); do
        position=0
        while read -r name; do
            position=$((position + 1))
            echo "  round $round/$rounds: $name"
            "$runner" "$round" "$position" "$name"
        done < <(order "$round" "$@")
    done
}

conditions="$work/conditions.tsv"
: >"$conditions"
condition() { # key text: printed, and kept for the JSON result
    printf '  %-22s %s\n' "$1:" "$2"
    printf '%s\t%s\n' "$1" "$2" >>"$conditions"
}
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "conditions"
condition machine "$(nproc) cores (${cpu_model:-unknown CPU}), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
condition kernel "$(uname -r)"
condition "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg)"
condition build "release ($banyan); $(swift --version 2>/dev/null | head -1)"
condition banyan "$("$banyan" --version 2>/dev/null || echo unknown), one event-loop thread, legacy-mode and shadow-mode processes started once"
condition "io: nio" "banyan-nio: the same build in legacy mode with io: nio, started once, measured in the same rounds"
[ -n "$baseline" ] && condition baseline "banyan-base: $baseline in legacy mode, started once, measured in the same rounds"
condition tools "$(nginx -v 2>&1 | head -1 | sed 's/^nginx version: //'); $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
condition rounds "$rounds, order alternating (forward, reverse, ...); ${warmup} s warm-up + ${duration} s measured per run"
condition "phase 1" "wrk -t1 -c$connections -d${duration}s --latency GET /users/1 (47-byte JSON), closed loop"
condition "phase 2" "banyan bench, open loop at a constant rate (half of the slowest proxy's median phase-1 req/s), $connections connections"
condition "CPU per request" "utime+stime from /proc/PID/stat ($hz ticks/s) over the requests answered; nginx: its worker"
condition "steal and idle" "ticks of all CPUs from /proc/stat during the run ($(nproc) CPUs x ${duration} s = $(($(nproc) * duration * hz)) ticks)"
banyan_idle_legacy=$(rss_kb "$legacy_pid")
banyan_idle_shadow=$(rss_kb "$shadowmode_pid")
shadow_status start

phase1=(direct nginx haproxy banyan-legacy banyan-shadow banyan-nio)
[ -n "$baseline" ] && phase1+=(banyan-base)
echo
echo "phase 1: saturation"
run_rounds wrk_run "${phase1[@]}"
pause 0.5
shadow_status phase1
banyan_hwm_legacy=$(hwm_kb "$legacy_pid")
banyan_hwm_shadow=$(hwm_kb "$shadowmode_pid")

rate=$(python3 - "$runs" <<'PY'
import csv, re, statistics, sys
rates = {}
for row in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    # banyan-nio is left out, so the rate (and with it every other target's phase 2) stays what
    # it was before that target was added.
    if row["phase"] == "saturation" and row["target"] not in ("direct", "banyan-nio"):
        m = re.search(r"Requests/sec:\s+([\d.]+)", open(row["output"]).read())
        rates.setdefault(row["target"], []).append(float(m.group(1)))
# Half of the slowest proxy's median: a load every proxy carries without queueing.
print(max(1, int(min(statistics.median(values) for values in rates.values()) / 2)))
PY
)
phase2=(nginx haproxy banyan-legacy banyan-shadow banyan-nio)
[ -n "$baseline" ] && phase2+=(banyan-base)
echo
echo "phase 2: same rate, $rate req/s open loop (banyan bench)"
run_rounds bench_run "${phase2[@]}"
pause 0.5
shadow_status phase2

echo
condition "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$runs" "$work" "$hz" "$rate" "$duration" "$rounds" "$connections" "${json_out:-}" \
    "$banyan_idle_legacy" "$banyan_hwm_legacy" "$banyan_idle_shadow" "$banyan_hwm_shadow" "$(nproc)" <<'PY'
import csv, json, re, statistics, sys

(runs_file, work, hz, rate, duration, rounds, connections, json_out,
 idle_legacy, hwm_legacy, idle_shadow, hwm_shadow, cpus) = sys.argv[1:]
hz, rate, duration, rounds, connections, cpus = (int(hz), int(rate), int(duration), int(rounds),
                                             int(connections), int(cpus))

def ms(v):  # wrk latency text → ms
    for suffix, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(suffix):
            return float(v[: -len(suffix)]) * scale
    return float(v)

def per_request(ticks, requests):
    return None if ticks == "-" or not requests else int(ticks) / hz * 1e6 / requests

runs = []
for row in csv.DictReader(open(runs_file), delimiter="\t"):
    run = {"phase": row["phase"], "round": int(row["round"]), "position": int(row["position"]),
           "target": row["target"]}
    text = open(row["output"]).read()
    if row["phase"] == "saturation":
        run["generator"] = "wrk"
        run["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        run["requests"] = int(re.search(r"(\d+) requests in", text).group(1))
        run["p50_ms"] = ms(re.search(r"^\s*50%\s+(\S+)", text, re.M).group(1))
        run["p99_ms"] = ms(re.search(r"^\s*99%\s+(\S+)", text, re.M).group(1))
        errors = 0
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        errors += int(m.group(1)) if m else 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        errors += sum(map(int, m.groups())) if m else 0
        run["errors"] = errors
    else:
        report = json.loads(text)
        target = report["targets"][0]
        run["generator"] = "banyan bench"
        run["offered_rate"] = rate
        run["rps"] = target["achievedRate"]
        run["requests"] = target["completed"]
        run["p50_ms"] = target["latency"]["p50"] / 1000
        run["p99_ms"] = target["latency"]["p99"] / 1000
        bad_status = sum(n for code, n in target["statusCounts"].items() if not code.startswith("2"))
        run["errors"] = target["errors"] + target["timeouts"] + bad_status
        run["generator_late_p99_ms"] = target["sendLag"]["p99"] / 1000
        run["waited_for_connection"] = target["waitedForConnection"]
        run["warnings"] = sorted({w["code"] for w in report.get("warnings", [])})
    run["proxy_cpu_us"] = per_request(row["proxy_ticks"], run["requests"])
    run["backend_cpu_us"] = per_request(row["backend_ticks"], run["requests"])
    run["shadow_backend_cpu_us"] = per_request(row["shadow_ticks"], run["requests"])
    run["generator_cpu_s"] = float(row["generator_cpu_s"])
    run["steal_ticks"] = int(row["steal"])
    run["idle_ticks"] = int(row["idle"])
    run["all_ticks"] = int(row["all_ticks"])
    run["rss_mid_kb"] = None if row["rss_mid_kb"] == "-" else int(row["rss_mid_kb"])
    run["wall_s"] = float(row["wall_s"])
    runs.append(run)

def fmt(v, digits=1):
    return "-" if v is None else f"{v:,.{digits}f}"

print("all runs (steal and idle: ticks of all CPUs during the run; gen CPU: the load generator's utime+stime)")
print(f"  {'phase':<10} {'rd':>2} {'#':>1} {'target':<14} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
      f"{'proxy':>6} {'backend':>7} {'shadow':>6} {'gen CPU':>7} {'steal':>5} {'idle':>5} {'of':>5} "
      f"{'RSS mid':>8} {'err':>4}")
print(f"  {'':<10} {'':>2} {'':>1} {'':<14} {'':>9} {'':>7} {'':>7} {'µs/req':>6} {'µs/req':>7} {'µs/req':>6} "
      f"{'s':>7} {'':>5} {'':>5} {'':>5} {'MB':>8} {'':>4}")
for r in runs:
    extra = ""
    if r["phase"] == "same-rate":
        extra = f"  late p99 {r['generator_late_p99_ms']:.2f} ms"
        if r["warnings"]:
            extra += "  warnings: " + ", ".join(r["warnings"])
    print(f"  {r['phase']:<10} {r['round']:>2} {r['position']:>1} {r['target']:<14} {r['rps']:>9,.0f} "
          f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {fmt(r['proxy_cpu_us']):>6} {fmt(r['backend_cpu_us']):>7} "
          f"{fmt(r['shadow_backend_cpu_us']):>6} {r['generator_cpu_s']:>7.2f} {r['steal_ticks']:>5} "
          f"{r['idle_ticks']:>5} {r['all_ticks']:>5} "
          f"{fmt(None if r['rss_mid_kb'] is None else r['rss_mid_kb'] / 1024):>8} {r['errors']:>4}{extra}")

metrics = ["rps", "p50_ms", "p99_ms", "proxy_cpu_us", "backend_cpu_us", "shadow_backend_cpu_us",
           "generator_cpu_s", "steal_ticks", "idle_ticks", "rss_mid_kb"]
def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

medians = {}
for phase in ("saturation", "same-rate"):
    medians[phase] = {}
    for target in dict.fromkeys(r["target"] for r in runs if r["phase"] == phase):
        rows = [r for r in runs if r["phase"] == phase and r["target"] == target]
        medians[phase][target] = {m: median(r[m] for r in rows) for m in metrics}
        medians[phase][target]["errors"] = sum(r["errors"] for r in rows)

print()
for phase, title in (("saturation", "phase 1, saturation"), ("same-rate", f"phase 2, same rate ({rate} req/s offered)")):
    print(f"medians over {rounds} rounds, {title}")
    print(f"  {'target':<14} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'proxy µs/req':>12} {'backend µs/req':>14} "
          f"{'shadow µs/req':>13} {'steal':>5} {'RSS mid MB':>10} {'errors':>6}")
    for target, m in medians[phase].items():
        print(f"  {target:<14} {m['rps']:>9,.0f} {m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} {fmt(m['proxy_cpu_us']):>12} "
              f"{fmt(m['backend_cpu_us']):>14} {fmt(m['shadow_backend_cpu_us']):>13} {m['steal_ticks']:>5.0f} "
              f"{fmt(None if m['rss_mid_kb'] is None else m['rss_mid_kb'] / 1024):>10} {m['errors']:>6}")
    print()

def value(phase, target, rnd, metric):
    for r in runs:
        if r["phase"] == phase and r["target"] == target and r["round"] == rnd:
            return r[metric]
    return None

ratios = []
def ratio(label, phase, target, against, metric, goal=None, higher=True):
    per_round = []
    for rnd in range(1, rounds + 1):
        a, b = value(phase, target, rnd, metric), value(phase, against, rnd, metric)
        if a is not None and b:
            per_round.append(a / b)
    ma, mb = medians[phase][target][metric], medians[phase][against][metric]
    entry = {"label": label, "phase": phase, "target": target, "against": against, "metric": metric,
             "per_round": per_round, "median_of_rounds": median(per_round),
             "ratio_of_medians": ma / mb if ma is not None and mb else None,
             "min": min(per_round) if per_round else None, "max": max(per_round) if per_round else None}
    if goal is not None:
        entry["goal"] = (">=" if higher else "<=") + f" {goal}"
        m = entry["median_of_rounds"]
        entry["met"] = m is not None and (m >= goal if higher else m <= goal)
    ratios.append(entry)

ratio("banyan legacy / nginx, req/s (saturation)", "saturation", "banyan-legacy", "nginx", "rps", 0.9)
ratio("banyan legacy / haproxy, req/s (saturation)", "saturation", "banyan-legacy", "haproxy", "rps")
ratio("banyan legacy / nginx, proxy CPU per request", "saturation", "banyan-legacy", "nginx", "proxy_cpu_us")
ratio("banyan shadow / banyan legacy, req/s (saturation)", "saturation", "banyan-shadow", "banyan-legacy", "rps", 0.8)
ratio("banyan shadow / banyan legacy, proxy CPU per request", "saturation", "banyan-shadow", "banyan-legacy", "proxy_cpu_us")
ratio("banyan legacy / nginx, p99 at the same rate", "same-rate", "banyan-legacy", "nginx", "p99_ms", 1.5, higher=False)
ratio("banyan legacy / nginx, p50 at the same rate", "same-rate", "banyan-legacy", "nginx", "p50_ms")
ratio("banyan shadow / nginx, p99 at the same rate", "same-rate", "banyan-shadow", "nginx", "p99_ms")
ratio("banyan legacy / nginx, achieved rate at the same rate", "same-rate", "banyan-legacy", "nginx", "rps")
ratio("banyan io: nio / io: direct, req/s (saturation)", "saturation", "banyan-nio", "banyan-legacy", "rps")
ratio("banyan io: nio / io: direct, proxy CPU per request", "saturation", "banyan-nio", "banyan-legacy",
      "proxy_cpu_us")
ratio("banyan io: nio / io: direct, p99 at the same rate", "same-rate", "banyan-nio", "banyan-legacy", "p99_ms")
if "banyan-base" in medians["saturation"]:
    ratio("banyan legacy / banyan base build, req/s (saturation)", "saturation", "banyan-legacy", "banyan-base",
          "rps", 0.95)
    ratio("banyan legacy / banyan base build, proxy CPU per request", "saturation", "banyan-legacy", "banyan-base",
          "proxy_cpu_us")
    ratio("banyan legacy / banyan base build, p99 at the same rate", "same-rate", "banyan-legacy", "banyan-base",
          "p99_ms")

print("ratios: median of per-round ratios [min-max over rounds], ratio of medians; checks use the first")
for e in ratios:
    check = ""
    if "goal" in e:
        check = f"  target {e['goal']}: {'ok' if e['met'] else 'MISSED'}"
    print(f"  {e['label']:<56} {fmt(e['median_of_rounds'], 2):>5}x [{fmt(e['min'], 2)}-{fmt(e['max'], 2)}]  "
          f"of medians {fmt(e['ratio_of_medians'], 2)}x{check}")

print()
print("io: direct and io: nio side by side (banyan in legacy mode; medians; ratio nio / direct)")
print(f"  {'':<34} {'io: direct':>11} {'io: nio':>11} {'nio/direct':>10}")
for phase, metric, label in (("saturation", "rps", "req/s (saturation)"),
                             ("saturation", "p99_ms", "p99 ms (saturation)"),
                             ("saturation", "proxy_cpu_us", "proxy µs/req (saturation)"),
                             ("same-rate", "p50_ms", f"p50 ms at {rate} req/s"),
                             ("same-rate", "p99_ms", f"p99 ms at {rate} req/s"),
                             ("same-rate", "proxy_cpu_us", f"proxy µs/req at {rate} req/s")):
    d, n = medians[phase]["banyan-legacy"][metric], medians[phase]["banyan-nio"][metric]
    digits = 0 if metric == "rps" else 2
    print(f"  {label:<34} {fmt(d, digits):>11} {fmt(n, digits):>11} "
          f"{fmt(n / d if d and n is not None else None, 2):>9}x")

def shadow(label):
    route = json.load(open(f"{work}/status-{label}.json"))["routes"][0]
    s = route["shadowDiffs"]
    return {"requests": route["legacy"]["requests"], "sent": s["sent"], "compared": s["compared"],
            "differing": s["differing"], "timeouts": s["timeouts"], "errors": s["errors"],
            "skipped": s["skipped"]}
snapshots = {label: shadow(label) for label in ("start", "phase1", "phase2")}
def delta(a, b):
    d = {k: b[k] - a[k] for k in b if k != "skipped"}
    d["skipped"] = {k: v - a["skipped"].get(k, 0) for k, v in b["skipped"].items()}
    d["compared_fraction"] = d["compared"] / d["requests"] if d["requests"] else None
    return d
coverage = {"saturation": delta(snapshots["start"], snapshots["phase1"]),
            "same-rate": delta(snapshots["phase1"], snapshots["phase2"])}
print()
print("shadow coverage (banyan in shadow mode; warm-ups included)")
for phase, c in coverage.items():
    skipped = ", ".join(f"{k} {v:,}" for k, v in c["skipped"].items()) or "none"
    fraction = "-" if c["compared_fraction"] is None else f"{c['compared_fraction']:.1%}"
    print(f"  {phase:<10} requests {c['requests']:,}: copies sent {c['sent']:,}, compared {c['compared']:,} "
          f"({fraction} of requests), differing {c['differing']:,}, timeouts {c['timeouts']:,}, "
          f"errors {c['errors']:,}, skipped: {skipped}")

memory = {"legacy": {"idle_kb": int(idle_legacy), "peak_after_phase1_kb": int(hwm_legacy)},
          "shadow": {"idle_kb": int(idle_shadow), "peak_after_phase1_kb": int(hwm_shadow)}}
print()
print(f"banyan RSS: legacy mode {int(idle_legacy) / 1024:.1f} MB idle, {int(hwm_legacy) / 1024:.1f} MB peak (VmHWM) "
      f"after phase 1; shadow mode {int(idle_shadow) / 1024:.1f} MB idle, {int(hwm_shadow) / 1024:.1f} MB peak")

shares = {t: rate / medians["saturation"][t]["rps"] for t in medians["same-rate"] if medians["saturation"][t]["rps"]}
late = [r for r in runs if r["phase"] == "same-rate" and r["rps"] < 0.95 * rate]
print()
print(f"phase 2 generator: banyan bench (open loop, {rate} req/s offered, {connections} connections); "
      f"achieved {min(r['rps'] for r in runs if r['phase'] == 'same-rate'):,.0f}-"
      f"{max(r['rps'] for r in runs if r['phase'] == 'same-rate'):,.0f} req/s"
      + (f"; {len(late)} run(s) below 95% of the offered rate" if late else ""))
print("offered rate as a share of each target's phase-1 median req/s: "
      + ", ".join(f"{t} {share:.0%}" for t, share in shares.items())
      + ("; above 100% a target is past saturation and its phase-2 latency is queueing"
         if any(share > 1 for share in shares.values()) else ""))

if json_out:
    text_conditions = dict(line.rstrip("\n").split("\t", 1) for line in open(f"{work}/conditions.tsv"))
    result = {"conditions": {**text_conditions, "cpus": cpus, "clock_ticks_per_s": hz, "duration_s": duration, "warmup_s": 2,
                             "rounds": rounds, "connections": connections, "phase1_generator": "wrk",
                             "phase2_generator": "banyan bench", "phase2_rate": rate},
              "runs": runs, "medians": medians, "ratios": ratios, "phase2_rate_share_of_saturation": shares,
              "shadow_coverage": coverage,
              "banyan_memory": memory}
    with open(json_out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"JSON result: {json_out}")
PY
