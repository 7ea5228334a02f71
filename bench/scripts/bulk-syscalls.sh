#!/bin/bash
# Default-buffer-pool bulk, pinned (BENCHMARKS.md, "Engine redesign"): per client, server CPU + context switches, client syscalls,
# read-size histogram, server send/poll counts. usage: OLD=../old/target/release/mywire-bench bench/scripts/bulk-syscalls.sh [ROWS] [REPS]
set -u
NEW=${NEW:-target/release/mywire-bench}
OLD=${OLD:?set OLD to the other build of mywire-bench}
D=${TMPDIR:-/tmp}/mywire-bench-inv; mkdir -p $D
ROWS=${1:-1000000}; REPS=${2:-3}
rm -f $D/serve.out $D/ctl; mkfifo $D/ctl
$NEW --serve $ROWS --server-defaults < $D/ctl > $D/serve.out 2> $D/serve.err &
SRV=$!
exec 3> $D/ctl
until [ -s $D/serve.out ]; do sleep 1; done
read URL PID < $D/serve.out
echo "server pid $PID url $URL load $(cat /proc/loadavg)"
taskset -a -cp 0 $PID > /dev/null
srvcpu() { cat /proc/$PID/task/*/schedstat 2>/dev/null | awk '{s+=$1} END {printf "%d", s}'; }
srvcsw() { cat /proc/$PID/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/{v+=$2} /^nonvoluntary_ctxt_switches/{n+=$2} END{print v, n}'; }
CL="raw:$NEW:raw mywire:$NEW:mywire mywire-sync:$NEW:mywire-sync mywire@old:$OLD:mywire zero-mysql:$NEW:zero-mysql"  # label:binary:client
# 1) plain timing + server CPU + server ctx switches + client perf stat (low overhead counters)
for i in $(seq 1 $REPS); do
  for spec in $CL; do
    IFS=: read label exe c <<< "$spec"
    $exe --run $c bulk1k --url "$URL" --cpu 0 > /dev/null
    s0=$(srvcpu); read v0 n0 <<< "$(srvcsw)"
    res=$(perf stat -x, -o $D/cstat.$label.$i -e task-clock,context-switches,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait -- $exe --run $c bulk --url "$URL" --cpu 0 | grep RESULT)
    s1=$(srvcpu); read v1 n1 <<< "$(srvcsw)"
    set -- $res
    cs=$(awk -F, '/context-switches/{c=$1} /sys_enter_read/{r=$1} /sys_enter_recvfrom/{f=$1} /epoll_wait/{e=$1} END{print "csw="c" read="r" recvfrom="f" epoll_wait="e}' $D/cstat.$label.$i)
    printf "%-12s rep %d wall %7.1f ms client_cpu %6.1f ms srv_cpu %7.1f ms srv_vcsw %6d srv_ivcsw %6d %s\n" $label $i $(echo "$2/1000000" | bc -l) $(echo "$3/1000000" | bc -l) $(echo "($s1-$s0)/1000000" | bc -l) $((v1-v0)) $((n1-n0)) "$cs"
  done
done
# 2) server-side syscalls during one run of each (perf stat on the server pid)
for spec in $CL; do
  IFS=: read label exe c <<< "$spec"
  $exe --run $c bulk1k --url "$URL" --cpu 0 > /dev/null
  perf stat -x, -o $D/sstat.$label -p $PID -e task-clock,context-switches,syscalls:sys_enter_sendto,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_poll,syscalls:sys_enter_ppoll,syscalls:sys_enter_pread64,syscalls:sys_enter_io_getevents,syscalls:sys_enter_io_submit,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_io_pgetevents,syscalls:sys_enter_preadv,syscalls:sys_enter_futex -- $exe --run $c bulk --url "$URL" --cpu 0 > /dev/null
  echo "server during $label: $(awk -F, '$1 ~ /^[0-9.]+$/ {sub("syscalls:sys_enter_","",$3); printf "%s=%s ", $3, $1}' $D/sstat.$label)"
done
# 3) read-size histograms (client) and send sizes (server), one run each, perf record
for spec in $CL; do
  IFS=: read label exe c <<< "$spec"
  $exe --run $c bulk1k --url "$URL" --cpu 0 > /dev/null
  perf record -q -o $D/srv.$label.data -p $PID -e syscalls:sys_exit_sendto -- \
    perf record -q -o $D/cli.$label.data -e syscalls:sys_exit_read,syscalls:sys_exit_recvfrom -- $exe --run $c bulk --url "$URL" --cpu 0 > /dev/null 2>&1
  echo "client reads, $label:"; perf script -i $D/cli.$label.data -F event,trace 2>/dev/null | awk '{r=strtonum($NF); if (r>=2^63) r-=2^64; if (r<=0) z++; else {n++; s+=r; b=2^int(log(r)/log(2)); h[b]++}} END {printf "  n=%d bytes=%d mean=%.0f eagain/0=%d\n", n, s, (n?s/n:0), z; for (k in h) printf "  >=%7d: %d\n", k, h[k]}' | sort -n -k2
  echo "server sendto, $label:"; perf script -i $D/srv.$label.data -F event,trace 2>/dev/null | awk '{r=strtonum($NF); if (r>=2^63) r-=2^64; if (r<0) z++; else {n++; s+=r; b=2^int(log(r+1)/log(2)); h[b]++}} END {printf "  n=%d bytes=%d mean=%.0f err=%d\n", n, s, (n?s/n:0), z; for (k in h) printf "  >=%7d: %d\n", k, h[k]}' | sort -n -k2
done
exec 3>&-   # EOF on the harness's stdin: it drops (kills) its server and exits
wait $SRV
