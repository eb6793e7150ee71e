#!/usr/bin/env python3
"""Request smuggling side by side: Banyan, nginx and HAProxy, each in front of its own recording
backend (recorder.js), fed the corpus of corpus.py one payload at a time.

    python3 Benchmarks/hardening/runner.py --banyan PATH [--json FILE] [--only SUBSTRING]
                                           [--proxies banyan,nginx,haproxy] [--limit SECONDS]

For each payload and proxy: the recorder's connections are closed and its log cleared, then the
payload goes out on a fresh connection in one write, and the answer is read until the proxy closes,
2 s pass with no bytes, or (a shortcut) every answer the entry can get is complete and 0.5 s pass
with nothing more. The recorder's log is then read over its control port, and each upstream
connection's bytes are framed again by a strict RFC 9112 framer (below) beside Node's own framing.

Outcomes (../shared/reference/proxy-hardening.md section 10):
  REJECTED         the client saw a 4xx/5xx or a close, and the backend saw at most backend_max messages
  NORMALISED       a reject entry forwarded as RFC-clean messages whose bodies are one of its also_ok
  FORWARDED-CLEAN  accept entries: exactly the expected messages and bodies reached the backend and the
                   client got that many answers below 400; reject entries: passed on unrepaired, with
                   no framing disagreement at the backend (neither refused nor repaired)
  DESYNC           the backend saw more messages than the entry allows, Node refused what it was sent
                   (a framing failure), bytes outside any complete message, a bare CR or LF or a NUL in
                   a head, an obfuscated Transfer-Encoding, Content-Length with Transfer-Encoding, or
                   (h2c) a 101 or an Upgrade field reaching the backend
  FALSE-REJECT     an accept entry refused, or fewer of its requests forwarded
  NO-ANSWER        a reject entry that got no answer and no close within 2 s and reached no backend

Exit status 1 when Banyan has a DESYNC or FALSE-REJECT, or refuses or repairs (REJECTED + NORMALISED)
fewer payloads than the better of nginx and HAProxy in some family; 2 on a setup error.
Everything listens on 127.0.0.1; every process started here runs under `timeout` and is stopped
at exit.
"""
import argparse
import atexit
import base64
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402

OUTCOMES = ["REJECTED", "NORMALISED", "FORWARDED-CLEAN", "DESYNC", "FALSE-REJECT", "NO-ANSWER"]
SILENCE = 2.0
GRACE = 0.5

children = []  # Popen objects, each the leader of its own process group
stopping = threading.Event()


def stop_children():
    stopping.set()
    for proc in children:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start(cmd, log, limit, stdin=None):
    """Starts cmd under `timeout` in its own process group; its output goes to log."""
    out = open(log, "wb")
    proc = subprocess.Popen(["timeout", "-k", "5", str(int(limit))] + cmd, stdout=out, stderr=subprocess.STDOUT,
                            stdin=stdin if stdin is not None else subprocess.DEVNULL, start_new_session=True)
    children.append(proc)
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name, log, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with status {proc.returncode} before listening on {port}; its log "
                     f"({log}):\n" + open(log, errors="replace").read()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{name} did not listen on 127.0.0.1:{port} within {timeout} s; log: {log}")


# ----------------------------------------------------------------------------------------------
# A strict RFC 9112 framer for what reached the backend.
TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
TOKEN_RE = re.compile(TOKEN + rb"\Z")
REQUEST_LINE = re.compile(rb"(" + TOKEN + rb") (\S+) HTTP/(\d)\.(\d)\Z")
CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)((?:;" + TOKEN + rb"(?:=(?:" + TOKEN + rb'|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\x09\x20-\x7e\x80-\xff])*"))?)*)\Z')
HOST_RE = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+;=%-]*)(?::\d*)?\Z")
CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class Framing:
    def __init__(self):
        self.messages = []
        self.desync = []  # framing disagreements
        self.unclean = []  # RFC violations that are not framing: forwarded, but not a repair


def frame_fields(lines, where, out):
    fields = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            out.desync.append(f"obs-fold in the {where}")
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            out.desync.append(f"a {where} line without a colon: {line[:40]!r}")
            continue
        if not TOKEN_RE.match(name):
            out.desync.append(f"a {where} field name that is not a token: {name[:40]!r}")
            continue
        value = value.strip(b" \t")
        if CTL.search(value):
            out.unclean.append(f"a control character in {name.decode()}")
        fields.append((name.lower(), value))
    return fields


def frame_stream(raw, out):
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\r\n\r\n", pos)
        if end < 0:
            out.desync.append(f"{len(raw) - pos} bytes outside any complete head: {raw[pos:pos + 40]!r}")
            return
        head, pos = raw[pos:end], end + 4
        if b"\x00" in head:
            out.desync.append("NUL in a head")
        lines = head.split(b"\r\n")
        if any(b"\r" in l for l in lines):
            out.desync.append("bare CR in a head")
        if any(b"\n" in l for l in lines):
            out.desync.append("bare LF in a head")
        m = REQUEST_LINE.match(lines[0])
        if not m:
            out.desync.append(f"request line {lines[0][:60]!r}")
            return
        method, target, major, minor = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        if method == b"CONNECT":
            out.unclean.append("CONNECT forwarded")
        if (major, minor) not in ((1, 0), (1, 1)):
            out.unclean.append(f"version {major}.{minor}")
        if method != method.upper():
            out.unclean.append(f"lowercase method {method!r}")
        if re.search(rb"[^\x21-\x7e]|#", target) or (target == b"*" and method != b"OPTIONS"):
            out.unclean.append(f"target {target[:40]!r}")
        fields = frame_fields(lines[1:], "head", out)
        names = [n for n, _ in fields]
        for n in set(names):
            squeezed = re.sub(rb"[^a-z]", b"", n)
            if squeezed == b"transferencoding" and n != b"transfer-encoding":
                out.desync.append(f"obfuscated Transfer-Encoding name {n!r}")
            if squeezed == b"contentlength" and n != b"content-length":
                out.desync.append(f"obfuscated Content-Length name {n!r}")
        te = [v for n, v in fields if n == b"transfer-encoding"]
        cl = [v for n, v in fields if n == b"content-length"]
        hosts = [v for n, v in fields if n == b"host"]
        if minor == 1 and len(hosts) != 1:
            out.unclean.append(f"{len(hosts)} Host fields")
        for h in hosts:
            if not HOST_RE.match(h):
                out.unclean.append(f"Host {h[:40]!r}")
        for n, v in fields:
            if n == b"expect" and v.lower() != b"100-continue":
                out.unclean.append(f"Expect {v[:40]!r}")
            if n == b"upgrade" and method != b"CONNECT":
                out.unclean.append(f"Upgrade {v[:40]!r} forwarded")
        chunked = False
        if te:
            codings = [c.strip(b" \t").lower() for c in b",".join(te).split(b",")]
            if any(not TOKEN_RE.match(c) for c in codings) or codings[-1] != b"chunked" or codings.count(b"chunked") != 1:
                out.desync.append(f"obfuscated Transfer-Encoding value {b', '.join(te)[:60]!r}")
            elif len(codings) > 1 or len(te) > 1:
                out.unclean.append(f"Transfer-Encoding {b', '.join(te)!r}")
            chunked = codings[-1] == b"chunked"
            if minor == 0:
                out.unclean.append("Transfer-Encoding in HTTP/1.0")
        length = 0
        if cl:
            if te:
                out.desync.append("Content-Length with Transfer-Encoding")
            values = [v.strip(b" \t") for v in b",".join(cl).split(b",")]
            if any(not re.fullmatch(rb"\d+", v) for v in values):
                out.desync.append(f"invalid Content-Length {b', '.join(cl)[:60]!r}")
                return
            if len(set(int(v) for v in values)) > 1:
                out.desync.append(f"conflicting Content-Length {b', '.join(cl)!r}")
                return
            if len(values) > 1:
                out.unclean.append(f"Content-Length list {b', '.join(cl)!r}")
            length = int(values[0])
        message = {"method": method.decode("latin-1"), "target": target.decode("latin-1"),
                   "fields": [(n.decode("latin-1"), v.decode("latin-1")) for n, v in fields]}
        if chunked:
            body = b""
            while True:
                eol = raw.find(b"\r\n", pos)
                if eol < 0:
                    out.desync.append("incomplete chunked body")
                    return
                size_line, pos = raw[pos:eol], eol + 2
                m = CHUNK_LINE.match(size_line)
                if not m:
                    out.desync.append(f"chunk size line {size_line[:40]!r}")
                    return
                size = int(m.group(1), 16)
                if size == 0:
                    break
                if len(raw) < pos + size + 2:
                    out.desync.append("incomplete chunk")
                    return
                body += raw[pos:pos + size]
                if raw[pos + size:pos + size + 2] != b"\r\n":
                    out.desync.append("chunk data not followed by CRLF")
                    return
                pos += size + 2
            trailers = []
            while True:
                eol = raw.find(b"\r\n", pos)
                if eol < 0:
                    out.desync.append("incomplete trailer section")
                    return
                line, pos = raw[pos:eol], eol + 2
                if not line:
                    break
                if b"\r" in line or b"\n" in line or b"\x00" in line:
                    out.desync.append("bare CR, LF or NUL in the trailers")
                trailers.append(line)
            for n, _ in frame_fields(trailers, "trailer", out):
                if n in (b"content-length", b"transfer-encoding", b"host", b"trailer"):
                    out.unclean.append(f"{n.decode()} in the trailers")
            message["body"] = body
        else:
            if len(raw) < pos + length:
                out.desync.append(f"incomplete body: {len(raw) - pos} of {length} bytes")
                return
            message["body"] = raw[pos:pos + length]
            pos += length
        out.messages.append(message)


# ----------------------------------------------------------------------------------------------
# The client side: answers read back from the proxy.
def parse_responses(data):
    """Returns (interim statuses, final statuses of complete answers, whether the rest is incomplete)."""
    interim, final = [], []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return interim, final, True
        lines = data[pos:end].split(b"\r\n")
        m = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0])
        if not m:
            return interim, final, True
        status = int(m.group(1))
        fields = {}
        for line in lines[1:]:
            n, _, v = line.partition(b":")
            fields.setdefault(n.strip().lower(), v.strip())
        pos = end + 4
        if 100 <= status < 200:
            interim.append(status)
            if status == 101:
                return interim, final, False
            continue
        if status in (204, 304):
            final.append(status)
            continue
        if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
            while True:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    return interim, final, True
                try:
                    size = int(data[pos:eol].split(b";")[0], 16)
                except ValueError:
                    return interim, final, True
                pos = eol + 2
                if size == 0:
                    tail = data.find(b"\r\n\r\n", pos - 2)
                    if tail < 0:
                        return interim, final, True
                    pos = tail + 4
                    break
                pos += size + 2
                if pos > len(data):
                    return interim, final, True
        elif b"content-length" in fields:
            n = int(fields[b"content-length"] or b"0")
            if len(data) < pos + n:
                return interim, final, True
            pos += n
        else:
            final.append(status)  # read to the close
            return interim, final, False
        final.append(status)
    return interim, final, False


def send(port, raw, wanted):
    """One payload on a fresh connection; returns (bytes, closed, elapsed)."""
    t0 = time.time()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setblocking(False)
    data, closed = b"", False
    try:
        _send_all(sock, raw)
        last = time.time()
        while True:
            _, final, incomplete = parse_responses(data)
            done = not incomplete and data and (len(final) >= wanted or any(s >= 400 for s in final))
            wait = (last + (GRACE if done else SILENCE)) - time.time()
            if wait <= 0:
                break
            ready, _, _ = select.select([sock], [], [], wait)
            if not ready:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
            last = time.time()
    finally:
        sock.close()
    return data, closed, time.time() - t0


def _send_all(sock, raw):
    view = memoryview(raw)
    deadline = time.time() + 5
    while view:
        try:
            n = sock.send(view)
            view = view[n:]
        except BlockingIOError:
            select.select([], [sock], [], max(0.01, deadline - time.time()))
            if time.time() > deadline:
                return
        except (BrokenPipeError, ConnectionResetError):
            return


def control(port, method, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


# ----------------------------------------------------------------------------------------------
def classify(entry, data, closed, state):
    interim, final, incomplete = parse_responses(data)
    statuses = interim + final
    framing = Framing()
    node_requests, node_errors = [], []
    for conn in sorted(state["connections"], key=lambda c: c["id"]):
        raw = base64.b64decode(conn["raw"])
        if raw:
            frame_stream(raw, framing)
        node_requests += conn["requests"]
        node_errors += conn["errors"]
    reasons = list(dict.fromkeys(framing.desync))
    framing_errors = [e for e in node_errors if e.get("during") == "framing"]
    for err in framing_errors or node_errors:
        reasons.append(f"Node refused what it was sent: {err.get('code')} ({err.get('reason', err.get('message', ''))})")
    incomplete_node = [r for r in node_requests if not r.get("complete")]
    if incomplete_node:
        reasons.append(f"{len(incomplete_node)} request(s) Node never saw complete")
    if len(framing.messages) != len(node_requests) and not node_errors:
        reasons.append(f"Node framed {len(node_requests)} message(s), a strict framer {len(framing.messages)}")
    for status in entry.get("forbid_status", []):
        if status in statuses:
            reasons.append(f"the client got {status}")
    for name in entry.get("forbid_backend_headers", []):
        if any(n == name for m in framing.messages for n, _ in m["fields"]):
            reasons.append(f"{name} reached the backend")
    n_backend = len(node_requests)
    bodies = [r.get("sha256") for r in node_requests]
    refused = any(s >= 400 for s in final) or (closed and not final)
    result = {"statuses": statuses, "closed": closed, "client_bytes": len(data),
              "client_head": data[:200].decode("latin-1"), "backend_messages": n_backend,
              "backend_requests": [{k: r.get(k) for k in ("connection", "index", "method", "url", "bodyLength")}
                                   for r in node_requests],
              "node_errors": node_errors, "unclean": list(dict.fromkeys(framing.unclean)),
              "backend_raw": [base64.b64decode(c["raw"])[:2000].decode("latin-1")
                              for c in sorted(state["connections"], key=lambda c: c["id"]) if c["raw"]]}
    sha = lambda b: hashlib.sha256(b).hexdigest()
    if entry["expect"] == "accept":
        n = entry["requests"]
        if n_backend > n:
            reasons.append(f"{n_backend} messages reached the backend, {n} sent")
        if reasons:
            outcome = "DESYNC"
        elif n_backend < n or refused:
            outcome = "FALSE-REJECT"
            reasons.append(f"{n_backend} of {n} forwarded; answers {statuses or 'none'}"
                           + (", closed" if closed else ""))
        elif bodies != [sha(b) for b in entry["bodies"]]:
            outcome = "DESYNC"
            reasons.append("the bodies the backend saw differ from those sent")
        elif len(final) < n or any(s >= 400 for s in final):
            outcome = "FALSE-REJECT"
            reasons.append(f"answers {statuses or 'none'} for {n} requests")
        else:
            outcome = "FORWARDED-CLEAN"
    else:
        allowed = max([entry["backend_max"], 1] + [len(b) for b in entry["also_ok"]])
        if n_backend > allowed:
            reasons.append(f"{n_backend} messages reached the backend")
        if reasons:
            outcome = "DESYNC"
        elif n_backend <= entry["backend_max"]:
            if refused:
                outcome = "REJECTED"
            elif n_backend == 0 and not data:
                outcome = "NO-ANSWER"
                reasons.append(f"no answer and no close in {SILENCE:.0f} s; nothing forwarded")
            else:
                outcome = "FORWARDED-CLEAN"
                reasons.append(f"nothing forwarded, but answered {statuses or repr(data[:24])} without refusing")
        elif not framing.unclean and any(bodies == [sha(b) for b in ok] for ok in entry["also_ok"]):
            outcome = "NORMALISED"
        else:
            outcome = "FORWARDED-CLEAN"
            if result["unclean"]:
                reasons.append("forwarded unrepaired: " + "; ".join(result["unclean"]))
            else:
                reasons.append("forwarded in a clean form, but not one of the entry's repairs (bodies "
                               + ", ".join(f"{r.get('bodyLength')} bytes" for r in node_requests) + ")")
    result["outcome"] = outcome
    result["reasons"] = reasons
    return result


# ----------------------------------------------------------------------------------------------
def setup(args, work):
    limit = args.limit
    proxies = {}
    for name in args.proxies:
        rec_port, ctl_port = free_port(), free_port()
        log = os.path.join(work, f"recorder-{name}.log")
        proc = start(["node", os.path.join(HERE, "recorder.js"), str(rec_port), str(ctl_port), str(limit)], log, limit,
                     stdin=subprocess.PIPE)
        wait_port(ctl_port, proc, f"recorder for {name}", log)
        proxies[name] = {"recorder": rec_port, "control": ctl_port}

    if "nginx" in proxies:
        port = free_port()
        rec = proxies["nginx"]["recorder"]
        conf = os.path.join(work, "nginx.conf")
        # /work/shared/reference/anchor-configs/proxy.conf, plus the 5 s timeouts of section 10.
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{ access_log off;
  client_body_temp_path {work}/nginx-body; proxy_temp_path {work}/nginx-proxy;
  client_header_timeout 5s; client_body_timeout 5s; send_timeout 5s; proxy_read_timeout 5s;
  upstream backend {{ server 127.0.0.1:{rec}; keepalive 64; }}
  server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        log = os.path.join(work, "nginx.log")
        proc = start([nginx, "-p", work, "-c", conf, "-g", "daemon off;"], log, limit)
        wait_port(port, proc, "nginx", log)
        proxies["nginx"].update(port=port, proc=proc, log=log)

    if "haproxy" in proxies:
        port = free_port()
        rec = proxies["haproxy"]["recorder"]
        cfg = os.path.join(work, "haproxy.cfg")
        # /work/shared/reference/anchor-configs/haproxy.cfg, plus the section 10 timeouts.
        with open(cfg, "w") as f:
            f.write(f"""global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
  timeout http-request 5s
  option http-buffer-request
  option http-keep-alive
frontend fe
  bind 127.0.0.1:{port}
  default_backend be
backend be
  http-reuse always
  server s1 127.0.0.1:{rec}
""")
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        log = os.path.join(work, "haproxy.log")
        proc = start([haproxy, "-f", cfg, "-db"], log, limit)
        wait_port(port, proc, "haproxy", log)
        proxies["haproxy"].update(port=port, proc=proc, log=log)

    if "banyan" in proxies:
        port, admin = free_port(), free_port()
        rec = proxies["banyan"]["recorder"]
        conf = os.path.join(work, "banyan.yaml")
        with open(conf, "w") as f:
            # The single legacy is the recorder; no routes, so every request goes to legacy.
            f.write(f"""legacy: http://127.0.0.1:{rec}
candidate: http://127.0.0.1:{rec}
listen: 127.0.0.1:{port}
admin: 127.0.0.1:{admin}
state: sqlite:{work}/banyan-state.sqlite
""")
        log = os.path.join(work, "banyan.log")
        proc = start([args.banyan, "proxy", "--config", conf], log, limit)
        wait_port(port, proc, "banyan", log)
        proxies["banyan"].update(port=port, proc=proc, log=log)
    return proxies


def versions(args):
    def run(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    v = {"node": run(["node", "-v"]), "python": sys.version.split()[0]}
    if "nginx" in args.proxies:
        v["nginx"] = run([shutil.which("nginx") or "/usr/sbin/nginx", "-v"])
    if "haproxy" in args.proxies:
        v["haproxy"] = run([shutil.which("haproxy") or "/usr/sbin/haproxy", "-v"])
    if "banyan" in args.proxies:
        v["banyan"] = f"{args.banyan} ({run([args.banyan, '--version'])})"
    return v


def run_proxy(name, ports, entries, results, failures):
    try:
        run_entries(name, ports, entries, results, failures)
    except Exception as e:  # a recorder or proxy gone; reported unless the run is being stopped
        if not stopping.is_set():
            failures.append(f"{name}: {type(e).__name__}: {e}")


def run_entries(name, ports, entries, results, failures):
    for entry in entries:
        if ports["proc"].poll() is not None:
            failures.append(f"{name} exited (status {ports['proc'].returncode}) before payload {entry['id']}; "
                            f"its log ({ports['log']}):\n" + open(ports["log"], errors="replace").read()[-1500:])
            return
        control(ports["control"], "POST", "/reset")
        time.sleep(0.15)  # the proxy sees its pooled upstream connections close
        wanted = entry["requests"] if entry["expect"] == "accept" else entry["backend_max"] + 1
        try:
            data, closed, elapsed = send(ports["port"], entry["raw"], wanted)
        except OSError as e:
            failures.append(f"{name}: payload {entry['id']}: {e}")
            return
        time.sleep(0.2)  # the backend's last bytes
        state = control(ports["control"], "GET", "/state")
        result = classify(entry, data, closed, state)
        result["elapsed_s"] = round(elapsed, 3)
        results[(name, entry["id"])] = result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--banyan", required=True, help="the banyan binary")
    ap.add_argument("--json", help="write every payload's result to this file")
    ap.add_argument("--only", help="run only the entries whose id contains this")
    ap.add_argument("--proxies", default="banyan,nginx,haproxy")
    ap.add_argument("--limit", type=int, default=1800, help="every started process stops after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs)")
    args = ap.parse_args()
    args.proxies = [p.strip() for p in args.proxies.split(",") if p.strip()]
    unknown = set(args.proxies) - {"banyan", "nginx", "haproxy"}
    if unknown:
        sys.exit(f"--proxies: unknown {', '.join(sorted(unknown))}; allowed: banyan, nginx, haproxy")
    args.banyan = os.path.abspath(args.banyan)
    if "banyan" in args.proxies and not os.access(args.banyan, os.X_OK):
        sys.exit(f"--banyan: no executable at {args.banyan}")

    work = tempfile.mkdtemp(prefix="banyan-hardening.")

    def cleanup():
        stop_children()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def on_signal(signum, frame):
        # Cleaned up here and left at once: raising SystemExit while worker threads run can hang
        # the interpreter's shutdown.
        cleanup()
        os._exit(128 + signum)

    atexit.register(cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)

    entries = [e for e in corpus.CORPUS if not args.only or args.only in e["id"]]
    if not entries:
        sys.exit(f"--only {args.only}: no entry matches")
    conditions = versions(args)
    proxies = setup(args, work)
    print("conditions")
    for k, v in conditions.items():
        print(f"  {k:<8} {v}")
    print(f"  corpus   {len(entries)} payloads ({sum(e['expect'] == 'accept' for e in entries)} accept, "
          f"{sum(e['expect'] == 'reject' for e in entries)} reject); work directory {work}")
    print(flush=True)

    results, failures = {}, []
    threads = [threading.Thread(target=run_proxy, args=(name, ports, entries, results, failures), daemon=True)
               for name, ports in proxies.items()]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():  # short joins, so that INT and TERM are handled at once
            t.join(0.5)
    if failures:
        args.keep = True
        sys.exit("the run stopped early:\n" + "\n".join(failures) + f"\nlogs in {work}")
    missing = [(n, e["id"]) for n in proxies for e in entries if (n, e["id"]) not in results]
    if missing:
        sys.exit(f"no result for {len(missing)} payloads (first: {missing[0]}); logs in {work}")

    names = list(proxies)
    families = [f for f in corpus.FAMILIES if any(e["family"] == f for e in entries)]
    shown = [o for o in OUTCOMES if o != "NO-ANSWER" or any(r["outcome"] == o for r in results.values())]
    short = {"REJECTED": "rej", "NORMALISED": "norm", "FORWARDED-CLEAN": "fwd", "DESYNC": "DESYNC",
             "FALSE-REJECT": "FALSE", "NO-ANSWER": "none"}
    print(f"matrix ({time.time() - t0:.0f} s): per family and proxy, payloads per outcome "
          f"({' / '.join(short[o] + '=' + o for o in shown)})")
    header = f"  {'family':<18} {'n':>3}  " + "  ".join(f"{n:<{7 * len(shown)}}" for n in names)
    print(header)
    print(f"  {'':<18} {'':>3}  " + "  ".join("".join(f"{short[o]:>7}" for o in shown) for _ in names))
    totals = {n: {o: 0 for o in shown} for n in names}
    family_fail = []
    for fam in families + ["all"]:
        fam_entries = entries if fam == "all" else [e for e in entries if e["family"] == fam]
        cells = []
        for n in names:
            counts = {o: 0 for o in shown}
            for e in fam_entries:
                counts[results[(n, e["id"])]["outcome"]] += 1
            if fam != "all":
                for o in shown:
                    totals[n][o] += counts[o]
            cells.append("".join(f"{counts[o]:>7}" for o in shown))
        if fam == "all":
            print("  " + "-" * (len(header) - 2))
        print(f"  {fam:<18} {len(fam_entries):>3}  " + "  ".join(f"{c:<{7 * len(shown)}}" for c in cells))

    refused = lambda n, es: sum(results[(n, e["id"])]["outcome"] in ("REJECTED", "NORMALISED") for e in es)
    print()
    print("refused or repaired (REJECTED + NORMALISED) of the reject entries, per family")
    for fam in families:
        fam_rejects = [e for e in entries if e["family"] == fam and e["expect"] == "reject"]
        if not fam_rejects:
            continue
        line = f"  {fam:<18} {len(fam_rejects):>3}  " + "  ".join(f"{n} {refused(n, fam_rejects):>3}" for n in names)
        if "banyan" in names:
            others = [refused(n, fam_rejects) for n in names if n != "banyan"]
            if others and refused("banyan", fam_rejects) < max(others):
                line += f"   banyan below the better anchor ({max(others)})"
                family_fail.append(fam)
        print(line)
    all_rejects = [e for e in entries if e["expect"] == "reject"]
    print(f"  {'all':<18} {len(all_rejects):>3}  " + "  ".join(f"{n} {refused(n, all_rejects):>3}" for n in names))

    print()
    for n in names:
        bad = [(e["id"], results[(n, e["id"])]) for e in entries
               if results[(n, e["id"])]["outcome"] in ("DESYNC", "FALSE-REJECT", "NO-ANSWER")]
        print(f"{n}: {len(bad)} DESYNC / FALSE-REJECT / NO-ANSWER")
        for id, r in bad:
            print(f"  {r['outcome']:<13} {id:<26} {'; '.join(r['reasons'])[:150]}")
    if "banyan" in names and len(names) > 1:
        print()
        print("reject entries an anchor refused or repaired and banyan did not")
        for e in all_rejects:
            mine = results[("banyan", e["id"])]["outcome"]
            if mine in ("REJECTED", "NORMALISED"):
                continue
            stricter = [n for n in names if n != "banyan" and results[(n, e["id"])]["outcome"] in ("REJECTED", "NORMALISED")]
            if stricter:
                print(f"  {e['id']:<26} banyan {mine:<15} " + ", ".join(
                    f"{n} {results[(n, e['id'])]['outcome']}" for n in stricter))

    if args.json:
        out = {"conditions": conditions, "proxies": names,
               "results": [{"id": e["id"], "family": e["family"], "expect": e["expect"], "note": e["note"],
                            "raw": e["raw"].decode("latin-1"),
                            "by_proxy": {n: results[(n, e["id"])] for n in names}} for e in entries]}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"\nJSON: {args.json}")

    failed = False
    if "banyan" in names:
        wrong = [e["id"] for e in entries if results[("banyan", e["id"])]["outcome"] in ("DESYNC", "FALSE-REJECT")]
        if wrong:
            print(f"\nFAIL: banyan has {len(wrong)} DESYNC or FALSE-REJECT outcome(s)")
            failed = True
        if family_fail:
            print(f"FAIL: banyan refuses or repairs fewer than the better anchor in: {', '.join(family_fail)}")
            failed = True
        if not failed:
            print("\nok: banyan has no DESYNC or FALSE-REJECT and matches the better anchor in every family")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
