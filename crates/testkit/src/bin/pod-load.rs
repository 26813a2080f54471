//! `pod-load`: the services under attack on loopback, bounded in count and
//! time (issue #12's load tests). Prints numbers; asserts nothing about
//! speed (these machines are noisy: compare the two columns of one run).
//!
//! ```text
//! pod-load [--downloads N] [--slowloris N] [--flooders N] [--schedules N]
//! ```
//!
//! 1. **Edge under slowloris.** An honest client downloads a content from
//!    one edge N times (a fresh ticket each time): throughput and per-download
//!    p50/p99. Then attackers from another address (127.0.1.2) keep
//!    `--slowloris` connections open, each sending half a request's headers
//!    and one more byte every two seconds, reconnecting whenever they are
//!    cut; the same downloads run again beside them.
//! 2. **Reporter under a `/schedule` flood.** An honest viewer schedules an
//!    open content N times from 127.0.0.1 (a fresh viewer key each time, as
//!    many viewers behind one address would): latency p50/p99. Then
//!    `--flooders` tasks from 127.0.1.2 send `/schedule` as fast as they can
//!    with fresh keys, and the honest schedules run again beside them.

use clap::Parser;
use hyper::Method;
use pod_client::{fetch, FetchPlan, Source};
use pod_primitives::{keys, Manifest};
use pod_testkit::*;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "pod-load", about = "The edge and the reporter under attack, on loopback")]
struct Args {
	/// Honest downloads per phase.
	#[arg(long, default_value_t = 30)]
	downloads: u32,
	/// Slowloris connections kept open.
	#[arg(long, default_value_t = 2000)]
	slowloris: usize,
	/// Concurrent `/schedule` flooders.
	#[arg(long, default_value_t = 32)]
	flooders: usize,
	/// Honest schedules per phase.
	#[arg(long, default_value_t = 40)]
	schedules: u32,
}

/// Where the attackers come from: another /24 than the honest clients.
const ATTACKER: &str = "127.0.1.2";
const MIB: f64 = (1 << 20) as f64;

#[tokio::main]
async fn main() {
	let a = Args::parse();
	let dir = std::env::temp_dir().join(format!("pod-load-{}", std::process::id()));
	std::fs::create_dir_all(&dir).expect("a scratch directory");
	edge_under_slowloris(&a, &dir).await;
	reporter_under_flood(&a, &dir).await;
	let _ = std::fs::remove_dir_all(&dir);
}

/// p50 and p99 of `v` (sorted in place), in milliseconds.
fn percentiles(v: &mut [Duration]) -> (f64, f64) {
	v.sort();
	let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
	(at(0.50).as_secs_f64() * 1e3, at(0.99).as_secs_f64() * 1e3)
}

async fn edge_under_slowloris(a: &Args, dir: &std::path::Path) {
	let bytes = Arc::new(data(8 << 20));
	let m = Manifest::of_bytes(&bytes, 1 << 20);
	let origin = Origin::start(bytes).await;
	let edge = EdgeProc::start(&dir.join("edge"), 0, "");
	hold(&edge, &m, &origin.url()).await;
	println!("== edge under slowloris ({} MiB content, {} downloads per phase)", 8, a.downloads);
	let quiet = downloads(&edge, &m, a.downloads, 0, dir).await;
	let stop = Arc::new(AtomicBool::new(false));
	let counts = Arc::new(SlowCounts::default());
	let attack = slowloris(edge.addr, a.slowloris, stop.clone(), counts.clone());
	tokio::time::sleep(Duration::from_secs(5)).await;
	let held_at_start = counts.open.load(Relaxed);
	let loud = downloads(&edge, &m, a.downloads, 100, dir).await;
	stop.store(true, Relaxed);
	attack.abort();
	print_download("alone", &quiet);
	print_download("beside slowloris", &loud);
	println!(
		"slowloris: {} connections wanted, {} held open when the honest downloads started; \
		 {} opened in all, {} closed by the edge (per-peer cap or header timeout)",
		a.slowloris,
		held_at_start,
		counts.opened.load(Relaxed),
		counts.cut.load(Relaxed)
	);
	println!("throughput ratio (beside / alone): {:.2}", loud.mib_per_s / quiet.mib_per_s);
}

struct Downloads {
	mib_per_s: f64,
	p50_ms: f64,
	p99_ms: f64,
}

fn print_download(what: &str, d: &Downloads) {
	println!(
		"honest downloads {what:<17}: {:>7.1} MiB/s, p50 {:>7.1} ms, p99 {:>7.1} ms",
		d.mib_per_s, d.p50_ms, d.p99_ms
	);
}

/// `n` downloads of `m` from `edge`, each under a fresh ticket.
async fn downloads(
	edge: &EdgeProc,
	m: &Manifest,
	n: u32,
	salt: u8,
	dir: &std::path::Path,
) -> Downloads {
	let out = dir.join("out.bin");
	let mut times = Vec::new();
	let t0 = Instant::now();
	for i in 0..n {
		let ticket = ticket_for(edge_public(edge.index), m.id(), m.size, 600_000, salt + i as u8);
		let plan = FetchPlan {
			content: m.id(),
			manifest: m.clone(),
			genesis: GENESIS,
			session: keys::keypair_from_seed(&CLIENT_SEED),
			sources: vec![Source { url: edge.url(), ticket }],
			per_source: 2,
			timeout: Duration::from_secs(30),
		};
		// A fresh file each time: the client resumes from verified chunks.
		let _ = std::fs::remove_file(&out);
		let t = Instant::now();
		fetch(plan, &out, |_| {}).await.expect("an honest download completes");
		times.push(t.elapsed());
	}
	let mib_per_s = f64::from(n) * m.size as f64 / MIB / t0.elapsed().as_secs_f64();
	let (p50_ms, p99_ms) = percentiles(&mut times);
	Downloads { mib_per_s, p50_ms, p99_ms }
}

#[derive(Default)]
struct SlowCounts {
	opened: AtomicU64,
	open: AtomicU64,
	cut: AtomicU64,
}

/// `n` attackers, each keeping one slow connection to `to` open.
fn slowloris(
	to: SocketAddr,
	n: usize,
	stop: Arc<AtomicBool>,
	counts: Arc<SlowCounts>,
) -> tokio::task::JoinHandle<()> {
	tokio::spawn(async move {
		let tasks: Vec<_> = (0..n)
			.map(|_| tokio::spawn(one_slow_client(to, stop.clone(), counts.clone())))
			.collect();
		for t in tasks {
			let _ = t.await;
		}
	})
}

async fn one_slow_client(to: SocketAddr, stop: Arc<AtomicBool>, counts: Arc<SlowCounts>) {
	use tokio::io::AsyncWriteExt;
	let from: IpAddr = ATTACKER.parse().expect("an address");
	while !stop.load(Relaxed) {
		let Ok(mut c) = connect_from(from, to).await else {
			tokio::time::sleep(Duration::from_millis(100)).await;
			continue;
		};
		counts.opened.fetch_add(1, Relaxed);
		let mut alive = c.write_all(b"GET /status HTTP/1.1\r\nHost: edge\r\nX-a: ").await.is_ok();
		// Held: still open after its first pause (the edge closes a
		// connection over the per-peer cap at once).
		let mut held = false;
		while alive && !stop.load(Relaxed) {
			tokio::time::sleep(Duration::from_secs(2)).await;
			alive = c.write_all(b"a").await.is_ok() && !closed_by_peer(&c);
			if alive && !held {
				held = true;
				counts.open.fetch_add(1, Relaxed);
			}
		}
		counts.open.fetch_sub(u64::from(held), Relaxed);
		counts.cut.fetch_add(u64::from(!stop.load(Relaxed)), Relaxed);
	}
}

/// Whether the server has answered (a 408) or closed its side: anything
/// but "nothing to read yet".
fn closed_by_peer(c: &tokio::net::TcpStream) -> bool {
	let mut b = [0u8; 1];
	!matches!(c.try_read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
	let s = tokio::net::TcpSocket::new_v4()?;
	s.bind(SocketAddr::new(from, 0))?;
	s.connect(to).await
}

async fn reporter_under_flood(a: &Args, dir: &std::path::Path) {
	let (url, m) = open_content_reporter(dir).await;
	println!("\n== reporter under a /schedule flood ({} honest schedules per phase)", a.schedules);
	let quiet = schedules(&url, &m, a.schedules, 0).await;
	let stop = Arc::new(AtomicBool::new(false));
	let sent = Arc::new(FloodCounts::default());
	let flood: Vec<_> = (0..a.flooders)
		.map(|i| tokio::spawn(flooder(url.clone(), m.id(), i as u64, stop.clone(), sent.clone())))
		.collect();
	tokio::time::sleep(Duration::from_secs(2)).await;
	let t0 = Instant::now();
	let (before, refused_before) = (sent.sent.load(Relaxed), sent.refused.load(Relaxed));
	let loud = schedules(&url, &m, a.schedules, 1).await;
	let secs = t0.elapsed().as_secs_f64();
	let during = sent.sent.load(Relaxed) - before;
	let refused = sent.refused.load(Relaxed) - refused_before;
	stop.store(true, Relaxed);
	for f in flood {
		let _ = f.await;
	}
	let row = |what: &str, (ok, p50, p99): (u32, f64, f64)| {
		println!(
			"honest schedules {what:<13}: {ok}/{} scheduled, p50 {p50:>6.1} ms, p99 {p99:>6.1} ms",
			a.schedules
		)
	};
	row("alone", quiet);
	row("beside flood", loud);
	println!(
		"flood: {:.0} requests/s from {} tasks while the honest viewer scheduled; {} of {} refused (429)",
		during as f64 / secs,
		a.flooders,
		refused,
		during
	);
}

/// A reporter (in this process, no chain) with one edge holding an open
/// content; its URL and the content.
async fn open_content_reporter(dir: &std::path::Path) -> (String, Manifest) {
	let cfg = dir.join("reporter.toml");
	let toml = format!(
		"listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n\
		 key_seed = \"{}\"\nchain = \"unused\"\nopen_per_network_per_minute = 100000\n\
		 open_per_viewer_per_minute = 100000\nallow_private_edges = true\n",
		dir.join("reporter").display(),
		hex::encode(REPORTER_SEED)
	);
	std::fs::write(&cfg, toml).expect("reporter config written");
	let cfg = pod_http::service::load_toml(&cfg).expect("a reporter config");
	let rep = pod_reporter::Reporter::open_with(cfg, None, GENESIS, 3).expect("a reporter");
	let m = Manifest::of_bytes(&data(4 << 20), 1 << 20);
	let content = pod_chain::ChainContent {
		owner: [9; 32],
		size: m.size,
		price_per_gib: 1,
		origin: vec![],
		retired_from: None,
		budget: Some(u128::MAX),
		open: true,
	};
	rep.records.set_content(m.id(), content);
	let public = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
	let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
	let url = format!("http://{}", public.local_addr().expect("bound"));
	tokio::spawn(pod_reporter::http::serve(rep, public, admin, std::future::pending()));
	let r = http(
		Method::POST,
		&format!("{url}/contents"),
		&content_headers(&m),
		codec::Encode::encode(&m),
	)
	.await;
	assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
	heartbeat(&url, &m).await;
	(url, m)
}

fn content_headers(m: &Manifest) -> Vec<(&'static str, String)> {
	vec![("x-pod-origin", "http://127.0.0.1:9/c".into()), ("x-pod-content", hex::encode(m.id()))]
}

/// Edge 0 tells the reporter it holds `m`.
async fn heartbeat(url: &str, m: &Manifest) {
	let hb = pod_wire::api::Heartbeat {
		edge: edge_public(0),
		url: b"http://127.0.0.1:9".to_vec(),
		region: vec![],
		capacity: 0,
		load: 0,
		free_disk: 1 << 30,
		held: vec![m.id()],
		at_ms: pod_wire::clock::now_ms(),
	};
	let signed =
		pod_wire::api::SignedHeartbeat::sign(&keys::keypair_from_seed(&edge_seed(0)), &GENESIS, hb);
	let r =
		http(Method::POST, &format!("{url}/heartbeat"), &[], codec::Encode::encode(&signed)).await;
	assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn schedule_body(content: &[u8; 32], viewer: [u8; 32]) -> Vec<u8> {
	let req = pod_wire::api::ScheduleRequest {
		content: hex::encode(content),
		client: hex::encode(viewer),
		region: None,
		count: Some(1),
		grant: None,
	};
	serde_json::to_vec(&req).expect("a request")
}

/// `n` schedules from 127.0.0.1, each by a fresh viewer: how many got
/// tickets, p50 and p99 in ms.
async fn schedules(url: &str, m: &Manifest, n: u32, phase: u8) -> (u32, f64, f64) {
	let (mut ok, mut times) = (0, Vec::new());
	for i in 0..n {
		let mut seed = [phase; 32];
		seed[..4].copy_from_slice(&i.to_le_bytes());
		let viewer = keys::keypair_from_seed(&seed).public.to_bytes();
		let t = Instant::now();
		let r = http(Method::POST, &format!("{url}/schedule"), &[], schedule_body(&m.id(), viewer))
			.await;
		times.push(t.elapsed());
		ok += u32::from(r.status == 200);
	}
	let (p50, p99) = percentiles(&mut times);
	(ok, p50, p99)
}

#[derive(Default)]
struct FloodCounts {
	sent: AtomicU64,
	refused: AtomicU64,
}

/// Sends `/schedule` with fresh viewer keys (flooder `me`'s) from the
/// attacker's address until `stop`.
async fn flooder(
	url: String,
	content: [u8; 32],
	me: u64,
	stop: Arc<AtomicBool>,
	counts: Arc<FloodCounts>,
) {
	use http_body_util::{BodyExt, Full};
	let mut conn = hyper_util::client::legacy::connect::HttpConnector::new();
	conn.set_local_address(Some(ATTACKER.parse().expect("an address")));
	let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
		.build::<_, Full<bytes::Bytes>>(conn);
	let mut n = 0u64;
	while !stop.load(Relaxed) {
		n += 1;
		let mut viewer = [0xF1; 32];
		viewer[..8].copy_from_slice(&n.to_le_bytes());
		viewer[8..16].copy_from_slice(&me.to_le_bytes());
		let req = hyper::Request::post(format!("{url}/schedule"))
			.body(Full::new(schedule_body(&content, viewer).into()))
			.expect("a request");
		let Ok(resp) = client.request(req).await else { continue };
		counts.sent.fetch_add(1, Relaxed);
		counts.refused.fetch_add(u64::from(resp.status() == 429), Relaxed);
		let _ = resp.into_body().collect().await;
	}
}
