//! The `status` (`\s`) command: the connection and the server, in the mariadb client's
//! layout (one `Label:<TABs>value` line each, between dashed lines). The uptime line and the
//! one after it are made from `SHOW GLOBAL STATUS`, as the server's statistics string says
//! them (`Threads: 1  Questions: 113  Slow queries: 0  Opens: 17  Open tables: 10  Queries
//! per second avg: 0.251`).

use std::path::PathBuf;

use mywire::{Error, Session};

/// How the session is connected.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A Unix socket.
    Socket(PathBuf),
    /// TCP.
    Tcp { host: String, port: u16 },
}

impl Endpoint {
    /// `Localhost via UNIX socket` / `HOST via TCP/IP`, as the client says it.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Socket(_) => "Localhost via UNIX socket".to_string(),
            Endpoint::Tcp { host, .. } => format!("{host} via TCP/IP"),
        }
    }
}

/// The rows of `sql` as text (NULL as an empty string).
pub async fn rows(session: &mut Session, sql: &str) -> Result<Vec<Vec<String>>, Error> {
    let mut result = session.query(sql).await?;
    let mut out = Vec::new();
    while let Some(row) = result.next_row().await? {
        out.push(
            (0..row.len())
                .map(|i| row.text(i).map(|t| t.into_owned()).unwrap_or_default())
                .collect(),
        );
    }
    while result.next_result().await? {}
    Ok(out)
}

async fn first_row(session: &mut Session, sql: &str) -> Vec<String> {
    rows(session, sql)
        .await
        .ok()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_default()
}

fn col(r: &[String], i: usize) -> &str {
    r.get(i).map(String::as_str).unwrap_or("")
}

/// `N days N hours N min N sec`, as the client writes the uptime.
fn nice_time(mut secs: u64) -> String {
    let mut out = String::new();
    for (unit, one, many) in [
        (86_400, " day ", " days "),
        (3_600, " hour ", " hours "),
        (60, " min ", " min "),
    ] {
        if secs >= unit {
            let n = secs / unit;
            secs -= n * unit;
            out.push_str(&format!("{n}{}", if n > 1 { many } else { one }));
        }
    }
    out.push_str(&format!("{secs} sec"));
    out
}

/// The whole `status` text.
pub async fn render(session: &mut Session, endpoint: &Endpoint, delimiter: &str) -> String {
    let who = first_row(session, "select DATABASE(), USER() limit 1").await;
    let comment = first_row(session, "select @@version_comment limit 1").await;
    let cs = first_row(
        session,
        "select @@character_set_client, @@character_set_connection, \
         @@character_set_server, @@character_set_database limit 1",
    )
    .await;
    let status = rows(
        session,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', 'Threads_connected', \
         'Questions', 'Slow_queries', 'Opened_tables', 'Open_tables')",
    )
    .await
    .unwrap_or_default();
    let stat = |name: &str| {
        status
            .iter()
            .find(|r| col(r, 0) == name)
            .and_then(|r| col(r, 1).parse::<u64>().ok())
            .unwrap_or(0)
    };
    let version = session.server_version().to_string();
    let server = if version.contains("MariaDB") {
        "MariaDB"
    } else {
        "MySQL"
    };
    let mut s = String::from("--------------\n");
    s.push_str(&format!(
        "mywire {} (MySQL / MariaDB wire protocol client)\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str(&format!(
        "\nConnection id:\t\t{}\n",
        session.connection_id()
    ));
    s.push_str(&format!("Current database:\t{}\n", col(&who, 0)));
    s.push_str(&format!("Current user:\t\t{}\n", col(&who, 1)));
    if session.is_tls() {
        s.push_str("SSL:\t\t\tIn use\n");
    } else {
        s.push_str("SSL:\t\t\tNot in use\n");
    }
    s.push_str("Current pager:\t\tstdout\n");
    s.push_str("Using outfile:\t\t''\n");
    s.push_str(&format!("Using delimiter:\t{delimiter}\n"));
    s.push_str(&format!("Server:\t\t\t{server}\n"));
    let full = match comment.first().filter(|c| !c.is_empty()) {
        Some(c) => format!("{version} {c}"),
        None => version,
    };
    s.push_str(&format!("Server version:\t\t{full}\n"));
    s.push_str("Protocol version:\t10\n");
    s.push_str(&format!("Connection:\t\t{}\n", endpoint.describe()));
    s.push_str(&format!("Server characterset:\t{}\n", col(&cs, 2)));
    s.push_str(&format!("Db     characterset:\t{}\n", col(&cs, 3)));
    s.push_str(&format!("Client characterset:\t{}\n", col(&cs, 0)));
    s.push_str(&format!("Conn.  characterset:\t{}\n", col(&cs, 1)));
    match endpoint {
        Endpoint::Socket(p) => s.push_str(&format!("UNIX socket:\t\t{}\n", p.display())),
        Endpoint::Tcp { port, .. } => s.push_str(&format!("TCP port:\t\t{port}\n")),
    }
    if session.compression().is_some() {
        s.push_str("Protocol:\t\tCompressed\n");
    }
    let uptime = stat("Uptime");
    s.push_str(&format!("Uptime:\t\t\t{}\n\n", nice_time(uptime)));
    let qps = if uptime == 0 {
        0.0
    } else {
        stat("Questions") as f64 / uptime as f64
    };
    s.push_str(&format!(
        "Threads: {}  Questions: {}  Slow queries: {}  Opens: {}  Open tables: {}  \
         Queries per second avg: {qps:.3}\n",
        stat("Threads_connected"),
        stat("Questions"),
        stat("Slow_queries"),
        stat("Opened_tables"),
        stat("Open_tables"),
    ));
    s.push_str("--------------\n\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime() {
        assert_eq!(nice_time(449), "7 min 29 sec");
        assert_eq!(nice_time(90_061), "1 day 1 hour 1 min 1 sec");
        assert_eq!(nice_time(5), "5 sec");
    }
}
