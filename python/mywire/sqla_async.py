"""SQLAlchemy 2.x asyncio dialect for ``mywire.aio``.

URLs::

    mysql+mywire_async://user:password@host:3306/dbname?charset=utf8mb4
    mariadb+mywire_async://user:password@host:3306/dbname

Used through :func:`sqlalchemy.ext.asyncio.create_async_engine`::

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("mysql+mywire_async://app:pw@127.0.0.1/shop")
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT 1"))).all()

Everything but the I/O is the sync dialect's (:mod:`mywire.sqla`): URL options, prepared
statements (``?prepared=false`` interpolates instead), CLIENT_FOUND_ROWS, isolation levels
and AUTOCOMMIT, XA, the literal window-frame bounds, error classification. The connection
and cursors are SQLAlchemy's asyncio adapters (``sqlalchemy.connectors.asyncio``) around
:func:`mywire.aio.connect`'s connection: the engine runs its sync core in a greenlet and
awaits mywire's coroutines from there, as for aiomysql and asyncmy.

``execution_options(stream_results=True)`` / ``yield_per`` use
:class:`mywire.aio.AsyncSSCursor` (rows are read from the socket as they are fetched).

Registered through the ``sqlalchemy.dialects`` entry points ``mysql.mywire_async`` and
``mariadb.mywire_async`` (or by hand, ``sqlalchemy.dialects.registry.register(
"mysql.mywire_async", "mywire.sqla_async", "MyWireAsyncDialect")``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import util
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_module
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_ss_cursor
from sqlalchemy.connectors.asyncio import AsyncAdapt_terminate
from sqlalchemy.dialects.mysql.mariadb import MariaDBDialect
from sqlalchemy.util.concurrency import await_

from .sqla import MyWireDialect

__all__ = ["MyWireAsyncDialect", "MyWireAsyncMariaDBDialect", "dialect", "mariadb_dialect"]


class AsyncAdapt_mywire_cursor(AsyncAdapt_dbapi_cursor):
    """A buffered cursor (``mywire.aio.AsyncCursor``; the adapter keeps the rows)."""

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        # explicit, so that a ``cursorclass`` in connect_args does not change what the
        # dialect gets
        return connection.cursor(self._adapt_connection.dbapi.driver.AsyncCursor)


class AsyncAdapt_mywire_ss_cursor(AsyncAdapt_dbapi_ss_cursor, AsyncAdapt_mywire_cursor):
    """A server-side cursor (``mywire.aio.AsyncSSCursor``: rows streamed as fetched)."""

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection.cursor(self._adapt_connection.dbapi.driver.AsyncSSCursor)


class AsyncAdapt_mywire_connection(AsyncAdapt_terminate, AsyncAdapt_dbapi_connection):
    """The sync DB-API connection the dialect sees, over ``mywire.aio.AsyncConnection``."""

    __slots__ = ()

    _cursor_cls = AsyncAdapt_mywire_cursor
    _ss_cursor_cls = AsyncAdapt_mywire_ss_cursor

    def _locked(self, awaitable: Any) -> Any:
        """Awaits ``awaitable`` under the adapter's execute mutex (one operation at a time
        per connection, as the cursors' execute)."""

        async def run() -> Any:
            async with self._execute_mutex:
                return await awaitable

        try:
            return await_(run())
        except Exception as error:
            self._handle_exception(error)

    def ping(self, reconnect: bool = False) -> None:
        assert not reconnect
        self._locked(self._connection.ping(reconnect=False))

    def character_set_name(self) -> Any:
        return self._connection.character_set_name()

    def autocommit(self, value: Any) -> None:
        self._locked(self._connection.autocommit(value))

    def get_autocommit(self) -> bool:
        return self._connection.get_autocommit()  # type: ignore[no-any-return]

    def close(self) -> None:
        await_(self._connection.ensure_closed())

    async def _terminate_graceful_close(self) -> None:
        await self._connection.ensure_closed()

    def _terminate_handled_exceptions(self) -> Any:
        # a connection the server already dropped cannot say goodbye: close it at once
        return super()._terminate_handled_exceptions() + (self.dbapi.Error,)

    def _terminate_force_close(self) -> None:
        self._connection.close()  # immediate, not awaitable


class AsyncAdapt_mywire_dbapi(AsyncAdapt_dbapi_module):
    """The DB-API module the dialect sees: ``mywire``'s names, ``mywire.aio``'s connect."""

    def __init__(self, aio: Any, mywire: Any):
        super().__init__(aio, dbapi_module=mywire)
        self.aio = aio
        self.mywire = mywire
        for name in (
            "apilevel", "threadsafety", "paramstyle", "__version__",
            "Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
            "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
            "NotSupportedError",
            "STRING", "BINARY", "NUMBER", "DATETIME", "TIMESTAMP", "DATE", "TIME", "ROWID",
            "Binary", "Date", "Time", "Timestamp",
            "DateFromTicks", "TimeFromTicks", "TimestampFromTicks",
        ):
            setattr(self, name, getattr(mywire, name))

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_mywire_connection:
        creator_fn = kw.pop("async_creator_fn", self.aio.connect)
        return await_(  # type: ignore[no-any-return]
            AsyncAdapt_mywire_connection.create(self, creator_fn(*arg, **kw))
        )


class MyWireAsyncDialect(MyWireDialect):
    """MySQL / MariaDB over mywire's asyncio API."""

    driver = "mywire_async"
    supports_statement_cache = True

    is_async = True
    has_terminate = True

    supports_server_side_cursors = True
    # MySQLExecutionContext.create_server_side_cursor() passes this to the adapted
    # connection's cursor(), whose server_side argument it makes true
    _sscursor = AsyncAdapt_mywire_ss_cursor

    @classmethod
    def import_dbapi(cls) -> Any:
        import mywire
        import mywire.aio

        return AsyncAdapt_mywire_dbapi(mywire.aio, mywire)

    def retrieve_dbapi_version(self, dbapi: Any) -> Any:
        return util.parse_version_string(getattr(dbapi.mywire, "__version__", None))

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.terminate()

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._connection


class MyWireAsyncMariaDBDialect(MariaDBDialect, MyWireAsyncDialect):
    """``mariadb+mywire_async://``: the MariaDB flavour."""

    supports_statement_cache = True


dialect = MyWireAsyncDialect
mariadb_dialect = MyWireAsyncMariaDBDialect
