#!/bin/bash
# Capture decoding against tshark (BENCHMARKS.md, "Capture decoding vs tshark"): records a large
# capture of real MySQL traffic on loopback (dumpcap, while parallel `mariadb` clients run a
# workload of varied queries against a throwaway MariaDB), then times, in the same run,
#   tshark -r FILE -d tcp.port==P,mysql -T fields -e mysql.query
#   mywire decode FILE --port P                 (every packet as text, to /dev/null)
#   mywire decode FILE --port P --digest        (the digest of every request)
#   cat FILE | mywire decode - --port P --digest  (the same from standard input)
# under /usr/bin/time -v (wall time, CPU, peak RSS). The capture stays under /tmp.
# usage: bench/scripts/decode-capture.sh [OUT.md]     (default: bench-decode-<date>.md)
#   SIZE_MB=1024 (capture size; dumpcap stops there)  CLIENTS=4 (parallel workload clients)
#   MYWIRE=target/release/mywire  CAPTURE=/tmp/mywire-decode-bench.pcapng
#   KEEP=1 (reuse an existing $CAPTURE and $CAPTURE.port instead of recording a new one)
#   PROBE=1 (add a row: bench/scripts/stream-probe.rs, the streaming reader and incremental
#            reassembly of this checkout without the MySQL decoder)
# Needs root or CAP_NET_RAW for dumpcap, mariadb-server + mariadb-client, tshark, python3.
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-bench-decode-$(date -u +%Y%m%d-%H%M).md}
SIZE_MB=${SIZE_MB:-1024}
CLIENTS=${CLIENTS:-4}
MYWIRE=${MYWIRE:-target/release/mywire}
CAPTURE=${CAPTURE:-/tmp/mywire-decode-bench.pcapng}
TMP=$(mktemp -d /tmp/mywire-decode-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$TMP/mariadbd.pid" ]; then kill "$(cat "$TMP/mariadbd.pid")" 2>/dev/null || true; fi
  sleep 1
  rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$MYWIRE" ] || cargo build --release -p mywire-cli
PROBE_DIR=/tmp/mywire-stream-probe
if [ "${PROBE:-0}" = 1 ]; then
  mkdir -p "$PROBE_DIR/src"
  cp bench/scripts/stream-probe.rs "$PROBE_DIR/src/main.rs"
  printf '[package]\nname = "stream-probe"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nmywire = { path = "%s", features = ["capture"] }\n[workspace]\n' \
    "$(pwd)" > "$PROBE_DIR/Cargo.toml"
  cargo build --quiet --release --manifest-path "$PROBE_DIR/Cargo.toml"
fi

record() {
  # The throwaway server, started as bench/src/server.rs starts it.
  local user=()
  [ "$(id -u)" = 0 ] && user=(--user=root)
  mariadb-install-db --no-defaults --datadir="$TMP/data" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --skip-log-bin "${user[@]}" > "$TMP/install.log" 2>&1
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mariadbd --no-defaults "${user[@]}" --datadir="$TMP/data" --socket="$TMP/mysqld.sock" \
    --pid-file="$TMP/mariadbd.pid" --log-error="$TMP/err.log" --tmpdir="$TMP" --port="$PORT" \
    --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin --max-connections=300 \
    --loose-performance-schema=OFF --loose-feedback=OFF --innodb-buffer-pool-size=512M \
    --loose-innodb-flush-log-at-trx-commit=0 --loose-innodb-doublewrite=0 > /dev/null 2>&1 &
  for _ in $(seq 90); do
    [ -S "$TMP/mysqld.sock" ] && mariadb --no-defaults -uroot --socket="$TMP/mysqld.sock" -e 'SELECT 1' > /dev/null 2>&1 && break
    sleep 1
  done
  mariadb --no-defaults -uroot --socket="$TMP/mysqld.sock" <<'SQL'
CREATE DATABASE bench;
CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-pass';
GRANT ALL ON bench.* TO 'bench'@'127.0.0.1';
USE bench;
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(12,2), created DATETIME(6),
  score DOUBLE, note TEXT NULL);
INSERT INTO t SELECT seq, CONCAT('name-', seq), seq * 1.25, '2026-01-01' + INTERVAL seq SECOND,
  seq / 7, IF(seq % 10 = 0, NULL, REPEAT(CHAR(97 + seq % 26), 20 + seq % 80)) FROM seq_1_to_100000;
CREATE INDEX t_name ON t (name);
CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, k INT, v VARCHAR(64), note TEXT, KEY (k));
SQL
  # One workload file per client: a mix of point reads, range reads, inserts, updates,
  # aggregates, LIKE, errors, multi-row results of several sizes.
  for c in $(seq "$CLIENTS"); do
    python3 - "$c" > "$TMP/work-$c.sql" <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(20000):
    x = r.random(); n = r.randint(1, 100000)
    if x < 0.35:   print(f"SELECT id, name, amount, note FROM t WHERE id = {n};")
    elif x < 0.50: print(f"SELECT * FROM t WHERE id BETWEEN {n} AND {n + r.randint(2, 100)};")
    elif x < 0.62: print(f"INSERT INTO log (k, v, note) VALUES ({n}, 'v-{n}-{i}', '{'x' * r.randint(0, 300)}');")
    elif x < 0.72: print(f"UPDATE t SET score = score + {r.randint(1, 9)} WHERE id = {n};")
    elif x < 0.78: print(f"SELECT COUNT(*), SUM(amount), MAX(created) FROM t WHERE id > {n} AND id < {n + 5000};")
    elif x < 0.84: print(f"SELECT id, name FROM t WHERE name LIKE 'name-{n % 1000}%' LIMIT 50;")
    elif x < 0.87: print(f"SELECT * FROM no_such_table_{n % 7};")
    elif x < 0.92: print(f"SELECT k, v, note FROM log ORDER BY id DESC LIMIT {r.randint(1, 100)};")
    elif x < 0.99: print(f"DELETE FROM log WHERE k = {n};")
    else:          print(f"SELECT * FROM t WHERE id > {n} LIMIT 2000;")
PY
  done
  rm -f "$CAPTURE"
  dumpcap -q -i lo -f "tcp port $PORT" -B 256 -a "filesize:$((SIZE_MB * 1024))" -w "$CAPTURE" \
    2> "$TMP/dumpcap.log" &
  local dpid=$!
  sleep 2
  # Each client loops over its file (one connection per pass) until dumpcap has its size.
  for c in $(seq "$CLIENTS"); do
    ( while kill -0 "$dpid" 2>/dev/null; do
        mariadb --no-defaults -h127.0.0.1 -P"$PORT" -ubench -pbench-pass --force --batch bench \
          < "$TMP/work-$c.sql" > /dev/null 2>&1 || true
      done ) &
    PIDS+=($!)
  done
  wait "$dpid" || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  PIDS=()
  echo "$PORT" > "$CAPTURE.port"
  DUMPCAP_NOTE=$(tr '\n' ' ' < "$TMP/dumpcap.log")
}

if [ "${KEEP:-0}" = 1 ] && [ -f "$CAPTURE" ] && [ -f "$CAPTURE.port" ]; then
  DUMPCAP_NOTE="(an earlier recording, KEEP=1)"
else
  T0=$(date +%s); record; T1=$(date +%s)
  DUMPCAP_NOTE="$DUMPCAP_NOTE; recorded in $((T1 - T0)) s"
fi
PORT=$(cat "$CAPTURE.port")
BYTES=$(stat -c %s "$CAPTURE")
FRAMES=$(capinfos -c -M "$CAPTURE" 2>/dev/null | sed -n 's/^Number of packets: *//p' || echo '?')

# One timed run: label, output file, command...
timed() {
  local label=$1 out=$2; shift 2
  /usr/bin/time -v "$@" > "$out" 2> "$TMP/time-$label.log" || true
  local wall rss user sys
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TMP/time-$label.log")
  user=$(sed -n 's/.*User time (seconds): //p' "$TMP/time-$label.log")
  sys=$(sed -n 's/.*System time (seconds): //p' "$TMP/time-$label.log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time-$label.log")
  echo "| $label | $wall | $user | $sys | $((rss / 1024)) |"
}
sync
cat "$CAPTURE" > /dev/null   # both read it from the page cache
{
  echo "# Capture decoding vs tshark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo +dirty); $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg); $(tshark --version 2>/dev/null | head -1); mywire: $MYWIRE."
  echo "Capture: $CAPTURE, $BYTES bytes, $FRAMES frames, port $PORT, $CLIENTS clients; dumpcap: $DUMPCAP_NOTE"
  echo
  echo "| tool | wall (m:ss) | user s | sys s | peak RSS MiB |"
  echo "|---|---|---|---|---|"
  timed tshark "$TMP/tshark.out" tshark -r "$CAPTURE" -d "tcp.port==$PORT,mysql" -T fields -e mysql.query
  timed mywire /dev/null "$MYWIRE" decode "$CAPTURE" --port "$PORT"
  timed mywire-digest "$TMP/digest.out" "$MYWIRE" decode "$CAPTURE" --port "$PORT" --digest
  timed mywire-stdin-digest "$TMP/digest-stdin.out" sh -c "cat '$CAPTURE' | '$MYWIRE' decode - --port $PORT --digest"
  [ "${PROBE:-0}" = 1 ] && timed stream-probe "$TMP/probe.out" "$PROBE_DIR/target/release/stream-probe" "$CAPTURE" "$PORT"
  echo
  # Untimed check that both saw the same queries: mywire's COM_QUERY packets (JSON lines).
  queries=$("$MYWIRE" decode "$CAPTURE" --port "$PORT" --format json 2>/dev/null | grep -c '"type":"COM_QUERY"' || true)
  cmp -s "$TMP/digest.out" "$TMP/digest-stdin.out" && echo "The digests from the file and from standard input are identical." || echo "The digests from the file and from standard input DIFFER."
  echo "Digest: $(grep -c . "$TMP/digest.out") lines; its top fingerprints:"; echo; echo '```'; head -8 "$TMP/digest.out"; echo '```'; echo
  [ "${PROBE:-0}" = 1 ] && echo "stream-probe: $(cat "$TMP/probe.out")"
  echo "Queries: tshark printed $(grep -c . "$TMP/tshark.out" || true) non-empty mysql.query lines, mywire decoded $queries COM_QUERY packets (an untimed second run with --format json). In the timed run mywire's text output went to /dev/null, tshark's to a file under /tmp."
} | tee "$OUT"
