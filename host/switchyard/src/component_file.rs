//! Reading a guest's component from the file an operator or a control request
//! names. A load reads it while holding the turn every other load waits for,
//! so only a regular file is read, and only so much of it: a FIFO would hold
//! the turn until some writer came, and a device such as `/dev/zero` would be
//! read until the server's memory ran out.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The largest component read, 256 MiB: over ten times a guest that carries a
/// whole interpreter (the Python example's is about 18 MB).
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// The bytes of the component at `path`: a regular file (or a link to one) of
/// at most [`MAX_COMPONENT_BYTES`]. Anything else (a FIFO, which is opened
/// without waiting for a writer, a device, a directory) is an error, and so is
/// a larger file, of which no more than one byte past the limit is read.
pub fn read_component(path: &Path) -> io::Result<Vec<u8>> {
    read_regular(path, MAX_COMPONENT_BYTES)
}

/// The file at `path` opened for reading, with its metadata, if it is a regular file (a
/// symbolic link to one included): a FIFO, a device or a directory is an error, without
/// waiting for a writer.
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let not_regular = || io::Error::other("not a regular file (a FIFO, a device or a directory)");
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

/// [`read_component`] with `most` bytes for the limit.
fn read_regular(path: &Path, most: u64) -> io::Result<Vec<u8>> {
    let (file, metadata) = open_regular(path)?;
    let too_large = || {
        io::Error::other(format!(
            "larger than {} MiB, the most a component may be",
            most >> 20
        ))
    };
    if metadata.len() > most {
        return Err(too_large());
    }
    // The file may grow after its size was read: no more than a byte past the limit is.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(most + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > most {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// What `read` made of `path`, run on a thread of its own: a read that hangs
    /// fails the test rather than hang it.
    fn within_a_second(path: &Path, read: fn(&Path) -> io::Result<Vec<u8>>) -> io::Result<Vec<u8>> {
        let (done, outcome) = mpsc::channel();
        let path = path.to_owned();
        std::thread::spawn(move || done.send(read(&path)));
        outcome
            .recv_timeout(Duration::from_secs(1))
            .expect("the read waited, as for a writer to a FIFO")
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("guest.wasm");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(made.success());
        let refused = within_a_second(&fifo, read_component).unwrap_err();
        assert!(
            refused.to_string().contains("not a regular file"),
            "{refused}"
        );
    }

    #[test]
    fn a_device_or_a_directory_is_refused() {
        for path in ["/dev/zero", "/"] {
            let refused = within_a_second(Path::new(path), read_component).unwrap_err();
            assert!(
                refused.to_string().contains("not a regular file"),
                "{path}: {refused}"
            );
        }
    }

    #[test]
    fn a_file_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: it takes no space.
        file.set_len(MAX_COMPONENT_BYTES + 1).unwrap();
        let refused = within_a_second(&path, read_component).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "larger than 256 MiB, the most a component may be"
        );
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_regular(&path, 5).unwrap(), b"12345");
        assert!(read_regular(&path, 4).is_err());
    }
}
