//! A client that vanishes without a word (a laptop asleep, a cable pulled, its NAT binding
//! lost) leaves its connection open on our side: an event subscriber's place, and one of the
//! connections its address may hold, stay taken until TCP gives up retransmitting (about 15
//! minutes at Linux's `tcp_retries2`). Data left unacknowledged for [`SILENCE_LIMIT`] ends
//! the connection instead (`TCP_USER_TIMEOUT`, RFC 5482); an event stream always has some in
//! flight, as it sends a keep-alive every 15 s.

use std::time::Duration;

use tokio::net::TcpStream;

/// How long data sent may go unacknowledged before the connection is given up.
pub(crate) const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// Has `stream` given up once what it sent went unacknowledged for [`SILENCE_LIMIT`].
pub(crate) fn give_up_when_silent(stream: &TcpStream) -> std::io::Result<()> {
    socket2::SockRef::from(stream).set_tcp_user_timeout(Some(SILENCE_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_is_given_up_after_the_silence_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (accepted, _) = tokio::join!(listener.accept(), client);
        let (stream, _) = accepted.unwrap();
        let before = socket2::SockRef::from(&stream).tcp_user_timeout().unwrap();
        assert_eq!(before, None, "the kernel's default");
        give_up_when_silent(&stream).unwrap();
        let after = socket2::SockRef::from(&stream).tcp_user_timeout().unwrap();
        assert_eq!(after, Some(SILENCE_LIMIT));
    }
}
