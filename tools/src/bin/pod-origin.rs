//! `pod-origin`: a minimal customer origin. Serves the files of one
//! directory over HTTP with `Range` support, which is all an edge's fill
//! needs. For demos and tests; a real customer points the edges at their own
//! web server.
//!
//! ```text
//! pod-origin --dir DIR [--listen ADDR]     prints `listening on ADDR`
//! ```

use anyhow::Context;
use bytes::Bytes;
use clap::Parser;
use hyper::{header, Method, Response, StatusCode};
use pod_http::{Refusal, Resp};
use pod_wire::range::{self, RangeSpec};
use pod_wire::Code;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
	name = "pod-origin",
	about = "Serve a directory's files with Range support (a stand-in origin)"
)]
struct Args {
	#[arg(long)]
	dir: PathBuf,
	#[arg(long, default_value = "127.0.0.1:8600")]
	listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	let args = Args::parse();
	let listener =
		TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
	println!("listening on {}", listener.local_addr()?);
	serve(args.dir, listener, pod_http::server::shutdown_signal()).await?;
	Ok(())
}

/// Serves `dir` until `shutdown` resolves.
async fn serve(
	dir: PathBuf,
	listener: TcpListener,
	shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
	let dir = Arc::new(dir);
	pod_http::serve(listener, shutdown, move |_, req| {
		let dir = dir.clone();
		async move {
			let head = req.method() == Method::HEAD;
			if req.method() != Method::GET && !head {
				return Refusal::new(
					StatusCode::METHOD_NOT_ALLOWED,
					Code::MethodNotAllowed,
					"GET or HEAD",
				)
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
		return Err(Refusal::not_found(Code::NotFound, "no such file"));
	}
	let path = dir.join(name);
	let f = std::fs::File::open(&path)
		.map_err(|_| Refusal::not_found(Code::NotFound, format!("no file {name}")))?;
	let len = f.metadata().map_err(|e| Refusal::internal(e.to_string()))?.len();
	let (status, start, end) = match range::parse(range, len) {
		RangeSpec::Full if len == 0 => (StatusCode::OK, 0, 0),
		RangeSpec::Full => (StatusCode::OK, 0, len - 1),
		RangeSpec::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
		RangeSpec::Unsatisfiable => {
			return Err(Refusal::new(
				StatusCode::RANGE_NOT_SATISFIABLE,
				Code::RangeUnsatisfiable,
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
			.body(pod_http::full(Bytes::new()))
			.expect("valid"));
	}
	if n > 64 << 20 {
		return Err(Refusal::new(
			StatusCode::RANGE_NOT_SATISFIABLE,
			Code::RangeTooLarge,
			"ask for at most 64 MiB per request",
		));
	}
	let mut buf = vec![0u8; n as usize];
	f.read_exact_at(&mut buf, start).map_err(|e| Refusal::internal(e.to_string()))?;
	Ok(b.body(pod_http::full(buf)).expect("valid"))
}
