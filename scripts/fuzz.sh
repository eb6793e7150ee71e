#!/usr/bin/env bash
# Fuzzes Banyan's HTTP/1 parsers against llhttp (FuzzTesting/, docs/proxy.md "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS]   build, replay Corpus/ and FailCases/, then fuzz for SECONDS (60)
#   scripts/fuzz.sh --replay    build and replay Corpus/ and FailCases/ only (what CI runs)
#
# Builds with the toolchain's libFuzzer and AddressSanitizer (debug, nice'd); installs nothing. Exits
# nonzero on a finding: a crash, a hang, too much memory, or a framing disagreement with llhttp.
# A new finding's input is saved under FuzzTesting/.build/fuzz-artifacts/; once it is understood,
# move it to FuzzTesting/FailCases/ (with a regression test, or an entry in the harness's lists).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/FuzzTesting"
mode=run
seconds=60
case "${1:-}" in
    --replay) mode=replay ;;
    "") ;;
    *[!0-9]*) echo "usage: $0 [SECONDS | --replay]" >&2; exit 2 ;;
    *) seconds=$1 ;;
esac

cd "$fuzz"
started=$(date +%s)
# The main package's Package.resolved pins the versions its own build uses (swift-nio above all,
# whose llhttp is the second opinion). Dependencies resolve as the main package's do: from SwiftPM's
# shared repository cache (~/.swiftpm/cache) when there is no network.
if [ -f "$root/Package.resolved" ] && ! cmp -s "$root/Package.resolved" Package.resolved; then
    cp "$root/Package.resolved" .
fi
set +e
nice -n 19 swift build -c debug --product FuzzHTTP1 \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 \
    | grep -v -e 'Cannot export local symbol' -e '^\['
built=${PIPESTATUS[0]}
set -e
binary="$fuzz/.build/debug/FuzzHTTP1"
[ "$built" = 0 ] && [ -x "$binary" ] || { echo "fuzz.sh: the build failed" >&2; exit 1; }
echo "fuzz.sh: built in $(($(date +%s) - started)) s"

# Swift's backtracer would hold a crashing run open for its own report; ASan's leak check reports
# NIO's process-wide singletons.
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0

replay() {
    local failed=0 file out
    for file in "$@"; do
        [ -f "$file" ] || continue
        if ! out=$(nice -n 19 timeout --foreground 60 "$binary" -timeout=10 "$file" 2>&1 </dev/null) || grep -q '^FINDING' <<<"$out"; then
            echo "fuzz.sh: $file:" >&2
            grep -A1 -e '^FINDING' -e 'ERROR:' -e 'SUMMARY:' <<<"$out" >&2 || tail -5 <<<"$out" >&2
            failed=1
        elif grep -q '^OPEN FINDING' <<<"$out"; then
            echo "fuzz.sh: $(basename "$file"): $(grep -m1 '^OPEN FINDING' <<<"$out")"
        fi
    done
    return $failed
}

replay_started=$(date +%s)
status=0
replay Corpus/* FailCases/* || status=1
echo "fuzz.sh: replayed $(ls Corpus FailCases | grep -cv -e '^$' -e ':$') inputs in $(($(date +%s) - replay_started)) s"
[ "$mode" = replay ] && exit $status
[ $status = 0 ] || exit $status

work="$fuzz/.build/fuzz-corpus"
artifacts="$fuzz/.build/fuzz-artifacts"
mkdir -p "$work" "$artifacts"
set +e
nice -n 19 "$binary" "$work" Corpus -dict=http.dict -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/" 2>&1 </dev/null \
    | awk '/^OPEN FINDING/ { skip = 1; next } skip { skip = 0; next } { print }'
exit "${PIPESTATUS[0]}"
