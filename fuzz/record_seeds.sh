#!/usr/bin/env bash
# Records real packets from a MariaDB/MySQL server as fuzz seeds under fuzz/corpus/<target>/.
#   fuzz/record_seeds.sh [URL]   (default mysql://root@127.0.0.1:3306/?multi-statements=true)
#   fuzz/record_seeds.sh --compressed URL   only the compressed target's seeds (a compressed
#                                        session recorded, zlib/zstd streams, bombs, lies)
#   fuzz/record_seeds.sh --session URL   only the session target's prepared-statement seeds
#                                        (URL with a database the user may create tables in)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --compressed ]; then
    rm -f fuzz/corpus/compressed/seed-*
    exec env CARGO_TARGET_DIR=fuzz/target/record-seeds \
        cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- --compressed "$2" fuzz/corpus
fi
if [ "${1:-}" = --session ]; then
    rm -f fuzz/corpus/session/seed-recorded-*
    exec env CARGO_TARGET_DIR=fuzz/target/record-seeds \
        cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- --session "$2" fuzz/corpus
fi
URL=${1:-mysql://root@127.0.0.1:3306/?multi-statements=true}
# The session and compressed targets' seeds are kept (re-record them with --session, --compressed).
find fuzz/corpus -name 'seed-*' ! -path 'fuzz/corpus/session/*' ! -path 'fuzz/corpus/compressed/*' -delete
CARGO_TARGET_DIR=fuzz/target/record-seeds \
    cargo run --quiet --manifest-path fuzz/record_seeds/Cargo.toml -- "$URL" fuzz/corpus
