//! A real browser as the viewer (issue #13): Debian's Chromium, driven by
//! playwright-core (`web/test/drive.mjs`), opens the publisher's demo page,
//! which gets a grant from the publisher's backend and downloads a content
//! through the reporter's schedule — two honest edges and one that serves
//! wrong bytes — verifying every chunk and signing every receipt in
//! WebAssembly (pod-web).
//!
//! Needs what the test command sets up first: Chromium
//! (`/usr/bin/chromium`, or `CHROMIUM`), `web/test/node_modules`
//! (`npm ci` there), and pod-web built for the browser (`pod_web_pkg` in
//! `scripts/lib.sh`, into `POD_WEB_PKG`).

use pod_primitives::{keys, Manifest};
use pod_testkit::inproc::{customer_only, heartbeat_as, start, Running, CUSTOMER, GRANT_KEY_SEED};
use pod_testkit::publisher::{Publisher, Site};
use pod_testkit::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn repo() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// pod-web's wasm-bindgen output, which must exist.
fn pkg() -> PathBuf {
	let dir = std::env::var_os("POD_WEB_PKG").map(PathBuf::from).unwrap_or_else(|| {
		let home = std::env::var_os("HOME").expect("HOME");
		PathBuf::from(home).join(".cache/pod-cdn/wasm-target/pkg")
	});
	assert!(
		dir.join("pod_web_bg.wasm").is_file(),
		"no pod-web build in {}: run `. scripts/lib.sh && pod_web_pkg` (the test command does)",
		dir.display()
	);
	dir
}

/// Runs the page at `url` in Chromium; its outcome.
fn drive(url: &str, screenshot: &std::path::Path) -> serde_json::Value {
	let driver = repo().join("web/test/drive.mjs");
	assert!(
		repo().join("web/test/node_modules/playwright-core").is_dir(),
		"run `npm ci` in web/test (the test command does)"
	);
	let out = std::process::Command::new("node")
		.arg(driver)
		.arg(url)
		.arg(screenshot)
		.output()
		.expect("node runs");
	let stdout = String::from_utf8_lossy(&out.stdout);
	let line = stdout.lines().last().unwrap_or_default();
	serde_json::from_str(line).unwrap_or_else(|e| {
		panic!("driver said {e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
	})
}

/// A reporter (no chain), two honest edges heartbeating to it, and the
/// test customer's content `m` (from an origin serving `bytes`) registered
/// there, for grants only.
struct Network {
	reporter: Running,
	edges: [EdgeProc; 2],
	_origin: Origin,
}

impl Network {
	async fn start(dir: &std::path::Path, bytes: Arc<Vec<u8>>, m: &Manifest) -> Network {
		let origin = Origin::start(bytes).await;
		let reporter = start(&dir.join("reporter"), 3).await;
		let url = &reporter.url;
		let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1");
		let edges = [
			EdgeProc::start(&dir.join("e0"), 0, &extra),
			EdgeProc::start(&dir.join("e1"), 1, &extra),
		];
		let h = [("x-pod-origin", origin.url()), ("x-pod-content", hex::encode(m.id()))];
		let contents = format!("{url}/contents");
		let r = http(hyper::Method::POST, &contents, &h, codec::Encode::encode(m)).await;
		assert_eq!(r.status, 200, "{}", r.error());
		customer_only(
			&reporter.reporter,
			m.id(),
			m.size,
			&keys::keypair_from_seed(&[1; 32]),
			m.size,
		);
		Network { reporter, edges, _origin: origin }
	}

	/// The publisher's site for content `m`, of media type `media`.
	async fn publisher(&self, m: &Manifest, media: Option<&str>) -> Publisher {
		wait_for_edges(&self.reporter.url, self.edges.len()).await;
		Publisher::start(Site {
			web: repo().join("web"),
			pkg: pkg(),
			config: serde_json::json!({
				"title": "a test content", "content": hex::encode(m.id()),
				"reporter": self.reporter.url, "edges": 3, "type": media,
			}),
			customer: CUSTOMER,
			grant_key: keys::keypair_from_seed(&GRANT_KEY_SEED),
			reporter: reporter_public(),
			genesis: GENESIS,
			contents: vec![m.id()],
			budget: 2 * m.size,
		})
		.await
	}

	/// Each honest edge holds the browser's receipts for exactly what the
	/// page says it delivered; their sum.
	async fn check_receipts(&self, edges: &[serde_json::Value]) -> u64 {
		let mut served = 0;
		for (i, e) in self.edges.iter().enumerate() {
			let key = hex::encode(edge_public(i as u8));
			let Some(record) = edges.iter().find(|r| r["key"] == key.as_str()) else { continue };
			assert_eq!(record["dead"], false, "{record}");
			let seen = record["bytes"].as_u64().unwrap();
			assert_eq!(
				acked(e).await,
				seen,
				"edge {i} holds the browser's receipt for what it served"
			);
			served += seen;
		}
		served
	}
}

/// The page's bytes equal the origin's; the lying edge is caught in the
/// browser (no byte of it used, an accusation signed) and the download
/// completes from the honest edges; each honest edge holds the browser's
/// receipt for exactly what it served, and the reporter stored the
/// browser's own receipts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_verifies_receipts_and_survives_a_lying_edge() {
	let bytes = Arc::new(data(6 * CHUNK as usize + 77));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().unwrap();
	let net = Network::start(tmp.path(), bytes.clone(), &m).await;
	let corrupt = Arc::new(bytes.iter().map(|b| b ^ 0x5A).collect::<Vec<u8>>());
	let liar = LiarEdge::start(corrupt).await;
	heartbeat_as(&net.reporter.url, 5, &liar.url(), m.id()).await;
	wait_for_edges(&net.reporter.url, 3).await;
	let publisher = net.publisher(&m, None).await;
	let shot = tmp.path().join("demo.png");
	let outcome = run_page(&publisher, "demo/index.html", &shot).await;
	assert_eq!(
		publisher.result().as_deref(),
		Some(&bytes[..]),
		"the page's bytes are the origin's"
	);
	let edges = outcome["edges"].as_array().unwrap();
	let caught = edges.iter().find(|e| e["key"] == hex::encode(edge_public(5))).unwrap();
	assert!(caught["lying"].is_u64() && caught["bytes"] == 0, "{caught}");
	assert_eq!(net.check_receipts(edges).await, m.size);
	// The reporter stored a receipt per honest edge and took the accusation.
	assert_eq!(outcome["reported"]["stored"], 2, "{outcome:#}");
	assert_eq!(outcome["reported"]["refused"], serde_json::json!([]), "{outcome:#}");
	keep_screenshot(&shot, "browser-demo.png");
}

/// A page with a plain `<img src="/pod/…">` and `fetch`es, nothing else:
/// the service worker answers them from verified chunks — the image
/// decodes, a Range request gets exactly its bytes (206, Content-Range),
/// the whole equals the origin's — each chunk downloaded once, every
/// delivered byte receipted and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_worker_answers_plain_tags_and_ranges() {
	let png = std::fs::read(repo().join("docs/browser-demo.png")).unwrap();
	let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
	let bytes = Arc::new(png);
	let m = Manifest::of_bytes(&bytes, 16 << 10);
	let tmp = tempfile::tempdir().unwrap();
	let net = Network::start(tmp.path(), bytes.clone(), &m).await;
	let publisher = net.publisher(&m, Some("image/png")).await;
	let shot = tmp.path().join("sw.png");
	let outcome = run_page(&publisher, "demo/sw.html", &shot).await;
	assert_eq!(outcome["width"], width, "{outcome:#}");
	assert_eq!(
		publisher.result().as_deref(),
		Some(&bytes[..]),
		"the page's bytes are the origin's"
	);
	let range = &outcome["range"];
	assert_eq!(range["status"], 206);
	assert_eq!(range["contentRange"], format!("bytes 100-299/{}", bytes.len()));
	assert_eq!(range["bytes"], serde_json::json!(bytes[100..300]));
	let edges = outcome["edges"].as_array().unwrap();
	assert_eq!(net.check_receipts(edges).await, m.size, "each chunk downloaded once");
	let delivering = edges.iter().filter(|e| e["bytes"].as_u64() > Some(0)).count();
	assert_eq!(outcome["reported"]["stored"], delivering, "{outcome:#}");
	keep_screenshot(&shot, "browser-service-worker.png");
}

/// Opens `page` of `publisher` in Chromium; its outcome, which must be ok.
async fn run_page(publisher: &Publisher, page: &str, shot: &std::path::Path) -> serde_json::Value {
	let (url, shot) = (format!("{}/{page}", publisher.url), shot.to_path_buf());
	let outcome = tokio::task::spawn_blocking(move || drive(&url, &shot)).await.unwrap();
	assert_eq!(outcome["ok"], true, "{outcome:#}");
	outcome
}

/// Copies a screenshot to `$POD_SCREENSHOTS/name` when that is set (how
/// the ones in `docs/` are made).
fn keep_screenshot(shot: &std::path::Path, name: &str) {
	if let Some(dir) = std::env::var_os("POD_SCREENSHOTS") {
		std::fs::copy(shot, PathBuf::from(dir).join(name)).unwrap();
	}
}

/// Bytes an edge holds receipts for, over every window.
async fn acked(e: &EdgeProc) -> u64 {
	let windows = status(e).await["windows"].as_array().cloned().unwrap_or_default();
	windows.iter().map(|w| w["acked_bytes"].as_u64().unwrap_or(0)).sum()
}

async fn wait_for_edges(reporter: &str, n: usize) {
	for _ in 0..100 {
		let s = http(hyper::Method::GET, &format!("{reporter}/status"), &[], vec![]).await.json();
		if s["edges"].as_array().is_some_and(|a| a.len() >= n) {
			return;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	panic!("the reporter never knew {n} edges");
}
