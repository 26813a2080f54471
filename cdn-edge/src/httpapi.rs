//! HTTP plumbing shared by the edge's data plane and the reporter's API
//! (hyper 1, HTTP/1.1 and HTTP/2 on one port): the serve loop with graceful
//! shutdown, refusals as specific JSON errors, and small body helpers.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// A response with a fully buffered body.
pub type Resp = Response<Full<Bytes>>;

/// A refusal: status, machine-readable code, message, extra headers. Sent as
/// `{"error": code, "message": …}`.
#[derive(Debug)]
pub struct Refusal {
	pub status: StatusCode,
	pub code: &'static str,
	pub message: String,
	pub headers: Vec<(&'static str, String)>,
}

impl Refusal {
	/// A refusal with `status`, `code` and `message`.
	pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		Refusal { status, code, message: message.into(), headers: Vec::new() }
	}

	/// 400 with `code`.
	pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::BAD_REQUEST, code, message)
	}

	/// 500, the fault is ours.
	pub fn internal(message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
			.header("x-pod-fault", "internal")
	}

	/// Adds a response header.
	pub fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
		self.headers.push((k, v.into()));
		self
	}

	/// The JSON error response.
	pub fn into_response(self) -> Resp {
		let body = serde_json::json!({ "error": self.code, "message": self.message }).to_string();
		let mut b = Response::builder()
			.status(self.status)
			.header(header::CONTENT_TYPE, "application/json")
			.header(header::CACHE_CONTROL, "no-store");
		for (k, v) in self.headers {
			b = b.header(k, v);
		}
		b.body(Full::new(Bytes::from(body))).expect("valid response")
	}
}

/// A response with `body` of content type `ctype`.
pub fn text(status: StatusCode, ctype: &str, body: String) -> Resp {
	binary(status, ctype, Bytes::from(body))
}

/// A response with a byte body.
pub fn binary(status: StatusCode, ctype: &str, body: Bytes) -> Resp {
	Response::builder()
		.status(status)
		.header(header::CONTENT_TYPE, ctype)
		.body(Full::new(body))
		.expect("valid response")
}

/// A JSON response.
pub fn json(status: StatusCode, v: &serde_json::Value) -> Resp {
	text(status, "application/json", v.to_string())
}

/// Reads a request body of at most `limit` bytes.
pub async fn body(req: Request<Incoming>, limit: usize) -> Result<Bytes, Refusal> {
	Limited::new(req.into_body(), limit).collect().await.map(|c| c.to_bytes()).map_err(|e| {
		Refusal::new(
			StatusCode::PAYLOAD_TOO_LARGE,
			"bad_body",
			format!("body unreadable or over {limit} bytes: {e}"),
		)
	})
}

/// Reads a JSON body of at most `limit` bytes into `T`.
pub async fn json_body<T: serde::de::DeserializeOwned>(
	req: Request<Incoming>,
	limit: usize,
) -> Result<T, Refusal> {
	let b = body(req, limit).await?;
	serde_json::from_slice(&b).map_err(|e| Refusal::bad_request("bad_json", e.to_string()))
}

/// Decodes 32 bytes of hex (an optional `0x` prefix is allowed).
pub fn hex32(what: &'static str, s: &str) -> Result<[u8; 32], Refusal> {
	hex::decode(s.trim().trim_start_matches("0x")).ok().and_then(|v| v.try_into().ok()).ok_or_else(
		|| Refusal::bad_request("bad_hex", format!("{what} must be 32 bytes of hex, got {s:?}")),
	)
}

/// Decodes hex-encoded SCALE of `T`.
pub fn hex_scale<T: codec::Decode>(what: &'static str, s: &str) -> Result<T, Refusal> {
	let bytes = hex::decode(s.trim().trim_start_matches("0x"))
		.map_err(|e| Refusal::bad_request("bad_hex", format!("{what} is not hex: {e}")))?;
	T::decode(&mut &bytes[..])
		.map_err(|e| Refusal::bad_request("bad_scale", format!("{what} does not decode: {e}")))
}

/// Serves `handler` on `listener` until `shutdown` resolves, then stops
/// accepting and lets open connections finish.
pub async fn serve<H, F>(
	listener: TcpListener,
	shutdown: impl Future<Output = ()>,
	handler: H,
) -> std::io::Result<()>
where
	H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
	F: Future<Output = Resp> + Send + 'static,
{
	let graceful = hyper_util::server::graceful::GracefulShutdown::new();
	let builder = Builder::new(TokioExecutor::new());
	tokio::pin!(shutdown);
	loop {
		tokio::select! {
			accepted = listener.accept() => {
				let (stream, peer) = match accepted {
					Ok(a) => a,
					Err(e) => {
						tracing::warn!(error = %e, "accept failed");
						// Out of descriptors: back off instead of spinning.
						tokio::time::sleep(std::time::Duration::from_millis(10)).await;
						continue;
					},
				};
				let _ = stream.set_nodelay(true);
				let handler = handler.clone();
				let svc = hyper::service::service_fn(move |req| {
					let fut = handler(peer, req);
					async move { Ok::<_, std::convert::Infallible>(fut.await) }
				});
				let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
				let conn = graceful.watch(conn.into_owned());
				tokio::spawn(async move {
					if let Err(e) = conn.await {
						tracing::debug!(error = %e, %peer, "connection ended");
					}
				});
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	graceful.shutdown().await;
	Ok(())
}

/// An HTTP client for the small control-plane requests between reporter,
/// edges and clients (keep-alive pool, HTTP/1.1).
pub type HttpClient = hyper_util::client::legacy::Client<
	hyper_util::client::legacy::connect::HttpConnector,
	Full<Bytes>,
>;

/// A new [`HttpClient`].
pub fn http_client() -> HttpClient {
	let mut c = hyper_util::client::legacy::connect::HttpConnector::new();
	c.set_nodelay(true);
	c.set_connect_timeout(Some(std::time::Duration::from_secs(3)));
	hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(c)
}

/// One request with a deadline; returns the status and the body (up to 64 MiB).
pub async fn call(
	client: &HttpClient,
	method: hyper::Method,
	url: &str,
	headers: &[(&str, String)],
	body: Vec<u8>,
	timeout: std::time::Duration,
) -> Result<(StatusCode, Bytes), String> {
	let mut req = Request::builder().method(method).uri(url);
	for (k, v) in headers {
		req = req.header(*k, v);
	}
	let req = req.body(Full::new(Bytes::from(body))).map_err(|e| format!("{url}: {e}"))?;
	let work = async {
		let resp = client.request(req).await.map_err(|e| format!("{url}: {e}"))?;
		let status = resp.status();
		let b = Limited::new(resp.into_body(), 64 << 20)
			.collect()
			.await
			.map_err(|e| format!("{url}: body: {e}"))?
			.to_bytes();
		Ok((status, b))
	};
	tokio::time::timeout(timeout, work)
		.await
		.map_err(|_| format!("{url}: timed out after {timeout:?}"))?
}
