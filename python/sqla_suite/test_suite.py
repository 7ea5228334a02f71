"""SQLAlchemy's dialect compliance suite, run against mysql+mywire / mariadb+mywire."""

from sqlalchemy.testing.suite import *  # noqa: F401,F403
from sqlalchemy.testing.suite import ServerSideCursorsTest as _ServerSideCursorsTest


class ServerSideCursorsTest(_ServerSideCursorsTest):
    # The suite recognises a server-side cursor only for the drivers it knows by name
    # (pymysql, mysqldb, ...; see its _is_server_side TODO): teach it mywire's.
    def _is_server_side(self, cursor):
        return isinstance(cursor, self.engine.dialect._sscursor)
