//! Refusals: every error a service sends is a specific status and a JSON
//! [`ErrorBody`] with a machine-readable [`Code`].

use crate::reply::Resp;
use hyper::{header, Response, StatusCode};
use pod_wire::hex::DecodeError;
use pod_wire::replies::ErrorBody;
use pod_wire::{Code, Fault, Side};

/// A refusal: status, code, message, extra headers.
#[derive(Debug)]
pub struct Refusal {
	/// The HTTP status.
	pub status: StatusCode,
	/// The machine-readable code.
	pub code: Code,
	/// For people.
	pub message: String,
	/// Extra response headers (`retry-after`, `x-pod-fault`, …).
	pub headers: Vec<(&'static str, String)>,
}

impl Refusal {
	/// A refusal with `status`, `code` and `message`.
	pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
		Refusal { status, code, message: message.into(), headers: Vec::new() }
	}

	/// 400 with `code`.
	pub fn bad_request(code: Code, message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::BAD_REQUEST, code, message)
	}

	/// 404 with `code`.
	pub fn not_found(code: Code, message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::NOT_FOUND, code, message)
	}

	/// 403 with `code`.
	pub fn forbidden(code: Code, message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::FORBIDDEN, code, message)
	}

	/// 500, the fault is ours.
	pub fn internal(message: impl Into<String>) -> Self {
		Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, message)
			.header(pod_wire::headers::FAULT, Side::Internal.as_str())
	}

	/// A refusal for `fault`: `x-pod-fault` names its side, and a retryable
	/// one carries `retry-after: 1`.
	pub fn from_fault(status: StatusCode, code: Code, fault: &dyn Fault) -> Self {
		let mut r = Refusal::new(status, code, fault.to_string())
			.header(pod_wire::headers::FAULT, fault.side().as_str());
		if fault.retryable() {
			r = r.header("retry-after", "1");
		}
		r
	}

	/// Adds a response header.
	pub fn header(mut self, k: &'static str, v: impl Into<String>) -> Self {
		self.headers.push((k, v.into()));
		self
	}

	/// The JSON error response.
	pub fn into_response(self) -> Resp {
		let body = ErrorBody { error: self.code.as_str().into(), message: self.message };
		let body = serde_json::to_vec(&body).expect("an error body serializes");
		let mut b = Response::builder()
			.status(self.status)
			.header(header::CONTENT_TYPE, "application/json")
			.header(header::CACHE_CONTROL, "no-store");
		for (k, v) in self.headers {
			b = b.header(k, v);
		}
		b.body(crate::reply::full(body)).expect("valid response")
	}
}

impl From<DecodeError> for Refusal {
	fn from(e: DecodeError) -> Self {
		let code = match e {
			DecodeError::Scale { .. } => Code::BadScale,
			DecodeError::Hex { .. } | DecodeError::Length { .. } => Code::BadHex,
		};
		Refusal::bad_request(code, e.to_string())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use http_body_util::BodyExt;

	#[tokio::test]
	async fn a_refusal_is_its_status_headers_and_a_json_error_body() {
		let r = Refusal::new(StatusCode::TOO_EARLY, Code::TooEarly, "wait")
			.header("retry-after", "3")
			.into_response();
		assert_eq!(r.status(), StatusCode::TOO_EARLY);
		assert_eq!(r.headers()["retry-after"], "3");
		assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
		let body = r.into_body().collect().await.unwrap().to_bytes();
		let e: ErrorBody = serde_json::from_slice(&body).unwrap();
		assert_eq!(e.code(), Some(Code::TooEarly));
		assert_eq!(e.message, "wait");
	}

	#[test]
	fn decode_errors_are_bad_requests_naming_the_field() {
		let r: Refusal = pod_wire::hex::hex32("content id", "zz").unwrap_err().into();
		assert_eq!((r.status, r.code), (StatusCode::BAD_REQUEST, Code::BadHex));
		assert!(r.message.contains("content id"), "{}", r.message);
		let r: Refusal = pod_wire::hex::scale::<u64>("ticket", "00").unwrap_err().into();
		assert_eq!(r.code, Code::BadScale);
	}
}
