"""Parameters: the pyformat placeholders, and SQL literals for client-side interpolation.

With prepared statements (the default) the placeholders ``%s`` and ``%(name)s`` become ``?``
and the values travel in the binary protocol; nothing here touches them. Client-side
interpolation (``prepared=False``, a statement the server cannot prepare, a sequence value
for ``IN %s``) turns each value into an SQL literal instead.
"""

import datetime as _dt
import decimal as _decimal
import uuid as _uuid
from functools import lru_cache

from ._mywire import ProgrammingError


# ---- placeholders ---------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _parse(sql):
    """Splits ``sql`` at its placeholders: ``(pieces, names)`` where ``names[i]`` is None for
    ``%s`` or the key of ``%(key)s``, between ``pieces[i]`` and ``pieces[i + 1]``; ``%%`` is a
    literal percent sign. Anything else after a ``%`` is an error, as in PyMySQL (which uses
    Python's ``%`` operator)."""
    pieces, names = [], []
    buf = []
    i, n = 0, len(sql)
    while True:
        j = sql.find("%", i)
        if j < 0:
            buf.append(sql[i:])
            break
        buf.append(sql[i:j])
        nxt = sql[j + 1:j + 2]
        if nxt == "%":
            buf.append("%")
            i = j + 2
        elif nxt == "s":
            pieces.append("".join(buf))
            buf = []
            names.append(None)
            i = j + 2
        elif nxt == "(":
            k = sql.find(")", j + 2)
            if k < 0 or sql[k + 1:k + 2] != "s":
                raise ProgrammingError(0, f"bad placeholder at offset {j}: use %s, %(name)s or %%")
            pieces.append("".join(buf))
            buf = []
            names.append(sql[j + 2:k])
            i = k + 2
        else:
            raise ProgrammingError(0, f"bad placeholder at offset {j}: use %s, %(name)s or %%")
        if i > n:
            break
    pieces.append("".join(buf))
    return tuple(pieces), tuple(names)


def _values(names, args):
    """The values for the placeholders, in order."""
    if isinstance(args, dict):
        if any(name is None for name in names):
            raise ProgrammingError(0, "%s placeholders need a sequence of parameters, not a dict")
        try:
            return [args[name] for name in names]
        except KeyError as e:
            raise ProgrammingError(0, f"no parameter named {e.args[0]!r}") from None
    if any(name is not None for name in names):
        raise ProgrammingError(0, "%(name)s placeholders need a dict of parameters")
    if isinstance(args, (str, bytes, bytearray)) or not hasattr(args, "__len__"):
        args = (args,)
    if len(args) != len(names):
        raise ProgrammingError(
            0, f"the statement has {len(names)} placeholder(s), {len(args)} parameter(s) given"
        )
    return list(args)


def to_qmark(sql, args):
    """``(sql with ? placeholders, values in order)``."""
    pieces, names = _parse(sql)
    return "?".join(pieces), _values(names, args)


def interpolate(sql, args, no_backslash_escapes=False):
    """``sql`` with every placeholder replaced by its value's SQL literal."""
    pieces, names = _parse(sql)
    values = _values(names, args)
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:]):
        out.append(literal(value, no_backslash_escapes))
        out.append(piece)
    return "".join(out)


# ---- literals -------------------------------------------------------------------------------------

_BACKSLASH = str.maketrans({
    "\0": "\\0", "\n": "\\n", "\r": "\\r", "\x1a": "\\Z",
    "'": "\\'", '"': '\\"', "\\": "\\\\",
})


def escape_string(s, no_backslash_escapes=False):
    """``s`` escaped for a single-quoted string literal (without the quotes)."""
    if no_backslash_escapes:
        return s.replace("'", "''")
    return s.translate(_BACKSLASH)


def _time_literal(td):
    total = td.days * 86_400_000_000 + td.seconds * 1_000_000 + td.microseconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    secs, micros = divmod(total, 1_000_000)
    mins, s = divmod(secs, 60)
    h, m = divmod(mins, 60)
    frac = f".{micros:06d}" if micros else ""
    return f"'{sign}{h:02d}:{m:02d}:{s:02d}{frac}'"


def literal(value, no_backslash_escapes=False):
    """The SQL literal of ``value``."""
    if value is None:
        return "NULL"
    if value is True:
        return "1"
    if value is False:
        return "0"
    t = type(value)
    if t is int:
        return str(value)
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ProgrammingError(0, f"{value} has no SQL value")
        # With an exponent the literal is a DOUBLE (0.1 alone would be a DECIMAL).
        r = repr(value)
        return r if "e" in r else r + "e0"
    if isinstance(value, str):
        return "'" + escape_string(value, no_backslash_escapes) + "'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        # A hex literal needs no escaping and no character set.
        return "X'" + bytes(value).hex() + "'" if value else "''"
    if isinstance(value, _decimal.Decimal):
        if not value.is_finite():
            raise ProgrammingError(0, f"{value} has no SQL value")
        # Positional notation: Decimal('1E-7') is 0.0000001, not the DOUBLE 1E-7.
        return format(value, "f")
    if isinstance(value, _dt.datetime):
        return "'" + value.replace(tzinfo=None).isoformat(" ") + "'"
    if isinstance(value, _dt.date):
        return "'" + value.isoformat() + "'"
    if isinstance(value, _dt.time):
        return "'" + value.replace(tzinfo=None).isoformat() + "'"
    if isinstance(value, _dt.timedelta):
        return _time_literal(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, _uuid.UUID):
        return "'" + str(value) + "'"
    if isinstance(value, (tuple, list, set, frozenset)):
        if not value:
            raise ProgrammingError(0, "an empty sequence has no SQL value")
        return "(" + ",".join(literal(v, no_backslash_escapes) for v in value) + ")"
    raise ProgrammingError(0, f"a {t.__name__} has no SQL literal")
