"""The PEP 249 connection."""

from . import _mywire
from ._mywire import (
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
from .constants import ER
from .converters import escape_string, interpolate, literal, to_qmark
from .cursors import Cursor, _Finalized

_UTF8 = {"utf8", "utf8mb4", "utf8mb3", "utf-8"}

# connect() keywords that map one to one onto mywire's URL options.
_PASSTHROUGH = {
    "ssl_mode": "ssl-mode",
    "ssl_ca": "ssl-ca",
    "ssl_cert": "ssl-cert",
    "ssl_key": "ssl-key",
    "ssl_key_log": "ssl-key-log",
    "server_public_key_path": "server-public-key-path",
    "get_server_public_key": "get-server-public-key",
    "enable_cleartext_plugin": "enable-cleartext-plugin",
    "compress_level": "compress-level",
    "stmt_cache": "stmt-cache",
    "max_allowed_packet": "max-packet",
    "multi_statements": "multi-statements",
    "local_infile_dir": "local-infile-dir",
    "tcp_keepalive": "tcp-keepalive",
    "bulk": "bulk",
    "found_rows": "found-rows",
}


def _opt(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def connect(*args, **kwargs):
    """Opens a connection: ``connect(host=..., user=..., password=..., database=...)`` or
    ``connect("mysql://user:password@host:3306/db?option=value")`` (mywire's URL, whose
    options are the ``mywire`` command line's)."""
    return Connection(*args, **kwargs)


def _arguments(
    url=None,
    *,
    host=None,
    port=None,
    user=None,
    password=None,
    passwd=None,
    database=None,
    db=None,
    unix_socket=None,
    charset="utf8mb4",
    autocommit=False,
    init_command=None,
    sql_mode=None,
    connect_timeout=None,
    read_timeout=None,
    write_timeout=None,
    ssl=None,
    compress=None,
    prepared=True,
    local_infile=False,
    cursorclass=Cursor,
    trace=None,
    trace_format="text",
    options=None,
    client_flag=0,
    program_name=None,
    **kwargs,
):
    unknown = set(kwargs) - set(_PASSTHROUGH)
    if unknown:
        raise TypeError(f"connect() got unexpected keyword argument(s): {sorted(unknown)}")
    if charset and charset.lower() not in _UTF8:
        raise NotSupportedError(
            0, f"charset {charset!r}: mywire speaks utf8mb4 (utf8, utf8mb3 and utf8mb4 are accepted)"
        )
    opts = []
    if url is None:
        h = host or "localhost"
        if ":" in h and not h.startswith("["):
            h = f"[{h}]"
        url = f"mysql://{h}:{int(port or 3306)}/"
    elif host is not None or port is not None:
        raise TypeError("connect(): give a URL or host/port, not both")
    if user is not None:
        opts.append(("user", user))
    password = password if password is not None else passwd
    if password is not None:
        opts.append(("password", password))
    database = database if database is not None else db
    if database:
        opts.append(("database", database))
    if unix_socket:
        opts.append(("socket", unix_socket))
    for key, value in (
        ("connect-timeout", connect_timeout),
        ("read-timeout", read_timeout),
        ("write-timeout", write_timeout),
    ):
        if value is not None:
            opts.append((key, _opt(value)))
    if compress:
        opts.append(("compress", "zlib" if compress is True else str(compress)))
    if local_infile:
        opts.append(("local-infile", "true"))
    if ssl:
        # PyMySQL's ssl dict: {"ca": ..., "cert": ..., "key": ...}; verification is on.
        for k in ("ca", "cert", "key"):
            if ssl.get(k):
                opts.append((f"ssl-{k}", ssl[k]))
        if "ssl_mode" not in kwargs:
            opts.append(("ssl-mode", "verify-identity" if ssl.get("check_hostname", True) else "verify-ca"))
    # CLIENT_FOUND_ROWS (2), the one client flag with a visible effect (SQLAlchemy sets it).
    if client_flag & 2:
        opts.append(("found-rows", "true"))
    for key, value in kwargs.items():
        if value is not None:
            opts.append((_PASSTHROUGH[key], _opt(value)))
    for key, value in (options or {}).items():
        opts.append((key, _opt(value)))
    return _Args(
        url=url, opts=opts, trace=trace, trace_format=trace_format, prepared=prepared,
        autocommit=autocommit, init_command=init_command, sql_mode=sql_mode,
        cursorclass=cursorclass, host=host, port=port, user=user, database=database,
    )


class _Args:
    """What connect() was given, sorted: the native session's arguments and what the
    connection does once connected."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def setup(self, server_autocommit):
        """The statements to run once connected, in order."""
        out = []
        if self.sql_mode is not None:
            out.append(interpolate("SET sql_mode=%s", (self.sql_mode,)))
        if self.init_command is not None:
            out.append(self.init_command)
        if self.autocommit is not None and server_autocommit != bool(self.autocommit):
            out.append("SET autocommit=" + ("1" if self.autocommit else "0"))
        if self.init_command is not None:
            out.append("COMMIT")
        return out


class _Statements:
    """How statements and their parameters go to the server: shared by the blocking and
    the asyncio connection (``self._native()``, ``self._prepared``, ``self._unpreparable``)."""

    def _plan(self, query, args):
        """How one statement goes: ``(sql, None)`` as a text query, or ``(sql, values)`` as a
        prepared statement (``?`` placeholders) executed with ``values``."""
        if args is None:
            return query, None
        s = self._native()
        if not self._prepared or _has_sequence(args):
            return interpolate(query, args, s.no_backslash_escapes()), None
        sql, values = to_qmark(query, args)
        if not values:
            return sql, None
        if sql in self._unpreparable:
            return interpolate(query, args, s.no_backslash_escapes()), None
        return sql, values

    def _fallback(self, e, sql, query, args):
        """The text query to send instead of the prepared statement ``sql`` that failed with
        ``e``, or None if ``e`` stands. The server cannot prepare it (1295), or refuses a
        placeholder where its grammar wants a literal (1064 at the '?', as in SHOW TABLES
        LIKE ? or XA START ?): sent with the values interpolated, as PyMySQL would send it; a
        real syntax error fails again the same way."""
        if not _unpreparable(e):
            return None
        if len(self._unpreparable) > 256:
            self._unpreparable.clear()
        self._unpreparable.add(sql)
        return interpolate(query, args, self._native().no_backslash_escapes())

    def _plan_many(self, query, rows):
        """``(sql, rows of values)`` for one bulk command, or None when the statement goes one
        row at a time (text protocol, sequences, statements the server would not prepare)."""
        if not self._prepared or any(_has_sequence(r) for r in rows):
            return None
        converted = []
        sql = None
        for r in rows:
            sql, values = to_qmark(query, r)
            converted.append(values)
        if not converted or not converted[0] or sql in self._unpreparable:
            return None
        return sql, converted

    def _bulk_plan(self, query, rows):
        """:meth:`_plan_many`; when there is a bulk command, the connection's current result
        is about to be discarded."""
        plan = self._plan_many(query, rows)
        if plan is not None:
            self._active = None
        return plan


class _ConnectionBase(_Statements):
    """What the blocking and the asyncio connection share besides the statements: their
    state and what is answered without a round trip (the session's blocking and awaited
    calls are the subclasses')."""

    def _init(self, session, a, cursorclass):
        self._s = session
        self._prepared = a.prepared
        # Statements (with ? placeholders) the server would not prepare: interpolated.
        self._unpreparable = set()
        self._active = None
        self.cursorclass = cursorclass
        self.charset = "utf8mb4"
        self.host = a.host
        self.port = a.port
        self.user = a.user
        self.db = a.database
        self.server_version = session.server_version()

    def _native(self):
        s = self._s
        if s is None:
            raise InterfaceError(0, "the connection is closed")
        return s

    def _nbe(self):
        return self._native().no_backslash_escapes()

    def cursor(self, cursor=None):
        """A new cursor (of ``cursor``, a cursor class, or the connection's ``cursorclass``)."""
        self._native()
        return (cursor or self.cursorclass)(self)

    @property
    def open(self):
        return self._s is not None and not self._s.is_closed()

    def get_autocommit(self):
        return self._native().autocommit()

    def in_transaction(self):
        return self._native().in_transaction()

    def thread_id(self):
        return self._native().connection_id()

    def character_set_name(self):
        return self.charset

    def insert_id(self):
        return self._native().last_ok()[1]

    def escape_string(self, s):
        return escape_string(s, self._nbe())

    def literal(self, obj):
        return literal(obj, self._nbe())

class Connection(_Finalized, _ConnectionBase):
    """A connection to a MySQL or MariaDB server."""

    Warning = Warning
    Error = Error
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    def __init__(self, *args, **kwargs):
        a = _arguments(*args, **kwargs)
        self._init(_mywire.Session(a.url, a.opts, a.trace, a.trace_format), a, a.cursorclass)
        self.encoding = "utf8"
        try:
            for sql in a.setup(self._s.autocommit()):
                self._s.query(sql)
                self._s.drain()
        except Exception:
            self._s.close()
            raise

    # ---- the native session ----------------------------------------------------------------

    def _run(self, query, args):
        """Sends one statement: the head of its first result."""
        s = self._native()
        self._active = None
        sql, values = self._plan(query, args)
        if values is None:
            return s.query(sql)
        try:
            return s.execute(sql, values)
        except (NotSupportedError, ProgrammingError) as e:
            text = self._fallback(e, sql, query, args)
            if text is None:
                raise
            return s.query(text)

    def _run_many(self, query, rows, cursor):
        """A batch of parameter rows as one bulk command; None when it goes row by row."""
        plan = self._bulk_plan(query, rows)
        if plan is None:
            return None
        try:
            return self._native().execute_many(*plan)
        except (NotSupportedError, ProgrammingError) as e:
            if self._fallback(e, plan[0], query, rows[0]) is None:
                raise
            return None

    # ---- PEP 249 -------------------------------------------------------------------------

    def commit(self):
        self._native().query("COMMIT")

    def rollback(self):
        self._native().query("ROLLBACK")

    def close(self):
        """Sends COM_QUIT and closes; closing twice is allowed."""
        s, self._s = self._s, None
        if s is not None:
            try:
                s.close()
            except Error:
                pass

    def __exit__(self, exc_type, exc, tb):
        try:
            if self._s is not None and not self._s.is_closed():
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.close()

    # ---- what PyMySQL and mysqlclient users expect --------------------------------------

    def autocommit(self, value):
        """Turns autocommit on or off."""
        self._native().query("SET autocommit=" + ("1" if value else "0"))

    def begin(self):
        self._native().query("BEGIN")

    def ping(self, reconnect=False):
        """COM_PING; a closed connection raises (``reconnect`` is not supported: a pool or the
        application reconnects, so that nothing is retried behind its back)."""
        if reconnect and not self.open:
            raise InterfaceError(0, "ping(reconnect=True): reconnecting is not supported; open a new connection")
        self._native().ping()

    def select_db(self, db):
        self._native().select_db(db)
        self.db = db

    def get_server_info(self):
        return self.server_version

    def get_host_info(self):
        return f"{self.host or 'localhost'} via TCP/IP"

    def get_proto_info(self):
        return 10

    def set_character_set(self, charset, collation=None):
        if charset.lower() not in _UTF8:
            raise NotSupportedError(0, f"charset {charset!r}: mywire speaks utf8mb4")
        sql = "SET NAMES utf8mb4" + (f" COLLATE {collation}" if collation else "")
        self._native().query(sql)

    def affected_rows(self):
        return self._native().last_ok()[0]

    def warning_count(self):
        return self._native().last_ok()[2]

    def show_warnings(self):
        s = self._native()
        s.query("SHOW WARNINGS")
        return tuple(s.fetch(None))

    def escape(self, obj, mapping=None):
        return literal(obj, self._nbe())

    def is_tls(self):
        return self._native().is_tls()

    def compression(self):
        return self._native().compression()


def _unpreparable(e):
    """True for the errors of a statement the server cannot prepare as written."""
    code = e.args[0] if e.args else None
    if code == ER.UNSUPPORTED_PS:
        return True
    return code == ER.PARSE_ERROR and len(e.args) > 1 and "near '?" in str(e.args[1])


def _has_sequence(args):
    """True if a parameter is a sequence (``IN %s``): only interpolation can send it."""
    values = args.values() if isinstance(args, dict) else (
        args if isinstance(args, (list, tuple)) else ()
    )
    return any(isinstance(v, (list, tuple, set, frozenset)) for v in values)
