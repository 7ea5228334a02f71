"""connect() options, Connection methods and attributes, transactions."""

import os
import socket
import urllib.parse

import pytest

import mywire
import mywire.cursors
from conftest import create_table, query, scalar, skip_or_fail


def test_connect_basics(conn, db_params):
    assert conn.open
    assert scalar(conn, "SELECT DATABASE()") == db_params["database"]
    assert scalar(conn, "SELECT 1 + 1") == 2


def test_db_alias_and_no_database(connect, db_params):
    p = {k: v for k, v in db_params.items() if k != "database"}
    c = mywire.connect(**p, db=db_params["database"])
    try:
        assert scalar(c, "SELECT DATABASE()") == db_params["database"]
    finally:
        c.close()
    c = mywire.connect(**p)
    try:
        assert scalar(c, "SELECT DATABASE()") is None
    finally:
        c.close()


def test_url(connect, db_params):
    p = db_params
    url = "mysql://{}:{}@{}:{}/{}".format(
        urllib.parse.quote(p["user"], safe=""), urllib.parse.quote(p["password"], safe=""),
        p["host"], p["port"], p["database"])
    c = connect(url)
    assert scalar(c, "SELECT DATABASE()") == p["database"]
    assert scalar(c, "SELECT CURRENT_USER()").split("@")[0] == p["user"]
    c2 = connect(url + "?compress=zlib")
    assert query(c2, "SHOW SESSION STATUS LIKE 'Compression'") == [("Compression", "ON")]
    assert scalar(c2, "SELECT LENGTH(REPEAT('ab', 100000))") == 200000


def test_compress_option(connect):
    c = connect(compress=True)
    assert query(c, "SHOW SESSION STATUS LIKE 'Compression'") == [("Compression", "ON")]
    big = scalar(c, "SELECT REPEAT('xyz', 400000)")
    assert big == "xyz" * 400000
    assert scalar(c, "SELECT %s", ("é" * 100000,)) == "é" * 100000
    c2 = connect()
    assert query(c2, "SHOW SESSION STATUS LIKE 'Compression'") == [("Compression", "OFF")]


def test_unix_socket(connect, db_params, server):
    path = server["socket"]
    if not path or not os.path.exists(path) or db_params["host"] not in ("127.0.0.1", "localhost",
                                                                         "::1"):
        skip_or_fail(f"the server's socket {path!r} is not reachable from here")
    p = {k: v for k, v in db_params.items() if k not in ("host", "port")}
    c = connect(**p, unix_socket=path)
    assert scalar(c, "SELECT 7") == 7
    host = scalar(c, "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
    assert host == "localhost"


def test_ssl_mode(connect, server):
    c = connect(ssl_mode="DISABLED")
    assert query(c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'") == [("Ssl_cipher", "")]
    if server["have_ssl"] != "YES":
        with pytest.raises(mywire.OperationalError):
            connect(ssl_mode="REQUIRED")
        skip_or_fail("the server has no TLS (have_ssl != YES); REQUIRED refused as it should")
    c = connect(ssl_mode="REQUIRED")
    cipher = query(c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")[0][1]
    assert cipher, "ssl_mode=REQUIRED but the session is not encrypted"


def test_bad_password(db_params):
    with pytest.raises(mywire.OperationalError) as ei:
        mywire.connect(**{**db_params, "password": db_params["password"] + "-wrong"})
    assert ei.value.args[0] == 1045
    assert isinstance(ei.value.args[1], str)


def test_unknown_database(db_params):
    with pytest.raises(mywire.OperationalError) as ei:
        mywire.connect(**{**db_params, "database": "mywire_no_such_db_x"})
    assert ei.value.args[0] in (1044, 1049), ei.value.args  # no such db, or no access to it


def test_refused_port(db_params):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(mywire.OperationalError):
        mywire.connect(**{**db_params, "host": "127.0.0.1", "port": port, "connect_timeout": 5})


def test_init_command_charset_and_timeouts(connect):
    c = connect(init_command="SET @mywire_init = 42", charset="utf8mb4", connect_timeout=10,
                read_timeout=30, write_timeout=30)
    assert scalar(c, "SELECT @mywire_init") == 42
    assert scalar(c, "SELECT @@character_set_client") == "utf8mb4"
    assert scalar(c, "SELECT @@character_set_results") == "utf8mb4"
    assert scalar(c, "SELECT %s", ("😀",)) == "😀"


def test_charset_latin1(connect):
    # charset= names the connection character set; a driver that speaks only utf8mb4 must say
    # so at connect time (NotSupportedError) rather than mis-decode
    try:
        c = connect(charset="latin1")
    except mywire.NotSupportedError:
        c = None
    if c is not None:
        assert scalar(c, "SELECT @@character_set_connection") == "latin1"
        assert scalar(c, "SELECT %s", ("café ÿ",)) == "café ÿ"
        assert scalar(c, "SELECT 'naïve'") == "naïve"
    assert scalar(connect(charset="utf8"), "SELECT 'é'") == "é"
    assert scalar(connect(charset="utf8mb4"), "SELECT 'é😀'") == "é😀"


def test_latin1_column(conn):
    c = conn
    create_table(c, "t", "id INT, s VARCHAR(20) CHARACTER SET latin1")
    cur = c.cursor()
    cur.execute("INSERT INTO t VALUES (1, %s)", ("café ÿ",))
    cur.execute("INSERT INTO t VALUES (2, 'naïve')")
    assert query(c, "SELECT s FROM t ORDER BY id") == [("café ÿ",), ("naïve",)]
    assert query(c, "SELECT s FROM t WHERE id = %s", (2,)) == [("naïve",)]
    assert scalar(c, "SELECT HEX(s) FROM t WHERE id = 1") == "636166E920FF"


def test_attributes(conn, server):
    assert isinstance(conn.server_version, str)
    assert server["version"] in conn.server_version
    tid = conn.thread_id()
    assert isinstance(tid, int) and tid == scalar(conn, "SELECT CONNECTION_ID()")
    conn.ping()
    assert scalar(conn, "SELECT 1") == 1


def test_close_twice_and_use_after_close(connect):
    c = connect()
    cur = c.cursor()
    assert c.open
    c.close()
    assert not c.open
    c.close()  # a second close is fine
    with pytest.raises(mywire.InterfaceError):
        cur.execute("SELECT 1")
    with pytest.raises(mywire.InterfaceError):
        c.cursor().execute("SELECT 1")


def test_context_manager_commits_and_closes(connect):
    setup = connect(autocommit=True)
    create_table(setup, "t", "id INT PRIMARY KEY")
    with connect() as c:
        c.cursor().execute("INSERT INTO t VALUES (1)")
    assert not c.open
    assert query(setup, "SELECT id FROM t") == [(1,)]


def test_context_manager_rolls_back_on_exception(connect):
    setup = connect(autocommit=True)
    create_table(setup, "t", "id INT PRIMARY KEY")
    with pytest.raises(ZeroDivisionError):
        with connect() as c:
            c.cursor().execute("INSERT INTO t VALUES (1)")
            1 / 0
    assert not c.open
    assert query(setup, "SELECT id FROM t") == []


def test_escape_string_and_literal(conn):
    nasty = "it's a \\ \"test\" \x00 \x1a \n\r % 😀"
    assert scalar(conn, "SELECT '" + conn.escape_string(nasty) + "'") == nasty
    assert scalar(conn, "SELECT " + conn.literal(nasty)) == nasty
    assert conn.literal(None) == "NULL"
    assert conn.literal(42) == "42"
    assert scalar(conn, "SELECT " + conn.literal(b"\x00'\\\xff")) == b"\x00'\\\xff"
    conn.cursor().execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
    assert scalar(conn, "SELECT '" + conn.escape_string(nasty) + "'") == nasty
    assert scalar(conn, "SELECT " + conn.literal(nasty)) == nasty


# --- transactions -------------------------------------------------------------------------

def test_rollback_undoes_and_commit_persists(connect):
    a = connect()
    b = connect(autocommit=True)
    create_table(a, "t", "id INT PRIMARY KEY, v VARCHAR(10)")
    assert a.get_autocommit() is False
    cur = a.cursor()
    cur.execute("INSERT INTO t VALUES (1, 'x')")
    assert query(b, "SELECT COUNT(*) FROM t") == [(0,)], "uncommitted row visible elsewhere"
    a.rollback()
    assert query(a, "SELECT COUNT(*) FROM t") == [(0,)]
    cur.execute("INSERT INTO t VALUES (%s, %s)", (2, "y"))
    a.commit()
    assert query(b, "SELECT id, v FROM t") == [(2, "y")]


def test_autocommit_mode(connect):
    a = connect()
    b = connect(autocommit=True)
    assert b.get_autocommit() is True
    assert scalar(b, "SELECT @@autocommit") == 1
    create_table(a, "t", "id INT PRIMARY KEY")
    a.autocommit(True)
    assert a.get_autocommit() is True
    assert scalar(a, "SELECT @@autocommit") == 1
    a.cursor().execute("INSERT INTO t VALUES (1)")
    assert query(b, "SELECT id FROM t") == [(1,)]
    a.rollback()  # nothing to undo
    assert query(b, "SELECT id FROM t") == [(1,)]
    a.autocommit(False)
    assert a.get_autocommit() is False
    assert scalar(a, "SELECT @@autocommit") == 0
    a.cursor().execute("INSERT INTO t VALUES (2)")
    assert query(b, "SELECT id FROM t ORDER BY id") == [(1,)]
    a.commit()
    assert query(b, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]


def test_close_without_commit_discards(connect):
    b = connect(autocommit=True)
    create_table(b, "t", "id INT PRIMARY KEY")
    a = connect()
    a.cursor().execute("INSERT INTO t VALUES (1)")
    a.close()
    assert query(b, "SELECT COUNT(*) FROM t") == [(0,)]


def test_cursorclass_on_connect(connect):
    c = connect(cursorclass=mywire.cursors.DictCursor)
    cur = c.cursor()
    cur.execute("SELECT 1 AS a, 'x' AS b")
    assert cur.fetchone() == {"a": 1, "b": "x"}
    cur = c.cursor(mywire.cursors.Cursor)
    cur.execute("SELECT 1 AS a")
    assert cur.fetchone() == (1,)


def test_packet_trace(connect, tmp_path):
    """trace= writes mywire's packet trace (text or JSON lines) of the whole session."""
    path = tmp_path / "trace.txt"
    c = connect(trace=str(path))
    cur = c.cursor()
    cur.execute("SELECT 'traced' AS t WHERE 1 = %s", (1,))
    assert cur.fetchall() == [("traced",)]
    c.close()
    text = path.read_text()
    assert "COM_STMT_PREPARE" in text and "COM_STMT_EXECUTE" in text, text[:2000]
    assert "traced" in text
    jpath = tmp_path / "trace.json"
    c = connect(trace=str(jpath), trace_format="json")
    c.cursor().execute("SELECT 1")
    c.close()
    import json
    lines = [json.loads(line) for line in jpath.read_text().splitlines() if line.strip()]
    assert lines, "no JSON trace lines"
    with pytest.raises(mywire.InterfaceError):
        connect(trace=str(tmp_path / "x"), trace_format="yaml")
