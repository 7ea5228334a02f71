"""PEP 249 cursors: buffered (``Cursor``, ``DictCursor``) and unbuffered (``SSCursor``,
``SSDictCursor``), PyMySQL's four kinds.

A buffered cursor reads the whole result set when it executes; an unbuffered one reads rows as
they are fetched (in batches), so memory stays flat on huge results, and its connection cannot
run another statement until the rows are read or the cursor is closed (the next statement
discards what is left, and this cursor's result is then over).
"""

from ._mywire import ProgrammingError
from .converters import interpolate, to_qmark

# Rows an unbuffered cursor reads from the connection at a time.
_SS_BATCH = 1024


class _Finalized:
    """``with`` returns it, and the garbage collector closes it (quietly)."""

    def __enter__(self):
        return self

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class _CursorState:
    """What a cursor knows of its result, for the blocking cursors here and the asyncio ones
    (:mod:`mywire.aio`) alike: the head's description, rowcount and lastrowid, the rows at
    hand and the position in them, buffered or not. No I/O: the subclasses make the session's
    calls (blocking, or awaited) and hand what they return to these methods."""

    #: Rows ``fetchmany()`` returns by default.
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
        self._executed = None
        self._warnings = 0
        self._closed = False

    def _conn(self):
        if self._closed:
            raise ProgrammingError(0, "the cursor is closed")
        conn = self.connection
        if conn is None:
            raise ProgrammingError(0, "the cursor has no connection")
        return conn

    # ---- executing -------------------------------------------------------------------------

    @staticmethod
    def _text(query):
        return query.decode("utf-8") if isinstance(query, bytes) else query

    def _started(self, conn, query):
        """``query`` ran for this cursor: the connection's result is now this cursor's."""
        conn._active = self
        self._executed = query

    def _head(self, head):
        """Takes a result's head; True when a buffered cursor must now read its rows (and
        give them to :meth:`_set_rows`)."""
        desc, affected, insert_id, warnings, _info, _more = head
        self.description = None if desc is None else tuple(desc)
        self.lastrowid = insert_id
        self._warnings = warnings
        self._rows, self._pos, self.rownumber = [], 0, 0
        self._names = None
        if desc is None:
            self.rowcount = affected
            self._done = True
        elif self._unbuffered:
            # Unknown until every row is read (PEP 249 allows -1).
            self.rowcount = -1
            self._done = False
        else:
            return True
        return False

    def _set_rows(self, rows):
        """The whole result of a buffered cursor."""
        self._rows = rows
        self.rowcount = len(rows)
        self._done = True

    def _last(self, head):
        """``nextset``: True, and the result is over, when ``head`` is None (no next one)."""
        if head is None:
            self._done = True
            return True
        return False

    def _bulk(self, query, total):
        """``executemany`` ran as one bulk command, ``total`` its ``(affected, insert_id,
        warnings)``: returns the affected rows."""
        affected, insert_id, warnings = total
        self.description = None
        self._rows, self._pos, self._done = [], 0, True
        self.rowcount = affected
        self.lastrowid = insert_id
        self._warnings = warnings
        self._executed = query
        return affected

    def _summed(self, counts):
        """``executemany`` ran one statement at a time: the total of their rowcounts."""
        self.rowcount = sum(max(n, 0) for n in counts)
        return self.rowcount

    @staticmethod
    def _proc_sets(conn, procname, args):
        """``callproc``: the statements setting the argument variables, each made once the
        one before it has run."""
        for i, a in enumerate(args):
            yield interpolate(f"SET @_{procname}_{i}=%s", (a,), conn._nbe())

    @staticmethod
    def _proc_call(procname, args):
        names = ",".join(f"@_{procname}_{i}" for i in range(len(args)))
        return f"CALL {procname}({names})"

    # ---- fetching --------------------------------------------------------------------------

    def _make(self, rows):
        return rows

    def _check(self):
        if self._closed:
            raise ProgrammingError(0, "the cursor is closed")
        if self.description is None and self._executed is None:
            raise ProgrammingError(0, "execute() first")

    def _streaming(self):
        """True when the next batch of an unbuffered result is to be read (``_more``)."""
        if self._done:
            return False
        conn = self.connection
        if conn is None or conn._active is not self:
            # Another statement ran on the connection: this result is gone.
            self._done = True
            return False
        return True

    def _batch(self, rows):
        """Takes the batch ``_more`` read; False at the result's end."""
        if not rows:
            self._done = True
            self.rowcount = self.rownumber
            return False
        self._rows = rows
        self._pos = 0
        return True

    def _one(self):
        """``fetchone``: the next row at hand (there is one), as the cursor makes rows."""
        row = self._rows[self._pos]
        self._pos += 1
        self.rownumber += 1
        return row

    def _take(self, out, size):
        """``fetchmany``: moves rows at hand to ``out``, up to ``size`` in all (None:
        ``arraysize``); returns that size."""
        if size is None:
            size = self.arraysize
        n = size - len(out)
        if n > 0:
            pos = self._pos
            take = self._rows[pos:pos + n]
            self._pos = pos + len(take)
            out.extend(take)
        return size

    def _many(self, out):
        self.rownumber += len(out)
        return self._make(out)

    def _rest(self):
        """``fetchall``: the rows at hand, taken."""
        out = self._rows[self._pos:] if self._pos else self._rows
        self._rows, self._pos = [], 0
        return out

    def _unread(self):
        """True when the rest of this cursor's unbuffered result is still on the connection."""
        conn = self.connection
        return not self._done and conn is not None and conn._active is self

    def _all(self, out):
        """``fetchall``: ``out`` is every row that was left; the result is over."""
        self._done = True
        self.rownumber += len(out)
        if self._unbuffered:
            self.rowcount = self.rownumber
        return self._make(out)

    # ---- closing ---------------------------------------------------------------------------

    def _must_drain(self):
        """``close``: True when unread rows are to be discarded from the connection."""
        return self._unbuffered and self._unread()

    def _shut(self):
        self._closed = True
        self._rows = []

    def setinputsizes(self, *args):
        pass

    def setoutputsizes(self, *args):
        pass


class Cursor(_Finalized, _CursorState):
    """A buffered cursor: tuples."""

    def close(self):
        """Closes the cursor; an unbuffered cursor's unread rows are discarded."""
        if self._closed:
            return
        if self._must_drain():
            try:
                self.connection._native().drain()
            except Exception:
                pass
        self._shut()

    def __exit__(self, *exc):
        self.close()

    # ---- executing -------------------------------------------------------------------------

    def execute(self, query, args=None):
        """Runs ``query`` with ``args`` (a sequence for ``%s``, a mapping for ``%(name)s``);
        returns the number of affected (or, buffered, fetched) rows."""
        conn = self._conn()
        query = self._text(query)
        head = conn._run(query, args)
        self._started(conn, query)
        self._set_head(conn, head)
        return self.rowcount

    def executemany(self, query, args):
        """Runs ``query`` once per item of ``args``: one bulk command on MariaDB
        (COM_STMT_BULK_EXECUTE), pipelined executes elsewhere. ``rowcount`` is the total of
        affected rows."""
        conn = self._conn()
        rows = list(args)
        if not rows:
            return None
        query = self._text(query)
        total = conn._run_many(query, rows, self)
        if total is not None:
            return self._bulk(query, total)
        # One statement at a time (text protocol, or statements that return rows).
        return self._summed([self.execute(query, row) for row in rows])

    def callproc(self, procname, args=()):
        """Calls the stored procedure ``procname``: its arguments are kept in the server
        variables ``@_procname_0`` …, its result sets are read with ``fetch*`` and
        ``nextset``; returns ``args`` unchanged (PyMySQL's behaviour: read OUT and INOUT
        parameters with ``SELECT @_procname_0``)."""
        conn = self._conn()
        for sql in self._proc_sets(conn, procname, args):
            conn._native().query(sql)
        self.execute(self._proc_call(procname, args))
        return args

    def mogrify(self, query, args=None):
        """The statement as client-side interpolation would send it."""
        conn = self._conn()
        if args is None:
            return query
        return interpolate(query, args, conn._nbe())

    def nextset(self):
        """Moves to the next result set: True, or None when there is none."""
        conn = self._conn()
        if conn._active is not self:
            return None
        head = conn._native().next_result()
        if self._last(head):
            return None
        self._set_head(conn, head)
        return True

    def _set_head(self, conn, head):
        if self._head(head):
            self._set_rows(conn._native().fetch(None))

    # ---- fetching --------------------------------------------------------------------------

    def _more(self):
        """Reads the next batch of an unbuffered result; False at its end."""
        return self._streaming() and self._batch(self.connection._native().fetch(_SS_BATCH))

    def fetchone(self):
        self._check()
        if self._pos >= len(self._rows) and not self._more():
            return None
        return self._one()

    def fetchmany(self, size=None):
        self._check()
        out = []
        size = self._take(out, size)
        while len(out) < size and self._more():
            self._take(out, size)
        return self._many(out)

    def fetchall(self):
        self._check()
        out = self._rest()
        if self._unread():
            out = list(out) + self.connection._native().fetch(None)
        return self._all(out)

    def __iter__(self):
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def scroll(self, value, mode="relative"):
        if self._unbuffered:
            if mode != "relative" or value < 0:
                raise ProgrammingError(0, "an unbuffered cursor scrolls forward only")
            for _ in range(value):
                if self.fetchone() is None:
                    raise IndexError("out of range")
            return
        pos = self._pos + value if mode == "relative" else value
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(0, f"unknown scroll mode {mode!r}")
        if not 0 <= pos <= len(self._rows):
            raise IndexError("out of range")
        self._pos = pos
        self.rownumber = pos

    @property
    def warning_count(self):
        return self._warnings

    # PEP 249 extension: the exceptions on the cursor.
    @property
    def Error(self):
        from . import Error
        return Error


class DictCursorMixin:
    """Rows as dicts keyed by column name (``table.name`` for a repeated name)."""

    def _one(self):
        return self._make([super()._one()])[0]

    def _make(self, rows):
        names = self._names
        if names is None:
            names = []
            info = self.connection._native().column_info() if self.connection else []
            for i, d in enumerate(self.description or ()):
                name = d[0]
                if name in names:
                    table = info[i][4] if i < len(info) else ""
                    name = f"{table}.{name}"
                names.append(name)
            self._names = names
        return [dict(zip(names, r)) for r in rows]


class DictCursor(DictCursorMixin, Cursor):
    """A buffered cursor: dicts."""


class SSCursor(Cursor):
    """An unbuffered cursor: tuples, read as they are fetched."""

    _unbuffered = True


class SSDictCursor(DictCursorMixin, SSCursor):
    """An unbuffered cursor: dicts."""


__all__ = ["Cursor", "DictCursor", "SSCursor", "SSDictCursor", "to_qmark"]
