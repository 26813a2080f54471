//! # pod-testkit
//!
//! The harness of the PoD CDN's off-chain integration tests and of its end
//! to end run (`pod-e2e`, what README command 1 and the test command run):
//!
//! | module | what |
//! | --- | --- |
//! | [`local`] | single-role fixtures: a Range-capable origin, real `pod-edge` processes, keys, tickets, receipts, a small HTTP client |
//! | [`inproc`] | a reporter in this process (no chain) and the test customer whose contents it serves under grants |
//! | [`publisher`] | a publisher's web server: the demo page, the browser SDK, a grant-minting endpoint |
//! | [`web`] | browsers as viewers: the network a page downloads from, Chromium driving a page |
//! | [`metrics`] | `/metrics` checked by `promtool check metrics`, and its samples read |
//! | [`process`] | child processes killed on drop, a supervisor that restarts fault-injected exits, waits that fail loudly |
//! | [`devnet`] | a four-validator local chain on loopback |
//! | [`books`] | the chain's books against the bytes clients received; dev accounts and on-chain set-up |
//! | [`e2e`] | the whole product end to end, with its fault cases |
//!
//! The processes are the workspace's own binaries, found beside the running
//! executable (`cargo build --workspace` builds them all).
#![deny(missing_docs)]

pub mod books;
pub mod devnet;
pub mod e2e;
pub mod inproc;
pub mod local;
pub mod metrics;
pub mod process;
pub mod publisher;
pub mod web;

pub use local::*;
