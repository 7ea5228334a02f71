#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) and prints executions and findings per target.
#   fuzz/run.sh 60            # all targets, 60 s each
#   fuzz/run.sh 30 frame url  # only these targets
# Logs go to fuzz/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
# FUZZ_SEED=N fixes libFuzzer's seed (the CI smoke pass does, so that it is repeatable).
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(frame handshake client_hello auth_switch ok_err_eof column_definition row value url session capture conversation)
fi
# ASan keeps freed memory in a quarantine (256 MB by default) to catch use-after-free; with
# -rss_limit_mb=256 that alone ends a long run in a false OOM (the RSS counts the quarantine).
# 32 MB still catches a use of recently freed memory and keeps long runs within the limit. The
# caller's ASAN_OPTIONS come after the default, so they win (ASan takes the last value given).
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
FUZZ_FLAGS=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=256 -malloc_limit_mb=128
            -timeout=10 -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED})
# The frame target deliberately builds 16 MiB chunks (continuations) and a 32 MiB max payload.
mkdir -p logs
status=0
printf '%-18s %10s %8s %s\n' target runs seconds result
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    start=$(date +%s)
    flags=("${FUZZ_FLAGS[@]}")
    [ "$t" = frame ] && flags=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=512
                              -malloc_limit_mb=256 -timeout=10 -print_final_stats=1
                              ${FUZZ_SEED:+-seed=$FUZZ_SEED})
    cargo +nightly fuzz run "$t" "corpus/$t" -- "${flags[@]}" > "logs/$t.log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
    [ -z "$runs" ] && runs=$(grep -oE '^Done [0-9]+ runs' "logs/$t.log" | grep -oE '[0-9]+' | tail -1)
    [ -z "$runs" ] && runs=$(grep -oE '^#[0-9]+' "logs/$t.log" | tr -d '#' | tail -1)
    after=$(ls "artifacts/$t" | wc -l)
    if [ "$rc" -eq 0 ]; then
        result="ok, no findings"
    else
        result="FINDING (exit $rc, $((after - before)) new artifact(s)): $(grep -m1 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "logs/$t.log")"
        status=1
    fi
    printf '%-18s %10s %8s %s\n' "$t" "${runs:-?}" "$took" "$result"
done
exit $status
