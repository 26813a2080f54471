//! # pod-client
//!
//! The viewer's and the publisher's side of the PoD CDN, as a library to
//! embed (no database, no peer-to-peer stack, no chain client); the `pod`
//! command (`pod-cli`) is built on it.
//!
//! | module | what |
//! | --- | --- |
//! | [`fetch`] | download from several edges in parallel: verify every chunk, sign cumulative receipts, fail over, resume |
//! | [`reporter`] | be scheduled onto edges, report the client's own receipts, register a content |
//! | [`content`] | publish: chunk a file, build its manifest and id; manifest files |
//! | [`grant`] | the publisher's backend: mint a viewer grant |
//!
//! Messages come from [`pod_wire`], so a client signs exactly the bytes the
//! edges and the chain check.
#![deny(missing_docs)]

pub mod content;
pub mod fetch;
pub mod grant;
pub mod reporter;

pub use fetch::{
	fetch, fetch_attempt, Attempt, FetchError, FetchPlan, FetchReport, FetchSummary, Source,
	SourceReport,
};
pub use reporter::{report, schedule, ReporterCallError, Scheduled};
