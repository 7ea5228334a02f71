#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) and prints executions and findings per target.
#   fuzz/run.sh 60            # all targets, 60 s each
#   fuzz/run.sh 30 frame url  # only these targets
# Logs go to fuzz/logs/<target>.log; crashes to fuzz/artifacts/<target>/.
# FUZZ_SEED=N fixes libFuzzer's seed (the CI smoke pass does, so that it is repeatable).
# FUZZ_SANITIZER=none builds without AddressSanitizer (into target/none, so the ASan build in
# target/ stays as it is): 3-4x the executions per second on the session target. The
# library forbids `unsafe`, so ASan only watches the dependencies' and std's unsafe code, and
# LeakSanitizer leaks; panics, hangs, the RSS limit and the targets' own allocation checks work
# the same. libFuzzer's -malloc_limit_mb needs a sanitizer's malloc hooks, so without one only
# the RSS limit applies. The default (and CI's smoke pass) is ASan.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(frame handshake client_hello auth_switch ok_err_eof column_definition row value binary url fingerprint session capture capture_stream conversation compressed change_user capture_decoder)
fi
# ASan keeps freed memory in a quarantine (256 MB by default) to catch use-after-free; with
# -rss_limit_mb=256 that alone ends a long run in a false OOM (the RSS counts the quarantine).
# 32 MB still catches a use of recently freed memory and keeps long runs within the limit. The
# caller's ASAN_OPTIONS come after the default, so they win (ASan takes the last value given).
export ASAN_OPTIONS="quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
SANITIZER=${FUZZ_SANITIZER:-address}
BUILD_FLAGS=()
[ "$SANITIZER" != address ] && BUILD_FLAGS=(-s "$SANITIZER" --target-dir "target/$SANITIZER")
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
    cargo +nightly fuzz run "${BUILD_FLAGS[@]}" "$t" "corpus/$t" -- "${flags[@]}" > "logs/$t.log" 2>&1
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
