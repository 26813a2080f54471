//! Edges exchanging chunks over libp2p, and reporter orders over gossipsub.

use hyper::Method;
use pod_client::{fetch, FetchPlan, Source};
use pod_edge::fill::PeerSource;
use pod_edge::p2p::{peer_id_of, Peers};
use pod_edge::peer_gate::PeerGate;
use pod_primitives::{keys, DomainTag, HoldOrder, Manifest, PeerCredential, SignedOrder};
use pod_testkit::*;
use std::sync::Arc;
use std::time::Duration;

async fn metric(e: &EdgeProc, needle: &str) -> u64 {
	let r = http(Method::GET, &format!("{}/metrics", e.admin_url()), &[], vec![]).await;
	let text = String::from_utf8(r.body.to_vec()).unwrap();
	text.lines()
		.find(|l| l.starts_with(needle))
		.and_then(|l| l.rsplit(' ').next())
		.and_then(|v| v.parse().ok())
		.unwrap_or(0)
}

/// Edge 0, on the peer layer, holding `bytes` as a content with every chunk
/// in its cache (prefetched from an origin that is then stopped).
async fn edge_holding(dir: &std::path::Path, bytes: Arc<Vec<u8>>) -> (EdgeProc, Manifest) {
	edge_holding_with(dir, bytes, "").await
}

/// [`edge_holding`] with more configuration.
async fn edge_holding_with(
	dir: &std::path::Path,
	bytes: Arc<Vec<u8>>,
	config: &str,
) -> (EdgeProc, Manifest) {
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let a = EdgeProc::start(dir, 0, &format!("p2p_listen = \"/ip4/127.0.0.1/tcp/0\"\n{config}"));
	hold(&a, &m, &origin.url()).await;
	let r = http(
		Method::POST,
		&format!("{}/hold/{}?prefetch=1", a.admin_url(), hex::encode(m.id())),
		&[("x-pod-origin", origin.url()), a.admin_auth()],
		codec::Encode::encode(&m),
	)
	.await;
	assert_eq!(r.status, 200);
	for _ in 0..100 {
		if status(&a).await["cache"]["chunks"] == m.chunks.len() {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	origin.stop();
	(a, m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_edge_fills_from_first_over_libp2p() {
	let bytes = Arc::new(data(3 * CHUNK as usize + 99));
	let tmp = tempfile::tempdir().unwrap();
	let (a, m) = edge_holding(&tmp.path().join("a"), bytes.clone()).await;
	let boot = a.p2p.clone().expect("A runs the peer layer");
	// B knows no origin: only A, as its bootstrap peer.
	let b = EdgeProc::start(
		&tmp.path().join("b"),
		1,
		&format!("p2p_listen = \"/ip4/127.0.0.1/tcp/0\"\nbootstrap = [\"{boot}\"]"),
	);
	let r = http(
		Method::POST,
		&format!("{}/hold/{}", b.admin_url(), hex::encode(m.id())),
		&[b.admin_auth()],
		codec::Encode::encode(&m),
	)
	.await;
	assert_eq!(r.status, 200);
	tokio::time::sleep(Duration::from_millis(500)).await;
	let plan = FetchPlan {
		content: m.id(),
		manifest: m.clone(),
		genesis: GENESIS,
		session: keys::keypair_from_seed(&CLIENT_SEED),
		sources: vec![Source {
			url: b.url(),
			ticket: ticket_for(edge_public(1), m.id(), m.size, 600_000, 1),
		}],
		per_source: 2,
		timeout: Duration::from_secs(20),
	};
	let out = tmp.path().join("out");
	fetch(plan, &out, |_| {}).await.unwrap();
	assert_eq!(std::fs::read(&out).unwrap(), *bytes);
	assert_eq!(metric(&b, "pod_edge_fills_total{source=\"Peer\"}").await, 4);
}

/// A chunk `peer` must get: asked again while the peer layer is still
/// finding its way to the holder (a provider search before the routing
/// table is filled finds nobody), for up to 10 s.
async fn fetched(peer: &Peers, content: [u8; 32], index: u32) -> Option<bytes::Bytes> {
	for _ in 0..40 {
		if let Some(b) = peer.fetch(content, index).await {
			return Some(b);
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	None
}

/// [`bare_peer`], which must start.
fn bare_peer_ok(seed: u8, boot: &str, credential: PeerCredential) -> Peers {
	bare_peer(seed, boot, credential).unwrap()
}

/// Chunks go only to a peer whose credential binds an edge key to its own
/// peer id: one replayed from another peer id gets nothing (and is
/// counted), the right one gets the verified chunk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_go_only_to_peers_whose_credential_names_them() {
	let bytes = Arc::new(data(CHUNK as usize + 7));
	let tmp = tempfile::tempdir().unwrap();
	let (a, m) = edge_holding(&tmp.path().join("a"), bytes.clone()).await;
	let boot = a.p2p.clone().expect("A runs the peer layer");
	let key = keys::keypair_from_seed(&edge_seed(5));
	let elsewhere = PeerGate::credential(&key, &GENESIS, &peer_id_of([97; 32]).unwrap());
	let replayed = bare_peer_ok(98, &boot, elsewhere);
	tokio::time::sleep(Duration::from_millis(500)).await;
	// Asked until the edge has heard it (and counted its refusal): never served.
	let refused = "pod_edge_rejected_total{reason=\"peer_not_admitted\"}";
	for _ in 0..40 {
		assert_eq!(replayed.fetch(m.id(), 0).await, None, "a replayed credential was served");
		if metric(&a, refused).await >= 1 {
			break;
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	assert!(metric(&a, refused).await >= 1);
	let own = PeerGate::credential(&key, &GENESIS, &peer_id_of([96; 32]).unwrap());
	let honest = bare_peer_ok(96, &boot, own);
	tokio::time::sleep(Duration::from_millis(500)).await;
	let chunk = fetched(&honest, m.id(), 0).await.expect("an edge's own credential is honoured");
	assert_eq!(&chunk[..], &bytes[..CHUNK as usize]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporter_order_makes_an_edge_prefetch() {
	let bytes = Arc::new(data(2 * CHUNK as usize));
	let m = Manifest::of_bytes(&bytes, CHUNK);
	let origin = Origin::start(bytes.clone()).await;
	let tmp = tempfile::tempdir().unwrap();
	let e = EdgeProc::start(&tmp.path().join("e"), 0, "p2p_listen = \"/ip4/127.0.0.1/tcp/0\"");
	// The "reporter": a bare peer that gossips a signed order.
	let unused = PeerCredential { edge: [0; 32], signature: [0; 64] };
	let reporter = bare_peer_ok(99, e.p2p.as_deref().unwrap(), unused);
	let order = HoldOrder {
		content: m.id(),
		manifest: codec::Encode::encode(&m),
		origin: origin.url().into_bytes(),
		expires_at: now_ms() + 600_000,
	};
	let key = keys::keypair_from_seed(&REPORTER_SEED);
	let signed = SignedOrder {
		signature: keys::sign(&key, DomainTag::Order, &GENESIS, &order.terms()),
		reporter: key.public.to_bytes(),
		order,
	};
	// Gossipsub needs a heartbeat or two to form the mesh: publish until it
	// lands (each attempt a new order: the same bytes again are a duplicate).
	let mut held = false;
	for attempt in 0..60 {
		let mut o = signed.clone();
		o.order.expires_at += attempt;
		o.signature = keys::sign(&key, DomainTag::Order, &GENESIS, &o.order.terms());
		reporter.publish(o).await;
		tokio::time::sleep(Duration::from_millis(250)).await;
		if status(&e).await["cache"]["chunks"] == 2 {
			held = true;
			break;
		}
	}
	assert!(held, "{}", status(&e).await);
	// A well-formed order for another content, signed by a key that is not a
	// reporter, is ignored.
	let rogue = keys::keypair_from_seed(&[5; 32]);
	let other = Manifest::of_bytes(&data(1000), CHUNK);
	let mut forged = signed.clone();
	forged.order.content = other.id();
	forged.order.manifest = codec::Encode::encode(&other);
	forged.reporter = rogue.public.to_bytes();
	forged.signature = keys::sign(&rogue, DomainTag::Order, &GENESIS, &forged.order.terms());
	reporter.publish(forged).await;
	tokio::time::sleep(Duration::from_millis(500)).await;
	assert_eq!(status(&e).await["contents"], 1);
}

/// Chunks served to peers count against the operator's monthly cap like
/// the data plane's bytes: once the cap is reached, peers get nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_are_served_within_the_monthly_cap() {
	let bytes = Arc::new(data(3 * CHUNK as usize));
	let tmp = tempfile::tempdir().unwrap();
	let cap = format!("monthly_cap = {}", CHUNK + CHUNK / 2);
	let (a, m) = edge_holding_with(&tmp.path().join("a"), bytes.clone(), &cap).await;
	let boot = a.p2p.clone().expect("A runs the peer layer");
	let key = keys::keypair_from_seed(&edge_seed(5));
	let own = PeerGate::credential(&key, &GENESIS, &peer_id_of([95; 32]).unwrap());
	let peer = bare_peer_ok(95, &boot, own);
	tokio::time::sleep(Duration::from_millis(500)).await;
	let first = fetched(&peer, m.id(), 0).await.expect("the first chunk is within the cap");
	assert_eq!(&first[..], &bytes[..CHUNK as usize]);
	assert_eq!(peer.fetch(m.id(), 1).await, None, "a chunk over the cap was served");
	let served = &status(&a).await["bandwidth"]["served_this_month"];
	assert_eq!(served.as_u64(), Some(u64::from(CHUNK)), "{served}");
}
