//! The JSON replies of the edge's and the reporter's HTTP APIs. Their shape
//! is an API that dashboards, SDKs and scripts depend on: fields are added,
//! never renamed.

use crate::code::Code;
use serde::{Deserialize, Serialize};

/// Every refusal: `{"error": code, "message": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
	/// A [`Code`]'s wire name (kept a string so a client can read codes
	/// newer than itself).
	pub error: String,
	/// For people.
	pub message: String,
}

impl ErrorBody {
	/// The code, if it is one this crate knows.
	pub fn code(&self) -> Option<Code> {
		Code::parse(&self.error)
	}
}

// ---- edge ----

/// What the reporter confirmed of one part of one window, as the edge keeps
/// it once the receipts themselves are pruned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRecord {
	/// Receipts the claim carried.
	pub receipts: usize,
	/// Bytes the edge claimed (what its receipts acknowledge).
	pub claimed_bytes: u64,
	/// Bytes the reporter confirmed.
	pub confirmed_bytes: u64,
	/// Every cut the reporter made, and why.
	pub reductions: Vec<crate::api::Reduction>,
	/// Receipts whose viewer reported less to the reporter (paid in full).
	#[serde(default)]
	pub disputes: usize,
}

/// One part of one window in an edge's `GET /earnings` (admin plane),
/// newest window first: the edge's own side of what it earned. What the
/// chain paid for it is the chain's `settlements(edge, window)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowEarnings {
	/// The chain window.
	pub window: u32,
	/// The reporter (hex) whose tickets these are.
	pub reporter: String,
	/// The part of the window (a window with many receipts settles in parts).
	pub part: u16,
	/// `open`, `claimed`, `confirmed`, `submitted`, `finalized`, `unpaid`
	/// or `refused`.
	pub state: String,
	/// Receipts held (or, once pruned, that the claim carried).
	pub receipts: usize,
	/// Bytes those receipts acknowledge.
	pub acked_bytes: u64,
	/// What the reporter confirmed, once it has.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub confirmation: Option<SlotRecord>,
	/// The block the attestation is in (hex), once submitted.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub block: Option<String>,
	/// Why the window is unpaid or refused.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub note: Option<String>,
}

/// One unsettled window in an edge's `/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStatus {
	/// The chain window.
	pub window: u32,
	/// The reporter whose tickets these are (hex): a window settles once
	/// with each reporter.
	#[serde(default)]
	pub reporter: String,
	/// `open`, `claimed`, `confirmed`, `submitted`, `finalized` or `unpaid`.
	pub state: String,
	/// Tickets with a receipt in this window.
	pub receipts: usize,
	/// Bytes those receipts acknowledge.
	pub acked_bytes: u64,
}

/// The cache part of an edge's `/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheStatus {
	/// Bytes held.
	pub bytes: u64,
	/// Chunks held.
	pub chunks: u64,
	/// The hard quota.
	pub quota: u64,
	/// Reads served from the cache.
	pub hits: u64,
	/// Reads that needed a fill.
	pub misses: u64,
	/// Chunks evicted so far.
	pub evictions: u64,
	/// Chunks found corrupt on read (and dropped).
	pub corrupt: u64,
}

/// The bandwidth part of an edge's `/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandwidthStatus {
	/// Bytes per second (0: none).
	pub rate_limit: u64,
	/// Bytes per calendar month (0: none).
	pub monthly_cap: u64,
	/// The month counted (`YYYY-MM`, UTC).
	pub month: String,
	/// Bytes served in it.
	pub served_this_month: u64,
}

/// An edge's `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeStatus {
	/// Windows not yet settled, with their receipts.
	pub windows: Vec<WindowStatus>,
	/// The edge's public key (hex).
	pub edge: String,
	/// Seconds since the edge started.
	pub uptime_secs: u64,
	/// Contents the edge holds.
	pub contents: usize,
	/// Tickets with a live serving session.
	pub active_tickets: usize,
	/// The chunk cache.
	pub cache: CacheStatus,
	/// Rate and monthly caps.
	pub bandwidth: BandwidthStatus,
}

/// An edge's answer to `POST /hold/{content}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldReply {
	/// Content id (hex).
	pub content: String,
	/// Chunks in the manifest.
	pub chunks: usize,
	/// Bytes in the content.
	pub size: u64,
	/// Whether every chunk is being filled now.
	pub prefetch: bool,
}

/// An edge's answer to `POST /order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReply {
	/// Content id (hex).
	pub content: String,
	/// Always true: a refused order is an error.
	pub held: bool,
}

/// An edge's answer to `POST /receipt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptReply {
	/// Whether the receipt improved on the best one (and was stored).
	pub stored: bool,
	/// Bytes acknowledged under the ticket.
	pub acked: u64,
	/// Bytes served under it.
	pub served: u64,
}

// ---- reporter ----

/// What the reporter knows of an edge (also its stored record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRecord {
	/// Data-plane base URL, from its heartbeat.
	pub url: String,
	/// Region, from its heartbeat.
	pub region: String,
	/// Bytes per second it lends, from its heartbeat.
	pub capacity: u64,
	/// Live sessions, from its heartbeat (shown, not trusted: scheduling
	/// ranks by [`ReporterEdge::open_tickets`], which the reporter counts).
	pub load: u32,
	/// Free cache bytes, from its heartbeat.
	pub free_disk: u64,
	/// Held contents (hex).
	pub held: Vec<String>,
	/// When its last heartbeat arrived (Unix ms).
	pub last_seen_ms: u64,
	/// Audits passed.
	pub audits_passed: u64,
	/// Audits failed.
	pub audits_failed: u64,
	/// Viewers' accusations the reporter's own audit confirmed.
	pub lying_reports: u64,
	/// Signed receipts for which the client reported fewer bytes to the
	/// reporter than it signed: evidence against the edge, not a cut.
	#[serde(default)]
	pub client_disputes: u64,
	/// Starts at 0; the reporter's own audits move it (bounded to ±100):
	/// bad bytes lower it, periodic audits passed raise it, and it
	/// returns towards 0 over time (as of `reputation_at_ms`).
	pub reputation: i64,
	/// When `reputation` was last set (Unix ms; 0: never).
	#[serde(default)]
	pub reputation_at_ms: u64,
	/// The last audit failure, for the API.
	#[serde(default)]
	pub last_failure: Option<String>,
	/// Addresses the reporter saw it at: its last heartbeat's source, and
	/// its URL's host if that is an address. Scheduling never sends a
	/// viewer to an edge in its own network.
	#[serde(default)]
	pub addresses: Vec<String>,
	/// The account that registered it on chain (hex), when the reporter
	/// follows a chain: a viewer in the network of one of an owner's edges
	/// is scheduled on none of them.
	#[serde(default)]
	pub owner: Option<String>,
}

/// One edge in the reporter's `/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterEdge {
	/// The edge's public key (hex).
	pub edge: String,
	/// Whether it sent a heartbeat recently enough to be scheduled.
	pub live: bool,
	/// This reporter's unexpired tickets for it: the load the reporter
	/// measures itself, and ranks by.
	#[serde(default)]
	pub open_tickets: u64,
	/// Everything the reporter knows of it.
	pub record: EdgeRecord,
}

/// The reporter's `GET /status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterStatus {
	/// The reporter's public key (hex).
	pub reporter: String,
	/// The chain's genesis hash (hex).
	pub genesis: String,
	/// The chain's current window, as last seen.
	pub window: u32,
	/// Every edge it has heard of.
	pub edges: Vec<ReporterEdge>,
}

/// The reporter's answer to `POST /contents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRegistered {
	/// Content id (hex).
	pub content: String,
}

/// The reporter's answer to `POST /heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatReply {
	/// The chain's current window, as the reporter sees it.
	pub window: u32,
}

/// The reporter's answer to `POST /reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReply {
	/// Receipts that were new and are now stored.
	pub stored: usize,
	/// Why each refused item was refused.
	pub refused: Vec<String>,
}

/// The reporter's answer to `POST /audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReply {
	/// The audited edge (hex).
	pub edge: String,
	/// `passed`, `bad_bytes`, `refused` or `unreachable`.
	pub result: String,
}
