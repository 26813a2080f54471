//! # pod-primitives
//!
//! Wire types and signing payloads of the Proof-of-Delivery (PoD) protocol v1,
//! shared by the chain (`pallet-pod`) and the off-chain crates (`pod-wire` and the roles under `crates/`).
//!
//! Everything here is SCALE-encoded. Every signature covers
//! [`signing_bytes`]: an 8-byte domain tag, the chain's genesis hash and the
//! SCALE encoding of the payload, so a signature made for one message kind or
//! one chain never verifies as another.
//!
//! The settlement formula ([`settlement::settle`]) lives here too, so the edge's
//! forecast of its credits and the pallet's payment are the same code.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod dev;
mod manifest;
pub mod merkle;
mod message;
pub mod settlement;
mod types;

#[cfg(feature = "signing")]
pub mod keys;

pub use manifest::{
	content_id, Manifest, ManifestError, DEFAULT_CHUNK_SIZE, MAX_CHUNKS, MAX_CHUNK_SIZE,
};
pub use message::{
	attestation_signatures, edge_registration_bytes, signing_bytes, DomainTag, IndexedSignature,
	SIGNING_CONTEXT,
};
pub use types::*;
