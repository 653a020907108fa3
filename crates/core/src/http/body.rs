//! Bounded bodies: every answer is read chunk by chunk, and one larger
//! than its cap fails as soon as it passes the cap.
//!
//! A board that sends an endless or enormous answer (a bug, a proxy's
//! error page looping, a hostile server) must not take the process's
//! memory with it. So nothing here calls `Response::bytes`: bodies are read
//! with `Response::chunk`, and at most the cap plus the chunk in hand is
//! ever held, whatever the server sends. Three caps apply:
//!
//! - [`super::HttpClient::fetch`] reads at most
//!   [`super::HttpSettings::max_body_bytes`], 64 MiB by default
//!   ([`DEFAULT_MAX_BODY_BYTES`]), the spec's `max_body_mb`. A page that
//!   large is already far beyond any board's. A body announced
//!   (`Content-Length`) or found to be larger fails before or while it is
//!   read.
//! - A 5xx or 408 answer is read for its excerpt, its first
//!   [`EXCERPT_BYTES`] only; the rest is not read.
//! - OAuth2 token and key answers ([`super::OAuthHttp`], used by
//!   [`super::ClientCredentials`]) are read up to
//!   [`OAUTH_MAX_BODY_BYTES`], 1 MiB.
//!
//! **The error.** A body over the cap is an [`ErrorKind::Http`] error
//! (the server misbehaved; nothing was parsed, so not
//! [`ErrorKind::Parse`]), marked **permanent**: the same request would get
//! the same answer, and retrying would download the cap again for
//! nothing. Its message names the operation and the URL (without its
//! query, [`super::redact_url`]) and says which key to raise.
//!
//! **Compression.** reqwest is built here without its `gzip`, `brotli`,
//! `deflate` and `zstd` features, so the cap counts the bytes received.
//! `Response::chunk` yields decoded bytes, so were decoding ever enabled,
//! the cap would apply after decompression, which is what keeps a
//! compression bomb out of memory too.

use crate::error::{Error, ErrorKind};

/// One mebibyte, the unit of `max_body_mb`.
pub const MIB: usize = 1 << 20;

/// The default cap of [`super::HttpClient::fetch`]'s bodies: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * MIB;

/// How much of a 5xx or 408 answer is read for its excerpt.
pub const EXCERPT_BYTES: usize = 4 << 10;

/// The cap of OAuth2 token and key answers: 1 MiB, far more than any
/// token or key set.
pub const OAUTH_MAX_BODY_BYTES: usize = MIB;

/// The most memory reserved ahead on the word of a `Content-Length`.
const MAX_PREALLOCATION: usize = MIB;

/// Why a capped read stopped early.
#[derive(Debug)]
pub(super) enum BodyError {
    /// The body is larger than the cap.
    TooLarge,
    /// The connection broke while reading.
    Read(reqwest::Error),
}

/// Reads `response`'s whole body, failing as soon as it passes `limit`
/// bytes (or announces more). The buffer never holds more than `limit`
/// bytes, nor reserves more.
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let reserve = announced.map_or(0, |n| n as usize).min(MAX_PREALLOCATION);
    let mut body = Vec::with_capacity(reserve);
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge);
        }
        if body.capacity() - body.len() < chunk.len() {
            // Grow by doubling, as `Vec` would, but never past the cap.
            let wanted = (body.len() + chunk.len())
                .max(body.capacity() * 2)
                .min(limit);
            body.reserve_exact(wanted - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The first `limit` bytes of `response`'s body, or what arrived before
/// the connection broke; the rest is not read.
pub(super) async fn read_prefix(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// The error for a body over `limit`: permanent, naming `what`, the
/// redacted `url` and the key to raise.
pub(super) fn too_large(what: &str, url: &str, limit: usize) -> Error {
    Error::new(
        ErrorKind::Http,
        format!(
            "{what}: {url} sent more than {}; if the board really sends that much, raise `max_body_mb`",
            size_text(limit)
        ),
    )
    .set_temporary(false)
}

/// `64 MB`, `1.5 MB`, `512 bytes`: a cap as a person reads it (MB are
/// MiB, as in `max_body_mb`).
pub(super) fn size_text(bytes: usize) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::http::test_support::{client, fast, get};
    use crate::source::SourceStats;

    /// A server on 127.0.0.1 answering every request with `status` and a
    /// chunked body of `total` bytes (`None`: endless), 64 KiB a chunk. It
    /// counts the connections it accepts.
    async fn streaming_server(
        status: &'static str,
        total: Option<usize>,
    ) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    );
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let data = vec![b'x'; 64 << 10];
                    let mut left = total.unwrap_or(usize::MAX);
                    while left > 0 {
                        let n = left.min(data.len());
                        let chunk = [format!("{n:x}\r\n").as_bytes(), &data[..n], b"\r\n"].concat();
                        if socket.write_all(&chunk).await.is_err() {
                            return; // the client hung up
                        }
                        left -= n;
                    }
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                });
            }
        });
        (format!("http://{addr}"), accepted)
    }

    #[tokio::test]
    async fn an_endless_body_fails_fast_without_a_retry() {
        let (base, accepted) = streaming_server("200 OK", None).await;
        let http = client(fast().with_max_body_bytes(MIB).with_max_retries(3), None);
        let url = format!("{base}/endless?api_key=SECRETKEY");
        let start = Instant::now();
        let err = http
            .fetch("search page 1", |c| c.get(&url))
            .await
            .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(err.kind(), ErrorKind::Http);
        assert!(!err.is_temporary(), "a body too large is not retried");
        let msg = err.to_string();
        assert!(msg.starts_with("search page 1: "), "{msg}");
        assert!(
            msg.contains(&format!("{base}/endless sent more than 1 MB")),
            "{msg}"
        );
        assert!(msg.contains("raise `max_body_mb`"), "{msg}");
        assert!(!msg.contains("SECRETKEY"), "{msg}");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(SourceStats::get(&http.stats().requests), 1);
        assert_eq!(SourceStats::get(&http.stats().retries), 0);
    }

    #[tokio::test]
    async fn a_streamed_body_up_to_the_cap_passes() {
        let (base, _) = streaming_server("200 OK", Some(MIB)).await;
        let http = client(fast().with_max_body_bytes(MIB), None);
        let url = format!("{base}/exact");
        let answer = http.fetch("test", |c| c.get(&url)).await.unwrap();
        assert_eq!(answer.body.len(), MIB);
        let (base, _) = streaming_server("200 OK", Some(MIB + 1)).await;
        let url = format!("{base}/over");
        let err = http.fetch("test", |c| c.get(&url)).await.unwrap_err();
        assert!(err.to_string().contains("sent more than 1 MB"), "{err}");
    }

    #[tokio::test]
    async fn a_body_just_under_the_cap_passes_and_a_larger_one_is_refused_unread() {
        let server = MockServer::start().await;
        Mock::given(path("/under"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; MIB - 1]))
            .mount(&server)
            .await;
        Mock::given(path("/over"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; MIB + 1]))
            .expect(1)
            .mount(&server)
            .await;
        let http = client(fast().with_max_body_bytes(MIB), None);
        let answer = http.fetch("test", get(&server, "/under")).await.unwrap();
        assert_eq!(answer.body.len(), MIB - 1);
        // Content-Length says too much: refused before reading, not retried.
        let err = http.fetch("test", get(&server, "/over")).await.unwrap_err();
        assert!(!err.is_temporary());
        assert!(
            err.to_string().contains("/over sent more than 1 MB"),
            "{err}"
        );
        assert_eq!(SourceStats::get(&http.stats().retries), 0);
    }

    #[tokio::test]
    async fn the_excerpt_of_a_huge_503_is_bounded() {
        let (base, accepted) = streaming_server("503 Service Unavailable", None).await;
        let http = client(fast().with_max_retries(1), None);
        let url = format!("{base}/down");
        let start = Instant::now();
        let err = http.fetch("test", |c| c.get(&url)).await.unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(err.kind(), ErrorKind::Http);
        assert!(err.is_temporary(), "a 503 is still retried");
        let msg = err.to_string();
        assert!(msg.contains("503 Service Unavailable: xxx"), "{msg}");
        assert!(msg.contains("gave up after 2 attempts"), "{msg}");
        assert!(msg.len() < 600, "{} bytes: {msg}", msg.len());
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_buffer_never_reserves_past_the_cap() {
        let (base, _) = streaming_server("200 OK", Some(3 * MIB - 5)).await;
        let response = client(fast(), None)
            .client()
            .get(format!("{base}/x"))
            .send()
            .await
            .unwrap();
        let body = read_capped(response, 3 * MIB - 5).await.unwrap();
        assert_eq!(body.len(), 3 * MIB - 5);
        assert!(body.capacity() <= 3 * MIB - 5, "{}", body.capacity());
    }

    #[test]
    fn sizes_read_as_a_person_would() {
        assert_eq!(size_text(64 * MIB), "64 MB");
        assert_eq!(size_text(MIB + MIB / 2), "1.5 MB");
        assert_eq!(size_text(512), "512 bytes");
    }
}
