"""Protocol constants: column types, column flags, server status flags, client error codes.

Values from the MySQL client/server protocol (include/mysql_com.h and field_types.h of the
MySQL and MariaDB servers); see protocol-notes/ for the sources.
"""


class FIELD_TYPE:
    DECIMAL = 0
    TINY = 1
    SHORT = 2
    LONG = 3
    FLOAT = 4
    DOUBLE = 5
    NULL = 6
    TIMESTAMP = 7
    LONGLONG = 8
    INT24 = 9
    DATE = 10
    TIME = 11
    DATETIME = 12
    YEAR = 13
    NEWDATE = 14
    VARCHAR = 15
    BIT = 16
    TIMESTAMP2 = 17
    DATETIME2 = 18
    TIME2 = 19
    JSON = 245
    NEWDECIMAL = 246
    ENUM = 247
    SET = 248
    TINY_BLOB = 249
    MEDIUM_BLOB = 250
    LONG_BLOB = 251
    BLOB = 252
    VAR_STRING = 253
    STRING = 254
    GEOMETRY = 255
    CHAR = TINY
    INTERVAL = ENUM


class FLAG:
    NOT_NULL = 1
    PRI_KEY = 2
    UNIQUE_KEY = 4
    MULTIPLE_KEY = 8
    BLOB = 16
    UNSIGNED = 32
    ZEROFILL = 64
    BINARY = 128
    ENUM = 256
    AUTO_INCREMENT = 512
    TIMESTAMP = 1024
    SET = 2048


class SERVER_STATUS:
    IN_TRANS = 1
    AUTOCOMMIT = 2
    MORE_RESULTS_EXISTS = 8
    NO_BACKSLASH_ESCAPES = 512


class CR:
    """Client error codes, as libmysqlclient numbers them."""

    CONN_HOST_ERROR = 2003
    SERVER_GONE_ERROR = 2006
    SERVER_LOST = 2013
    SSL_CONNECTION_ERROR = 2026
    MALFORMED_PACKET = 2027
    AUTH_PLUGIN_ERR = 2059
    LOAD_DATA_LOCAL_INFILE_REJECTED = 2068


class ER:
    """Server error codes the driver itself acts on."""

    PARSE_ERROR = 1064
    UNSUPPORTED_PS = 1295
