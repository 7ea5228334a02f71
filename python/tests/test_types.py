"""Values both ways. Each case is read back three ways, which must all agree in type and value:
`SELECT v FROM t` (text protocol), `SELECT v FROM t WHERE id = %s` (prepared, binary protocol)
and the parameter's own round trip `SELECT %s`; then again over a prepared=False connection
(client-side interpolation)."""

import datetime as dt
from decimal import Decimal

import pytest

from conftest import create_table

NO_RT = object()  # the parameter round trip does not apply (the value was inserted as SQL)


class Case:
    def __init__(self, id, ddl, value, expected=None, rt=None, literal=None, text_rt=True):
        self.id = id
        self.ddl = ddl  # column type
        self.value = value  # the parameter inserted (None with literal)
        self.literal = literal  # SQL literal inserted instead of a parameter
        self.expected = value if expected is None and literal is None else expected
        # what `SELECT %s` gives back for `value`
        self.rt = NO_RT if literal is not None else (self.expected if rt is None else rt)
        # whether `SELECT %s` over prepared=False gives the same (a temporal value interpolated
        # as a quoted string comes back as a string: PyMySQL does the same)
        self.text_rt = text_rt


D65 = Decimal("12345678901234567890123456789012345.123456789012345678901234567890")
TD_MIN = -dt.timedelta(hours=838, minutes=59, seconds=59)

CASES = [
    Case("tinyint", "TINYINT", -128),
    Case("tinyint_unsigned", "TINYINT UNSIGNED", 255),
    Case("smallint", "SMALLINT", -32768),
    Case("mediumint_unsigned", "MEDIUMINT UNSIGNED", 16777215),
    Case("int", "INT", -2147483648),
    Case("int_unsigned", "INT UNSIGNED", 4294967295),
    Case("bigint_min", "BIGINT", -9223372036854775808),
    Case("bigint_max", "BIGINT", 9223372036854775807),
    Case("bigint_unsigned_max", "BIGINT UNSIGNED", 18446744073709551615),
    Case("bool_true", "TINYINT(1)", True, 1),
    Case("bool_false", "BOOLEAN", False, 0),
    Case("float_0.1", "FLOAT", 0.1, rt=0.1),
    Case("float_small", "FLOAT", -2.5e-05),
    Case("float_1234.5", "FLOAT", 1234.5),
    Case("double", "DOUBLE", 0.30000000000000004),
    Case("double_max", "DOUBLE", -1.7976931348623157e308),
    Case("double_tiny", "DOUBLE", 2.2250738585072014e-308),
    Case("decimal_65_30", "DECIMAL(65,30)", D65),
    Case("decimal_neg", "DECIMAL(10,4)", Decimal("-0.0001")),
    Case("decimal_scale_pad", "DECIMAL(12,3)", Decimal("7.5"), Decimal("7.500"), Decimal("7.5")),
    Case("varchar_utf8mb4", "VARCHAR(100)", "héllo 😀 ☃ 中文 'q' \"dq\" \\ back %s %%"),
    Case("varchar_empty", "VARCHAR(10)", ""),
    Case("varchar_nul", "VARCHAR(10)", "a\x00b\x1ac\n"),
    Case("char", "CHAR(5)", "ab"),
    Case("mediumtext", "MEDIUMTEXT", "ab😀" * 30000),
    Case("blob", "BLOB", bytes(range(256)) * 4),
    Case("binary", "BINARY(4)", b"\x00\xff\x00\x01"),
    Case("varbinary", "VARBINARY(16)", b"\x00'\\\"\x1a\n\r%"),
    Case("bytearray", "VARBINARY(10)", bytearray(b"\x01\x02'"), b"\x01\x02'"),
    Case("null", "INT", None),
    Case("null_text", "VARCHAR(3)", None),
    Case("date", "DATE", dt.date(2024, 2, 29), text_rt=False),
    Case("datetime", "DATETIME", dt.datetime(2024, 2, 29, 23, 59, 58), text_rt=False),
    Case("datetime_midnight", "DATETIME", dt.datetime(2024, 1, 1), text_rt=False),
    Case("datetime6", "DATETIME(6)", dt.datetime(1999, 12, 31, 23, 59, 59, 999999),
         text_rt=False),
    Case("datetime6_no_micro", "DATETIME(6)", dt.datetime(2000, 1, 2, 3, 4, 5), text_rt=False),
    Case("timestamp6", "TIMESTAMP(6) NULL", dt.datetime(2021, 6, 1, 12, 0, 0, 5), text_rt=False),
    Case("time_min", "TIME", TD_MIN, text_rt=False),
    Case("time_over_24h", "TIME", dt.timedelta(hours=100, minutes=1, seconds=2), text_rt=False),
    Case("time_zero", "TIME", dt.timedelta(0), text_rt=False),
    Case("time6_negative_fraction", "TIME(6)", -dt.timedelta(microseconds=500000),
         text_rt=False),
    Case("time_param", "TIME(6)", dt.time(13, 14, 15, 500),
         dt.timedelta(hours=13, minutes=14, seconds=15, microseconds=500), text_rt=False),
    Case("json", "JSON", '{"a": [1, 2.5, "é"], "b": null}'),
    Case("year", "YEAR", 2024),
    Case("enum", "ENUM('a','b','c')", "b"),
    Case("set", "SET('x','y','z')", "x,z"),
    Case("bit10", "BIT(10)", None, b"\x02\x01", literal="b'1000000001'"),
    Case("bit1", "BIT(1)", None, b"\x01", literal="b'1'"),
    Case("bit64", "BIT(64)", None, b"\xff" * 8, literal="0xFFFFFFFFFFFFFFFF"),
    Case("zero_date", "DATE", None, "0000-00-00", literal="'0000-00-00'"),
    Case("zero_datetime", "DATETIME", None, "0000-00-00 00:00:00",
         literal="'0000-00-00 00:00:00'"),
]


def same(got, exp):
    return type(got) is type(exp) and got == exp


def show(v):
    r = repr(v)
    return f"{type(v).__name__} {r if len(r) < 120 else r[:117] + '...'}"


def check_case(c, case, *, text_mode):
    cur = c.cursor()
    cur.execute("SET SESSION sql_mode = REPLACE(REPLACE(@@sql_mode, 'NO_ZERO_DATE', ''),"
                " 'NO_ZERO_IN_DATE', '')")
    create_table(c, "t", f"id INT PRIMARY KEY, v {case.ddl}")
    if case.literal is not None:
        cur.execute(f"INSERT INTO t VALUES (1, {case.literal})")
    else:
        cur.execute("INSERT INTO t VALUES (%s, %s)", (1, case.value))
    bad = []
    reads = [("text SELECT v FROM t", "SELECT v FROM t", None),
             ("SELECT v FROM t WHERE id = %s", "SELECT v FROM t WHERE id = %s", (1,))]
    for label, sql, args in reads:
        cur.execute(sql, args)
        rows = list(cur.fetchall())
        if len(rows) != 1:
            bad.append(f"{label}: {len(rows)} rows")
        elif not same(rows[0][0], case.expected):
            bad.append(f"{label}: expected {show(case.expected)}, got {show(rows[0][0])}")
    if case.rt is not NO_RT and (case.text_rt or not text_mode):
        cur.execute("SELECT %s", (case.value,))
        got = cur.fetchone()[0]
        if not same(got, case.rt):
            bad.append(f"SELECT %s: expected {show(case.rt)}, got {show(got)}")
    cur.close()
    return bad


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_value(connect, case):
    bad = []
    for label, opts in (("prepared=True", {}), ("prepared=False", {"prepared": False})):
        c = connect(**opts)
        bad += [f"[{label}] {b}" for b in check_case(c, case, text_mode=bool(opts))]
        c.close()  # its open transaction would block the next DROP TABLE
    assert not bad, f"{case.id} ({case.ddl}):\n  " + "\n  ".join(bad)


def test_temporal_params_in_where(conn, cur):
    """Temporal parameters compared with columns (binary params must carry the right type)."""
    create_table(conn, "t", "id INT, d DATE, dt DATETIME(6), tm TIME(6)")
    cur.execute("INSERT INTO t VALUES (1, '2024-02-29', '2024-02-29 01:02:03.456789',"
                " '-12:00:00.5')")
    cur.execute("SELECT id FROM t WHERE d = %s AND dt = %s AND tm = %s",
                (dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 1, 2, 3, 456789),
                 -dt.timedelta(hours=12, microseconds=500000)))
    assert list(cur.fetchall()) == [(1,)]
    cur.execute("SELECT id FROM t WHERE tm < %s", (dt.time(0, 0),))
    assert list(cur.fetchall()) == [(1,)]


def test_strict_mode_no_backslash_escapes_text_mode(connect):
    """prepared=False must escape for the session's sql_mode (NO_BACKSLASH_ESCAPES: quotes
    doubled, backslashes literal)."""
    c = connect(prepared=False)
    cur = c.cursor()
    values = ["it's", "back\\slash", "\\'", "'; DROP TABLE t; --", "nul\x00byte", "\\"]
    blobs = [b"\\'\x00\xff", b"'", b"\\"]
    for mode in ("", "NO_BACKSLASH_ESCAPES"):
        cur.execute(f"SET SESSION sql_mode = '{mode}'")
        create_table(c, "t", "id INT, s VARCHAR(40), b VARBINARY(40)")
        for i, v in enumerate(values):
            cur.execute("INSERT INTO t VALUES (%s, %s, NULL)", (i, v))
            cur.execute("SELECT %s", (v,))
            assert cur.fetchone() == (v,), (mode, v)
        for i, b in enumerate(blobs):
            cur.execute("INSERT INTO t VALUES (%s, NULL, %s)", (100 + i, b))
            cur.execute("SELECT %s", (b,))
            assert cur.fetchone() == (b,), (mode, b)
        cur.execute("SELECT s FROM t WHERE id < 100 ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == values, mode
        cur.execute("SELECT b FROM t WHERE id >= 100 ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == blobs, mode
