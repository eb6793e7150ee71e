#!/usr/bin/env bash
# Hold-out test of contract inference: infer from the first 80% of a recording, generate Rust and
# Swift types, and replay the remaining 20% through their golden tests. Every body that does not
# come back byte for byte is listed with its JSON path, and `banyan contract check` names the
# schema decision the held-out traffic contradicts.
#   Examples/contract-traffic/holdout.sh WORK_DIR [COUNT] [SEED]
# WORK_DIR/fixtures is recorded with record.sh when it does not exist yet. BANYAN as in record.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:?usage: holdout.sh WORK_DIR [COUNT] [SEED]}"
count="${2:-5000}"
seed="${3:-17}"
banyan="${BANYAN:-$root/.build/debug/banyan}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
fixtures="$work/fixtures"
[ -d "$fixtures" ] || BANYAN="$banyan" "$root/Examples/contract-traffic/record.sh" "$fixtures" "$count" "$seed"

"$banyan" contract infer "$fixtures" --head 80 --out "$work/contract.json"

# Bodies whose route or status the 80% never showed have no type: they count as failures.
unmatched() { grep -c '^no type for' "$1" || true; }

"$banyan" contract gen --lang rust "$work/contract.json" --out "$work/rust" --fixtures "$fixtures" --tail 20 \
    | tee "$work/rust-gen.log"
"$root/scripts/build-contract-rust.sh" "$work/rust" test -- --nocapture --test-threads 1 >"$work/rust-test.log" 2>&1 || true
"$banyan" contract gen --lang swift "$work/contract.json" --out "$work/swift" --fixtures "$fixtures" --tail 20 \
    | tee "$work/swift-gen.log"
swift test --package-path "$work/swift" >"$work/swift-test.log" 2>&1 || true

report() {
    local lang="$1" log="$2" gen="$3"
    awk -v lang="$lang" -v missing="$(unmatched "$gen")" '
        # cargo prints `test name ... GOLDEN <type> <passed> <total>`; swift test the bare line.
        / GOLDEN |^GOLDEN / { for (i = 1; i < NF; i++) if ($i == "GOLDEN") { passed += $(i + 2); total += $(i + 3) } }
        /^FAILURE / { print "  " lang " " substr($0, 9) }
        END {
            total += missing
            if (total == 0) { print lang ": no golden bodies ran (see the test log)"; exit 1 }
            printf "%s: %d of %d held-out bodies byte-identical (%.2f%%), %d without a type\n", lang, passed, total, 100 * passed / total, missing
        }' "$log"
}
echo "== hold-out: contract from the first 80% of $(find "$fixtures" -name '*.fixture' | wc -l) exchanges, bodies from the last 20%"
report rust "$work/rust-test.log" "$work/rust-gen.log"
report swift "$work/swift-test.log" "$work/swift-gen.log"
echo "== decisions the held-out traffic contradicts (banyan contract check)"
"$banyan" contract check "$work/contract.json" "$fixtures" --tail 20 || true
