#!/usr/bin/env bash
# The migration journey on the bundled example, with nothing to configure: installs what is
# missing, builds banyan and the Swift port of the example shop, then runs `banyan demo`, which
# starts the Express shop (Examples/shop-legacy), its Swift port (Examples/ShopPort) and the proxy
# in shadow mode on free ports, sends realistic traffic through it and shows what differs: first
# for the naive port (classic porting mistakes), then for the careful one, then a promotion and a
# rollback; then the data chapter (scripts/demo-data.sh): dual-write, backfill, reconcile and the
# cutover gate on a throwaway PostgreSQL. Extra arguments go to `banyan demo` (for example --port rust).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

printf '\n\033[1m== building banyan and the Swift port (the first build takes a few minutes)\033[0m\n'
swift build --product banyan 2>&1 | grep -E "error:|Build complete" || true
swift build --package-path Examples/ShopPort 2>&1 | grep -E "error:|Build complete" || true

.build/debug/banyan demo "$@"

printf '\n\033[1m== the data chapter: moving the users and orders to the rewrite'"'"'s schema\033[0m\n'
bash scripts/demo-data.sh --banyan .build/debug/banyan
