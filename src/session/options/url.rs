//! Options from a URL and from `name=value` parameters: [`Options::from_url`],
//! [`Options::set`], and the parsers of their values.

use zeroize::Zeroize;

use super::*;

pub(super) fn config(msg: impl Into<String>) -> Error {
    Error::Config(msg.into())
}

/// Percent-decodes `s` (`+` is kept as is).
pub fn percent_decode(s: &str) -> Result<String, Error> {
    percent_decode_part(s, "url", false)
}

/// Percent-decodes `s`, the URL's `part` (`user`, `host`, a parameter's name…), which errors
/// start with; when `secret`, errors do not quote `s`.
pub(super) fn percent_decode_part(s: &str, part: &str, secret: bool) -> Result<String, Error> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    if secret {
                        config(format!("{part}: bad percent-escape in the URL"))
                    } else {
                        config(format!(
                            "{part}: bad percent-escape in the URL near `{}`",
                            s.get(i..).unwrap_or("")
                        ))
                    }
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| {
        if secret {
            // The rejected bytes are (part of) a secret: wipe them too.
            e.into_bytes().zeroize();
        }
        config(format!("{part}: not UTF-8 after percent-decoding"))
    })
}

pub(super) fn parse_bool(key: &str, v: &str) -> Result<bool, Error> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(config(format!("{key}: must be true or false, not `{v}`"))),
    }
}

/// `compress`: algorithms in order of preference, comma-separated (`zlib`, `zstd`;
/// `uncompressed`, `off` and the false values add none; `on` and the true values mean zlib, as
/// the classic `--compress` does).
pub(super) fn parse_compress(v: &str) -> Result<Vec<Algorithm>, Error> {
    let mut out = Vec::new();
    for name in v.split(',').map(str::trim) {
        let a = match name.to_ascii_lowercase().as_str() {
            "zlib" | "on" | "true" | "yes" | "1" => Algorithm::Zlib,
            "zstd" => Algorithm::Zstd,
            "uncompressed" | "off" | "none" | "false" | "no" | "0" => continue,
            _ => {
                return Err(config(format!(
                    "compress: takes zlib, zstd or off (a comma-separated list in order of \
                     preference), not `{name}`"
                )))
            }
        };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// One `host[:port]` (or `[v6]:port`) of a URL, percent-decoded.
pub(super) fn host_port(hostport: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, after) = h
            .split_once(']')
            .ok_or_else(|| config("host: unclosed `[` in the URL"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse()
                .map_err(|_| config(format!("port: `{p}` is not a port number (0 to 65535)")))?,
        ),
        None => None,
    };
    Ok((percent_decode_part(host, "host", false)?, port))
}

pub(super) fn parse_secs(key: &str, v: &str) -> Result<Option<Duration>, Error> {
    let secs: f64 = v
        .parse()
        .map_err(|_| config(format!("{key}: must be a number of seconds, not `{v}`")))?;
    if !(0.0..=1e9).contains(&secs) {
        return Err(config(format!(
            "{key}: must be 0 to 1000000000 seconds, not `{v}`"
        )));
    }
    Ok(if secs == 0.0 {
        None
    } else {
        Some(Duration::from_secs_f64(secs))
    })
}

impl Options {
    /// Parses `mysql://user:password@host:port/database?param=value&...`.
    pub fn from_url(url: &str) -> Result<Options, Error> {
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| config("url: must start with mysql:// or mariadb://"))?;
        let mut o = Options::default();
        // The user info ends at the last `@` before the query string: a password may hold
        // `/` or `@` unencoded (`?` must be encoded), and no part of it may end up in an error
        // message. Parameters after `?` may hold `@` (a socket path).
        let before_query = rest.find('?').unwrap_or(rest.len());
        let (userinfo, rest) = match rest.get(..before_query).and_then(|r| r.rfind('@')) {
            Some(at) => (rest.get(..at), rest.get(at + 1..).unwrap_or("")),
            None => (None, rest),
        };
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let (hostport, path) = match main.split_once('/') {
            Some((a, p)) => (a, p),
            None => (main, ""),
        };
        if let Some(u) = userinfo {
            let (user, pass) = match u.split_once(':') {
                Some((a, b)) => (a, Some(b)),
                None => (u, None),
            };
            o.user = percent_decode_part(user, "user", false)?;
            if let Some(p) = pass {
                o.password = Password::new(percent_decode_part(p, "password", true)?);
            }
        }
        if hostport.contains(',') {
            // Several hosts (`h1:3306,h2:3307`): the first is `host`/`port`, all are `hosts`.
            for item in hostport.split(',') {
                let (host, port) = host_port(item)?;
                if host.is_empty() {
                    return Err(config("host: empty host in the URL's host list"));
                }
                o.hosts.push((host, port.unwrap_or(o.port)));
            }
            if let Some((h, p)) = o.hosts.first() {
                o.host = h.clone();
                o.port = *p;
            }
        } else if !hostport.is_empty() {
            let (host, port) = host_port(hostport)?;
            if !host.is_empty() {
                o.host = host;
            }
            if let Some(p) = port {
                o.port = p;
            }
        }
        if !path.is_empty() {
            o.database = Some(percent_decode_part(path, "database", false)?);
        }
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
            let k = percent_decode_part(k, "url", false)?;
            let v = percent_decode_part(v, &k, k == "password")?;
            o.set(&k, &v)?;
        }
        Ok(o)
    }

    /// Sets one option by its URL parameter name (`max-packet`, `socket`, …; `_` is accepted for
    /// `-`). Unknown names are an error, so typos do not pass silently.
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), Error> {
        let key = key.replace('_', "-");
        match key.as_str() {
            "socket" => self.socket = Some(PathBuf::from(v)),
            "user" => self.user = v.to_string(),
            "password" => self.password = Password::from(v),
            "database" => self.database = Some(v.to_string()),
            "max-packet" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| config(format!("max-packet: must be a byte count, not `{v}`")))?;
                if !(1024..=(1usize << 30)).contains(&n) {
                    return Err(config(format!(
                        "max-packet: must be 1024 to 1073741824 bytes, not `{v}`"
                    )));
                }
                self.max_packet = n;
            }
            "multi-statements" => self.multi_statements = parse_bool(&key, v)?,
            "found-rows" => self.found_rows = parse_bool(&key, v)?,
            "deprecate-eof" => self.deprecate_eof = parse_bool(&key, v)?,
            "session-track" => self.session_track = parse_bool(&key, v)?,
            "bulk" => self.bulk = parse_bool(&key, v)?,
            "direct-execute" => self.direct_execute = parse_bool(&key, v)?,
            "fetch-size" => {
                self.fetch_size = v.parse().map_err(|_| {
                    config(format!(
                        "fetch-size: must be a row count (0 = no cursor), not `{v}`"
                    ))
                })?;
            }
            "stmt-cache" => {
                self.stmt_cache =
                    v.parse().ok().filter(|n| *n <= 16_384).ok_or_else(|| {
                        config(format!("stmt-cache: must be 0 to 16384, not `{v}`"))
                    })?;
            }
            "connect-timeout" => self.connect_timeout = parse_secs(&key, v)?,
            "read-timeout" => self.read_timeout = parse_secs(&key, v)?,
            "write-timeout" => self.write_timeout = parse_secs(&key, v)?,
            // As the mysql client's --local-infile and --load-data-local-dir: enabled, any file
            // the statement names; disabled, only files in the directories given.
            "local-infile" => {
                if parse_bool(&key, v)? {
                    self.local_infile = Some(LocalInfile::Any);
                } else if self.local_infile == Some(LocalInfile::Any) {
                    self.local_infile = None;
                }
            }
            "local-infile-dir" => {
                if v.is_empty() {
                    return Err(config("local-infile-dir: needs a directory"));
                }
                match &mut self.local_infile {
                    Some(LocalInfile::Any) => {}
                    Some(LocalInfile::Dirs(d)) => d.push(PathBuf::from(v)),
                    _ => self.local_infile = Some(LocalInfile::Dirs(vec![PathBuf::from(v)])),
                }
            }
            "ssl-mode" => self.ssl_mode = v.parse()?,
            "ssl-ca" => self.ssl_ca = Some(PathBuf::from(v)),
            "ssl-cert" => self.ssl_cert = Some(PathBuf::from(v)),
            "ssl-key" => self.ssl_key = Some(PathBuf::from(v)),
            "ssl-key-log" => self.ssl_key_log = Some(PathBuf::from(v)),
            "server-public-key-path" => self.server_public_key_path = Some(PathBuf::from(v)),
            "get-server-public-key" => self.get_server_public_key = parse_bool(&key, v)?,
            "enable-cleartext-plugin" => self.enable_cleartext_plugin = parse_bool(&key, v)?,
            "compress" => self.compress = parse_compress(v)?,
            "compress-level" => {
                self.compress_level = Some(
                    v.parse()
                        .ok()
                        .filter(|n| (1..=22).contains(n))
                        .ok_or_else(|| {
                            config(format!("compress-level: must be 1 to 22, not `{v}`"))
                        })?,
                );
            }
            "kill-on-cancel" => self.kill_on_cancel = parse_bool(&key, v)?,
            "tcp-keepalive" => self.tcp_keepalive = parse_secs(&key, v)?,
            "host-selection" => {
                self.host_selection = match v.to_ascii_lowercase().as_str() {
                    "sequential" | "failover" => HostSelection::Sequential,
                    "random" => HostSelection::Random,
                    "round-robin" | "roundrobin" => HostSelection::RoundRobin,
                    _ => {
                        return Err(config(format!(
                            "host-selection: must be sequential, random or round-robin, not `{v}`"
                        )))
                    }
                };
            }
            "require-writable" => self.require_writable = parse_bool(&key, v)?,
            _ => return Err(config(format!("{key}: unknown option"))),
        }
        Ok(())
    }

    /// Where the session connects, for messages (`127.0.0.1:3306` or the socket path).
    pub fn endpoint(&self) -> String {
        match &self.socket {
            Some(p) => p.display().to_string(),
            None if self.host.contains(':') => format!("[{}]:{}", self.host, self.port),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    /// The URL these options came from, with the password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        let pw = if self.password.is_empty() { "" } else { ":***" };
        let db = self.database.as_deref().unwrap_or("");
        format!("mysql://{}{}@{}/{}", self.user, pw, self.endpoint(), db)
    }
}
