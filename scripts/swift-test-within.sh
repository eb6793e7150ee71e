#!/usr/bin/env bash
# Runs `swift test ARGS...` with a time limit, so that a test that never ends fails the run
# instead of holding it until the CI's own limit.
#   scripts/swift-test-within.sh SECONDS [swift test arguments...]
# Shortly before the limit it prints the test process's thread backtraces (lldb, when it may
# attach) that run through the project's own code; at the limit it stops the whole process group
# and names the tests that started and did not end. Exits with swift test's status, or 124.
set -uo pipefail
limit=$1
shift
log=$(mktemp)
finished=$(mktemp -u)

unfinished() {
    python3 - "$log" <<'EOF'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"◇ Test (?!case )(.+) started\.$", line.rstrip("\n"))
    if m:
        started.append(m.group(1))
        continue
    m = re.search(r"[✔✘➜] Test (?!case )(.+?) (?:with \d+ test cases? )?(?:passed|failed|skipped)", line)
    if m:
        ended.add(m.group(1))
left = [name for name in dict.fromkeys(started) if name not in ended]
print(f"tests that started and did not end ({len(left)}):")
for name in left:
    print(f"  {name}")
EOF
}

backtraces() {
    local pid
    pid=$(pgrep -f 'PackageTests\.xctest' | head -1)
    [ -n "$pid" ] && command -v gdb >/dev/null 2>&1 || return 0
    echo "== threads of the test process $pid that run through the project's code (gdb)"
    timeout 90 gdb -p "$pid" -batch -ex "thread apply all bt" 2>/dev/null | swift demangle --simplified |
        awk -v root="$(pwd)/" '
            function flush() { if (keep) printf "%s", block; block = ""; keep = 0 }
            /^Thread / { flush(); block = $0 "\n"; next }
            /^#/ {
                if (index($0, root "Sources/") || index($0, root "Tests/")) {
                    line = $0; sub(/ \(.*\) at /, " at ", line); gsub(root, "", line)
                    block = block "  " substr(line, 1, 220) "\n"; keep = 1
                }
            }
            END { flush() }' | head -300
}

watch() {
    local waited=0
    while [ ! -e "$finished" ]; do
        sleep 5
        waited=$((waited + 5))
        if [ "$waited" -ge $((limit - 30)) ]; then
            backtraces
            return
        fi
    done
}

watch &
watcher=$!
timeout --kill-after=20 "$limit" swift test "$@" </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
touch "$finished"
wait "$watcher" 2>/dev/null
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo
    echo "swift test $* did not end within $limit s and was stopped."
    unfinished
    status=124
fi
rm -f "$log" "$finished"
exit "$status"
