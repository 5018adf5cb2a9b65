//! WebAssembly binaries written byte by byte, for tests that need what no
//! toolchain would write (names with line breaks, names of any length).

/// `n` as unsigned LEB128.
fn leb128(mut n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            bytes.push(low);
            return bytes;
        }
        bytes.push(low | 0x80);
    }
}

/// `bytes` preceded by their length.
pub(crate) fn sized(bytes: &[u8]) -> Vec<u8> {
    [leb128(bytes.len()), bytes.to_vec()].concat()
}

/// A section (or name subsection) of id `id` holding `body`.
pub(crate) fn section(id: u8, body: &[u8]) -> Vec<u8> {
    [vec![id], sized(body)].concat()
}

/// A component whose one import, a resource type, is named `name`.
pub(crate) fn component_importing(name: &str) -> Vec<u8> {
    // One import: a plain name, then the sort `type` bounded by `sub resource`.
    let import = [vec![1, 0x00], sized(name.as_bytes()), vec![0x03, 0x01]].concat();
    [b"\0asm\x0d\0\x01\0".to_vec(), section(10, &import)].concat()
}
