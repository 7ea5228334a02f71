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
from .converters import interpolate
from .cursors import DictCursorMixin

_SS_BATCH = 1024


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


class AsyncCursor:
    """A buffered cursor: tuples, the whole result read by ``execute``."""

    arraysize = 1
    _unbuffered = False

    def __init__(self, connection):
        self.connection = connection
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self.rownumber = 0
        self._rows = []
        self._pos = 0
        self._done = True
        self._names = None
        self._closed = False
        self._executed = None

    def _conn(self):
        if self._closed:
            raise ProgrammingError(0, "the cursor is closed")
        return self.connection

    async def execute(self, query, args=None):
        conn = self._conn()
        if isinstance(query, bytes):
            query = query.decode("utf-8")
        if self._unbuffered:
            head, rows = await conn._run(query, args), None
        else:
            head, rows = await conn._run(query, args, True)
        conn._active = self
        self._executed = query
        await self._set_head(head, rows)
        return self.rowcount

    async def executemany(self, query, args):
        conn = self._conn()
        rows = list(args)
        if not rows:
            return None
        total = await conn._run_many(query, rows)
        if total is not None:
            self.description = None
            self._rows, self._pos, self._done = [], 0, True
            self.rowcount, self.lastrowid, _ = total
            return self.rowcount
        n = 0
        for row in rows:
            n += max(await self.execute(query, row), 0)
        self.rowcount = n
        return n

    async def callproc(self, procname, args=()):
        conn = self._conn()
        s = conn._native()
        for i, a in enumerate(args):
            await s.query(interpolate(f"SET @_{procname}_{i}=%s", (a,), s.no_backslash_escapes()))
        names = ",".join(f"@_{procname}_{i}" for i in range(len(args)))
        await self.execute(f"CALL {procname}({names})")
        return args

    async def nextset(self):
        conn = self._conn()
        if conn._active is not self:
            return None
        head = await conn._native().next_result()
        if head is None:
            self._done = True
            return None
        await self._set_head(head)
        return True

    async def _set_head(self, head, rows=None):
        desc, affected, insert_id, _warnings, _info, _more = head
        self.description = None if desc is None else tuple(desc)
        self.lastrowid = insert_id
        self._rows, self._pos, self.rownumber, self._names = [], 0, 0, None
        if desc is None:
            self.rowcount = affected
            self._done = True
        elif self._unbuffered:
            self.rowcount = -1
            self._done = False
        else:
            self._rows = rows if rows is not None else await self.connection._native().fetch(None)
            self.rowcount = len(self._rows)
            self._done = True

    def _make(self, rows):
        return rows

    async def _more(self):
        if self._done:
            return False
        conn = self.connection
        if conn is None or conn._active is not self:
            self._done = True
            return False
        rows = await conn._native().fetch(_SS_BATCH)
        if not rows:
            self._done = True
            self.rowcount = self.rownumber
            return False
        self._rows, self._pos = rows, 0
        return True

    async def fetchone(self):
        if self._pos >= len(self._rows) and not await self._more():
            return None
        row = self._rows[self._pos]
        self._pos += 1
        self.rownumber += 1
        return self._make([row])[0]

    async def fetchmany(self, size=None):
        size = self.arraysize if size is None else size
        out = []
        while len(out) < size:
            if self._pos >= len(self._rows) and not await self._more():
                break
            take = self._rows[self._pos:self._pos + size - len(out)]
            self._pos += len(take)
            out.extend(take)
        self.rownumber += len(out)
        return self._make(out)

    async def fetchall(self):
        out = self._rows[self._pos:] if self._pos else self._rows
        self._rows, self._pos = [], 0
        if not self._done:
            conn = self.connection
            if conn is not None and conn._active is self:
                out = list(out) + await conn._native().fetch(None)
            self._done = True
        self.rownumber += len(out)
        if self._unbuffered:
            self.rowcount = self.rownumber
        return self._make(out)

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
        conn = self.connection
        if self._unbuffered and not self._done and conn is not None and conn._active is self:
            try:
                await conn._native().drain()
            except Exception:
                pass
        self._closed = True
        self._rows = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    def setinputsizes(self, *args):
        pass

    def setoutputsizes(self, *args):
        pass


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
