//! A publisher's web server, standing in for a customer's site: it serves
//! the demo page and the browser SDK (`web/` and the wasm-bindgen output),
//! tells the page what to play (`GET /config`), mints a viewer grant for
//! the page's session key with the customer's grant key (`POST /grant`, the
//! one thing a publisher's backend must do), and takes back what the page
//! downloaded (`POST /result`) so a test can compare it byte for byte, and
//! the page's outcome (`POST /outcome`) when no driver reads it from the
//! page (a browser with no debugger attached).

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use pod_http::{Refusal, Resp};
use pod_primitives::{keys::Keypair, ContentId, PublicKey};
use pod_wire::Code;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the publisher serves and grants.
pub struct Site {
	/// The repository's `web/` directory (pages and `pod.js`).
	pub web: PathBuf,
	/// wasm-bindgen's output for pod-web (`pod_web.js`, `pod_web_bg.wasm`).
	pub pkg: PathBuf,
	/// What the page shows (`GET /config`).
	pub config: serde_json::Value,
	/// The customer whose contents the grants cover.
	pub customer: [u8; 32],
	/// The customer's grant key, as registered on chain.
	pub grant_key: Keypair,
	/// The reporter that honours the grants.
	pub reporter: PublicKey,
	/// The chain's genesis.
	pub genesis: [u8; 32],
	/// The contents a grant covers.
	pub contents: Vec<ContentId>,
	/// Each grant's budget in bytes.
	pub budget: u64,
	/// A directory holding `fullchain.pem` and `leaf.key` (see
	/// [`crate::local::test_ca`]): serve HTTPS with them.
	pub tls: Option<PathBuf>,
}

/// A running publisher server.
pub struct Publisher {
	/// Its base URL.
	pub url: String,
	posted: Arc<Posted>,
	_stop: tokio::sync::oneshot::Sender<()>,
}

/// What the page posted back.
#[derive(Default)]
struct Posted {
	result: Mutex<Option<Bytes>>,
	outcome: Mutex<Option<serde_json::Value>>,
}

impl Publisher {
	/// Serves `site` on a loopback port.
	pub async fn start(site: Site) -> Publisher {
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
		let plane = match &site.tls {
			Some(dir) => {
				let (cert, key) = (dir.join("fullchain.pem"), dir.join("leaf.key"));
				pod_http::PublicPlane::configured(0, Some(&cert), Some(&key), &[])
					.expect("TLS files")
			}
			None => pod_http::PublicPlane::plain(0),
		};
		let url = format!("{}://{}", plane.scheme(), listener.local_addr().expect("bound"));
		let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
		let posted = Arc::new(Posted::default());
		let state = Arc::new((site, posted.clone()));
		tokio::spawn(pod_http::server::serve_limited(
			listener,
			plane,
			async {
				let _ = stopped.await;
			},
			move |_: SocketAddr, req| handle(state.clone(), req),
		));
		Publisher { url, posted, _stop: stop }
	}

	/// What the page posted to `/result`, once it has.
	pub fn result(&self) -> Option<Bytes> {
		self.posted.result.lock().expect("result lock").clone()
	}

	/// The page's outcome (`window.podDemo`), once it has posted it.
	pub fn outcome(&self) -> Option<serde_json::Value> {
		self.posted.outcome.lock().expect("outcome lock").clone()
	}
}

type State = Arc<(Site, Arc<Posted>)>;

async fn handle(state: State, req: Request<Incoming>) -> Resp {
	let (site, posted) = (&state.0, &state.1);
	let path = req.uri().path().to_string();
	let answer = match (req.method().clone(), path.as_str()) {
		(Method::GET, "/config") => Ok(pod_http::json(StatusCode::OK, &site.config)),
		(Method::POST, "/grant") => grant(site, req).await,
		(Method::POST, "/result") => pod_http::body(req, 1 << 30).await.map(|b| {
			*posted.result.lock().expect("result lock") = Some(b);
			pod_http::text(StatusCode::OK, "text/plain", "kept".into())
		}),
		(Method::POST, "/outcome") => outcome(req).await.map(|v| {
			*posted.outcome.lock().expect("outcome lock") = Some(v);
			pod_http::text(StatusCode::OK, "text/plain", "kept".into())
		}),
		(Method::GET, p) => static_file(site, p),
		_ => Err(Refusal::not_found(Code::NoRoute, format!("no route for {path}"))),
	};
	answer.unwrap_or_else(Refusal::into_response)
}

/// The page's outcome: a JSON object.
async fn outcome(req: Request<Incoming>) -> Result<serde_json::Value, Refusal> {
	let body = pod_http::body(req, 1 << 20).await?;
	match serde_json::from_slice(&body) {
		Ok(v @ serde_json::Value::Object(_)) => Ok(v),
		Ok(_) => Err(Refusal::bad_request(Code::BadRequest, "the outcome is not a JSON object")),
		Err(e) => {
			Err(Refusal::bad_request(Code::BadRequest, format!("the outcome is not JSON: {e}")))
		}
	}
}

/// A grant for the viewer key in the body (hex), as hex SCALE.
async fn grant(site: &Site, req: Request<Incoming>) -> Result<Resp, Refusal> {
	let body = pod_http::body(req, 256).await?;
	let viewer = pod_wire::hex::hex32("viewer", String::from_utf8_lossy(&body).trim())?;
	let terms = pod_client::grant::GrantTerms {
		customer: site.customer,
		reporter: site.reporter,
		viewer,
		contents: site.contents.clone(),
		budget: site.budget,
		valid_for: Duration::from_secs(600),
	};
	let g = pod_client::grant::mint(&site.grant_key, &site.genesis, terms)
		.map_err(|e| Refusal::bad_request(Code::BadRequest, e.to_string()))?;
	Ok(pod_http::text(StatusCode::OK, "text/plain", pod_wire::hex::encode_scale(&g)))
}

/// `/pkg/…` from the wasm-bindgen output, anything else from `web/`;
/// `/` is the demo page.
fn static_file(site: &Site, path: &str) -> Result<Resp, Refusal> {
	let path = if path == "/" { "/demo/index.html" } else { path };
	let (root, rel) = match path.strip_prefix("/pkg/") {
		Some(rel) => (&site.pkg, rel),
		None => (&site.web, path.trim_start_matches('/')),
	};
	let missing = || Refusal::not_found(Code::NoRoute, format!("no file {path}"));
	if rel.split('/').any(|part| part.is_empty() || part == ".." || part.starts_with('.')) {
		return Err(missing());
	}
	let file = root.join(rel);
	let bytes = std::fs::read(&file).map_err(|_| missing())?;
	Ok(pod_http::binary(StatusCode::OK, content_type(&file), bytes.into()))
}

fn content_type(file: &Path) -> &'static str {
	match file.extension().and_then(|e| e.to_str()) {
		Some("html") => "text/html; charset=utf-8",
		Some("js" | "mjs") => "text/javascript",
		Some("wasm") => "application/wasm",
		Some("css") => "text/css",
		Some("json") => "application/json",
		Some("png") => "image/png",
		Some("mp4") => "video/mp4",
		_ => "application/octet-stream",
	}
}
