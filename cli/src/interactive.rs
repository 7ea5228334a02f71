//! The interactive prompt, as the mariadb client's: `MariaDB [db]> ` (the server's name and
//! the database in use), continuation prompts `    -> `, `    '> `, `    "> `, `` `> ``,
//! `   /*> `, line editing and history; a greeting first and `Bye` at the end (printed by
//! the caller).

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::script::{Flow, Runner};

/// Reads lines at a prompt until `exit`, `quit`, `\q` or end of input. Errors are printed
/// and the prompt goes on, unless the connection is lost.
pub fn run(runner: &mut Runner<'_>) -> Flow {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mywire: cannot set up line editing: {e}");
            return Flow::Stop;
        }
    };
    let server = if runner.session.server_version().contains("MariaDB") {
        "MariaDB"
    } else {
        "MySQL"
    };
    if runner.style.silent == 0 {
        // The version as the mariadb client's greeting gives it: with the version comment.
        let comment = runner
            .rt
            .block_on(crate::status::rows(
                runner.session,
                "select @@version_comment limit 1",
            ))
            .ok()
            .and_then(|r| r.into_iter().next())
            .and_then(|r| r.into_iter().next())
            .filter(|c| !c.is_empty());
        let version = match comment {
            Some(c) => format!("{} {c}", runner.session.server_version()),
            None => runner.session.server_version().to_string(),
        };
        println!(
            "Welcome to mywire. Commands end with ; or \\g.\n\
             Connection id: {}\nServer version: {}\n\n\
             Type 'help;' or '\\h' for help. Type '\\c' to clear the current input statement.\n",
            runner.session.connection_id(),
            crate::terminal_safe(&version)
        );
    }
    loop {
        let prompt = if runner.splitter.is_pending() {
            match runner.splitter.pending_kind() {
                '*' => "   /*> ".to_string(),
                '-' => "    -> ".to_string(),
                q => format!("    {q}> "),
            }
        } else {
            format!(
                "{server} [{}]> ",
                runner.database.as_deref().unwrap_or("(none)")
            )
        };
        let line = match editor.readline(&prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C drops the statement being typed.
                runner.splitter.reset();
                continue;
            }
            Err(ReadlineError::Eof) => return Flow::Go,
            Err(e) => {
                eprintln!("mywire: cannot read the input: {e}");
                return Flow::Stop;
            }
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        match runner.line(&line) {
            Flow::Go => {}
            Flow::Quit => return Flow::Go,
            Flow::Stop => return Flow::Stop,
        }
    }
}
