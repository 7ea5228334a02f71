#!/usr/bin/env python3
"""Benchmark of Python MySQL/MariaDB DB-API drivers against mywire's Python driver.

Workloads (every driver, through its DB-API surface, each run in a fresh subprocess):

  fetch            cursor.execute("SELECT ... FROM t") + fetchall(), buffered cursor, 1,000,000 rows
  stream           the same SELECT through an unbuffered (SSCursor-type) cursor, iterating rows
  roundtrip        N x cursor.execute("SELECT 1") + fetchall() on one connection
  roundtrip-param  N x cursor.execute("SELECT %s", (i,)) + fetchall()

Repetitions are interleaved (rep 1: every workload for every driver, rep 2: again, ...), the
driver order rotates by one each repetition, and the first --warmup rounds are thrown away
(the first one also checks that every driver fetched the same data). See README.md.

Usage:
  python3 bench/python/dbapi_bench.py --setup            # once: database mywire_pybench, table t
  python3 bench/python/dbapi_bench.py --pin 1 --out /tmp/pybench.md
"""

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_MYWIRE_PATH = REPO / "python"

TABLE = "t"
COLUMNS = "id, big, name, score, created, amount"
FETCH_SQL = f"SELECT {COLUMNS} FROM {TABLE}"
WARM_SQL = f"SELECT {COLUMNS} FROM {TABLE} LIMIT 1000"

SETUP_SQL = [
    "CREATE DATABASE IF NOT EXISTS {db}",
    "USE {db}",
    f"DROP TABLE IF EXISTS {TABLE}",
    f"""CREATE TABLE {TABLE} (
        id INT NOT NULL PRIMARY KEY,
        big BIGINT NOT NULL,
        name VARCHAR(40) NOT NULL,
        score DOUBLE NOT NULL,
        created DATETIME(6) NOT NULL,
        amount DECIMAL(12,2) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    # name: 21 chars; amount: NULL in every 10th row; created has microseconds.
    f"""INSERT INTO {TABLE}
        SELECT seq,
               seq * 2654435761,
               CONCAT('user-', LPAD(seq, 7, '0'), '-', LEFT(MD5(seq), 8)),
               seq / 7e0,
               TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND
                   + INTERVAL (seq * 7919 % 1000000) MICROSECOND,
               IF(seq % 10 = 0, NULL, (seq * 37 % 10000000) / 100)
        FROM seq_1_to_{{rows}}""",
    f"ANALYZE TABLE {TABLE}",
]

# name -> (import name, distribution name for the version, how %s parameters are sent)
DRIVERS = {
    "mywire": ("mywire", None),
    "mywire-text": ("mywire", None),
    "mywire-aio": ("mywire.aio", None),
    "pymysql": ("pymysql", "PyMySQL"),
    "mysqlclient": ("MySQLdb", "mysqlclient"),
    "connector-c": ("mysql.connector", "mysql-connector-python"),
    "connector-pure": ("mysql.connector", "mysql-connector-python"),
    "asyncmy": ("asyncmy", "asyncmy"),
}
WORKLOADS = ["fetch", "stream", "roundtrip", "roundtrip-param"]
# mywire-text is mywire with connect(prepared=False): %s parameters interpolated client-side,
# like PyMySQL. Without parameters it sends the same COM_QUERY as mywire, so it only runs
# roundtrip-param.
ONLY_WORKLOADS = {"mywire-text": {"roundtrip-param"}}


# --------------------------------------------------------------------------------------------
# Normalisation for the correctness check (drivers differ in types: Decimal/float/str,
# datetime/str, bytes/str).

def _norm(col, v):
    if v is None:
        return "NULL"
    if isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v).decode()
    if col in (0, 1):
        return str(int(v))
    if col == 2:
        return str(v)
    if col == 3:
        return format(float(v), ".15g")
    if col == 4:
        if isinstance(v, str):
            v = datetime.fromisoformat(v)
        return v.isoformat(sep=" ", timespec="microseconds")
    if col == 5:
        return format(Decimal(str(v)), ".2f")
    return repr(v)


def norm_row(row):
    return tuple(_norm(i, v) for i, v in enumerate(row))


def type_names(row):
    return [type(row).__name__] + [type(v).__name__ for v in row]


# --------------------------------------------------------------------------------------------
# Driver adapters (child side). Each returns an object with connect(), the four workloads and
# status(sql) -> rows, all synchronous from the caller's point of view.

class SyncDriver:
    """PyMySQL-shaped drivers: pymysql, mysqlclient, mywire, Connector/Python."""

    def __init__(self, name, a):
        self.name = name
        self.a = a
        self.buffered_kw = {}
        self.stream_kw = {}
        if name == "pymysql":
            import pymysql
            import pymysql.cursors
            self.connect_fn = lambda: pymysql.connect(
                host=a.host, port=a.port, user=a.user, password=a.password, database=a.database)
            self.stream_kw = {"cursor": pymysql.cursors.SSCursor}
            self.module = pymysql
        elif name == "mysqlclient":
            import MySQLdb
            import MySQLdb.cursors
            self.connect_fn = lambda: MySQLdb.connect(
                host=a.host, port=a.port, user=a.user, password=a.password, database=a.database)
            self.stream_kw = {"cursorclass": MySQLdb.cursors.SSCursor}
            self.module = MySQLdb
        elif name in ("mywire", "mywire-text"):
            import mywire
            import mywire.cursors
            kw = {"prepared": False} if name == "mywire-text" else {}
            self.connect_fn = lambda: mywire.connect(
                host=a.host, port=a.port, user=a.user, password=a.password, database=a.database,
                **kw)
            self.stream_cls = mywire.cursors.SSCursor
            self.stream_kw = {"cursor": mywire.cursors.SSCursor}
            self.module = mywire
        elif name in ("connector-c", "connector-pure"):
            if name == "connector-c":
                # The wheel's C extension links its own OpenSSL (mysql/vendor, via RUNPATH).
                # If the interpreter's ssl module loads the system libssl.so.3 first, the
                # extension fails to import (an older OPENSSL_3.x symbol version) and
                # Connector says "C Extension not available". Importing it first avoids that.
                try:
                    import _mysql_connector  # noqa: F401
                except ImportError:
                    pass
            import mysql.connector
            pure = name == "connector-pure"
            if not pure and not mysql.connector.HAVE_CEXT:
                raise ImportError("mysql-connector-python C extension not available")
            self.connect_fn = lambda: mysql.connector.connect(
                host=a.host, port=a.port, user=a.user, password=a.password,
                database=a.database, use_pure=pure)
            # Connector's default cursor is unbuffered; buffered=True is the PyMySQL-like one.
            self.buffered_kw = {"buffered": True}
            self.stream_kw = {}
            self.module = mysql.connector
        else:
            raise ValueError(name)

    def connect(self):
        self.conn = self.connect_fn()

    def cursor(self, stream=False):
        kw = self.stream_kw if stream else self.buffered_kw
        if not kw:
            return self.conn.cursor()
        if self.name in ("pymysql", "mywire", "mywire-text"):
            return self.conn.cursor(kw["cursor"])
        return self.conn.cursor(**kw)

    def fetch(self, sql):
        cur = self.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
        return rows, cur

    def stream(self, sql, keep):
        cur = self.cursor(stream=True)
        cur.execute(sql)
        n = 0
        first = []
        for row in cur:
            if n < keep:
                first.append(row)
            n += 1
        return n, first, cur

    def roundtrip(self, n, param):
        cur = self.cursor()
        if param:
            for i in range(n):
                cur.execute("SELECT %s", (i,))
                cur.fetchall()
        else:
            for _ in range(n):
                cur.execute("SELECT 1")
                cur.fetchall()
        return cur

    def status(self, sql):
        cur = self.cursor()
        cur.execute(sql)
        return list(cur.fetchall())

    def close(self):
        self.conn.close()


class AsyncDriver:
    """asyncmy and mywire.aio: an asyncio event loop of its own (the default loop, not
    uvloop), await cur.execute / fetchall, async for on the unbuffered cursor."""

    def __init__(self, name, a):
        import asyncio
        self.a = a
        if name == "asyncmy":
            import asyncmy
            import asyncmy.cursors
            self.module = asyncmy
            self.connect_coro = asyncmy.connect
            self.ss_cls = asyncmy.cursors.SSCursor
        else:
            import mywire
            import mywire.aio
            self.module = mywire
            self.connect_coro = mywire.aio.connect
            self.ss_cls = mywire.aio.AsyncSSCursor
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def connect(self):
        a = self.a
        self.conn = self.run(self.connect_coro(
            host=a.host, port=a.port, user=a.user, password=a.password, database=a.database))

    def fetch(self, sql):
        async def go():
            cur = self.conn.cursor()
            await cur.execute(sql)
            return await cur.fetchall(), cur
        return self.run(go())

    def stream(self, sql, keep):
        async def go():
            cur = self.conn.cursor(self.ss_cls)
            await cur.execute(sql)
            n = 0
            first = []
            async for row in cur:
                if n < keep:
                    first.append(row)
                n += 1
            return n, first, cur
        return self.run(go())

    def roundtrip(self, n, param):
        async def go():
            cur = self.conn.cursor()
            if param:
                for i in range(n):
                    await cur.execute("SELECT %s", (i,))
                    await cur.fetchall()
            else:
                for _ in range(n):
                    await cur.execute("SELECT 1")
                    await cur.fetchall()
            return cur
        return self.run(go())

    def status(self, sql):
        async def go():
            cur = self.conn.cursor()
            await cur.execute(sql)
            return list(await cur.fetchall())
        return self.run(go())

    def close(self):
        self.conn.close()
        self.loop.close()


def make_driver(name, a):
    if name in ("asyncmy", "mywire-aio"):
        return AsyncDriver(name, a)
    return SyncDriver(name, a)


def mywire_profile(so):
    """'release' or 'debug' if the module is a copy of python/dev-build.sh's cargo output."""
    import filecmp
    target = Path(os.environ.get("MYWIRE_PY_TARGET_DIR", REPO / "target" / "python"))
    if not target.is_absolute():
        target = REPO / target
    for profile in ("release", "debug"):
        built = target / profile / "lib_mywire.so"
        try:
            if built.stat().st_size == so.stat().st_size and filecmp.cmp(built, so, shallow=False):
                return profile
        except OSError:
            continue
    return "build profile unknown"


def driver_version(name, drv):
    from importlib import metadata
    imp, dist = DRIVERS[name]
    if dist:
        v = metadata.version(dist)
    else:
        v = getattr(drv.module, "__version__", "?")
    extra = ""
    if name.startswith("mywire"):
        so = [p for p in Path(drv.module.__file__).parent.glob("_mywire*.so")]
        if so:
            st = so[0].stat()
            extra = (f" ({so[0].name}, {mywire_profile(so[0])}, {st.st_size / 2**20:.1f} MiB, "
                     f"built {time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))})")
    elif name == "connector-c":
        extra = " (C extension)"
    elif name == "connector-pure":
        extra = " (pure Python)"
    return v + extra


# --------------------------------------------------------------------------------------------
# Child

def proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_utime, r.ru_stime


def child(a):
    name, workload = a.child
    if a.pin is not None:
        os.sched_setaffinity(0, {a.pin})
    out = {"driver": name, "workload": workload}
    try:
        drv = make_driver(name, a)
    except ImportError as e:
        out["skip"] = f"{type(e).__name__}: {e}"
        if name.startswith("mywire") and not list(Path(a.mywire_path, "mywire").glob("_mywire*.so")):
            out["skip"] = (f"no {a.mywire_path}/mywire/_mywire*.so (build it with "
                           f"python/dev-build.sh) -- {out['skip']}")
        print(json.dumps(out))
        return
    out["version"] = driver_version(name, drv)
    if a.probe:
        print(json.dumps(out))
        return
    drv.connect()

    # Untimed in-process warm-up: code paths, converters, the statement on the server.
    if workload in ("fetch", "stream"):
        if workload == "fetch":
            drv.fetch(WARM_SQL)
        else:
            drv.stream(WARM_SQL, 0)
    else:
        drv.roundtrip(a.warm_queries, workload == "roundtrip-param")

    rss_before = proc_status_kib("VmRSS")
    c0, u0, s0 = cpu_seconds()
    t0 = time.perf_counter()
    if workload == "fetch":
        rows, cur = drv.fetch(FETCH_SQL)
    elif workload == "stream":
        nrows, first, cur = drv.stream(FETCH_SQL, 3)
    else:
        cur = drv.roundtrip(a.queries, workload == "roundtrip-param")
    t1 = time.perf_counter()
    c1, u1, s1 = cpu_seconds()
    out.update(wall=t1 - t0, cpu=c1 - c0, user=u1 - u0, sys=s1 - s0,
               rss_before_kib=rss_before, peak_rss_kib=proc_status_kib("VmHWM"))

    if workload == "fetch":
        out["rows"] = len(rows)
        out["first"] = [norm_row(r) for r in rows[:3]]
        out["types"] = type_names(rows[0]) if rows else []
        if a.verify:
            import hashlib  # not at the top: _hashlib loads the system libcrypto (see connector-c)
            h = hashlib.sha256()
            for r in rows:
                h.update("\x1f".join(norm_row(r)).encode())
                h.update(b"\x1e")
            out["sha256"] = h.hexdigest()
        del rows
    elif workload == "stream":
        out["rows"] = nrows
        out["first"] = [norm_row(r) for r in first]
        out["types"] = type_names(first[0]) if first else []
    else:
        # Which protocol did the parameterised execute use? The server's session counters
        # tell: COM_STMT_EXECUTE per query = server-side prepare, none = client interpolation.
        try:
            st = drv.status("SHOW SESSION STATUS WHERE Variable_name IN "
                            "('Com_stmt_prepare', 'Com_stmt_execute', 'Questions')")
            out["status"] = {(k.decode() if isinstance(k, bytes) else k):
                             int(v.decode() if isinstance(v, bytes) else v) for k, v in st}
        except Exception as e:  # noqa: BLE001
            out["status_error"] = str(e)
    try:
        res = cur.close()
        if hasattr(res, "__await__"):
            drv.run(res)
    except Exception:  # noqa: BLE001
        pass
    drv.close()
    # Flushed now: a driver that crashes at interpreter exit must not take the result with it
    # (the parent still reports the crash).
    print(json.dumps(out), flush=True)


# --------------------------------------------------------------------------------------------
# Parent

def server_pid(port):
    """pid of the local process listening on TCP `port` (for its CPU time), or None."""
    inodes = set()
    for tab in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(tab) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[3] == "0A" and int(p[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(p[9])
        except OSError:
            pass
    if not inodes:
        return None
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def server_cpu_ns(pid):
    if pid is None:
        return None
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
    except OSError:
        return None
    return total


def child_cmd(a, name, workload, verify=False, probe=False):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, workload,
           "--host", a.host, "--port", str(a.port), "--user", a.user,
           "--password", a.password, "--database", a.database,
           "--queries", str(a.queries), "--warm-queries", str(a.warm_queries)]
    if a.pin is not None:
        cmd += ["--pin", str(a.pin)]
    if verify:
        cmd.append("--verify")
    if probe:
        cmd.append("--probe")
    return cmd


def child_env(a):
    env = dict(os.environ)
    parts = [str(a.mywire_path)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_child(a, name, workload, spid, verify=False, probe=False):
    s0 = server_cpu_ns(spid)
    p = subprocess.run(child_cmd(a, name, workload, verify, probe), env=child_env(a),
                       capture_output=True, text=True, timeout=a.timeout)
    s1 = server_cpu_ns(spid)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    err = " / ".join(p.stderr.strip().splitlines()[:2]) or "(no stderr)"
    if not lines:
        return {"driver": name, "workload": workload, "error": f"exit {p.returncode}: {err}"}
    r = json.loads(lines[-1])
    if p.returncode != 0:
        # The workload finished and reported; the process died afterwards (at close or exit).
        r["crash"] = f"exit {p.returncode} after reporting: {err}"
    if s0 is not None and s1 is not None:
        r["server_cpu"] = (s1 - s0) / 1e9
    return r


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_ratio(x, base):
    if not base or x != x or base != base:
        return "–"
    return f"{x / base:.2f}×"


def param_mode(status, queries):
    if not status:
        return "?"
    ex = status.get("Com_stmt_execute", 0)
    pr = status.get("Com_stmt_prepare", 0)
    if ex >= queries:
        return f"server-side prepare ({pr} COM_STMT_PREPARE, {ex} COM_STMT_EXECUTE)"
    return "client-side interpolation (COM_QUERY)"


def report(a, drivers, versions, skipped, results, checks, meta):
    out = []
    w = out.append
    w(f"Run {meta['date']} on {meta['host']}: {meta['cpus']} CPUs, Python {meta['python']}, "
      f"server {meta['server']} at {a.host}:{a.port}; client "
      + (f"pinned to CPU {a.pin} (server not pinned)" if a.pin is not None else "not pinned")
      + f"; {a.reps} repetitions after {a.warmup} warm-up round(s), interleaved, medians.")
    w("")
    w(f"Command: `{meta['cmd']}`")
    w("")
    w("| driver | version |")
    w("| --- | --- |")
    for d in drivers:
        w(f"| {d} | {versions.get(d, '–')}"
          + (" with connect(prepared=False); roundtrip-param only" if d == "mywire-text" else "")
          + " |")
    for d, why in skipped.items():
        w(f"| {d} | skipped: {why} |")
    w("")

    def vals(d, wl, key):
        return [r[key] for r in results.get((d, wl), []) if key in r]

    notes = []
    for wl in a.only:
        if wl.startswith("fetch") or wl == "stream":
            title = {"fetch": f"fetch: execute + fetchall() of {meta['rows']:,} rows, buffered cursor",
                     "stream": f"stream: execute + iterate {meta['rows']:,} rows, unbuffered (SSCursor-type) cursor"}[wl]
        else:
            title = {"roundtrip": f"roundtrip: {a.queries:,} × execute(\"SELECT 1\") + fetchall()",
                     "roundtrip-param": f"roundtrip-param: {a.queries:,} × execute(\"SELECT %s\", (i,)) + fetchall()"}[wl]
        w(f"### {title}")
        w("")
        base_w = med(vals("mywire", wl, "wall"))
        base_c = med(vals("mywire", wl, "cpu"))
        rt = wl.startswith("roundtrip")
        hdr = "| driver | wall min | wall median | client CPU median | wall ÷ mywire | CPU ÷ mywire |"
        sep = "| --- | ---: | ---: | ---: | ---: | ---: |"
        if rt:
            hdr += " µs/query (median) | server CPU median |"
            sep += " ---: | ---: |"
            if wl == "roundtrip-param":
                hdr += " how %s is sent |"
                sep += " --- |"
        else:
            hdr += " peak RSS (median) | server CPU median |"
            sep += " ---: | ---: |"
        w(hdr)
        w(sep)
        for d in drivers:
            if wl not in ONLY_WORKLOADS.get(d, WORKLOADS):
                continue
            rs = results.get((d, wl), [])
            errs = [r["error"] for r in rs if "error" in r]
            ws, cs = vals(d, wl, "wall"), vals(d, wl, "cpu")
            if not ws:
                w(f"| {d} | failed: {errs[0] if errs else 'no result'} |" + " |" * (sep.count("|") - 3))
                continue
            mw, mc = med(ws), med(cs)
            sc = vals(d, wl, "server_cpu")
            row = (f"| {d} | {min(ws):.3f} s | {mw:.3f} s | {mc:.3f} s | "
                   f"{fmt_ratio(mw, base_w)} | {fmt_ratio(mc, base_c)} |")
            if rt:
                row += f" {mw / a.queries * 1e6:.1f} | {med(sc):.3f} s |" if sc else \
                       f" {mw / a.queries * 1e6:.1f} | – |"
                if wl == "roundtrip-param":
                    st = next((r.get("status") for r in rs if r.get("status")), None)
                    row += f" {param_mode(st, a.queries)} |"
            else:
                rss = med(vals(d, wl, "peak_rss_kib")) / 1024
                row += f" {rss:.0f} MiB |" + (f" {med(sc):.3f} s |" if sc else " – |")
            crashes = [r["crash"] for r in rs if "crash" in r]
            if errs or crashes:
                row = row.replace(f"| {d} |", f"| {d} [{len(notes) + 1}] |", 1)
                what = []
                if errs:
                    what.append(f"{len(errs)} of {len(rs)} runs failed without a result "
                                f"(not in the figures): {errs[0]}")
                if crashes:
                    what.append(f"{len(crashes)} of {len(rs)} runs crashed after reporting "
                                f"(figures kept): {crashes[0]}")
                notes.append(f"[{len(notes) + 1}] {d} {wl}: " + "; ".join(what))
            w(row)
        w("")
    for n in notes:
        w(n)
        w("")
    w("Ratios are driver ÷ mywire (above 1.00× = mywire is faster / uses less CPU). Client CPU "
      "is the child's getrusage(RUSAGE_SELF) user+sys around the timed part; peak RSS is the "
      "child's VmHWM (interpreter + driver + result); server CPU is the mariadbd process's "
      "schedstat delta around the whole child (connect and warm-up included).")
    w("")
    w("### Correctness check (first 3 rows, normalised; full-result SHA-256 from the warm-up fetch)")
    w("")
    w("```")
    w("\n".join(checks))
    w("```")
    return "\n".join(out)


def correctness(drivers, check_results):
    lines = []
    ref_first = ref_hash = None
    ok = True
    for d in drivers:
        for wl in ("fetch", "stream"):
            r = check_results.get((d, wl))
            if not r or "first" not in r:
                continue
            first = [tuple(x) for x in r["first"]]
            if ref_first is None:
                ref_first = first
                lines.append("reference rows (" + d + "):")
                for row in first:
                    lines.append("  " + repr(row))
            same = first == ref_first
            ok &= same
            hs = r.get("sha256")
            if hs:
                if ref_hash is None:
                    ref_hash = hs
                ok &= hs == ref_hash
            lines.append(f"{d:15s} {wl:7s} rows={r['rows']:>8} first3={'same' if same else 'DIFFERENT'}"
                         + (f" sha256={hs[:16]}…{' same' if hs == ref_hash else ' DIFFERENT'}" if hs else "")
                         + f" types={'/'.join(r.get('types', []))}")
            if not same:
                for row in first:
                    lines.append("    " + repr(tuple(row)))
    lines.append("ALL DRIVERS AGREE" if ok else "MISMATCH between drivers (see above)")
    return lines, ok


def connect_any(a):
    """A connection for --setup and the server version: the first driver that is installed."""
    for mod in ("pymysql", "MySQLdb"):
        try:
            m = __import__(mod)
            return m.connect(host=a.host, port=a.port, user=a.user, password=a.password)
        except ImportError:
            continue
    return None


def run_sql_cli(a, sqls):
    cmd = ["mariadb", f"-h{a.host}", f"-P{a.port}", f"-u{a.user}"] + \
          ([f"-p{a.password}"] if a.password else [])
    subprocess.run(cmd, input=";\n".join(sqls) + ";\n", text=True, check=True)


def setup(a):
    sqls = [s.format(db=a.database, rows=a.rows) for s in SETUP_SQL]
    t0 = time.time()
    conn = connect_any(a)
    if conn is None:
        run_sql_cli(a, sqls)
    else:
        cur = conn.cursor()
        for s in sqls:
            cur.execute(s)
            if cur.description:
                cur.fetchall()
        conn.commit()
        conn.close()
    print(f"setup: {a.database}.{TABLE} with {a.rows:,} rows in {time.time() - t0:.1f} s")


def server_info(a):
    conn = connect_any(a)
    if conn is None:
        return "?", None
    cur = conn.cursor()
    cur.execute("SELECT VERSION()")
    v = cur.fetchone()[0]
    rows = None
    try:
        cur.execute(f"SELECT COUNT(*) FROM {a.database}.{TABLE}")
        rows = cur.fetchone()[0]
    except Exception:  # noqa: BLE001
        pass
    conn.close()
    return v, rows


def parent(a):
    if a.setup:
        setup(a)
        if not a.run:
            return
    sv, nrows = server_info(a)
    if nrows is None:
        sys.exit(f"table {a.database}.{TABLE} not found: run with --setup first")
    spid = server_pid(a.port) if a.host in ("127.0.0.1", "localhost", "::1") else None

    drivers, versions, skipped = [], {}, {}
    for d in a.drivers:
        r = run_child(a, d, "fetch", None, probe=True)
        if "skip" in r or "error" in r:
            skipped[d] = r.get("skip") or r.get("error")
            print(f"# skipping {d}: {skipped[d]}", file=sys.stderr)
        else:
            drivers.append(d)
            versions[d] = r["version"]
            print(f"# {d}: {r['version']}", file=sys.stderr)
    if not drivers:
        sys.exit("no driver installed")
    if "mywire" not in drivers:
        print("# note: mywire not importable, ratios to mywire are left out", file=sys.stderr)

    results, check_results = {}, {}
    total = a.warmup + a.reps
    t_start = time.time()
    for rep in range(total):
        warm = rep < a.warmup
        k = rep % len(drivers)
        order = drivers[k:] + drivers[:k]
        for wl in a.only:
            for d in order:
                if wl not in ONLY_WORKLOADS.get(d, WORKLOADS):
                    continue
                verify = warm and rep == 0 and wl == "fetch" and not a.no_verify
                r = run_child(a, d, wl, spid, verify=verify)
                tag = "warm-up" if warm else f"rep {rep - a.warmup + 1}/{a.reps}"
                if "crash" in r:
                    print(f"# {tag} {wl:15s} {d:15s} CRASH {r['crash']}", file=sys.stderr)
                if "error" in r:
                    print(f"# {tag} {wl:15s} {d:15s} ERROR {r['error']}", file=sys.stderr)
                else:
                    print(f"# {tag} {wl:15s} {d:15s} wall {r['wall']:8.3f} s  cpu {r['cpu']:8.3f} s"
                          f"  rss {r['peak_rss_kib'] / 1024:6.0f} MiB"
                          + (f"  server {r['server_cpu']:.3f} s" if "server_cpu" in r else ""),
                          file=sys.stderr)
                if rep == 0 and wl in ("fetch", "stream") and "error" not in r:
                    check_results[(d, wl)] = r
                if not warm:
                    results.setdefault((d, wl), []).append(r)
    checks, ok = correctness(drivers, check_results)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "server": sv,
        "rows": nrows,
        "cmd": " ".join(["python3", os.path.relpath(Path(__file__).resolve(), Path.cwd())]
                        + sys.argv[1:]),
    }
    text = report(a, drivers, versions, skipped, results, checks, meta)
    text += f"\n\nTotal run time {time.time() - t_start:.0f} s.\n"
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    if a.json:
        Path(a.json).write_text(json.dumps(
            {"meta": meta, "versions": versions, "skipped": skipped,
             "results": {f"{d}/{wl}": rs for (d, wl), rs in results.items()}}, indent=1))
    if not ok:
        sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3306)
    p.add_argument("--user", default="root")
    p.add_argument("--password", default="")
    p.add_argument("--database", default="mywire_pybench")
    p.add_argument("--setup", action="store_true", help="create the database and table, then exit")
    p.add_argument("--run", action="store_true", help="with --setup: run the benchmark after it")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows for --setup (default 1,000,000)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="discarded warm-up rounds (default 1)")
    p.add_argument("--queries", type=int, default=20_000, help="roundtrip queries (default 20,000)")
    p.add_argument("--warm-queries", type=int, default=500,
                   help="untimed roundtrip queries in each child before the clock (default 500)")
    p.add_argument("--drivers", default=",".join(DRIVERS),
                   help="comma list, default: " + ",".join(DRIVERS))
    p.add_argument("--only", default=",".join(WORKLOADS),
                   help="comma list of workloads, default: " + ",".join(WORKLOADS))
    p.add_argument("--pin", type=int, default=None, metavar="CPU",
                   help="pin each client process to this CPU (the server is left alone)")
    p.add_argument("--mywire-path", default=str(DEFAULT_MYWIRE_PATH),
                   help=f"put this on PYTHONPATH for the children (default {DEFAULT_MYWIRE_PATH})")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the full-result SHA-256 in the warm-up fetch")
    p.add_argument("--timeout", type=float, default=900, help="seconds per child (default 900)")
    p.add_argument("--out", help="also write the markdown report here")
    p.add_argument("--json", help="write every child's raw result here")
    # child mode
    p.add_argument("--child", nargs=2, metavar=("DRIVER", "WORKLOAD"), help=argparse.SUPPRESS)
    p.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a)
        return
    a.drivers = [d.strip() for d in a.drivers.split(",") if d.strip()]
    a.only = [w.strip() for w in a.only.split(",") if w.strip()]
    for d in a.drivers:
        if d not in DRIVERS:
            p.error(f"unknown driver {d!r} (known: {', '.join(DRIVERS)})")
    for wl in a.only:
        if wl not in WORKLOADS:
            p.error(f"unknown workload {wl!r} (known: {', '.join(WORKLOADS)})")
    parent(a)


if __name__ == "__main__":
    main()
