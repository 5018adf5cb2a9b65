//! A command's answer on stdout, which may be a pipe its reader closes early
//! (`switchyard ctl rooms | head`).

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

/// Writes `text` to stdout and flushes it: exit 0 once written, and also
/// when the reader went away before the end (a broken pipe), as the reader
/// had what it wanted; exit 1, with the error on stderr, when stdout cannot
/// be written otherwise (a full disk).
pub fn print(text: &str) -> ExitCode {
    write_answer(&mut std::io::stdout().lock(), text)
}

/// `text` as a terminal shows it, character for character: each control
/// character (ESC, CR, BEL, DEL, C1 …) and each bidirectional override
/// written as its Rust escape (`\u{1b}`), so server-supplied text (a caller's
/// display name) cannot move the cursor, retitle the window or clear the
/// screen; newlines are kept when `lines`, else escaped too.
pub fn literal(text: &str, lines: bool) -> String {
    text.chars()
        .map(|c| match c {
            '\n' if lines => c.to_string(),
            _ if c.is_control() || is_bidi_control(c) => c.escape_unicode().to_string(),
            _ => c.to_string(),
        })
        .collect()
}

// A bidirectional embedding, override or isolate reorders what follows it on screen.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`print()`] to `out`.
fn write_answer(out: &mut impl Write, text: &str) -> ExitCode {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchyard: cannot write the answer to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stdout whose writes fail with `kind`.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        let caller = "\u{1b}[2J\u{1b}]0;owned\u{7}al\tice\u{9b}\u{202e}";
        let shown = r"\u{1b}[2J\u{1b}]0;owned\u{7}al\u{9}ice\u{9b}\u{202e}";
        assert_eq!(literal(caller, false), shown);
        assert_eq!(literal("a\nb\r", false), r"a\u{a}b\u{d}");
        assert_eq!(literal("a\nb\r", true), "a\nb\\u{d}");
        assert_eq!(literal("Zoë 123", false), "Zoë 123");
    }

    #[test]
    fn a_reader_gone_ends_quietly_and_another_failure_is_exit_1() {
        let mut written = Vec::new();
        assert_eq!(write_answer(&mut written, "ok\n"), ExitCode::SUCCESS);
        assert_eq!(written, b"ok\n");
        let gone = write_answer(&mut Failing(ErrorKind::BrokenPipe), "a\nb\n");
        assert_eq!(gone, ExitCode::SUCCESS);
        let full = write_answer(&mut Failing(ErrorKind::StorageFull), "a\n");
        assert_eq!(full, ExitCode::FAILURE);
    }
}
