#!/usr/bin/env python3
"""Anchors for the diff-throughput benchmark: Python's deepdiff and jsondiff on the same pairs.

Each comparison is timed from the raw bytes, `json.loads` of both bodies included (Banyan's
figure includes parsing too). MB/s = (legacy bytes + candidate bytes) / second, 1 MB = 10^6 bytes,
the same definition as DiffThroughput. Per size class, every pair is compared once to warm up
and calibrate, then `--rounds` rounds of as many repetitions as fit in `--seconds / --rounds`
(at least one); the median round is reported. When the warm-up pass alone takes the whole budget
(deepdiff on 1 MB and 4 MB) that pass is the measurement: one round, one repetition. jsondiff matches lists with a quadratic
algorithm; a comparison that exceeds `--timeout` seconds is stopped, and the size class is reported
as an upper bound (`<` the pair's bytes / the timeout) instead of a measurement.

Usage: anchors.py CORPUS_DIR [--seconds S] [--rounds N] [--timeout S] [--results FILE]
Run it with a Python that has deepdiff==9.1.0 and jsondiff==2.2.1 (diff-throughput.sh makes one).
"""

import argparse
import json
import os
import signal
import statistics
import sys
import time

import deepdiff
import jsondiff

EXPECTED = {"deepdiff": "9.1.0", "jsondiff": "2.2.1"}


def run_deepdiff(a, b):
    return len(deepdiff.DeepDiff(json.loads(a), json.loads(b)))


def run_jsondiff(a, b):
    return len(jsondiff.diff(json.loads(a), json.loads(b)))


TOOLS = [("deepdiff", run_deepdiff), ("jsondiff", run_jsondiff)]


class TimedOut(Exception):
    pass


def on_alarm(signum, frame):
    raise TimedOut()


def within(seconds, run, a, b):
    """run(a, b), or TimedOut after `seconds` (both libraries are pure Python, so the alarm interrupts them)."""
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return run(a, b)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--results")
    args = parser.parse_args()

    versions = {"deepdiff": deepdiff.__version__ if hasattr(deepdiff, "__version__") else "?",
                "jsondiff": getattr(jsondiff, "__version__", "?")}
    try:
        from importlib.metadata import version
        versions = {name: version(name) for name in EXPECTED}
    except Exception:
        pass
    for name, wanted in EXPECTED.items():
        if versions.get(name) != wanted:
            sys.exit(f"anchors.py: {name} {versions.get(name)} installed, {wanted} expected")
    print(f"Python {sys.version.split()[0]}, deepdiff {versions['deepdiff']}, jsondiff {versions['jsondiff']}")

    with open(os.path.join(args.corpus, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    pairs = []
    for entry in manifest["pairs"]:
        with open(os.path.join(args.corpus, entry["legacy"]), "rb") as handle:
            legacy = handle.read()
        with open(os.path.join(args.corpus, entry["candidate"]), "rb") as handle:
            candidate = handle.read()
        pairs.append((entry["sizeClass"], legacy, candidate))
    classes = list(dict.fromkeys(size_class for size_class, _, _ in pairs))

    signal.signal(signal.SIGALRM, on_alarm)
    lines = []
    print("tool      class   pairs  reps/pair/round  rounds  median MB/s  (min–max MB/s)")
    for name, run in TOOLS:
        total_bytes = 0
        total_seconds = 0.0
        for size_class in classes:
            members = [(a, b) for c, a, b in pairs if c == size_class]
            pass_bytes = sum(len(a) + len(b) for a, b in members)
            start = time.perf_counter()
            try:
                found = [within(args.timeout, run, a, b) for a, b in members]
            except TimedOut:
                bound = (len(members[0][0]) + len(members[0][1])) / 1e6 / args.timeout
                print(f"{name:8}  {size_class:6}  {len(members):5}  {'-':>15}  {'-':>6}  {'<' + format(bound, '.2f'):>11}"
                      f"  (one comparison did not finish in {args.timeout:g} s)", flush=True)
                lines.append(f"{name}\t{size_class}\t<{bound}\t0\t{len(members)}")
                continue
            warm = time.perf_counter() - start
            if not all(found):
                sys.exit(f"anchors.py: {name} found no difference in a {size_class} pair")
            if warm >= args.seconds:
                # One pass already takes the whole budget: it is the measurement (one round, one repetition).
                total_bytes += pass_bytes
                total_seconds += warm
                rate = pass_bytes / 1e6 / warm
                print(f"{name:8}  {size_class:6}  {len(members):5}  {1:15}  {1:6}  {rate:11.2f}", flush=True)
                lines.append(f"{name}\t{size_class}\t{rate}\t1\t{len(members)}")
                continue
            reps = max(1, int(args.seconds / args.rounds / max(warm, 1e-6)))
            rates = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                for _ in range(reps):
                    for a, b in members:
                        run(a, b)
                elapsed = time.perf_counter() - start
                total_bytes += pass_bytes * reps
                total_seconds += elapsed
                rates.append(pass_bytes * reps / 1e6 / elapsed)
            median = statistics.median(rates)
            print(f"{name:8}  {size_class:6}  {len(members):5}  {reps:15}  {args.rounds:6}  {median:11.2f}"
                  f"  ({min(rates):.2f}–{max(rates):.2f})", flush=True)
            lines.append(f"{name}\t{size_class}\t{median}\t{reps * args.rounds}\t{len(members)}")
        overall = total_bytes / 1e6 / total_seconds
        complete = all(not line.startswith(f"{name}\t") or "\t<" not in line for line in lines)
        note = "" if complete else ", size classes that timed out excluded"
        print(f"{name:8}  overall: {overall:.2f} MB/s (all measured bytes / all measured time{note})", flush=True)
        lines.append(f"{name}\toverall\t{overall if complete else '<' + str(overall)}\t0\t{len(pairs)}")

    if args.results:
        with open(args.results, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
