//! Messages between edges, clients and the reporter. Signed and chain-bound
//! parts are SCALE (hex in JSON); the rest is JSON for people and scripts.

use codec::{Decode, Encode};
use pod_primitives::{
	sign, AttestationPayload, Claim, ContentId, DomainTag, PublicKey, Signature, SignedReceipt,
};
use serde::{Deserialize, Serialize};

/// An edge's periodic report of itself; its first one registers it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Heartbeat {
	pub edge: PublicKey,
	/// Base URL of the edge's data plane.
	pub url: Vec<u8>,
	pub region: Vec<u8>,
	/// Bytes per second the operator lends (0: unknown).
	pub capacity: u64,
	/// Live serving sessions.
	pub load: u32,
	/// Free bytes under the cache quota.
	pub free_disk: u64,
	/// Contents the edge holds.
	pub held: Vec<ContentId>,
	/// Unix time (ms) the heartbeat was made; stale ones are refused.
	pub at_ms: u64,
}

/// A heartbeat signed by the edge's key under [`DomainTag::Heartbeat`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct SignedHeartbeat {
	pub heartbeat: Heartbeat,
	pub signature: Signature,
}

impl SignedHeartbeat {
	/// Signs `heartbeat` with the edge's key.
	pub fn sign(key: &sign::Keypair, genesis: &[u8; 32], heartbeat: Heartbeat) -> Self {
		let signature = sign::sign(key, DomainTag::Heartbeat, genesis, &heartbeat);
		SignedHeartbeat { heartbeat, signature }
	}

	/// Whether the edge key in the heartbeat signed it.
	pub fn verify(&self, genesis: &[u8; 32]) -> bool {
		sign::verify(
			&self.heartbeat.edge,
			&self.signature,
			DomainTag::Heartbeat,
			genesis,
			&self.heartbeat,
		)
	}
}

/// What an edge sends to have a window confirmed (body of `POST /confirm`, SCALE).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ConfirmRequest {
	pub claim: Claim,
	/// The edge's signature over `claim` under [`DomainTag::Claim`].
	pub signature: Signature,
	/// The best receipt of every ticket the claim covers.
	pub receipts: Vec<SignedReceipt>,
}

/// Why confirmed bytes are below claimed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduction {
	/// Machine-readable reason, e.g. `capped_by_max_bytes`.
	pub reason: String,
	/// The receipt's ticket (hex), when the reduction is about one receipt.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub ticket: Option<String>,
	/// The content (hex), when the reduction is about a claim entry.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub content: Option<String>,
	pub claimed: u64,
	pub confirmed: u64,
	pub detail: String,
}

/// The reporter's answer to `POST /confirm` (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmResponse {
	/// Hex SCALE [`AttestationPayload`]: what the reporter co-signs.
	pub payload: String,
	/// The reporter's public key (hex).
	pub reporter: String,
	/// The reporter's signature over the payload under `DomainTag::Attestation` (hex).
	pub signature: String,
	pub claimed_bytes: u64,
	pub confirmed_bytes: u64,
	/// Every reduction, with its reason.
	pub reductions: Vec<Reduction>,
}

impl ConfirmResponse {
	/// The decoded payload, reporter and signature.
	pub fn decode(&self) -> Result<(AttestationPayload, PublicKey, Signature), String> {
		let payload = hex::decode(&self.payload).map_err(|e| format!("payload hex: {e}"))?;
		let payload = AttestationPayload::decode(&mut &payload[..])
			.map_err(|e| format!("payload does not decode: {e}"))?;
		let reporter: PublicKey = hex::decode(&self.reporter)
			.ok()
			.and_then(|v| v.try_into().ok())
			.ok_or("reporter is not 32 bytes of hex")?;
		let signature: Signature = hex::decode(&self.signature)
			.ok()
			.and_then(|v| v.try_into().ok())
			.ok_or("signature is not 64 bytes of hex")?;
		Ok((payload, reporter, signature))
	}
}

/// `POST /schedule`: a client asks where to get a content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRequest {
	/// Content id (hex).
	pub content: String,
	/// The client's session public key (hex); tickets name it.
	pub client: String,
	#[serde(default)]
	pub region: Option<String>,
	/// How many edges (default 3).
	#[serde(default)]
	pub count: Option<usize>,
}

/// One edge in a schedule, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledEdge {
	pub edge: String,
	pub url: String,
	pub region: String,
	pub score: i64,
	/// Hex SCALE `SignedTicket` for this edge.
	pub ticket: String,
}

/// The reporter's answer to `POST /schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleResponse {
	pub content: String,
	/// Genesis hash (hex) receipts must be signed for.
	pub genesis: String,
	/// Path of the manifest on the reporter (SCALE).
	pub manifest: String,
	pub window: u32,
	pub edges: Vec<ScheduledEdge>,
}

/// `POST /reports`: a client's own receipts, and the edges it caught lying.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReport {
	/// Hex SCALE `SignedReceipt`s (the last one per ticket is enough).
	pub receipts: Vec<String>,
	/// Hex ids of tickets whose edge served bytes failing their hash (only
	/// someone holding a ticket for an edge can accuse it).
	#[serde(default)]
	pub lying: Vec<String>,
}
