//! A client of the control API: one XML-RPC call, over one HTTP/1.1
//! connection, to a running server.

use anyhow::{Context, anyhow, bail};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use switchyard_control::xmlrpc::{encode_method_call, parse_method_response};
use switchyard_control::{Fault, Value};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the answer may take (loading a guest compiles it).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Calls `method` with `params` on the server whose control API is at
/// `addr`, with `Authorization: Bearer <token>` if given: its answer, or the
/// fault it answered with. The outer error is a server that cannot be
/// reached, refuses the token or does not speak XML-RPC.
pub fn call(
    addr: SocketAddr,
    token: Option<&str>,
    method: &str,
    params: &[Value],
) -> anyhow::Result<Result<Value, Fault>> {
    let body = encode_method_call(method, params);
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).with_context(|| {
        format!("cannot reach the control API at {addr} (is the server running, and is that its control.listen?)")
    })?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\n{authorization}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("control API at {addr}: sending the request"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("control API at {addr}: reading the answer"))?;
    let answer = http_body(&response).with_context(|| format!("control API at {addr}"))?;
    parse_method_response(answer).map_err(|fault| {
        anyhow!(
            "control API at {addr}: not an XML-RPC answer: {}",
            fault.message
        )
    })
}

/// The body of a complete `200` response (read to its connection's end).
fn http_body(response: &[u8]) -> anyhow::Result<&[u8]> {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!("the answer is not HTTP");
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let status = head.lines().next().unwrap_or_default();
    if status.split(' ').nth(1) != Some("200") {
        bail!("answered {status:?}");
    }
    Ok(&response[end + 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_of_a_200_is_taken_and_other_answers_refused() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
        assert_eq!(http_body(ok).unwrap(), b"hi");
        let missing = b"HTTP/1.1 404 Not Found\r\n\r\nno";
        let error = http_body(missing).unwrap_err().to_string();
        assert!(error.contains("404 Not Found"), "{error}");
        assert!(http_body(b"SSH-2.0-OpenSSH").is_err());
    }

    #[test]
    fn a_closed_port_is_said_to_be_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let error = call(addr, None, "guestList", &[]).unwrap_err().to_string();
        assert!(error.contains("cannot reach the control API"), "{error}");
    }
}
