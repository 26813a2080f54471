//! The viewer's session key.

use crate::plan::Plan;
use crate::refuse;
use pod_wire::primitives::keys::{self, Keypair};
use wasm_bindgen::prelude::*;

/// A viewer's session: an sr25519 key made from 32 random bytes (in a
/// browser, `crypto.getRandomValues`), held in the module's memory. Grants
/// and tickets name its public key; it signs the receipts.
#[wasm_bindgen]
pub struct Session {
	pub(crate) key: Keypair,
}

#[wasm_bindgen]
impl Session {
	/// A new session with a fresh key.
	#[wasm_bindgen(constructor)]
	pub fn new() -> Result<Session, JsError> {
		let mut seed = [0u8; 32];
		getrandom02::getrandom(&mut seed).map_err(|e| refuse("session key", e))?;
		Ok(Session { key: keys::keypair_from_seed(&seed) })
	}

	/// A session with the key of `seed` (tests).
	#[cfg(test)]
	pub(crate) fn from_seed(seed: [u8; 32]) -> Session {
		Session { key: keys::keypair_from_seed(&seed) }
	}

	/// The session's public key (hex): what a publisher's grant and the
	/// reporter's tickets name.
	#[wasm_bindgen(getter)]
	pub fn public(&self) -> String {
		hex::encode(self.key.public.to_bytes())
	}

	/// A reporter's `/schedule` answer (its JSON text) for `content` (hex),
	/// checked: the genesis and every ticket decode, and every ticket names
	/// this session and that content.
	pub fn plan(&self, content: &str, schedule_json: &str) -> Result<Plan, JsError> {
		Ok(Plan::check(self.key.clone(), content, schedule_json)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_session_has_its_own_key() {
		let (a, b) = (Session::new().ok().unwrap(), Session::new().ok().unwrap());
		assert_ne!(a.public(), b.public());
		assert_eq!(a.public().len(), 64);
	}
}
