//! # pod-wire
//!
//! Everything two roles of the PoD CDN exchange, and nothing else: what a
//! client, an edge and the reporter send each other over HTTP. The chain's
//! own types (tickets, receipts, claims, attestations, manifests) and their
//! signing bytes live in [`pod_primitives`], re-exported as [`primitives`].
//!
//! No async runtime, HTTP stack, database or chain client: this crate builds
//! for `wasm32-unknown-unknown`, so a browser signs and checks exactly the
//! bytes the edges and the chain do.
//!
//! | module | what |
//! | --- | --- |
//! | [`api`] | the reporter's messages: heartbeats, schedules, client reports, confirmations and their reductions |
//! | [`replies`] | every JSON reply of the edge's and the reporter's APIs, and the error body |
//! | [`code`] | refusal codes (the `error` of every refusal) |
//! | [`headers`] | the `x-pod-*` header names and their hex SCALE values |
//! | [`hex`] | hex fields: keys, ids, SCALE values |
//! | [`range`] | `Range: bytes=…` parsing |
//! | [`manifest`] | checking manifest bytes against a content id |
//! | [`slice`] | verified slices of a chunk (BLAKE3 verified streaming, 16 KiB groups) |
//! | [`peer`] | the frames of the edges' chunk exchange |
//! | [`fault`] | where a fault came from and whether a retry helps |
//! | [`clock`] | the wall clock (also in a browser) |
#![deny(missing_docs)]

pub mod api;
pub mod clock;
pub mod code;
pub mod fault;
pub mod headers;
pub mod hex;
pub mod manifest;
pub mod peer;
pub mod range;
pub mod replies;
pub mod slice;

pub use pod_primitives as primitives;

pub use code::Code;
pub use fault::{Fault, Side};
