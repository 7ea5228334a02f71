//! LOAD DATA LOCAL INFILE policy, shared by both sessions: which files may be sent
//! ([`LocalInfile`]) and how one is opened and read. The protocol part (which names the
//! statement allows, the packets) is the engine's (`crate::proto`, [`crate::proto::InfileWant`]).

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::InfileRefusalReason;

/// A caller-supplied source of LOCAL INFILE data: given the file name the statement named
/// (and the server asked for), returns a reader of the contents. It runs on a blocking thread
/// in the async session (`spawn_blocking`), so it may do blocking I/O.
pub type InfileOpener = Arc<dyn Fn(&str) -> io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// What LOAD DATA LOCAL INFILE may send ([`crate::Options::local_infile`]; `None` there, the
/// default, refuses every request). Whatever the policy, only a file a `LOAD DATA ... LOCAL
/// INFILE 'name'` of the query itself names is ever sent: a server asking for another is
/// refused.
#[derive(Clone)]
pub enum LocalInfile {
    /// Any file the statement names, opened relative to the working directory (`mysql
    /// --local-infile=1`; URL `local-infile=true`).
    Any,
    /// Only files whose canonical path (symbolic links resolved) lies inside one of these
    /// directories, themselves canonicalized when a file is asked for (`mysql
    /// --load-data-local-dir`; URL `local-infile-dir=DIR`, repeatable).
    Dirs(Vec<PathBuf>),
    /// The contents come from this callback (nothing is opened by mywire).
    Reader(InfileOpener),
}

impl LocalInfile {
    /// A policy whose data comes from `f` (see [`LocalInfile::Reader`]).
    pub fn reader<F>(f: F) -> Self
    where
        F: Fn(&str) -> io::Result<Box<dyn Read + Send>> + Send + Sync + 'static,
    {
        LocalInfile::Reader(Arc::new(f))
    }
}

impl std::fmt::Debug for LocalInfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalInfile::Any => f.write_str("Any"),
            LocalInfile::Dirs(d) => f.debug_tuple("Dirs").field(d).finish(),
            LocalInfile::Reader(_) => f.write_str("Reader(..)"),
        }
    }
}

impl PartialEq for LocalInfile {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (LocalInfile::Any, LocalInfile::Any) => true,
            (LocalInfile::Dirs(a), LocalInfile::Dirs(b)) => a == b,
            (LocalInfile::Reader(a), LocalInfile::Reader(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for LocalInfile {}

/// Bytes read from the file per data chunk (the engine frames them as one packet each).
pub(crate) const CHUNK: usize = crate::proto::INFILE_PACKET;

/// An open LOCAL INFILE source and its read buffer (kept by the session between chunks, so a
/// transfer survives a driver call).
pub(crate) struct Source {
    reader: Box<dyn Read + Send>,
    pub(crate) buf: Vec<u8>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").finish_non_exhaustive()
    }
}

impl Source {
    /// Reads the next chunk into `buf`: its length, 0 at the end of the file.
    pub(crate) fn read_chunk(&mut self) -> io::Result<usize> {
        self.buf.resize(CHUNK, 0);
        loop {
            match self.reader.read(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map(|n| n.min(CHUNK)),
            }
        }
    }

    /// The chunk [`Source::read_chunk`] read.
    pub(crate) fn chunk(&self, n: usize) -> &[u8] {
        self.buf.get(..n).unwrap_or_default()
    }
}

/// Opens `name` (what the statement named) under `policy`, or says why not.
pub(crate) fn open(
    policy: Option<&LocalInfile>,
    name: &str,
) -> Result<Source, InfileRefusalReason> {
    let unreadable = |e: io::Error| InfileRefusalReason::Unreadable(e.to_string());
    let reader: Box<dyn Read + Send> = match policy {
        None => return Err(InfileRefusalReason::NotEnabled),
        Some(LocalInfile::Any) => Box::new(std::fs::File::open(name).map_err(unreadable)?),
        Some(LocalInfile::Dirs(dirs)) => {
            let path = std::fs::canonicalize(name).map_err(unreadable)?;
            let inside = dirs
                .iter()
                .filter_map(|d| std::fs::canonicalize(d).ok())
                .any(|d| path.starts_with(&d));
            if !inside {
                return Err(InfileRefusalReason::OutsideAllowedDirs);
            }
            Box::new(open_no_follow(&path).map_err(unreadable)?)
        }
        Some(LocalInfile::Reader(f)) => f(name).map_err(unreadable)?,
    };
    Ok(Source {
        reader,
        buf: Vec::new(),
    })
}

/// Opens the canonical `path`, refusing a symbolic link put in its place since it was
/// resolved (Unix: O_NOFOLLOW).
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(policy: Option<&LocalInfile>, name: &str) -> InfileRefusalReason {
        match open(policy, name) {
            Err(r) => r,
            Ok(_) => panic!("{name} opened"),
        }
    }

    #[test]
    fn policies() {
        let dir = std::env::temp_dir().join(format!("mywire-infile-unit-{}", std::process::id()));
        let inside = dir.join("in");
        std::fs::create_dir_all(&inside).unwrap();
        let file = inside.join("f.csv");
        std::fs::write(&file, b"1,2\n").unwrap();
        let outside = dir.join("secret");
        std::fs::write(&outside, b"x").unwrap();
        let link = inside.join("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let f = file.to_str().unwrap();
        assert_eq!(refusal(None, f), InfileRefusalReason::NotEnabled);
        let dirs = LocalInfile::Dirs(vec![inside.clone()]);
        let mut s = open(Some(&dirs), f).unwrap();
        let n = s.read_chunk().unwrap();
        assert_eq!(s.chunk(n), b"1,2\n");
        assert_eq!(s.read_chunk().unwrap(), 0);
        // A symbolic link inside pointing outside, and `..` out of the directory.
        assert_eq!(
            refusal(Some(&dirs), link.to_str().unwrap()),
            InfileRefusalReason::OutsideAllowedDirs
        );
        let up = format!("{}/../secret", inside.display());
        assert_eq!(
            refusal(Some(&dirs), &up),
            InfileRefusalReason::OutsideAllowedDirs
        );
        assert!(matches!(
            refusal(Some(&dirs), &format!("{}/none", inside.display())),
            InfileRefusalReason::Unreadable(_)
        ));
        assert!(open(Some(&LocalInfile::Any), up.as_str()).is_ok());
        let cb = LocalInfile::reader(|name| {
            if name == "virtual" {
                Ok(Box::new(std::io::Cursor::new(b"a\n".to_vec())) as Box<dyn Read + Send>)
            } else {
                Err(io::Error::new(io::ErrorKind::NotFound, "no such stream"))
            }
        });
        assert!(open(Some(&cb), "virtual").is_ok());
        assert!(
            matches!(refusal(Some(&cb), "other"), InfileRefusalReason::Unreadable(m) if m.contains("no such stream"))
        );
        assert_eq!(cb.clone(), cb);
        assert_ne!(cb, LocalInfile::Any);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
