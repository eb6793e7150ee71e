#!/usr/bin/env bash
# Installs what Banyan's tests and demo need that a fresh machine of this kind lacks.
# Idempotent: a package already present is not installed again. Needs root for apt-get.
set -euo pipefail

setup_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
[ -f /usr/share/nodejs/express/package.json ] || need+=(node-express)
# The Express example's WebSocket route (GET /live).
[ -f /usr/share/nodejs/ws/package.json ] || need+=(node-ws)
# The bench tests open the HTML report in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v git >/dev/null 2>&1 || need+=(git)
# scripts/swift-test-within.sh prints the threads of a test run that does not end (gdb attaches).
command -v gdb >/dev/null 2>&1 || need+=(gdb)   # banyan plan reads contract churn with git log
# The Rust port (Examples/shop-rust) builds offline from the crates Debian packages.
command -v cargo >/dev/null 2>&1 || need+=(cargo)
# chrono: the millisecond dates of the crates 'banyan contract gen --lang rust' writes.
for crate in hyper tokio serde-json serde-derive serde sha1 base64 httpdate libc chrono; do
    dpkg -s "librust-$crate-dev" >/dev/null 2>&1 || need+=("librust-$crate-dev")
done
# The data, state and proxy tests start a throwaway PostgreSQL cluster (initdb, pg_ctl) as the postgres user.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The contract tests validate recorded bodies against the generated OpenAPI document with python-jsonschema.
python3 -c 'import jsonschema' >/dev/null 2>&1 || python3 -m pip install -q jsonschema >/dev/null 2>&1 \
    || echo "setup: could not install python-jsonschema (pip install jsonschema)" >&2

# PostgreSQL's server binaries are not on the PATH in Debian's layout.
if ! command -v initdb >/dev/null 2>&1; then
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$pg_bin" ] && export PATH="$PATH:$pg_bin"
fi

# The Express example's PostgreSQL mode uses `pg`. Debian's node-pg is pure JavaScript, but the
# installed Node does not satisfy its package dependencies, so it is unpacked (not installed)
# into a git-ignored folder that goes on NODE_PATH.
node_vendor="$setup_root/Examples/shop-legacy/.vendor"
if [ ! -f "$node_vendor/usr/share/nodejs/pg/package.json" ]; then
    echo "setup: unpacking node-pg into Examples/shop-legacy/.vendor"
    download=$(mktemp -d)
    chmod 777 "$download"
    (cd "$download" && { apt-get download node-pg node-split2 node-xtend node-readable-stream >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get download node-pg node-split2 node-xtend node-readable-stream >/dev/null; }; })
    mkdir -p "$node_vendor"
    for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$node_vendor"; done
    rm -rf "$download"
fi

export NODE_PATH="/usr/share/nodejs:$node_vendor/usr/share/nodejs"

# The metrics test parses the proxy's /metrics with the reference Prometheus text-format parser.
if ! python3 -c 'import prometheus_client' >/dev/null 2>&1; then
    echo "setup: installing prometheus_client (PyPI)"
    python3 -m pip install --quiet --break-system-packages prometheus_client >/dev/null 2>&1 ||
        python3 -m pip install --quiet prometheus_client >/dev/null
fi
