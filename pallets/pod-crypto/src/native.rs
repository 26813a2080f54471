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
	let key = *blake3::hash(encoded).as_bytes();
	let Some(cache) = cache else { return decode_and_verify(encoded, &key) };
	if cache.contains(&key) {
		cache.hits.fetch_add(1, Ordering::Relaxed);
		return true;
	}
	cache.misses.fetch_add(1, Ordering::Relaxed);
	let ok = decode_and_verify(encoded, &key);
	if ok {
		cache.insert(key);
	}
	ok
}

fn decode_and_verify(encoded: &[u8], digest: &[u8; 32]) -> bool {
	<(Vec<Vec<u8>>, Vec<Signed>)>::decode_all(&mut &encoded[..])
		.is_ok_and(|(messages, signatures)| verify(&messages, &signatures, digest))
}

/// The batch's own randomness: BLAKE3 of the whole encoded batch (messages,
/// keys and both halves of every signature), read as an XOF. Every node
/// derives the same coefficients, and they commit to each signature's `s`.
struct BatchRng(blake3::OutputReader);

impl rand_core::RngCore for BatchRng {
	fn next_u32(&mut self) -> u32 {
		rand_core::impls::next_u32_via_fill(self)
	}
	fn next_u64(&mut self) -> u64 {
		rand_core::impls::next_u64_via_fill(self)
	}
	fn fill_bytes(&mut self, dest: &mut [u8]) {
		self.0.fill(dest)
	}
	fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
		self.fill_bytes(dest);
		Ok(())
	}
}

impl rand_core::CryptoRng for BatchRng {}

/// Schnorrkel batch verification of `signatures` over `messages`; `digest`
/// is BLAKE3 of the encoded batch.
fn verify(messages: &[Vec<u8>], signatures: &[Signed], digest: &[u8; 32]) -> bool {
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
	// The delinearisation coefficients come from schnorrkel's transcript of
	// the keys, the `R`s and the messages, keyed with the batch's own hash.
	// schnorrkel's `verify_batch_deterministic` leaves the `s` values out of
	// that transcript: two valid signatures with their `s` shifted against
	// each other (by the other's coefficient) then pass as a batch although
	// neither verifies alone. Keying with a hash of the whole batch, `s`
	// included, makes the coefficients depend on every `s`, so a batch passes
	// only when every signature verifies on its own (up to the negligible
	// chance of a 128-bit coefficient collision); every node derives the same
	// coefficients, so all agree.
	let rng = BatchRng(
		blake3::Hasher::new_derive_key("pod-cdn batch sr25519 v1").update(digest).finalize_xof(),
	);
	schnorrkel::verify_batch_rng(transcripts, &sigs, &keys, false, rng).is_ok()
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use curve25519_dalek::scalar::Scalar;
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

	/// schnorrkel's deterministic batch coefficients (its `prepare_batch`
	/// with no randomness), which commit to the keys, `R`s and messages but
	/// not to the `s` values.
	fn deterministic_coefficients(m: &[Vec<u8>], s: &[Signed]) -> Vec<Scalar> {
		use schnorrkel::context::SigningTranscript;
		let ctx = signing_context(SIGNING_CONTEXT);
		let mut zs_t = merlin::Transcript::new(b"V-RNG");
		for (_, pk, _) in s {
			zs_t.commit_point(b"", PublicKey::from_bytes(pk).unwrap().as_compressed());
		}
		for (_, _, sig) in s {
			let r: [u8; 32] = sig[..32].try_into().unwrap();
			zs_t.commit_point(b"", &curve25519_dalek::ristretto::CompressedRistretto(r));
		}
		for (i, _, _) in s {
			let t = ctx.bytes(&m[*i as usize]);
			let mut d = [0u8; 16];
			t.witness_bytes_rng(b"", &mut d, &[&[]], Zeros);
			zs_t.append_message(b"", &d);
		}
		let mut rng = zs_t.build_rng().finalize(&mut Zeros);
		s.iter()
			.map(|_| {
				let mut r = [0u8; 16];
				rand_core::RngCore::fill_bytes(&mut rng, &mut r);
				Scalar::from(u128::from_le_bytes(r))
			})
			.collect()
	}

	/// schnorrkel's `NotAnRng`: all zeros.
	struct Zeros;
	impl rand_core::RngCore for Zeros {
		fn next_u32(&mut self) -> u32 {
			0
		}
		fn next_u64(&mut self) -> u64 {
			0
		}
		fn fill_bytes(&mut self, dest: &mut [u8]) {
			dest.fill(0)
		}
		fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
			dest.fill(0);
			Ok(())
		}
	}
	impl rand_core::CryptoRng for Zeros {}

	/// Sets a signature's `s` (schnorrkel's marker bit kept).
	fn with_s(sig: &[u8; 64], s: Scalar) -> [u8; 64] {
		let mut out = *sig;
		out[32..].copy_from_slice(s.as_bytes());
		out[63] |= 0x80;
		out
	}

	/// Two valid signatures with their `s` shifted against each other by the
	/// other's deterministic coefficient pass schnorrkel's deterministic batch
	/// (the malleability) although neither verifies alone; our batch, whose
	/// coefficients commit to every `s`, refuses them.
	#[test]
	fn shifted_signatures_fail_although_the_deterministic_batch_passes_them() {
		let ctx = signing_context(SIGNING_CONTEXT);
		let m = vec![b"first message".to_vec(), b"second message".to_vec()];
		let (k1, k2) = (Keypair::generate(), Keypair::generate());
		let s1 = k1.sign(ctx.bytes(&m[0])).to_bytes();
		let s2 = k2.sign(ctx.bytes(&m[1])).to_bytes();
		let good: Vec<Signed> = vec![(0, k1.public.to_bytes(), s1), (1, k2.public.to_bytes(), s2)];
		assert!(check(&m, &good));
		let z = deterministic_coefficients(&m, &good);
		let s_of = |sig: &[u8; 64]| {
			let mut b = [0u8; 32];
			b.copy_from_slice(&sig[32..]);
			b[31] &= 0x7f;
			Scalar::from_canonical_bytes(b).unwrap()
		};
		let shifted: Vec<Signed> = vec![
			(0, good[0].1, with_s(&s1, s_of(&s1) + z[1])),
			(1, good[1].1, with_s(&s2, s_of(&s2) - z[0])),
		];
		// Neither verifies alone…
		assert!(!check(&m, &shifted[..1]));
		assert!(!check(&m, &shifted[1..]));
		// …yet the deterministic batch equation balances…
		let sigs: Vec<Signature> =
			shifted.iter().map(|(_, _, s)| Signature::from_bytes(s).unwrap()).collect();
		let keys: Vec<PublicKey> =
			shifted.iter().map(|(_, k, _)| PublicKey::from_bytes(k).unwrap()).collect();
		let transcripts = m.iter().map(|msg| ctx.bytes(msg));
		assert!(schnorrkel::verify_batch_deterministic(transcripts, &sigs, &keys, false).is_ok());
		// …while ours does not.
		assert!(!check(&m, &shifted));
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
