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


class Cursor:
    """A buffered cursor: tuples."""

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

    # ---- lifecycle -------------------------------------------------------------------------

    def close(self):
        """Closes the cursor; an unbuffered cursor's unread rows are discarded."""
        if self._closed:
            return
        conn = self.connection
        if self._unbuffered and not self._done and conn is not None and conn._active is self:
            try:
                conn._native().drain()
            except Exception:
                pass
        self._closed = True
        self._rows = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _conn(self):
        if self._closed:
            raise ProgrammingError(0, "the cursor is closed")
        conn = self.connection
        if conn is None:
            raise ProgrammingError(0, "the cursor has no connection")
        return conn

    # ---- executing -------------------------------------------------------------------------

    def execute(self, query, args=None):
        """Runs ``query`` with ``args`` (a sequence for ``%s``, a mapping for ``%(name)s``);
        returns the number of affected (or, buffered, fetched) rows."""
        conn = self._conn()
        if isinstance(query, bytes):
            query = query.decode("utf-8")
        head = conn._run(query, args)
        conn._active = self
        self._executed = query
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
        if isinstance(query, bytes):
            query = query.decode("utf-8")
        total = conn._run_many(query, rows, self)
        if total is not None:
            affected, insert_id, warnings = total
            self.description = None
            self._rows, self._pos, self._done = [], 0, True
            self.rowcount = affected
            self.lastrowid = insert_id
            self._warnings = warnings
            self._executed = query
            return affected
        # One statement at a time (text protocol, or statements that return rows).
        n = 0
        for row in rows:
            n += max(self.execute(query, row), 0)
        self.rowcount = n
        return n

    def callproc(self, procname, args=()):
        """Calls the stored procedure ``procname``: its arguments are kept in the server
        variables ``@_procname_0`` …, its result sets are read with ``fetch*`` and
        ``nextset``; returns ``args`` unchanged (PyMySQL's behaviour: read OUT and INOUT
        parameters with ``SELECT @_procname_0``)."""
        conn = self._conn()
        for i, a in enumerate(args):
            conn._native().query(
                interpolate(f"SET @_{procname}_{i}=%s", (a,), conn._nbe())
            )
        names = ",".join(f"@_{procname}_{i}" for i in range(len(args)))
        self.execute(f"CALL {procname}({names})")
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
        if head is None:
            self._done = True
            return None
        self._set_head(conn, head)
        return True

    def _set_head(self, conn, head):
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
            self._rows = conn._native().fetch(None)
            self.rowcount = len(self._rows)
            self._done = True

    # ---- fetching --------------------------------------------------------------------------

    def _make(self, rows):
        return rows

    def _more(self):
        """Reads the next batch of an unbuffered result; False at its end."""
        if self._done:
            return False
        conn = self.connection
        if conn is None or conn._active is not self:
            # Another statement ran on the connection: this result is gone.
            self._done = True
            return False
        rows = conn._native().fetch(_SS_BATCH)
        if not rows:
            self._done = True
            self.rowcount = self.rownumber
            return False
        self._rows = rows
        self._pos = 0
        return True

    def _check(self):
        if self._closed:
            raise ProgrammingError(0, "the cursor is closed")
        if self.description is None and self._executed is None:
            raise ProgrammingError(0, "execute() first")

    def fetchone(self):
        self._check()
        if self._pos >= len(self._rows) and not self._more():
            return None
        row = self._rows[self._pos]
        self._pos += 1
        self.rownumber += 1
        return self._make([row])[0]

    def fetchmany(self, size=None):
        self._check()
        size = self.arraysize if size is None else size
        out = []
        while len(out) < size:
            if self._pos >= len(self._rows) and not self._more():
                break
            take = self._rows[self._pos:self._pos + size - len(out)]
            self._pos += len(take)
            out.extend(take)
        self.rownumber += len(out)
        return self._make(out)

    def fetchall(self):
        self._check()
        out = self._rows[self._pos:] if self._pos else self._rows
        self._rows, self._pos = [], 0
        if not self._done:
            conn = self.connection
            if conn is not None and conn._active is self:
                out = list(out) + conn._native().fetch(None)
            self._done = True
        self.rownumber += len(out)
        if self._unbuffered:
            self.rowcount = self.rownumber
        return self._make(out)

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

    def setinputsizes(self, *args):
        pass

    def setoutputsizes(self, *args):
        pass

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
