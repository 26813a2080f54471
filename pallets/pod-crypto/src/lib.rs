//! # pod-crypto
//!
//! A host function that verifies a batch of sr25519 signatures at once, and
//! remembers, per node, the batches that verified.
//!
//! Substrate's `sp_io` verifies one sr25519 signature per call. A validator
//! checks each attestation batch several times: when it enters the pool, when
//! the pool re-validates it against a new block, and when the block carrying
//! it is built or imported. [`verify_batch`] checks all signatures of a batch
//! in one schnorrkel batch verification (about half the cost per signature of
//! one-by-one checks at 256 signatures), and a node that registers
//! [`VerifiedBatchesExt`] answers a batch it has already verified from a
//! cache, without the curve arithmetic.
//!
//! The answer never depends on the cache: verification is a pure function of
//! the batch, and the cache is keyed by the BLAKE3 hash of the batch's whole
//! encoding (messages, keys, signatures). Weights are measured without the
//! extension, so a block costs what its weight says on a node that has never
//! seen its transactions.
//!
//! A runtime that calls it imports `ext_pod_crypto_sr25519_verify_batch_version_1`;
//! the node lists [`HostFunctions`] among its executor's host functions.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Encode;
use sp_runtime_interface::{pass_by::PassFatPointerAndRead, runtime_interface};

#[cfg(not(substrate_runtime))]
mod native;
#[cfg(not(substrate_runtime))]
pub use self::pod_crypto::HostFunctions;
#[cfg(not(substrate_runtime))]
pub use native::{verify_encoded, CacheStats, VerifiedBatches, VerifiedBatchesExt};

/// One signature to check: the index of its message, the signer's public key
/// and the 64-byte signature.
pub use pod_primitives::IndexedSignature as Signed;

/// `true` when every `(message index, public key, signature)` of `signatures`
/// verifies over `messages[index]` in the `substrate` context, exactly as
/// `sp_io::crypto::sr25519_verify` would one by one. An empty batch is
/// `true`; an index out of range, a malformed key or signature is `false`.
pub fn verify_batch(messages: &[Vec<u8>], signatures: &[Signed]) -> bool {
	pod_crypto::sr25519_verify_batch(&(messages, signatures).encode())
}

/// Proof-of-Delivery host functions.
#[runtime_interface]
pub trait PodCrypto {
	/// [`verify_batch`] on the SCALE encoding of `(messages, signatures)`
	/// (`(Vec<Vec<u8>>, Vec<Signed>)`); `false` if it does not decode. Taking
	/// the encoding lets the host hash exactly what it verifies.
	fn sr25519_verify_batch(&mut self, batch: PassFatPointerAndRead<&[u8]>) -> bool {
		use sp_externalities::ExternalitiesExt;
		let cache = self.extension::<VerifiedBatchesExt>().map(|ext| ext.0.clone());
		verify_encoded(cache.as_deref(), batch)
	}
}
