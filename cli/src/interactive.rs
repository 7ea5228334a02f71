//! The interactive prompt: `mywire> `, continuation `    -> `, line editing and history.

use mywire::Session;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::splitter::Splitter;
use crate::{exec_print, Mode};

/// Reads statements at a prompt until `exit`, `quit` or end of input. Errors are printed and
/// the prompt goes on, unless the connection is lost. Returns false if it was.
pub fn run(rt: &tokio::runtime::Runtime, session: &mut Session, mode: Mode) -> bool {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mywire: cannot set up line editing: {e}");
            return false;
        }
    };
    let mut splitter = Splitter::new();
    loop {
        let prompt = if splitter.is_pending() {
            "    -> "
        } else {
            "mywire> "
        };
        let line = match editor.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C drops the statement being typed.
                splitter.reset();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("mywire: cannot read the input: {e}");
                return false;
            }
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        if !splitter.is_pending() && is_quit(&line) {
            break;
        }
        for st in splitter.push_line(&line) {
            if let Err(e) = exec_print(rt, session, &st.sql, mode, None) {
                if e.is_fatal() {
                    return false;
                }
            }
        }
    }
    println!("Bye");
    true
}

/// `exit`, `quit` (with or without `;`) and `\q` end the session.
fn is_quit(line: &str) -> bool {
    let t = line.trim().trim_end_matches(';').trim_end();
    t.eq_ignore_ascii_case("exit") || t.eq_ignore_ascii_case("quit") || t == "\\q"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quit_commands() {
        for q in ["exit", "QUIT;", " \\q ", "exit ;"] {
            assert!(is_quit(q), "{q}");
        }
        for q in ["exits", "select 1", ""] {
            assert!(!is_quit(q), "{q}");
        }
    }
}
