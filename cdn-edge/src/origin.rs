//! A minimal customer origin: serves the files of one directory over HTTP
//! with `Range` support, which is all an edge's fill needs. For demos and
//! tests; a real customer points the edges at their own web server.

use crate::edge::range::{self, RangeSpec};
use crate::httpapi::{self, Refusal, Resp};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{header, Method, Response, StatusCode};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves `dir` until `shutdown` resolves.
pub async fn serve(
	dir: PathBuf,
	listener: TcpListener,
	shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
	let dir = Arc::new(dir);
	httpapi::serve(listener, shutdown, move |_, req| {
		let dir = dir.clone();
		async move {
			let head = req.method() == Method::HEAD;
			if req.method() != Method::GET && !head {
				return Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "method", "GET or HEAD")
					.into_response();
			}
			let range =
				req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
			let name = req.uri().path().trim_start_matches('/').to_string();
			tokio::task::spawn_blocking(move || file(&dir, &name, range.as_deref(), head))
				.await
				.unwrap_or_else(|e| Err(Refusal::internal(e.to_string())))
				.unwrap_or_else(Refusal::into_response)
		}
	})
	.await
}

fn file(
	dir: &std::path::Path,
	name: &str,
	range: Option<&str>,
	head: bool,
) -> Result<Resp, Refusal> {
	if name.is_empty() || name.split('/').any(|p| p == ".." || p.is_empty()) {
		return Err(Refusal::new(StatusCode::NOT_FOUND, "not_found", "no such file"));
	}
	let path = dir.join(name);
	let f = std::fs::File::open(&path)
		.map_err(|_| Refusal::new(StatusCode::NOT_FOUND, "not_found", format!("no file {name}")))?;
	let len = f.metadata().map_err(|e| Refusal::internal(e.to_string()))?.len();
	let (status, start, end) = match range::parse(range, len) {
		RangeSpec::Full if len == 0 => (StatusCode::OK, 0, 0),
		RangeSpec::Full => (StatusCode::OK, 0, len - 1),
		RangeSpec::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
		RangeSpec::Unsatisfiable => {
			return Err(Refusal::new(
				StatusCode::RANGE_NOT_SATISFIABLE,
				"range",
				"outside the file",
			)
			.header("content-range", format!("bytes */{len}")))
		}
	};
	let n = if len == 0 { 0 } else { end - start + 1 };
	let mut b = Response::builder()
		.status(status)
		.header(header::ACCEPT_RANGES, "bytes")
		.header(header::CONTENT_TYPE, "application/octet-stream");
	if status == StatusCode::PARTIAL_CONTENT {
		b = b.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
	}
	if head {
		return Ok(b
			.header(header::CONTENT_LENGTH, n)
			.body(Full::new(Bytes::new()))
			.expect("valid"));
	}
	if n > 64 << 20 {
		return Err(Refusal::new(
			StatusCode::RANGE_NOT_SATISFIABLE,
			"range_too_large",
			"ask for at most 64 MiB per request",
		));
	}
	let mut buf = vec![0u8; n as usize];
	f.read_exact_at(&mut buf, start).map_err(|e| Refusal::internal(e.to_string()))?;
	Ok(b.body(Full::new(Bytes::from(buf))).expect("valid"))
}
