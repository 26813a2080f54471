//! # pod-reporter
//!
//! The reporting service of the PoD CDN (`docs/design.md`): it schedules clients
//! onto edges and issues their tickets, takes clients' own receipts,
//! confirms and co-signs edges' window claims, orders hot content onto more
//! edges, and audits edges as an ordinary client would.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | `reporter.toml` |
//! | [`service`] | [`Reporter`]: key, store, the chain's window; contents, heartbeats, `/status` |
//! | [`placement`] | where a viewer's tickets go (pure): eligible edges, weights, a weighted random order |
//! | [`schedule`] | choosing edges, hold orders, tickets, hot contents |
//! | [`funds`] | the money behind tickets: reserved against escrow, limit, budget and cap (pure) |
//! | [`reports`] | clients' own receipts and lying edges |
//! | [`confirm`] | the confirmation rule (pure): what a claim's receipts prove |
//! | [`attest`] | confirming and co-signing a window, idempotently |
//! | [`audit`] | random audits of edges |
//! | [`http`] | the HTTP API |
//! | [`store`] | the RocksDB state |
//! | [`metrics`] | Prometheus metrics |
//! | [`error`] | [`ReporterError`] |
//!
//! Messages come from [`pod_wire`]; the chain is reached through [`pod_chain`].
#![deny(missing_docs)]

pub mod attest;
pub mod audit;
pub mod config;
pub mod confirm;
pub mod error;
pub mod funds;
pub mod grants;
pub mod http;
pub mod metrics;
pub mod open;
pub mod placement;
pub mod reports;
pub mod schedule;
pub mod service;
pub mod store;
#[cfg(test)]
mod testing;

pub use config::ReporterConfig;
pub use error::ReporterError;
pub use metrics::ReporterMetrics;
pub use service::Reporter;
