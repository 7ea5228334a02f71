//! MySQL 8's query attributes (CLIENT_QUERY_ATTRIBUTES): name/value pairs sent with a
//! COM_QUERY or after the parameters of a COM_STMT_EXECUTE.

use bytes::BytesMut;

use crate::codec::stmt::{encode_query_with_attributes, CURSOR_TYPE_NO_CURSOR};
use crate::codec::value::ToParam;
use crate::codec::CapabilityFlags;
use crate::error::Error;

use super::response::Expect;
use super::{Engine, Statement};

impl Engine {
    /// Queues COM_QUERY with query attributes (name, value), which the server makes
    /// available to the statement (MySQL 8.0.23+: `mysql_query_attribute_string(name)`);
    /// refused when the server did not negotiate CLIENT_QUERY_ATTRIBUTES (MariaDB never does).
    pub fn start_query_with_attributes(
        &mut self,
        sql: &str,
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<(), Error> {
        self.require_attributes()?;
        let attrs: Vec<(&[u8], &dyn ToParam)> =
            attributes.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
        let mut b = BytesMut::with_capacity(sql.len().saturating_add(64));
        encode_query_with_attributes(&mut b, sql.as_bytes(), &attrs)
            .map_err(|e| Error::Usage(format!("the attributes cannot be sent: {e}")))?;
        self.start(&[&b], Expect::Head)
    }

    pub(super) fn require_attributes(&self) -> Result<(), Error> {
        if self.caps.contains(CapabilityFlags::QUERY_ATTRIBUTES) {
            Ok(())
        } else {
            Err(Error::Usage(
                "the server does not take query attributes (CLIENT_QUERY_ATTRIBUTES, MySQL \
                 8.0.23 and later; MariaDB has none)"
                    .into(),
            ))
        }
    }

    /// Queues COM_STMT_EXECUTE of `stmt` with `params` and query attributes (name, value)
    /// after them (MySQL 8.0.23+; refused when CLIENT_QUERY_ATTRIBUTES was not negotiated).
    /// Read like [`Engine::start_execute`]'s.
    pub fn start_execute_with_attributes(
        &mut self,
        stmt: &Statement,
        params: &[&dyn ToParam],
        attributes: &[(&str, &dyn ToParam)],
    ) -> Result<(), Error> {
        self.require_attributes()?;
        self.start_execute_full(stmt, params, attributes, CURSOR_TYPE_NO_CURSOR)
    }
}
