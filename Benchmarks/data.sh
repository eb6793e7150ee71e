#!/usr/bin/env bash
# Data benchmark: on the same generated tables,
#   backfill SQLite → PostgreSQL: `banyan data backfill` (one checkpointed process, then the
#     shared-range mode with 1 and 2 workers) against pgloader;
#   reconcile PostgreSQL ↔ PostgreSQL: `banyan data reconcile` against reladiff (PyPI);
#   repair of the planted differences: `banyan data reconcile --repair --delete-extra`, then a
#     check that a second reconcile is clean,
# one run each, printing rows/s, the ratios, and whether both tools found the same differences.
#
#   Benchmarks/data.sh              1,000,000 rows
#   Benchmarks/data.sh --10m        10,000,000 rows
#   Benchmarks/data.sh --rows N     N rows
#
# Needs root (or the postgres user) for a throwaway PostgreSQL cluster; installs pgloader (Debian)
# and reladiff (PyPI, in a virtual environment under .build-bench-data/) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rows=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --10m) rows=10000000 ;;
        --rows) rows="$2"; shift ;;
        *) echo "usage: $0 [--10m | --rows N]" >&2; exit 2 ;;
    esac
    shift
done
source scripts/setup.sh >/dev/null
work="$root/.build-bench-data"
mkdir -p "$work"

if ! command -v pgloader >/dev/null 2>&1; then
    echo "installing pgloader"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgloader >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgloader >/dev/null; }
fi
if [ ! -x "$work/venv/bin/reladiff" ]; then
    echo "installing reladiff"
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q reladiff psycopg2-binary
fi

if [ -z "${BANYAN_BIN:-}" ]; then
    echo "building banyan (release)"
    swift build -c release --product banyan 2>&1 | grep -E "error|warning: |Compiling banyan|Build complete" || true
    BANYAN_BIN="$root/.build/release/banyan"
fi

# A throwaway PostgreSQL cluster on a free port, stopped on exit. Production-like durability
# (fsync on) but a larger WAL and shared buffers, as one would tune for a bulk load.
source scripts/postgres-cluster.sh
trap stop_postgres_cluster EXIT
start_postgres_cluster -c max_wal_size=4GB -c shared_buffers=512MB
port=$pg_port

psql_() { psql -q -X -v ON_ERROR_STOP=1 "$pg/$1" -c "$2"; }
for db in via_banyan via_workers1 via_workers2 via_pgloader legacy_side new_side; do
    psql_ postgres "CREATE DATABASE $db"
done

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[2]) / float(sys.argv[1]):.2f}')" "$1" "$2"; }

echo "generating $rows rows (SQLite)"
python3 Benchmarks/data/generate.py "$work/source.sqlite" "$rows"
schema="CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL, email text NOT NULL,
  status text NOT NULL, amount double precision NOT NULL, note text, created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL)"

echo
echo "== backfill SQLite → PostgreSQL, $rows rows"
psql_ via_banyan "$schema"
start=$(now)
"$BANYAN_BIN" data backfill --from "sqlite:$work/source.sqlite" --to "$pg/via_banyan" --table events \
    --format json --no-progress >"$work/backfill.json"
banyan_backfill=$(seconds "$start" "$(now)")
cat >"$work/load.pgloader" <<LOAD
LOAD DATABASE
     FROM sqlite://$work/source.sqlite
     INTO $pg/via_pgloader
WITH include drop, create tables, create indexes, reset sequences
CAST type integer to bigint drop typemod;
LOAD
start=$(now)
pgloader --quiet "$work/load.pgloader" >"$work/pgloader.log" 2>&1 || { cat "$work/pgloader.log"; exit 1; }
pgloader_backfill=$(seconds "$start" "$(now)")
for db in via_banyan via_pgloader; do
    loaded=$(psql -tA -X "$pg/$db" -c 'SELECT count(*) FROM events')
    printf '  %-13s %s rows, %s\n' "$db" "$loaded" \
        "$(psql -tA -X "$pg/$db" -c "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_name = 'events'")"
    [ "$loaded" = "$rows" ] || { echo "$db loaded $loaded rows, not $rows; see $work/pgloader.log" >&2; exit 1; }
done
printf '  banyan    %8ss  %10s rows/s  (resumable: chunk + checkpoint per transaction, into the indexed table)\n' \
    "$banyan_backfill" "$(rate "$rows" "$banyan_backfill")"
printf '  pgloader  %8ss  %10s rows/s  (one-shot: COPY into a fresh table, indexes built afterwards)\n' \
    "$pgloader_backfill" "$(rate "$rows" "$pgloader_backfill")"
printf '  banyan ÷ pgloader (rows/s): %s\n' "$(ratio "$banyan_backfill" "$pgloader_backfill")"
for n in 1 2; do
    psql_ via_workers$n "$schema"
    start=$(now)
    "$BANYAN_BIN" data backfill --from "sqlite:$work/source.sqlite" --to "$pg/via_workers$n" --table events \
        --workers $n --format json --no-progress >"$work/backfill-workers$n.json"
    took=$(seconds "$start" "$(now)")
    loaded=$(psql -tA -X "$pg/via_workers$n" -c 'SELECT count(*) FROM events')
    [ "$loaded" = "$rows" ] || { echo "--workers $n loaded $loaded rows, not $rows" >&2; exit 1; }
    printf '  banyan --workers %s  %8ss  %10s rows/s  (shared ranges of 10,000 rows, FOR UPDATE SKIP LOCKED)  ÷ pgloader: %s\n' \
        "$n" "$took" "$(rate "$rows" "$took")" "$(ratio "$took" "$pgloader_backfill")"
done

echo
echo "== reconcile PostgreSQL ↔ PostgreSQL, $rows rows, planted differences"
for db in legacy_side new_side; do
    psql_ $db "$schema"
    psql_ $db "INSERT INTO events SELECT g, (g * 7919) % 50000, 'user' || g || '@example.com',
        (ARRAY['paid','shipped','pending','refunded'])[g % 4 + 1], ((g * 31) % 100000) / 100.0,
        CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, 1700000000000 + g * 997, 1700000000000 + g * 998
        FROM generate_series(1::bigint, $rows) g"
    psql_ $db "VACUUM ANALYZE events"
done
# 25 missing, 25 extra, 50 changed values, spread over the key range.
psql_ new_side "DELETE FROM events WHERE id IN (SELECT (g * $rows / 26)::bigint FROM generate_series(1, 25) g)"
psql_ new_side "INSERT INTO events SELECT $rows + g * 13, 1, 'extra' || g, 'paid', 1.0, NULL, 1, 1 FROM generate_series(1, 25) g"
psql_ new_side "UPDATE events SET status = 'changed' WHERE id IN (SELECT (g * $rows / 51 + 3)::bigint FROM generate_series(1, 50) g)"
start=$(now)
"$BANYAN_BIN" data reconcile --legacy "$pg/legacy_side" --new "$pg/new_side" --table events --json --no-record \
    --no-progress >"$work/reconcile.json" || true
banyan_reconcile=$(seconds "$start" "$(now)")
columns=(-c account_id -c email -c status -c amount -c note -c created_ms -c updated_ms)
start=$(now)
"$work/venv/bin/reladiff" "postgresql://postgres@127.0.0.1:$port/legacy_side" events \
    "postgresql://postgres@127.0.0.1:$port/new_side" events -k id "${columns[@]}" --json >"$work/reladiff.jsonl"
reladiff_reconcile=$(seconds "$start" "$(now)")
printf '  banyan    %8ss  %10s rows/s  (%s)\n' "$banyan_reconcile" "$(rate "$rows" "$banyan_reconcile")" \
    "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['method'])" "$work/reconcile.json")"
printf '  reladiff  %8ss  %10s rows/s  (hashdiff, default threads)\n' "$reladiff_reconcile" \
    "$(rate "$rows" "$reladiff_reconcile")"
printf '  banyan ÷ reladiff (rows/s): %s\n' "$(ratio "$banyan_reconcile" "$reladiff_reconcile")"
python3 Benchmarks/data/diffsets.py "$work/reconcile.json" "$work/reladiff.jsonl"

echo
echo "== repair the planted differences (reconcile, repair, reconcile again), $rows rows"
start=$(now)
"$BANYAN_BIN" data reconcile --legacy "$pg/legacy_side" --new "$pg/new_side" --table events --repair --delete-extra \
    --json --no-record --no-progress >"$work/repair.json"
banyan_repair=$(seconds "$start" "$(now)")
python3 - "$work/repair.json" "$banyan_repair" "$banyan_reconcile" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
repair, after = report["repair"], report["after"]
print(f"  banyan --repair  {float(sys.argv[2]):8.3f}s  inserted {repair['inserted']}, updated {repair['updated']}, "
      f"deleted {repair['deleted']} in {repair['seconds']:.3f}s; second reconcile clean: {after['clean']}")
print(f"  whole command ÷ one reconcile (time): {float(sys.argv[2]) / float(sys.argv[3]):.2f}")
if not after["clean"]:
    sys.exit("the second reconcile is not clean")
PY

echo
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), \
pgloader $(pgloader --version 2>/dev/null >"$work/pgloader.version"; awk 'NR==1 {print $3}' "$work/pgloader.version"), reladiff $("$work/venv/bin/reladiff" --version 2>&1 | awk '{print $NF}'), \
$(swift --version 2>&1 | head -1 | sed 's/ (.*//')"
