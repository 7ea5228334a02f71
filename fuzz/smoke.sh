#!/usr/bin/env bash
# CI smoke pass: builds the fuzz crate and runs every target for a few seconds.
#   fuzz/smoke.sh [SECONDS_PER_TARGET]   (default 5)
# Installs cargo-fuzz if missing. Needs the nightly toolchain. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")"
PER=${1:-5}
start=$(date +%s)
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo +nightly fuzz build
built=$(date +%s)
echo "build: $((built - start)) s"
# A fixed seed: CI explores the same inputs every time (longer random runs: ./run.sh).
FUZZ_SEED=${FUZZ_SEED:-1} ./run.sh "$PER"
echo "smoke total: $(( $(date +%s) - start )) s"
