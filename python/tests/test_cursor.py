"""Cursor API: execute/executemany, fetch*, description, rowcount, lastrowid, callproc, nextset,
parameters (pyformat), DictCursor, prepared vs text protocol."""

import pytest

import mywire
import mywire.cursors
from conftest import create_table, query, scalar, status


def test_rowcount_and_execute_return(conn, cur):
    assert cur.rowcount == -1
    assert cur.description is None
    create_table(conn, "t", "id INT PRIMARY KEY AUTO_INCREMENT, v INT")
    assert cur.execute("INSERT INTO t (v) VALUES (1), (2), (3)") == 3
    assert cur.rowcount == 3
    assert cur.description is None
    assert cur.execute("UPDATE t SET v = v + 10 WHERE v >= %s", (2,)) == 2
    assert cur.rowcount == 2
    assert cur.execute("UPDATE t SET v = v WHERE id = 1") == 0  # matched, not changed
    assert cur.execute("SELECT * FROM t") == 3
    assert cur.rowcount == 3
    assert cur.execute("SELECT * FROM t WHERE v > %s", (10,)) == 2
    assert cur.rowcount == 2
    assert cur.execute("DELETE FROM t WHERE id = %s", (3,)) == 1
    assert cur.rowcount == 1


def test_lastrowid(conn, cur):
    create_table(conn, "t", "id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, v INT")
    cur.execute("INSERT INTO t (v) VALUES (1)")
    assert cur.lastrowid == 1
    cur.execute("INSERT INTO t (v) VALUES (%s)", (2,))
    assert cur.lastrowid == 2
    cur.execute("INSERT INTO t (id, v) VALUES (%s, %s)", (18446744073709551610, 3))
    assert cur.lastrowid == 18446744073709551610


def test_fetch_methods(conn, cur):
    for args in (None, (0,)):
        sql = "SELECT seq FROM (SELECT 1 seq UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL " \
              "SELECT 4 UNION ALL SELECT 5) s" + (" WHERE seq > %s" if args else "") + \
              " ORDER BY seq"
        cur.execute(sql, args)
        assert cur.arraysize == 1
        row = cur.fetchone()
        assert row == (1,) and type(row) is tuple
        assert list(cur.fetchmany()) == [(2,)]
        assert list(cur.fetchmany(2)) == [(3,), (4,)]
        assert list(cur.fetchall()) == [(5,)]
        assert cur.fetchone() is None
        assert list(cur.fetchall()) == []
        assert list(cur.fetchmany(3)) == []
        cur.execute(sql, args)
        cur.arraysize = 2
        assert list(cur.fetchmany()) == [(1,), (2,)]
        assert [r for r in cur] == [(3,), (4,), (5,)]
        cur.arraysize = 1


def test_fetch_without_result(conn, cur):
    with pytest.raises(mywire.Error):
        cur.fetchone()  # no execute yet


def test_cursor_close_and_context_manager(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    cur.close()  # twice is fine
    with pytest.raises(mywire.Error):
        cur.execute("SELECT 1")
    with conn.cursor() as c2:
        c2.execute("SELECT 2")
        assert c2.fetchone() == (2,)
    with pytest.raises(mywire.Error):
        c2.execute("SELECT 1")
    assert scalar(conn, "SELECT 3") == 3  # the connection is unaffected


def test_description(conn, cur):
    create_table(conn, "t", "id INT NOT NULL, `ñame` VARCHAR(20)")
    cur.execute("INSERT INTO t VALUES (1, 'a')")
    text_desc = None
    for args in (None, (1,)):
        cur.execute("SELECT id, `ñame`, id + 1 AS plus FROM t" + (" WHERE id = %s" if args else ""),
                    args)
        d = cur.description
        assert [c[0] for c in d] == ["id", "ñame", "plus"]
        assert all(len(c) == 7 for c in d)
        assert d[0][1] == mywire.NUMBER and d[1][1] == mywire.STRING
        assert not d[0][6] and d[1][6]
        key = [(c[0], c[1], c[5], bool(c[6])) for c in d]
        if text_desc is None:
            text_desc = key
        else:
            assert key == text_desc, "description differs between text and prepared"
        cur.fetchall()
    cur.execute("SELECT 1 FROM t WHERE 1 = 0")
    assert cur.description is not None and cur.rowcount == 0
    assert list(cur.fetchall()) == []


def test_pyformat_params(cur):
    cur.execute("SELECT %s, %s", (1, "a"))
    assert cur.fetchone() == (1, "a")
    cur.execute("SELECT %s, %s", [2, "b"])  # a list works too
    assert cur.fetchone() == (2, "b")
    cur.execute("SELECT %(a)s, %(b)s, %(a)s", {"a": 7, "b": "x"})
    assert cur.fetchone() == (7, "x", 7)
    cur.execute("SELECT '100%%', %s, CONCAT(%s, '%%')", (5, "50"))
    assert cur.fetchone() == ("100%", 5, "50%")
    cur.execute("SELECT 'x' LIKE %s", ("%",))
    assert cur.fetchone() == (1,)
    cur.execute("SELECT %(a)s LIKE '%%'", {"a": "q"})
    assert cur.fetchone() == (1,)


def test_no_args_means_no_interpolation(cur):
    # PyMySQL: without args the SQL goes as it is, so a lone % needs no doubling.
    cur.execute("SELECT '100%', 'a%sb', '%%'")
    assert cur.fetchone() == ("100%", "a%sb", "%%")


def test_param_count_mismatch(cur):
    with pytest.raises((mywire.ProgrammingError, TypeError)):
        cur.execute("SELECT %s, %s", (1,))
    with pytest.raises((mywire.ProgrammingError, TypeError)):
        cur.execute("SELECT %s", (1, 2))
    with pytest.raises((mywire.ProgrammingError, KeyError)):
        cur.execute("SELECT %(a)s", {"b": 1})
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_text_vs_prepared_protocol(connect):
    """No args: COM_QUERY; args: a prepared statement (Com_stmt_execute); prepared=False:
    never a prepared statement."""
    c = connect()
    cur = c.cursor()
    before = status(c, "Com_stmt_execute")
    cur.execute("SELECT 1")
    cur.fetchall()
    assert status(c, "Com_stmt_execute") == before
    cur.execute("SELECT %s", (1,))
    cur.fetchall()
    cur.execute("SELECT %s", (2,))
    assert list(cur.fetchall()) == [(2,)]
    assert status(c, "Com_stmt_execute") == before + 2
    t = connect(prepared=False)
    tcur = t.cursor()
    before = status(t, "Com_stmt_execute")
    tcur.execute("SELECT %s, %s", (1, "x"))
    assert tcur.fetchone() == (1, "x")
    assert status(t, "Com_stmt_execute") == before
    assert status(t, "Com_stmt_prepare") == 0


def test_prepared_statement_reuse(conn, cur):
    for i in range(200):
        cur.execute("SELECT %s + 1, %s", (i, str(i)))
        assert cur.fetchone() == (i + 1, str(i))
    # more distinct statements than any sane cache, then the first ones again
    for rnd in range(2):
        for i in range(60):
            cur.execute(f"SELECT %s + {i}", (rnd,))
            assert cur.fetchone() == (rnd + i,)


def test_prepared_after_alter_table(conn, cur):
    create_table(conn, "t", "id INT, a INT")
    cur.execute("INSERT INTO t VALUES (1, 10)")
    cur.execute("SELECT * FROM t WHERE id = %s", (1,))
    assert list(cur.fetchall()) == [(1, 10)]
    cur.execute("ALTER TABLE t ADD COLUMN b VARCHAR(5) DEFAULT 'bee'")
    cur.execute("SELECT * FROM t WHERE id = %s", (1,))
    assert [c[0] for c in cur.description] == ["id", "a", "b"]
    assert list(cur.fetchall()) == [(1, 10, "bee")]


def test_many_params(cur):
    vals = list(range(1000))
    cur.execute("SELECT CONCAT_WS(',', " + ", ".join(["%s"] * len(vals)) + ")", vals)
    assert cur.fetchone() == (",".join(map(str, vals)),)


def test_executemany(conn, cur):
    create_table(conn, "t", "id INT PRIMARY KEY, v VARCHAR(20)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "a"), (2, "b"), (3, None)])
    assert cur.rowcount == 3
    cur.executemany("INSERT INTO t VALUES (%(id)s, %(v)s)", [{"id": 4, "v": "d"},
                                                               {"id": 5, "v": "é😀"}])
    assert cur.rowcount == 2
    assert query(conn, "SELECT * FROM t ORDER BY id") == [
        (1, "a"), (2, "b"), (3, None), (4, "d"), (5, "é😀")]
    cur.executemany("UPDATE t SET v = CONCAT(IFNULL(v, ''), '!') WHERE id <= %s", [(2,), (3,)])
    assert cur.rowcount == 2 + 3
    cur.executemany("INSERT INTO t VALUES (%s, %s)", ((i, str(i)) for i in range(100, 1100)))
    assert cur.rowcount == 1000
    assert scalar(conn, "SELECT COUNT(*) FROM t") == 1005
    assert scalar(conn, "SELECT SUM(id) FROM t WHERE id >= 100") == sum(range(100, 1100))


def test_executemany_text_mode(connect):
    c = connect(prepared=False)
    create_table(c, "t", "id INT PRIMARY KEY, v VARCHAR(20)")
    cur = c.cursor()
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "it's"), (2, "a\\b"), (3, None)])
    assert cur.rowcount == 3
    assert query(c, "SELECT * FROM t ORDER BY id") == [(1, "it's"), (2, "a\\b"), (3, None)]


def test_executemany_error_leaves_connection_usable(conn, cur):
    create_table(conn, "t", "id INT PRIMARY KEY")
    with pytest.raises(mywire.IntegrityError) as ei:
        cur.executemany("INSERT INTO t VALUES (%s)", [(1,), (2,), (2,), (3,)])
    assert ei.value.args[0] == 1062
    assert scalar(conn, "SELECT 42") == 42
    cur.execute("SELECT %s", ("ok",))
    assert cur.fetchone() == ("ok",)


def test_dict_cursor(conn):
    cur = conn.cursor(mywire.cursors.DictCursor)
    cur.execute("SELECT 1 AS a, 'x' AS b, NULL AS c")
    assert cur.fetchone() == {"a": 1, "b": "x", "c": None}
    cur.execute("SELECT %s AS a, %s AS `ü`", (2, "y"))
    rows = list(cur.fetchall())
    assert rows == [{"a": 2, "ü": "y"}] and type(rows[0]) is dict
    cur.execute("SELECT 1 AS n UNION ALL SELECT 2")
    assert [r["n"] for r in cur] == [1, 2]


def test_callproc_and_nextset(conn):
    cur = conn.cursor()
    cur.execute("""
        CREATE PROCEDURE p(IN a INT, IN b VARCHAR(10))
        BEGIN
            SELECT a AS first;
            SELECT b AS second, a + 1 AS third;
            SET @dummy = a;
        END""")
    assert cur.callproc("p", (5, "five")) == (5, "five")
    sets = []
    while True:
        if cur.description is not None:
            sets.append(list(cur.fetchall()))
        if not cur.nextset():
            break
    assert sets == [[(5,)], [("five", 6)]]
    assert not cur.nextset()
    assert scalar(conn, "SELECT 'after'") == "after"


def test_call_via_execute_with_out_param(conn, cur):
    cur.execute("CREATE PROCEDURE q(IN a INT, OUT b INT) BEGIN SET b = a * 2; SELECT a; END")
    cur.execute("CALL q(%s, @out)", (21,))
    assert list(cur.fetchall()) == [(21,)]
    while cur.nextset():
        pass
    assert scalar(conn, "SELECT @out") == 42


def test_nextset_single_result(cur):
    cur.execute("SELECT 1")
    assert list(cur.fetchall()) == [(1,)]
    assert not cur.nextset()
    cur.execute("SELECT %s", (1,))
    assert not cur.nextset()


# Statements the server refuses in COM_STMT_PREPARE still work with parameters: the driver
# falls back to client-side interpolation. MariaDB 10.11 answers 1295 for PREPARE/EXECUTE/
# DEALLOCATE, but 1064 for a placeholder where the grammar wants a literal (SHOW ... LIKE ?,
# XA START ?).

def test_unpreparable_show_like_with_params(conn, cur):
    cur.execute("SHOW VARIABLES LIKE %s", ("max_allowed_packet",))
    rows = list(cur.fetchall())
    assert len(rows) == 1 and rows[0][0] == "max_allowed_packet"
    cur.execute("SHOW SESSION STATUS LIKE %s", ("Com_sel%",))
    assert [r[0] for r in cur.fetchall()] == ["Com_select"]
    assert scalar(conn, "SELECT %s", ("still fine",)) == "still fine"


def test_unpreparable_1295_with_params(conn, cur):
    cur.execute("PREPARE s1 FROM %s", ("SELECT 41 + ?",))
    cur.execute("EXECUTE s1 USING %s", (1,))
    assert list(cur.fetchall()) == [(42,)]
    cur.execute("DEALLOCATE PREPARE s1")
    # the fallback's interpolation honours NO_BACKSLASH_ESCAPES too
    for mode in ("", "NO_BACKSLASH_ESCAPES"):
        cur.execute(f"SET SESSION sql_mode = '{mode}'")
        cur.execute("PREPARE s2 FROM %s", ("SELECT 'it''s a \\\\ b', ?",))
        cur.execute("EXECUTE s2 USING %s", ("x'\\y",))
        expect = "it's a \\\\ b" if mode else "it's a \\ b"
        assert list(cur.fetchall()) == [(expect, "x'\\y")], mode
        cur.execute("DEALLOCATE PREPARE s2")
    assert scalar(conn, "SELECT %s", ("still fine",)) == "still fine"


def test_unpreparable_xa_with_params(conn, cur):
    cur.execute("XA START %s", ("mywire-xid",))
    cur.execute("XA END %s", ("mywire-xid",))
    cur.execute("XA ROLLBACK %s", ("mywire-xid",))
    assert scalar(conn, "SELECT %s", ("still fine",)) == "still fine"


def test_real_syntax_error_with_params_is_reported(cur):
    with pytest.raises(mywire.ProgrammingError) as ei:
        cur.execute("SELEKT %s", (1,))
    assert ei.value.args[0] == 1064
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_large_packets(conn, cur, server):
    n = 17 * 1024 * 1024  # more than one 16 MiB packet
    if server["max_allowed_packet"] < 3 * n:
        pytest.skip("max_allowed_packet too small for a 17 MiB round trip")
    create_table(conn, "t", "id INT, b LONGBLOB")
    blob = bytes(range(256)) * (n // 256) + b"\x00\\'\""
    cur.execute("INSERT INTO t VALUES (1, %s)", (blob,))
    assert scalar(conn, "SELECT LENGTH(b) FROM t") == len(blob)
    assert scalar(conn, "SELECT b FROM t") == blob
    assert scalar(conn, "SELECT b FROM t WHERE id = %s", (1,)) == blob


def test_interleaved_buffered_cursors(conn):
    a, b = conn.cursor(), conn.cursor()
    a.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
    b.execute("SELECT %s UNION ALL SELECT %s", ("x", "y"))
    assert a.fetchone() == (1,)
    assert b.fetchone() == ("x",)
    assert list(a.fetchall()) == [(2,), (3,)]
    assert list(b.fetchall()) == [("y",)]


def test_null_bitmaps(conn, cur):
    """NULLs at every position of a wide row, as parameters (the parameter NULL bitmap) and in
    results (the binary row's NULL bitmap, offset by 2 bits)."""
    n = 20
    create_table(conn, "t", "id INT PRIMARY KEY, " + ", ".join(f"c{i} VARCHAR(8)" for i in range(n)))
    rows = []
    for k in range(4):
        vals = [None if (i + k) % (k + 2) == 0 else f"v{i}" for i in range(n)]
        rows.append((k, *vals))
        cur.execute("INSERT INTO t VALUES (" + ", ".join(["%s"] * (n + 1)) + ")", (k, *vals))
    assert query(conn, "SELECT * FROM t ORDER BY id") == rows
    assert query(conn, "SELECT * FROM t WHERE id >= %s ORDER BY id", (0,)) == rows
    for r in rows:
        cur.execute("SELECT " + ", ".join(["%s"] * len(r)), r)
        assert cur.fetchone() == r


def test_fetchmany_of_no_rows_moves_nothing(cur):
    """fetchmany(0) and a negative size give no rows and leave the position alone, buffered
    or not."""
    import mywire.cursors

    for c in (cur, cur.connection.cursor(mywire.cursors.SSCursor)):
        c.execute("SELECT 1 UNION SELECT 2 UNION SELECT 3")
        assert c.fetchone() == (1,)
        assert c.fetchmany(0) == [] and c.fetchmany(-1) == []
        assert c.rownumber == 1
        assert c.fetchmany(5) == [(2,), (3,)]
        c.close()
