//! Reading a guest's component from the file an operator or a control request
//! names. A load reads it while holding the turn every other load waits for,
//! so only a regular file is read, and only so much of it: a FIFO would hold
//! the turn until some writer came, and a device such as `/dev/zero` would be
//! read until the server's memory ran out.

use std::io;
use std::path::Path;
use switchyard_control::regular_file;

/// The largest component read, 256 MiB: over ten times a guest that carries a
/// whole interpreter (the Python example's is about 18 MB).
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// The bytes of the component at `path`: a regular file (or a link to one) of
/// at most [`MAX_COMPONENT_BYTES`], read as [`regular_file::read`] reads it. Anything
/// else (a FIFO, which is opened without waiting for a writer, a device, a directory) is an
/// error, and so is a larger file, of which no more than one byte past the limit is read.
pub fn read_component(path: &Path) -> io::Result<Vec<u8>> {
    regular_file::read(path, MAX_COMPONENT_BYTES, "a component")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.wasm");
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: it takes no space.
        file.set_len(MAX_COMPONENT_BYTES + 1).unwrap();
        let refused = read_component(&path).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "larger than 256 MiB, the most a component may be"
        );
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_component(&path).unwrap(), b"12345");
    }
}
