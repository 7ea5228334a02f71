#!/usr/bin/env bash
# Records real packets from a MariaDB/MySQL server as fuzz seeds under fuzz/corpus/<target>/.
#   fuzz/record_seeds.sh [URL]   (default mysql://root@127.0.0.1:3306/?multi-statements=true)
#   fuzz/record_seeds.sh --session URL   only the session target's prepared-statement seeds
#                                        (URL with a database the user may create tables in)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --session ]; then
    rm -f fuzz/corpus/session/seed-recorded-*
    exec env CARGO_TARGET_DIR=fuzz/target/record-seeds \
        cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- --session "$2" fuzz/corpus
fi
URL=${1:-mysql://root@127.0.0.1:3306/?multi-statements=true}
# The session target's recorded exchange is kept (re-record it with --session).
find fuzz/corpus -name 'seed-*' ! -path 'fuzz/corpus/session/*' -delete
CARGO_TARGET_DIR=fuzz/target/record-seeds \
    cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- "$URL" fuzz/corpus
