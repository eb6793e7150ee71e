#!/usr/bin/env bash
# Backfill workers under fire, at scale: two `banyan data backfill --workers 1` processes copy a
# 1,000,000-row table (PostgreSQL → PostgreSQL) in ranges of 5,000 rows while one of them, picked at
# random, is killed with SIGKILL every 0.2–0.9 s and started again, until every range is done or
# K kills were made (the kills that landed while ranges remained are counted). Afterwards: every range done
# and committed exactly once, every row written exactly once (a trigger logs each row write in the
# writing transaction), and `banyan data reconcile` clean. The test suite runs the same at 20,000
# rows (BackfillWorkersTests).
#
#   Benchmarks/data-workers-kill.sh [--rows N] [--kills K]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rows=1000000
kills=20
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) rows="$2"; shift ;;
        --kills) kills="$2"; shift ;;
        *) echo "usage: $0 [--rows N] [--kills K]" >&2; exit 2 ;;
    esac
    shift
done
source scripts/setup.sh >/dev/null
if [ -z "${BANYAN_BIN:-}" ]; then
    swift build -c release --product banyan 2>&1 | grep -E "error|Build complete" || true
    BANYAN_BIN="$root/.build/release/banyan"
fi
source scripts/postgres-cluster.sh
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; stop_postgres_cluster; }
trap cleanup EXIT
start_postgres_cluster -c max_wal_size=4GB -c shared_buffers=512MB
psql_() { psql -q -X -v ON_ERROR_STOP=1 "$pg/$1" -c "$2"; }
psql_ postgres "CREATE DATABASE kill_source"
psql_ postgres "CREATE DATABASE kill_target"
schema="CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL, email text NOT NULL,
  status text NOT NULL, amount double precision NOT NULL, note text, created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL)"
psql_ kill_source "$schema"
psql_ kill_target "$schema"
psql_ kill_source "INSERT INTO events SELECT g, (g * 7919) % 50000, 'user' || g || '@example.com',
    (ARRAY['paid','shipped','pending','refunded'])[g % 4 + 1], ((g * 31) % 100000) / 100.0,
    CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, 1700000000000 + g * 997, 1700000000000 + g * 998
    FROM generate_series(1::bigint, $rows) g"
psql_ kill_target "CREATE TABLE write_log (id bigint NOT NULL)"
psql_ kill_target "CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN INSERT INTO write_log VALUES (NEW.id); RETURN NEW; END \$\$"
psql_ kill_target "CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION log_write()"

start_worker() {
    "$BANYAN_BIN" data backfill --from "$pg/kill_source" --to "$pg/kill_target" --table events --workers 1 \
        --chunk-size 5000 --format json --no-progress >/dev/null 2>&1 &
    pids[$1]=$!
}
done_ranges() { # "done of all"
    psql -tA -X -F ' of ' "$pg/kill_target" \
        -c "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FROM banyan_backfill_ranges" 2>/dev/null ||
        echo "0 of 0"
}
start_worker 0
start_worker 1
started=$(date +%s.%N)
made=0
for ((k = 1; k <= kills; k++)); do
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 0.9), 2))')"
    read -r done_now _ all_now <<<"$(done_ranges)"
    [ "$all_now" -gt 0 ] && [ "$done_now" -ge "$all_now" ] && break
    victim=$((RANDOM % 2))
    kill -9 "${pids[$victim]}" 2>/dev/null || true
    wait "${pids[$victim]}" 2>/dev/null || true
    made=$k
    echo "kill $k: worker $victim, $(done_ranges) ranges done"
    start_worker "$victim"
done
for pid in "${pids[@]}"; do wait "$pid" || { echo "a worker failed" >&2; exit 1; }; done
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
echo
echo "ranges (count, done, rows, min writes, max writes):"
psql -tA -X "$pg/kill_target" -c "SELECT count(*), count(*) FILTER (WHERE state = 'done'), sum(rows), min(writes),
    max(writes) FROM banyan_backfill_ranges"
echo "row writes (total, distinct ids, ids written more than once):"
psql -tA -X "$pg/kill_target" -c "SELECT count(*), count(DISTINCT id),
    (SELECT count(*) FROM (SELECT id FROM write_log GROUP BY id HAVING count(*) > 1) twice) FROM write_log"
"$BANYAN_BIN" data reconcile --legacy "$pg/kill_source" --new "$pg/kill_target" --table events --no-record \
    --no-progress | tail -1
echo "conditions: $rows rows, $made kills while ranges remained, over ${took}s, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
