//! A client for the small control-plane requests between reporter, edges
//! and clients (keep-alive pool, HTTP/1.1), with errors that say whether a
//! retry can help.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pod_wire::{Fault, Side};
use std::time::Duration;

/// The control-plane client.
pub type HttpClient = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// A new [`HttpClient`] (3 s connect timeout, no Nagle).
pub fn http_client() -> HttpClient {
	let mut c = HttpConnector::new();
	c.set_nodelay(true);
	c.set_connect_timeout(Some(Duration::from_secs(3)));
	hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(c)
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
pub async fn call(
	client: &HttpClient,
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
