"""What MariaDB (10.6+) and MySQL (8.0+) over mysql+mywire support, for SQLAlchemy's
dialect compliance suite.

Every property overrides SuiteRequirements' default (which is what a minimal SQL backend
has); "open" means the suite runs the tests, "closed" that it skips them with the reason
given.  Capability that depends on the server is asked of the dialect after it has connected
(``config.db.dialect``: ``is_mariadb``, ``server_version_info``, the ``supports_*`` flags).
"""

from sqlalchemy.testing import exclusions
from sqlalchemy.testing.exclusions import only_if
from sqlalchemy.testing.exclusions import skip_if
from sqlalchemy.testing.requirements import SuiteRequirements


def _mariadb(config):
    return config.db.dialect.is_mariadb


def _mysql(config):
    return not config.db.dialect.is_mariadb


def _version(config):
    return config.db.dialect.server_version_info


def _mariadb_at_least(*v):
    return lambda config: _mariadb(config) and _version(config) >= v


def _mysql_at_least(*v):
    return lambda config: _mysql(config) and _version(config) >= v


def _prepared(config):
    """mywire sends parameters in prepared statements (its default; ?prepared=false in the
    URL interpolates them into the SQL text instead, as PyMySQL does)"""
    prepared = str(config.db.url.query.get("prepared", "true")).lower()
    return prepared not in ("false", "0", "no", "off")


def _mariadb_prepared(config):
    return _mariadb(config) and _prepared(config)


def _either(*preds):
    return lambda config: any(p(config) for p in preds)


class Requirements(SuiteRequirements):
    # ------------------------------------------------------------------ DDL
    @property
    def table_ddl_if_exists(self):
        """CREATE TABLE IF NOT EXISTS / DROP TABLE IF EXISTS"""
        return exclusions.open()

    @property
    def index_ddl_if_exists(self):
        """CREATE INDEX IF NOT EXISTS / DROP INDEX IF EXISTS: MariaDB only"""
        return only_if(_mariadb, "MySQL has no CREATE INDEX IF NOT EXISTS")

    @property
    def create_table_as(self):
        """CREATE TABLE ... AS SELECT"""
        return exclusions.open()

    @property
    def create_temp_table_as(self):
        return exclusions.open()

    @property
    def schema_create_delete(self):
        return exclusions.open()

    @property
    def create_or_replace_view(self):
        return exclusions.open()

    @property
    def unbounded_varchar(self):
        return exclusions.closed()  # VARCHAR needs a length

    @property
    def nvarchar_types(self):
        return exclusions.open()

    @property
    def uuid_data_type(self):
        """a native UUID type: MariaDB 10.7+, when the dialect knows it (mariadb+mywire)"""
        return only_if(
            lambda config: _mariadb_at_least(10, 7)(config)
            and config.db.dialect.supports_native_uuid,
            "native UUID: MariaDB >= 10.7 through the mariadb+ URL",
        )

    # ------------------------------------------------------------------ constraints
    @property
    def on_update_cascade(self):
        return exclusions.open()

    @property
    def non_updating_cascade(self):
        return exclusions.closed()

    @property
    def self_referential_foreign_keys(self):
        return exclusions.open()

    @property
    def foreign_keys_reflect_as_index(self):
        """InnoDB creates an index for every foreign key"""
        return exclusions.open()

    @property
    def unique_constraints_reflect_as_index(self):
        return exclusions.open()

    @property
    def unique_index_reflect_as_unique_constraints(self):
        return exclusions.open()

    @property
    def implicitly_named_constraints(self):
        return exclusions.open()

    @property
    def check_constraint_reflection(self):
        return exclusions.open()

    @property
    def inline_check_constraint_reflection(self):
        """MariaDB has no named column-level CHECK (``a INT CONSTRAINT c CHECK (...)``
        is a syntax error) and keeps an unnamed one as a column attribute, which the MySQL
        dialect's reflection does not read"""
        return skip_if(_mariadb, "no inline (column-level) named CHECK in MariaDB")

    # ------------------------------------------------------------------ SQL
    @property
    def boolean_col_expressions(self):
        return exclusions.open()

    @property
    def nullsordering(self):
        return exclusions.closed()

    @property
    def intersect(self):
        return only_if(_either(_mariadb_at_least(10, 3), _mysql_at_least(8, 0, 31)))

    @property
    def except_(self):
        return only_if(_either(_mariadb_at_least(10, 3), _mysql_at_least(8, 0, 31)))

    @property
    def window_functions(self):
        return only_if(_either(_mariadb_at_least(10, 2), _mysql_at_least(8)))

    @property
    def window_range(self):
        return self.window_functions

    @property
    def window_range_numeric(self):
        return self.window_functions

    @property
    def window_range_non_numeric(self):
        """RANGE frames over dates: MySQL 8 only (MariaDB: error 4021, 'Numeric datatype
        is required for RANGE-type frame')"""
        return only_if(_mysql_at_least(8))

    @property
    def ctes(self):
        return only_if(_either(_mariadb_at_least(10, 2), _mysql_at_least(8)))

    @property
    def ctes_with_update_delete(self):
        """WITH ... UPDATE / DELETE: MySQL 8 only (MariaDB: error 1064)"""
        return only_if(_mysql_at_least(8))

    @property
    def ctes_with_values(self):
        """WITH t (a, b) AS (VALUES ...).  MariaDB (10.11) returns empty strings for every
        value of such a CTE when the VALUES hold placeholders of a prepared statement (SQL
        PREPARE / EXECUTE shows the same), so it is skipped there unless the URL has
        prepared=false"""
        return only_if(
            _either(_mariadb_at_least(10, 3), _mysql_at_least(8, 0, 19))
        ) + skip_if(
            _mariadb_prepared,
            "MariaDB: VALUES with placeholders in a CTE return '' when prepared",
        )

    @property
    def ctes_on_dml(self):
        return exclusions.closed()  # no WITH x AS (INSERT/UPDATE/DELETE ...)

    @property
    def table_value_constructor(self):
        """FROM (VALUES ...) AS t (a, b): MySQL 8.0.19+; MariaDB has VALUES but no
        derived-table column list (error 1064 near '(a, b)')"""
        return only_if(_mysql_at_least(8, 0, 19))

    @property
    def tuple_in(self):
        return exclusions.open()

    @property
    def sql_expression_limit_offset(self):
        return exclusions.closed()  # LIMIT/OFFSET take literals or placeholders only

    @property
    def update_from(self):
        return exclusions.open()

    @property
    def delete_from(self):
        return exclusions.open()

    @property
    def update_where_target_in_subquery(self):
        """MySQL error 1093, lifted by MariaDB 10.3"""
        return only_if(_mariadb_at_least(10, 3))

    @property
    def mod_operator_as_percent_sign(self):
        return exclusions.open()

    @property
    def percent_schema_names(self):
        return exclusions.open()

    @property
    def order_by_label_with_expression(self):
        return exclusions.open()

    def get_order_by_collation(self, config):
        return "utf8mb4_bin"

    @property
    def regexp_match(self):
        return exclusions.open()

    @property
    def regexp_replace(self):
        return exclusions.open()

    @property
    def supports_bitwise_and(self):
        return exclusions.open()

    @property
    def supports_bitwise_or(self):
        return exclusions.open()

    @property
    def supports_bitwise_not(self):
        """~x is an unsigned 64-bit NOT in MySQL/MariaDB (~(-2) = 1 but ~3 is
        18446744073709551612, not -4): the suite's test expects the signed result"""
        return exclusions.closed()

    @property
    def supports_bitwise_xor(self):
        return exclusions.open()

    @property
    def supports_bitwise_shift(self):
        return exclusions.open()

    @property
    def aggregate_order_by(self):
        return exclusions.open()

    @property
    def float_cast(self):
        return only_if(
            lambda config: config.db.dialect._support_float_cast,
            "CAST(... AS FLOAT) not rendered for this server",
        )

    # ------------------------------------------------------------------ inserts / rows
    @property
    def emulated_lastrowid(self):
        return exclusions.open()

    @property
    def emulated_lastrowid_even_with_sequences(self):
        return exclusions.open()

    @property
    def dbapi_lastrowid(self):
        return exclusions.open()

    @property
    def server_defaults(self):
        return exclusions.open()

    @property
    def expression_server_defaults(self):
        return only_if(_either(_mariadb_at_least(10, 2), _mysql_at_least(8, 0, 13)))

    @property
    def computed_columns(self):
        return exclusions.open()

    @property
    def computed_columns_stored(self):
        return exclusions.open()

    @property
    def computed_columns_virtual(self):
        return exclusions.open()

    @property
    def computed_columns_default_persisted(self):
        return exclusions.closed()  # GENERATED ALWAYS AS defaults to VIRTUAL

    @property
    def computed_columns_reflect_persisted(self):
        return exclusions.open()

    # ------------------------------------------------------------------ transactions
    @property
    def savepoints(self):
        return exclusions.open()

    @property
    def two_phase_transactions(self):
        return exclusions.closed()

    @property
    def isolation_level(self):
        return exclusions.open()

    @property
    def autocommit(self):
        return exclusions.open()

    @property
    def skip_autocommit_rollback(self):
        """the dialect has detect_autocommit_setting() and the default do_rollback()"""
        return exclusions.open()

    def get_isolation_levels(self, config):
        return {
            "default": "REPEATABLE READ",
            "supported": [
                "SERIALIZABLE",
                "READ UNCOMMITTED",
                "READ COMMITTED",
                "REPEATABLE READ",
                "AUTOCOMMIT",
            ],
        }

    # ------------------------------------------------------------------ schemas / reflection
    @property
    def views(self):
        return exclusions.open()

    @property
    def cross_schema_fk_reflection(self):
        return exclusions.open()

    @property
    def foreign_key_constraint_name_reflection(self):
        return exclusions.open()

    @property
    def implicit_default_schema(self):
        return exclusions.closed()

    @property
    def default_schema_name_switch(self):
        return exclusions.open()

    @property
    def reflects_pk_names(self):
        return exclusions.closed()  # always PRIMARY

    @property
    def comment_reflection(self):
        return exclusions.open()

    @property
    def comment_reflection_full_unicode(self):
        """MariaDB stores comments in utf8mb3: characters beyond the BMP come back as '?'"""
        return skip_if(_mariadb, "MariaDB comments are utf8mb3")

    @property
    def column_collation_reflection(self):
        """the suite's test uses String() without a length, which VARCHAR needs"""
        return exclusions.closed()

    @property
    def foreign_key_constraint_option_reflection_ondelete(self):
        return exclusions.open()

    @property
    def fk_constraint_option_reflection_ondelete_restrict(self):
        """MariaDB's SHOW CREATE TABLE omits ON DELETE RESTRICT (it is the default)"""
        return only_if(_mysql_at_least(8))

    @property
    def fk_constraint_option_reflection_ondelete_noaction(self):
        return exclusions.open()

    @property
    def foreign_key_constraint_option_reflection_onupdate(self):
        return exclusions.open()

    @property
    def fk_constraint_option_reflection_onupdate_restrict(self):
        """MariaDB's SHOW CREATE TABLE omits ON UPDATE RESTRICT (it is the default)"""
        return only_if(_mysql_at_least(8))

    @property
    def temp_table_names(self):
        return exclusions.closed()

    @property
    def has_temp_table(self):
        return exclusions.open()

    @property
    def temporary_views(self):
        return exclusions.closed()

    @property
    def indexes_check_column_order(self):
        return exclusions.open()

    @property
    def temp_table_comment_reflection(self):
        return exclusions.open()

    @property
    def repeated_column_foreign_keys(self):
        return exclusions.closed()  # error 1060, duplicate column name in a key

    @property
    def indexes_with_ascdesc(self):
        return exclusions.open()

    @property
    def reflect_indexes_with_ascdesc(self):
        return only_if(_either(_mariadb_at_least(10, 8), _mysql_at_least(8)))

    @property
    def indexes_with_expressions(self):
        return only_if(_mysql_at_least(8, 0, 13), "functional indexes: MySQL 8.0.13+")

    @property
    def reflect_table_options(self):
        return exclusions.open()

    @property
    def reflect_tables_no_columns(self):
        return exclusions.closed()

    # ------------------------------------------------------------------ types
    @property
    def json_type(self):
        return only_if(_either(_mariadb_at_least(10, 2, 7), _mysql_at_least(5, 7)))

    @property
    def legacy_unconditional_json_extract(self):
        """JSON_EXTRACT always returns a JSON document"""
        return self.json_type

    @property
    def json_index_supplementary_unicode_element(self):
        return skip_if(_mariadb, "MariaDB JSON_EXTRACT escapes non-BMP characters")

    # SELECT <bound date>: typed through the binary protocol, a string when the value is
    # interpolated into the SQL text (prepared=false)
    @property
    def date_implicit_bound(self):
        return only_if(_prepared, "parameters interpolated as string literals")

    @property
    def time_implicit_bound(self):
        return only_if(_prepared, "parameters interpolated as string literals")

    @property
    def datetime_implicit_bound(self):
        return only_if(_prepared, "parameters interpolated as string literals")

    @property
    def datetime_literals(self):
        """dates and times rendered as literals (literal_binds)"""
        return exclusions.open()

    @property
    def datetime_microseconds(self):
        return exclusions.closed()  # DATETIME without fsp

    @property
    def time_microseconds(self):
        return exclusions.closed()  # TIME without fsp

    @property
    def timestamp_microseconds(self):
        return exclusions.closed()

    @property
    def datetime_historic(self):
        return exclusions.open()

    @property
    def date_historic(self):
        return exclusions.open()

    @property
    def precision_generic_float_type(self):
        return exclusions.closed()  # FLOAT is single precision

    @property
    def precision_numerics_many_significant_digits(self):
        return exclusions.open()

    @property
    def precision_numerics_retains_significant_digits(self):
        return exclusions.open()

    @property
    def infinity_floats(self):
        return exclusions.closed()

    # ------------------------------------------------------------------ driver
    @property
    def independent_readonly_connections(self):
        return exclusions.open()

    @property
    def graceful_disconnects(self):
        return exclusions.open()
