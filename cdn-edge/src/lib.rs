//! # cdn-edge
//!
//! The off-chain side of the PoD CDN (DESIGN.md §4–6): edge daemon, reporting
//! service and client. Being built under issue #3; so far it holds the cache
//! eviction policy and re-exports the shared wire types.

pub mod cache;

pub use pod_primitives as primitives;
