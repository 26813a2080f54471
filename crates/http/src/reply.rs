//! Responses and request bodies.

use crate::refusal::Refusal;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{header, Request, Response, StatusCode};
use pod_wire::Code;

/// A response body: buffered ([`full`]) or streamed (e.g. paced by an
/// edge's rate cap).
pub type Body = UnsyncBoxBody<Bytes, std::convert::Infallible>;

/// A response.
pub type Resp = Response<Body>;

/// A body of `bytes`, all at once.
pub fn full(bytes: impl Into<Bytes>) -> Body {
	Full::new(bytes.into()).boxed_unsync()
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
		.body(full(body))
		.expect("valid response")
}

/// A JSON response of a typed reply.
pub fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Resp {
	let body = serde_json::to_vec(v).expect("replies serialize");
	binary(status, "application/json", Bytes::from(body))
}

/// Reads a request body of at most `limit` bytes. A body whose declared
/// length is over the limit is refused before a byte of it is read; one
/// sent without a length (chunked) is cut off at the limit.
pub async fn body(req: Request<Incoming>, limit: usize) -> Result<Bytes, Refusal> {
	let too_large = |what: String| Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, Code::BadBody, what);
	if let Some(declared) = declared_length(&req).filter(|n| *n > limit as u64) {
		return Err(too_large(format!("body of {declared} bytes declared, over {limit}")));
	}
	Limited::new(req.into_body(), limit)
		.collect()
		.await
		.map(|c| c.to_bytes())
		.map_err(|e| too_large(format!("body unreadable or over {limit} bytes: {e}")))
}

/// The request's `content-length`, if it sent a valid one.
fn declared_length(req: &Request<Incoming>) -> Option<u64> {
	req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Reads a JSON body of at most `limit` bytes into `T`.
pub async fn json_body<T: serde::de::DeserializeOwned>(
	req: Request<Incoming>,
	limit: usize,
) -> Result<T, Refusal> {
	let b = body(req, limit).await?;
	serde_json::from_slice(&b).map_err(|e| Refusal::bad_request(Code::BadJson, e.to_string()))
}

/// Decodes a SCALE body (trailing bytes refused).
pub fn scale<T: codec::Decode>(what: &'static str, b: &[u8]) -> Result<T, Refusal> {
	pod_wire::hex::decode_all(what, b).map_err(Refusal::from)
}
