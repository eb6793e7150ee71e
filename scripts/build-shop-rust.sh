#!/usr/bin/env bash
# Builds the Rust port of the reference service (Examples/shop-rust) in release mode, offline,
# from the crates Debian packages in /usr/share/cargo/registry (scripts/setup.sh installs them).
#   scripts/build-shop-rust.sh         build target/release/shop-rust
#   scripts/build-shop-rust.sh test    run its unit tests
set -euo pipefail
cd "$(dirname "$0")/.."
registry=/usr/share/cargo/registry
ls -d "$registry"/hyper-0.14.* >/dev/null 2>&1 || {
    echo "no hyper 0.14 crate in $registry: run scripts/setup.sh" >&2
    exit 1
}
# Warnings in the port's own code fail the build (cargo caps the dependencies' lints).
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
cargo "${1:-build}" --release --offline --manifest-path Examples/shop-rust/Cargo.toml \
    --config 'source.crates-io.replace-with="debian"' --config "source.debian.directory=\"$registry\""
