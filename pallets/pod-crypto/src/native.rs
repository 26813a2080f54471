//! The host side: schnorrkel batch verification and the cache of verified
//! batches.

use crate::Signed;
use codec::DecodeAll;
use pod_primitives::SIGNING_CONTEXT;
use schnellru::{ByLength, LruMap};
use schnorrkel::{signing_context, PublicKey, Signature};
use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	vec::Vec,
};

sp_externalities::decl_extension! {
	/// Registered by the node for its runtime calls: lets
	/// `sr25519_verify_batch` skip batches this node has already verified.
	pub struct VerifiedBatchesExt(Arc<VerifiedBatches>);
}

/// The hashes of the last `capacity` batches that verified. Only successes
/// are kept: a flood of forged batches costs its verification every time and
/// leaves no entry behind.
pub struct VerifiedBatches {
	seen: Mutex<LruMap<[u8; 32], ()>>,
	hits: AtomicU64,
	misses: AtomicU64,
}

/// How often the cache answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
	/// Batches answered from the cache.
	pub hits: u64,
	/// Batches verified with curve arithmetic.
	pub misses: u64,
}

impl VerifiedBatches {
	/// A cache of the last `capacity` verified batches (32 bytes each, plus
	/// the map's overhead).
	pub fn new(capacity: u32) -> Self {
		Self {
			seen: Mutex::new(LruMap::new(ByLength::new(capacity.max(1)))),
			hits: AtomicU64::new(0),
			misses: AtomicU64::new(0),
		}
	}

	/// Hits and misses so far.
	pub fn stats(&self) -> CacheStats {
		CacheStats {
			hits: self.hits.load(Ordering::Relaxed),
			misses: self.misses.load(Ordering::Relaxed),
		}
	}

	fn contains(&self, key: &[u8; 32]) -> bool {
		// A poisoned lock only means another thread panicked mid-insert; the
		// map itself is still a valid set of hashes.
		let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
		seen.get(key).is_some()
	}

	fn insert(&self, key: [u8; 32]) {
		let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
		seen.insert(key, ());
	}
}

/// Decodes `(messages, signatures)` and verifies the batch, asking `cache`
/// first when there is one. A batch that does not decode (or has trailing
/// bytes) is `false`.
pub fn verify_encoded(cache: Option<&VerifiedBatches>, encoded: &[u8]) -> bool {
	let Some(cache) = cache else { return decode_and_verify(encoded) };
	let key = *blake3::hash(encoded).as_bytes();
	if cache.contains(&key) {
		cache.hits.fetch_add(1, Ordering::Relaxed);
		return true;
	}
	cache.misses.fetch_add(1, Ordering::Relaxed);
	let ok = decode_and_verify(encoded);
	if ok {
		cache.insert(key);
	}
	ok
}

fn decode_and_verify(encoded: &[u8]) -> bool {
	<(Vec<Vec<u8>>, Vec<Signed>)>::decode_all(&mut &encoded[..])
		.is_ok_and(|(messages, signatures)| verify(&messages, &signatures))
}

/// Schnorrkel batch verification of `signatures` over `messages`.
fn verify(messages: &[Vec<u8>], signatures: &[Signed]) -> bool {
	let mut keys = Vec::with_capacity(signatures.len());
	let mut sigs = Vec::with_capacity(signatures.len());
	let mut transcripts = Vec::with_capacity(signatures.len());
	let ctx = signing_context(SIGNING_CONTEXT);
	for (index, public, signature) in signatures {
		let Some(message) = messages.get(*index as usize) else { return false };
		// The same parsing as `sp_core::sr25519::Pair::verify`: the key must
		// decompress and the schnorrkel marker bit must be set.
		let Ok(public) = PublicKey::from_bytes(public) else { return false };
		let Ok(signature) = Signature::from_bytes(signature) else { return false };
		keys.push(public);
		sigs.push(signature);
		transcripts.push(ctx.bytes(message));
	}
	if sigs.is_empty() {
		return true;
	}
	// Deterministic delinearisation (no randomness), so every node computes
	// the same answer; ristretto has no small-order points, so the batch
	// equation holds exactly when every signature verifies on its own.
	schnorrkel::verify_batch_deterministic(transcripts, &sigs, &keys, false).is_ok()
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use proptest::prelude::*;
	use schnorrkel::Keypair;

	fn signed(n: usize) -> (Vec<Vec<u8>>, Vec<Signed>) {
		let ctx = signing_context(SIGNING_CONTEXT);
		let messages: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 40 + i]).collect();
		let mut sigs = Vec::new();
		for (i, m) in messages.iter().enumerate() {
			// Two signers per message, as an attestation has.
			for _ in 0..2 {
				let k = Keypair::generate();
				sigs.push((i as u32, k.public.to_bytes(), k.sign(ctx.bytes(m)).to_bytes()));
			}
		}
		(messages, sigs)
	}

	fn check(m: &[Vec<u8>], s: &[Signed]) -> bool {
		verify_encoded(None, &(m, s).encode())
	}

	#[test]
	fn accepts_valid_batches_and_the_empty_one() {
		let (m, s) = signed(20);
		assert!(check(&m, &s));
		assert!(check(&m, &[]));
		assert!(check(&[], &[]));
	}

	#[test]
	fn refuses_bad_index_key_marker_context_and_encoding() {
		let (m, s) = signed(3);
		let mut bad = s.clone();
		bad[5].0 = 3;
		assert!(!check(&m, &bad), "index out of range");
		let mut bad = s.clone();
		bad[1].1 = [0xff; 32];
		assert!(!check(&m, &bad), "key not on the curve");
		let mut bad = s.clone();
		bad[2].2[63] &= 0x7f;
		assert!(!check(&m, &bad), "marker bit cleared");
		// Signed in another context: valid schnorrkel, not a Substrate signature.
		let k = Keypair::generate();
		let other = k.sign(signing_context(b"other").bytes(&m[0])).to_bytes();
		let mut bad = s.clone();
		bad[0] = (0, k.public.to_bytes(), other);
		assert!(!check(&m, &bad), "other context");
		let mut trailing = (&m, &s).encode();
		trailing.push(0);
		assert!(!verify_encoded(None, &trailing), "trailing bytes");
		assert!(!verify_encoded(None, &[0xff, 0xff]), "not an encoding");
	}

	#[test]
	fn cache_answers_repeats_and_never_remembers_failures() {
		let cache = VerifiedBatches::new(2);
		let (m, s) = signed(4);
		let good = (&m, &s).encode();
		let mut s_bad = s.clone();
		s_bad[3].2[0] ^= 1;
		let bad = (&m, &s_bad).encode();
		assert!(verify_encoded(Some(&cache), &good));
		assert!(verify_encoded(Some(&cache), &good));
		assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1 });
		assert!(!verify_encoded(Some(&cache), &bad));
		assert!(!verify_encoded(Some(&cache), &bad));
		assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 3 });
		// Capacity 2: a third verified batch evicts the least recently used.
		let (m2, s2) = signed(1);
		let (m3, s3) = signed(2);
		assert!(verify_encoded(Some(&cache), &(&m2, &s2).encode()));
		assert!(verify_encoded(Some(&cache), &(&m3, &s3).encode()));
		assert_eq!(cache.stats().misses, 5);
		assert!(verify_encoded(Some(&cache), &good));
		assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 6 }, "evicted, verified again");
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(24))]
		/// Any one changed bit (message, key or signature) anywhere in the
		/// batch makes the whole batch fail, also after the untouched batch
		/// was cached; the untouched batch passes.
		#[test]
		fn one_flipped_bit_anywhere_fails(n in 1usize..6, which in 0usize..1000, what in 0u8..3, bit in 0u8..8) {
			let cache = VerifiedBatches::new(16);
			let (mut m, mut s) = signed(n);
			prop_assert!(verify_encoded(Some(&cache), &(&m, &s).encode()));
			let i = which % s.len();
			match what {
				0 => { let msg = &mut m[s[i].0 as usize]; let j = which % msg.len(); msg[j] ^= 1 << bit; }
				1 => s[i].1[which % 32] ^= 1 << bit,
				_ => s[i].2[which % 64] ^= 1 << bit,
			}
			prop_assert!(!verify_encoded(Some(&cache), &(&m, &s).encode()));
			prop_assert!(!check(&m, &s));
		}
	}
}
