#!/usr/bin/env bash
# Installs what Banyan's tests and demo need that a fresh machine of this kind lacks.
# Idempotent: a package already present is not installed again. Needs root for apt-get.
set -euo pipefail

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
[ -f /usr/share/nodejs/express/package.json ] || need+=(node-express)
# The bench tests open the HTML report in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v git >/dev/null 2>&1 || need+=(git)   # banyan plan reads contract churn with git log
# The Rust port (Examples/shop-rust) builds offline from the crates Debian packages.
command -v cargo >/dev/null 2>&1 || need+=(cargo)
for crate in hyper tokio serde-json serde-derive serde sha1 base64 httpdate libc; do
    dpkg -s "librust-$crate-dev" >/dev/null 2>&1 || need+=("librust-$crate-dev")
done

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

export NODE_PATH=/usr/share/nodejs
