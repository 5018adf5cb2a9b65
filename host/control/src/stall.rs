//! A connection's stream that gives up on a client that takes too little of what it is
//! sent: writes (or flushes, or shutdowns) that keep waiting on the peer fail with
//! [`io::ErrorKind::TimedOut`], so hyper ends the connection and drops what it was sending
//! (a response, an event stream, a WebSocket) instead of holding it for as long as the
//! client keeps the socket open.
//!
//! The client is judged by what it takes, not by how long writes wait on it: time counts
//! only while writes wait, and each byte the client takes pays back a [`MIN_RATE`]th of a
//! second of it (never more than was waited: time is not banked ahead). Once the time not paid
//! back reaches the limit, writes fail. A client that takes nothing fails after the limit, and
//! so does one that takes less than [`MIN_RATE`] now and then, which would otherwise hold its
//! connection for as long as it likes; one that reads slowly but steadily, faster than that (a
//! download over a link slower than the server), is served however long its transfer lasts.
//!
//! Writes learn what the client took only when they go on, so a single wait must end well
//! within the limit for such a client: [`wake_in_small_steps`] has the socket take more as soon
//! as the client has read a few KiB, not once a third of its buffer (up to MiBs) has drained.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// The least a client must take of what it is sent, in bytes a second: 1 KiB/s, below the
/// 1200 B/s of a 9600 bit/s modem, so a client on any link still in use keeps up with it
/// however long its transfer lasts, while one that takes less holds its connection for next
/// to nothing sent.
const MIN_RATE: u64 = 1024;

/// The most bytes a socket holds that it has not yet sent (`TCP_NOTSENT_LOWAT`): Linux wakes a
/// writer once less than half of this is left. Without it, a full socket is writable again only
/// once about a third of its buffer has drained, and with buffers tuned up to MiBs a client
/// reading at [`MIN_RATE`] would keep a single write waiting for minutes; with it, writes go on
/// after at most 8 KiB read, 8 s at that rate, within any limit of 8 s or more.
pub(crate) const NOT_SENT_LOW_WATER: u32 = 16 * 1024;

/// Has `stream` wake its writer in steps of at most half [`NOT_SENT_LOW_WATER`] taken by the
/// client.
pub(crate) fn wake_in_small_steps(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).set_tcp_notsent_lowat(NOT_SENT_LOW_WATER)
}

/// `S` whose writes fail once they have waited on the peer for longer than its limit beyond
/// what it took pays back, counted as the [module](self) says. Reads are untouched (hyper
/// times out a request's head, the server its body).
pub(crate) struct StallLimit<S> {
    inner: S,
    limit: Duration,
    /// The time writes waited that what the client took has not paid back, but for the wait
    /// under way.
    owed: Duration,
    /// The wait under way: when it started, and when it gives up.
    waiting: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl<S> StallLimit<S> {
    /// `inner` with writes that may wait on the peer at most `limit` beyond a second for each
    /// [`MIN_RATE`] bytes it takes.
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        StallLimit {
            inner,
            limit,
            owed: Duration::ZERO,
            waiting: None,
        }
    }

    /// `polled`, a write of the inner stream: as [`StallLimit::progress`], and what it wrote
    /// counts as taken by the client, paying back the time waited.
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let polled = self.progress(cx, polled);
        if let Poll::Ready(Ok(written)) = polled {
            self.owed = self.owed.saturating_sub(paid_back(written));
        }
        polled
    }

    /// `polled`, a write-side poll of the inner stream: ready ends the wait, adding it to
    /// the time owed; pending starts it (or goes on with it), and fails it once the time
    /// owed reaches the limit.
    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            if let Some((since, _)) = self.waiting.take() {
                self.owed += since.elapsed();
            }
            return polled;
        }
        let (limit, owed) = (self.limit, self.owed);
        let (_, deadline) = self.waiting.get_or_insert_with(|| {
            let left = limit.saturating_sub(owed);
            (Instant::now(), Box::pin(tokio::time::sleep(left)))
        });
        // Polling the deadline registers the task to be woken when it passes.
        match deadline.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client took too little of what it was sent: writes waited on it for \
                     {:?} beyond what it took at {MIN_RATE} bytes a second",
                    self.limit
                ),
            ))),
        }
    }
}

/// The waiting that taking `bytes` pays back: a second per [`MIN_RATE`] bytes.
fn paid_back(bytes: usize) -> Duration {
    let nanos = bytes as u128 * 1_000_000_000 / u128::from(MIN_RATE);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl<S: AsyncRead + Unpin> AsyncRead for StallLimit<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallLimit<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.written(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.progress(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    const LIMIT: Duration = Duration::from_millis(300);

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_does_not_take_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        near.write_all(&[1; 16]).await.unwrap();
        let started = Instant::now();
        let error = near.write_all(&[2; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_takes_a_little_at_a_time_but_keeps_writes_waiting_fails() {
        // 128 bytes pay back 125 ms.
        const SIP: usize = 128;
        let (near, mut far) = tokio::io::duplex(SIP);
        let mut near = StallLimit::new(near, LIMIT);
        near.write_all(&[1; SIP]).await.unwrap();
        tokio::spawn(async move {
            let mut chunk = [0u8; SIP];
            // Each wait is under the limit, but the peer takes 533 bytes a second.
            for _ in 0..16 {
                tokio::time::sleep(LIMIT * 4 / 5).await;
                if far.read_exact(&mut chunk).await.is_err() {
                    return;
                }
            }
        });
        let started = Instant::now();
        let error = near.write_all(&[3; SIP * 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        // A wait of 240 ms, 125 ms of it paid back, then one cut short when the time owed
        // reaches the limit.
        assert_eq!(started.elapsed(), LIMIT + Duration::from_millis(125));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_takes_more_than_the_least_rate_gets_it_all_however_long_it_takes() {
        const ROUNDS: usize = 10;
        // 1 KiB/s of 200 ms: 205 bytes.
        const SIP: usize = 320;
        let (near, mut far) = tokio::io::duplex(16);
        let mut near = StallLimit::new(near, LIMIT);
        let reader = tokio::spawn(async move {
            let mut taken = vec![0u8; SIP * ROUNDS];
            for sip in taken.chunks_mut(SIP) {
                tokio::time::sleep(LIMIT * 2 / 3).await;
                far.read_exact(sip).await.unwrap();
            }
            taken
        });
        let sent: Vec<u8> = (0..SIP * ROUNDS).map(|i| i as u8).collect();
        let started = Instant::now();
        // Writes wait all the time, far longer than the limit in all.
        near.write_all(&sent).await.unwrap();
        assert_eq!(started.elapsed(), LIMIT * 2 / 3 * ROUNDS as u32);
        assert_eq!(reader.await.unwrap(), sent);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_whose_every_wait_is_paid_back_keeps_its_connection_however_the_waits_fall() {
        // The default limit, and a peer at 1.16 KiB/s that frees 29 KiB every 25 s (as a full
        // socket does): less than the limit's 30 KiB at each wake-up.
        const LIMIT: Duration = Duration::from_secs(30);
        const SIP: usize = 29 * 1024;
        const ROUNDS: usize = 6;
        const EVERY: Duration = Duration::from_secs(25);
        let (near, mut far) = tokio::io::duplex(SIP);
        let mut near = StallLimit::new(near, LIMIT);
        let reader = tokio::spawn(async move {
            let mut taken = vec![0u8; SIP * ROUNDS];
            for sip in taken.chunks_mut(SIP) {
                tokio::time::sleep(EVERY).await;
                far.read_exact(sip).await.unwrap();
            }
            // Kept open: the last of what was sent stays in it.
            (taken, far)
        });
        let sent: Vec<u8> = (0..SIP * (ROUNDS + 1)).map(|i| i as u8).collect();
        let started = Instant::now();
        near.write_all(&sent).await.unwrap();
        assert_eq!(started.elapsed(), EVERY * ROUNDS as u32);
        assert_eq!(reader.await.unwrap().0, sent[..SIP * ROUNDS]);
    }

    #[tokio::test]
    async fn an_accepted_socket_wakes_its_writer_in_small_steps() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (accepted, _client) = tokio::join!(listener.accept(), client);
        let (stream, _) = accepted.unwrap();
        wake_in_small_steps(&stream).unwrap();
        let set = socket2::SockRef::from(&stream).tcp_notsent_lowat().unwrap();
        assert_eq!(set, NOT_SENT_LOW_WATER);
    }
}
