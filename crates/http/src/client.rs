//! A client for the small control-plane requests between reporter, edges
//! and clients (keep-alive pool; `http://`, or `https://` with rustls and
//! HTTP/2 by ALPN), with errors that say whether a retry can help.
//!
//! `https://` services are trusted by the system's root certificates (or
//! those in `SSL_CERT_FILE`, which replaces them: a test network's own CA)
//! plus any the caller adds.

use crate::addresses::PublicResolver;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use pod_wire::{Fault, Side};
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::time::Duration;

/// The control-plane client.
pub type HttpClient = hyper_util::client::legacy::Client<HttpsConnector, Full<Bytes>>;

/// A connector for `http://` and `https://` URLs.
pub type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client that connects only to public addresses
/// ([`crate::addresses`]), for URLs someone else named.
pub type PublicHttpClient = hyper_util::client::legacy::Client<
	hyper_rustls::HttpsConnector<HttpConnector<PublicResolver>>,
	Full<Bytes>,
>;

/// A new [`PublicHttpClient`] (as [`http_client`]): unless
/// `allow_private` (the configuration key `setting`), names resolving only
/// to private addresses fail to connect. IP literals are the caller's to
/// check ([`crate::addresses::literal_ip`]) before it sends anything.
pub fn public_http_client(allow_private: bool, setting: &'static str) -> PublicHttpClient {
	let mut c = HttpConnector::new_with_resolver(PublicResolver::new(allow_private, setting));
	c.set_nodelay(true);
	c.set_connect_timeout(Some(Duration::from_secs(3)));
	c.enforce_http(false);
	let https = hyper_rustls::HttpsConnectorBuilder::new()
		.with_tls_config(client_tls(vec![]))
		.https_or_http()
		.enable_http1()
		.enable_http2()
		.wrap_connector(c);
	hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https)
}

/// A new [`HttpClient`] (3 s connect timeout, no Nagle) trusting the
/// system's roots.
pub fn http_client() -> HttpClient {
	hyper_util::client::legacy::Client::builder(TokioExecutor::new())
		.build(connector(client_tls(vec![]), Duration::from_secs(3)))
}

/// A connector for `http://` and `https://` (by `tls`, HTTP/1.1 or HTTP/2
/// by ALPN) with a `connect_timeout`, no Nagle.
pub fn connector(tls: rustls::ClientConfig, connect_timeout: Duration) -> HttpsConnector {
	let mut c = HttpConnector::new();
	c.set_nodelay(true);
	c.set_connect_timeout(Some(connect_timeout));
	with_tls(c, tls)
}

/// `c` (e.g. bound to a local address) made to speak `https://` too.
pub fn with_tls(mut c: HttpConnector, tls: rustls::ClientConfig) -> HttpsConnector {
	c.enforce_http(false);
	hyper_rustls::HttpsConnectorBuilder::new()
		.with_tls_config(tls)
		.https_or_http()
		.enable_http1()
		.enable_http2()
		.wrap_connector(c)
}

/// The TLS configuration for `https://` servers: the system's roots (or
/// `SSL_CERT_FILE`'s) and `extra` ones.
pub fn client_tls(extra: Vec<CertificateDer<'static>>) -> rustls::ClientConfig {
	let mut roots = system_roots();
	for c in extra {
		if let Err(e) = roots.add(c) {
			tracing::warn!(error = %e, "an extra root certificate is unusable");
		}
	}
	let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
	rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.expect("aws-lc-rs supports the default TLS versions")
		.with_root_certificates(roots)
		.with_no_client_auth()
}

/// The system's root certificates (or `SSL_CERT_FILE`'s), read from disk
/// once per value of `SSL_CERT_FILE`: clients are made per call in places,
/// and reading and parsing the bundle each time would cost more than the
/// call.
fn system_roots() -> rustls::RootCertStore {
	type Cached = Option<(Option<std::ffi::OsString>, rustls::RootCertStore)>;
	static CACHE: std::sync::Mutex<Cached> = std::sync::Mutex::new(None);
	let file = std::env::var_os("SSL_CERT_FILE");
	let mut cache = CACHE.lock().expect("roots cache");
	if let Some((_, roots)) = cache.as_ref().filter(|(f, _)| *f == file) {
		return roots.clone();
	}
	let mut roots = rustls::RootCertStore::empty();
	let native = rustls_native_certs::load_native_certs();
	for e in &native.errors {
		tracing::warn!(error = %e, "a system root certificate could not be read");
	}
	let (_, unusable) = roots.add_parsable_certificates(native.certs);
	if unusable > 0 {
		tracing::debug!(unusable, "system root certificates rustls cannot use");
	}
	*cache = Some((file, roots.clone()));
	roots
}

/// Largest response body [`call`] reads.
pub const MAX_BODY: usize = 64 << 20;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
	/// The request could not be built (a bad URL or header): our fault.
	#[error("{url}: cannot build the request: {source}")]
	Request {
		/// The URL called.
		url: String,
		/// What hyper said.
		#[source]
		source: hyper::http::Error,
	},
	/// No connection, or it broke before the response.
	#[error("{url}: {source}")]
	Connect {
		/// The URL called.
		url: String,
		/// What the client said.
		#[source]
		source: hyper_util::client::legacy::Error,
	},
	/// The response body broke off or was over [`MAX_BODY`].
	#[error("{url}: reading the body: {source}")]
	Body {
		/// The URL called.
		url: String,
		/// What went wrong.
		#[source]
		source: Box<dyn std::error::Error + Send + Sync>,
	},
	/// No complete answer in time.
	#[error("{url}: timed out after {after:?}")]
	Timeout {
		/// The URL called.
		url: String,
		/// The deadline.
		after: Duration,
	},
	/// An answer, but not a success.
	#[error("{url} answered {status}: {body}")]
	Status {
		/// The URL called.
		url: String,
		/// The status.
		status: StatusCode,
		/// The body, as text.
		body: String,
	},
}

impl Fault for CallError {
	fn side(&self) -> Side {
		match self {
			CallError::Request { .. } => Side::Internal,
			_ => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			CallError::Request { .. } => false,
			CallError::Status { status, .. } => {
				status.is_server_error()
					|| *status == StatusCode::TOO_EARLY
					|| *status == StatusCode::TOO_MANY_REQUESTS
			}
			_ => true,
		}
	}
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Reply {
	/// The URL called.
	pub url: String,
	/// The status.
	pub status: StatusCode,
	/// The body (at most [`MAX_BODY`]).
	pub body: Bytes,
}

impl Reply {
	/// The body if the status is a success, else [`CallError::Status`].
	pub fn success(self) -> Result<Bytes, CallError> {
		if self.status.is_success() {
			return Ok(self.body);
		}
		Err(CallError::Status {
			url: self.url,
			status: self.status,
			body: String::from_utf8_lossy(&self.body).into_owned(),
		})
	}

	/// The body as text, for logs and errors.
	pub fn text(&self) -> String {
		String::from_utf8_lossy(&self.body).into_owned()
	}
}

/// One request with a deadline, whatever the status.
pub async fn call<C: Connect + Clone + Send + Sync + 'static>(
	client: &hyper_util::client::legacy::Client<C, Full<Bytes>>,
	method: Method,
	url: &str,
	headers: &[(&str, String)],
	body: Vec<u8>,
	timeout: Duration,
) -> Result<Reply, CallError> {
	let mut req = Request::builder().method(method).uri(url);
	for (k, v) in headers {
		req = req.header(*k, v);
	}
	let req = req
		.body(Full::new(Bytes::from(body)))
		.map_err(|source| CallError::Request { url: url.into(), source })?;
	let work = async {
		let resp = client
			.request(req)
			.await
			.map_err(|source| CallError::Connect { url: url.into(), source })?;
		let status = resp.status();
		let body = Limited::new(resp.into_body(), MAX_BODY)
			.collect()
			.await
			.map_err(|source| CallError::Body { url: url.into(), source })?
			.to_bytes();
		Ok(Reply { url: url.into(), status, body })
	};
	tokio::time::timeout(timeout, work)
		.await
		.map_err(|_| CallError::Timeout { url: url.into(), after: timeout })?
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn a_closed_port_is_a_retryable_upstream_fault() {
		let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let url = format!("http://{}/x", l.local_addr().unwrap());
		drop(l);
		let e = call(&http_client(), Method::GET, &url, &[], vec![], Duration::from_secs(2))
			.await
			.unwrap_err();
		assert!(matches!(e, CallError::Connect { .. }), "{e}");
		assert_eq!((e.side(), e.retryable()), (Side::Upstream, true));
	}

	#[test]
	fn only_server_side_statuses_are_worth_retrying() {
		let status =
			|s: StatusCode| CallError::Status { url: "u".into(), status: s, body: "".into() };
		assert!(status(StatusCode::SERVICE_UNAVAILABLE).retryable());
		assert!(status(StatusCode::TOO_EARLY).retryable());
		assert!(!status(StatusCode::FORBIDDEN).retryable());
		assert!(!status(StatusCode::UNPROCESSABLE_ENTITY).retryable());
	}
}
