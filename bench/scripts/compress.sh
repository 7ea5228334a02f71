#!/bin/bash
# The compression measurement (BENCHMARKS.md, "Compression"): `zbulk` (SELECT * FROM t, ROWS
# rows, text protocol, every cell typed) and `zinsert` (INSERT_ROWS rows through one exec_batch,
# COM_STMT_BULK_EXECUTE) for mywire and mywire-sync uncompressed and with zlib, and mysql_async
# uncompressed and with zlib, pinned and unpinned, REPS repetitions, medians; one run, so every
# ratio is of the same run. Bytes on the wire are the server's SHOW SESSION STATUS counters of
# the measured connection (see bench/src/compress.rs). Run it on a quiet machine (or move
# everything else to CPU 1 first: the pinned mode puts the client and the server on CPU 0).
# usage: bench/scripts/compress.sh [OUT.md]        (default: bench-compress-<date>.md)
#   REPS=5 ROWS=1000000 INSERT_ROWS=100000 MODES=--both BENCH=target/release/mywire-bench
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-bench-compress-$(date -u +%Y%m%d-%H%M).md}
BENCH=${BENCH:-target/release/mywire-bench}
REPS=${REPS:-5}
ROWS=${ROWS:-1000000}
INSERT_ROWS=${INSERT_ROWS:-100000}
MODES=${MODES:---both}
cargo build --release -p mywire-bench
{
  echo "# mywire-bench, compression — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo +dirty); $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Command: $BENCH --only zbulk,zinsert $MODES --reps $REPS --rows $ROWS --insert-rows $INSERT_ROWS"
  echo
} > "$OUT"
# The harness prints progress on stderr and the tables on stdout (and into --out).
"$BENCH" --only zbulk,zinsert $MODES --reps "$REPS" --rows "$ROWS" --insert-rows "$INSERT_ROWS" \
  --out "$OUT.tables" 2> >(tee "$OUT.log" >&2) > /dev/null
cat "$OUT.tables" >> "$OUT" && rm -f "$OUT.tables"
echo "tables: $OUT (progress log: $OUT.log)"
