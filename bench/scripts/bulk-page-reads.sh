#!/bin/bash
# Bulk over a table larger than the default buffer pool (2M rows, --server-defaults), pinned:
# the server's page reads per scan (synchronous pread64 vs read-ahead on io_uring), futex
# hand-offs and CPU, by client, 4 repetitions in A B C order (BENCHMARKS.md, "Engine redesign").
# usage: bench/scripts/bulk-page-reads.sh
set -u
NEW=${NEW:-target/release/mywire-bench}
D=${TMPDIR:-/tmp}/mywire-bench-pr; mkdir -p $D; rm -f $D/ctl; mkfifo $D/ctl
$NEW --serve 2000000 --server-defaults < $D/ctl > $D/serve.out 2> $D/serve.err &
SRV=$!; exec 3> $D/ctl
until [ -s $D/serve.out ]; do sleep 1; done
read URL PID < $D/serve.out
taskset -a -cp 0 $PID > /dev/null
SOCK=/tmp/mywire-bench-$SRV/mysqld.sock
# Innodb_buffer_pool_read_ahead, then Innodb_buffer_pool_reads (pages read from the data file)
st() { for v in INNODB_BUFFER_POOL_READ_AHEAD INNODB_BUFFER_POOL_READS; do mariadb --no-defaults -uroot --socket=$SOCK --batch --skip-column-names -e "SELECT variable_value FROM information_schema.global_status WHERE variable_name = '$v'"; done | tr '\n' ' '; }
echo "load $(cat /proc/loadavg)"
for i in 1 2 3 4; do
  for c in raw mywire mywire-sync; do
    $NEW --run $c bulk1k --url "$URL" --cpu 0 > /dev/null
    read ra0 r0 <<< "$(st)"
    perf stat -x, -o $D/s.$c.$i -p $PID -e task-clock,context-switches,syscalls:sys_enter_pread64,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_futex -- $NEW --run $c bulk --url "$URL" --cpu 0 > $D/r.$c.$i
    read ra1 r1 <<< "$(st)"
    echo "$c rep $i wall_ms=$(awk '/RESULT/{printf "%.0f", $2/1e6}' $D/r.$c.$i) cpu_ms=$(awk '/RESULT/{printf "%.0f", $3/1e6}' $D/r.$c.$i) $(awk -F, '$1 ~ /^[0-9.]+$/ {sub("syscalls:sys_enter_","",$3); printf "%s=%s ", $3, $1}' $D/s.$c.$i) pages_read=$((r1-r0)) pages_read_ahead=$((ra1-ra0))"
  done
done
echo "load $(cat /proc/loadavg)"
exec 3>&-; wait $SRV
