//! `pod-web-bench`: what Proof-of-Delivery costs a browser (issue #13), in
//! one run, side by side. Prints numbers; asserts only that the page worked
//! and got the origin's bytes (these machines are noisy: compare within a
//! run).
//!
//! ```text
//! pod-web-bench [--mib N]
//! ```
//!
//! A reporter, one edge (its credit covers the whole content, so a plain
//! `fetch` needs no receipts) and the publisher's site on loopback; Chromium
//! runs `web/bench/index.html`, which downloads the content from that edge
//! alternately with plain `fetch` (the ticket header only) and with
//! `podFetch` (every chunk verified, every receipt signed), three rounds
//! each, two requests in flight for both; then small seeks (4 KiB and
//! 64 KiB reads into chunks not read before) with whole chunks and with
//! verified slices; then times BLAKE3 verification and receipt signing in
//! WebAssembly. The same two operations are timed here natively, on the
//! same bytes. Last, the demo video's first frame through the service
//! worker vs straight from its origin (`web/demo/video.html`).

use clap::Parser;
use pod_primitives::{keys, Manifest, Receipt};
use pod_testkit::web::{drive, repo, Network};
use pod_testkit::*;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "pod-web-bench", about = "The browser's cost of Proof-of-Delivery")]
struct Args {
	/// Content size in MiB (1 MiB chunks).
	#[arg(long, default_value_t = 64)]
	mib: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let args = Args::parse();
	let bytes = Arc::new(data(args.mib << 20));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().expect("a temporary directory");
	let credit = format!("credit_bytes = {}", 2 * bytes.len());
	let net = Network::start(tmp.path(), bytes.clone(), &m, 1, &credit).await;
	let publisher = net.publisher(&m, None, 1).await;
	let (url, shot) = (format!("{}/bench/index.html", publisher.url), tmp.path().join("bench.png"));
	println!(
		"== {} MiB from one edge, in Chromium: plain fetch vs podFetch, 3 rounds each",
		args.mib
	);
	let outcome = tokio::task::spawn_blocking(move || drive(&url, &shot)).await.expect("driver");
	assert_eq!(outcome["ok"], true, "{outcome:#}");
	assert_eq!(publisher.result().as_deref(), Some(&bytes[..]), "the page got the origin's bytes");
	let f = |k: &str| outcome[k].as_f64().unwrap_or(f64::NAN);
	println!(
		"download, median of 3: plain fetch {:.1} MiB/s, podFetch (verified, receipted) {:.1} MiB/s: ratio {:.3}",
		f("plainMiBs"),
		f("podMiBs"),
		f("ratio")
	);
	print_seeks(&outcome["seeks"]);
	shaped_seeks(&tmp.path().join("shaped"), bytes.clone(), &m).await;
	first_frame(&tmp.path().join("video")).await;
	let (verify, sign) = native_costs(&bytes, &m);
	println!(
		"BLAKE3 verification: wasm {:.2} ms/MiB, native {:.2} ms/MiB ({:.1}x)",
		f("verifyMsPerMiB"),
		verify,
		f("verifyMsPerMiB") / verify
	);
	println!(
		"receipt signing: wasm {:.1} µs/receipt, native {:.1} µs/receipt ({:.1}x)",
		f("signUsPerReceipt"),
		sign,
		f("signUsPerReceipt") / sign
	);
}

/// The same seeks from an edge whose operator capped it at a home uplink's
/// 20 Mbit/s (`rate_limit`), where the bytes a seek costs are its time.
async fn shaped_seeks(dir: &std::path::Path, bytes: Arc<Vec<u8>>, m: &Manifest) {
	const UPLINK: u64 = 2_500_000;
	let config = format!("credit_bytes = {}\nrate_limit = {UPLINK}", 2 * bytes.len());
	let net = Network::start(dir, bytes, m, 1, &config).await;
	let publisher = net.publisher(m, None, 1).await;
	let url = format!("{}/bench/index.html?only=seeks", publisher.url);
	let shot = dir.join("seeks.png");
	println!("== the same seeks from an edge capped at 20 Mbit/s");
	let outcome = tokio::task::spawn_blocking(move || drive(&url, &shot)).await.expect("driver");
	assert_eq!(outcome["ok"], true, "{outcome:#}");
	print_seeks(&outcome["seeks"]);
}

/// Runs of the demo video's first frame (`web/demo/video.html`): through
/// the service worker from two edges (each run opening the content cold:
/// grant, schedule, manifest, the first verified groups) vs the same file
/// straight from its origin, alternately.
async fn first_frame(dir: &std::path::Path) {
	const RUNS: usize = 7;
	let bytes =
		Arc::new(std::fs::read(repo().join("web/demo/media/demo.webm")).expect("the demo video"));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let net = Network::start(dir, bytes.clone(), &m, 2, "").await;
	let config = serde_json::json!({ "type": "video/webm", "origin": net.origin.url() });
	let publisher = net.publisher_of(&m, config, 2, None).await;
	let url = format!("{}/demo/video.html?runs={RUNS}", publisher.url);
	let shot = dir.join("video.png");
	let outcome = tokio::task::spawn_blocking(move || drive(&url, &shot)).await.expect("driver");
	assert_eq!(outcome["ok"], true, "{outcome:#}");
	let stats = |k: &str| {
		let mut v: Vec<f64> =
			outcome[k].as_array().into_iter().flatten().filter_map(|x| x.as_f64()).collect();
		v.sort_by(f64::total_cmp);
		(v.first().copied().unwrap_or(f64::NAN), v.get(v.len() / 2).copied().unwrap_or(f64::NAN))
	};
	let ((w0, w), (o0, o)) = (stats("worker"), stats("origin"));
	println!(
		"first frame of the demo video ({} bytes, {RUNS} runs each): through the service worker \
		 median {w:.0} ms (best {w0:.0}), from the origin median {o:.0} ms (best {o0:.0}): {:.1}x",
		bytes.len(),
		w / o
	);
}

/// Small seeks with whole chunks and with verified slices, side by side.
fn print_seeks(seeks: &serde_json::Value) {
	let Some(sizes) = seeks.as_object() else { return };
	for (size, modes) in sizes {
		let f = |mode: &str, k: &str| modes[mode][k].as_f64().unwrap_or(f64::NAN);
		println!(
			"{size}-byte seeks ({}, each into a new 1 MiB chunk): whole chunks {:.2} ms median / {:.2} p90, \
			 {:.0} bytes each; verified slices {:.2} ms / {:.2}, {:.0} bytes each: {:.1}x faster, {:.0}x fewer bytes",
			f("slice", "reads"),
			f("whole", "ms"),
			f("whole", "p90"),
			f("whole", "bytesPerRead"),
			f("slice", "ms"),
			f("slice", "p90"),
			f("slice", "bytesPerRead"),
			f("whole", "ms") / f("slice", "ms"),
			f("whole", "bytesPerRead") / f("slice", "bytesPerRead"),
		);
	}
}

/// Native BLAKE3 verification of every chunk (ms per MiB, three passes)
/// and receipt signing (µs per receipt, 2,000), as the page times them.
fn native_costs(bytes: &[u8], m: &Manifest) -> (f64, f64) {
	let t = Instant::now();
	for _ in 0..3 {
		for (i, c) in bytes.chunks(CHUNK as usize).enumerate() {
			assert!(m.verify_chunk(i as u32, c));
		}
	}
	let verify =
		t.elapsed().as_secs_f64() * 1000.0 / (3.0 * bytes.len() as f64 / f64::from(1 << 20));
	let key = keys::keypair_from_seed(&[7; 32]);
	let t = Instant::now();
	for k in 1..=2000u64 {
		let r = Receipt { ticket_id: [1; 16], bytes_total: k, chunks_verified: k as u32 };
		std::hint::black_box(keys::sign_receipt(&key, &GENESIS, r));
	}
	(verify, t.elapsed().as_secs_f64() * 1e6 / 2000.0)
}
