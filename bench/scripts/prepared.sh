#!/bin/bash
# The prepared-statement and bulk-insert measurement (BENCHMARKS.md, "Prepared statements and
# bulk insert"): bulk, bulk1k and roundtrip for every prepared client (raw-ps, mywire-ps,
# mywire-sync-ps, zero-mysql-ps, zero-mysql-sync-ps, mysql_async-ps, sqlx), and insert
# (100,000 rows) for every insert client, pinned and unpinned, 5 repetitions, medians; one run,
# so every ratio in the tables is of the same run. Run it on a quiet machine: nothing else busy,
# or move everything else to CPU 1 first (`taskset -a -p -c 1 PID` for each), since the pinned
# mode puts the client and the server on CPU 0 and the unpinned mode needs both CPUs.
# usage: bench/scripts/prepared.sh [OUT.md]        (default: bench-prepared-<date>.md)
#   REPS=5 INSERT_ROWS=100000 ROWS=1000000 MODES=--both BENCH=target/release/mywire-bench
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-bench-prepared-$(date -u +%Y%m%d-%H%M).md}
BENCH=${BENCH:-target/release/mywire-bench}
REPS=${REPS:-5}
ROWS=${ROWS:-1000000}
INSERT_ROWS=${INSERT_ROWS:-100000}
MODES=${MODES:---both}
cargo build --release -p mywire-bench
PS=raw-ps,mywire-ps,mywire-sync-ps,zero-mysql-ps,zero-mysql-sync-ps,mysql_async-ps,sqlx
INS=mywire-bulk,mywire-sync-bulk,mywire-ps-pipelined,mywire-ps-rows,mywire-multirow,zero-mysql-bulk,mysql_async-bulk
{
  echo "# mywire-bench, prepared statements and bulk insert — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo +dirty); $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Command: $BENCH --only bulk,bulk1k,roundtrip,insert --clients $PS,$INS $MODES --reps $REPS --rows $ROWS --insert-rows $INSERT_ROWS"
  echo
} > "$OUT"
# The harness prints progress on stderr and the tables on stdout (and into --out).
"$BENCH" --only bulk,bulk1k,roundtrip,insert --clients "$PS,$INS" $MODES \
  --reps "$REPS" --rows "$ROWS" --insert-rows "$INSERT_ROWS" --out "$OUT.tables" \
  2> >(tee "$OUT.log" >&2) > /dev/null
cat "$OUT.tables" >> "$OUT" && rm -f "$OUT.tables"
echo "tables: $OUT (progress log: $OUT.log)"
