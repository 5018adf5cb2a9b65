//! Recordings as files: their list, and `GET /api/v1/recordings/{name}`
//! sending one whole or a byte range of it (RFC 9110 §14) as an attachment,
//! streamed in chunks.

use std::path::Path;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use http_range_header::RangeUnsatisfiableError;
use hyper::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, HeaderMap, HeaderValue,
    IF_RANGE, RANGE,
};
use hyper::{Response, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::mpsc;

use crate::http::{ChannelBody, HttpResponse, problem, with_type};
use crate::problem::Problem;
use crate::served_wav::{HEADER_SEARCH, consistent_header};
use crate::{Value, count};

/// The path prefix of a recording's download.
pub const DOWNLOAD_PREFIX: &str = "/api/v1/recordings/";
/// The bytes read and sent at a time.
const CHUNK: usize = 64 * 1024;
/// What RFC 8187's `attr-char` leaves out, percent-encoded in a `filename*`.
const ATTR_CHAR_COMPLEMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Whether `name` can name a recording, as listed, served and deleted: a plain file name
/// (no `/`, `\\` or NUL, not starting with `.`) ending in `.wav`.
pub fn is_recording_name(name: &str) -> bool {
    !name.starts_with('.') && !name.contains(['/', '\\', '\0']) && name.ends_with(".wav")
}

/// The recordings in `dir` (regular files with a recording's name), unsorted, each with its
/// metadata, or why the directory cannot be read.
pub fn recordings(dir: &Path) -> Result<Vec<(String, std::fs::Metadata)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("{}: cannot be read: {e}", dir.display()))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let meta = entry.metadata().ok().filter(|m| m.is_file())?;
            is_recording_name(&name).then_some((name, meta))
        })
        .collect())
}

/// The recordings in `dir`, by name: `[{name, bytes, modified}]`
/// (`modified` in seconds since 1970), or why the directory cannot be read.
pub fn list(dir: &Path) -> Result<Value, String> {
    let mut found: Vec<(String, u64, u64)> = recordings(dir)?
        .into_iter()
        .map(|(name, meta)| {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            (name, meta.len(), modified)
        })
        .collect();
    found.sort();
    Ok(Value::Array(
        found
            .into_iter()
            .map(|(name, bytes, modified)| {
                Value::Struct(vec![
                    ("name".into(), Value::String(name)),
                    ("bytes".into(), count(bytes)),
                    ("modified".into(), count(modified)),
                ])
            })
            .collect(),
    ))
}

/// Opens the recording at `path` to read it, neither following a symbolic link (one put in
/// the recordings' directory would serve the file it names, where listing and deleting
/// recordings take no link) nor waiting for a writer to a FIFO (which would hold a thread of
/// the blocking pool for good): either is then no regular file, and not found.
async fn open_recording(path: &Path) -> std::io::Result<tokio::fs::File> {
    tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .await
}

/// The recording `name` of `dir` (`name` as the path has it, percent-encoded: 400 when it
/// decodes to bytes that are not UTF-8; a regular file; anything else is 404):
/// whole (200), or the one byte range the request's `Range` asks for (206;
/// 416 when no range it asks for overlaps the file; ranges wholly beyond it
/// are left out, and a header that is no range, or leaves several, gets the
/// whole file). With `head` (a
/// `HEAD` request) the headers of the whole file, and no body: only `GET`
/// takes a range (RFC 9110 §14.2). A request with `If-Range` gets the whole file: no validator
/// is sent (no `ETag` or `Last-Modified`), so none it names can match (RFC
/// 9110 §13.1.5).
pub async fn download(dir: &Path, name: &str, headers: &HeaderMap, head: bool) -> HttpResponse {
    let name = match crate::rest::decode(name) {
        Ok(name) => name,
        Err(not_utf_8) => return problem(&not_utf_8.path_problem()),
    };
    let not_found = || {
        problem(&Problem::new(
            StatusCode::NOT_FOUND,
            format!("no recording {name}"),
        ))
    };
    if !is_recording_name(&name) {
        return not_found();
    }
    let Ok(mut file) = open_recording(&dir.join(&name)).await else {
        return not_found();
    };
    let Ok(meta) = file.metadata().await else {
        return not_found();
    };
    // A directory opens too: only a regular file is a recording, as in `list`.
    if !meta.is_file() {
        return not_found();
    }
    // A recording being written: its header, read now, may describe more or less than the
    // length just taken; the header served describes what is served.
    let mut opening = Vec::with_capacity(HEADER_SEARCH);
    if (&mut file)
        .take(HEADER_SEARCH as u64)
        .read_to_end(&mut opening)
        .await
        .is_err()
    {
        return not_found();
    }
    let (header, length) =
        consistent_header(&opening, meta.len()).unwrap_or((Vec::new(), meta.len()));
    let asked = headers
        .get(RANGE)
        .filter(|_| !head && !headers.contains_key(IF_RANGE))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| http_range_header::parse_range_header(v).ok());
    let (status, start, end) = match asked.map(|ranges| ranges.validate(length)) {
        Some(Ok(ranges)) if ranges.len() == 1 => (
            StatusCode::PARTIAL_CONTENT,
            *ranges[0].start(),
            *ranges[0].end() + 1,
        ),
        // RFC 9110 §15.5.17: 416 only when no range overlaps the file. Ranges refused for
        // overlapping one another are ignored, as §14.2 lets a server ignore any.
        Some(Err(RangeUnsatisfiableError::Unsatisfiable)) => {
            let mut response = problem(&Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("{name} has {length} bytes"),
            ));
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(CONTENT_RANGE, value);
            }
            return response;
        }
        _ => (StatusCode::OK, 0, length),
    };
    // The part of the range within the header served, then the file's bytes after it.
    let header_len = header.len() as u64;
    let from_header = Bytes::from(header).slice(
        usize::try_from(start.min(header_len)).unwrap_or(0)
            ..usize::try_from(end.min(header_len)).unwrap_or(0),
    );
    let from_file = start.max(header_len);
    if file
        .seek(std::io::SeekFrom::Start(from_file))
        .await
        .is_err()
    {
        return not_found();
    }
    let (chunks, body) = mpsc::channel::<Bytes>(4);
    if !head {
        tokio::spawn(send(
            file,
            from_header,
            end.saturating_sub(from_file),
            chunks,
        ));
    }
    let mut response = with_type(Response::new(ChannelBody::new(body).boxed()), "audio/wav");
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(end - start));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{length}", end - 1))
    {
        headers.insert(CONTENT_RANGE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&disposition(&name)) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

/// The `Content-Disposition` of an attachment named `name` (RFC 6266), always a valid
/// header value: `filename` holds the name as it is when each of its characters can stand
/// in a quoted string as itself (printable ASCII but `"` and `\`); else each other one is
/// `_` there, and `filename*` holds the name exactly (RFC 8187).
fn disposition(name: &str) -> String {
    // RFC 6266 §4.3 and appendix D: many user agents take no escapes in a quoted filename.
    let as_itself = |c: char| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\');
    if name.chars().all(as_itself) {
        return format!("attachment; filename=\"{name}\"");
    }
    let fallback: String = name
        .chars()
        .map(|c| if as_itself(c) { c } else { '_' })
        .collect();
    // RFC 8187 §3.2.1: attr-char is ALPHA / DIGIT and "!#$&+-.^_`|~".
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR_COMPLEMENT);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Sends `first` (unless empty), then `left` bytes of `file`, from where it stands, in chunks,
/// until they are sent or the client goes away.
async fn send(mut file: tokio::fs::File, first: Bytes, mut left: u64, chunks: mpsc::Sender<Bytes>) {
    if !first.is_empty() && chunks.send(first).await.is_err() {
        return;
    }
    let mut buffer = vec![0u8; CHUNK];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
        match file.read(&mut buffer[..want]).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                left -= read as u64;
                if chunks
                    .send(Bytes::copy_from_slice(&buffer[..read]))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_plain_wav_names_are_recordings() {
        assert!(is_recording_name("board-2026.wav"));
        for name in [
            "",
            ".hidden.wav",
            "../x.wav",
            "a/b.wav",
            "a\\b.wav",
            "notes.txt",
            "a\0.wav",
        ] {
            assert!(!is_recording_name(name), "{name:?}");
        }
    }

    #[tokio::test]
    async fn a_download_is_an_attachment_named_in_ascii_and_in_utf_8() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["board.wav", "réunion.wav", "a \"b\".wav", "tab\there.wav"];
        for name in names {
            std::fs::write(dir.path().join(name), [0u8; 4]).unwrap();
        }
        let mut dispositions = Vec::new();
        for name in names {
            let response = download(dir.path(), name, &HeaderMap::new(), false).await;
            dispositions.push(
                response.headers()[CONTENT_DISPOSITION]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        assert_eq!(dispositions[0], "attachment; filename=\"board.wav\"");
        assert_eq!(
            dispositions[1],
            "attachment; filename=\"r_union.wav\"; filename*=UTF-8''r%C3%A9union.wav"
        );
        // Copied into the directory by hand: names no recording is given, still quoted.
        assert_eq!(
            dispositions[2],
            "attachment; filename=\"a _b_.wav\"; filename*=UTF-8''a%20%22b%22.wav"
        );
        assert_eq!(
            dispositions[3],
            "attachment; filename=\"tab_here.wav\"; filename*=UTF-8''tab%09here.wav"
        );
    }

    /// The status, `Content-Length`, `Content-Range` and body of a download.
    async fn fetched(
        dir: &Path,
        name: &str,
        asked: &[(&'static str, &'static str)],
        head: bool,
    ) -> (u16, String, Option<String>, Vec<u8>) {
        let mut headers = HeaderMap::new();
        for (field, value) in asked {
            headers.insert(*field, HeaderValue::from_static(value));
        }
        let response = download(dir, name, &headers, head).await;
        let field = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (length, range) = (
            field(CONTENT_LENGTH).unwrap_or_default(),
            field(CONTENT_RANGE),
        );
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, length, range, body.to_vec())
    }

    #[tokio::test]
    async fn only_get_is_served_a_range_and_if_range_gets_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..100).collect();
        std::fs::write(dir.path().join("board.wav"), &bytes).unwrap();
        let range = ("range", "bytes=10-19");
        let ranged = fetched(dir.path(), "board.wav", &[range], false).await;
        assert_eq!(
            ranged,
            (
                206,
                "10".into(),
                Some("bytes 10-19/100".into()),
                bytes[10..20].to_vec()
            )
        );
        let head = fetched(dir.path(), "board.wav", &[range], true).await;
        assert_eq!(head, (200, "100".into(), None, Vec::new()));
        let beyond = fetched(dir.path(), "board.wav", &[("range", "bytes=500-")], true).await;
        assert_eq!(beyond.0, 200, "HEAD ignores even a range beyond the file");
        for validator in ["\"v1\"", "Tue, 01 Dec 2026 10:00:00 GMT"] {
            let headers = [range, ("if-range", validator)];
            let whole = fetched(dir.path(), "board.wav", &headers, false).await;
            assert_eq!(
                whole,
                (200, "100".into(), None, bytes.clone()),
                "{validator}"
            );
        }
    }

    #[tokio::test]
    async fn only_ranges_wholly_beyond_the_file_are_416_and_overlapping_ones_get_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..100).collect();
        std::fs::write(dir.path().join("board.wav"), &bytes).unwrap();
        let whole = (200, "100".to_owned(), None, bytes.clone());
        for asked in [
            "bytes=0-10,5-15,8-20",
            "bytes=0-50,10-60,20-70,30-",
            "bytes=0-10,20-30",
            "bytes=10-5",
            "items=0-10",
        ] {
            let answer = fetched(dir.path(), "board.wav", &[("range", asked)], false).await;
            assert_eq!(answer, whole, "{asked}");
        }
        for asked in [
            "bytes=100-",
            "bytes=200-300",
            "bytes=100-,500-600",
            "bytes=-0",
        ] {
            let (status, _, range, _) =
                fetched(dir.path(), "board.wav", &[("range", asked)], false).await;
            assert_eq!(
                (status, range.as_deref()),
                (416, Some("bytes */100")),
                "{asked}"
            );
        }
        // A range partly beyond the file is cut at its end; one wholly beyond, among
        // others, is left out.
        let (status, _, range, body) = fetched(
            dir.path(),
            "board.wav",
            &[("range", "bytes=500-,90-200")],
            false,
        )
        .await;
        assert_eq!((status, range.as_deref()), (206, Some("bytes 90-99/100")));
        assert_eq!(body, bytes[90..]);
    }

    #[tokio::test]
    async fn a_recording_checkpointed_while_served_is_served_whole_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..1000 {
            writer.write_sample(i as i16).unwrap();
        }
        writer.finalize().unwrap();
        // As a checkpoint leaves the header when it runs between the length taken and the
        // header read: it claims 500 samples more than the file holds.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4..8].copy_from_slice(&(36u32 + 3000).to_le_bytes());
        bytes[40..44].copy_from_slice(&3000u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (status, length, _, body) = fetched(dir.path(), "live.wav", &[], false).await;
        assert_eq!((status, length), (200, bytes.len().to_string()));
        let reader = hound::WavReader::new(std::io::Cursor::new(&body)).unwrap();
        let samples: Vec<i16> = reader
            .into_samples()
            .collect::<Result<_, _>>()
            .expect("every sample the header claims is served");
        assert_eq!(samples, (0..1000).collect::<Vec<i16>>());
        // A range within the header and beyond it is cut from the same served bytes.
        let (status, _, range, part) =
            fetched(dir.path(), "live.wav", &[("range", "bytes=40-47")], false).await;
        assert_eq!((status, range.as_deref()), (206, Some("bytes 40-47/2044")));
        assert_eq!(part, &body[40..48]);
    }

    #[tokio::test]
    async fn a_directory_named_like_a_recording_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("folder.wav")).unwrap();
        for head in [false, true] {
            let (status, ..) = fetched(dir.path(), "folder.wav", &[], head).await;
            assert_eq!(status, 404, "head: {head}");
        }
    }

    #[tokio::test]
    async fn a_link_or_a_fifo_named_like_a_recording_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.key");
        std::fs::write(&secret, b"private").unwrap();
        std::os::unix::fs::symlink(&secret, dir.path().join("link.wav")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("fifo.wav"))
            .status()
            .expect("mkfifo (coreutils)");
        assert!(made.success());
        for name in ["link.wav", "fifo.wav"] {
            let answer = fetched(dir.path(), name, &[], false);
            let (status, ..) = tokio::time::timeout(Duration::from_secs(5), answer)
                .await
                .unwrap_or_else(|_| panic!("{name}: no answer"));
            assert_eq!(status, 404, "{name}");
        }
    }

    #[test]
    fn the_list_holds_the_wav_files_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.wav"), [0u8; 10]).unwrap();
        std::fs::write(dir.path().join("a.wav"), [0u8; 3]).unwrap();
        std::fs::write(dir.path().join("c.txt"), [0u8; 3]).unwrap();
        let Value::Array(items) = list(dir.path()).unwrap() else {
            panic!("an array");
        };
        let names: Vec<_> = items
            .iter()
            .map(|item| match item {
                Value::Struct(members) => (members[0].1.clone(), members[1].1.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                (Value::String("a.wav".into()), Value::Int(3)),
                (Value::String("b.wav".into()), Value::Int(10))
            ]
        );
        assert!(list(&dir.path().join("none")).is_err());
    }
}
