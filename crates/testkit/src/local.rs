//! Single-role fixtures for the integration tests (`tests/`): a
//! Range-capable origin, real `pod-edge` processes stopped on drop, keys,
//! tickets, receipts and a small HTTP client. Loopback only.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pod_primitives::{keys, Manifest, PublicKey, Receipt, SignedReceipt, SignedTicket, Ticket};
use pod_wire::headers::{
	value as header_value, RECEIPT as RECEIPT_HEADER, TICKET as TICKET_HEADER,
};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The genesis hash the fixtures sign for.
pub const GENESIS: [u8; 32] = [7; 32];
/// The fixtures' reporter key seed.
pub const REPORTER_SEED: [u8; 32] = [1; 32];
/// The fixtures' client session key seed.
pub const CLIENT_SEED: [u8; 32] = [3; 32];
/// Chunk size of the fixtures' contents.
pub const CHUNK: u32 = 1 << 20;

/// The key seed of edge `i`.
pub fn edge_seed(i: u8) -> [u8; 32] {
	[10 + i; 32]
}
/// The public key of edge `i`.
pub fn edge_public(i: u8) -> PublicKey {
	keys::keypair_from_seed(&edge_seed(i)).public.to_bytes()
}
/// The fixtures' reporter public key.
pub fn reporter_public() -> PublicKey {
	keys::keypair_from_seed(&REPORTER_SEED).public.to_bytes()
}

/// Deterministic test content.
pub fn data(len: usize) -> Vec<u8> {
	let mut out = Vec::with_capacity(len);
	let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
	while out.len() < len {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out.extend_from_slice(&x.to_le_bytes());
	}
	out.truncate(len);
	out
}

pub use pod_wire::clock::now_ms;

/// The path of one of the workspace's binaries, built beside the running
/// executable (a test in `target/<profile>/deps/`, or a binary in
/// `target/<profile>/`).
pub fn binary(name: &str) -> PathBuf {
	let exe = std::env::current_exe().expect("the process knows its own path");
	let mut dir = exe.parent().expect("an executable is in a directory");
	if dir.ends_with("deps") {
		dir = dir.parent().expect("deps is in the profile directory");
	}
	let path = dir.join(name);
	assert!(
		path.exists(),
		"{} is missing: build the workspace first (`cargo test --workspace` does)",
		path.display()
	);
	path
}

/// A ticket from the fixtures' reporter for `edge` and `content`, expiring `expires_in_ms` from now (negative: expired); `salt` varies the id.
pub fn ticket_for(
	edge: PublicKey,
	content: [u8; 32],
	max_bytes: u64,
	expires_in_ms: i64,
	salt: u8,
) -> SignedTicket {
	let expires_at = (now_ms() as i64 + expires_in_ms) as u64;
	let ticket_id = Ticket::id(expires_at, [salt; 8]);
	let t = Ticket {
		ticket_id,
		reporter: reporter_public(),
		edge,
		client: keys::keypair_from_seed(&CLIENT_SEED).public.to_bytes(),
		content,
		max_bytes,
		window: 3,
		expires_at,
		grant: None,
	};
	keys::sign_ticket(&keys::keypair_from_seed(&REPORTER_SEED), &GENESIS, t)
}

/// The client's receipt for `bytes_total` under `t`.
pub fn receipt_for(t: &SignedTicket, bytes_total: u64) -> SignedReceipt {
	keys::sign_receipt(
		&keys::keypair_from_seed(&CLIENT_SEED),
		&GENESIS,
		Receipt { ticket_id: t.ticket.ticket_id, bytes_total, chunks_verified: 0 },
	)
}

/// An origin serving `data` with byte ranges; counts requests per range start.
pub struct Origin {
	/// Where it listens.
	pub addr: SocketAddr,
	/// Requests served so far.
	pub requests: Arc<AtomicU64>,
	task: tokio::task::JoinHandle<()>,
	https: bool,
}

/// Serves byte ranges of `data` on one connection.
async fn serve_object<S>(s: S, data: Arc<Vec<u8>>, reqs: Arc<AtomicU64>)
where
	S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
	let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
		reqs.fetch_add(1, Ordering::SeqCst);
		let resp = range_of(&data, &req);
		async move { Ok::<_, std::convert::Infallible>(resp) }
	});
	let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(s), svc).await;
}

/// The answer to a request: the whole object (200), its `Range` (206), or
/// 416, as a static file server would (a `<video>` asks `bytes=0-`).
fn range_of(data: &[u8], req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
	use pod_wire::range::{parse, RangeSpec};
	let len = data.len() as u64;
	let b = Response::builder().header("accept-ranges", "bytes");
	let (b, from, to) = match parse(req.headers().get("range").and_then(|v| v.to_str().ok()), len) {
		RangeSpec::Full => (b.status(200), 0, data.len()),
		RangeSpec::Partial { start, end } => {
			let b = b.status(206).header("content-range", format!("bytes {start}-{end}/{len}"));
			(b, start as usize, end as usize + 1)
		}
		RangeSpec::Unsatisfiable => {
			let b = b.status(416).header("content-range", format!("bytes */{len}"));
			(b, 0, 0)
		}
	};
	b.body(Full::new(Bytes::copy_from_slice(&data[from..to]))).unwrap()
}

/// A certificate authority made for one test, and a server certificate it
/// signed for 127.0.0.1 (with `openssl`): the CA's PEM path, and the
/// server's TLS configuration.
pub fn test_ca(dir: &Path) -> (PathBuf, rustls::ServerConfig) {
	use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
	std::fs::create_dir_all(dir).unwrap();
	let run = |args: &[&str]| {
		let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
		assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
	};
	let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
	let ca = ["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=pod test CA", "-days", "1"];
	run(&[&["req", "-x509"][..], &ec, &ca].concat());
	let leaf = ["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"];
	run(&[&["req"][..], &ec, &leaf].concat());
	std::fs::write(
		dir.join("leaf.ext"),
		"subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
	)
	.unwrap();
	run(&[
		"x509",
		"-req",
		"-in",
		"leaf.csr",
		"-CA",
		"ca.pem",
		"-CAkey",
		"ca.key",
		"-CAcreateserial",
		"-out",
		"leaf.pem",
		"-days",
		"1",
		"-extfile",
		"leaf.ext",
	]);
	// What a server sends: its certificate, then the CA's.
	let chain =
		[std::fs::read(dir.join("leaf.pem")).unwrap(), std::fs::read(dir.join("ca.pem")).unwrap()];
	std::fs::write(dir.join("fullchain.pem"), chain.concat()).unwrap();
	let certs: Vec<CertificateDer<'static>> =
		CertificateDer::pem_file_iter(dir.join("leaf.pem")).unwrap().map(Result::unwrap).collect();
	let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
	let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
	let tls = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.unwrap()
		.with_no_client_auth()
		.with_single_cert(certs, key)
		.unwrap();
	(dir.join("ca.pem"), tls)
}

/// A control-plane client that trusts the PEM CA at `ca` (made by
/// [`test_ca`]) besides the system's roots.
pub fn client_trusting(ca: &Path) -> pod_http::HttpClient {
	use rustls::pki_types::{pem::PemObject, CertificateDer};
	let roots = CertificateDer::pem_file_iter(ca).unwrap().map(Result::unwrap).collect();
	let connector =
		pod_http::client::connector(pod_http::client_tls(roots), Duration::from_secs(3));
	Client::builder(TokioExecutor::new()).build(connector)
}

/// The PEM certificate chain and key files [`test_ca`] wrote in `dir`, as
/// an edge's or a reporter's `tls_cert` and `tls_key` settings.
pub fn tls_settings(dir: &Path) -> String {
	format!(
		"tls_cert = \"{}\"\ntls_key = \"{}\"\n",
		dir.join("fullchain.pem").display(),
		dir.join("leaf.key").display()
	)
}

impl Origin {
	/// Starts an origin serving `data` over plain HTTP.
	pub async fn start(data: Arc<Vec<u8>>) -> Origin {
		Self::start_with(data, None).await
	}

	/// Starts an origin serving `data` over HTTPS with `tls`.
	pub async fn start_tls(data: Arc<Vec<u8>>, tls: rustls::ServerConfig) -> Origin {
		Self::start_with(data, Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls)))).await
	}

	async fn start_with(data: Arc<Vec<u8>>, tls: Option<tokio_rustls::TlsAcceptor>) -> Origin {
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		let requests = Arc::new(AtomicU64::new(0));
		let (reqs, https) = (requests.clone(), tls.is_some());
		let task = tokio::spawn(async move {
			loop {
				let Ok((s, _)) = listener.accept().await else { return };
				let (data, reqs, tls) = (data.clone(), reqs.clone(), tls.clone());
				tokio::spawn(async move {
					match tls {
						None => serve_object(s, data, reqs).await,
						Some(acceptor) => {
							if let Ok(s) = acceptor.accept(s).await {
								serve_object(s, data, reqs).await;
							}
						}
					}
				});
			}
		});
		Origin { addr, requests, task, https }
	}

	/// The object's URL.
	pub fn url(&self) -> String {
		let scheme = if self.https { "https" } else { "http" };
		format!("{scheme}://{}/object", self.addr)
	}

	/// Stops serving.
	pub fn stop(&self) {
		self.task.abort();
	}
}

/// A `pod-edge run` process.
pub struct EdgeProc {
	/// The process.
	pub child: Child,
	/// Its data plane.
	pub addr: SocketAddr,
	/// Its admin plane (`/hold`, `/metrics`).
	pub admin: SocketAddr,
	/// `…/p2p/<peer id>` when the peer layer is on.
	pub p2p: Option<String>,
	/// Its directory.
	pub dir: PathBuf,
	/// Its index (key seed).
	pub index: u8,
	/// Whether its data plane serves HTTPS (`tls_cert` in its config).
	pub https: bool,
}

impl EdgeProc {
	/// Starts edge `index` in `dir` with extra TOML configuration.
	pub fn start(dir: &Path, index: u8, extra_toml: &str) -> EdgeProc {
		std::fs::create_dir_all(dir).unwrap();
		let cfg = dir.join("edge.toml");
		std::fs::write(
			&cfg,
			format!(
				"listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nkey_seed = \"{}\"\ngenesis = \"{}\"\nreporters = [\"{}\"]\nmin_free = 0\nallow_private_origins = true\n{extra_toml}\n",
				dir.join("data").display(),
				hex::encode(edge_seed(index)),
				hex::encode(GENESIS),
				hex::encode(reporter_public()),
			),
		)
		.unwrap();
		let mut child = Command::new(binary("pod-edge"))
			.args(["run", "--config"])
			.arg(&cfg)
			.env("RUST_LOG", "warn")
			.stdout(Stdio::piped())
			.stderr(Stdio::inherit())
			.spawn()
			.expect("pod-edge starts");
		let mut out = BufReader::new(child.stdout.take().unwrap());
		let (mut p2p, mut admin) = (None, None);
		let addr = loop {
			let mut line = String::new();
			assert!(out.read_line(&mut line).unwrap() > 0, "pod-edge exited before listening");
			if let Some(a) = line.trim().strip_prefix("p2p ") {
				p2p = Some(a.to_string());
			} else if let Some(a) = line.trim().strip_prefix("admin on ") {
				admin = Some(a.parse().unwrap());
			} else if let Some(a) = line.trim().strip_prefix("listening on ") {
				break a.parse().unwrap();
			}
		};
		let admin = admin.expect("pod-edge prints its admin address first");
		let https = extra_toml.contains("tls_cert");
		EdgeProc { child, addr, admin, p2p, dir: dir.to_path_buf(), index, https }
	}

	/// Its data plane's base URL.
	pub fn url(&self) -> String {
		format!("{}://{}", if self.https { "https" } else { "http" }, self.addr)
	}

	/// The admin token its state-changing admin routes need.
	pub fn admin_token(&self) -> String {
		std::fs::read_to_string(self.dir.join("data").join("admin.token")).expect("admin.token")
	}

	/// `Authorization` with its admin token.
	pub fn admin_auth(&self) -> (&'static str, String) {
		("authorization", format!("Bearer {}", self.admin_token()))
	}

	/// Its admin plane's base URL.
	pub fn admin_url(&self) -> String {
		format!("http://{}", self.admin)
	}

	/// SIGKILL: no chance to flush anything.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// SIGTERM and wait: a graceful stop.
	pub fn stop(&mut self) {
		let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
		let deadline = std::time::Instant::now() + Duration::from_secs(10);
		while std::time::Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(20));
		}
		self.kill();
	}
}

impl Drop for EdgeProc {
	fn drop(&mut self) {
		self.kill();
	}
}

/// An HTTP answer.
pub struct Reply {
	/// The status.
	pub status: StatusCode,
	/// The headers.
	pub headers: HeaderMap,
	/// The body.
	pub body: Bytes,
}

impl Reply {
	/// The body as JSON (panics if it is not).
	pub fn json(&self) -> serde_json::Value {
		serde_json::from_slice(&self.body)
			.unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.body)))
	}
	/// The refusal code of an error body.
	pub fn error(&self) -> String {
		self.json()["error"].as_str().unwrap().to_string()
	}
}

/// One HTTP request.
pub async fn http(method: Method, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Reply {
	http_from(None, method, url, headers, body).await
}

/// One HTTP request from local address `from` (e.g. another loopback
/// address, to stand for another client host).
pub async fn http_from(
	from: Option<std::net::IpAddr>,
	method: Method,
	url: &str,
	headers: &[(&str, String)],
	body: Vec<u8>,
) -> Reply {
	let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
	connector.set_local_address(from);
	let connector = pod_http::client::with_tls(connector, pod_http::client_tls(vec![]));
	let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
	let mut req = Request::builder().method(method).uri(url);
	for (k, v) in headers {
		req = req.header(*k, v);
	}
	let resp = client.request(req.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
	let status = resp.status();
	let headers = resp.headers().clone();
	let body = resp.into_body().collect().await.unwrap().to_bytes();
	Reply { status, headers, body }
}

/// Tells `edge` (loopback admin) to hold `m` filled from `origin`.
pub async fn hold(edge: &EdgeProc, m: &Manifest, origin: &str) {
	let r = http(
		Method::POST,
		&format!("{}/hold/{}", edge.admin_url(), hex::encode(m.id())),
		&[("x-pod-origin", origin.to_string()), edge.admin_auth()],
		codec::Encode::encode(m),
	)
	.await;
	assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
}

/// `GET /c/{content}/{index}` with an optional ticket, receipt and range.
pub async fn get_chunk(
	edge: &EdgeProc,
	m: &Manifest,
	index: u32,
	t: Option<&SignedTicket>,
	r: Option<&SignedReceipt>,
	range: Option<&str>,
) -> Reply {
	get_chunk_from(None, edge, m, index, (t, r), range).await
}

/// [`get_chunk`] from local address `from`.
pub async fn get_chunk_from(
	from: Option<std::net::IpAddr>,
	edge: &EdgeProc,
	m: &Manifest,
	index: u32,
	(t, r): (Option<&SignedTicket>, Option<&SignedReceipt>),
	range: Option<&str>,
) -> Reply {
	let mut h = Vec::new();
	if let Some(t) = t {
		h.push((TICKET_HEADER, header_value(t)));
	}
	if let Some(r) = r {
		h.push((RECEIPT_HEADER, header_value(r)));
	}
	if let Some(range) = range {
		h.push(("range", range.to_string()));
	}
	let url = format!("{}/c/{}/{}", edge.url(), hex::encode(m.id()), index);
	http_from(from, Method::GET, &url, &h, vec![]).await
}

/// An edge's `/status`.
pub async fn status(edge: &EdgeProc) -> serde_json::Value {
	http(Method::GET, &format!("{}/status", edge.url()), &[], vec![]).await.json()
}

/// Edge 0 holding a content of `len` bytes (1 MiB chunks) filled from an
/// origin, and a ticket for all of it.
pub struct HeldContent {
	/// The content.
	pub bytes: Arc<Vec<u8>>,
	/// Its manifest.
	pub m: Manifest,
	/// The edge holding it.
	pub edge: EdgeProc,
	/// A ticket for all of it from the fixtures' reporter.
	pub ticket: SignedTicket,
	_origin: Origin,
	_tmp: tempfile::TempDir,
}

impl HeldContent {
	/// The origin, the edge, the hold and the ticket.
	pub async fn start(len: usize) -> HeldContent {
		let bytes = Arc::new(data(len));
		let m = Manifest::of_bytes(&bytes, CHUNK);
		let origin = Origin::start(bytes.clone()).await;
		let tmp = tempfile::tempdir().unwrap();
		let edge = EdgeProc::start(&tmp.path().join("e"), 0, "");
		hold(&edge, &m, &origin.url()).await;
		let ticket = ticket_for(edge_public(0), m.id(), m.size, 600_000, 1);
		HeldContent { bytes, m, edge, ticket, _origin: origin, _tmp: tmp }
	}
}

/// A server that answers every chunk request with the wrong bytes (and
/// every slice request with a well-formed verified slice of them).
pub struct LiarEdge {
	addr: std::net::SocketAddr,
}

impl LiarEdge {
	/// Serves chunk `i` as `corrupt[i·CHUNK..(i+1)·CHUNK]`, whatever the
	/// ticket, to browsers too (CORS from any origin).
	pub async fn start(corrupt: Arc<Vec<u8>>) -> LiarEdge {
		Self::start_with(corrupt.clone(), corrupt).await
	}

	/// An edge that serves whole chunks from `whole` and verified slices cut
	/// from `sliced` (e.g. right chunks, wrong slices).
	pub async fn start_with(whole: Arc<Vec<u8>>, sliced: Arc<Vec<u8>>) -> LiarEdge {
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		let plane = pod_http::PublicPlane {
			cors: pod_http::public::cors_layer(&["*".into()]).unwrap(),
			..pod_http::PublicPlane::plain(0)
		};
		let answer = move |_, req: hyper::Request<hyper::body::Incoming>| {
			let (whole, sliced) = (whole.clone(), sliced.clone());
			async move {
				let path = req.uri().path();
				let idx: usize = path.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
				let chunk = |all: &[u8]| {
					let c = CHUNK as usize;
					all[(idx * c).min(all.len())..((idx + 1) * c).min(all.len())].to_vec()
				};
				if req.headers().contains_key(pod_wire::headers::PROOF) {
					return well_formed_slice_of(&chunk(&sliced), req.headers());
				}
				let body = Bytes::from(chunk(&whole));
				pod_http::binary(StatusCode::OK, "application/octet-stream", body)
			}
		};
		tokio::spawn(pod_http::server::serve_limited(
			listener,
			plane,
			std::future::pending(),
			answer,
		));
		LiarEdge { addr }
	}

	/// Its base URL.
	pub fn url(&self) -> String {
		format!("http://{}", self.addr)
	}
}

/// A verified slice of the wrong bytes, well formed in every other way.
fn well_formed_slice_of(chunk: &[u8], h: &hyper::HeaderMap) -> pod_http::Resp {
	use pod_wire::range::{parse, RangeSpec};
	let len = chunk.len() as u64;
	let range = h.get("range").and_then(|v| v.to_str().ok());
	let (start, end) = match parse(range, len) {
		RangeSpec::Partial { start, end } => (start, end + 1),
		_ => (0, len),
	};
	let (start, end) = pod_wire::slice::aligned(start, end, len).expect("a slice");
	let proof = pod_wire::slice::ChunkProof::of(chunk);
	let body = proof.encode(chunk, start, end).expect("aligned");
	let mut r =
		pod_http::binary(StatusCode::PARTIAL_CONTENT, "application/x-pod-slice", body.into());
	let range = format!("bytes {start}-{}/{len}", end - 1);
	r.headers_mut().insert("content-range", range.parse().expect("a header value"));
	r
}

/// A bare libp2p peer (seed `seed`) presenting `credential` on its chunk
/// requests, bootstrapped to `boot`, holding nothing and taking no orders.
pub fn bare_peer(
	seed: u8,
	boot: &str,
	credential: pod_primitives::PeerCredential,
) -> Result<pod_edge::p2p::Peers, String> {
	use pod_edge::p2p::{LocalChunks, PeerConfig, Peers};
	let cfg = PeerConfig {
		seed: [seed; 32],
		listen: "/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr"),
		bootstrap: vec![boot.parse().map_err(|e| format!("bootstrap {boot}: {e}"))?],
		mdns: false,
		credential,
	};
	let nothing: LocalChunks = Arc::new(|_, _| futures::FutureExt::boxed(async { None }));
	Peers::start(cfg, nothing, Arc::new(|_| false)).map_err(|e| e.to_string())
}
