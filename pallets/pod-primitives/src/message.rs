//! Message bytes: the domain-separated, chain-bound payloads every signature covers.

use crate::{Attestation, PublicKey, Signature};
use alloc::vec::Vec;
use codec::Encode;

/// The schnorrkel signing context of Substrate's sr25519, so signatures made
/// off chain with schnorrkel verify with `sp_io::crypto::sr25519_verify`.
pub const SIGNING_CONTEXT: &[u8] = b"substrate";

/// The kind of message a signature is for. Its tag is the first 8 bytes of
/// every signed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainTag {
	/// A reporter's ticket.
	Ticket,
	/// A client's receipt.
	Receipt,
	/// An edge's claim.
	Claim,
	/// The payload both the edge and the reporter sign.
	Attestation,
	/// A reporter's order to edges (e.g. "hold content C").
	Order,
	/// An edge's heartbeat to a reporter (off chain only).
	Heartbeat,
	/// An edge key's proof that its holder registers it for an owner
	/// account (`register_edge`).
	EdgeRegistration,
	/// A publisher's viewer grant (off chain; the key is named on chain).
	Grant,
	/// A viewer's accusation that an edge served bytes failing their hash
	/// (off chain).
	Accusation,
	/// An edge key's statement that a libp2p peer id is its own (the edges'
	/// chunk exchange answers only edges).
	PeerBinding,
}

impl DomainTag {
	/// The 8 tag bytes. Versioned so v2 messages can never be confused with v1.
	pub const fn bytes(self) -> [u8; 8] {
		match self {
			DomainTag::Ticket => *b"PODTKT01",
			DomainTag::Receipt => *b"PODRCP01",
			DomainTag::Claim => *b"PODCLM01",
			DomainTag::Attestation => *b"PODATT01",
			DomainTag::Order => *b"PODORD02",
			DomainTag::Heartbeat => *b"PODHBT01",
			DomainTag::EdgeRegistration => *b"PODREG01",
			DomainTag::Grant => *b"PODGRT01",
			DomainTag::Accusation => *b"PODACC01",
			DomainTag::PeerBinding => *b"PODPER01",
		}
	}
}

/// The bytes a signature covers: `tag (8) ‖ genesis hash (32) ‖ SCALE(payload)`.
pub fn signing_bytes<T: Encode>(tag: DomainTag, genesis: &[u8; 32], payload: &T) -> Vec<u8> {
	let mut out = Vec::with_capacity(40 + payload.size_hint());
	out.extend_from_slice(&tag.bytes());
	out.extend_from_slice(genesis);
	payload.encode_to(&mut out);
	out
}

/// One signature of a batch: the index of the message it signs, the
/// signer's public key and the signature.
pub type IndexedSignature = (u32, PublicKey, Signature);

/// A batch of attestations as a batch verifier takes it: each attestation's
/// signed message once, and its edge's and reporter's signatures over it.
pub fn attestation_signatures(
	atts: &[Attestation],
	genesis: &[u8; 32],
) -> (Vec<Vec<u8>>, Vec<IndexedSignature>) {
	let mut messages = Vec::with_capacity(atts.len());
	let mut signatures = Vec::with_capacity(atts.len() * 2);
	for (i, att) in atts.iter().enumerate() {
		let p = &att.payload;
		messages.push(signing_bytes(DomainTag::Attestation, genesis, p));
		signatures.push((i as u32, p.edge, att.edge_signature));
		signatures.push((i as u32, att.reporter, att.reporter_signature));
	}
	(messages, signatures)
}

/// The bytes an edge key signs to prove it registers itself for `owner`:
/// `PODREG01 ‖ genesis ‖ SCALE(edge key, owner account)`. The owner's
/// encoding is the chain's account id (32 bytes on PoD chains).
pub fn edge_registration_bytes<A: Encode>(
	genesis: &[u8; 32],
	edge: &PublicKey,
	owner: &A,
) -> Vec<u8> {
	signing_bytes(DomainTag::EdgeRegistration, genesis, &(edge, owner))
}
