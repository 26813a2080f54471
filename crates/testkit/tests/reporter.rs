//! The reporting service with real edges and a real client on loopback
//! (no chain: the reporter's window is set by the test): scheduling with
//! tickets and hold orders, client reports, confirmation with its reductions,
//! idempotence across a reporter restart, audits, and refusals.

use codec::Encode;
use hyper::Method;
use pod_client::{fetch, report, schedule, FetchPlan};
use pod_primitives::{
	keys, merkle::receipts_root, Claim, DomainTag, Entry, Manifest, Receipt, SignedReceipt,
};
use pod_reporter::Reporter;
use pod_testkit::inproc::{
	config, customer_grant, customer_only, heartbeat_as, start, start_with, Running, CUSTOMER,
};
use pod_testkit::*;
use pod_wire::api::{ConfirmRequest, ConfirmResponse, Heartbeat, SignedHeartbeat};
use std::sync::Arc;
use std::time::Duration;

fn claim_for(
	edge: u8,
	window: u32,
	content: [u8; 32],
	bytes: u64,
	receipts: &[SignedReceipt],
) -> ConfirmRequest {
	let claim = Claim {
		edge: edge_public(edge),
		window,
		part: 0,
		entries: vec![Entry { content, bytes }].try_into().unwrap(),
		receipts_root: receipts_root(
			&receipts
				.iter()
				.map(|r| (r.receipt.ticket_id, r.receipt.bytes_total))
				.collect::<Vec<_>>(),
		),
		receipt_count: receipts.len() as u32,
	};
	let kp = keys::keypair_from_seed(&edge_seed(edge));
	let signature = keys::sign(&kp, DomainTag::Claim, &GENESIS, &claim);
	ConfirmRequest { claim, signature, receipts: receipts.to_vec() }
}

/// `POST /contents`: `body` as the manifest of content `id`, from `origin`.
async fn post_content(url: &str, id: [u8; 32], origin: String, body: Vec<u8>) -> Reply {
	let h = [("x-pod-origin", origin), ("x-pod-content", hex::encode(id))];
	http(Method::POST, &format!("{url}/contents"), &h, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_fetch_report_confirm() {
	let bytes = Arc::new(data(3 * CHUNK as usize + 777));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let id = m.id();
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let Running { reporter: rep, url, admin, stop, server } =
		start(&tmp.path().join("reporter"), 3).await;
	let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1");
	let e0 = EdgeProc::start(&tmp.path().join("e0"), 0, &extra);
	let e1 = EdgeProc::start(&tmp.path().join("e1"), 1, &extra);

	// A content is registered with its manifest and origin.
	let r = post_content(&url, m.id(), origin.url(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	let bad = post_content(&url, m.id(), origin.url(), b"junk".to_vec()).await;
	assert_eq!((bad.status.as_u16(), bad.json()["error"].as_str()), (400, Some("bad_manifest")));
	// Without the id up front, nothing is read.
	let r = http(
		Method::POST,
		&format!("{url}/contents"),
		&[("x-pod-origin", origin.url())],
		m.encode(),
	)
	.await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "content_id_required".into()));
	// A manifest that is not the content named is refused.
	let other = Manifest::of_bytes(&data(10), CHUNK);
	let r = post_content(&url, m.id(), origin.url(), other.encode()).await;
	assert_eq!((r.status.as_u16(), r.error()), (400, "bad_manifest".into()));

	// Both edges register through their heartbeats.
	for _ in 0..100 {
		let s = http(Method::GET, &format!("{url}/status"), &[], vec![]).await.json();
		if s["edges"].as_array().is_some_and(|a| a.len() == 2) {
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	// A heartbeat signed by someone else is refused.
	let forged = SignedHeartbeat {
		heartbeat: Heartbeat {
			edge: edge_public(0),
			url: b"http://evil".to_vec(),
			region: vec![],
			capacity: 0,
			load: 0,
			free_disk: 0,
			held: vec![],
			at_ms: now_ms(),
		},
		signature: [0; 64],
	};
	let r = http(Method::POST, &format!("{url}/heartbeat"), &[], forged.encode()).await;
	assert_eq!(r.json()["error"], "bad_heartbeat_signature");

	// The content is the customer's and not open: only viewers holding the
	// customer's grant are scheduled.
	let session = keys::keypair_from_seed(&[42; 32]);
	let budget = m.size * 3 / 2;
	let grant = customer_only(&rep, id, m.size, &session, budget);
	let schedule_url = format!("{url}/schedule");
	let schedule_raw = |grant: Option<String>| {
		let req = pod_wire::api::ScheduleRequest {
			content: hex::encode(id),
			client: hex::encode(session.public.to_bytes()),
			region: None,
			count: Some(2),
			grant,
		};
		http(Method::POST, &schedule_url, &[], serde_json::to_vec(&req).unwrap())
	};
	let r = schedule_raw(None).await;
	assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (403, Some("grant_required")));
	let other_viewer = keys::keypair_from_seed(&[43; 32]);
	let foreign = customer_grant(id, &other_viewer, budget);
	let r = schedule_raw(Some(pod_wire::hex::encode_scale(&foreign))).await;
	assert_eq!(r.json()["error"], "grant_refused", "{}", r.error());
	let mut inflated = grant.clone();
	inflated.grant.budget *= 2;
	let r = schedule_raw(Some(pod_wire::hex::encode_scale(&inflated))).await;
	assert_eq!(r.json()["error"], "grant_refused", "{}", r.error());

	// Under the grant, the client is scheduled on both edges (the reporter
	// ordered them to hold C), and the two tickets share the grant's budget.
	let s = schedule(&url, &id, &session, None, Some(2), Some(&grant)).await.unwrap();
	assert_eq!(s.sources.len(), 2);
	assert_eq!(s.genesis, GENESIS);
	assert!(s
		.sources
		.iter()
		.all(|src| src.ticket.ticket.window == 3
			&& src.ticket.ticket.grant == Some(grant.grant.id())));
	let allowed: u64 = s.sources.iter().map(|src| src.ticket.ticket.max_bytes).sum();
	assert_eq!(allowed, budget);
	// All of it is allowed: no further tickets under this grant.
	let r = schedule_raw(Some(pod_wire::hex::encode_scale(&grant))).await;
	assert_eq!(r.json()["error"], "grant_exhausted", "{}", r.error());
	let out = tmp.path().join("out.bin");
	let plan = FetchPlan {
		content: id,
		manifest: s.manifest.clone(),
		genesis: GENESIS,
		session: session.clone(),
		sources: s.sources.clone(),
		per_source: 1,
		timeout: Duration::from_secs(10),
	};
	let fr = fetch(plan, &out, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	let (sent, reply) = report(&url, &session, &GENESIS, &s.sources, &fr).await.unwrap();
	assert_eq!((sent, reply.stored), (2, 2), "{:?}", reply.refused);

	// The claims, as each edge's ledger would build them from the client's receipts.
	let receipt_of = |i: usize| {
		let last: Receipt = fr.sources[i].last_receipt.unwrap();
		keys::sign_receipt(&session, &GENESIS, last)
	};
	let edge_index =
		|i: usize| if s.sources[i].ticket.ticket.edge == edge_public(0) { 0u8 } else { 1u8 };
	let honest = claim_for(edge_index(0), 3, id, fr.sources[0].bytes, &[receipt_of(0)]);
	let confirm_url = format!("{url}/confirm");
	let confirm = |req: &ConfirmRequest| http(Method::POST, &confirm_url, &[], req.encode());

	// Window 3 is still open on "chain".
	let early = confirm(&honest).await;
	assert_eq!((early.status.as_u16(), early.json()["error"].as_str()), (425, Some("too_early")));
	rep.set_window(4);
	// Tickets are still valid for a moment: still too early.
	let early = confirm(&honest).await;
	assert_eq!(early.json()["error"], "too_early");
	assert!(early.headers.contains_key("retry-after"));
	tokio::time::sleep(Duration::from_millis(3_500)).await;

	let ok = confirm(&honest).await;
	assert_eq!(ok.status, 200, "{}", ok.error());
	let c: ConfirmResponse = serde_json::from_slice(&ok.body).unwrap();
	let pod_wire::api::Confirmation { payload, reporter, signature: sig } = c.decode().unwrap();
	assert!(c.reductions.is_empty(), "{:?}", c.reductions);
	assert_eq!(payload.total_bytes(), fr.sources[0].bytes);
	assert_eq!(reporter, reporter_public());
	assert!(keys::verify(&reporter, &sig, DomainTag::Attestation, &GENESIS, &payload));

	// An inflated claim from the other edge is cut to what its receipts prove.
	let inflated = claim_for(edge_index(1), 3, id, fr.sources[1].bytes * 2 + 1, &[receipt_of(1)]);
	let cut: ConfirmResponse = serde_json::from_slice(&confirm(&inflated).await.body).unwrap();
	assert_eq!(cut.confirmed_bytes, fr.sources[1].bytes);
	assert_eq!(cut.reductions.len(), 1);
	assert_eq!(cut.reductions[0].reason, pod_wire::api::ReductionReason::AboveReceipts);

	// A claim no receipt supports is refused; the same request again is
	// refused from memory, without verifying it again.
	let unsupported = claim_for(
		edge_index(1),
		2,
		id,
		5,
		&[keys::sign_receipt(
			&session,
			&GENESIS,
			Receipt { ticket_id: [0xEE; 16], bytes_total: 5, chunks_verified: 1 },
		)],
	);
	for _ in 0..2 {
		let r = confirm(&unsupported).await;
		assert_eq!(
			(r.status.as_u16(), r.json()["error"].as_str()),
			(422, Some("nothing_confirmed"))
		);
	}
	let m = http(Method::GET, &format!("{admin}/metrics"), &[], vec![]).await;
	assert!(String::from_utf8_lossy(&m.body).contains("pod_reporter_repeated_refusals_total 1"));

	// A claim signed by another key is refused.
	let mut forged = honest.clone();
	forged.signature = keys::sign(&session, DomainTag::Claim, &GENESIS, &forged.claim);
	forged.claim.window = 2;
	assert_eq!(confirm(&forged).await.json()["error"], "bad_claim_signature");

	// A reporter restart changes nothing: the stored confirmation is repeated.
	// A graceful stop closes the edges' keep-alive connections too, so the
	// last handle on the store goes with the server.
	stop.send(()).unwrap();
	server.await.unwrap();
	for _ in 0..100 {
		if Arc::strong_count(&rep) == 1 {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert_eq!(Arc::strong_count(&rep), 1, "nothing else holds the reporter");
	drop(rep);
	let Running { reporter: rep2, url: url2, admin: admin2, stop: _stop2, server: _server2 } =
		start(&tmp.path().join("reporter"), 4).await;
	let again = http(Method::POST, &format!("{url2}/confirm"), &[], honest.encode()).await;
	assert_eq!(again.body, ok.body, "a resent claim gets the identical confirmation");

	// An audit fetches a chunk as a client would and checks it; it is
	// triggered on the admin plane only, which also has the metrics.
	tokio::time::sleep(Duration::from_millis(1_200)).await; // heartbeats now list the content
	for route in ["audit", "metrics"] {
		let method = if route == "audit" { Method::POST } else { Method::GET };
		let r = http(method, &format!("{url2}/{route}"), &[], vec![]).await;
		assert_eq!((r.status.as_u16(), r.error()), (404, "no_route".into()), "{route}");
	}
	let r = http(Method::POST, &format!("{admin2}/audit"), &[], vec![]).await;
	assert_eq!(r.status, 200, "{}", r.error());
	assert_eq!(r.json()["result"], "passed", "{}", r.json());
	drop(rep2);
	let m = http(Method::GET, &format!("{admin2}/metrics"), &[], vec![]).await;
	assert!(
		String::from_utf8_lossy(&m.body).contains("pod_reporter_audits_total{reason=\"passed\"} 1")
	);
	drop((e0, e1));
}

/// An open content needs no grant, but one viewer key, and one client
/// network minting fresh keys, get only so many schedules a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_contents_are_rate_limited_per_viewer_and_network() {
	let tmp = tempfile::tempdir().unwrap();
	// `_stop` keeps the server running until the test ends.
	let Running { reporter: rep, url, stop: _stop, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let m = Manifest::of_bytes(&data(1000), CHUNK);
	let r = post_content(&url, m.id(), "http://o/x".to_string(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	let record = pod_chain::ChainContent {
		owner: CUSTOMER,
		size: m.size,
		price_per_gib: 1,
		origin: vec![],
		retired_from: None,
		budget: Some(1_000),
		open: true,
	};
	rep.records.set_content(m.id(), record);
	let schedule_url = format!("{url}/schedule");
	let ask = |viewer: u8| {
		let req = pod_wire::api::ScheduleRequest {
			content: hex::encode(m.id()),
			client: hex::encode([viewer; 32]),
			region: None,
			count: None,
			grant: None,
		};
		http(Method::POST, &schedule_url, &[], serde_json::to_vec(&req).unwrap())
	};
	// The limits count in fixed minutes of the clock: start where this one
	// has room for the whole test, or a roll-over would reset the counts.
	let into = pod_wire::clock::now_ms() % 60_000;
	if into > 40_000 {
		tokio::time::sleep(Duration::from_millis(60_100 - into)).await;
	}
	// Admitted without a grant (no edge is up, so: no_edges), six times a
	// minute for one viewer key.
	for _ in 0..6 {
		assert_eq!(ask(1).await.json()["error"], "no_edges");
	}
	let r = ask(1).await;
	assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (429, Some("rate_limited")));
	assert!(r.headers.contains_key("retry-after"));
	// Fresh keys from the same network: 60 a minute in all.
	let mut limited = 0;
	for v in 2..=60u8 {
		if ask(v).await.json()["error"] == "rate_limited" {
			limited += 1;
		}
	}
	// Viewer 1 used 6 of the network's 60; viewers 2..=55 the other 54.
	assert_eq!(limited, 5, "the network's 60th schedule is its last");
}

/// No ticket outlives its window: tickets expire when the chain is expected
/// to leave the window, at most `ticket_ttl_secs` after issue, and a window
/// overdue to end still gives them a few seconds.
#[tokio::test]
async fn tickets_expire_at_their_windows_end() {
	let dir = tempfile::tempdir().unwrap();
	let mut cfg = config(dir.path(), "");
	cfg.ticket_ttl_secs = 600;
	let r = Reporter::open_with(cfg, None, GENESIS, 5).unwrap();
	let now = pod_wire::clock::now_ms();
	assert_eq!(r.ticket_expiry(now), now + 600_000, "end unknown: the ttl");
	r.set_window_end(5, now + 20_000);
	assert_eq!(r.ticket_expiry(now), now + 20_000);
	r.set_window_end(5, now + 900_000);
	assert_eq!(r.ticket_expiry(now), now + 600_000);
	r.set_window_end(5, now - 1_000);
	assert_eq!(r.ticket_expiry(now), now + pod_reporter::service::MIN_TICKET_MS);
}

/// An edge's record at the reporter (`/status`), once `done` holds for it.
async fn edge_record(
	reporter: &str,
	edge: u8,
	done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
	let key = hex::encode(edge_public(edge));
	let mut last = serde_json::Value::Null;
	for _ in 0..100 {
		let s = http(Method::GET, &format!("{reporter}/status"), &[], vec![]).await.json();
		let edges = s["edges"].as_array().cloned().unwrap_or_default();
		let found = edges.into_iter().find(|e| e["edge"] == key.as_str()).unwrap_or_default();
		last = found["record"].clone();
		if !last.is_null() && done(&last) {
			return last;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	panic!("edge {edge}'s record never got there: {last}");
}

/// A viewer's signed accusation costs an edge only when the reporter's own
/// audit of the accused chunk finds bad bytes too: a liar is caught, an
/// honest edge accused falsely loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accusations_are_confirmed_by_an_audit() {
	let bytes = Arc::new(data(2 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let id = m.id();
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	// Kept alive to the end: dropping `stop` stops the server.
	let Running { url, stop: _stop, server: _server, reporter: _reporter, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let r = post_content(&url, m.id(), origin.url(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	let corrupt: Vec<u8> = bytes.iter().map(|b| b ^ 0x5A).collect();
	let liar = LiarEdge::start(Arc::new(corrupt)).await;
	heartbeat_as(&url, 5, &liar.url(), id).await;

	// A viewer scheduled on the liar catches it and reports it, signed.
	let session = keys::keypair_from_seed(&[44; 32]);
	let s = schedule(&url, &id, &session, None, Some(1), None).await.unwrap();
	assert_eq!(s.sources[0].ticket.ticket.edge, edge_public(5));
	let plan = FetchPlan {
		content: id,
		manifest: s.manifest.clone(),
		genesis: GENESIS,
		session: session.clone(),
		sources: s.sources.clone(),
		per_source: 1,
		timeout: Duration::from_secs(10),
	};
	let attempt = pod_client::fetch_attempt(plan, &tmp.path().join("out"), |_| {}).await.unwrap();
	assert!(attempt.error.is_some() && attempt.report.sources[0].lying_chunk.is_some());
	let (_, reply) = report(&url, &session, &GENESIS, &s.sources, &attempt.report).await.unwrap();
	assert!(reply.refused.is_empty(), "{:?}", reply.refused);
	let rec = edge_record(&url, 5, |r| r["audits_failed"] == 1).await;
	assert_eq!((rec["lying_reports"].as_u64(), rec["reputation"].as_i64()), (Some(1), Some(-50)));

	// The same accusation again is refused; a false one about an honest
	// edge is audited and costs it nothing.
	let again = report(&url, &session, &GENESIS, &s.sources, &attempt.report).await.unwrap().1;
	assert!(again.refused.iter().any(|r| r.contains("already accused")), "{:?}", again.refused);
	let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1");
	let honest = EdgeProc::start(&tmp.path().join("e0"), 0, &extra);
	edge_record(&url, 0, |_| true).await;
	let viewer = keys::keypair_from_seed(&[45; 32]);
	let s = schedule(&url, &id, &viewer, None, Some(2), None).await.unwrap();
	let src = s.sources.iter().find(|x| x.ticket.ticket.edge == edge_public(0)).unwrap();
	let a = pod_primitives::Accusation { ticket_id: src.ticket.ticket.ticket_id, chunk: 1 };
	let body = pod_wire::api::ClientReport {
		receipts: vec![],
		lying: vec![pod_wire::hex::encode_scale(&keys::sign_accusation(&viewer, &GENESIS, a))],
	};
	let r = http(Method::POST, &format!("{url}/reports"), &[], serde_json::to_vec(&body).unwrap())
		.await;
	assert_eq!(r.status, 200, "{}", r.error());
	let rec = edge_record(&url, 0, |r| r["audits_passed"] == 1).await;
	assert_eq!((rec["lying_reports"].as_u64(), rec["audits_failed"].as_u64()), (Some(0), Some(0)));
	// Nor does it gain: accusing one's own edges falsely pumps nothing.
	assert_eq!(rec["reputation"].as_i64(), Some(0), "{rec}");
	drop(honest);
}

/// A customer whose own origin fails cannot exclude honest edges: an
/// audit the edge refuses because it cannot fill the chunk is recorded,
/// but only bad bytes the reporter receives cost reputation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_origin_costs_the_edge_no_reputation() {
	let bytes = Arc::new(data(2 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let Running { url, admin, stop: _stop, server: _server, reporter: _reporter } =
		start(&tmp.path().join("reporter"), 3).await;
	let r = post_content(&url, m.id(), origin.url(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1");
	let edge = EdgeProc::start(&tmp.path().join("e0"), 0, &extra);
	hold(&edge, &m, &origin.url()).await;
	origin.stop();
	edge_record(&url, 0, |r| r["held"].as_array().is_some_and(|h| !h.is_empty())).await;
	for _ in 0..3 {
		let audit = http(Method::POST, &format!("{admin}/audit"), &[], vec![]).await;
		assert_eq!(audit.json()["result"], "refused", "{}", String::from_utf8_lossy(&audit.body));
	}
	let rec = edge_record(&url, 0, |r| r["audits_failed"] == 3).await;
	assert_eq!(rec["reputation"].as_i64(), Some(0), "{rec}");
	assert!(rec["last_failure"].as_str().unwrap_or_default().starts_with("refused"), "{rec}");
}

/// An edge that serves right whole chunks but wrong verified slices (lying
/// only to viewers who seek) fails the reporter's audit: it asks for one
/// group as a slice after the whole chunk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_lying_only_in_slices_fails_its_audit() {
	let bytes = Arc::new(data(2 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let Running { url, admin, stop: _stop, server: _server, reporter: _reporter } =
		start(&tmp.path().join("reporter"), 3).await;
	let r = post_content(&url, m.id(), origin.url(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	let corrupt: Vec<u8> = bytes.iter().map(|b| b ^ 0x5A).collect();
	let liar = LiarEdge::start_with(bytes.clone(), Arc::new(corrupt)).await;
	heartbeat_as(&url, 5, &liar.url(), m.id()).await;
	let audit = http(Method::POST, &format!("{admin}/audit"), &[], vec![]).await;
	assert_eq!(audit.json()["result"], "bad_bytes", "{}", String::from_utf8_lossy(&audit.body));
	let rec = edge_record(&url, 5, |r| r["audits_failed"] == 1).await;
	let why = rec["last_failure"].as_str().unwrap_or_default();
	assert!(why.starts_with("bad_bytes: bytes "), "{rec}");
}

/// A download that outlives its tickets (they expire with their window; here
/// after 3 s, from an edge capped at 1 MiB/s) renews them: `pod fetch`
/// reports its receipts, asks again under the same grant and resumes. The
/// grant's budget is exactly the content's size, so the renewal is possible
/// only because the expired ticket gave back what it did not use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_outliving_its_tickets_renews_them() {
	let bytes = Arc::new(data(6 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let id = m.id();
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let Running { reporter: rep, url, stop: _stop, server: _server, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1\nrate_limit = 1048576");
	let _edge = EdgeProc::start(&tmp.path().join("e0"), 0, &extra);
	let r = post_content(&url, m.id(), origin.url(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	edge_record(&url, 0, |_| true).await;
	let seed = [46u8; 32];
	let viewer = keys::keypair_from_seed(&seed);
	let grant = customer_only(&rep, id, m.size, &viewer, m.size);
	let out = tmp.path().join("out.bin");
	let output = std::process::Command::new(binary("pod"))
		.arg("fetch")
		.arg(hex::encode(id))
		.arg("-o")
		.arg(&out)
		.args(["--reporter", &url, "--session-seed", &hex::encode(seed), "--quiet"])
		.args(["--grant", &pod_wire::hex::encode_scale(&grant)])
		.output()
		.unwrap();
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(output.status.success(), "{stderr}");
	assert!(stderr.contains("renewing the tickets"), "{stderr}");
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	let summary: pod_client::FetchSummary = serde_json::from_slice(&output.stdout).unwrap();
	assert_eq!(summary.sources.iter().map(|s| s.bytes).sum::<u64>(), m.size);
}

/// A viewer that reports less than it signed, to get its allowance back at
/// renewal, cannot make its grant pay more than its budget, and cannot
/// lower what its signed receipt is worth to the edge that holds it: the
/// first edge is paid its whole receipt, the renewed ticket only what the
/// budget has left (here nothing), every cut explained.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_reporting_to_renew_never_pays_a_grant_above_its_budget() {
	let m = Manifest::of_bytes(&data(4 * CHUNK as usize), CHUNK);
	let id = m.id();
	let tmp = tempfile::tempdir().unwrap();
	let Running { reporter: rep, url, stop: _stop, server: _server, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let r = post_content(&url, id, "http://127.0.0.1:9/c".into(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	for edge in [0, 1] {
		heartbeat_as(&url, edge, &format!("http://127.0.0.1:{}", 10 + edge), id).await;
	}
	let viewer = keys::keypair_from_seed(&[47; 32]);
	let grant = customer_only(&rep, id, m.size, &viewer, m.size);
	let signed = |t: &pod_primitives::SignedTicket, bytes: u64| {
		let r = Receipt { ticket_id: t.ticket.ticket_id, bytes_total: bytes, chunks_verified: 1 };
		keys::sign_receipt(&viewer, &GENESIS, r)
	};
	let edge_of = |t: &pod_primitives::SignedTicket| {
		(0..2u8).find(|e| edge_public(*e) == t.ticket.edge).unwrap()
	};

	// The whole budget in one ticket; the viewer signs for all of it but
	// reports one chunk, and renews once the ticket has expired.
	let first = schedule(&url, &id, &viewer, None, Some(1), Some(&grant)).await.unwrap();
	let t1 = first.sources[0].ticket.clone();
	assert_eq!(t1.ticket.max_bytes, m.size);
	let under = pod_wire::api::ClientReport {
		receipts: vec![pod_wire::hex::encode_scale(&signed(&t1, u64::from(CHUNK)))],
		lying: vec![],
	};
	let r = http(Method::POST, &format!("{url}/reports"), &[], serde_json::to_vec(&under).unwrap())
		.await;
	assert_eq!(r.status, 200, "{}", r.error());
	rep.set_window(4);
	tokio::time::sleep(Duration::from_millis(3_300)).await;
	let renewed = schedule(&url, &id, &viewer, None, Some(1), Some(&grant)).await.unwrap();
	let t2 = renewed.sources[0].ticket.clone();
	assert_eq!((t2.ticket.window, t2.ticket.max_bytes), (4, m.size - u64::from(CHUNK)));

	// The first edge is paid its whole signed receipt (a dispute, not a cut).
	let confirm = |req: ConfirmRequest| {
		let url = format!("{url}/confirm");
		async move { http(Method::POST, &url, &[], req.encode()).await }
	};
	let whole = signed(&t1, m.size);
	let ok = confirm(claim_for(edge_of(&t1), 3, id, m.size, &[whole])).await;
	assert_eq!(ok.status, 200, "{}", ok.error());
	let c: ConfirmResponse = serde_json::from_slice(&ok.body).unwrap();
	assert_eq!((c.confirmed_bytes, c.reductions.len(), c.disputes.len()), (m.size, 0, 1));

	// The renewed ticket's receipts are real too, but the grant has been
	// paid its budget: nothing more is confirmed under it.
	rep.set_window(5);
	tokio::time::sleep(Duration::from_millis(3_300)).await;
	let rest = m.size - u64::from(CHUNK);
	let r = confirm(claim_for(edge_of(&t2), 4, id, rest, &[signed(&t2, rest)])).await;
	assert_eq!((r.status.as_u16(), r.error()), (422, "nothing_confirmed".into()));
	assert!(String::from_utf8_lossy(&r.body).contains("grant_budget_reached"), "{}", r.error());
}

/// Sends `head` (a request line and headers, blank line included) and
/// `body` on a fresh connection, and what the reporter answers within 2 s
/// (`None`: it is still reading).
async fn raw_request(url: &str, head: &str, body: &[u8]) -> Option<String> {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut s = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
	s.write_all(head.as_bytes()).await.unwrap();
	s.write_all(body).await.unwrap();
	let mut buf = vec![0u8; 4096];
	let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await.ok()?;
	Some(String::from_utf8_lossy(&buf[..read.unwrap()]).into_owned())
}

/// Every route's body is bounded before any work on it: a body declared
/// over the route's limit is refused (`413 bad_body`) before a byte of it
/// is sent, one sent without a length is cut off at the limit, and a body
/// within the limit reaches the route's own checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_their_routes_limit_are_refused_unread() {
	let tmp = tempfile::tempdir().unwrap();
	let r = start(tmp.path(), 1).await;
	let confirm_limit = pod_wire::api::MAX_CONFIRM_RECEIPTS * 96 + (64 << 10);
	let routes = [
		("schedule", 64 << 10),
		("heartbeat", 4 << 20),
		("reports", 16 << 20),
		("confirm", confirm_limit),
	];
	for (route, limit) in routes {
		let head =
			format!("POST /{route} HTTP/1.1\r\nhost: r\r\ncontent-length: {}\r\n\r\n", limit + 1);
		let answer = raw_request(&r.url, &head, b"").await;
		let answer = answer.unwrap_or_else(|| panic!("/{route}: an over-long body was waited for"));
		assert!(answer.starts_with("HTTP/1.1 413"), "/{route}: {answer}");
		assert!(answer.contains("bad_body"), "/{route}: {answer}");
		// Within the limit, the route's own decoding speaks.
		let ok = http(Method::POST, &format!("{}/{route}", r.url), &[], vec![b'x'; 16]).await;
		assert_eq!(ok.status.as_u16(), 400, "/{route}: {}", ok.error());
	}
	// Chunked, no length declared: read up to the limit, then refused.
	let head = "POST /schedule HTTP/1.1\r\nhost: r\r\ntransfer-encoding: chunked\r\n\r\n";
	let over = (64 << 10) + 1;
	let chunk = [format!("{over:x}\r\n").into_bytes(), vec![b'x'; over]].concat();
	let answer = raw_request(&r.url, head, &chunk).await.expect("answered at the limit");
	assert!(answer.starts_with("HTTP/1.1 413"), "chunked: {answer}");
	let _ = r.stop.send(());
	r.server.await.unwrap();
}

/// A page's preflight for `route` from `page`: the allowed origin the
/// reporter answers with, if any.
async fn preflight(url: &str, route: &str, page: &str) -> Option<String> {
	let r = http(
		Method::OPTIONS,
		&format!("{url}/{route}"),
		&[
			("origin", page.into()),
			("access-control-request-method", "POST".into()),
			("access-control-request-headers", "content-type".into()),
		],
		vec![],
	)
	.await;
	assert!(r.status.is_success(), "{route}: {}", r.status);
	r.headers.get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
}

/// Pages may call the reporter: any origin by default; with
/// `cors_origins` set, only those listed (a preflight from another origin
/// gets no permission, so the browser sends nothing). Over HTTPS with a
/// certificate, HTTP/2 by ALPN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_may_call_the_reporter_from_the_origins_it_allows() {
	let tmp = tempfile::tempdir().unwrap();
	let any = start(&tmp.path().join("any"), 1).await;
	for route in ["schedule", "reports"] {
		assert_eq!(preflight(&any.url, route, "https://a.example").await.as_deref(), Some("*"));
	}
	let only = "cors_origins = [\"https://pub.example\"]\n";
	let listed = start_with(&tmp.path().join("listed"), 1, only).await;
	let allowed = preflight(&listed.url, "schedule", "https://pub.example").await;
	assert_eq!(allowed.as_deref(), Some("https://pub.example"));
	assert_eq!(preflight(&listed.url, "schedule", "https://evil.example").await, None);
	let bad = Reporter::open_with(
		config(&tmp.path().join("bad"), "cors_origins = [\"pub.example\"]\n"),
		None,
		GENESIS,
		1,
	);
	let e = bad.unwrap_err().to_string();
	assert!(e.contains("cors_origins") && e.contains("pub.example"), "{e}");
	let pki = tmp.path().join("pki");
	let (ca, _) = test_ca(&pki);
	let tls = start_with(&tmp.path().join("tls"), 1, &tls_settings(&pki)).await;
	let https = tls.url.replace("http://", "https://");
	let r = client_trusting(&ca)
		.request(
			hyper::Request::get(format!("{https}/status"))
				.body(http_body_util::Full::default())
				.unwrap(),
		)
		.await
		.unwrap();
	assert_eq!((r.status().as_u16(), r.version()), (200, hyper::Version::HTTP_2));
}

/// Tickets are issued only against money that will be there (issue #24
/// point 3): a customer with no escrow, a budget of one unit, a spending
/// limit of zero — each refused with its own code before any ticket exists
/// — and an escrow that pays for some tickets gets those, then no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_issued_only_against_money_that_will_be_there() {
	let tmp = tempfile::tempdir().unwrap();
	let Running { reporter: rep, url, stop: _stop, .. } =
		start(&tmp.path().join("reporter"), 3).await;
	let size = 4 * CHUNK as u64 + 5;
	let m = Manifest::of_bytes(&data(size as usize), CHUNK);
	let r = post_content(&url, m.id(), "http://o/x".to_string(), m.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
	for e in 0..3 {
		heartbeat_as(&url, e, &format!("http://127.0.0.{}:9", e + 10), m.id()).await;
	}
	const BIG: u128 = 1 << 100;
	// One unit per byte: what a ticket may charge is its allowance (+1).
	let terms = |owner: u8, escrow: u128, limit: Option<u128>, budget: u128| {
		let record = pod_chain::ChainContent {
			owner: [owner; 32],
			size,
			price_per_gib: 1 << 30,
			origin: vec![],
			retired_from: None,
			budget: Some(budget),
			open: true,
		};
		rep.records.set_content(m.id(), record);
		let funds = pod_reporter::grants::Funds { escrow, spend_limit: limit };
		rep.records.set_funds([owner; 32], funds);
	};
	let schedule_url = format!("{url}/schedule");
	let ask = |viewer: u8| {
		let req = pod_wire::api::ScheduleRequest {
			content: hex::encode(m.id()),
			client: hex::encode([viewer; 32]),
			region: None,
			count: None,
			grant: None,
		};
		http(Method::POST, &schedule_url, &[], serde_json::to_vec(&req).unwrap())
	};
	for (owner, escrow, limit, budget, code) in [
		(1, 0, None, BIG, "escrow_exhausted"),
		(2, BIG, None, 1, "budget_reached"),
		(3, BIG, Some(0), BIG, "spend_limit_reached"),
	] {
		terms(owner, escrow, limit, budget);
		let r = ask(owner).await;
		assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (402, Some(code)));
	}
	// Escrow for one schedule's three tickets (each allows 4 of the 5
	// chunks: any two can finish) and two chunks more: the first schedule
	// gets its three, the second one ticket of two whole chunks, the third
	// nothing.
	let allowed = |r: &Reply| -> Vec<u64> {
		assert_eq!(r.status, 200, "{}", r.error());
		let edges = r.json()["edges"].as_array().unwrap().clone();
		let ticket = |e: &serde_json::Value| -> pod_primitives::SignedTicket {
			pod_wire::hex::scale("ticket", e["ticket"].as_str().unwrap()).unwrap()
		};
		edges.iter().map(|e| ticket(e).ticket.max_bytes).collect()
	};
	let chunk = CHUNK as u64;
	let worth = |bytes: u64| bytes as u128 + 1;
	terms(4, 3 * worth(4 * chunk) + worth(2 * chunk) + 1, None, BIG);
	assert_eq!(allowed(&ask(4).await), vec![4 * chunk; 3]);
	assert_eq!(allowed(&ask(5).await), vec![2 * chunk]);
	let third = ask(6).await;
	assert_eq!(
		(third.status.as_u16(), third.json()["error"].as_str()),
		(402, Some("escrow_exhausted"))
	);
}
