"""mywire: a DB-API 2.0 (PEP 249) driver for MySQL and MariaDB on mywire's Rust core.

    import mywire
    conn = mywire.connect(host="127.0.0.1", user="app", password="...", database="shop")
    with conn.cursor() as cur:
        cur.execute("SELECT id, name FROM items WHERE price > %s", (10,))
        for row in cur:
            ...

Statements with parameters go to the server as prepared statements (cached per connection,
values in the binary protocol, never spliced into the SQL); statements without parameters as
plain text queries. ``connect(prepared=False)`` interpolates parameters into the SQL on the
client instead, as PyMySQL does, and a statement the server cannot prepare (error 1295) is
retried that way automatically.
"""

import datetime as _dt
import time as _time

from . import _mywire
from ._mywire import (  # noqa: F401  (the PEP 249 exceptions)
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from . import constants  # noqa: F401
from .connections import Connection, connect  # noqa: F401
from .converters import escape_string, literal  # noqa: F401

__version__ = _mywire.__version__
__all__ = [
    "apilevel", "threadsafety", "paramstyle", "connect", "Connection",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
    "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
    "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks",
    "Binary", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID",
]

apilevel = "2.0"
# Threads may share the module, not connections.
threadsafety = 1
paramstyle = "pyformat"

# Aliases some applications and frameworks expect from MySQL drivers.
Connect = connect
version_info = tuple(int(p) for p in __version__.split(".")[:3]) + ("final", 0)


# ---- type objects and constructors (PEP 249) ----------------------------------------------------

class DBAPISet(frozenset):
    """A set of column type codes that compares equal to each of its members."""

    def __eq__(self, other):
        if isinstance(other, frozenset):
            return frozenset.__eq__(self, other)
        return other in self

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return frozenset.__hash__(self)


_T = constants.FIELD_TYPE
STRING = DBAPISet([_T.ENUM, _T.STRING, _T.VAR_STRING, _T.VARCHAR, _T.SET])
BINARY = DBAPISet([_T.BLOB, _T.LONG_BLOB, _T.MEDIUM_BLOB, _T.TINY_BLOB])
NUMBER = DBAPISet([_T.DECIMAL, _T.DOUBLE, _T.FLOAT, _T.INT24, _T.LONG, _T.LONGLONG,
                   _T.TINY, _T.YEAR, _T.NEWDECIMAL, _T.SHORT, _T.BIT])
DATE = DBAPISet([_T.DATE, _T.NEWDATE])
TIME = DBAPISet([_T.TIME, _T.TIME2])
TIMESTAMP = DBAPISet([_T.TIMESTAMP, _T.DATETIME, _T.TIMESTAMP2, _T.DATETIME2])
DATETIME = TIMESTAMP
ROWID = DBAPISet()

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks):
    return _dt.date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks):
    return _dt.time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks):
    return _dt.datetime(*_time.localtime(ticks)[:6])


Binary = bytes


def get_client_info():
    return __version__
