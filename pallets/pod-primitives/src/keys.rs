//! Keys: sr25519 signing and verification with schnorrkel (feature `signing`).
//! Same context and message bytes as the chain, so the pallet accepts these.

use crate::message::{signing_bytes, DomainTag, SIGNING_CONTEXT};
use crate::types::{PublicKey, Signature};
use codec::Encode;

pub use schnorrkel::{Keypair, MiniSecretKey};

/// Builds a keypair from a 32-byte seed the way Substrate does
/// (`MiniSecretKey` expanded in Ed25519 mode), so a seed gives the same
/// public key here as in `sp_core::sr25519::Pair::from_seed`.
pub fn keypair_from_seed(seed: &[u8; 32]) -> Keypair {
	MiniSecretKey::from_bytes(seed)
		.expect("32 bytes is a valid mini secret key; qed")
		.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
}

/// Signs `payload` under `tag` for the chain with genesis hash `genesis`.
pub fn sign<T: Encode>(
	pair: &Keypair,
	tag: DomainTag,
	genesis: &[u8; 32],
	payload: &T,
) -> Signature {
	let msg = signing_bytes(tag, genesis, payload);
	pair.sign_simple(SIGNING_CONTEXT, &msg).to_bytes()
}

/// Verifies a signature made by [`sign`].
pub fn verify<T: Encode>(
	public: &PublicKey,
	sig: &Signature,
	tag: DomainTag,
	genesis: &[u8; 32],
	payload: &T,
) -> bool {
	let (Ok(pk), Ok(sig)) =
		(schnorrkel::PublicKey::from_bytes(public), schnorrkel::Signature::from_bytes(sig))
	else {
		return false;
	};
	let msg = signing_bytes(tag, genesis, payload);
	pk.verify_simple(SIGNING_CONTEXT, &msg, &sig).is_ok()
}

/// Signs a ticket as its reporter.
pub fn sign_ticket(
	reporter: &Keypair,
	genesis: &[u8; 32],
	ticket: crate::Ticket,
) -> crate::SignedTicket {
	let signature = sign(reporter, DomainTag::Ticket, genesis, &ticket);
	crate::SignedTicket { ticket, signature }
}

/// Signs a receipt with a client's session key.
pub fn sign_receipt(
	client: &Keypair,
	genesis: &[u8; 32],
	receipt: crate::Receipt,
) -> crate::SignedReceipt {
	let signature = sign(client, DomainTag::Receipt, genesis, &receipt);
	crate::SignedReceipt { receipt, signature }
}

/// Signs a viewer grant with the customer's grant key (what a publisher's
/// web backend does for each viewer it lets watch).
pub fn sign_grant(
	grant_key: &Keypair,
	genesis: &[u8; 32],
	grant: crate::ViewerGrant,
) -> crate::SignedGrant {
	let signature = sign(grant_key, DomainTag::Grant, genesis, &grant);
	crate::SignedGrant { grant, signature }
}

/// Signs an accusation with the viewer's session key.
pub fn sign_accusation(
	client: &Keypair,
	genesis: &[u8; 32],
	accusation: crate::Accusation,
) -> crate::SignedAccusation {
	let signature = sign(client, DomainTag::Accusation, genesis, &accusation);
	crate::SignedAccusation { accusation, signature }
}

impl crate::SignedAccusation {
	/// Whether `client` signed this accusation for the chain `genesis`.
	pub fn verify(&self, client: &crate::PublicKey, genesis: &[u8; 32]) -> bool {
		verify(client, &self.signature, DomainTag::Accusation, genesis, &self.accusation)
	}
}

impl crate::SignedGrant {
	/// Whether `grant_key` signed this grant for the chain `genesis`.
	pub fn verify(&self, grant_key: &crate::PublicKey, genesis: &[u8; 32]) -> bool {
		verify(grant_key, &self.signature, DomainTag::Grant, genesis, &self.grant)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::Receipt;

	#[test]
	fn tag_and_genesis_bind_the_signature() {
		let kp = keypair_from_seed(&[7u8; 32]);
		let pk = kp.public.to_bytes();
		let r = Receipt { ticket_id: [1; 16], bytes_total: 5, chunks_verified: 1 };
		let g = [9u8; 32];
		let s = sign(&kp, DomainTag::Receipt, &g, &r);
		assert!(verify(&pk, &s, DomainTag::Receipt, &g, &r));
		assert!(!verify(&pk, &s, DomainTag::Claim, &g, &r));
		assert!(!verify(&pk, &s, DomainTag::Receipt, &[8u8; 32], &r));
		let r2 = Receipt { bytes_total: 6, ..r };
		assert!(!verify(&pk, &s, DomainTag::Receipt, &g, &r2));
	}

	#[test]
	fn a_grant_verifies_only_with_its_key_chain_and_terms() {
		let key = keypair_from_seed(&[5u8; 32]);
		let g = [9u8; 32];
		let grant = crate::ViewerGrant {
			customer: [1; 32],
			reporter: [2; 32],
			viewer: [3; 32],
			contents: alloc::vec![[4; 32]].try_into().unwrap(),
			budget: 1 << 20,
			expires_at: 1_000,
			nonce: [6; 16],
		};
		let signed = sign_grant(&key, &g, grant.clone());
		assert!(signed.verify(&key.public.to_bytes(), &g));
		assert!(!signed.verify(&keypair_from_seed(&[6u8; 32]).public.to_bytes(), &g));
		assert!(!signed.verify(&key.public.to_bytes(), &[8u8; 32]));
		let mut bigger = signed.clone();
		bigger.grant.budget += 1;
		assert!(!bigger.verify(&key.public.to_bytes(), &g));
		assert_ne!(bigger.grant.id(), grant.id());
		// Another message kind signed by the same key is no grant.
		let as_ticket = sign(&key, DomainTag::Ticket, &g, &grant);
		let forged = crate::SignedGrant { grant, signature: as_ticket };
		assert!(!forged.verify(&key.public.to_bytes(), &g));
	}
}
