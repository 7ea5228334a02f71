"""pytest entry of SQLAlchemy's dialect compliance suite (sqlalchemy.testing.suite) for
mysql+mywire and its asyncio flavour mysql+mywire_async.  The database URL is ``--dburi URL``
or, when that is not given, the ``MYWIRE_TEST_SQLA_URL`` environment variable; see
README.md."""

import os

import pytest
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url

registry.register("mysql.mywire", "mywire.sqla", "MyWireDialect")
registry.register("mariadb.mywire", "mywire.sqla", "MyWireMariaDBDialect")
registry.register("mysql.mywire_async", "mywire.sqla_async", "MyWireAsyncDialect")
registry.register("mariadb.mywire_async", "mywire.sqla_async", "MyWireAsyncMariaDBDialect")

pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402,F401,F403
from sqlalchemy.testing.provision import (  # noqa: E402
    set_default_schema_on_connection,
)
from sqlalchemy.testing.plugin.pytestplugin import (  # noqa: E402
    pytest_configure as _sqla_pytest_configure,
)


def pytest_configure(config):
    if not config.option.dburi and not config.option.db:
        url = os.environ.get("MYWIRE_TEST_SQLA_URL")
        if not url:
            raise pytest.UsageError(
                "no database: give --dburi mysql+mywire://user:pw@host:port/test or set "
                "MYWIRE_TEST_SQLA_URL (see README.md)"
            )
        config.option.dburi = [url]
    for url in config.option.dburi or ():
        database = make_url(url).database
        if database in ("test_schema", "test_schema_2"):
            # the suite creates its tables in the URL's database and expects test_schema
            # and test_schema_2 to be other, empty, databases
            raise pytest.UsageError(
                f"the URL's database must not be {database!r}: use a third one (e.g. 'test') "
                "next to test_schema and test_schema_2"
            )
    _sqla_pytest_configure(config)


# SQLAlchemy ships no MySQL version of this provisioning hook (WeCanSetDefaultSchemaWEventsTest)
@set_default_schema_on_connection.for_db("mysql", "mariadb")
def _mysql_set_default_schema_on_connection(cfg, dbapi_connection, schema_name):
    cursor = dbapi_connection.cursor()
    cursor.execute("USE `%s`" % schema_name.replace("`", "``"))
    cursor.close()
