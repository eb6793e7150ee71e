#!/usr/bin/env bash
# Diff engine throughput: Banyan's DiffEngine.compare against Python's deepdiff and jsondiff on the
# same generated corpus, in the same run. Run from anywhere; needs swift, python3 (with venv) and
# access to PyPI the first time (deepdiff and jsondiff are installed into .build/bench-venv).
#
#   Benchmarks/diff-throughput.sh [--seconds S] [--rounds N] [--timeout S] [--seed N] [--baseline REF]
#
#   --seconds  measured time per size class and tool (default 3)
#   --rounds   rounds per size class; the median round is reported (default 5)
#   --timeout  longest single anchor comparison before it is stopped (default 30)
#   --seed     corpus seed (default 20240601)
#   --baseline an A/B run instead of the anchors: builds DiffThroughput from git REF (a worktree under
#              /tmp) and runs it and this tree's build alternately, one round each, --rounds times;
#              prints both medians per size class and the ratio
set -euo pipefail

seconds=3
rounds=5
timeout=30
seed=20240601
baseline=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "diff-throughput.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/Benchmarks/diff-throughput"
build="$root/.build"
corpus="$build/bench-corpus"
venv="$build/bench-venv"
results="$build/bench-results"
cd "$root"
mkdir -p "$build" "$results"

if [ -n "$baseline" ]; then
    commit="$(git -C "$root" rev-parse --verify "$baseline^{commit}")"
    tree="/tmp/banyan-diff-ab-${commit:0:12}"
    echo "== baseline $baseline ($commit) in $tree"
    [ -d "$tree" ] || git -C "$root" worktree add --detach "$tree" "$commit" >/dev/null
    echo "== corpus"
    rm -rf "$corpus"
    python3 "$bench/generate.py" "$corpus" --seed "$seed"
    echo "== build (release): baseline, then this tree"
    swift build -c release --package-path "$tree" --scratch-path "$tree/.build" --product DiffThroughput 2>&1 | tail -n 1
    swift build -c release --product DiffThroughput 2>&1 | tail -n 1
    base_binary="$(swift build -c release --package-path "$tree" --scratch-path "$tree/.build" --show-bin-path)/DiffThroughput"
    binary="$(swift build -c release --show-bin-path)/DiffThroughput"
    rm -f "$results"/ab-*.tsv
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    per_round="$(python3 -c "print($seconds / $rounds)")"
    for round in $(seq 1 "$rounds"); do
        # Alternate which build goes first, so that a change in load hits both alike.
        if [ $((round % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
        for side in $order; do
            if [ "$side" = base ]; then run="$base_binary"; else run="$binary"; fi
            "$run" "$corpus" --seconds "$per_round" --rounds 1 --results "$results/ab-$side-$round.tsv" >/dev/null
        done
        echo "round $round/$rounds done (load $(cut -d' ' -f1 /proc/loadavg))"
    done
    load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "== A/B: median of $rounds alternating rounds (MB/s)"
    python3 - "$results" "$rounds" <<'PY'
import statistics, sys
results, rounds = sys.argv[1], int(sys.argv[2])
rates = {}
for side in ("base", "new"):
    for round in range(1, rounds + 1):
        with open(f"{results}/ab-{side}-{round}.tsv", encoding="utf-8") as handle:
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                rates.setdefault((side, fields[1]), []).append(float(fields[2]))
classes = [c for (s, c) in rates if s == "base"]
print(f"{'size class':10}  {'baseline':>9}  {'this tree':>9}  {'ratio':>6}  per-round ratios")
for size_class in classes:
    base, new = rates[("base", size_class)], rates[("new", size_class)]
    ratios = " ".join(f"{n / b:.2f}" for b, n in zip(base, new))
    print(f"{size_class:10}  {statistics.median(base):9.1f}  {statistics.median(new):9.1f}"
          f"  {statistics.median(new) / statistics.median(base):6.3f}  {ratios}")
PY
    echo
    echo "== conditions"
    echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "load avg:   $load_before before, $load_after after (1, 5, 15 min)"
    echo "build:      swift build -c release ($(swift --version 2>&1 | head -n 1)); baseline $commit, this tree $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' with uncommitted changes')"
    echo "repetition: $rounds rounds per build, alternating, each about $per_round s per size class"
    exit 0
fi

echo "== anchors: deepdiff 9.1.0, jsondiff 2.2.1 into $venv"
if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv" >/dev/null 2>&1; then
    # No venv module (Debian without python3-venv): install for this user instead.
    rm -rf "$venv"
    python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages \
        deepdiff==9.1.0 jsondiff==2.2.1 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --user deepdiff==9.1.0 jsondiff==2.2.1
    anchor_python=python3
else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check deepdiff==9.1.0 jsondiff==2.2.1
    anchor_python="$venv/bin/python"
fi

echo "== corpus"
rm -rf "$corpus"
python3 "$bench/generate.py" "$corpus" --seed "$seed"

echo "== build (release)"
swift build -c release --product DiffThroughput 2>&1 | tail -n 1
binary="$(swift build -c release --show-bin-path)/DiffThroughput"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== Banyan"
"$binary" "$corpus" --seconds "$seconds" --rounds "$rounds" --results "$results/banyan.tsv"
echo
echo "== anchors"
"$anchor_python" "$bench/anchors.py" "$corpus" --seconds "$seconds" --rounds "$rounds" --timeout "$timeout" \
    --results "$results/anchors.tsv"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== results"
python3 "$bench/report.py" "$results/banyan.tsv" "$results/anchors.tsv"
echo
echo "== conditions"
echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "cores:      $(nproc) available ($(grep -c ^processor /proc/cpuinfo) logical in /proc/cpuinfo); Banyan and the anchors run single-threaded"
echo "load avg:   $load_before before, $load_after after (1, 5, 15 min; other work on the machine skews every figure)"
echo "build:      swift build -c release ($(swift --version 2>&1 | head -n 1))"
echo "anchors:    $("$anchor_python" --version), deepdiff 9.1.0, jsondiff 2.2.1; json.loads of both bodies included"
echo "corpus:     $(grep -c '"id"' "$corpus/manifest.json") pairs, seed $seed, in $corpus"
echo "repetition: $rounds rounds per size class and tool, each about $seconds/$rounds s (at least one comparison per pair);" \
    "median round reported; anchor comparisons stopped after $timeout s"
