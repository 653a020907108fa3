//! Starting a board stand-in: one wiremock server on 127.0.0.1 whose single
//! responder plays every endpoint.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Respond};

/// A server listening on `127.0.0.1:port` (0: any free port), without
/// request recording (long runs would keep every request).
///
/// # Panics
/// When the port cannot be bound.
pub(crate) async fn listen(port: u16) -> MockServer {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{port}: {e}"));
    MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await
}

/// Answers every request on `server` with `responder`.
pub(crate) async fn serve(server: &MockServer, responder: impl Respond + 'static) {
    Mock::given(any())
        .respond_with(responder)
        .mount(server)
        .await;
}
