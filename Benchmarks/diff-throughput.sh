#!/usr/bin/env bash
# Diff engine throughput: Banyan's DiffEngine.compare against Python's deepdiff and jsondiff on the
# same generated corpus, in the same run. Run from anywhere; needs swift, python3 (with venv) and
# access to PyPI the first time (deepdiff and jsondiff are installed into .build/bench-venv).
#
#   Benchmarks/diff-throughput.sh [--seconds S] [--rounds N] [--timeout S] [--seed N]
#
#   --seconds  measured time per size class and tool (default 3)
#   --rounds   rounds per size class; the median round is reported (default 5)
#   --timeout  longest single anchor comparison before it is stopped (default 30)
#   --seed     corpus seed (default 20240601)
set -euo pipefail

seconds=3
rounds=5
timeout=30
seed=20240601
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --timeout) timeout="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
