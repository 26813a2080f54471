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

/// The page's bytes equal the origin's; the lying edge is caught in the
/// browser (no byte of it used, an accusation signed) and the download
/// completes from the honest edges; each honest edge holds the browser's
/// receipt for exactly what it served, and the reporter stored the
/// browser's own receipts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_verifies_receipts_and_survives_a_lying_edge() {
	let bytes = Arc::new(data(6 * CHUNK as usize + 77));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let id = m.id();
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let Running { reporter: rep, url, stop: _stop, server: _server, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1");
	let honest = [
		EdgeProc::start(&tmp.path().join("e0"), 0, &extra),
		EdgeProc::start(&tmp.path().join("e1"), 1, &extra),
	];
	let h = [("x-pod-origin", origin.url()), ("x-pod-content", hex::encode(id))];
	let contents = format!("{url}/contents");
	let r = http(hyper::Method::POST, &contents, &h, codec::Encode::encode(&m)).await;
	assert_eq!(r.status, 200, "{}", r.error());
	customer_only(&rep, id, m.size, &keys::keypair_from_seed(&[1; 32]), m.size);
	let corrupt = Arc::new(bytes.iter().map(|b| b ^ 0x5A).collect::<Vec<u8>>());
	let liar = LiarEdge::start(corrupt).await;
	heartbeat_as(&url, 5, &liar.url(), id).await;
	wait_for_edges(&url, 3).await;
	let publisher = Publisher::start(Site {
		web: repo().join("web"),
		pkg: pkg(),
		config: serde_json::json!({
			"title": "a test content", "content": hex::encode(id), "reporter": url, "edges": 3,
		}),
		customer: CUSTOMER,
		grant_key: keys::keypair_from_seed(&GRANT_KEY_SEED),
		reporter: reporter_public(),
		genesis: GENESIS,
		contents: vec![id],
		budget: 2 * m.size,
	})
	.await;
	let shot = tmp.path().join("demo.png");
	let page = format!("{}/demo/index.html", publisher.url);
	let outcome = tokio::task::spawn_blocking(move || drive(&page, &shot)).await.unwrap();
	assert_eq!(outcome["ok"], true, "{outcome:#}");
	assert_eq!(
		publisher.result().as_deref(),
		Some(&bytes[..]),
		"the page's bytes are the origin's"
	);
	let edges = outcome["edges"].as_array().unwrap();
	let by_key = |k: [u8; 32]| edges.iter().find(|e| e["key"] == hex::encode(k)).unwrap();
	let caught = by_key(edge_public(5));
	assert!(caught["lying"].is_u64() && caught["bytes"] == 0, "{caught}");
	let mut served = 0;
	for (i, e) in honest.iter().enumerate() {
		let record = by_key(edge_public(i as u8));
		assert_eq!(record["dead"], false, "{record}");
		let seen = record["bytes"].as_u64().unwrap();
		served += seen;
		assert_eq!(acked(e).await, seen, "edge {i} holds the browser's receipt for what it served");
	}
	assert_eq!(served, m.size);
	// The reporter stored a receipt per honest edge and took the accusation.
	assert_eq!(outcome["reported"]["stored"], 2, "{outcome:#}");
	assert_eq!(outcome["reported"]["refused"], serde_json::json!([]), "{outcome:#}");
	if let Some(dir) = std::env::var_os("POD_SCREENSHOTS") {
		std::fs::copy(tmp.path().join("demo.png"), PathBuf::from(dir).join("browser-demo.png"))
			.unwrap();
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
