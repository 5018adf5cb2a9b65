//! Reading a file an operator names (a certificate, a key, a token, a guest's component) only
//! if it is a regular file, and only so much of it: a FIFO would hold up whatever reads it
//! (a start, a reload, a load) until some writer came, and a device such as `/dev/zero`
//! would be read until memory ran out.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// The error of what is not a regular file, inside the [`io::Error`] [`open`] returns for it:
/// [`is_not_regular`] tells it from others.
#[derive(Debug)]
struct NotRegular;

impl fmt::Display for NotRegular {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a regular file (a FIFO, a device or a directory)")
    }
}

impl std::error::Error for NotRegular {}

/// Whether `error` is [`open`]'s (or [`read`]'s) refusal of what is not a regular file.
pub fn is_not_regular(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<NotRegular>())
}

/// The file at `path` opened for reading, with its metadata, if it is a regular file (a
/// symbolic link to one included). A FIFO, a device or a directory is the error `not a
/// regular file (a FIFO, a device or a directory)` ([`is_not_regular`]), found without
/// waiting for a writer and without opening a device.
pub fn open(path: &Path) -> io::Result<(File, Metadata)> {
    let not_regular = || io::Error::other(NotRegular);
    // Opening some devices does something (a watchdog arms, a tape rewinds, a terminal may
    // become the server's own): only what is a regular file at the moment is opened, and the
    // opened file is checked again, since the path may have changed in between.
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    Ok((file, metadata))
}

/// The bytes of the regular file at `path` ([`open`]), at most `most` of them, as
/// [`read_bounded`] reads them; a file larger than `most` is found from its size first.
pub fn read(path: &Path, most: u64, what: &str) -> io::Result<Vec<u8>> {
    let (file, metadata) = open(path)?;
    if metadata.len() > most {
        return Err(too_large(most, what));
    }
    read_bounded(file, most, what)
}

/// What `reader` gives until its end, at most `most` bytes of it, whatever it reads (a
/// pipe included: the read then waits for its writer). More is the error
/// ([`io::ErrorKind::FileTooLarge`]) `larger than <most>, the most <what> may be` (`<most>`
/// in MiB when a whole number of them, else in KiB when so, else in bytes), found once no
/// more than a byte past the limit was read: what never ends (`/dev/zero`) is not read
/// until memory runs out.
pub fn read_bounded(reader: impl Read, most: u64, what: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(most + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > most {
        return Err(too_large(most, what));
    }
    Ok(bytes)
}

/// The error of what is larger than `most`, the most `what` may be.
fn too_large(most: u64, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than {}, the most {what} may be", in_words(most)),
    )
}

/// `bytes` in the largest unit it is a whole number of: `16 MiB`, `64 KiB`, `5 bytes`.
fn in_words(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    match bytes {
        0 => "0 bytes".to_owned(),
        _ if bytes.is_multiple_of(MIB) => format!("{} MiB", bytes / MIB),
        _ if bytes.is_multiple_of(KIB) => format!("{} KiB", bytes / KIB),
        _ => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::mpsc;
    use std::time::Duration;

    /// What `read` made of `path`, run on a thread of its own: a read that waits fails the
    /// test rather than hang it.
    pub(crate) fn within_a_second<T: Send + 'static, E: Send + 'static>(
        path: &Path,
        read: fn(&Path) -> Result<T, E>,
    ) -> Result<T, E> {
        let (done, outcome) = mpsc::channel();
        let path = path.to_owned();
        std::thread::spawn(move || done.send(read(&path)));
        outcome
            .recv_timeout(Duration::from_secs(1))
            .expect("the read waited, as for a writer to a FIFO")
    }

    /// A FIFO made in `dir` under `name`, which no one writes.
    pub(crate) fn fifo_in(dir: &Path, name: &str) -> PathBuf {
        let fifo = dir.join(name);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(made.success());
        fifo
    }

    /// At most 16 bytes of `path`.
    fn read_16(path: &Path) -> io::Result<Vec<u8>> {
        read(path, 16, "a test file")
    }

    #[test]
    fn a_fifo_a_device_or_a_directory_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = fifo_in(dir.path(), "fifo");
        for path in [fifo.as_path(), Path::new("/dev/zero"), Path::new("/")] {
            let refused = within_a_second(path, read_16).unwrap_err();
            assert!(is_not_regular(&refused), "{}", path.display());
            assert_eq!(
                refused.to_string(),
                "not a regular file (a FIFO, a device or a directory)",
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn a_file_past_the_limit_is_refused_and_one_at_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, [b'x'; 17]).unwrap();
        let refused = read_16(&path).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::FileTooLarge);
        assert!(!is_not_regular(&refused));
        assert_eq!(
            refused.to_string(),
            "larger than 16 bytes, the most a test file may be"
        );
        std::fs::write(&path, [b'x'; 16]).unwrap();
        assert_eq!(read_16(&path).unwrap(), [b'x'; 16]);
    }

    #[test]
    fn a_reader_that_never_ends_is_refused_a_byte_past_the_limit_and_one_at_it_read() {
        let refused = read_bounded(std::io::repeat(b'x'), 16, "a test stream").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            refused.to_string(),
            "larger than 16 bytes, the most a test stream may be"
        );
        let at_limit = read_bounded(std::io::repeat(b'x').take(16), 16, "a test stream");
        assert_eq!(at_limit.unwrap(), [b'x'; 16]);
    }

    #[test]
    fn a_limit_is_told_in_the_largest_unit_it_is_a_whole_number_of() {
        assert_eq!(in_words(256 << 20), "256 MiB");
        assert_eq!(in_words(64 << 10), "64 KiB");
        assert_eq!(in_words((1 << 20) + (1 << 10)), "1025 KiB");
        assert_eq!(in_words(5), "5 bytes");
        assert_eq!(in_words(0), "0 bytes");
    }
}
