#!/usr/bin/env bash
# Records real packets from a MariaDB/MySQL server as fuzz seeds under fuzz/corpus/<target>/.
#   fuzz/record_seeds.sh [URL]   (default mysql://root@127.0.0.1:3306/?multi-statements=true)
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:-mysql://root@127.0.0.1:3306/?multi-statements=true}
rm -f fuzz/corpus/*/seed-*
CARGO_TARGET_DIR=fuzz/target/record-seeds \
    cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- "$URL" fuzz/corpus
