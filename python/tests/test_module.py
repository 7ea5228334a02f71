"""Module globals, exceptions, type objects and constructors (PEP 249); no server needed except
where a fixture says so."""

import datetime
import time

import mywire
import mywire.cursors
from conftest import create_table


def test_globals():
    assert mywire.apilevel == "2.0"
    assert mywire.threadsafety == 1
    assert mywire.paramstyle == "pyformat"
    assert callable(mywire.connect)


def test_exception_hierarchy():
    assert issubclass(mywire.Warning, Exception)
    assert issubclass(mywire.Error, Exception)
    assert not issubclass(mywire.Warning, mywire.Error)
    assert issubclass(mywire.InterfaceError, mywire.Error)
    assert issubclass(mywire.DatabaseError, mywire.Error)
    assert not issubclass(mywire.InterfaceError, mywire.DatabaseError)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError",
                 "ProgrammingError", "NotSupportedError"):
        cls = getattr(mywire, name)
        assert issubclass(cls, mywire.DatabaseError), name
        assert cls is not mywire.DatabaseError


def test_type_objects():
    for name in ("STRING", "BINARY", "NUMBER", "DATETIME", "ROWID"):
        assert hasattr(mywire, name), name
    # distinct categories
    assert mywire.STRING != mywire.NUMBER
    assert mywire.BINARY != mywire.NUMBER
    assert mywire.DATETIME != mywire.STRING


def test_constructors():
    assert mywire.Date(2024, 2, 29) == datetime.date(2024, 2, 29)
    assert mywire.Time(13, 14, 15) == datetime.time(13, 14, 15)
    assert mywire.Timestamp(2024, 2, 29, 13, 14, 15) == datetime.datetime(2024, 2, 29, 13, 14, 15)
    t = time.time()
    assert mywire.DateFromTicks(t) == datetime.date.fromtimestamp(t)
    ts = mywire.TimestampFromTicks(t)
    assert isinstance(ts, datetime.datetime)
    assert abs(ts - datetime.datetime.fromtimestamp(t)) < datetime.timedelta(seconds=1)
    tt = mywire.TimeFromTicks(t)
    assert isinstance(tt, datetime.time)
    assert tt.replace(microsecond=0) == datetime.datetime.fromtimestamp(t).time().replace(
        microsecond=0)
    b = mywire.Binary(b"\x00\xffab")
    assert bytes(b) == b"\x00\xffab"
    assert isinstance(b, (bytes, bytearray))


def test_cursor_classes_exist():
    for name in ("Cursor", "DictCursor", "SSCursor", "SSDictCursor"):
        assert isinstance(getattr(mywire.cursors, name), type), name


def test_description_type_codes(conn, cur):
    create_table(conn, "t", "i INT, b BIGINT UNSIGNED, d DECIMAL(10,2) NOT NULL, f DOUBLE,"
                            " s VARCHAR(10), c CHAR(3), bl BLOB, dt DATETIME, ts TIMESTAMP NULL")
    cur.execute("INSERT INTO t VALUES (1, 2, 3.5, 4.5, 'x', 'y', 'z', NOW(), NOW())")
    for args in (None, (1,)):
        sql = "SELECT * FROM t" + (" WHERE i = %s" if args else "")
        cur.execute(sql, args)
        d = {col[0]: col for col in cur.description}
        assert list(d) == ["i", "b", "d", "f", "s", "c", "bl", "dt", "ts"]
        assert all(len(col) == 7 for col in cur.description)
        for n in ("i", "b", "d", "f"):
            assert d[n][1] == mywire.NUMBER, (sql, n, d[n])
            assert mywire.NUMBER == d[n][1], (sql, n, d[n])
            assert d[n][1] != mywire.STRING, (sql, n, d[n])
        for n in ("s", "c"):
            assert d[n][1] == mywire.STRING, (sql, n, d[n])
            assert d[n][1] != mywire.NUMBER, (sql, n, d[n])
        assert d["bl"][1] == mywire.BINARY, (sql, d["bl"])
        for n in ("dt", "ts"):
            assert d[n][1] == mywire.DATETIME, (sql, n, d[n])
            assert d[n][1] != mywire.NUMBER, (sql, n, d[n])
        assert d["d"][5] == 2, ("scale of DECIMAL(10,2)", sql, d["d"])
        assert not d["d"][6], ("null_ok of a NOT NULL column", sql, d["d"])
        assert d["i"][6], ("null_ok of a nullable column", sql, d["i"])
        cur.fetchall()
