//! # pod-edge
//!
//! The edge box of the PoD CDN: it serves chunks of customers' contents to
//! viewers holding reporter-signed tickets, takes their signed cumulative
//! receipts, and is paid for the bytes once the reporter confirms its claim
//! and the chain settles the two-signed attestation.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | `edge.toml` |
//! | [`daemon`] | [`Edge`]: keys, stores and shared state; holding contents; reporter orders |
//! | [`http`] | the data plane: chunks under tickets and receipts, manifests, admin, status |
//! | [`session`] | one serving session per ticket, and byte reservations |
//! | [`proofs`] | the hashes verified slices of a chunk are cut with |
//! | [`protocol`] | pure rules: ticket checks, the receipt credit window, claims |
//! | [`cache`] | the on-disk chunk cache (S3-FIFO, verified on every read) |
//! | [`fill`] | cache misses filled from peers, then the origin; verified before use |
//! | [`p2p`] | libp2p: chunk exchange between edges, Kademlia, gossiped orders |
//! | [`peer_gate`] | who may take chunks over libp2p: registered edges, by their credential |
//! | [`ledger`] | the durable receipt ledger and each window's settlement state |
//! | [`settle`] | heartbeats; claim → confirmation → submission → finality |
//! | [`limiter`] | the serving rate and the monthly byte cap |
//! | [`metrics`] | Prometheus metrics |
//! | [`error`] | errors outside the data plane |
//!
//! Messages exchanged with clients and the reporter come from [`pod_wire`];
//! the chain is reached through [`pod_chain`].
#![deny(missing_docs)]

pub mod cache;
pub mod config;
pub mod daemon;
pub mod error;
pub mod fill;
pub mod http;
pub mod ledger;
pub mod limiter;
pub mod metrics;
pub mod p2p;
pub mod peer_gate;
pub mod proofs;
pub mod protocol;
pub mod session;
pub mod settle;

pub use config::EdgeConfig;
pub use daemon::{Edge, Holding};
pub use error::{EdgeError, HoldError, OrderError};
pub use http::serve;
