//! A request body that gives up when its client stops sending: each piece must arrive
//! within the read timeout of the one before (hyper times out only the request's head).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// What a body read that timed out fails with (handlers see a body that could not be read).
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {0:?} in the middle of a request body")]
pub struct BodyReadTimeout(Duration);

pub struct TimeoutBody<B> {
    inner: B,
    timeout: Duration,
    /// Armed while a read waits; cleared by every piece that arrives.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<B> TimeoutBody<B> {
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: None,
        }
    }
}

impl<B> Body for TimeoutBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.deadline = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let deadline = this.deadline.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + timeout))
                });
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyReadTimeout(timeout))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// Sends one piece, then nothing, never closing: a slow-loris body.
    struct Stalls {
        sent: bool,
    }

    impl Body for Stalls {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.sent {
                return Poll::Pending;
            }
            self.sent = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"Action=")))))
        }
    }

    #[tokio::test]
    async fn a_body_that_stalls_fails_and_one_that_flows_does_not() {
        let mut body = TimeoutBody::new(Stalls { sent: false }, Duration::from_millis(20));
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "Action=");
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.is::<BodyReadTimeout>(), "{err}");

        let whole = TimeoutBody::new(
            http_body_util::Full::new(Bytes::from_static(b"Action=ListUsers")),
            Duration::from_secs(30),
        );
        assert_eq!(
            whole.collect().await.unwrap().to_bytes(),
            "Action=ListUsers"
        );
    }
}
