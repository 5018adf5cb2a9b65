//! A client may close its sending side once it has sent its request (a TCP half-close,
//! `shutdown(SHUT_WR)`, as `nc -N`, scripts and load balancers' health checks do) and still
//! read the answer: a connection closed by one side still carries data the other way
//! (RFC 9293 §3.6).
//!
//! hyper ends a connection whose client closes while a request is answered unless told to
//! allow half-closes, and then it watches the client no more while any response is under way:
//! an event subscriber that left would keep its place until a write to it failed. So the end
//! of the client's data is held back beneath hyper instead, only while a request is answered:
//! from its call until its answer is sent (an answer of unknown length, an event stream, ends
//! when its client closes). An answer is sent once the connection is flushed after hyper let go
//! of its body: hyper lets go of a body as soon as it has queued the last of it, and ends a
//! connection whose client closes while what it queued is still being written. A body cut
//! short by the client's close fails at once, and a reset is never held back: it still ends
//! the connection, and the call.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::CONTENT_LENGTH;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::HttpResponse;

/// What a connection's reader, its requests' bodies and its answers share.
#[derive(Default)]
struct State {
    /// Requests being answered: while there is one, the client's end is held back.
    answering: usize,
    /// An answer hyper let go of may still be queued, unflushed: the end is held back too.
    unflushed: bool,
    /// The client has closed its side.
    ended: bool,
    /// The read held back, woken once nothing holds it back.
    reader: Option<Waker>,
    /// A request body waiting for data, woken when the client closes its side.
    body: Option<Waker>,
}

impl State {
    /// Whether the client's end is held back.
    fn held(&self) -> bool {
        self.answering > 0 || self.unflushed
    }
}

/// One connection's record of its client's half-close.
#[derive(Clone, Default)]
pub(crate) struct HalfClose(Arc<Mutex<State>>);

impl HalfClose {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `io` as hyper is to read it: its end of data is held back while a request is answered.
    pub(crate) fn reader<I>(&self, io: I) -> HeldEnd<I> {
        HeldEnd {
            io,
            half_close: self.clone(),
        }
    }

    /// Counts a request as being answered until the guard is dropped.
    pub(crate) fn answering(&self) -> Answering {
        self.state().answering += 1;
        Answering {
            half_close: self.clone(),
            queued: false,
        }
    }

    /// A request's `body`, which fails once the client has closed its side before sending
    /// all of it.
    pub(crate) fn request_body(&self, body: Incoming) -> RequestBody {
        RequestBody {
            body,
            half_close: self.clone(),
        }
    }

    /// Records that the client closed its side: `Pending` (woken once no request is
    /// answered and the answers are flushed) while one is, else the end of data.
    fn end(&self, waker: &Waker) -> Poll<io::Result<()>> {
        let mut state = self.state();
        state.ended = true;
        let body = state.body.take();
        let held = state.held();
        if held {
            state.reader = Some(waker.clone());
        }
        drop(state);
        if let Some(body) = body {
            body.wake();
        }
        if held {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    }

    /// Records that the connection is flushed: every answer hyper let go of is sent.
    fn flushed(&self) {
        self.release_after(|state| state.unflushed = false);
    }

    /// Applies `change`, then wakes the read held back if nothing holds it back any more.
    fn release_after(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.state();
        change(&mut state);
        let reader = if state.held() {
            None
        } else {
            state.reader.take()
        };
        drop(state);
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    /// Whether the client has closed its side; if not, `waker` is woken when it does.
    fn ended(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        if !state.ended {
            state.body = Some(waker.clone());
        }
        state.ended
    }
}

/// A request being answered: the client's end of data is held back while this lives, and
/// once it is dropped with its answer's body, until the connection is next flushed.
pub(crate) struct Answering {
    half_close: HalfClose,
    /// Whether it goes with a body, whose bytes hyper may still hold when it drops it.
    queued: bool,
}

impl Answering {
    /// `response`, its request counted as answered until its body is sent when its length is
    /// known, else from now (an event stream, which ends when its client leaves).
    pub(crate) fn until_sent(mut self, response: HttpResponse) -> HttpResponse {
        let known = response.headers().contains_key(CONTENT_LENGTH)
            || response.body().size_hint().exact().is_some();
        if !known {
            return response;
        }
        self.queued = true;
        response.map(|body| {
            Sending {
                body,
                _answering: self,
            }
            .boxed()
        })
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        let queued = self.queued;
        self.half_close.release_after(|state| {
            state.answering -= 1;
            state.unflushed |= queued;
        });
    }
}

/// An answer's body, its request counted as answered until it is sent or dropped, and the
/// connection then flushed.
struct Sending<B> {
    body: B,
    _answering: Answering,
}

impl<B: Body + Unpin> Body for Sending<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// hyper's: the body is malformed, or the connection failed.
    #[error(transparent)]
    Http(#[from] hyper::Error),
    /// The client closed its side before sending all of the body.
    #[error("the client closed its side before sending the whole body")]
    Cut,
}

/// A request's body; see [`HalfClose::request_body`].
pub(crate) struct RequestBody {
    body: Incoming,
    half_close: HalfClose,
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match Pin::new(&mut self.body).poll_frame(cx) {
            // hyper waits for more of it in vain: the client's end is held back.
            Poll::Pending if self.half_close.ended(cx.waker()) => {
                Poll::Ready(Some(Err(BodyError::Cut)))
            }
            Poll::Pending => Poll::Pending,
            Poll::Ready(frame) => Poll::Ready(frame.map(|frame| frame.map_err(BodyError::from))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection as hyper reads it; see [`HalfClose::reader`].
pub(crate) struct HeldEnd<I> {
    io: I,
    half_close: HalfClose,
}

impl<I: AsyncRead + Unpin> AsyncRead for HeldEnd<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        std::task::ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if buf.filled().len() > before || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        this.half_close.end(cx.waker())
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for HeldEnd<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        // hyper flushes what it holds to `io` first, and `io` (TLS) its own buffer to the socket.
        if let Poll::Ready(Ok(())) = flushed {
            this.half_close.flushed();
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
