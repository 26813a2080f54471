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

use pod_primitives::Manifest;
use pod_testkit::inproc::heartbeat_as;
use pod_testkit::publisher::Publisher;
use pod_testkit::web::{drive_with, repo, run_plain, trust_flag, Network, RENDERER_BUDGET_MIB};
use pod_testkit::*;
use std::path::PathBuf;
use std::sync::Arc;

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
	let net = Network::start(tmp.path(), bytes.clone(), &m, 2, "").await;
	let _liar = liar_beside(&net, &bytes, &m).await;
	let publisher = net.publisher(&m, None, 3).await;
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

/// A large content is streamed into a file (the origin private file
/// system), never held whole: the renderer of a browser with no debugger
/// attached stays within the e2e's budget (the demo once crashed holding
/// 256 MiB several times over), and the file is the origin's bytes, each
/// edge holding receipts for exactly what it served. POD_BROWSER_MIB sets
/// the size (default 96: a page holding it whole would exceed the budget).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_download_streams_to_a_file_within_the_renderers_budget() {
	let mib: usize =
		std::env::var("POD_BROWSER_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(96);
	let bytes = Arc::new(data(mib * CHUNK as usize + 4321));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().unwrap();
	let net = Network::start(tmp.path(), bytes.clone(), &m, 3, "").await;
	let config = serde_json::json!({ "report": true });
	let publisher = net.publisher_of(&m, config, 3, None).await;
	let url = format!("{}/demo/index.html", publisher.url);
	let log = tmp.path().join("chromium.log");
	let run = run_plain(&url, &publisher, &log, std::time::Duration::from_secs(600)).await.unwrap();
	let peak = run.renderer_peak_kib.expect("a renderer measured") >> 10;
	println!("{mib} MiB downloaded; the renderer's peak resident memory {peak} MiB");
	assert_eq!(run.outcome["ok"], true, "{:#}", run.outcome);
	assert_eq!(run.outcome["streamed"], true, "{:#}", run.outcome);
	assert!(publisher.result().as_deref() == Some(&bytes[..]), "the file's bytes are the origin's");
	assert!(peak <= RENDERER_BUDGET_MIB, "the renderer peaked at {peak} MiB");
	assert_eq!(net.check_receipts(run.outcome["edges"].as_array().unwrap()).await, m.size);
}

/// A read of a small part of a chunk is a verified slice: the page asks an
/// edge for the part's 16 KiB groups with their hashes, not the chunk; a
/// later read over the rest of that chunk takes only the groups not held;
/// an edge sending a well-formed slice of the wrong bytes (or wrong whole
/// chunks) is caught by the manifest's hash and the reads complete from
/// the other. The honest edge holds receipts for exactly the groups and
/// chunks it served, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_is_a_verified_slice_and_a_lying_slice_is_caught() {
	let bytes = Arc::new(data(4 * CHUNK as usize + 9));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().unwrap();
	let net = Network::start(tmp.path(), bytes.clone(), &m, 1, "").await;
	let _liar = liar_beside(&net, &bytes, &m).await;
	// A seek into the middle of chunk 1 (one group); then the tail of chunk
	// 0, chunks 1 and 2, the head of chunk 3: slices, the rest of chunk 1 as
	// its two runs of missing groups, whole chunk 2.
	let (c, seek) = (CHUNK as usize, CHUNK as usize + 300_000);
	let (start, end) = (c - 100_000, 3 * c + 50_000);
	let ranges = [(seek, seek + 10_000), (start, end)];
	let config = serde_json::json!({
		"ranges": ranges.iter().map(|(s, e)| serde_json::json!({ "start": s, "end": e })).collect::<Vec<_>>(),
	});
	let publisher = net.publisher_of(&m, config, 2, None).await;
	let outcome = run_page(&publisher, "demo/index.html", &tmp.path().join("seek.png")).await;
	let want: Vec<u8> = ranges.iter().flat_map(|&(s, e)| bytes[s..e].to_vec()).collect();
	assert_eq!(publisher.result().as_deref(), Some(&want[..]), "the ranges' bytes");
	let edges = outcome["edges"].as_array().unwrap();
	let caught = edges.iter().find(|e| e["key"] == hex::encode(edge_public(5))).unwrap();
	assert!(caught["lying"].is_u64() && caught["bytes"] == 0, "{caught}");
	let group = pod_wire::slice::GROUP as usize;
	let tail = c - (c - 100_000) / group * group;
	let head = 50_000usize.div_ceil(group) * group;
	let served = net.check_receipts(edges).await;
	assert_eq!(served, (tail + 2 * c + head) as u64, "nothing paid twice: {outcome:#}");
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
	let net = Network::start(tmp.path(), bytes.clone(), &m, 2, "").await;
	let publisher = net.publisher(&m, Some("image/png"), 2).await;
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
	// Asked for as HTML on the publisher's origin, the content is served
	// as inert bytes: no type a browser runs, nosniff, a sandbox CSP.
	let active = &outcome["active"];
	assert_eq!(active["type"], "application/octet-stream", "{outcome:#}");
	assert_eq!(active["nosniff"], "nosniff");
	assert!(active["csp"].as_str().is_some_and(|c| c.starts_with("sandbox")), "{outcome:#}");
	keep_screenshot(&shot, "browser-service-worker.png");
}

/// A plain `<video src="/pod/…">` plays: the service worker streams it from
/// the edges (the first 256 KiB as verified groups, the rest as the
/// player reads), its first frame timed against the same file straight
/// from the origin. Each edge holds receipts for exactly what the page
/// verified from it, and no byte of the play was paid twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_plays_through_the_service_worker() {
	let bytes = Arc::new(std::fs::read(repo().join("web/demo/media/demo.webm")).unwrap());
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().unwrap();
	let net = Network::start(tmp.path(), bytes.clone(), &m, 2, "").await;
	let config = serde_json::json!({ "type": "video/webm", "origin": net.origin.url() });
	let publisher = net.publisher_of(&m, config, 2, None).await;
	let shot = tmp.path().join("video.png");
	let outcome = run_page(&publisher, "demo/video.html?runs=1", &shot).await;
	assert_eq!((outcome["width"].as_u64(), outcome["height"].as_u64()), (Some(640), Some(360)));
	assert!(outcome["time"].as_f64().unwrap() > 0.3, "it played: {outcome:#}");
	// Milliseconds (JSON may write a whole number without a point).
	let timed = |k: &str| outcome[k][0].as_f64().is_some_and(|ms| ms > 0.0);
	assert!(timed("worker") && timed("origin"), "{outcome:#}");
	net.check_receipts(outcome["edges"].as_array().unwrap()).await;
	let played = outcome["playedBytes"].as_u64().unwrap();
	assert!(played > 0 && played <= m.size, "{played} of {} bytes paid for the play", m.size);
	keep_screenshot(&shot, "browser-video.png");
}

/// An HTTPS page (the publisher's) downloads from HTTPS edges scheduled by
/// an HTTPS reporter (an HTTPS page may call nothing else): the test's own
/// CA, trusted by the browser and — through `SSL_CERT_FILE` — by the edges
/// and the reporter when they call each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_page_downloads_from_https_edges() {
	let tmp = tempfile::tempdir().unwrap();
	let pki = tmp.path().join("pki");
	let (ca, _) = test_ca(&pki);
	std::env::set_var("SSL_CERT_FILE", &ca);
	let bytes = Arc::new(data(3 * CHUNK as usize + 5));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let net = Network::start_with(tmp.path(), bytes.clone(), &m, 2, "", Some(&pki)).await;
	assert!(net.reporter.url.starts_with("https://"));
	let publisher = net.publisher_with(&m, None, 2, Some(&pki)).await;
	assert!(publisher.url.starts_with("https://"));
	let shot = tmp.path().join("https.png");
	let outcome = run_page_with(&publisher, "demo/index.html", &shot, vec![trust_flag(&ca)]).await;
	assert_eq!(
		publisher.result().as_deref(),
		Some(&bytes[..]),
		"the page's bytes are the origin's"
	);
	let edges = outcome["edges"].as_array().unwrap();
	assert!(edges.iter().all(|e| e["url"].as_str().unwrap().starts_with("https://")), "{edges:?}");
	assert_eq!(net.check_receipts(edges).await, m.size);
}

/// An edge (key 5) serving every byte of `m` flipped, known to `net`'s
/// reporter as holding it.
async fn liar_beside(net: &Network, bytes: &[u8], m: &Manifest) -> LiarEdge {
	let corrupt = Arc::new(bytes.iter().map(|b| b ^ 0x5A).collect::<Vec<u8>>());
	let liar = LiarEdge::start(corrupt).await;
	heartbeat_as(&net.reporter.url, 5, &liar.url(), m.id()).await;
	liar
}

/// Opens `page` of `publisher` in Chromium; its outcome, which must be ok.
async fn run_page(publisher: &Publisher, page: &str, shot: &std::path::Path) -> serde_json::Value {
	run_page_with(publisher, page, shot, vec![]).await
}

/// [`run_page`] with more Chromium flags.
async fn run_page_with(
	publisher: &Publisher,
	page: &str,
	shot: &std::path::Path,
	flags: Vec<String>,
) -> serde_json::Value {
	let (url, shot) = (format!("{}/{page}", publisher.url), shot.to_path_buf());
	let outcome =
		tokio::task::spawn_blocking(move || drive_with(&url, &shot, &flags)).await.unwrap();
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
