"""asyncio API on mywire's async session (tokio): the DB-API shapes, awaited.

    import mywire.aio

    conn = await mywire.aio.connect(host="127.0.0.1", user="app", password="...", database="shop")
    async with conn.cursor() as cur:
        await cur.execute("SELECT id, name FROM items WHERE price > %s", (10,))
        rows = await cur.fetchall()
    await conn.commit()
    await conn.ensure_closed()

``connect`` takes the keywords of :func:`mywire.connect`. Cursors are aiomysql's and
asyncmy's: ``await cur.execute(...)``, ``await cur.fetchone()`` / ``fetchmany`` / ``fetchall``,
``async for row in cur``; ``AsyncCursor`` and ``AsyncDictCursor`` read the whole result when
they execute, ``AsyncSSCursor`` and ``AsyncSSDictCursor`` stream it. One operation at a time
per connection: starting a second while one runs raises InterfaceError.
"""

from . import _mywire
from ._mywire import InterfaceError, NotSupportedError, ProgrammingError
from .connections import _arguments, _ConnectionBase
from .cursors import _SS_BATCH, DictCursorMixin, _CursorState


async def connect(*args, **kwargs):
    """Opens a connection (the keywords of :func:`mywire.connect`)."""
    cursorclass = kwargs.pop("cursorclass", None)
    a = _arguments(*args, **kwargs)
    s = _mywire.AsyncSession()
    await s.connect(a.url, a.opts, a.trace, a.trace_format)
    conn = AsyncConnection(s, a, cursorclass or AsyncCursor)
    try:
        for sql in a.setup(s.autocommit()):
            await s.query(sql)
            await s.drain()
    except BaseException:
        await s.close()
        raise
    return conn


class AsyncConnection(_ConnectionBase):
    """A connection of the asyncio API (made by :func:`connect`)."""

    def __init__(self, session, args, cursorclass):
        self._init(session, args, cursorclass)

    async def _run(self, query, args, rows=False):
        """Sends the statement: its head, or with ``rows`` ``(head, rows)`` (the first result
        set read in the same operation; rows is None for a result without columns)."""
        s = self._native()
        self._active = None
        sql, values = self._plan(query, args)
        if values is None:
            return await s.query(sql, rows)
        try:
            return await s.execute(sql, values, rows)
        except (NotSupportedError, ProgrammingError) as e:
            text = self._fallback(e, sql, query, args)
            if text is None:
                raise
            return await s.query(text, rows)

    async def _run_many(self, query, rows):
        plan = self._bulk_plan(query, rows)
        if plan is None:
            return None
        try:
            return await self._native().execute_many(*plan)
        except (NotSupportedError, ProgrammingError) as e:
            if self._fallback(e, plan[0], query, rows[0]) is None:
                raise
            return None

    async def commit(self):
        await self._native().query("COMMIT")

    async def rollback(self):
        await self._native().query("ROLLBACK")

    async def begin(self):
        await self._native().query("BEGIN")

    async def autocommit(self, value):
        await self._native().query("SET autocommit=" + ("1" if value else "0"))

    async def ping(self, reconnect=False):
        if reconnect and not self.open:
            raise InterfaceError(0, "ping(reconnect=True): reconnecting is not supported")
        await self._native().ping()

    async def select_db(self, db):
        await self._native().query(f"USE `{db.replace('`', '``')}`")
        self.db = db

    escape = _ConnectionBase.literal

    @property
    def closed(self):
        return not self.open

    async def ensure_closed(self):
        """Sends COM_QUIT and closes: once the response of a command in flight has arrived
        (it is not cut off); the operation that was running then finds the connection
        closed."""
        s, self._s = self._s, None
        if s is not None:
            await s.close()

    async def aclose(self):
        await self.ensure_closed()

    def close(self):
        """Closes at once, without COM_QUIT (aiomysql's ``close``; ``ensure_closed`` says
        goodbye)."""
        s, self._s = self._s, None
        if s is not None:
            s.terminate()

    def terminate(self):
        self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        try:
            if self.open:
                await (self.commit() if exc_type is None else self.rollback())
        finally:
            await self.ensure_closed()


class AsyncCursor(_CursorState):
    """A buffered cursor: tuples, the whole result read by ``execute``."""

    async def execute(self, query, args=None):
        conn = self._conn()
        query = self._text(query)
        if self._unbuffered:
            head, rows = await conn._run(query, args), None
        else:
            head, rows = await conn._run(query, args, True)
        self._started(conn, query)
        await self._set_head(head, rows)
        return self.rowcount

    async def executemany(self, query, args):
        conn = self._conn()
        rows = list(args)
        if not rows:
            return None
        query = self._text(query)
        total = await conn._run_many(query, rows)
        if total is not None:
            return self._bulk(query, total)
        return self._summed([await self.execute(query, row) for row in rows])

    async def callproc(self, procname, args=()):
        conn = self._conn()
        for sql in self._proc_sets(conn, procname, args):
            await conn._native().query(sql)
        await self.execute(self._proc_call(procname, args))
        return args

    async def nextset(self):
        conn = self._conn()
        if conn._active is not self:
            return None
        head = await conn._native().next_result()
        if self._last(head):
            return None
        await self._set_head(head)
        return True

    async def _set_head(self, head, rows=None):
        if self._head(head):
            self._set_rows(rows if rows is not None else await self.connection._native().fetch(None))

    async def _more(self):
        return self._streaming() and self._batch(await self.connection._native().fetch(_SS_BATCH))

    async def fetchone(self):
        if self._pos >= len(self._rows) and not await self._more():
            return None
        return self._one()

    async def fetchmany(self, size=None):
        out = []
        size = self._take(out, size)
        while len(out) < size and await self._more():
            self._take(out, size)
        return self._many(out)

    async def fetchall(self):
        out = self._rest()
        if self._unread():
            out = list(out) + await self.connection._native().fetch(None)
        return self._all(out)

    def __aiter__(self):
        return self

    async def __anext__(self):
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self):
        if self._closed:
            return
        if self._must_drain():
            try:
                await self.connection._native().drain()
            except Exception:
                pass
        self._shut()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()


class AsyncDictCursor(DictCursorMixin, AsyncCursor):
    """A buffered cursor: dicts."""


class AsyncSSCursor(AsyncCursor):
    """An unbuffered cursor: tuples, streamed."""

    _unbuffered = True


class AsyncSSDictCursor(DictCursorMixin, AsyncSSCursor):
    """An unbuffered cursor: dicts, streamed."""


__all__ = [
    "connect", "AsyncConnection", "AsyncCursor", "AsyncDictCursor", "AsyncSSCursor",
    "AsyncSSDictCursor",
]
