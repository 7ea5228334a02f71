#!/bin/bash
# Deterministic client costs (BENCHMARKS.md, "Engine redesign"): instructions (cachegrind, no cache sim) and syscalls (strace -c),
# new vs old, differential (N2 - N1) so connect/startup cancel.
# usage: OLD=../old/target/release/mywire-bench bench/scripts/instructions.sh   (needs valgrind, strace)
set -u
NEW=${NEW:-target/release/mywire-bench}
OLD=${OLD:?set OLD to the other build of mywire-bench}
D=${TMPDIR:-/tmp}/mywire-bench-det; rm -rf $D; mkdir -p $D
rm -f $D/ctl; mkfifo $D/ctl
$NEW --serve 100000 < $D/ctl > $D/serve.out 2> $D/serve.err &
SRV=$!
exec 3> $D/ctl
until [ -s $D/serve.out ]; do sleep 1; done
read URL PID < $D/serve.out
echo "server $PID; load $(cat /proc/loadavg)"
ir() { # exe client workload n connects -> I refs
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$1" --run "$2" "$3" --url "$URL" --n "$4" --connects "$5" --blob 0 2>&1 >/dev/null | awk '/I *refs:/ {gsub(",","",$NF); print $NF}'
}
for spec in "new:$NEW" "old:$OLD"; do
  IFS=: read tag exe <<< "$spec"
  for c in mywire mywire-sync; do
    for w in roundtrip ping pipeline connect bulk; do
      [ $w = pipeline ] && [ $c = mywire-sync ] && continue
      case $w in
        connect) a=$(ir $exe $c connect 0 100); b=$(ir $exe $c connect 0 300); per=$(( (b-a)/200 )); unit="per connect";;
        bulk) a=$(ir $exe $c bulk1k 0 0); b=$(ir $exe $c bulk 0 0); per=$(( (b-a)/99000 )); unit="per row (bulk 100k - bulk1k)";;
        *) a=$(ir $exe $c $w 1000 0); b=$(ir $exe $c $w 3000 0); per=$(( (b-a)/2000 )); unit="per op";;
      esac
      echo "IR $tag $c $w $per $unit (totals $a $b)"
    done
  done
done
for spec in "new:$NEW" "old:$OLD"; do
  IFS=: read tag exe <<< "$spec"
  for c in mywire mywire-sync; do
    for w in roundtrip ping connect; do
      n=2000; k=0; [ $w = connect ] && { n=0; k=200; }
      strace -f -c -o $D/strace.$tag.$c.$w $exe --run $c $w --url "$URL" --n $n --connects $k --blob 0 > /dev/null
      echo "SYSCALLS $tag $c $w (n=$n connects=$k): $(awk '$NF ~ /^[a-z_0-9]+$/ && $1 ~ /[0-9]/ && $NF != "total" {printf "%s=%s ", $NF, ($5 ~ /^[0-9]+$/ && NF==6) ? $4 : $4}' $D/strace.$tag.$c.$w)"
    done
  done
done
exec 3>&-
wait $SRV
