//! The connection wrapper that gives hyper's own answers the platform's error envelope. Hyper
//! answers requests it cannot parse (a malformed request line or header: 400; a URI over 64 KiB:
//! 414; a head over its buffer or with too many headers: 431) itself, with an empty body and
//! no way to change it. Such an answer is the last thing written on its connection; this
//! wrapper recognises it (an error status with `content-length: 0` and no content type) and
//! writes it with a `{"error": {"type", "message"}}` body instead. Everything else passes
//! through untouched.

use std::fmt::Write as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose bare error answers get an envelope.
pub(crate) struct EnvelopeIo<T> {
    inner: T,
    /// A rewritten answer still to be written, and how much of it is.
    pending: Vec<u8>,
    written: usize,
}

impl<T> EnvelopeIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        EnvelopeIo {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> EnvelopeIo<T> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(answer) = with_envelope(buf) {
            self.pending = answer;
            self.written = 0;
            // The bytes are taken; they go out with the next write, flush or shutdown.
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The answer `head` with an error body, when `head` is a whole bodiless error answer.
fn with_envelope(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let text = text.strip_suffix("\r\n\r\n")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()?;
    if status < 400 {
        return None;
    }
    let headers: Vec<&str> = lines.collect();
    let named = |name: &str| {
        headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    if named("content-length") != Some("0") || named("content-type").is_some() {
        return None;
    }
    let kind = super::api::error_type(status);
    let message = match status {
        414 => "The request URL is too long.",
        431 => "The request's header fields are too large or too many.",
        400 => "The request is malformed: its request line or a header could not be parsed.",
        s if s >= 500 => "Internal server error.",
        _ => "The request could not be handled.",
    };
    let body = json!({"error": {"type": kind, "message": message}}).to_string();
    let mut out = format!("{status_line}\r\n");
    for h in &headers {
        let name = h.split_once(':').map_or("", |(n, _)| n.trim());
        if !name.eq_ignore_ascii_case("content-length") {
            out.push_str(h);
            out.push_str("\r\n");
        }
    }
    out.push_str("content-type: application/json; charset=utf-8\r\n");
    let _ = write!(out, "content-length: {}\r\n\r\n{body}", body.len());
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodiless_error_answers_are_rewritten() {
        let out = with_envelope(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(head.contains("\r\ndate: x"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["type"], "invalid-header");

        for untouched in [
            &b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
        ] {
            assert_eq!(with_envelope(untouched), None);
        }
    }
}
