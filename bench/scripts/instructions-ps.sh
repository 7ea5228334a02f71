#!/bin/bash
# Deterministic client costs of the prepared-statement clients (BENCHMARKS.md, "Prepared
# statements and bulk insert"): instructions per row of the bulk SELECT (bulk 1M - bulk1k,
# so connect, prepare and startup cancel) and per roundtrip (3000 - 1000), counted by
# cachegrind (no cache simulation): the same for the same binary and inputs whatever else the
# machine does. usage: bench/scripts/instructions-ps.sh   (needs valgrind)
#   CLIENTS="raw-ps mywire-ps …"  BENCH=target/release/mywire-bench  ROWS=100000
set -u
BENCH=${BENCH:-target/release/mywire-bench}
CLIENTS=${CLIENTS:-raw-ps mywire-ps mywire-sync-ps zero-mysql-ps zero-mysql-sync-ps mysql_async-ps sqlx}
ROWS=${ROWS:-100000}
D=${TMPDIR:-/tmp}/mywire-bench-ps-ir; rm -rf $D; mkdir -p $D
rm -f $D/ctl; mkfifo $D/ctl
$BENCH --serve $ROWS < $D/ctl > $D/serve.out 2> $D/serve.err &
SRV=$!
exec 3> $D/ctl
until [ -s $D/serve.out ]; do sleep 1; done
read URL PID < $D/serve.out
echo "server $PID; $ROWS rows; load $(cat /proc/loadavg)"
ir() { # client workload n -> I refs
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$BENCH" --run "$1" "$2" --url "$URL" --n "$3" --connects 0 --blob 0 2>&1 >/dev/null | awk '/I *refs:/ {gsub(",","",$NF); print $NF}'
}
for c in $CLIENTS; do
  a=$(ir $c bulk1k 0); b=$(ir $c bulk 0)
  echo "IR $c bulk $(( (b-a)/(ROWS-1000) )) per row (totals $a $b)"
  a=$(ir $c roundtrip 1000); b=$(ir $c roundtrip 3000)
  echo "IR $c roundtrip $(( (b-a)/2000 )) per op (totals $a $b)"
done
exec 3>&-
wait $SRV
