//! Who may take chunks from this edge over libp2p: registered edges only.
//!
//! Every chunk request carries the asking edge's [`PeerCredential`]: its
//! edge key's signature over the peer id it asks from. libp2p's noise
//! handshake authenticates that peer id, so a valid credential proves the
//! connection belongs to whoever holds that edge key; the chain (when the
//! edge follows one) says whether the key is a registered, bonded edge that
//! has not left. Both answers are cached, so a busy peer costs one
//! signature check and one chain read per minute, and a stranger costs one
//! signature check per peer id it makes up (each a new noise handshake).

use libp2p::PeerId;
use pod_chain::Chain;
use pod_primitives::{keys, keys::Keypair, DomainTag, PeerCredential, PublicKey};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the chain's answer about an edge key is trusted.
const REGISTERED_TTL: Duration = Duration::from_secs(60);
/// How long "not registered" is trusted (an edge may just have registered).
const UNREGISTERED_TTL: Duration = Duration::from_secs(10);
/// Entries each cache holds before it starts again: strangers cannot grow
/// them without bound.
const CACHE_LIMIT: usize = 4096;

/// Why a peer's chunk request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerRefusal {
	/// The credential is not the edge key's signature over this peer id.
	#[error("the credential does not bind edge {0} to this peer id")]
	BadCredential(String),
	/// The key is not a registered, bonded edge that is still serving.
	#[error("edge {0} is not registered on chain (or has left)")]
	NotRegistered(String),
	/// The chain could not be asked; the request is refused for now.
	#[error("cannot ask the chain about edge {edge}: {reason}")]
	ChainUnavailable {
		/// The edge key (hex).
		edge: String,
		/// What the chain client said.
		reason: String,
	},
}

/// The gate in front of the chunk exchange.
#[derive(Default)]
pub struct PeerGate {
	genesis: [u8; 32],
	chain: OnceLock<Chain>,
	bound: Mutex<HashMap<PeerId, PublicKey>>,
	registered: Mutex<HashMap<PublicKey, (bool, Instant)>>,
}

impl std::fmt::Debug for PeerGate {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("PeerGate").field("follows_chain", &self.chain.get().is_some()).finish()
	}
}

impl PeerGate {
	/// A gate for edges of the chain with this genesis; without a chain
	/// (see [`Self::follow`]) it checks credentials only.
	pub fn new(genesis: [u8; 32]) -> PeerGate {
		PeerGate { genesis, ..PeerGate::default() }
	}

	/// Checks registrations on `chain` from now on.
	pub fn follow(&self, chain: Chain) {
		let _ = self.chain.set(chain);
	}

	/// This edge's credential for its own peer id.
	pub fn credential(key: &Keypair, genesis: &[u8; 32], peer: &PeerId) -> PeerCredential {
		let edge = key.public.to_bytes();
		let signature = keys::sign(key, DomainTag::PeerBinding, genesis, &(edge, peer.to_bytes()));
		PeerCredential { edge, signature }
	}

	/// Whether `peer`, presenting `credential`, may take chunks.
	pub async fn admit(
		&self,
		peer: PeerId,
		credential: &PeerCredential,
	) -> Result<(), PeerRefusal> {
		self.check_binding(peer, credential)?;
		let Some(chain) = self.chain.get() else { return Ok(()) };
		if self.registered_edge(chain, &credential.edge).await? {
			Ok(())
		} else {
			Err(PeerRefusal::NotRegistered(hex::encode(credential.edge)))
		}
	}

	fn check_binding(&self, peer: PeerId, c: &PeerCredential) -> Result<(), PeerRefusal> {
		if self.bound.lock().expect("bound lock").get(&peer) == Some(&c.edge) {
			return Ok(());
		}
		let message = (c.edge, peer.to_bytes());
		if !keys::verify(&c.edge, &c.signature, DomainTag::PeerBinding, &self.genesis, &message) {
			return Err(PeerRefusal::BadCredential(hex::encode(c.edge)));
		}
		bounded_insert(&mut self.bound.lock().expect("bound lock"), peer, c.edge);
		Ok(())
	}

	async fn registered_edge(&self, chain: &Chain, edge: &PublicKey) -> Result<bool, PeerRefusal> {
		let cached = self.registered.lock().expect("registered lock").get(edge).copied();
		if let Some((known, at)) = cached {
			let ttl = if known { REGISTERED_TTL } else { UNREGISTERED_TTL };
			if at.elapsed() < ttl {
				return Ok(known);
			}
		}
		let record = chain.edge(edge).await.map_err(|e| PeerRefusal::ChainUnavailable {
			edge: hex::encode(edge),
			reason: e.to_string(),
		})?;
		let known = record.is_some_and(|e| e.bond > 0 && e.leaving.is_none());
		let mut cache = self.registered.lock().expect("registered lock");
		bounded_insert(&mut cache, *edge, (known, Instant::now()));
		Ok(known)
	}
}

/// Inserts into a cache, emptying it first when it is full.
fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
	if map.len() >= CACHE_LIMIT && !map.contains_key(&k) {
		map.clear();
	}
	map.insert(k, v);
}

#[cfg(test)]
mod tests {
	use super::*;

	fn peer(seed: u8) -> PeerId {
		crate::p2p::peer_id_of([seed; 32]).unwrap()
	}

	#[tokio::test]
	async fn only_a_credential_for_the_asking_peer_id_is_admitted() {
		let genesis = [7; 32];
		let gate = PeerGate::new(genesis);
		let key = keys::keypair_from_seed(&[1; 32]);
		let mine = PeerGate::credential(&key, &genesis, &peer(1));
		assert_eq!(gate.admit(peer(1), &mine).await, Ok(()));
		// Cached: the same again passes without a signature check.
		assert_eq!(gate.admit(peer(1), &mine).await, Ok(()));
		// Replayed from another peer id, or for another chain, or naming
		// another key: refused.
		let refused = Err(PeerRefusal::BadCredential(hex::encode(mine.edge)));
		assert_eq!(gate.admit(peer(2), &mine).await, refused);
		let other_chain = PeerGate::credential(&key, &[8; 32], &peer(3));
		assert!(gate.admit(peer(3), &other_chain).await.is_err());
		let mut stolen =
			PeerGate::credential(&keys::keypair_from_seed(&[2; 32]), &genesis, &peer(4));
		stolen.edge = mine.edge;
		assert!(gate.admit(peer(4), &stolen).await.is_err());
	}

	#[test]
	fn caches_stay_bounded() {
		let mut m = HashMap::new();
		for i in 0..(CACHE_LIMIT as u32 + 10) {
			bounded_insert(&mut m, i, ());
		}
		assert!(m.len() <= CACHE_LIMIT);
		assert!(m.contains_key(&(CACHE_LIMIT as u32 + 9)));
	}
}
