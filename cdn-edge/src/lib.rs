//! # cdn-edge
//!
//! The off-chain side of the PoD CDN (DESIGN.md §4–6): edge daemon, reporting
//! service and client. Built out under issue #3; for now it re-exports the
//! shared wire types so the workspace layout is in place.

pub use pod_primitives as primitives;
