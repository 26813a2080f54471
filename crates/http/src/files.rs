//! Static files under a URL prefix (the dashboard on an admin plane), by
//! tower-http's `ServeDir`: no path outside the directory is ever served,
//! `Range`, `If-Modified-Since` and content types are its.

use crate::reply::{full, Resp};
use http_body_util::BodyExt;
use hyper::{Request, StatusCode};
use std::path::Path;
use tower::ServiceExt;

/// Answers `req` (whose path starts with `prefix`) from the files of `dir`.
/// Files are small (pages, scripts): each is read whole.
pub async fn serve_dir<B>(dir: &Path, prefix: &str, req: Request<B>) -> Resp {
	let (mut parts, _) = req.into_parts();
	let rest = parts.uri.path().strip_prefix(prefix).unwrap_or("/").to_string();
	let rest = if rest.is_empty() { "/".to_string() } else { rest };
	parts.uri = match rest.parse() {
		Ok(uri) => uri,
		Err(_) => return plain(StatusCode::BAD_REQUEST, "not a path"),
	};
	let req = Request::from_parts(parts, http_body_util::Empty::<bytes::Bytes>::new());
	let served = match tower_http::services::ServeDir::new(dir).oneshot(req).await {
		Ok(r) => r,
		Err(e) => match e {},
	};
	let (parts, body) = served.into_parts();
	match body.collect().await {
		Ok(b) => Resp::from_parts(parts, full(b.to_bytes())),
		Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("reading a file: {e}")),
	}
}

fn plain(status: StatusCode, why: &str) -> Resp {
	crate::reply::text(status, "text/plain; charset=utf-8", why.to_string())
}

#[cfg(test)]
mod tests {
	use super::*;

	async fn get(dir: &Path, path: &str) -> (StatusCode, Vec<u8>, String) {
		let req = Request::get(path).body(()).unwrap();
		let resp = serve_dir(dir, "/dashboard", req).await;
		let ctype = resp
			.headers()
			.get("content-type")
			.map(|v| v.to_str().unwrap().to_string())
			.unwrap_or_default();
		let status = resp.status();
		(status, resp.into_body().collect().await.unwrap().to_bytes().to_vec(), ctype)
	}

	#[tokio::test]
	async fn files_of_the_directory_are_served_and_nothing_outside_it() {
		let root = tempfile::tempdir().unwrap();
		let dir = root.path().join("dash");
		std::fs::create_dir_all(dir.join("dist")).unwrap();
		std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
		std::fs::write(dir.join("dist/app.js"), "1").unwrap();
		std::fs::write(root.path().join("secret.key"), "no").unwrap();
		let (s, body, ctype) = get(&dir, "/dashboard/").await;
		assert_eq!((s, body.as_slice()), (StatusCode::OK, b"<p>hi</p>".as_slice()));
		assert!(ctype.starts_with("text/html"), "{ctype}");
		let (s, _, ctype) = get(&dir, "/dashboard/dist/app.js").await;
		assert_eq!(s, StatusCode::OK);
		assert!(ctype.contains("javascript"), "{ctype}");
		for escape in
			["/dashboard/../secret.key", "/dashboard/%2e%2e/secret.key", "/dashboard/missing"]
		{
			let (s, body, _) = get(&dir, escape).await;
			assert_eq!(s, StatusCode::NOT_FOUND, "{escape}");
			assert_ne!(body, b"no");
		}
	}
}
