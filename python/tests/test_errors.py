"""Server errors map to the PEP 249 classes with args == (code, message), over both protocols,
and never leave the connection unusable; lost and killed connections."""

import threading
import time

import pytest

import mywire
from conftest import create_table, scalar

SETUP = "id INT PRIMARY KEY, s VARCHAR(3), n TINYINT NOT NULL DEFAULT 0"

# (id, sql without params, the same with params, params, class, code)
ERRORS = [
    ("dup_key_1062", "INSERT INTO t (id) VALUES (1)", "INSERT INTO t (id) VALUES (%s)", (1,),
     "IntegrityError", 1062),
    ("not_null_1048", "INSERT INTO t (id, n) VALUES (5, NULL)",
     "INSERT INTO t (id, n) VALUES (%s, %s)", (5, None), "IntegrityError", 1048),
    ("syntax_1064", "SELEKT 1", "SELEKT %s", (1,), "ProgrammingError", 1064),
    ("no_table_1146", "SELECT * FROM no_such_table", "SELECT * FROM no_such_table WHERE id = %s",
     (1,), "ProgrammingError", 1146),
    ("too_long_1406", "INSERT INTO t (id, s) VALUES (7, 'abcdef')",
     "INSERT INTO t (id, s) VALUES (%s, %s)", (7, "abcdef"), "DataError", 1406),
    ("out_of_range_1264", "INSERT INTO t (id, n) VALUES (8, 1000)",
     "INSERT INTO t (id, n) VALUES (%s, %s)", (8, 1000), "DataError", 1264),
]


@pytest.mark.parametrize("with_params", [False, True], ids=["text", "prepared"])
@pytest.mark.parametrize("err", ERRORS, ids=[e[0] for e in ERRORS])
def test_server_error_mapping(conn, err, with_params):
    _, sql, psql, params, cls_name, code = err
    create_table(conn, "t", SETUP)
    cur = conn.cursor()
    cur.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'")
    cur.execute("INSERT INTO t (id) VALUES (1)")
    with pytest.raises(getattr(mywire, cls_name)) as ei:
        if with_params:
            cur.execute(psql, params)
        else:
            cur.execute(sql)
    e = ei.value
    assert len(e.args) == 2, e.args
    assert type(e.args[0]) is int and e.args[0] == code, e.args
    assert isinstance(e.args[1], str) and e.args[1], e.args
    # the connection is fine afterwards, both protocols, same cursor and a new one
    cur.execute("SELECT COUNT(*) FROM t")
    assert cur.fetchone() == (1,)
    assert scalar(conn, "SELECT %s", ("next",)) == "next"


def test_duplicate_message(conn, cur):
    create_table(conn, "t", "id INT PRIMARY KEY")
    cur.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(mywire.IntegrityError) as ei:
        cur.execute("INSERT INTO t VALUES (%s)", (1,))
    assert "Duplicate entry" in ei.value.args[1]
    conn.commit()
    assert scalar(conn, "SELECT COUNT(*) FROM t") == 1


def test_error_mid_result(conn):
    """An ERR after some rows (subquery returns more than one row from row 4 on)."""
    sql = ("SELECT s.n, (SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) x WHERE s.n > 3) FROM"
           " (SELECT 1 n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4"
           " UNION ALL SELECT 5) s")
    for suffix, args in (("", None), (" WHERE s.n > %s", (0,))):
        cur = conn.cursor()
        with pytest.raises(mywire.DatabaseError) as ei:
            cur.execute(sql + suffix, args)
            cur.fetchall()
        assert ei.value.args[0] == 1242
        assert scalar(conn, "SELECT 'ok'") == "ok"
        assert scalar(conn, "SELECT %s", ("ok2",)) == "ok2"


def test_killed_connection(connect):
    victim = connect()
    killer = connect()
    tid = victim.thread_id()
    killer.cursor().execute(f"KILL CONNECTION {tid}")
    time.sleep(0.2)
    with pytest.raises(mywire.OperationalError):
        victim.cursor().execute("SELECT 1")
    # broken for good: every later call says so
    with pytest.raises((mywire.OperationalError, mywire.InterfaceError)):
        victim.cursor().execute("SELECT %s", (1,))
    assert scalar(killer, "SELECT 1") == 1


def test_kill_during_query(connect):
    victim = connect()
    killer = connect()
    tid = victim.thread_id()
    t = threading.Timer(0.5, lambda: killer.cursor().execute(f"KILL CONNECTION {tid}"))
    t.start()
    try:
        with pytest.raises(mywire.OperationalError):
            victim.cursor().execute("SELECT SLEEP(20)")
    finally:
        t.join()
    with pytest.raises((mywire.OperationalError, mywire.InterfaceError)):
        victim.cursor().execute("SELECT 1")


def test_kill_query_keeps_connection(connect):
    victim = connect()
    killer = connect()
    tid = victim.thread_id()
    t = threading.Timer(0.5, lambda: killer.cursor().execute(f"KILL QUERY {tid}"))
    t.start()
    try:
        # SLEEP() interrupted returns 1 (MariaDB), or the statement fails with 1317
        try:
            assert scalar(victim, "SELECT SLEEP(20)") == 1
        except mywire.OperationalError as e:
            assert e.args[0] == 1317
    finally:
        t.join()
    assert scalar(victim, "SELECT 'alive'") == "alive"


def test_read_timeout_is_lost_connection(connect):
    c = connect(read_timeout=1)
    start = time.monotonic()
    with pytest.raises(mywire.OperationalError) as ei:
        c.cursor().execute("SELECT SLEEP(5)")
    assert ei.value.args[0] == 2013, ei.value.args
    assert time.monotonic() - start < 4.5
    # the session is broken now: OperationalError 2006, not a hang or a desynchronised reply
    with pytest.raises(mywire.OperationalError) as ei:
        c.cursor().execute("SELECT 1")
    assert ei.value.args[0] in (2006, 2013), ei.value.args


def test_warning_is_not_raised(conn, cur):
    # a statement with warnings is not an error
    cur.execute("SELECT CAST('12abc' AS INTEGER)")
    assert cur.fetchone() == (12,)


def test_lock_wait_timeout(connect):
    a = connect()
    b = connect()
    create_table(a, "t", "id INT PRIMARY KEY, v INT")
    a.cursor().execute("INSERT INTO t VALUES (1, 0)")
    a.commit()
    a.cursor().execute("SELECT * FROM t WHERE id = 1 FOR UPDATE")
    cb = b.cursor()
    cb.execute("SET SESSION innodb_lock_wait_timeout = 1")
    with pytest.raises(mywire.OperationalError) as ei:
        cb.execute("UPDATE t SET v = %s WHERE id = %s", (5, 1))
    assert ei.value.args[0] == 1205
    a.rollback()
    cb.execute("UPDATE t SET v = %s WHERE id = %s", (6, 1))
    b.commit()
    assert scalar(a, "SELECT v FROM t") == 6
