"""SSCursor / SSDictCursor: unbuffered results, flat memory, abandoned streams."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import mywire
import mywire.cursors
from conftest import scalar, seq_sql


def test_sscursor_rows(conn, server):
    cur = conn.cursor(mywire.cursors.SSCursor)
    cur.execute(seq_sql(server, 10000, "CONCAT('r', seq)"))
    first = cur.fetchone()
    assert first == (1, "r1") and type(first) is tuple
    assert list(cur.fetchmany(3)) == [(2, "r2"), (3, "r3"), (4, "r4")]
    rest = [r for r in cur]
    assert len(rest) == 9996 and rest[-1] == (10000, "r10000")
    assert cur.fetchone() is None
    cur.close()
    assert scalar(conn, "SELECT 1") == 1


def test_sscursor_prepared_and_fetchall(conn, server):
    cur = conn.cursor(mywire.cursors.SSCursor)
    cur.execute(seq_sql(server, 5000).replace("SELECT seq", "SELECT seq, %s", 1), ("p",))
    rows = list(cur.fetchall())
    assert len(rows) == 5000 and rows[0] == (1, "p") and rows[-1] == (5000, "p")
    cur.close()


def test_ssdictcursor(conn, server):
    cur = conn.cursor(mywire.cursors.SSDictCursor)
    cur.execute(seq_sql(server, 3, "seq * 2 AS dbl"))
    assert list(cur) == [{"seq": 1, "dbl": 2}, {"seq": 2, "dbl": 4}, {"seq": 3, "dbl": 6}]
    cur.close()


def test_abandoned_sscursor_then_new_query(conn, server):
    cur = conn.cursor(mywire.cursors.SSCursor)
    cur.execute(seq_sql(server, 100000))
    assert cur.fetchone() == (1,)
    # not consumed, not closed: the connection must still serve the next statement
    other = conn.cursor()
    other.execute("SELECT 42")
    assert other.fetchone() == (42,)
    other.execute("SELECT %s", ("prep",))
    assert other.fetchone() == ("prep",)
    # closing mid-stream is also fine
    cur2 = conn.cursor(mywire.cursors.SSCursor)
    cur2.execute(seq_sql(server, 100000))
    cur2.fetchmany(10)
    cur2.close()
    assert scalar(conn, "SELECT 43") == 43
    # re-executing the same SSCursor mid-stream
    cur3 = conn.cursor(mywire.cursors.SSCursor)
    cur3.execute(seq_sql(server, 100000))
    cur3.fetchone()
    cur3.execute("SELECT 44")
    assert cur3.fetchone() == (44,)
    cur3.close()
    # the same with a prepared (binary protocol) stream
    cur4 = conn.cursor(mywire.cursors.SSCursor)
    cur4.execute(seq_sql(server, 100000) + (" WHERE seq > %s" if server["is_mariadb"] else ""),
                 (0,) if server["is_mariadb"] else None)
    assert cur4.fetchone() == (1,)
    assert scalar(conn, "SELECT %s", (45,)) == 45
    cur4.close()


def test_sscursor_error_mid_stream(conn):
    sql = ("SELECT s.n, (SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) x WHERE s.n > 3) FROM"
           " (SELECT 1 n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
           " UNION ALL SELECT 5) s")
    for suffix, args in (("", None), (" WHERE s.n > %s", (0,))):
        cur = conn.cursor(mywire.cursors.SSCursor)
        with pytest.raises(mywire.DatabaseError) as ei:
            cur.execute(sql + suffix, args)
            list(cur)
        assert ei.value.args[0] == 1242
        assert scalar(conn, "SELECT 'ok'") == "ok"
        assert scalar(conn, "SELECT %s", ("ok",)) == "ok"


MEASURE = textwrap.dedent("""
    import json, sys, tracemalloc
    import mywire, mywire.cursors
    params, sql, kind = json.loads(sys.argv[1])

    def rss_kib(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])

    c = mywire.connect(**params)
    warm = c.cursor(mywire.cursors.SSCursor if kind != "buffered" else mywire.cursors.Cursor)
    warm.execute("SELECT 1"); warm.fetchall()
    warm.execute("SELECT %s", (1,)); warm.fetchall(); warm.close()
    base = rss_kib("VmRSS")
    tracemalloc.start()
    if kind in ("ss", "ss_prepared"):
        cur = c.cursor(mywire.cursors.SSCursor)
        if kind == "ss":
            cur.execute(sql)
        else:
            cur.execute("SELECT * FROM (" + sql + ") q WHERE seq > %s", (0,))
        n = 0
        for row in cur:
            n += 1
        keep = None
    else:
        cur = c.cursor()
        cur.execute(sql)
        keep = cur.fetchall()
        n = len(keep)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps(dict(rows=n, rss_growth_kib=rss_kib("VmHWM") - base,
                          traced_peak_kib=traced_peak // 1024)))
""")


def _measure(db_params, sql, kind):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.path.dirname(os.path.dirname(
        mywire.__file__)), env.get("PYTHONPATH", "")] if p)
    out = subprocess.run([sys.executable, "-c", MEASURE, json.dumps([db_params, sql, kind])],
                         capture_output=True, text=True, env=env, timeout=150)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sscursor_memory_is_flat(db_params, server):
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc for RSS")
    n = 300000
    sql = seq_sql(server, n, "REPEAT('x', 100) AS pad")
    buf = _measure(db_params, sql, "buffered")
    for kind in ("ss", "ss_prepared"):
        ss = _measure(db_params, sql, kind)
        _check_flat(ss, buf, n, kind)


def _check_flat(ss, buf, n, kind):
    assert ss["rows"] == n and buf["rows"] == n
    report = f"{kind} {ss}, buffered {buf}"
    # the buffered fetchall holds 300k tuples of (int, 100-char str): tens of MiB
    assert buf["rss_growth_kib"] > 20 * 1024, "measurement sanity: " + report
    assert ss["rss_growth_kib"] < buf["rss_growth_kib"] / 4, report
    assert ss["rss_growth_kib"] < 16 * 1024, report
    assert ss["traced_peak_kib"] < buf["traced_peak_kib"] / 10, report
