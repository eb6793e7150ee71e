"""Measurements for Benchmarks/guard.sh: a switchable upstream, the guard's detection time, the
healthy runs' counts and the fleet's propagation lag. Loopback only; standard library only."""

import http.client
import http.server
import json
import random
import socketserver
import statistics
import subprocess
import sys
import threading
import time

ROUTE = "GET /items/:id"
BODY = b'{"id":1,"name":"Ada","email":"ada@example.com"}'
DIFFERENT = b'{"id":"1","name":"Ada","email":"ada@example.com"}'


# --- a switchable upstream -------------------------------------------------------------------

class Upstream:
    """What the upstream answers now, and when its first bad answer went out."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "ok"
        self.share = 1.0
        self.delay = 0.0
        self.first_bad = None
        self.bad = 0
        self.answered = 0


STATE = Upstream()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "upstream"
    sys_version = ""

    def log_message(self, *args):
        pass

    def date_time_string(self, timestamp=None):
        # A fixed date: two upstreams answering the same second or not must not differ by it.
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        words = self.rfile.read(length).decode().split()
        with STATE.lock:
            STATE.mode = words[0]
            STATE.share = float(words[1]) if words[0] == "fail" and len(words) > 1 else 1.0
            STATE.delay = float(words[1]) if words[0] == "slow" and len(words) > 1 else 0.0
            STATE.first_bad = None
            STATE.bad = 0
        self.answer(200, b"ok\n", "text/plain")

    def do_GET(self):
        if self.path == "/__stats":
            with STATE.lock:
                stats = {"mode": STATE.mode, "first_bad": STATE.first_bad, "bad": STATE.bad,
                         "answered": STATE.answered}
            self.answer(200, json.dumps(stats).encode())
            return
        with STATE.lock:
            mode, share, delay = STATE.mode, STATE.share, STATE.delay
            bad = mode != "ok" and (mode != "fail" or random.random() < share)
            STATE.answered += 1
        if mode == "slow":
            time.sleep(delay)
        if bad:
            with STATE.lock:
                if STATE.first_bad is None:
                    STATE.first_bad = time.time()
                STATE.bad += 1
        if bad and mode == "fail":
            self.answer(500, b'{"error":"internal"}')
        elif bad and mode == "diff":
            self.answer(200, DIFFERENT)
        else:
            self.answer(200, BODY)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def serve(port):
    Server(("127.0.0.1", int(port)), Handler).serve_forever()


# --- talking to the proxies --------------------------------------------------------------------

class Admin:
    """One keep-alive connection to an admin API (or an upstream's control port)."""

    def __init__(self, port):
        self.port = int(port)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.status >= 400:
                    raise RuntimeError(f"{method} {path} on {self.port}: {response.status} {payload!r}")
                return json.loads(payload) if payload[:1] in (b"{", b"[") else payload
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt == 1:
                    raise

    def route(self):
        return next(r for r in self.request("GET", "/api/routes")["routes"] if r["route"] == ROUTE)

    def mode(self):
        route = self.route()
        return route["mode"]

    def guard(self):
        return self.request("GET", "/api/guard")["guards"][0]

    def set_mode(self, mode, percent=None, reason="guard benchmark"):
        body = {"route": ROUTE, "mode": mode, "reason": reason}
        if percent is not None:
            body["percent"] = percent
        return self.request("POST", "/api/routes/mode", body)


def wait(condition, seconds, step=0.005):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# --- (a) detection -----------------------------------------------------------------------------

def detect(out, admin_port, control_port, scenario, command):
    """Puts the route back in canary, waits until its guard is healthy under the running load,
    turns the candidate bad, and measures until the guard has the route back on legacy."""
    admin, control = Admin(admin_port), Admin(control_port)
    control.request("POST", "/__mode", b"ok")
    admin.set_mode("canary", 50, reason=f"guard benchmark: {scenario}")
    if not wait(lambda: admin.guard()["state"] == "healthy", 120, 0.05):
        raise RuntimeError(f"{scenario}: the guard did not become healthy: {admin.guard()}")
    start = time.time()
    control.request("POST", "/__mode", command.encode())
    tripped = wait(lambda: admin.mode() == "legacy", 120, 0.002)
    seen = time.time()
    guard = admin.guard()
    events = admin.request("GET", "/api/events?limit=10")["events"]
    event = next((e for e in events if e["route"] == ROUTE and e["to"] == "legacy"), None)
    time.sleep(0.3)
    stats = control.request("GET", "/__stats")
    control.request("POST", "/__mode", b"ok")
    evidence = guard.get("last_evidence") or {}
    first_bad = stats["first_bad"]
    result = {
        "scenario": scenario,
        "tripped": tripped,
        "rule": evidence.get("rule"),
        "window_samples": evidence.get("samples"),
        "window_hits": evidence.get("hits"),
        "bad_answers": stats["bad"],
        "first_bad_to_trip_ms": round((event["at"] - first_bad) * 1000, 1) if event and first_bad else None,
        "first_bad_to_seen_ms": round((seen - first_bad) * 1000, 1) if first_bad else None,
        "decided_to_applied_ms": round(guard["applied_after"] * 1000, 2) if guard.get("applied_after") else None,
        "switch_to_first_bad_ms": round((first_bad - start) * 1000, 1) if first_bad else None,
        "reason": event["reason"] if event else None,
    }
    with open(out, "a") as file:
        file.write(json.dumps(result) + "\n")
    print(f"  {scenario:<11} rule {result['rule']}: first bad answer → back on legacy "
          f"{result['first_bad_to_trip_ms']} ms (decided → applied {result['decided_to_applied_ms']} ms), "
          f"window {result['window_hits']}/{result['window_samples']}, bad answers served {result['bad_answers']}")


# --- (b) healthy runs --------------------------------------------------------------------------

def count(admin_port, what, target, limit_seconds):
    """Waits until the route has `target` requests (what=requests) or comparisons
    (what=comparisons), then prints the route's counts and its guard."""
    admin = Admin(admin_port)

    def value(route):
        if what == "comparisons":
            return route["shadowDiffs"]["compared"]
        return route["legacy"]["requests"] + route["candidate"]["requests"]

    deadline = time.monotonic() + float(limit_seconds)
    route = admin.route()
    while value(route) < int(target) and time.monotonic() < deadline:
        time.sleep(0.1)
        route = admin.route()
    print(json.dumps({"value": value(route), "route": route, "guard": admin.guard()}))


def healthy_summary(out, path_before, path_after, what):
    """Prints one line: the counts of a healthy run and its trips."""
    data = json.load(open(path_after))
    route, guard = data["route"], data["guard"]
    events = json.load(open(path_before))
    result = {
        "what": what,
        "mode": route["mode"],
        "legacy_requests": route["legacy"]["requests"],
        "candidate_requests": route["candidate"]["requests"],
        "candidate_errors": route["candidate"]["errors"],
        "compared": route["shadowDiffs"]["compared"],
        "failing": route["shadowDiffs"]["failing"],
        "guard_state": guard["state"],
        "last_action": guard.get("last_action"),
        "trips": sum(1 for e in events["events"] if e.get("cause") == "automatic"),
    }
    with open(out, "a") as file:
        file.write(json.dumps(result) + "\n")
    print(f"  {what:<7} legacy {result['legacy_requests']}, candidate {result['candidate_requests']} "
          f"(errors {result['candidate_errors']}), compared {result['compared']} (failing {result['failing']}); "
          f"guard {result['guard_state']}, trips {result['trips']}, mode {result['mode']}")


# --- (c) fleet ---------------------------------------------------------------------------------

def fleet(out, changes, psql, a, *others):
    """Makes `changes` mode changes through proxy `a` and measures, for each other proxy, the time
    from the change's answer to the other proxy serving with the new mode; then, with every
    listening connection terminated before each change, five more."""
    origin = Admin(a)
    watchers = [Admin(port) for port in others]

    def run(count, kill):
        lags = []
        for index in range(count):
            if kill:
                subprocess.run(
                    psql + ["-Atc", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()"],
                    check=True, capture_output=True)
            percent = 1 + (index % 2) * 4 + (1 if kill else 0) * 10
            origin.set_mode("canary", percent, reason=f"fleet benchmark {index}")
            done = time.monotonic()
            expected = f"canary:{percent}"
            pending = list(watchers)
            deadline = done + 30
            while pending and time.monotonic() < deadline:
                for watcher in list(pending):
                    if mode_text(watcher.route()) == expected:
                        lags.append(time.monotonic() - done)
                        pending.remove(watcher)
                time.sleep(0.001)
            if pending:
                raise RuntimeError(f"proxies {[w.port for w in pending]} never applied {expected}")
        return lags

    lags = run(int(changes), False)
    killed_changes = 5
    killed = run(killed_changes, True)
    result = {
        "changes": int(changes),
        "proxies": 1 + len(others),
        "lag_p50_ms": round(statistics.median(lags) * 1000, 1),
        "lag_max_ms": round(max(lags) * 1000, 1),
        "killed_changes": killed_changes,
        "killed_lag_p50_ms": round(statistics.median(killed) * 1000, 1),
        "killed_lag_max_ms": round(max(killed) * 1000, 1),
    }
    with open(out, "w") as file:
        json.dump(result, file)
    print(f"  {result['changes']} changes: lag p50 {result['lag_p50_ms']} ms, max {result['lag_max_ms']} ms")
    print(f"  listening connections killed, {killed_changes} changes: p50 {result['killed_lag_p50_ms']} ms, "
          f"max {result['killed_lag_max_ms']} ms")


def mode_text(route):
    mode = route["mode"]
    if isinstance(mode, dict):
        return f"{mode.get('mode')}:{mode.get('percent')}"
    return mode


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "serve":
        serve(*arguments)
    elif command == "detect":
        detect(*arguments)
    elif command == "count":
        count(*arguments)
    elif command == "healthy":
        healthy_summary(*arguments)
    elif command == "fleet":
        psql = arguments[2].split("\x1f")
        fleet(arguments[0], arguments[1], psql, *arguments[3:])
    else:
        sys.exit(f"helper.py: unknown command {command}")
