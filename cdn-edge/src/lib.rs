//! # cdn-edge
//!
//! The off-chain side of the PoD CDN (DESIGN.md §4–6): edge daemon, reporting
//! service and client. Being built under issue #3; so far it holds the cache
//! chunk cache (S3-FIFO over an on-disk store) and the protocol logic
//! (tickets, receipts under a credit window, claims), and re-exports the
//! shared wire types.

pub mod cache;
pub mod chain;
pub mod client;
pub mod content;
pub mod edge;
pub mod fill;
pub mod httpapi;
pub mod ledger;
pub mod metrics;
pub mod origin;
pub mod p2p;
pub mod protocol;
pub mod reporter;

pub use pod_primitives as primitives;
