"""Shared fixtures of the mywire driver tests.

The server comes from the environment: MYWIRE_TEST_HOST, MYWIRE_TEST_PORT, MYWIRE_TEST_USER,
MYWIRE_TEST_PASSWORD, MYWIRE_TEST_DB (a database the user owns). Without them every test is
skipped, or fails under CI=true (where a skip would hide a broken environment).

Run: cd python && PYTHONPATH=$PWD python -m pytest tests -q -p no:cacheprovider
"""

import faulthandler
import os
import sys
import warnings

import pytest

ENV_VARS = ("MYWIRE_TEST_HOST", "MYWIRE_TEST_PORT", "MYWIRE_TEST_USER", "MYWIRE_TEST_PASSWORD",
            "MYWIRE_TEST_DB")

# A test that hangs (a driver deadlock, a read that never returns) dumps every thread's stack
# and ends the run instead of blocking CI forever.
PER_TEST_WATCHDOG_SECONDS = 120


def ci_strict():
    v = os.environ.get("CI", "").strip()
    return v.lower() == "true" or v == "1"


def skip_or_fail(reason):
    """The one way a test gives up on a missing prerequisite: skip, or fail under CI=true."""
    if ci_strict():
        pytest.fail(f"{reason} (CI=true: a missing prerequisite is a failure)", pytrace=False)
    pytest.skip(reason)


def _missing_env():
    # MYWIRE_TEST_PASSWORD may legitimately be empty; it must be set, though.
    return [v for v in ENV_VARS
            if os.environ.get(v) is None or (v != "MYWIRE_TEST_PASSWORD" and not os.environ[v])]


@pytest.fixture(scope="session")
def db_params():
    """Keyword arguments of mywire.connect() for the test server."""
    missing = _missing_env()
    if missing:
        skip_or_fail("no test server: set " + ", ".join(missing)
                     + " (the Rust harness in tests/support starts a throwaway MariaDB)")
    return dict(
        host=os.environ["MYWIRE_TEST_HOST"],
        port=int(os.environ["MYWIRE_TEST_PORT"]),
        user=os.environ["MYWIRE_TEST_USER"],
        password=os.environ["MYWIRE_TEST_PASSWORD"],
        database=os.environ["MYWIRE_TEST_DB"],
    )


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(PER_TEST_WATCHDOG_SECONDS, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


def _drop_everything(params):
    """Drops every table, view and routine of the test database (with a fresh connection)."""
    import mywire

    c = mywire.connect(**params, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("SET SESSION lock_wait_timeout = 10")
        cur.execute("SET SESSION foreign_key_checks = 0")
        cur.execute(
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE()")
        for name, kind in list(cur.fetchall()):
            what = "VIEW" if kind == "VIEW" else "TABLE"
            cur.execute(f"DROP {what} IF EXISTS `{name}`")
        cur.execute(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
            " WHERE ROUTINE_SCHEMA = DATABASE()")
        for name, kind in list(cur.fetchall()):
            cur.execute(f"DROP {kind} IF EXISTS `{name}`")
    finally:
        c.close()


@pytest.fixture
def connect(db_params):
    """Factory: connect(**overrides) -> a connection to the test database, closed after the
    test; the test database's tables and routines are dropped afterwards."""
    import mywire

    made = []

    def _connect(*args, **overrides):
        if args:  # a URL
            c = mywire.connect(*args, **overrides)
        else:
            c = mywire.connect(**{**db_params, **overrides})
        made.append(c)
        return c

    yield _connect
    for c in made:
        try:
            c.close()
        except Exception:
            pass
    try:
        _drop_everything(db_params)
    except Exception as e:  # the test already reports what the driver did wrong
        warnings.warn(f"cleanup of the test database failed: {e!r}")


@pytest.fixture
def conn(connect):
    """A fresh connection (default options: autocommit off, prepared statements on)."""
    return connect()


@pytest.fixture
def cur(conn):
    return conn.cursor()


@pytest.fixture(scope="session")
def server(db_params):
    """Facts about the server: version string, is_mariadb, max_allowed_packet, socket."""
    import mywire

    c = mywire.connect(**db_params)
    try:
        k = c.cursor()
        k.execute("SELECT VERSION(), @@max_allowed_packet, @@socket, @@have_ssl")
        version, max_packet, socket, have_ssl = k.fetchone()
    finally:
        c.close()
    return dict(version=version, is_mariadb="mariadb" in version.lower(),
                max_allowed_packet=int(max_packet), socket=socket, have_ssl=have_ssl)


@pytest.fixture
def mariadb_only(server):
    if not server["is_mariadb"]:
        pytest.skip("needs MariaDB")


def create_table(conn, name, columns, engine="InnoDB"):
    """DROP + CREATE TABLE name (columns) in the test database."""
    cur = conn.cursor()
    cur.execute(f"DROP TABLE IF EXISTS `{name}`")
    cur.execute(f"CREATE TABLE `{name}` ({columns}) ENGINE={engine}")
    cur.close()


def query(conn, sql, args=None):
    """All rows of one statement, as a list."""
    cur = conn.cursor()
    try:
        cur.execute(sql, args)
        return list(cur.fetchall())
    finally:
        cur.close()


def scalar(conn, sql, args=None):
    rows = query(conn, sql, args)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def status(conn, name):
    """A SESSION STATUS counter, as int."""
    rows = query(conn, f"SHOW SESSION STATUS LIKE '{name}'")
    assert rows, name
    return int(rows[0][1])


def seq_sql(server, n, extra=""):
    """A SELECT of the integers 1..n in column `seq` (plus `extra` select expressions)."""
    cols = "seq" + (", " + extra if extra else "")
    if server["is_mariadb"]:
        return f"SELECT {cols} FROM seq_1_to_{n}"
    digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL " \
             "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL " \
             "SELECT 8 UNION ALL SELECT 9)"
    levels = len(str(max(n - 1, 1)))
    parts = [f"{digits} d{i}" for i in range(levels)]
    num = " + ".join(f"d{i}.d * {10 ** i}" for i in range(levels))
    return (f"SELECT {cols} FROM (SELECT {num} + 1 AS seq FROM {', '.join(parts)}) s"
            f" WHERE seq <= {n} ORDER BY seq")
