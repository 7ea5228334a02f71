//! Capability flags, server status flags, column flags and column types.
//!
//! Values: MySQL source `include/mysql_com.h` / dev docs "Capabilities Flags", MariaDB KB
//! "Connection" (extended capabilities), `include/field_types.h` / `enum_field_types`.
//! See `protocol-notes/connection.md` and `protocol-notes/resultset.md`.

use std::fmt;

macro_rules! flag_set {
    ($(#[$m:meta])* $name:ident: $ty:ty { $($(#[$fm:meta])* $flag:ident = $val:expr;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $ty);

        impl $name {
            $($(#[$fm])* pub const $flag: $name = $name($val);)*
            /// Every named flag with its name, in bit order.
            pub const NAMES: &'static [(&'static str, $ty)] = &[$((stringify!($flag), $val),)*];

            /// The empty set.
            pub const fn empty() -> Self { $name(0) }
            /// The raw bits.
            pub const fn bits(self) -> $ty { self.0 }
            /// True when every bit of `other` is set.
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// Sets or clears the bits of `other`.
            pub fn set(&mut self, other: $name, on: bool) {
                if on { self.0 |= other.0 } else { self.0 &= !other.0 }
            }
            /// Names of the set bits (unknown bits as hex).
            pub fn names(self) -> Vec<String> {
                let mut out = Vec::new();
                let mut known: $ty = 0;
                for (n, v) in Self::NAMES {
                    known |= *v;
                    if self.0 & *v == *v && *v != 0 { out.push((*n).to_string()); }
                }
                let unknown = self.0 & !known;
                if unknown != 0 { out.push(format!("{:#x}", unknown)); }
                out
            }
        }
        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, o: $name) -> $name { $name(self.0 | o.0) }
        }
        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, o: $name) { self.0 |= o.0 }
        }
        impl std::ops::BitAnd for $name {
            type Output = $name;
            fn bitand(self, o: $name) -> $name { $name(self.0 & o.0) }
        }
        impl std::ops::Not for $name {
            type Output = $name;
            fn not(self) -> $name { $name(!self.0) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#x}: {})", stringify!($name), self.0, self.names().join(" | "))
            }
        }
    };
}

flag_set! {
    /// Client/server capability flags (the lower 32 bits exchanged in the handshake).
    CapabilityFlags: u32 {
        /// CLIENT_LONG_PASSWORD (MySQL); MariaDB clears it to mean "I am MariaDB" (CLIENT_MYSQL).
        LONG_PASSWORD = 1;
        /// CLIENT_FOUND_ROWS: affected rows = found rows.
        FOUND_ROWS = 1 << 1;
        /// CLIENT_LONG_FLAG: longer column flags.
        LONG_FLAG = 1 << 2;
        /// CLIENT_CONNECT_WITH_DB: a database name is in the handshake response.
        CONNECT_WITH_DB = 1 << 3;
        /// CLIENT_NO_SCHEMA.
        NO_SCHEMA = 1 << 4;
        /// CLIENT_COMPRESS.
        COMPRESS = 1 << 5;
        /// CLIENT_ODBC.
        ODBC = 1 << 6;
        /// CLIENT_LOCAL_FILES: LOAD DATA LOCAL allowed. Never advertised by default.
        LOCAL_FILES = 1 << 7;
        /// CLIENT_IGNORE_SPACE.
        IGNORE_SPACE = 1 << 8;
        /// CLIENT_PROTOCOL_41.
        PROTOCOL_41 = 1 << 9;
        /// CLIENT_INTERACTIVE.
        INTERACTIVE = 1 << 10;
        /// CLIENT_SSL.
        SSL = 1 << 11;
        /// CLIENT_IGNORE_SIGPIPE.
        IGNORE_SIGPIPE = 1 << 12;
        /// CLIENT_TRANSACTIONS.
        TRANSACTIONS = 1 << 13;
        /// CLIENT_RESERVED.
        RESERVED = 1 << 14;
        /// CLIENT_SECURE_CONNECTION (RESERVED2): 4.1 authentication.
        SECURE_CONNECTION = 1 << 15;
        /// CLIENT_MULTI_STATEMENTS.
        MULTI_STATEMENTS = 1 << 16;
        /// CLIENT_MULTI_RESULTS.
        MULTI_RESULTS = 1 << 17;
        /// CLIENT_PS_MULTI_RESULTS.
        PS_MULTI_RESULTS = 1 << 18;
        /// CLIENT_PLUGIN_AUTH.
        PLUGIN_AUTH = 1 << 19;
        /// CLIENT_CONNECT_ATTRS.
        CONNECT_ATTRS = 1 << 20;
        /// CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA.
        PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
        /// CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS.
        CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22;
        /// CLIENT_SESSION_TRACK.
        SESSION_TRACK = 1 << 23;
        /// CLIENT_DEPRECATE_EOF.
        DEPRECATE_EOF = 1 << 24;
        /// CLIENT_OPTIONAL_RESULTSET_METADATA (MySQL 8).
        OPTIONAL_RESULTSET_METADATA = 1 << 25;
        /// CLIENT_ZSTD_COMPRESSION_ALGORITHM (MySQL 8).
        ZSTD_COMPRESSION_ALGORITHM = 1 << 26;
        /// CLIENT_QUERY_ATTRIBUTES (MySQL 8).
        QUERY_ATTRIBUTES = 1 << 27;
        /// MULTI_FACTOR_AUTHENTICATION (MySQL 8).
        MULTI_FACTOR_AUTHENTICATION = 1 << 28;
        /// CLIENT_CAPABILITY_EXTENSION.
        CAPABILITY_EXTENSION = 1 << 29;
        /// CLIENT_SSL_VERIFY_SERVER_CERT.
        SSL_VERIFY_SERVER_CERT = 1 << 30;
        /// CLIENT_REMEMBER_OPTIONS.
        REMEMBER_OPTIONS = 1 << 31;
    }
}

flag_set! {
    /// MariaDB extended capabilities (bits 32..63, sent in the last 4 filler bytes of the greeting
    /// and of the handshake response when CLIENT_MYSQL is clear).
    MariaDbCapabilities: u32 {
        /// MARIADB_CLIENT_PROGRESS.
        PROGRESS = 1;
        /// MARIADB_CLIENT_COM_MULTI (obsolete).
        COM_MULTI = 1 << 1;
        /// MARIADB_CLIENT_STMT_BULK_OPERATIONS.
        STMT_BULK_OPERATIONS = 1 << 2;
        /// MARIADB_CLIENT_EXTENDED_METADATA: extra type info in column definitions.
        EXTENDED_METADATA = 1 << 3;
        /// MARIADB_CLIENT_CACHE_METADATA.
        CACHE_METADATA = 1 << 4;
        /// MARIADB_CLIENT_BULK_UNIT_RESULTS.
        BULK_UNIT_RESULTS = 1 << 5;
    }
}

flag_set! {
    /// Server status flags (OK / EOF packets).
    StatusFlags: u16 {
        /// SERVER_STATUS_IN_TRANS.
        IN_TRANS = 1;
        /// SERVER_STATUS_AUTOCOMMIT.
        AUTOCOMMIT = 1 << 1;
        /// SERVER_MORE_RESULTS_EXISTS.
        MORE_RESULTS_EXISTS = 1 << 3;
        /// SERVER_QUERY_NO_GOOD_INDEX_USED.
        NO_GOOD_INDEX_USED = 1 << 4;
        /// SERVER_QUERY_NO_INDEX_USED.
        NO_INDEX_USED = 1 << 5;
        /// SERVER_STATUS_CURSOR_EXISTS.
        CURSOR_EXISTS = 1 << 6;
        /// SERVER_STATUS_LAST_ROW_SENT.
        LAST_ROW_SENT = 1 << 7;
        /// SERVER_STATUS_DB_DROPPED.
        DB_DROPPED = 1 << 8;
        /// SERVER_STATUS_NO_BACKSLASH_ESCAPES.
        NO_BACKSLASH_ESCAPES = 1 << 9;
        /// SERVER_STATUS_METADATA_CHANGED.
        METADATA_CHANGED = 1 << 10;
        /// SERVER_QUERY_WAS_SLOW.
        QUERY_WAS_SLOW = 1 << 11;
        /// SERVER_PS_OUT_PARAMS.
        PS_OUT_PARAMS = 1 << 12;
        /// SERVER_STATUS_IN_TRANS_READONLY.
        IN_TRANS_READONLY = 1 << 13;
        /// SERVER_SESSION_STATE_CHANGED.
        SESSION_STATE_CHANGED = 1 << 14;
    }
}

flag_set! {
    /// Column definition flags.
    ColumnFlags: u16 {
        /// NOT_NULL_FLAG.
        NOT_NULL = 1;
        /// PRI_KEY_FLAG.
        PRIMARY_KEY = 1 << 1;
        /// UNIQUE_KEY_FLAG.
        UNIQUE_KEY = 1 << 2;
        /// MULTIPLE_KEY_FLAG.
        MULTIPLE_KEY = 1 << 3;
        /// BLOB_FLAG.
        BLOB = 1 << 4;
        /// UNSIGNED_FLAG.
        UNSIGNED = 1 << 5;
        /// ZEROFILL_FLAG.
        ZEROFILL = 1 << 6;
        /// BINARY_FLAG.
        BINARY = 1 << 7;
        /// ENUM_FLAG.
        ENUM = 1 << 8;
        /// AUTO_INCREMENT_FLAG.
        AUTO_INCREMENT = 1 << 9;
        /// TIMESTAMP_FLAG.
        TIMESTAMP = 1 << 10;
        /// SET_FLAG.
        SET = 1 << 11;
        /// NO_DEFAULT_VALUE_FLAG.
        NO_DEFAULT_VALUE = 1 << 12;
        /// ON_UPDATE_NOW_FLAG.
        ON_UPDATE_NOW = 1 << 13;
        /// PART_KEY_FLAG.
        PART_KEY = 1 << 14;
        /// NUM_FLAG.
        NUM = 1 << 15;
    }
}

/// Column type (`enum_field_types`). Unknown codes are kept, not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ColumnType(pub u8);

impl ColumnType {
    /// MYSQL_TYPE_DECIMAL.
    pub const DECIMAL: ColumnType = ColumnType(0x00);
    /// MYSQL_TYPE_TINY.
    pub const TINY: ColumnType = ColumnType(0x01);
    /// MYSQL_TYPE_SHORT.
    pub const SHORT: ColumnType = ColumnType(0x02);
    /// MYSQL_TYPE_LONG.
    pub const LONG: ColumnType = ColumnType(0x03);
    /// MYSQL_TYPE_FLOAT.
    pub const FLOAT: ColumnType = ColumnType(0x04);
    /// MYSQL_TYPE_DOUBLE.
    pub const DOUBLE: ColumnType = ColumnType(0x05);
    /// MYSQL_TYPE_NULL.
    pub const NULL: ColumnType = ColumnType(0x06);
    /// MYSQL_TYPE_TIMESTAMP.
    pub const TIMESTAMP: ColumnType = ColumnType(0x07);
    /// MYSQL_TYPE_LONGLONG.
    pub const LONGLONG: ColumnType = ColumnType(0x08);
    /// MYSQL_TYPE_INT24.
    pub const INT24: ColumnType = ColumnType(0x09);
    /// MYSQL_TYPE_DATE.
    pub const DATE: ColumnType = ColumnType(0x0a);
    /// MYSQL_TYPE_TIME.
    pub const TIME: ColumnType = ColumnType(0x0b);
    /// MYSQL_TYPE_DATETIME.
    pub const DATETIME: ColumnType = ColumnType(0x0c);
    /// MYSQL_TYPE_YEAR.
    pub const YEAR: ColumnType = ColumnType(0x0d);
    /// MYSQL_TYPE_NEWDATE.
    pub const NEWDATE: ColumnType = ColumnType(0x0e);
    /// MYSQL_TYPE_VARCHAR.
    pub const VARCHAR: ColumnType = ColumnType(0x0f);
    /// MYSQL_TYPE_BIT.
    pub const BIT: ColumnType = ColumnType(0x10);
    /// MYSQL_TYPE_TIMESTAMP2.
    pub const TIMESTAMP2: ColumnType = ColumnType(0x11);
    /// MYSQL_TYPE_DATETIME2.
    pub const DATETIME2: ColumnType = ColumnType(0x12);
    /// MYSQL_TYPE_TIME2.
    pub const TIME2: ColumnType = ColumnType(0x13);
    /// MYSQL_TYPE_JSON (MySQL).
    pub const JSON: ColumnType = ColumnType(0xf5);
    /// MYSQL_TYPE_NEWDECIMAL.
    pub const NEWDECIMAL: ColumnType = ColumnType(0xf6);
    /// MYSQL_TYPE_ENUM.
    pub const ENUM: ColumnType = ColumnType(0xf7);
    /// MYSQL_TYPE_SET.
    pub const SET: ColumnType = ColumnType(0xf8);
    /// MYSQL_TYPE_TINY_BLOB.
    pub const TINY_BLOB: ColumnType = ColumnType(0xf9);
    /// MYSQL_TYPE_MEDIUM_BLOB.
    pub const MEDIUM_BLOB: ColumnType = ColumnType(0xfa);
    /// MYSQL_TYPE_LONG_BLOB.
    pub const LONG_BLOB: ColumnType = ColumnType(0xfb);
    /// MYSQL_TYPE_BLOB.
    pub const BLOB: ColumnType = ColumnType(0xfc);
    /// MYSQL_TYPE_VAR_STRING.
    pub const VAR_STRING: ColumnType = ColumnType(0xfd);
    /// MYSQL_TYPE_STRING.
    pub const STRING: ColumnType = ColumnType(0xfe);
    /// MYSQL_TYPE_GEOMETRY.
    pub const GEOMETRY: ColumnType = ColumnType(0xff);

    /// The MySQL name of the type (`"LONG"`, `"VAR_STRING"`, …), or `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "DECIMAL",
            0x01 => "TINY",
            0x02 => "SHORT",
            0x03 => "LONG",
            0x04 => "FLOAT",
            0x05 => "DOUBLE",
            0x06 => "NULL",
            0x07 => "TIMESTAMP",
            0x08 => "LONGLONG",
            0x09 => "INT24",
            0x0a => "DATE",
            0x0b => "TIME",
            0x0c => "DATETIME",
            0x0d => "YEAR",
            0x0e => "NEWDATE",
            0x0f => "VARCHAR",
            0x10 => "BIT",
            0x11 => "TIMESTAMP2",
            0x12 => "DATETIME2",
            0x13 => "TIME2",
            0xf5 => "JSON",
            0xf6 => "NEWDECIMAL",
            0xf7 => "ENUM",
            0xf8 => "SET",
            0xf9 => "TINY_BLOB",
            0xfa => "MEDIUM_BLOB",
            0xfb => "LONG_BLOB",
            0xfc => "BLOB",
            0xfd => "VAR_STRING",
            0xfe => "STRING",
            0xff => "GEOMETRY",
            _ => return None,
        })
    }

    /// True for the integer types (TINY, SHORT, INT24, LONG, LONGLONG, YEAR).
    pub fn is_integer(self) -> bool {
        matches!(self.0, 0x01 | 0x02 | 0x03 | 0x08 | 0x09 | 0x0d)
    }

    /// True for FLOAT and DOUBLE.
    pub fn is_float(self) -> bool {
        matches!(self.0, 0x04 | 0x05)
    }

    /// True for DECIMAL and NEWDECIMAL.
    pub fn is_decimal(self) -> bool {
        matches!(self.0, 0x00 | 0xf6)
    }

    /// True for the numeric types (right-aligned in a table).
    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float() || self.is_decimal()
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "TYPE_{:#04x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_include_unknown_bits() {
        let s = StatusFlags(0x0002 | 0x8000);
        assert_eq!(
            s.names(),
            vec!["AUTOCOMMIT".to_string(), "0x8000".to_string()]
        );
        assert!(CapabilityFlags(0x81fff7fe).contains(CapabilityFlags::PROTOCOL_41));
        assert!(!CapabilityFlags(0x81fff7fe).contains(CapabilityFlags::LONG_PASSWORD));
    }
}
