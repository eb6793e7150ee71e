#!/usr/bin/env bash
# Slow clients and a hung upstream against the proxy, with nginx beside it (issue #14's slow-client
# acceptance; ../shared/reference/proxy-hardening.md §8 and §10). Everything on 127.0.0.1: a
# Python backend (Benchmarks/slow-clients/helper.py: GET /big answers 64 MiB, GET /hang is never
# answered, anything else a small 200), Banyan (one route in legacy mode, the rest unmatched → the
# backend) and nginx 1.22 as the anchor (one worker, `proxy_buffering on` with its defaults,
# `client_header_timeout 5s; send_timeout 60s; proxy_read_timeout 5s;`). Each scenario runs
# against Banyan, then nginx, and is printed side by side:
#
#   1. slow readers: 4 clients GET /big with a 4 KiB SO_RCVBUF, each reading 1 KiB every 100 ms
#      for 20 s. The proxy's VmRSS (the nginx worker's for nginx) every 250 ms: before, peak,
#      growth; and the peak size of the unlinked files it holds open (nginx's temp files). Pass
#      for Banyan: growth < 16 MiB.
#   2. slowloris: 200 connections, each sending one header line every 2 s and never ending the
#      head; head deadline 5 s (banyan `limits: {head_timeout: 5s}`, nginx `client_header_timeout
#      5s`); a probe GET every 100 ms on a fresh connection throughout. How many the proxy closed,
#      when (median / max seconds after each connection's start), with what (408, a bare close),
#      whether the backend saw any of them, the probe's p50/p99. Pass for Banyan: all 200 closed
#      within 5 s + 0.3 s (the 50 ms sweep and scheduling), none forwarded, probe p99 < 100 ms.
#   3. hung upstream: GET /hang; time until the 504 with `limits: {response_timeout: 5s}` / nginx
#      `proxy_read_timeout 5s`, and whether the upstream socket was closed. Pass for Banyan: 504
#      within 5.5 s.
#
# Scenarios 2 and 3 need the `limits:` section; a banyan binary that refuses it (`banyan config
# check` fails on it) runs scenario 1 only, and the others are reported as not supported (which
# counts as not passing). Exit 0 when every Banyan pass line holds, 1 otherwise, 2 when the run
# could not be made. About a minute.
#
#   Benchmarks/slow-clients.sh [--seconds S] [--json FILE] [BANYAN_BINARY]
#   environment: BANYAN (default .build/release/banyan; no build is made), SECONDS_READING
#   (scenario 1's reading time, default 20), JSON_OUT (a file for the JSON result)
set -euo pipefail

banyan=${BANYAN:-.build/release/banyan}
reading=${SECONDS_READING:-20}
json_out=${JSON_OUT:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) reading=${2:?--seconds needs a value}; shift 2 ;;
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "slow-clients.sh: unknown option $1" >&2; exit 2 ;;
        *) banyan=$1; shift ;;
    esac
done
if ! [[ $reading =~ ^[1-9][0-9]*$ ]]; then echo "slow-clients.sh: --seconds must be whole seconds, 1 or more" >&2; exit 2; fi
[ -n "$json_out" ] && json_out=$(realpath -m "$json_out")
# A path given is read from the caller's directory; the default from the repository's.
if [ -n "${BANYAN:-}" ] || [ "$banyan" != .build/release/banyan ]; then banyan=$(realpath -m "$banyan"); fi

cd "$(dirname "$0")/.."
banyan=$(realpath -m "$banyan")
[ -x "$banyan" ] || { echo "slow-clients.sh: no banyan binary at $banyan (build one, or pass its path)" >&2; exit 2; }
helper=$PWD/Benchmarks/slow-clients/helper.py
export PATH="$PATH:/usr/sbin"
for tool in nginx python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "slow-clients.sh: needs $tool" >&2; exit 2; }
done

work=$(mktemp -d /tmp/banyan-bench-slow.XXXXXX)
pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$work/nginx.conf" ]; then nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true; fi
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    sleep 0.2
    if [ -f "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    if [ "$status" -le 1 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WAIT_PORT_STATUS=2  # the run could not be made
source Benchmarks/lib.sh

backend_port=$(free_port); nginx_port=$(free_port); banyan_port=$(free_port); admin_port=$(free_port)

python3 "$helper" backend "$backend_port" >"$work/backend.log" 2>&1 &
pids+=($!)
wait_port "$backend_port"

# nginx: one worker, the proxy_buffering defaults (8 buffers, then a temp file), the brief's timeouts.
mkdir -p "$work/nginx-temp"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$work/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http { access_log off;
  client_body_temp_path $work/nginx-temp/body;
  proxy_temp_path $work/nginx-temp/proxy;
  client_header_timeout 5s;
  send_timeout 60s;
  server { listen 127.0.0.1:$nginx_port backlog=1024;
    location / { proxy_pass http://127.0.0.1:$backend_port; proxy_buffering on; proxy_read_timeout 5s; } } }
CONF
nginx -p "$work" -c "$work/nginx.conf"
wait_port "$nginx_port"
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)

# Banyan: the limits section only for a binary that accepts it.
write_banyan_conf() { # with-limits(yes|no)
    cat >"$work/banyan.yaml" <<CONF
legacy: http://127.0.0.1:$backend_port
candidate: http://127.0.0.1:$backend_port
listen: 127.0.0.1:$banyan_port
admin: 127.0.0.1:$admin_port
state: sqlite:$work/state.sqlite
routes:
  - route: GET /probe
    mode: legacy
CONF
    if [ "$1" = yes ]; then
        cat >>"$work/banyan.yaml" <<CONF
limits:
  head_timeout: 5s
  response_timeout: 5s
CONF
    fi
}
write_banyan_conf yes
limits=yes
if ! "$banyan" config check "$work/banyan.yaml" >"$work/config-check.log" 2>&1; then
    limits=no
    write_banyan_conf no
    "$banyan" config check "$work/banyan.yaml" >>"$work/config-check.log" 2>&1 ||
        { echo "slow-clients.sh: banyan refuses the configuration:" >&2; cat "$work/config-check.log" >&2; exit 2; }
fi
"$banyan" proxy --config "$work/banyan.yaml" >"$work/banyan.log" 2>&1 &
banyan_pid=$!
pids+=("$banyan_pid")
wait_port "$banyan_port"
wait_port "$admin_port"
sleep 0.5

declare -A port_of=([banyan]=$banyan_port [nginx]=$nginx_port)
declare -A pid_of=([banyan]=$banyan_pid [nginx]=$nginx_worker)
check_alive() {
    kill -0 "$banyan_pid" 2>/dev/null || { echo "banyan has exited; its log:" >&2; tail -5 "$work/banyan.log" >&2; exit 2; }
    kill -0 "$nginx_worker" 2>/dev/null || { echo "the nginx worker has exited" >&2; exit 2; }
}

echo "conditions"
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
{
    printf 'machine\t%s cores (%s), %s\n' "$(nproc)" "${cpu_model:-unknown CPU}" \
        "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    printf 'banyan\t%s (%s), limits: section %s\n' "$banyan" "$("$banyan" --version 2>/dev/null || echo '?')" \
        "$([ "$limits" = yes ] && echo accepted || echo 'refused (scenarios 2 and 3 not supported)')"
    printf 'nginx\t%s, 1 worker, proxy_buffering on (defaults), client_header_timeout 5s, send_timeout 60s, proxy_read_timeout 5s\n' \
        "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
    printf 'backend\tPython %s (helper.py backend)\n' "$(python3 -c 'import platform; print(platform.python_version())')"
    printf 'load average\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$work/conditions.tsv"
awk -F'\t' '{printf "  %-14s %s\n", $1 ":", $2}' "$work/conditions.tsv"
echo

run() { # scenario target COMMAND...: JSON to $work/scenario-target.json
    local scenario=$1 target=$2
    shift 2
    check_alive
    echo "  $scenario: $target"
    python3 "$helper" "$@" >"$work/$scenario-$target.json" 2>"$work/$scenario-$target.err" ||
        { echo "helper failed ($scenario, $target):" >&2; cat "$work/$scenario-$target.err" >&2; exit 2; }
}

echo "running"
for target in banyan nginx; do
    admin=()
    [ "$target" = banyan ] && admin=(--admin "http://127.0.0.1:$admin_port/api/routes")
    run slow-readers "$target" slow-readers --port "${port_of[$target]}" --pid "${pid_of[$target]}" \
        --seconds "$reading" "${admin[@]}"
done
for target in banyan nginx; do
    if [ "$target" = banyan ] && [ "$limits" = no ]; then continue; fi
    run slowloris "$target" slowloris --port "${port_of[$target]}" --pid "${pid_of[$target]}" --backend "$backend_port"
done
for target in banyan nginx; do
    if [ "$target" = banyan ] && [ "$limits" = no ]; then continue; fi
    run hang "$target" hang --port "${port_of[$target]}" --backend "$backend_port"
done
check_alive
if [ "$limits" = yes ]; then
    curl -s "http://127.0.0.1:$admin_port/api/routes" >"$work/admin-end.json" || true
    curl -s "http://127.0.0.1:$admin_port/metrics" >"$work/metrics-end.txt" || true
fi
sed -i "s/^load average\t.*/&; at the end $(cut -d' ' -f1-3 /proc/loadavg)/" "$work/conditions.tsv"
echo

python3 - "$work" "$limits" "$reading" "${json_out:-}" <<'PY'
import json, os, re, sys

work, limits, reading, json_out = sys.argv[1:]
supported = limits == "yes"

def load(name):
    path = os.path.join(work, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

res = {s: {t: load(f"{s}-{t}") for t in ("banyan", "nginx")} for s in ("slow-readers", "slowloris", "hang")}
mib = lambda kb: None if kb is None else kb / 1024

def fmt(v, digits=1, unit=""):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}{unit}"

rows, checks, ratios = [], [], []
def row(label, b, n, digits=1, unit=""):
    rows.append((label, fmt(b, digits, unit), fmt(n, digits, unit)))
def check(label, ok):
    checks.append((label, "not supported" if ok is None else ("pass" if ok else "FAIL")))
def ratio(label, b, n):
    ratios.append((label, None if b is None or not n else b / n))

sr = res["slow-readers"]
b, n = sr["banyan"], sr["nginx"]
def received(r):
    return sum(c["bytes"] for c in r["clients"]) / 1024
def errors(r):
    es = [c["error"] for c in r["clients"] if c["error"]]
    return ", ".join(sorted(set(es))) if es else "none"
rows.append((f"1. slow readers: 4 clients GET /big (64 MiB), SO_RCVBUF 4 KiB, 1 KiB every 100 ms for {reading} s", None, None))
row("  RSS before (MiB)", mib(b["rss_before_kb"]), mib(n["rss_before_kb"]))
row("  RSS peak (MiB)", mib(b["rss_peak_kb"]), mib(n["rss_peak_kb"]))
row("  RSS growth (MiB)", mib(b["rss_growth_kb"]), mib(n["rss_growth_kb"]))
row("  RSS 2 s after close (MiB)", mib(b["rss_after_close_kb"]), mib(n["rss_after_close_kb"]))
row("  spooled to unlinked temp files, peak (MiB)", mib(b["spooled_peak_kb"]), mib(n["spooled_peak_kb"]))
row("  received by the 4 clients (KiB)", received(b), received(n), 0)
row("  client errors", errors(b), errors(n))
if b.get("admin") and b["admin"].get("limits") is not None:
    paused = b["admin"]["limits"].get("upstream_paused")
    row("  upstream reads paused (admin)", None if paused is None else str(paused), "n/a")
check("slow readers: banyan RSS growth < 16 MiB", b["rss_growth_kb"] < 16 * 1024)
ratio("RSS growth with 4 slow readers, banyan / nginx", b["rss_growth_kb"], n["rss_growth_kb"])

sl = res["slowloris"]
rows.append(("2. slowloris: 200 connections, one header line every 2 s, head deadline 5 s; probe GET every 100 ms", None, None))
def outcomes(r):
    return ", ".join(f"{k} ×{v}" for k, v in sorted(r["outcomes"].items())) if r else None
b, n = sl["banyan"], sl["nginx"]
na = None if supported else "not supported"
g = lambda r, k: (r[k] if r else na)
row("  closed by the proxy (of 200)", g(b, "closed"), g(n, "closed"), 0)
row("  closed after, median (s)", g(b, "closed_median_s"), g(n, "closed_median_s"), 2)
row("  closed after, max (s)", g(b, "closed_max_s"), g(n, "closed_max_s"), 2)
row("  what they got", outcomes(b) or na, outcomes(n))
row("  reached the backend", g(b, "backend_saw"), g(n, "backend_saw"), 0)
row("  probe p50 (ms)", g(b, "probe_p50_ms"), g(n, "probe_p50_ms"), 2)
row("  probe p99 (ms)", g(b, "probe_p99_ms"), g(n, "probe_p99_ms"), 2)
row("  probes ok / failed", f"{b['probes']} / {b['probe_failures']}" if b else na, f"{n['probes']} / {n['probe_failures']}")
row("  RSS growth (MiB)", mib(b["rss_growth_kb"]) if b else na, mib(n["rss_growth_kb"]))
if b:
    check("slowloris: banyan closed all 200 within 5.3 s", b["closed"] == 200 and b["closed_max_s"] <= 5.3)
    check("slowloris: no slowloris request reached the backend", b["backend_saw"] == 0)
    check("slowloris: banyan probe p99 < 100 ms", b["probe_p99_ms"] is not None and b["probe_p99_ms"] < 100
          and b["probe_failures"] == 0)
    ratio("slowloris close time (max), banyan / nginx", b["closed_max_s"], n["closed_max_s"])
    ratio("probe p99 under slowloris, banyan / nginx", b["probe_p99_ms"], n["probe_p99_ms"])
else:
    check("slowloris: banyan closed all 200 within 5.3 s", None)
    check("slowloris: no slowloris request reached the backend", None)
    check("slowloris: banyan probe p99 < 100 ms", None)

hg = res["hang"]
rows.append(("3. hung upstream: GET /hang, upstream deadline 5 s", None, None))
b, n = hg["banyan"], hg["nginx"]
def answer(r):
    return (str(r["status"]) if r["status"] else r["error"]) if r else na
def upstream_closed(r):
    if not r:
        return na
    c = r["backend_hang_closed_after_s"]
    return f"yes, after {c[0]:.2f} s" if c else "no"
row("  answer", answer(b), answer(n))
row("  time to the answer (s)", g(b, "seconds"), g(n, "seconds"), 2)
row("  upstream socket closed", upstream_closed(b), upstream_closed(n))
if b:
    check("hung upstream: banyan answers 504 within 5.5 s", b["status"] == 504 and b["seconds"] <= 5.5)
    ratio("time to the 504, banyan / nginx", b["seconds"], n["seconds"])
else:
    check("hung upstream: banyan answers 504 within 5.5 s", None)

admin = None
if supported and os.path.exists(os.path.join(work, "admin-end.json")):
    try:
        status = json.load(open(os.path.join(work, "admin-end.json")))
        admin = {"limits": status.get("limits"), "client_connections": status.get("client_connections")}
    except ValueError:
        pass
events = {}
if os.path.exists(os.path.join(work, "metrics-end.txt")):
    for line in open(os.path.join(work, "metrics-end.txt")):
        m = re.match(r'banyan_limit_events_total\{cause="([^"]+)"\}\s+(\S+)', line)
        if m:
            events[m.group(1)] = float(m.group(2))

for label, bv, nv in rows:
    if bv is None and nv is None:
        print(label)
        print(f"  {'':<44} {'banyan':>22} {'nginx':>22}")
        continue
    print(f"  {label:<44} {bv:>22} {nv:>22}")
print()
print("ratios (banyan / nginx)")
for label, v in ratios:
    print(f"  {label:<56} {fmt(v, 2)}x")
if admin:
    print()
    print("banyan's own counts at the end (admin /api/routes)")
    print(f"  limits: {json.dumps(admin['limits'])}")
    print(f"  client_connections: {json.dumps(admin['client_connections'])}")
if events:
    print("  /metrics banyan_limit_events_total: " + ", ".join(f"{k} {v:g}" for k, v in sorted(events.items())))
print()
print("banyan pass lines")
for label, verdict in checks:
    print(f"  {label:<60} {verdict}")

if json_out:
    conditions = dict(l.rstrip("\n").split("\t", 1) for l in open(os.path.join(work, "conditions.tsv")))
    json.dump({"conditions": conditions, "limits_supported": supported, "results": res, "checks": checks,
               "ratios": ratios, "admin": admin, "limit_events": events}, open(json_out, "w"), indent=2)
    print(f"JSON result: {json_out}")
sys.exit(0 if all(v == "pass" for _, v in checks) else 1)
PY
