#!/usr/bin/env bash
# Builds and tests a Rust crate written by `banyan contract gen --lang rust`, offline, from the
# crates Debian packages in /usr/share/cargo/registry (scripts/setup.sh installs them).
#   scripts/build-contract-rust.sh DIR          cargo test (the golden test) in DIR
#   scripts/build-contract-rust.sh DIR build    cargo build only
# Extra arguments after the command go to cargo (e.g. -- --nocapture).
set -euo pipefail
dir="${1:?usage: build-contract-rust.sh DIR [test|build] [cargo args...]}"
command="${2:-test}"
shift $(( $# >= 2 ? 2 : 1 ))
registry=/usr/share/cargo/registry
ls -d "$registry"/serde_json-1.* >/dev/null 2>&1 || {
    echo "no serde_json crate in $registry: run scripts/setup.sh" >&2
    exit 1
}
# Warnings in the generated code fail the build (cargo caps the dependencies' lints).
export RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
cargo "$command" --offline --manifest-path "$dir/Cargo.toml" \
    --config 'source.crates-io.replace-with="debian"' --config "source.debian.directory=\"$registry\"" "$@"
