#!/usr/bin/env bash
# The data steps of the migration, on the example service with real stores:
#   1. shop-legacy keeps users and orders in PostgreSQL (legacy schema); historical rows exist;
#   2. dual-write on: shop-legacy also writes the rewrite's schema, best-effort;
#   3. reconcile before the backfill: old rows are missing, the gate refuses NewPrimary;
#   4. backfill users and orders (resumable, newer wins), reconcile: clean, the gate opens.
# Everything runs on a throwaway PostgreSQL cluster and free loopback ports, stopped at the end.
#   scripts/demo-data.sh [--banyan PATH]     (default: builds and uses .build/debug/banyan)
# `banyan demo` can run this script as its data chapter; see docs/data.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/postgres-cluster.sh

banyan=""
[ "${1:-}" = "--banyan" ] && banyan="$2"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$pg#\$PG#g"; "$@"; }

if [ -z "$banyan" ]; then
    say "building banyan"
    swift build --product banyan 2>&1 | grep -E "error|warning: |Build complete" || true
    banyan=.build/debug/banyan
fi
work=.banyan/demo-data
rm -rf "$work" && mkdir -p "$work"
state="sqlite:$work/state.sqlite"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_postgres_cluster
}
trap cleanup EXIT

say "a throwaway PostgreSQL cluster with the legacy database and the rewrite's database"
start_postgres_cluster
psql -q -X "$pg/postgres" -c "CREATE DATABASE shop_legacy" -c "CREATE DATABASE shop_new"
psql -q -X "$pg/shop_new" -f Examples/shop-legacy/new-schema.postgres.sql
echo "PG=$pg"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_legacy() {
    legacy_port=$(free_port)
    env "$@" NODE_ENV=production PORT=$legacy_port HOST=127.0.0.1 node Examples/shop-legacy/server.js \
        >>"$work/legacy.log" 2>&1 &
    legacy_pid=$!
    pids+=($legacy_pid)
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$legacy_port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "shop-legacy did not start; see $work/legacy.log" >&2
    exit 2
}
post_user() {
    curl -s -o /dev/null -w "POST /users %{http_code}\n" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$1\",\"email\":\"$2\"}" "http://127.0.0.1:$legacy_port/users"
}

say "LegacyOnly: shop-legacy on PostgreSQL (DATABASE_URL), seeded, with history written before dual-write"
start_legacy DATABASE_URL="$pg/shop_legacy"
post_user "Ada Lovelace" "ada.lovelace@x.io"
post_user "Alan Turing" "alan.turing@x.io"
post_user "Grace Hopper" "grace.hopper@x.io"
run "$banyan" data phase users --state "$state"

say "DualWrite: restart shop-legacy with NEW_DATABASE_URL; writes go to legacy first, then the new store"
run "$banyan" data phase users --to DualWrite --reason "dual-write deployed" --state "$state"
kill "$legacy_pid"; wait "$legacy_pid" 2>/dev/null || true
start_legacy DATABASE_URL="$pg/shop_legacy" NEW_DATABASE_URL="$pg/shop_new"
post_user "Barbara Liskov" "barbara.liskov@x.io"
post_user "Edsger Dijkstra" "edsger.dijkstra@x.io"
curl -s -o /dev/null -w "DELETE /users/2 %{http_code}\n" -X DELETE "http://127.0.0.1:$legacy_port/users/2"
psql -X -q "$pg/shop_new" -c "SELECT id, first_name, last_name, email_address FROM customers ORDER BY id"

say "reconcile before the backfill: the rows written before dual-write are missing, the gate refuses"
run "$banyan" data reconcile --legacy "$pg/shop_legacy" --new "$pg/shop_new" --map Examples/data/users.yaml \
    --state "$state" --export-ids "$work/users-missing.txt" || true
run "$banyan" data phase users --to Backfilling --reason "backfill started" --state "$state"
run "$banyan" data phase users --to NewPrimary --state "$state" || true

say "backfill users and orders (keyset chunks, checkpoint per chunk, newer wins)"
run "$banyan" data backfill --from "$pg/shop_legacy" --to "$pg/shop_new" --map Examples/data/users.yaml --chunk-size 5
run "$banyan" data backfill --from "$pg/shop_legacy" --to "$pg/shop_new" --map Examples/data/orders.yaml

say "reconcile after the backfill, then the gate"
run "$banyan" data reconcile --legacy "$pg/shop_legacy" --new "$pg/shop_new" --map Examples/data/users.yaml \
    --state "$state"
run "$banyan" data reconcile --legacy "$pg/shop_legacy" --new "$pg/shop_new" --map Examples/data/orders.yaml \
    --state "$state" --no-record
run "$banyan" data phase users --to NewPrimary --reason "reconcile clean" --state "$state"
