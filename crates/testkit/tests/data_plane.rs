//! Origin → edge → client on loopback, with real edge processes.

use codec::Encode;
use hyper::Method;
use pod_client::{fetch, FetchPlan, Source};
use pod_primitives::{keys, Manifest};
use pod_testkit::*;
use std::sync::Arc;
use std::time::Duration;

fn plan(m: &Manifest, sources: Vec<Source>) -> FetchPlan {
	FetchPlan {
		content: m.id(),
		manifest: m.clone(),
		genesis: GENESIS,
		session: keys::keypair_from_seed(&CLIENT_SEED),
		sources,
		per_source: 2,
		timeout: Duration::from_secs(10),
	}
}

fn source(e: &EdgeProc, m: &Manifest, salt: u8) -> Source {
	Source { url: e.url(), ticket: ticket_for(edge_public(e.index), m.id(), m.size, 600_000, salt) }
}

/// Sum of acknowledged bytes in an edge's ledger.
async fn acked(e: &EdgeProc) -> u64 {
	status(e).await["windows"]
		.as_array()
		.unwrap()
		.iter()
		.map(|w| w["acked_bytes"].as_u64().unwrap())
		.sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edges_byte_exact_and_every_byte_receipted() {
	let bytes = Arc::new(data(5 * CHUNK as usize + 4321));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let a = EdgeProc::start(&tmp.path().join("a"), 0, "");
	let b = EdgeProc::start(&tmp.path().join("b"), 1, "");
	hold(&a, &m, &origin.url()).await;
	hold(&b, &m, &origin.url()).await;
	let out = tmp.path().join("out");
	let report =
		fetch(plan(&m, vec![source(&a, &m, 1), source(&b, &m, 2)]), &out, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	assert_eq!(report.sources.iter().map(|s| s.bytes).sum::<u64>(), m.size);
	assert!(report.sources.iter().all(|s| s.chunks > 0 && !s.lying), "{report:?}");
	// After the final receipts, each edge holds a receipt for exactly what it served.
	for (e, s) in [(&a, &report.sources[0]), (&b, &report.sources[1])] {
		assert_eq!(acked(e).await, s.bytes);
	}
	// Each chunk was pulled from the origin at most once per edge.
	assert!(origin.requests.load(std::sync::atomic::Ordering::SeqCst) <= 2 * m.chunks.len() as u64);
	let metrics = http(Method::GET, &format!("{}/metrics", a.admin_url()), &[], vec![]).await;
	let text = String::from_utf8(metrics.body.to_vec()).unwrap();
	assert!(text.contains("pod_edge_served_bytes_total"), "{text}");
	assert!(text.contains("pod_edge_fills_total{source=\"Origin\"}"), "{text}");
	// The operator's routes are on the admin listener only: the public
	// plane does not know them, whoever asks (a reverse proxy on the same
	// machine included).
	let id = hex::encode(m.id());
	for (method, path) in [(Method::POST, format!("hold/{id}")), (Method::GET, "metrics".into())] {
		let r = http(method, &format!("{}/{path}", a.url()), &[], m.encode()).await;
		assert_eq!((r.status.as_u16(), r.error()), (404, "no_route".into()), "{path}");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_head_and_manifest() {
	let held = HeldContent::start(2 * CHUNK as usize + 10).await;
	let (bytes, m, e, t) = (&held.bytes, &held.m, &held.edge, &held.ticket);
	let r = get_chunk(e, m, 1, Some(t), None, Some("bytes=100-199")).await;
	assert_eq!(r.status, 206);
	assert_eq!(&r.body[..], &bytes[CHUNK as usize + 100..CHUNK as usize + 200]);
	assert_eq!(r.headers["content-range"], format!("bytes 100-199/{CHUNK}"));
	assert_eq!(r.headers["etag"], format!("\"{}\"", hex::encode(m.chunks[1])));
	assert_eq!(
		r.headers["cache-control"], "no-store",
		"deliveries are paid: no cache answers for the edge"
	);
	let r = get_chunk(e, m, 2, Some(t), Some(&receipt_for(t, 100)), Some("bytes=-4")).await;
	assert_eq!((r.status.as_u16(), &r.body[..]), (206, &bytes[bytes.len() - 4..]));
	let r = get_chunk(e, m, 2, Some(t), None, Some("bytes=10-")).await;
	assert_eq!(r.status, 416);
	assert_eq!(r.headers["content-range"], "bytes */10");
	let head = pod_testkit::http(
		Method::HEAD,
		&format!("{}/c/{}/0", e.url(), hex::encode(m.id())),
		&[(pod_wire::headers::TICKET, pod_wire::headers::value(t))],
		vec![],
	)
	.await;
	assert_eq!(head.status, 200);
	assert_eq!(head.headers["content-length"], CHUNK.to_string());
	let man = pod_testkit::http(
		Method::GET,
		&format!("{}/manifest/{}", e.url(), hex::encode(m.id())),
		&[],
		vec![],
	)
	.await;
	assert_eq!(pod_wire::manifest::decode_manifest(&man.body, Some(&m.id())).unwrap(), *m);
}

/// A verified slice (`x-pod-proof`): the requested bytes' whole 16 KiB
/// groups with the hashes that check them against the manifest's chunk
/// hash, charged (and receipted) as the groups' bytes only; an unknown
/// encoding is refused before anything is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_slices_are_whole_groups_checked_against_the_manifest() {
	use pod_wire::slice::{self, GROUP};
	let held = HeldContent::start(2 * CHUNK as usize + 10).await;
	let (bytes, m, e, t) = (&held.bytes, &held.m, &held.edge, &held.ticket);
	let url = format!("{}/c/{}/1", e.url(), hex::encode(m.id()));
	let ask = async |range: Option<&str>, proof: &str, r: Option<u64>| {
		let mut h = vec![
			(pod_wire::headers::TICKET, pod_wire::headers::value(t)),
			(pod_wire::headers::PROOF, proof.to_string()),
		];
		h.extend(range.map(|v| ("range", v.to_string())));
		h.extend(
			r.map(|n| (pod_wire::headers::RECEIPT, pod_wire::headers::value(&receipt_for(t, n)))),
		);
		pod_testkit::http(Method::GET, &url, &h, vec![]).await
	};
	let r = ask(Some("bytes=20000-20099"), "sha256", None).await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "proof_unknown".into()));
	let r = ask(Some("bytes=20000-20099"), slice::PROOF_BLAKE3_16K, None).await;
	assert_eq!(r.status, 206);
	assert_eq!(r.headers["content-range"], format!("bytes {GROUP}-{}/{CHUNK}", 2 * GROUP - 1));
	assert_eq!(r.headers[pod_wire::headers::PROOF], slice::PROOF_BLAKE3_16K);
	assert_eq!(r.headers["vary"], pod_wire::headers::PROOF, "caches keep slices apart");
	assert_eq!(r.body.len() as u64, slice::encoded_len(CHUNK as u64, GROUP, 2 * GROUP));
	let got = slice::decode(&m.chunks[1], CHUNK as u64, GROUP, 2 * GROUP, &r.body).unwrap();
	let at = CHUNK as usize + GROUP as usize;
	assert_eq!(got, bytes[at..at + GROUP as usize]);
	// One group was charged: a receipt for a byte more is ahead of it.
	let r = ask(Some("bytes=0-0"), slice::PROOF_BLAKE3_16K, Some(GROUP + 1)).await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "receipt_ahead_of_served".into()));
	// Without a Range, the whole chunk as a slice.
	let r = ask(None, slice::PROOF_BLAKE3_16K, Some(GROUP)).await;
	assert_eq!(r.headers["content-range"], format!("bytes 0-{}/{CHUNK}", CHUNK - 1));
	let got = slice::decode(&m.chunks[1], CHUNK as u64, 0, CHUNK as u64, &r.body).unwrap();
	assert_eq!(got, bytes[CHUNK as usize..2 * CHUNK as usize]);
	assert_eq!(acked(e).await, GROUP);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tickets_and_receipts_are_refused_specifically() {
	let bytes = Arc::new(data(5 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "");
	hold(&e, &m, &origin.url()).await;
	let good = ticket_for(edge_public(0), m.id(), m.size, 600_000, 1);

	let r = get_chunk(&e, &m, 0, None, None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (401, "ticket_required".into()));
	let mut forged = good.clone();
	forged.ticket.max_bytes *= 2;
	let r = get_chunk(&e, &m, 0, Some(&forged), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_bad_signature".into()));
	let r = get_chunk(
		&e,
		&m,
		0,
		Some(&ticket_for(edge_public(1), m.id(), m.size, 600_000, 2)),
		None,
		None,
	)
	.await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_wrong_edge".into()));
	let r = get_chunk(
		&e,
		&m,
		0,
		Some(&ticket_for(edge_public(0), [9; 32], m.size, 600_000, 3)),
		None,
		None,
	)
	.await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_wrong_content".into()));
	let r = get_chunk(
		&e,
		&m,
		0,
		Some(&ticket_for(edge_public(0), m.id(), m.size, -1_000, 4)),
		None,
		None,
	)
	.await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_expired".into()));
	// Correctly signed, but by a key that is not a reporter.
	let rogue_key = keys::keypair_from_seed(&[66; 32]);
	let mut rt = good.ticket.clone();
	rt.reporter = rogue_key.public.to_bytes();
	let rogue = keys::sign_ticket(&rogue_key, &GENESIS, rt);
	let r = get_chunk(&e, &m, 0, Some(&rogue), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_unknown_reporter".into()));
	let r = pod_testkit::http(
		Method::GET,
		&format!("{}/c/{}/0", e.url(), hex::encode(m.id())),
		&[(pod_wire::headers::TICKET, "zz".into())],
		vec![],
	)
	.await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "bad_ticket_header".into()));

	// Credit window: 2 MiB ahead of receipts, then 402 until a receipt comes.
	assert_eq!(get_chunk(&e, &m, 0, Some(&good), None, None).await.status, 200);
	assert_eq!(get_chunk(&e, &m, 1, Some(&good), None, None).await.status, 200);
	let r = get_chunk(&e, &m, 2, Some(&good), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (402, "receipt_required".into()));
	assert_eq!(r.headers["x-pod-served"], (2 * CHUNK).to_string());
	// Receipts: over-acknowledging, forged, then a good one.
	let r =
		get_chunk(&e, &m, 2, Some(&good), Some(&receipt_for(&good, 3 * CHUNK as u64)), None).await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "receipt_ahead_of_served".into()));
	let mut bad = receipt_for(&good, CHUNK as u64);
	bad.receipt.bytes_total += 1;
	let r = get_chunk(&e, &m, 2, Some(&good), Some(&bad), None).await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "receipt_bad_signature".into()));
	assert_eq!(
		get_chunk(&e, &m, 2, Some(&good), Some(&receipt_for(&good, 2 * CHUNK as u64)), None)
			.await
			.status,
		200
	);
	// A stale receipt (parallel requests arrive out of order) is no error and
	// does not lower the best one: chunk 3 fits the credit, chunk 4 does not.
	let r = get_chunk(&e, &m, 3, Some(&good), Some(&receipt_for(&good, CHUNK as u64)), None).await;
	assert_eq!(r.status, 200);
	let r = get_chunk(&e, &m, 4, Some(&good), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (402, "receipt_required".into()));
	assert_eq!(r.headers["x-pod-acked"], (2 * CHUNK).to_string());
	// A ticket's max_bytes is a hard cap.
	let small = ticket_for(edge_public(0), m.id(), 1000, 600_000, 5);
	let r = get_chunk(&e, &m, 0, Some(&small), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "ticket_exhausted".into()));
	assert_eq!(get_chunk(&e, &m, 0, Some(&small), None, Some("bytes=0-999")).await.status, 206);
	// Unknown content and chunk.
	let r = get_chunk(&e, &Manifest::of_bytes(b"other", 4), 0, Some(&good), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (404, "unknown_content".into()));
	let r = get_chunk(&e, &m, 99, Some(&good), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (404, "no_such_chunk".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_edge_is_detected_and_download_completes_elsewhere() {
	let _ = tracing_subscriber::fmt().with_test_writer().try_init();
	let bytes = Arc::new(data(4 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	// The "liar": an origin serving different bytes, so its edge fills with them…
	// but the edge verifies fills, so make the liar a raw server that ignores tickets.
	let corrupt = Arc::new(data(4 * CHUNK as usize).iter().map(|b| b ^ 0xFF).collect::<Vec<u8>>());
	let liar = LiarEdge::start(corrupt).await;
	let tmp = tempfile::tempdir().unwrap();
	let honest = EdgeProc::start(&tmp.path().join("h"), 0, "");
	hold(&honest, &m, &origin.url()).await;
	let liar_source =
		Source { url: liar.url(), ticket: ticket_for(edge_public(5), m.id(), m.size, 600_000, 9) };
	let out = tmp.path().join("out");
	let report =
		fetch(plan(&m, vec![liar_source, source(&honest, &m, 1)]), &out, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	assert!(report.sources[0].lying, "{report:?}");
	assert_eq!(report.sources[0].bytes, 0);
	assert_eq!(report.sources[1].bytes, m.size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_killed_mid_download_and_resume() {
	let bytes = Arc::new(data(8 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	// Edge A is slow (1 MiB/s), so it is still serving when it is killed.
	let mut a = EdgeProc::start(&tmp.path().join("a"), 0, "rate_limit = 1048576");
	let b = EdgeProc::start(&tmp.path().join("b"), 1, "");
	hold(&a, &m, &origin.url()).await;
	hold(&b, &m, &origin.url()).await;
	let out = tmp.path().join("out");
	let p = plan(&m, vec![source(&a, &m, 1), source(&b, &m, 2)]);
	let o = out.clone();
	let job = tokio::spawn(async move { fetch(p, &o, |_| {}).await });
	tokio::time::sleep(Duration::from_millis(700)).await;
	a.kill();
	let report = job.await.unwrap().unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	assert!(report.sources[0].failures > 0, "{report:?}");
	assert!(report.sources[1].bytes > report.sources[0].bytes);

	// Resume: corrupt one chunk of the finished file and fetch again.
	let f = std::fs::OpenOptions::new().write(true).open(&out).unwrap();
	std::os::unix::fs::FileExt::write_all_at(&f, b"bad!", 3 * CHUNK as u64 + 5).unwrap();
	let report = fetch(plan(&m, vec![source(&b, &m, 3)]), &out, |_| {}).await.unwrap();
	assert_eq!(report.resumed_chunks, 7);
	assert_eq!(report.sources[0].chunks, 1);
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_cache_and_receipts() {
	let bytes = Arc::new(data(3 * CHUNK as usize + 7));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let dir = tmp.path().join("e");
	let mut e = EdgeProc::start(&dir, 0, "");
	hold(&e, &m, &origin.url()).await;
	let out = tmp.path().join("out");
	fetch(plan(&m, vec![source(&e, &m, 1)]), &out, |_| {}).await.unwrap();
	assert_eq!(acked(&e).await, m.size);
	e.kill(); // no graceful flush
	origin.stop(); // the cache alone must serve now
	let e = EdgeProc::start(&dir, 0, "");
	let s = status(&e).await;
	assert_eq!(s["cache"]["chunks"], 4, "{s}");
	assert_eq!(acked(&e).await, m.size, "{s}");
	let out2 = tmp.path().join("out2");
	fetch(plan(&m, vec![source(&e, &m, 2)]), &out2, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out2).unwrap(), *bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_is_never_exceeded_and_misses_collapse() {
	let bytes = Arc::new(data(6 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let quota = 2 * CHUNK as u64 + CHUNK as u64 / 2;
	let e = EdgeProc::start(&tmp.path().join("e"), 0, &format!("cache_quota = {quota}"));
	hold(&e, &m, &origin.url()).await;
	let out = tmp.path().join("out");
	fetch(plan(&m, vec![source(&e, &m, 1)]), &out, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	let s = status(&e).await;
	assert!(s["cache"]["bytes"].as_u64().unwrap() <= quota, "{s}");
	assert!(dir_size(&tmp.path().join("e/data/cache/chunks")) <= quota);

	// Eight concurrent misses for one uncached chunk: one origin fetch.
	let before = origin.requests.load(std::sync::atomic::Ordering::SeqCst);
	let mut jobs = Vec::new();
	for salt in 20..28u8 {
		let t = ticket_for(edge_public(0), m.id(), m.size, 600_000, salt);
		let m2 = m.clone();
		let url = e.url();
		jobs.push(tokio::spawn(async move {
			let h = [(pod_wire::headers::TICKET, pod_wire::headers::value(&t))];
			pod_testkit::http(
				Method::GET,
				&format!("{url}/c/{}/0", hex::encode(m2.id())),
				&h,
				vec![],
			)
			.await
			.status
		}));
	}
	for j in jobs {
		assert_eq!(j.await.unwrap(), 200);
	}
	let fetched = origin.requests.load(std::sync::atomic::Ordering::SeqCst) - before;
	assert!(fetched <= 1, "{fetched} origin fetches for one chunk");
}

fn dir_size(p: &std::path::Path) -> u64 {
	std::fs::read_dir(p)
		.unwrap()
		.map(|e| {
			let e = e.unwrap();
			if e.file_type().unwrap().is_dir() {
				dir_size(&e.path())
			} else {
				e.metadata().unwrap().len()
			}
		})
		.sum()
}

/// The same port speaks HTTP/2 (prior knowledge, as h2c clients and proxies
/// use it): several chunk requests multiplexed on one connection, receipts
/// carried the same way, keep-alive across them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_multiplexes_chunk_requests_on_one_connection() {
	use bytes::Bytes;
	use http_body_util::{BodyExt, Empty};
	use pod_wire::headers::{
		value as header_value, RECEIPT as RECEIPT_HEADER, TICKET as TICKET_HEADER,
	};
	let bytes = Arc::new(data(4 * CHUNK as usize + 5));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "");
	hold(&e, &m, &origin.url()).await;
	let t = ticket_for(edge_public(0), m.id(), m.size, 600_000, 9);
	let stream = tokio::net::TcpStream::connect(e.addr).await.unwrap();
	let (send, conn) = hyper::client::conn::http2::handshake(
		hyper_util::rt::TokioExecutor::new(),
		hyper_util::rt::TokioIo::new(stream),
	)
	.await
	.expect("the edge accepts an HTTP/2 connection");
	tokio::spawn(conn);
	// Two chunks at once (within the credit window), then two more with a receipt.
	let get = |index: u32, receipt: Option<u64>| {
		let mut req =
			hyper::Request::get(format!("http://{}/c/{}/{index}", e.addr, hex::encode(m.id())))
				.header(TICKET_HEADER, header_value(&t));
		if let Some(b) = receipt {
			req = req.header(RECEIPT_HEADER, header_value(&receipt_for(&t, b)));
		}
		// HTTP/2 senders are cheap handles onto the one connection.
		let fut = send.clone().send_request(req.body(Empty::<Bytes>::new()).unwrap());
		async move {
			let resp = fut.await.unwrap();
			assert_eq!(resp.version(), hyper::Version::HTTP_2);
			let status = resp.status();
			(status, resp.into_body().collect().await.unwrap().to_bytes())
		}
	};
	let (a, b) = tokio::join!(get(0, None), get(1, None));
	let (c, d) = tokio::join!(get(2, Some(2 * CHUNK as u64)), get(3, Some(2 * CHUNK as u64)));
	for (i, (status, body)) in [a, b, c, d].into_iter().enumerate() {
		assert_eq!(status, 200, "chunk {i}");
		assert!(m.verify_chunk(i as u32, &body), "chunk {i} over HTTP/2");
	}
	assert_eq!(acked(&e).await, 2 * CHUNK as u64);
}

/// Hundreds of clients at once, each on its own connection with its own
/// ticket: every one gets its exact bytes. They come from four loopback
/// addresses, as four hosts would (one address holds at most
/// `MAX_CONNECTIONS_PER_PEER` connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_connections() {
	const CLIENTS: usize = 300;
	let bytes = Arc::new(data(2 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let e = Arc::new(EdgeProc::start(&tmp.path().join("e"), 0, ""));
	hold(&e, &m, &origin.url()).await;
	let m = Arc::new(m);
	let mut tasks = Vec::new();
	for i in 0..CLIENTS {
		let (e, m, bytes) = (e.clone(), m.clone(), bytes.clone());
		tasks.push(tokio::spawn(async move {
			// A distinct ticket id per client (salt and expiry differ).
			let t = ticket_for(edge_public(0), m.id(), m.size, 600_000 + i as i64, (i % 251) as u8);
			let index = (i % 2) as u32;
			let start = (i * 4096) % (CHUNK as usize - 16_384);
			let range = format!("bytes={start}-{}", start + 16_383);
			let from: std::net::IpAddr = format!("127.0.0.{}", 1 + i % 4).parse().unwrap();
			let r = get_chunk_from(Some(from), &e, &m, index, (Some(&t), None), Some(&range)).await;
			assert_eq!(r.status, 206, "client {i}: {}", r.error());
			let off = index as usize * CHUNK as usize + start;
			assert_eq!(&r.body[..], &bytes[off..off + 16_384], "client {i}");
		}));
	}
	for t in tasks {
		t.await.unwrap();
	}
	let s = status(&e).await;
	assert_eq!(s["active_tickets"], CLIENTS);
}

/// The signed terms of an order for `m`, by `signer`, expiring at `expires_at`.
fn order_head(m: &Manifest, signer: [u8; 32], expires_at: u64) -> String {
	let terms = pod_primitives::OrderTerms { content: m.id(), origin: vec![], expires_at };
	let key = keys::keypair_from_seed(&signer);
	let head = pod_primitives::SignedOrderTerms {
		signature: keys::sign(&key, pod_primitives::DomainTag::Order, &GENESIS, &terms),
		reporter: key.public.to_bytes(),
		terms,
	};
	pod_wire::headers::value(&head)
}

/// Sends an order's head announcing a 100 MB body and no body at all:
/// what the edge answers before any of the body arrives, if it does.
async fn order_without_body(e: &EdgeProc, head: &str) -> (tokio::net::TcpStream, Option<String>) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut s = tokio::net::TcpStream::connect(e.addr).await.unwrap();
	let req = format!(
		"POST /order HTTP/1.1\r\nhost: e\r\nx-pod-order: {head}\r\ncontent-length: 100000000\r\n\r\n"
	);
	s.write_all(req.as_bytes()).await.unwrap();
	let mut buf = vec![0u8; 4096];
	let read = tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await;
	let answer = read.ok().map(|n| String::from_utf8_lossy(&buf[..n.unwrap()]).into_owned());
	(s, answer)
}

/// An order's signed terms travel in a header and are checked before its
/// body (the manifest, up to 256 MiB) is read: a stranger's, an expired or
/// a malformed order is refused while its body is still unsent. A signed
/// order's body is read (two at a time; a third is told to come back) and
/// must be the manifest its content id names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_checked_before_their_body_is_read() {
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "");
	let m = Manifest::of_bytes(&data(3000), 1024);
	let later = pod_wire::clock::now_ms() + 600_000;
	for (head, why) in [
		(order_head(&m, [9; 32], later), "not a reporter"),
		(order_head(&m, REPORTER_SEED, 1), "expired"),
		("zz".to_string(), "malformed"),
	] {
		let (_s, answer) = order_without_body(&e, &head).await;
		let answer = answer.unwrap_or_else(|| panic!("a {why} order's body was waited for"));
		let code = if why == "malformed" { "400" } else { "403" };
		assert!(answer.starts_with(&format!("HTTP/1.1 {code}")), "{why}: {answer}");
	}
	let url = format!("{}/order", e.url());
	let r = http(Method::POST, &url, &[], m.encode()).await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "bad_order".into()), "no head");
	// A reporter's order holds the slot while its body comes in.
	let mut slow = Vec::new();
	for _ in 0..2 {
		let (s, answer) = order_without_body(&e, &order_head(&m, REPORTER_SEED, later)).await;
		assert_eq!(answer, None, "a signed order's body is read");
		slow.push(s);
	}
	let head = vec![(pod_wire::headers::ORDER, order_head(&m, REPORTER_SEED, later))];
	let r = http(Method::POST, &url, &head, m.encode()).await;
	assert_eq!((r.status.as_u16(), r.error()), (503, "busy".into()));
	assert!(r.headers.contains_key("retry-after"));
	drop(slow);
	tokio::time::sleep(Duration::from_millis(300)).await;
	// Another content's manifest under these terms is refused; the right one is held.
	let other = Manifest::of_bytes(&data(5000), 1024);
	let r = http(Method::POST, &url, &head, other.encode()).await;
	assert_eq!((r.status.as_u16(), r.error()), (403, "order_refused".into()));
	let r = http(Method::POST, &url, &head, m.encode()).await;
	assert_eq!(r.status.as_u16(), 200, "{}", String::from_utf8_lossy(&r.body));
	assert_eq!(status(&e).await["contents"], 1);
}

/// An `https://` origin is filled over TLS, its certificate checked: an
/// edge that trusts the origin's CA (`origin_ca_file`) serves the exact
/// bytes; one that does not refuses to fill from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_origins_are_filled_over_verified_tls() {
	let bytes = Arc::new(data(2 * CHUNK as usize + 5));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let tmp = tempfile::tempdir().unwrap();
	let (ca, tls) = test_ca(&tmp.path().join("ca"));
	let origin = Origin::start_tls(bytes.clone(), tls).await;
	assert!(origin.url().starts_with("https://"));
	let trusting = format!("origin_ca_file = \"{}\"", ca.display());
	let e = EdgeProc::start(&tmp.path().join("e"), 0, &trusting);
	hold(&e, &m, &origin.url()).await;
	let t = ticket_for(edge_public(0), m.id(), m.size, 600_000, 1);
	let r = get_chunk(&e, &m, 2, Some(&t), None, None).await;
	assert_eq!(r.status, 200, "{}", r.error());
	assert_eq!(&r.body[..], &bytes[2 * CHUNK as usize..]);
	// Without the CA, the origin's certificate is not trusted: nothing is
	// filled from it.
	let other = EdgeProc::start(&tmp.path().join("o"), 1, "");
	hold(&other, &m, &origin.url()).await;
	let t = ticket_for(edge_public(1), m.id(), m.size, 600_000, 2);
	let r = get_chunk(&other, &m, 0, Some(&t), None, None).await;
	assert_eq!((r.status.as_u16(), r.error()), (502, "fill_failed".into()));
	let message = r.json()["message"].as_str().unwrap().to_string();
	assert!(message.contains("certificate"), "{message}");
}

/// One client address holds at most `max_connections_per_peer` connections
/// on the data plane: the next one from it is closed at once, while another
/// address is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_at_most_its_connections() {
	use tokio::io::AsyncReadExt;
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "max_connections_per_peer = 2");
	let held: Vec<_> =
		futures::future::join_all((0..2).map(|_| tokio::net::TcpStream::connect(e.addr)))
			.await
			.into_iter()
			.map(Result::unwrap)
			.collect();
	tokio::time::sleep(Duration::from_millis(200)).await;
	let mut third = tokio::net::TcpStream::connect(e.addr).await.unwrap();
	let mut buf = [0u8; 1];
	let n = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf))
		.await
		.expect("the edge closes the third connection at once")
		.unwrap_or(0);
	assert_eq!(n, 0, "closed without an answer");
	let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
	let r = http_from(Some(other), Method::GET, &format!("{}/status", e.url()), &[], vec![]).await;
	assert_eq!(r.status, 200);
	drop(held);
}

/// Browsers can call an edge: the preflight for the pod headers is
/// answered (any origin, by default), a chunk's response exposes the pod
/// headers to scripts, and with a certificate the edge serves HTTPS,
/// HTTP/2 by ALPN; plain HTTP on that port gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_reach_an_edge_over_https_with_cors() {
	use http_body_util::{BodyExt, Full};
	let bytes = Arc::new(data(CHUNK as usize + 5));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let pki = tmp.path().join("pki");
	let (ca, _) = test_ca(&pki);
	let e = EdgeProc::start(&tmp.path().join("e"), 0, &tls_settings(&pki));
	hold(&e, &m, &origin.url()).await;
	let client = client_trusting(&ca);
	let url = format!("https://{}/c/{}/0", e.addr, hex::encode(m.id()));
	let page = "https://publisher.example";
	let preflight = hyper::Request::builder()
		.method(Method::OPTIONS)
		.uri(&url)
		.header("origin", page)
		.header("access-control-request-method", "GET")
		.header("access-control-request-headers", "x-pod-ticket,x-pod-receipt,range")
		.body(Full::default())
		.unwrap();
	let r = client.request(preflight).await.unwrap();
	assert!(r.status().is_success(), "{:?}", r.status());
	assert_eq!(r.version(), hyper::Version::HTTP_2, "HTTP/2 by ALPN");
	assert_eq!(r.headers()["access-control-allow-origin"], "*");
	let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap().to_owned();
	for name in ["x-pod-ticket", "x-pod-receipt", "range"] {
		assert!(allowed.contains(name), "{allowed}");
	}
	let t = ticket_for(edge_public(0), m.id(), m.size, 600_000, 1);
	let get = hyper::Request::get(&url)
		.header("origin", page)
		.header(pod_wire::headers::TICKET, pod_wire::headers::value(&t))
		.body(Full::default())
		.unwrap();
	let r = client.request(get).await.unwrap();
	assert_eq!(r.status(), 200);
	assert_eq!(r.headers()["access-control-allow-origin"], "*");
	let exposed = r.headers()["access-control-expose-headers"].to_str().unwrap().to_owned();
	for name in ["x-pod-served", "x-pod-acked", "content-range"] {
		assert!(exposed.contains(name), "{exposed}");
	}
	let body = r.into_body().collect().await.unwrap().to_bytes();
	assert_eq!(&body[..], &bytes[..CHUNK as usize]);
	let http = pod_http::http_client();
	let plain = format!("http://{}/c/{}/0", e.addr, hex::encode(m.id()));
	let r = pod_http::call(&http, Method::GET, &plain, &[], vec![], Duration::from_secs(3)).await;
	assert!(r.is_err(), "plain HTTP on the TLS port was answered: {:?}", r.map(|r| r.status));
}

/// The admin plane answers only requests that name it by an address or
/// `localhost` (a page that rebinds its own name to the edge's address
/// sends its name), and holds a content only with the admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_plane_refuses_foreign_hosts_and_holds_only_with_its_token() {
	let bytes = Arc::new(data(CHUNK as usize + 7));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "");
	let hold_url = format!("{}/hold/{}", e.admin_url(), hex::encode(m.id()));
	let earnings = format!("{}/earnings", e.admin_url());
	let rebound = ("host", format!("attacker.example:{}", e.admin.port()));
	let r = http(Method::GET, &earnings, std::slice::from_ref(&rebound), vec![]).await;
	assert_eq!((r.status.as_u16(), code(&r)), (403, "foreign_host".into()));
	let with_token = [("x-pod-origin", origin.url()), e.admin_auth(), rebound];
	let r = http(Method::POST, &hold_url, &with_token, m.encode()).await;
	assert_eq!((r.status.as_u16(), code(&r)), (403, "foreign_host".into()));
	for auth in [vec![], vec![("authorization", "Bearer 00".to_string())]] {
		let headers = [vec![("x-pod-origin", origin.url())], auth].concat();
		let r = http(Method::POST, &hold_url, &headers, m.encode()).await;
		assert_eq!((r.status.as_u16(), code(&r)), (401, "admin_token_required".into()));
	}
	assert_eq!(status(&e).await["contents"].as_u64(), Some(0), "nothing held");
	for host in ["localhost", "127.0.0.1"] {
		let named = ("host", format!("{host}:{}", e.admin.port()));
		let r = http(Method::GET, &earnings, &[named], vec![]).await;
		assert_eq!(r.status, 200, "{host}");
	}
	hold(&e, &m, &origin.url()).await;
	origin.stop();
}

/// The `error` code of a JSON refusal.
fn code(r: &Reply) -> String {
	let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
	v["error"].as_str().unwrap_or_default().to_string()
}
