#!/usr/bin/env python3
"""Joins the results of DiffThroughput and anchors.py into one table.

Usage: report.py BANYAN_TSV ANCHORS_TSV
Each line of the inputs: tool, size class, MB/s (prefixed `<` when it is an upper bound), repetitions
per pair, pairs[, parse-only MB/s].
"""

import sys

TARGET_MBPS = 100.0
TARGET_RATIO = 10.0


def load(path):
    rows = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 5:
                rows[(fields[0], fields[1])] = fields
    return rows


def value(text):
    """(MB/s, is an upper bound)"""
    return (float(text[1:]), True) if text.startswith("<") else (float(text), False)


def shown(text):
    number, bound = value(text)
    return ("<" if bound else "") + f"{number:.2f}"


def main():
    banyan = load(sys.argv[1])
    anchors = load(sys.argv[2])
    classes = [size_class for (tool, size_class) in banyan if tool == "banyan"]
    header = (f"{'size class':10}  {'pairs':>5}  {'Banyan MB/s':>11}  {'deepdiff MB/s':>13}  {'jsondiff MB/s':>13}"
              f"  {'× fastest anchor':>16}  {'reps (B/dd/jd)':>14}  target")
    print(header)
    print("-" * len(header))
    met_everywhere = True
    for size_class in classes:
        row = banyan[("banyan", size_class)]
        speed = float(row[2])
        deep = anchors.get(("deepdiff", size_class))
        jdiff = anchors.get(("jsondiff", size_class))
        found = [value(r[2]) for r in (deep, jdiff) if r]
        # The fastest anchor, conservatively: an upper bound counts as if the tool reached it.
        fastest, _ = max(found) if found else (float("nan"), False)
        exact = bool(found) and not max(found)[1]
        ratio = speed / fastest if found else float("nan")
        ratio_text = ("" if exact else "≥") + f"{ratio:.1f}×"
        met = speed >= TARGET_MBPS and ratio > TARGET_RATIO
        met_everywhere &= met
        reps = "/".join(r[3] if r and r[3] != "0" else "-" for r in (row, deep, jdiff))
        print(f"{size_class:10}  {row[4]:>5}  {speed:11.1f}  {shown(deep[2]) if deep else '-':>13}"
              f"  {shown(jdiff[2]) if jdiff else '-':>13}  {ratio_text:>16}  {reps:>14}  {'met' if met else 'MISSED'}")
    print()
    print(f"target: at least {TARGET_MBPS:g} MB/s and more than {TARGET_RATIO:g}× the fastest anchor, in every size class: "
          + ("met" if met_everywhere else "missed"))
    print("MB/s = (legacy bytes + candidate bytes) / second, 1 MB = 10^6 bytes; '<' marks an upper bound "
          "(a comparison stopped at the timeout); 'overall' = all measured bytes / all measured time.")


if __name__ == "__main__":
    main()
