//! What each fuzz target checks, shared by the libFuzzer targets in
//! `fuzz_targets/` (one per decoder that takes bytes from outside) and by the
//! `seeds` binary, which writes a valid example of each into its corpus.
//!
//! Every harness feeds the bytes to the decoder the services use and, when
//! they decode, checks the value's one encoding is exactly those bytes (a
//! second encoding of a ticket, a receipt or a manifest would be a second id
//! or a replay under another hash) or, for text, that it survives its own
//! round trip. A panic, an overflow (the profile keeps overflow checks on),
//! an allocation beyond libFuzzer's `-rss_limit_mb` or a timeout is a crash.

use codec::{Decode, Encode};
use pod_primitives::{
	Accusation, Attestation, AttestationPayload, Claim, Manifest, SignedAccusation, SignedGrant,
	SignedOrder, SignedReceipt, SignedTicket,
};
use pod_wire::api::{ClientReport, ConfirmRequest, ScheduleRequest, SignedHeartbeat};
use pod_wire::hex::{decode_all, encode_scale, hex32, scale};
use std::fmt::Debug;

/// Decodes `data` as one `T` (trailing bytes refused, as every service
/// does) and checks its encoding is `data`.
pub fn scale_value<T: Decode + Encode + Debug>(what: &'static str, data: &[u8]) {
	if let Ok(v) = decode_all::<T>(what, data) {
		assert_eq!(v.encode(), data, "{what} {v:?} has a second encoding");
	}
}

/// Hex SCALE text as a header or a JSON field carries it: what decodes
/// decodes again, to the same value, from its own hex.
pub fn hex_value<T: Decode + Encode + Debug + PartialEq>(what: &'static str, text: &str) {
	if let Ok(v) = scale::<T>(what, text) {
		assert_eq!(scale::<T>(what, &encode_scale(&v)).as_ref(), Ok(&v), "{what}");
	}
}

/// The SCALE wire types, by target name.
pub mod wire {
	use super::*;

	/// `x-pod-ticket` bytes; tickets inside schedules.
	pub fn ticket(data: &[u8]) {
		scale_value::<SignedTicket>("ticket", data)
	}
	/// `x-pod-receipt` bytes; receipts in reports and confirmations.
	pub fn receipt(data: &[u8]) {
		scale_value::<SignedReceipt>("receipt", data)
	}
	/// An edge's claim.
	pub fn claim(data: &[u8]) {
		scale_value::<Claim>("claim", data)
	}
	/// A reporter's hold order (gossip) and its signed terms (an edge's
	/// `x-pod-order` header).
	pub fn order(data: &[u8]) {
		scale_value::<SignedOrder>("order", data);
		scale_value::<pod_primitives::SignedOrderTerms>("order terms", data);
	}
	/// An edge's heartbeat (the reporter's `/heartbeat` body).
	pub fn heartbeat(data: &[u8]) {
		scale_value::<SignedHeartbeat>("heartbeat", data)
	}
	/// An attestation and its payload (the chain's extrinsic argument).
	pub fn attestation(data: &[u8]) {
		scale_value::<Attestation>("attestation", data);
		scale_value::<AttestationPayload>("attestation payload", data);
	}
	/// A viewer grant.
	pub fn grant(data: &[u8]) {
		scale_value::<SignedGrant>("grant", data)
	}
	/// A viewer's accusation.
	pub fn accusation(data: &[u8]) {
		scale_value::<SignedAccusation>("accusation", data)
	}
	/// The reporter's `/confirm` body.
	pub fn confirm_request(data: &[u8]) {
		scale_value::<ConfirmRequest>("confirm request", data)
	}
}

/// Manifest bytes as an origin, a reporter, a peer or `/contents` sends
/// them: what passes is consistent, is its own one encoding, and is the
/// content its hash names.
pub fn manifest(data: &[u8]) {
	let Ok(m) = pod_wire::manifest::decode_manifest(data, None) else { return };
	assert_eq!(m.encode(), data, "a manifest with a second encoding");
	assert!(m.validate().is_ok());
	let id = pod_primitives::content_id(data);
	assert_eq!(pod_wire::manifest::decode_manifest(data, Some(&id)).as_ref(), Ok(&m));
}

/// A `Range` header against a length from the first 8 bytes: a partial
/// range always lies inside the representation.
pub fn range(data: &[u8]) {
	if data.len() < 8 {
		return;
	}
	let len = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
	let Ok(header) = std::str::from_utf8(&data[8..]) else { return };
	if let pod_wire::range::RangeSpec::Partial { start, end } =
		pod_wire::range::parse(Some(header), len)
	{
		assert!(start <= end && end < len, "{header:?} of {len}: {start}-{end}");
	}
}

/// The edge's `x-pod-ticket` and `x-pod-receipt` header values.
pub fn headers(data: &[u8]) {
	let Ok(text) = std::str::from_utf8(data) else { return };
	hex_value::<SignedTicket>("ticket header", text);
	hex_value::<SignedReceipt>("receipt header", text);
}

/// The reporter's `/schedule` JSON body and the fields it decodes.
pub fn schedule_json(data: &[u8]) {
	let Ok(req) = serde_json::from_slice::<ScheduleRequest>(data) else { return };
	let _ = hex32("content", &req.content);
	let _ = hex32("client", &req.client);
	if let Some(g) = &req.grant {
		hex_value::<SignedGrant>("grant", g);
	}
	let again: ScheduleRequest = serde_json::from_slice(&serde_json::to_vec(&req).unwrap())
		.expect("a schedule request re-parses");
	assert_eq!(again, req);
}

/// The reporter's `/reports` JSON body and the receipts and accusations
/// inside it.
pub fn report_json(data: &[u8]) {
	let Ok(rep) = serde_json::from_slice::<ClientReport>(data) else { return };
	for r in &rep.receipts {
		hex_value::<SignedReceipt>("receipt", r);
	}
	for a in &rep.lying {
		hex_value::<SignedAccusation>("accusation", a);
	}
}

/// The chunk exchange's frames: a request of any 36 bytes is one
/// `(content, index)` and encodes back to them; a response length is
/// bounded.
pub fn peer_chunk(data: &[u8]) {
	use pod_wire::peer::*;
	if let Ok(request) = decode_request(data) {
		assert_eq!(&encode_request(&request)[..], data);
	}
	if let Some(h) = data.get(..4) {
		if let Ok(Some(n)) = response_len(h.try_into().expect("4 bytes")) {
			assert!(n as u64 <= u64::from(pod_primitives::MAX_CHUNK_SIZE));
		}
	}
}

/// The chain id and the key every sample is signed with.
const G: [u8; 32] = [3; 32];

fn key() -> pod_primitives::keys::Keypair {
	pod_primitives::keys::keypair_from_seed(&[1; 32])
}

fn ticket_and_receipt() -> (SignedTicket, SignedReceipt) {
	use pod_primitives::{keys, Receipt, Ticket};
	let ticket = Ticket {
		ticket_id: [5; 16],
		reporter: key().public.to_bytes(),
		edge: [2; 32],
		client: [4; 32],
		content: [6; 32],
		max_bytes: 1 << 20,
		window: 7,
		expires_at: 1_700_000_000_000,
		grant: Some([8; 32]),
	};
	let receipt = Receipt { ticket_id: [5; 16], bytes_total: 4096, chunks_verified: 1 };
	(keys::sign_ticket(&key(), &G, ticket), keys::sign_receipt(&key(), &G, receipt))
}

fn claim_and_attestation() -> (Claim, Attestation) {
	let pk = key().public.to_bytes();
	let entry = pod_primitives::Entry { content: [6; 32], bytes: 4096 };
	let claim = Claim {
		edge: pk,
		window: 7,
		part: 0,
		entries: vec![entry.clone()].try_into().expect("one entry"),
		receipts_root: [9; 32],
		receipt_count: 1,
	};
	let payload = AttestationPayload {
		edge: pk,
		window: 7,
		part: 1,
		entries: vec![entry].try_into().expect("one entry"),
		receipts_root: [9; 32],
		receipt_count: 1,
	};
	let att =
		Attestation { payload, edge_signature: [2; 64], reporter: pk, reporter_signature: [3; 64] };
	(claim, att)
}

fn manifest_and_order() -> (Manifest, SignedOrder) {
	let m = Manifest::of_bytes(&[7u8; 5000], 1024);
	let order = pod_primitives::HoldOrder {
		content: m.id(),
		manifest: m.encode(),
		origin: b"https://origin.example/c".to_vec(),
		expires_at: 1,
	};
	let so = SignedOrder { order, reporter: key().public.to_bytes(), signature: [1; 64] };
	(m, so)
}

fn grant_and_accusation() -> (SignedGrant, SignedAccusation) {
	use pod_primitives::{keys, ViewerGrant};
	let grant = ViewerGrant {
		customer: [9; 32],
		reporter: key().public.to_bytes(),
		viewer: [4; 32],
		contents: vec![[6; 32]].try_into().expect("one content"),
		budget: 1 << 30,
		expires_at: 2,
		nonce: [1; 16],
	};
	let a = Accusation { ticket_id: [5; 16], chunk: 3 };
	(keys::sign_grant(&key(), &G, grant), keys::sign_accusation(&key(), &G, a))
}

fn heartbeat() -> SignedHeartbeat {
	let hb = pod_wire::api::Heartbeat {
		edge: key().public.to_bytes(),
		url: b"http://127.0.0.1:8080".to_vec(),
		region: b"eu".to_vec(),
		capacity: 1 << 20,
		load: 3,
		free_disk: 1 << 30,
		held: vec![[6; 32]],
		at_ms: 5,
	};
	SignedHeartbeat::sign(&key(), &G, hb)
}

fn json_bodies(sg: &SignedGrant, sr: &SignedReceipt, sa: &SignedAccusation) -> [Vec<u8>; 2] {
	let schedule = ScheduleRequest {
		content: hex::encode([6; 32]),
		client: hex::encode([4; 32]),
		region: Some("eu".into()),
		count: Some(3),
		grant: Some(encode_scale(sg)),
	};
	let report = ClientReport { receipts: vec![encode_scale(sr)], lying: vec![encode_scale(sa)] };
	[serde_json::to_vec(&schedule).unwrap(), serde_json::to_vec(&report).unwrap()]
}

fn peer_request() -> [u8; pod_wire::peer::REQUEST_LEN] {
	let credential = pod_primitives::PeerCredential { edge: [5; 32], signature: [6; 64] };
	pod_wire::peer::encode_request(&pod_wire::peer::ChunkRequest {
		content: [6; 32],
		index: 2,
		credential,
	})
}

/// One valid example per target (two for some), for its starting corpus.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
	let (st, sr) = ticket_and_receipt();
	let (claim, att) = claim_and_attestation();
	let (m, so) = manifest_and_order();
	let (sg, sa) = grant_and_accusation();
	let cr = ConfirmRequest { claim: claim.clone(), signature: [4; 64], receipts: vec![sr] };
	let [schedule, report] = json_bodies(&sg, &sr, &sa);
	let mut range = 5000u64.to_le_bytes().to_vec();
	range.extend_from_slice(b"bytes=100-1999");
	vec![
		("ticket", st.encode()),
		("receipt", sr.encode()),
		("claim", claim.encode()),
		("order", so.encode()),
		("order", so.head().encode()),
		("heartbeat", heartbeat().encode()),
		("attestation", att.encode()),
		("attestation", att.payload.encode()),
		("grant", sg.encode()),
		("accusation", sa.encode()),
		("confirm_request", cr.encode()),
		("manifest", m.encode()),
		("range", range),
		("headers", encode_scale(&st).into_bytes()),
		("headers", encode_scale(&sr).into_bytes()),
		("schedule_json", schedule),
		("report_json", report),
		("peer_chunk", peer_request().to_vec()),
	]
}
