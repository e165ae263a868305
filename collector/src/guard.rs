//! Connection limits under any listener (plain TCP or TLS): at most `max_connections` open at
//! once (one more is answered `503` and closed), a first request head that must arrive within
//! `header_timeout` of the connection being accepted, and an idle timeout (no byte read or
//! written for `idle_timeout` closes the connection). Without them, silent or half-sent
//! connections stay open until the process runs out of file descriptors and stops serving
//! everyone.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// A listener whose connections keep to [`Limits`].
pub struct Guarded<L> {
    inner: L,
    limits: Limits,
    open: Arc<Semaphore>,
}

impl<L> Guarded<L> {
    pub fn new(inner: L, limits: Limits) -> Self {
        Guarded {
            inner,
            limits,
            open: Arc::new(Semaphore::new(limits.max_connections.max(1))),
        }
    }
}

/// The answer to a connection over the cap.
fn busy(max: usize) -> Vec<u8> {
    let body = format!(
        "{{\"error\":\"the collector has {max} connections open, its limit; retry later\",\"status\":503}}"
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\nretry-after: 5\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl<L> axum::serve::Listener for Guarded<L>
where
    L: axum::serve::Listener,
{
    type Io = GuardedIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (mut io, addr) = self.inner.accept().await;
            match self.open.clone().try_acquire_owned() {
                Ok(permit) => return (GuardedIo::new(io, permit, self.limits), addr),
                Err(_) => {
                    tracing::warn!(
                        message = "Connection refused: too many open connections.",
                        max = self.limits.max_connections
                    );
                    // Answered and closed off the accept loop, bounded in time.
                    let answer = busy(self.limits.max_connections);
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(Duration::from_secs(2), async {
                            let _ = io.write_all(&answer).await;
                            let _ = io.shutdown().await;
                        })
                        .await;
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection held to the limits; its slot is freed when it is dropped.
pub struct GuardedIo<T> {
    inner: T,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    /// Fires at the idle deadline, or at the header deadline before the first head is in.
    timer: Pin<Box<Sleep>>,
    head_done: bool,
    /// The last bytes read, to find the head's end (`\r\n\r\n`) across reads.
    tail: [u8; 3],
}

impl<T> GuardedIo<T> {
    fn new(inner: T, permit: OwnedSemaphorePermit, limits: Limits) -> Self {
        GuardedIo {
            inner,
            _permit: permit,
            idle: limits.idle_timeout,
            timer: Box::pin(tokio::time::sleep(limits.header_timeout)),
            head_done: false,
            tail: [0; 3],
        }
    }

    /// Progress was made: the idle deadline moves (the header deadline does not).
    fn progressed(&mut self) {
        if self.head_done {
            let at = Instant::now() + self.idle;
            self.timer.as_mut().reset(at);
        }
    }

    fn saw(&mut self, bytes: &[u8]) {
        if self.head_done || bytes.is_empty() {
            return;
        }
        let mut window: Vec<u8> = self.tail.to_vec();
        window.extend_from_slice(bytes);
        if window.windows(4).any(|w| w == b"\r\n\r\n") {
            self.head_done = true;
        }
        let n = window.len();
        self.tail.copy_from_slice(&window[n - 3..]);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Some(io::Error::new(
                io::ErrorKind::TimedOut,
                if self.head_done {
                    "connection idle too long"
                } else {
                    "request head not received in time"
                },
            )),
            Poll::Pending => None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let got = buf.filled()[before..].to_vec();
                self.saw(&got);
                self.progressed();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.expired(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.progressed();
                Poll::Ready(r)
            }
            Poll::Pending => match self.expired(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
