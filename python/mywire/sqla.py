"""SQLAlchemy 2.x dialect for the ``mywire`` DB-API driver.

URLs::

    mysql+mywire://user:password@host:3306/dbname?charset=utf8mb4
    mariadb+mywire://user:password@host:3306/dbname
    mysql+mywire://user:password@/dbname?unix_socket=/run/mysqld/mysqld.sock

Every URL query option is passed to :func:`mywire.connect` as a keyword argument (the known
integer, float and boolean ones are converted from their string form first); ``connect_args``
of :func:`sqlalchemy.create_engine` are passed as they are.

Registered through the ``sqlalchemy.dialects`` entry points ``mysql.mywire`` and
``mariadb.mywire`` (or by hand, ``sqlalchemy.dialects.registry.register("mysql.mywire",
"mywire.sqla", "MyWireDialect")``).

Behaviour:

* statements with parameters go through server-side prepared statements (the driver's
  default, ``prepared=True``); ``?prepared=false`` in the URL makes the driver interpolate them
  client-side instead.
* ``isolation_level="AUTOCOMMIT"`` switches the driver's autocommit mode; the other levels run
  ``SET SESSION TRANSACTION ISOLATION LEVEL``.
* ``execution_options(stream_results=True)`` / ``yield_per`` use ``mywire.cursors.SSCursor``
  (rows are read from the socket as they are fetched).
* pool pre-ping uses ``Connection.ping(reconnect=False)``.
* ``ROWS`` / ``RANGE`` frame bounds of window functions are rendered as literals (MariaDB
  cannot prepare a placeholder there); XA statements get the xid as a literal.
* the dialect asks for CLIENT_FOUND_ROWS (``client_flag``, mywire's ``found-rows`` option), so
  that an UPDATE's rowcount is the rows matched, as the ORM expects.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import sql
from sqlalchemy import util
from sqlalchemy.dialects.mysql.base import MySQLCompiler
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.dialects.mysql.base import MySQLExecutionContext
from sqlalchemy.dialects.mysql.base import MySQLIdentifierPreparer
from sqlalchemy.dialects.mysql.mariadb import MariaDBDialect

__all__ = ["MyWireDialect", "MyWireMariaDBDialect", "dialect", "mariadb_dialect"]

# CLIENT_FOUND_ROWS: UPDATE reports rows matched, not rows changed (what the ORM's
# optimistic checks need); mywire.connect() turns it into its ``found-rows`` option.
_CLIENT_FOUND_ROWS = 2

# Error codes meaning the session is gone (client-side CR_* and server-side ER_*):
# 2006 CR_SERVER_GONE_ERROR, 2013 CR_SERVER_LOST, 2014 CR_COMMANDS_OUT_OF_SYNC,
# 2045 CR_CONN_UNKNOW_PROTOCOL, 2055 CR_SERVER_LOST_EXTENDED,
# 4031 ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8), 1927 ER_CONNECTION_KILLED (MariaDB).
_DISCONNECT_CODES = frozenset((1927, 2006, 2013, 2014, 2045, 2055, 4031))

# Messages of an InterfaceError raised on a connection that is already closed.
_CLOSED_RE = re.compile(
    r"\b(already closed|connection (is |was )?closed|closed connection|not connected|"
    r"connection was killed)\b",
    re.I,
)

# URL query options converted from their string form before they reach mywire.connect()
# (the others are passed as strings, which mywire.connect() accepts for every option it
# forwards to its URL options).
_INT_OPTS = ("port", "client_flag")
_FLOAT_OPTS = ("connect_timeout", "read_timeout", "write_timeout")
# booleans; "compress" also takes an algorithm name ("zlib", "zstd"), left as it is
_BOOL_OPTS = ("autocommit", "prepared", "local_infile", "compress")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _number(value: Any) -> Any:
    """'10' -> 10, '2.5' -> 2.5, anything else unchanged."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def _boolean(value: Any) -> Any:
    """'true' / 'false' (and 1/0, yes/no, on/off) -> bool, anything else unchanged."""
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    return value


class MyWireExecutionContext(MySQLExecutionContext):
    pass


class MyWireCompiler(MySQLCompiler):
    def visit_frame_clause(self, frameclause: Any, **kw: Any) -> str:
        # ROWS / RANGE BETWEEN <n> PRECEDING ...: MariaDB refuses a placeholder there in a
        # prepared statement (error 1064), so the bounds are rendered as literals (after
        # compilation, which keeps the statement cacheable)
        kw["literal_execute"] = True
        return super().visit_frame_clause(frameclause, **kw)


class MyWireDialect(MySQLDialect):
    """MySQL / MariaDB over mywire."""

    driver = "mywire"
    supports_statement_cache = True

    supports_unicode_statements = True
    supports_sane_rowcount = True
    supports_sane_multi_rowcount = True
    supports_native_decimal = True
    supports_server_side_cursors = True
    description_encoding = None

    # overridden from the DBAPI's paramstyle ("pyformat") when the module loads
    default_paramstyle = "format"

    execution_ctx_cls = MyWireExecutionContext
    statement_compiler = MyWireCompiler
    preparer = MySQLIdentifierPreparer

    # ------------------------------------------------------------------ DBAPI module
    @classmethod
    def import_dbapi(cls) -> Any:
        import mywire

        return mywire

    def retrieve_dbapi_version(self, dbapi: Any) -> Any:
        return util.parse_version_string(getattr(dbapi, "__version__", None))

    @classmethod
    def load_provisioning(cls) -> None:
        # the test suite's per-backend hooks (temp tables, schemas, upserts) are
        # SQLAlchemy's MySQL ones; the default would look for mywire.provision
        __import__("sqlalchemy.dialects.mysql.provision")

    @property
    def _sscursor(self) -> Any:
        """Cursor class for ``stream_results`` (used by MySQLExecutionContext)."""
        return self.loaded_dbapi.cursors.SSCursor

    # ------------------------------------------------------------------ connecting
    def create_connect_args(self, url: Any) -> Any:
        opts = url.translate_connect_args(username="user", database="database")
        opts.update(url.query)
        for key in _INT_OPTS:
            util.coerce_kw_type(opts, key, int)
        for key in _FLOAT_OPTS:
            if key in opts:
                opts[key] = _number(opts[key])
        for key in _BOOL_OPTS:
            if key in opts:
                opts[key] = _boolean(opts[key])
        opts["client_flag"] = opts.get("client_flag", 0) | _CLIENT_FOUND_ROWS
        return [], opts

    def do_ping(self, dbapi_connection: Any) -> bool:
        dbapi_connection.ping(reconnect=False)
        return True

    # ------------------------------------------------------------------ errors
    def _extract_error_code(self, exception: BaseException) -> Any:
        args = getattr(exception, "args", ())
        if args and isinstance(args[0], BaseException):
            args = args[0].args
        if args and isinstance(args[0], int):
            return args[0]
        return None

    def is_disconnect(self, e: Any, connection: Any, cursor: Any) -> bool:
        dbapi = self.loaded_dbapi
        if not isinstance(e, dbapi.Error):
            return False
        if self._extract_error_code(e) in _DISCONNECT_CODES:
            return True
        if isinstance(e, (dbapi.InterfaceError, dbapi.InternalError)):
            # use of a connection that is closed: mywire raises
            # InterfaceError(0, "the connection is closed"); PyMySQL-style (0, '')
            return "(0, '')" in str(e) or bool(_CLOSED_RE.search(str(e)))
        return False

    # ------------------------------------------------------------------ execution
    def do_executemany(self, cursor: Any, statement: str, parameters: Any,
                       context: Any = None) -> None:
        rowcount = cursor.executemany(statement, parameters)
        if context is not None:
            context._rowcount = rowcount if rowcount is not None else cursor.rowcount

    # XA statements take no placeholders (the xid would be sent as a prepared-statement
    # parameter): render it as a literal.
    def _xa(self, connection: Any, verb: str, xid: Any) -> None:
        connection.execute(
            sql.text(f"XA {verb} :xid").bindparams(
                sql.bindparam("xid", xid, literal_execute=True)
            )
        )

    def do_begin_twophase(self, connection: Any, xid: Any) -> None:
        self._xa(connection, "BEGIN", xid)

    def do_prepare_twophase(self, connection: Any, xid: Any) -> None:
        self._xa(connection, "END", xid)
        self._xa(connection, "PREPARE", xid)

    def do_rollback_twophase(self, connection: Any, xid: Any, is_prepared: bool = True,
                             recover: bool = False) -> None:
        if not is_prepared:
            self._xa(connection, "END", xid)
        self._xa(connection, "ROLLBACK", xid)

    def do_commit_twophase(self, connection: Any, xid: Any, is_prepared: bool = True,
                           recover: bool = False) -> None:
        if not is_prepared:
            self.do_prepare_twophase(connection, xid)
        self._xa(connection, "COMMIT", xid)

    # ------------------------------------------------------------------ session state
    def _detect_charset(self, connection: Any) -> str:
        return connection.connection.character_set_name()

    def get_isolation_level_values(self, dbapi_conn: Any) -> Any:
        return (
            "SERIALIZABLE",
            "READ UNCOMMITTED",
            "READ COMMITTED",
            "REPEATABLE READ",
            "AUTOCOMMIT",
        )

    def detect_autocommit_setting(self, dbapi_conn: Any) -> bool:
        return bool(dbapi_conn.get_autocommit())

    def set_isolation_level(self, dbapi_connection: Any, level: Any) -> None:
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit(True)
        else:
            dbapi_connection.autocommit(False)
            super().set_isolation_level(dbapi_connection, level)


class MyWireMariaDBDialect(MariaDBDialect, MyWireDialect):
    """``mariadb+mywire://``: the MariaDB flavour of the MySQL dialect."""

    supports_statement_cache = True


dialect = MyWireDialect
mariadb_dialect = MyWireMariaDBDialect
