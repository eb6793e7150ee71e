#!/usr/bin/env python3
"""The backend and the clients of Benchmarks/slow-clients.sh (Python 3 standard library only).

  helper.py backend PORT
      GET /big: 64 MiB (Content-Length); GET /hang: never answered (the socket is read until the
      proxy closes it); GET /__stats: the counts below as JSON; anything else: a small 200.
      Counts requests per path and the /hang connections the proxy closed (with their times).
  helper.py slow-readers --port P --pid PID [--clients 4] [--seconds 20] [--rcvbuf 4096]
      [--chunk 1024] [--every 0.1] [--admin URL]
  helper.py slowloris --port P --pid PID [--connections 200] [--line-every 2]
      [--wait 12] [--probe-every 0.1] [--backend PORT]
  helper.py hang --port P [--wait 30] [--backend PORT]

Every client command prints one JSON object on stdout. RSS is sampled from /proc/PID/status
(VmRSS) every 250 ms in a thread while the clients run, with the size of the deleted files the
process holds open (nginx spools a slow reader's answer to an unlinked temp file).
"""
import argparse
import asyncio
import json
import os
import socket
import stat
import statistics
import sys
import threading
import time
import urllib.request

BIG = 64 * 1024 * 1024
SMALL = b'{"ok":true}'


# --- backend ------------------------------------------------------------------------------------

def backend(port):
    counts = {}
    hang_closed = []
    lock = threading.Lock()
    block = b"x" * (256 * 1024)

    def count(path):
        with lock:
            counts[path] = counts.get(path, 0) + 1

    def serve(conn):
        try:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                parts = lines[0].split(b" ")
                path = parts[1].decode("latin-1") if len(parts) > 1 else "?"
                length = 0
                close = parts[-1] == b"HTTP/1.0"
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"connection":
                        v = value.strip().lower()
                        close = v == b"close" or (close and v != b"keep-alive")
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                count(path)
                keep = b"close" if close else b"keep-alive"
                if path == "/hang":
                    started = time.monotonic()
                    while conn.recv(65536):
                        pass
                    with lock:
                        hang_closed.append(round(time.monotonic() - started, 3))
                    return
                if path == "/big":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                 b"Content-Length: %d\r\nConnection: %s\r\n\r\n" % (BIG, keep))
                    sent = 0
                    while sent < BIG:
                        conn.sendall(block)
                        sent += len(block)
                else:
                    if path == "/__stats":
                        with lock:
                            body = json.dumps({"requests": counts, "hang_closed_after_s": hang_closed}).encode()
                    else:
                        body = SMALL
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s" % (len(body), keep, body))
                if close:
                    return
        except OSError:
            pass
        finally:
            conn.close()

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


# --- RSS sampling -------------------------------------------------------------------------------

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def spooled_kb(pid):
    """The size of the deleted regular files PID holds open (nginx's proxy temp files)."""
    total = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(" (deleted)"):
                st = os.stat(f"/proc/{pid}/fd/{fd}")
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
        except OSError:
            pass
    return total // 1024


class Sampler:
    """VmRSS of PID, and the deleted files it holds open, every 250 ms while running."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []
        self.spooled = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append(rss_kb(self.pid))
                self.spooled.append(spooled_kb(self.pid))
            except OSError:
                return
            self.stop.wait(0.25)

    def __enter__(self):
        self.before = rss_kb(self.pid)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def report(self):
        peak = max(self.samples + [self.before])
        return {"rss_before_kb": self.before, "rss_peak_kb": peak, "rss_growth_kb": peak - self.before,
                "rss_samples": len(self.samples), "spooled_peak_kb": max(self.spooled, default=0)}


def admin_limits(url):
    if not url:
        return None
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            status = json.load(r)
        return {"limits": status.get("limits"), "client_connections": status.get("client_connections")}
    except (OSError, ValueError) as e:
        return {"error": str(e)}


# --- slow readers -------------------------------------------------------------------------------

def slow_readers(a):
    results = [None] * a.clients
    start_gate = threading.Barrier(a.clients + 1)

    def reader(i):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)  # before connect: the window
        got, status, error = 0, None, None
        try:
            s.connect(("127.0.0.1", a.port))
            start_gate.wait()
            s.sendall(b"GET /big HTTP/1.1\r\nHost: bench\r\n\r\n")
            end = time.monotonic() + a.seconds
            while time.monotonic() < end:
                data = s.recv(a.chunk)
                if not data:
                    error = "closed by the proxy"
                    break
                if status is None and data.startswith(b"HTTP/"):
                    status = int(data.split(b" ", 2)[1])
                got += len(data)
                time.sleep(a.every)
        except OSError as e:
            error = type(e).__name__
        finally:
            s.close()
        results[i] = {"bytes": got, "status": status, "error": error}

    sampler = Sampler(a.pid)
    with sampler:
        time.sleep(1.0)  # a second of baseline samples
        threads = [threading.Thread(target=reader, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        start_gate.wait()
        for t in threads:
            t.join()
        during = sampler.report()
        time.sleep(2.0)  # after the clients left
    after = sampler.samples[-1] if sampler.samples else None
    out = {**during, "rss_after_close_kb": after, "clients": results, "seconds": a.seconds,
           "admin": admin_limits(a.admin)}
    print(json.dumps(out))


# --- slowloris ----------------------------------------------------------------------------------

def probe_loop(port, every, stop, latencies, failures):
    request = b"GET /probe HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if b"\r\n\r\n" in data and data.endswith(SMALL):
                        break
            if data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"):
                latencies.append((time.monotonic() - t0) * 1000)
            else:
                failures.append(data[:40].decode("latin-1") or "empty")
        except OSError as e:
            failures.append(type(e).__name__)
        stop.wait(max(0.0, every - (time.monotonic() - t0)))


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


async def loris(port, line_every, wait, record):
    t_open = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        record.update(outcome="connect " + type(e).__name__, closed_after_s=None)
        return
    start = time.monotonic()
    record["connect_s"] = start - t_open

    async def feed():
        lines = [b"GET /slowloris HTTP/1.1\r\n", b"Host: bench\r\n"]
        n = 0
        try:
            while True:
                writer.write(lines[n] if n < len(lines) else b"X-Loris-%d: x\r\n" % n)
                await writer.drain()
                n += 1
                await asyncio.sleep(line_every)
        except (OSError, asyncio.CancelledError):
            pass

    feeder = asyncio.create_task(feed())
    try:
        data = await asyncio.wait_for(reader.read(4096), timeout=wait)
        elapsed = time.monotonic() - start
        if data:
            more = data
            try:  # the rest of the answer, up to the close
                while more:
                    more = await asyncio.wait_for(reader.read(4096), timeout=1)
            except (asyncio.TimeoutError, OSError):
                pass
            code = data.split(b" ", 2)[1].decode("latin-1") if data.startswith(b"HTTP/") else "bytes"
            record.update(outcome=code, closed_after_s=elapsed)
        else:
            record.update(outcome="close", closed_after_s=elapsed)
    except asyncio.TimeoutError:
        record.update(outcome="open", closed_after_s=None)
    except ConnectionResetError:
        record.update(outcome="reset", closed_after_s=time.monotonic() - start)
    except OSError as e:
        record.update(outcome=type(e).__name__, closed_after_s=time.monotonic() - start)
    finally:
        feeder.cancel()
        writer.close()


async def loris_all(a):
    records = [{} for _ in range(a.connections)]
    tasks = []
    for r in records:  # opened in 20 ms groups of 20, so the accept queue never overflows
        tasks.append(asyncio.create_task(loris(a.port, a.line_every, a.wait, r)))
        if len(tasks) % 20 == 0:
            await asyncio.sleep(0.02)
    await asyncio.gather(*tasks)
    return records


def slowloris(a):
    before = backend_stats(a.backend)
    latencies, failures = [], []
    stop = threading.Event()
    sampler = Sampler(a.pid)
    with sampler:
        prober = threading.Thread(target=probe_loop, args=(a.port, a.probe_every, stop, latencies, failures))
        prober.start()
        time.sleep(0.5)
        records = asyncio.run(loris_all(a))
        stop.set()
        prober.join()
    closed = [r["closed_after_s"] for r in records if r.get("closed_after_s") is not None]
    outcomes = {}
    for r in records:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    reached = None
    if a.backend:
        reached = backend_stats(a.backend)["requests"].get("/slowloris", 0) - before["requests"].get("/slowloris", 0)
    out = {"connections": a.connections, "closed": len(closed), "outcomes": outcomes, "backend_saw": reached,
           "closed_median_s": statistics.median(closed) if closed else None,
           "closed_min_s": min(closed) if closed else None,
           "closed_max_s": max(closed) if closed else None,
           "probes": len(latencies), "probe_failures": len(failures), "probe_failure_kinds": sorted(set(failures)),
           "probe_p50_ms": percentile(latencies, 50), "probe_p99_ms": percentile(latencies, 99),
           "probe_max_ms": max(latencies) if latencies else None, **sampler.report()}
    print(json.dumps(out))


# --- hung upstream ------------------------------------------------------------------------------

def backend_stats(port):
    if not port:
        return None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=5) as r:
        return json.load(r)


def hang(a):
    before = backend_stats(a.backend)
    t0 = time.monotonic()
    status, error = None, None
    try:
        with socket.create_connection(("127.0.0.1", a.port), timeout=a.wait) as s:
            s.sendall(b"GET /hang HTTP/1.1\r\nHost: bench\r\n\r\n")
            data = s.recv(4096)
            if data.startswith(b"HTTP/"):
                status = int(data.split(b" ", 2)[1])
            else:
                error = "closed without an answer" if not data else "not HTTP"
    except socket.timeout:
        error = f"no answer in {a.wait} s"
    except OSError as e:
        error = type(e).__name__
    elapsed = time.monotonic() - t0
    closed = None
    if a.backend:
        time.sleep(0.5)  # the proxy closes the upstream socket as it answers; let the backend see it
        closed = backend_stats(a.backend)["hang_closed_after_s"][len(before["hang_closed_after_s"]):]
    print(json.dumps({"status": status, "error": error, "seconds": elapsed,
                      "backend_hang_closed_after_s": closed}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backend")
    b.add_argument("port", type=int)
    r = sub.add_parser("slow-readers")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--clients", type=int, default=4)
    r.add_argument("--seconds", type=float, default=20)
    r.add_argument("--rcvbuf", type=int, default=4096)
    r.add_argument("--chunk", type=int, default=1024)
    r.add_argument("--every", type=float, default=0.1)
    r.add_argument("--admin", default="")
    s = sub.add_parser("slowloris")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--connections", type=int, default=200)
    s.add_argument("--line-every", type=float, default=2)
    s.add_argument("--wait", type=float, default=12)
    s.add_argument("--probe-every", type=float, default=0.1)
    s.add_argument("--backend", type=int, default=0)
    h = sub.add_parser("hang")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--wait", type=float, default=30)
    h.add_argument("--backend", type=int, default=0)
    a = p.parse_args()
    if a.command == "backend":
        backend(a.port)
    elif a.command == "slow-readers":
        slow_readers(a)
    elif a.command == "slowloris":
        slowloris(a)
    else:
        hang(a)


if __name__ == "__main__":
    sys.exit(main())
