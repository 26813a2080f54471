//! The publisher's side of a viewer grant: what its web backend calls when
//! it serves a page to a viewer, so that viewer may be scheduled onto edges
//! (and only its deliveries are paid).
//!
//! ```no_run
//! # fn main() -> Result<(), pod_client::grant::GrantError> {
//! use pod_client::grant::{mint, GrantTerms};
//! // The customer's grant key (named on chain with `set_grant_key`),
//! // loaded once by the backend.
//! let key = pod_primitives::keys::keypair_from_seed(&[7; 32]);
//! let terms = GrantTerms {
//!     customer: [1; 32],          // the customer's account id
//!     reporter: [2; 32],          // the reporter its pages use
//!     viewer: [3; 32],            // the session key the viewer's page sent
//!     contents: vec![[4; 32]],    // what the page plays
//!     budget: 64 << 20,           // bytes, across every edge and retry
//!     valid_for: std::time::Duration::from_secs(3600),
//! };
//! let grant = mint(&key, &[0; 32], terms)?;
//! // Hand `pod_wire::hex::encode_scale(&grant)` to the page.
//! # Ok(()) }
//! ```

use pod_primitives::{keys, keys::Keypair, ContentId, PublicKey, SignedGrant, ViewerGrant};
use std::time::Duration;

/// What a grant allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantTerms {
	/// The customer's account id (whose contents it covers).
	pub customer: [u8; 32],
	/// The reporter that will honour it.
	pub reporter: PublicKey,
	/// The viewer's session key.
	pub viewer: PublicKey,
	/// The contents it covers.
	pub contents: Vec<ContentId>,
	/// Most bytes all its tickets together may allow.
	pub budget: u64,
	/// How long it may be used to get tickets.
	pub valid_for: Duration,
}

/// Why a grant cannot be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
	/// No content, or more than one grant may name.
	#[error("a grant covers 1 to {max} contents, not {0}", max = pod_primitives::MAX_GRANT_CONTENTS)]
	Contents(usize),
	/// A budget of zero bytes.
	#[error("a grant's budget must be at least one byte")]
	ZeroBudget,
}

/// Signs a grant for `terms` with the customer's grant key, for the chain
/// with genesis hash `genesis`, with a fresh random nonce.
pub fn mint(
	key: &Keypair,
	genesis: &[u8; 32],
	terms: GrantTerms,
) -> Result<SignedGrant, GrantError> {
	let n = terms.contents.len();
	let contents = terms.contents.try_into().map_err(|_| GrantError::Contents(n))?;
	if n == 0 {
		return Err(GrantError::Contents(0));
	}
	if terms.budget == 0 {
		return Err(GrantError::ZeroBudget);
	}
	let mut nonce = [0u8; 16];
	getrandom::fill(&mut nonce).expect("the OS has randomness");
	let grant = ViewerGrant {
		customer: terms.customer,
		reporter: terms.reporter,
		viewer: terms.viewer,
		contents,
		budget: terms.budget,
		expires_at: pod_wire::clock::now_ms() + terms.valid_for.as_millis() as u64,
		nonce,
	};
	Ok(keys::sign_grant(key, genesis, grant))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn terms(contents: usize, budget: u64) -> GrantTerms {
		GrantTerms {
			customer: [1; 32],
			reporter: [2; 32],
			viewer: [3; 32],
			contents: vec![[4; 32]; contents],
			budget,
			valid_for: Duration::from_secs(60),
		}
	}

	#[test]
	fn mints_a_grant_the_key_verifies_and_refuses_bad_terms() {
		let key = keys::keypair_from_seed(&[7; 32]);
		let g = mint(&key, &[9; 32], terms(2, 100)).unwrap();
		assert!(g.verify(&key.public.to_bytes(), &[9; 32]));
		assert!(g.grant.expires_at > pod_wire::clock::now_ms());
		// Two grants with the same terms are distinct.
		assert_ne!(g.grant.id(), mint(&key, &[9; 32], terms(2, 100)).unwrap().grant.id());
		assert_eq!(mint(&key, &[9; 32], terms(0, 1)), Err(GrantError::Contents(0)));
		assert_eq!(mint(&key, &[9; 32], terms(17, 1)), Err(GrantError::Contents(17)));
		assert_eq!(mint(&key, &[9; 32], terms(1, 0)), Err(GrantError::ZeroBudget));
	}
}
