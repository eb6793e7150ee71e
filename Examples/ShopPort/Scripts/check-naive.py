#!/usr/bin/env python3
"""Check naive-differences.json against a running legacy and a running `ShopPort --naive`.

Usage: check-naive.py LEGACY_URL NAIVE_URL [CORRECT_URL]
For every mistake: legacyFragment must be in the legacy's raw response and not in the naive one,
naiveFragment the other way round. With CORRECT_URL, the correct port must answer the same request
without the naive fragment. Start the services fresh (GET /users expects the twelve seed users).
"""
import json
import os
import subprocess
import sys


def raw(base, req):
    cmd = ["curl", "-si", "--raw", "--path-as-is", "-X", req["method"], base + req["path"]]
    for name, value in (req.get("headers") or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if req.get("body") is not None:
        cmd += ["--data-binary", "@-"]
    return subprocess.run(cmd, input=(req.get("body") or "").encode(), capture_output=True, timeout=30).stdout


def main():
    legacy, naive = sys.argv[1], sys.argv[2]
    correct = sys.argv[3] if len(sys.argv) > 3 else None
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "naive-differences.json")
    mistakes = json.load(open(path))
    failures = 0
    for m in mistakes:
        a = raw(legacy, m["request"])
        b = raw(naive, m["request"])
        lf, nf = m["legacyFragment"].encode(), m["naiveFragment"].encode()
        ok = lf in a and lf not in b and nf in b and nf not in a
        if correct:
            c = raw(correct, m["request"])
            ok = ok and nf not in c
        print(("ok     " if ok else "FAILED ") + m["id"] + f" ({m['kind']})")
        if not ok:
            failures += 1
            print("   legacy:", a[:500])
            print("   naive: ", b[:500])
    print(f"{len(mistakes) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
