//! Messages between edges, clients and the reporter. Signed and chain-bound
//! parts are SCALE (hex in JSON); the rest is JSON for people and scripts.

use crate::hex::{self, DecodeError};
use crate::primitives::{
	keys, AttestationPayload, Claim, ContentId, DomainTag, PublicKey, Signature, SignedReceipt,
};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};

/// An edge's periodic report of itself; its first one registers it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Heartbeat {
	/// The edge's public key.
	pub edge: PublicKey,
	/// Base URL of the edge's data plane.
	pub url: Vec<u8>,
	/// Region the edge says it serves (UTF-8).
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
	/// What the edge says.
	pub heartbeat: Heartbeat,
	/// The edge's signature over it.
	pub signature: Signature,
}

impl SignedHeartbeat {
	/// Signs `heartbeat` with the edge's key.
	pub fn sign(key: &keys::Keypair, genesis: &[u8; 32], heartbeat: Heartbeat) -> Self {
		let signature = keys::sign(key, DomainTag::Heartbeat, genesis, &heartbeat);
		SignedHeartbeat { heartbeat, signature }
	}

	/// Whether the edge key in the heartbeat signed it.
	pub fn verify(&self, genesis: &[u8; 32]) -> bool {
		keys::verify(
			&self.heartbeat.edge,
			&self.signature,
			DomainTag::Heartbeat,
			genesis,
			&self.heartbeat,
		)
	}
}

/// Receipts one confirmation request may carry. A window with more is
/// claimed in parts (`pod_primitives::MAX_PARTS`).
pub const MAX_CONFIRM_RECEIPTS: usize = 100_000;

/// What an edge sends to have a window confirmed (body of `POST /confirm`, SCALE).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ConfirmRequest {
	/// The edge's claim for one window.
	pub claim: Claim,
	/// The edge's signature over `claim` under [`DomainTag::Claim`].
	pub signature: Signature,
	/// The best receipt of every ticket the claim covers.
	pub receipts: Vec<SignedReceipt>,
}

/// Why the reporter confirmed fewer bytes than an edge claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReductionReason {
	/// Several receipts of one ticket: only the largest counts.
	DuplicateReceipts,
	/// The reporter never issued the receipt's ticket.
	UnknownTicket,
	/// The ticket was issued by another reporter.
	OtherReporter,
	/// The ticket names another edge.
	TicketForOtherEdge,
	/// The ticket is for another window.
	TicketForOtherWindow,
	/// The receipt is not signed by the ticket's client.
	BadClientSignature,
	/// The receipt acknowledges more than the ticket allows.
	CappedByMaxBytes,
	/// No longer produced: a client's own report never lowers its signed
	/// receipt (see [`Dispute`]). Kept so that confirmations stored before
	/// the rule changed still parse.
	ClientReportedLess,
	/// No valid receipt supports a claimed content.
	NoValidReceipts,
	/// Valid receipts support less than the claim for a content.
	AboveReceipts,
	/// The ticket was already confirmed in another part of the window:
	/// each ticket is paid in one part only.
	ConfirmedInOtherPart,
	/// The ticket's grant has been paid its whole budget: what its tickets
	/// together prove above it is not paid. (A viewer that renews its
	/// tickets gets back the allowance its reports say it did not use; if it
	/// reported less than it signed, the grant's budget still holds here.)
	GrantBudgetReached,
}

impl ReductionReason {
	/// The reason as sent on the wire (and used as a metrics label).
	pub const fn as_str(self) -> &'static str {
		match self {
			ReductionReason::DuplicateReceipts => "duplicate_receipts",
			ReductionReason::UnknownTicket => "unknown_ticket",
			ReductionReason::OtherReporter => "other_reporter",
			ReductionReason::TicketForOtherEdge => "ticket_for_other_edge",
			ReductionReason::TicketForOtherWindow => "ticket_for_other_window",
			ReductionReason::BadClientSignature => "bad_client_signature",
			ReductionReason::CappedByMaxBytes => "capped_by_max_bytes",
			ReductionReason::ClientReportedLess => "client_reported_less",
			ReductionReason::NoValidReceipts => "no_valid_receipts",
			ReductionReason::AboveReceipts => "above_receipts",
			ReductionReason::ConfirmedInOtherPart => "confirmed_in_other_part",
			ReductionReason::GrantBudgetReached => "grant_budget_reached",
		}
	}
}

impl ReductionReason {
	/// What it means for the edge's operator, in a sentence.
	pub const fn explanation(self) -> &'static str {
		match self {
			ReductionReason::DuplicateReceipts => {
				"several receipts of one ticket were sent; only the largest counts"
			}
			ReductionReason::UnknownTicket => "the reporter never issued this receipt's ticket",
			ReductionReason::OtherReporter => "the ticket was issued by another reporter",
			ReductionReason::TicketForOtherEdge => "the ticket names another edge",
			ReductionReason::TicketForOtherWindow => "the ticket belongs to another window",
			ReductionReason::BadClientSignature => {
				"the receipt is not signed by the ticket's viewer"
			}
			ReductionReason::CappedByMaxBytes => {
				"the receipt acknowledges more than its ticket allowed; the ticket's limit is paid"
			}
			ReductionReason::ClientReportedLess => "the viewer reported fewer bytes (older rule)",
			ReductionReason::NoValidReceipts => "no valid receipt supports this content's claim",
			ReductionReason::AboveReceipts => {
				"the claim for this content is above what its valid receipts acknowledge"
			}
			ReductionReason::ConfirmedInOtherPart => {
				"the ticket was already confirmed in another part of the window"
			}
			ReductionReason::GrantBudgetReached => {
				"the viewer's grant had already been paid its whole budget"
			}
		}
	}
}

impl std::fmt::Display for ReductionReason {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.as_str())
	}
}

/// One cut the reporter made, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduction {
	/// Why.
	pub reason: ReductionReason,
	/// The receipt's ticket (hex), when the reduction is about one receipt.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub ticket: Option<String>,
	/// The content (hex), when the reduction is about a claim entry.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub content: Option<String>,
	/// Bytes before the cut.
	pub claimed: u64,
	/// Bytes after it.
	pub confirmed: u64,
	/// For people.
	pub detail: String,
}

/// A client reported fewer bytes to the reporter than its own signed
/// receipt acknowledges. The receipt is the proof and is paid; the dispute
/// is evidence, recorded against the edge, that something is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
	/// The receipt's ticket (hex).
	pub ticket: String,
	/// Bytes the signed receipt acknowledges (after the ticket's cap).
	pub receipt_bytes: u64,
	/// Bytes the client reported to the reporter itself.
	pub reported_bytes: u64,
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
	/// Bytes the edge claimed.
	pub claimed_bytes: u64,
	/// Bytes the payload confirms.
	pub confirmed_bytes: u64,
	/// Every reduction, with its reason.
	pub reductions: Vec<Reduction>,
	/// Receipts whose client reported less to the reporter (paid in full).
	#[serde(default, skip_serializing_if = "Vec::is_empty")]
	pub disputes: Vec<Dispute>,
}

/// A [`ConfirmResponse`]'s signed part, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
	/// What both sides sign.
	pub payload: AttestationPayload,
	/// The reporter that signed it.
	pub reporter: PublicKey,
	/// The reporter's signature.
	pub signature: Signature,
}

impl ConfirmResponse {
	/// The decoded payload, reporter and signature.
	pub fn decode(&self) -> Result<Confirmation, DecodeError> {
		Ok(Confirmation {
			payload: hex::scale("payload", &self.payload)?,
			reporter: hex::hex32("reporter", &self.reporter)?,
			signature: hex::array::<64>("signature", &self.signature)?,
		})
	}
}

/// `POST /schedule`: a client asks where to get a content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRequest {
	/// Content id (hex).
	pub content: String,
	/// The client's session public key (hex); tickets name it.
	pub client: String,
	/// The region the viewer says it is in: a hint the reporter weighs
	/// below what it measures itself, never a choice.
	#[serde(default)]
	pub region: Option<String>,
	/// How many edges (the reporter's `schedule_count` by default and at
	/// most).
	#[serde(default)]
	pub count: Option<usize>,
	/// The publisher's viewer grant for `client` (hex SCALE
	/// `SignedGrant`); required unless the content is open.
	#[serde(default)]
	pub grant: Option<String>,
}

/// One edge in a schedule, in the order the reporter drew them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledEdge {
	/// The edge's public key (hex).
	pub edge: String,
	/// Its data plane's base URL.
	pub url: String,
	/// Its region.
	pub region: String,
	/// The weight the reporter drew this edge with, in thousandths (1,000:
	/// an idle, unaudited edge far from the viewer, not holding the content).
	/// Informational: the draw is random, and an edge over its share of
	/// the content's window comes after the others whatever its weight.
	pub score: i64,
	/// Hex SCALE `SignedTicket` for this edge.
	pub ticket: String,
}

/// The reporter's answer to `POST /schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleResponse {
	/// Content id (hex).
	pub content: String,
	/// Genesis hash (hex) receipts must be signed for.
	pub genesis: String,
	/// Path of the manifest on the reporter (SCALE).
	pub manifest: String,
	/// The chain window the tickets are issued in.
	pub window: u32,
	/// The edges in the order the reporter drew them, each with its ticket.
	pub edges: Vec<ScheduledEdge>,
}

/// `POST /reports`: a client's own receipts, and the edges it caught lying.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReport {
	/// Hex SCALE `SignedReceipt`s (the last one per ticket is enough).
	pub receipts: Vec<String>,
	/// Hex SCALE `SignedAccusation`s: the ticket's edge served bytes of a
	/// chunk that fail its hash, signed by the ticket's client. The reporter
	/// audits that chunk on that edge before the accusation costs anything.
	#[serde(default)]
	pub lying: Vec<String>,
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::primitives::keys::keypair_from_seed;

	#[test]
	fn heartbeats_verify_only_for_their_edge_and_chain() {
		let key = keypair_from_seed(&[4; 32]);
		let hb = Heartbeat {
			edge: key.public.to_bytes(),
			url: b"http://e".to_vec(),
			region: b"eu".to_vec(),
			capacity: 1,
			load: 2,
			free_disk: 3,
			held: vec![[1; 32]],
			at_ms: 5,
		};
		let s = SignedHeartbeat::sign(&key, &[9; 32], hb.clone());
		assert!(s.verify(&[9; 32]));
		assert!(!s.verify(&[8; 32]));
		let mut other = s.clone();
		other.heartbeat.edge = keypair_from_seed(&[5; 32]).public.to_bytes();
		assert!(!other.verify(&[9; 32]));
	}

	#[test]
	fn reduction_reasons_serialize_as_their_wire_names() {
		let all = [
			ReductionReason::DuplicateReceipts,
			ReductionReason::UnknownTicket,
			ReductionReason::OtherReporter,
			ReductionReason::TicketForOtherEdge,
			ReductionReason::TicketForOtherWindow,
			ReductionReason::BadClientSignature,
			ReductionReason::CappedByMaxBytes,
			ReductionReason::ClientReportedLess,
			ReductionReason::NoValidReceipts,
			ReductionReason::AboveReceipts,
			ReductionReason::ConfirmedInOtherPart,
			ReductionReason::GrantBudgetReached,
		];
		for r in all {
			assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
		}
	}

	#[test]
	fn a_confirmation_with_bad_fields_says_which() {
		let mut c = ConfirmResponse {
			payload: "00".into(),
			reporter: "11".repeat(32),
			signature: "22".repeat(64),
			claimed_bytes: 0,
			confirmed_bytes: 0,
			reductions: vec![],
			disputes: vec![],
		};
		assert!(matches!(c.decode(), Err(DecodeError::Scale { what: "payload", .. })));
		let p = AttestationPayload {
			edge: [1; 32],
			window: 2,
			part: 0,
			entries: Default::default(),
			receipts_root: [0; 32],
			receipt_count: 0,
		};
		c.payload = hex::encode_scale(&p);
		assert_eq!(c.decode().unwrap().payload, p);
		c.signature = "22".repeat(63);
		assert!(matches!(c.decode(), Err(DecodeError::Length { what: "signature", .. })));
	}
}
