//! Why a reporter request failed; each maps to a specific HTTP refusal in
//! [`crate::http`].

use crate::confirm::ConfirmError;
use crate::store::StoreError;
use pod_chain::ChainError;
use pod_http::CallError;
use pod_primitives::WindowIndex;
use pod_wire::hex::DecodeError;
use pod_wire::manifest::ManifestDecodeError;
use pod_wire::{Fault, Side};

/// Why a reporter request failed.
#[derive(Debug, thiserror::Error)]
pub enum ReporterError {
	/// The database failed.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The chain node failed.
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	/// A configuration value is unusable.
	#[error("config: {field}: {reason}")]
	Config {
		/// The field (as in `reporter.toml`).
		field: &'static str,
		/// What is wrong with it.
		reason: String,
	},
	/// The content is not registered here.
	#[error("unknown content {0}")]
	UnknownContent(String),
	/// The content is not payable on chain.
	#[error("content {content} cannot be registered: {why} on chain")]
	NotOnChain {
		/// The content (hex).
		content: String,
		/// Why.
		why: String,
	},
	/// A manifest is unusable.
	#[error("bad manifest: {0}")]
	BadManifest(#[from] ManifestDecodeError),
	/// No live edge can serve the content.
	#[error("no live edge can serve this content")]
	NoEdges,
	/// A heartbeat's signature does not verify.
	#[error("heartbeat signature does not verify for edge {0}")]
	BadHeartbeat(String),
	/// A heartbeat from an edge the chain does not let serve.
	#[error("edge {edge} is not admitted: {why}")]
	EdgeNotOnChain {
		/// The edge key (hex).
		edge: String,
		/// Why.
		why: &'static str,
	},
	/// A heartbeat announces a URL the reporter does not connect to.
	#[error("the edge's URL is refused: {0}")]
	BadEdgeUrl(String),
	/// A heartbeat's clock is too far from ours.
	#[error("heartbeat is {0} s away from the reporter's clock")]
	StaleHeartbeat(u64),
	/// The window is not ready to be confirmed.
	#[error("window {window} cannot be confirmed yet: {why}")]
	TooEarly {
		/// The window.
		window: WindowIndex,
		/// Why not yet.
		why: String,
		/// When to come back.
		retry_after_secs: u64,
	},
	/// The claim cannot be confirmed.
	#[error(transparent)]
	Confirm(#[from] ConfirmError),
	/// A hex field does not decode.
	#[error("bad request: {0}")]
	BadField(#[from] DecodeError),
	/// Some other malformed request.
	#[error("bad request: {0}")]
	BadRequest(String),
	/// An edge did not take a hold order.
	#[error("the edge did not take the order: {0}")]
	Order(#[source] CallError),
	/// No audit could be run.
	#[error("no audit: {0}")]
	NoAudit(String),
	/// The content is not open and no grant came with the request.
	#[error("content {0} is not open: schedule it with the publisher's viewer grant")]
	GrantRequired(String),
	/// The grant does not authorise this request.
	#[error("grant refused: {0}")]
	GrantRefused(String),
	/// An open content's rate limit per viewer key or client network.
	#[error(
		"too many schedules of open contents from this {what} (at most {per_minute} a minute)"
	)]
	RateLimited {
		/// `viewer key` or `client network`.
		what: &'static str,
		/// The limit.
		per_minute: u32,
		/// When to come back.
		retry_after_secs: u64,
	},
	/// The money that would pay for the tickets is not there (or is
	/// reserved for tickets already issued).
	#[error("no ticket for content {content}: {} leaves nothing to pay an edge with", limit.name())]
	Unfunded {
		/// The content (hex).
		content: String,
		/// The limit that ran out.
		limit: crate::funds::Limit,
	},
	/// Every byte of the grant's budget is already allowed to earlier tickets.
	#[error("grant {grant} has no budget left ({budget} bytes all allowed to earlier tickets)")]
	GrantExhausted {
		/// The grant id (hex).
		grant: String,
		/// Its budget.
		budget: u64,
	},
}

impl Fault for ReporterError {
	fn side(&self) -> Side {
		match self {
			ReporterError::Store(_) | ReporterError::Config { .. } | ReporterError::NoAudit(_) => {
				Side::Internal
			}
			ReporterError::Chain(_) | ReporterError::Order(_) | ReporterError::NoEdges => {
				Side::Upstream
			}
			_ => Side::Downstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			ReporterError::Chain(e) => e.retryable(),
			ReporterError::Order(e) => e.retryable(),
			ReporterError::NoEdges
			| ReporterError::TooEarly { .. }
			| ReporterError::NoAudit(_)
			| ReporterError::RateLimited { .. } => true,
			// A window's limits renew with the next window; escrow only
			// when the customer tops it up.
			ReporterError::Unfunded { limit, .. } => *limit != crate::funds::Limit::Escrow,
			_ => false,
		}
	}
}
