//! The header of a recording served while it is being written: its writer rewrites the
//! header's sizes at each checkpoint, so the header read may describe more or less audio than
//! the bytes served. The served header is made to describe exactly the bytes served.

/// The most bytes read to find a WAV header's data chunk.
pub(crate) const HEADER_SEARCH: usize = 4096;

/// What to serve of a file of `length` bytes whose first bytes are `head` (at most
/// [`HEADER_SEARCH`] of them): `None` when it is served as it is (no RIFF WAVE file with a
/// data chunk starting in `head`, or a complete one: its RIFF size covers exactly the file,
/// whatever chunks follow its data); else the header up to the data chunk's samples with its
/// RIFF and data sizes set to the bytes served, and how many bytes are served: `length` less
/// an incomplete sample frame.
pub(crate) fn consistent_header(head: &[u8], length: u64) -> Option<(Vec<u8>, u64)> {
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    if u64::from(le_u32(head, 4)?) + 8 == length {
        return None;
    }
    let mut block_align = 1;
    let mut at = 12;
    let data_start = loop {
        let id = head.get(at..at + 4)?;
        let size = le_u32(head, at + 4)? as usize;
        let body = at + 8;
        if id == b"data" {
            break body;
        }
        if id == b"fmt " {
            let align = head.get(body + 12..body + 14)?;
            block_align = u64::from(u16::from_le_bytes([align[0], align[1]])).max(1);
        }
        // Chunks are padded to an even size.
        at = body.checked_add(size)?.checked_add(size & 1)?;
    };
    let data_start_bytes = data_start as u64;
    if length < data_start_bytes {
        return None;
    }
    let data = (length - data_start_bytes) / block_align * block_align;
    let served = data_start_bytes + data;
    let mut header = head[..data_start].to_vec();
    header[4..8].copy_from_slice(&u32::try_from(served - 8).ok()?.to_le_bytes());
    header[data_start - 4..data_start].copy_from_slice(&u32::try_from(data).ok()?.to_le_bytes());
    Some((header, served))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV (44-byte header) whose header claims `claimed` samples and which
    /// holds `held` bytes of them.
    fn wav(claimed: u32, held: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(b"RIFF");
        bytes.extend((36 + 2 * claimed).to_le_bytes());
        bytes.extend(b"WAVEfmt ");
        bytes.extend(16u32.to_le_bytes());
        bytes.extend(1u16.to_le_bytes()); // PCM
        bytes.extend(1u16.to_le_bytes()); // mono
        bytes.extend(8000u32.to_le_bytes());
        bytes.extend(16_000u32.to_le_bytes());
        bytes.extend(2u16.to_le_bytes()); // block align
        bytes.extend(16u16.to_le_bytes());
        bytes.extend(b"data");
        bytes.extend((2 * claimed).to_le_bytes());
        bytes.extend((0..held).map(|i| i as u8));
        bytes
    }

    #[test]
    fn the_header_is_made_to_describe_the_bytes_served() {
        // Checkpointed past the length taken: it claims 100 samples, 41 and a half are served.
        let file = wav(100, 83);
        let (header, served) = consistent_header(&file, file.len() as u64).unwrap();
        assert_eq!((header.len(), served), (44, 44 + 82));
        let mut patched = header.clone();
        patched.extend(&file[44..served as usize]);
        let reader = hound::WavReader::new(std::io::Cursor::new(patched)).unwrap();
        assert_eq!(reader.len(), 41);
        assert_eq!(
            reader
                .into_samples::<i16>()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
                .len(),
            41
        );
    }

    #[test]
    fn a_header_caught_between_its_two_sizes_is_made_whole() {
        // The data size rewritten for 50 samples, the RIFF size not yet.
        let mut file = wav(10, 100);
        file[40..44].copy_from_slice(&100u32.to_le_bytes());
        let (header, served) = consistent_header(&file, file.len() as u64).unwrap();
        assert_eq!(served, 144);
        assert_eq!(&header[4..8], &136u32.to_le_bytes());
        assert_eq!(&header[40..44], &100u32.to_le_bytes());
    }

    #[test]
    fn a_complete_file_with_a_chunk_after_its_data_is_served_as_it_is() {
        let mut file = wav(10, 20);
        file.extend(b"LIST");
        file.extend(4u32.to_le_bytes());
        file.extend(b"INFO");
        let riff = u32::try_from(file.len() - 8).unwrap();
        file[4..8].copy_from_slice(&riff.to_le_bytes());
        assert_eq!(consistent_header(&file, file.len() as u64), None);
        let reader = hound::WavReader::new(std::io::Cursor::new(file)).unwrap();
        assert_eq!(reader.len(), 10, "the data chunk is the file's");
    }

    #[test]
    fn a_complete_file_or_no_wav_is_served_as_it_is() {
        let complete = wav(10, 20);
        assert_eq!(consistent_header(&complete, complete.len() as u64), None);
        assert_eq!(consistent_header(b"just some text", 14), None);
        let mut torn = wav(10, 20);
        torn.truncate(30);
        assert_eq!(consistent_header(&torn, 30), None, "no data chunk");
    }
}
