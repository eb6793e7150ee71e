#!/usr/bin/env bash
# Contract inference at scale: Banyan's inference (ContractInferBench, release build: the library
# calls of `banyan contract infer`) against GenSON (Python JSON Schema inference, the anchor) on
# the same ~100 MB of recorded shop-legacy exchanges, in interleaved rounds, with wall time and peak RSS of each. A 20 MB run shows that memory is
# bounded by the contract, not by the recording.
#
#   Benchmarks/contract-infer.sh [--rounds N] [--megabytes M]
#
# The recording (5000 seeded exchanges, Examples/contract-traffic/record.sh) is copied until the
# corpus reaches M megabytes (default 100). Needs `swift build -c release --product
# ContractInferBench`, a debug `banyan` for the recording, node with Debian's Express, and GenSON
# (pip install genson==1.4.0).
set -euo pipefail
rounds=3
megabytes=100
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --megabytes) megabytes="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "contract-infer.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
infer="$root/.build/release/ContractInferBench"
[ -x "$infer" ] || { echo "no release build at $infer: swift build -c release --product ContractInferBench" >&2; exit 2; }
python3 -c 'import genson' 2>/dev/null || { echo "GenSON is missing: pip install genson==1.4.0" >&2; exit 2; }
work="$root/.build/bench-contract"
recording="$work/recording"
corpus="$work/corpus-${megabytes}mb"
small="$work/corpus-20mb"
mkdir -p "$work"
[ -d "$recording" ] || "$root/Examples/contract-traffic/record.sh" "$recording" 5000 17

fixture_bytes() { find "$1" -name '*.fixture' -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
fill() { # fill FOLDER MEGABYTES: copies of the recording until its fixture files hold that much
    local folder="$1" target=$(( $2 * 1024 * 1024 )) copy=0
    [ -d "$folder" ] && return
    mkdir -p "$folder"
    while [ "$(fixture_bytes "$folder")" -lt "$target" ]; do
        copy=$((copy + 1))
        cp -r "$recording" "$folder/copy-$copy"
    done
}
fill "$corpus" "$megabytes"
fill "$small" 20
files=$(find "$corpus" -name '*.fixture' | wc -l)
bytes=$(fixture_bytes "$corpus")
echo "== corpus: $files fixtures, $((bytes / 1024 / 1024)) MB of fixture files; load average $(cut -d' ' -f1-3 /proc/loadavg)"

measure() { # measure LABEL COMMAND...: prints "seconds peak-KB"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "${@:2}" >/dev/null
    cat "$work/time.txt"
}
banyan_times=()
genson_times=()
for round in $(seq 1 "$rounds"); do
    read -r b_s b_kb < <(measure banyan "$infer" "$corpus" --out "$work/contract.json")
    read -r g_s g_kb < <(measure genson python3 "$root/Benchmarks/contract-infer/genson_infer.py" "$corpus")
    echo "round $round: banyan ${b_s} s, ${b_kb} KB peak; genson ${g_s} s, ${g_kb} KB peak"
    banyan_times+=("$b_s")
    genson_times+=("$g_s")
done
read -r s_s s_kb < <(measure banyan "$infer" "$small" --out "$work/contract-20mb.json")
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
bm=$(median "${banyan_times[@]}")
gm=$(median "${genson_times[@]}")
echo "== median of $rounds: banyan ${bm} s ($(awk -v b="$bytes" -v s="$bm" 'BEGIN {printf "%.1f", b / 1048576 / s}') MB/s), genson ${gm} s; genson/banyan time ratio $(awk -v a="$gm" -v b="$bm" 'BEGIN {printf "%.2f", a / b}')"
echo "== bounded memory: banyan peak RSS ${s_kb} KB on 20 MB, ${b_kb} KB on ${megabytes} MB (last round)"
