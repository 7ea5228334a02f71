//! `-p` without a value: the password is read from the terminal without echo, as the mariadb
//! client reads it (`getpass`): the prompt `Enter password: ` and the reply go through
//! `/dev/tty`, not standard input or output (which may be a script and its results); echo is
//! turned off while the line is typed and restored afterwards, then a newline is written.
//! Without a terminal, standard input and standard error are used instead.

use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Write};

use mywire::session::Password;
use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};

/// The mariadb client's prompt.
pub const PROMPT: &str = "Enter password: ";

/// Reads a password (the line without its terminator).
pub fn prompt() -> io::Result<Password> {
    match OpenOptions::new().read(true).write(true).open("/dev/tty") {
        Ok(tty) => {
            let mut w = tty.try_clone()?;
            w.write_all(PROMPT.as_bytes())?;
            w.flush()?;
            let saved = tcgetattr(&tty).ok();
            if let Some(t) = &saved {
                let mut quiet = t.clone();
                quiet.local_flags.remove(LocalFlags::ECHO);
                quiet.local_flags.insert(LocalFlags::ECHONL);
                let _ = tcsetattr(&tty, SetArg::TCSAFLUSH, &quiet);
            }
            let line = read_line(BufReader::new(&tty));
            if let Some(t) = &saved {
                let _ = tcsetattr(&tty, SetArg::TCSAFLUSH, t);
            }
            // ECHONL echoed the newline when echo could be turned off; else write one.
            if saved.is_none() {
                let _ = w.write_all(b"\n");
            }
            line
        }
        Err(_) => {
            let mut e = io::stderr();
            e.write_all(PROMPT.as_bytes())?;
            e.flush()?;
            read_line(io::stdin().lock())
        }
    }
}

fn read_line<R: BufRead>(mut r: R) -> io::Result<Password> {
    let mut buf = Vec::new();
    r.read_until(b'\n', &mut buf)?;
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    let p = Password::from(String::from_utf8_lossy(&buf).as_ref());
    // The buffer held the secret: overwrite it before it is freed.
    buf.iter_mut().for_each(|b| *b = 0);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_without_terminator() {
        let p = read_line(&b"s3 cret\r\nmore"[..]).unwrap();
        assert_eq!(p.expose(), "s3 cret");
        assert_eq!(read_line(&b""[..]).unwrap().expose(), "");
    }
}
