//! The edge's errors outside the data plane (whose refusals are in
//! [`crate::http`]). Each says where the fault came from and whether a retry
//! can help ([`Fault`]).

use crate::cache::StoreError;
use crate::ledger::LedgerError;
use crate::p2p::PeerError;
use pod_wire::hex::DecodeError;
use pod_wire::manifest::ManifestDecodeError;
use pod_wire::{Fault, Side};
use std::path::PathBuf;

/// Why an edge cannot start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
	/// A configuration value is unusable.
	#[error("config: {field}: {reason}")]
	Config {
		/// The field (as in `edge.toml`).
		field: &'static str,
		/// What is wrong with it.
		reason: String,
	},
	/// A hex configuration value does not decode.
	#[error("config: {0}")]
	ConfigHex(#[from] DecodeError),
	/// The chunk store failed.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The receipt ledger failed.
	#[error(transparent)]
	Ledger(#[from] LedgerError),
	/// Holding a content failed.
	#[error(transparent)]
	Hold(#[from] HoldError),
	/// The peer layer failed to start.
	#[error("peer layer: {0}")]
	Peers(#[from] PeerError),
	/// A file or directory could not be used.
	#[error("{what} {path}: {source}")]
	Io {
		/// What was being done.
		what: &'static str,
		/// The path.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
}

impl Fault for EdgeError {
	fn side(&self) -> Side {
		match self {
			EdgeError::Hold(e) => e.side(),
			_ => Side::Internal,
		}
	}

	fn retryable(&self) -> bool {
		false
	}
}

/// Why a content could not be held.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
	/// The manifest is not the content's.
	#[error(transparent)]
	Manifest(#[from] ManifestDecodeError),
	/// It could not be written to disk.
	#[error("writing {path}: {source}")]
	Io {
		/// The path.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
}

impl Fault for HoldError {
	fn side(&self) -> Side {
		match self {
			HoldError::Manifest(_) => Side::Downstream,
			HoldError::Io { .. } => Side::Internal,
		}
	}

	fn retryable(&self) -> bool {
		matches!(self, HoldError::Io { .. })
	}
}

/// Why a reporter's hold order was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
	/// Signed by a key this edge does not honour as a reporter.
	#[error("order from {0}, which is not a reporter this edge honours")]
	NotAReporter(String),
	/// The signature does not verify.
	#[error("order signature does not verify")]
	BadSignature,
	/// Too old.
	#[error("order expired at {expires_at} ms (now {now} ms)")]
	Expired {
		/// When it expired (Unix ms).
		expires_at: u64,
		/// Now (Unix ms).
		now: u64,
	},
	/// The order names another origin than the chain records for the
	/// content (or a content the chain does not know): a reporter cannot
	/// point edges at a URL of its choosing.
	#[error("order for content {content}: {why}")]
	NotTheChainsOrigin {
		/// The content (hex).
		content: String,
		/// What the chain says.
		why: String,
	},
	/// The chain could not be asked for the content's origin.
	#[error("order for content {content}: the chain could not be read ({error})")]
	ChainUnreadable {
		/// The content (hex).
		content: String,
		/// The error.
		error: String,
	},
	/// Valid, but holding the content failed.
	#[error(transparent)]
	Hold(#[from] HoldError),
}

impl Fault for OrderError {
	fn side(&self) -> Side {
		match self {
			OrderError::Hold(e) => e.side(),
			OrderError::ChainUnreadable { .. } => Side::Upstream,
			_ => Side::Downstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			OrderError::Hold(e) => e.retryable(),
			OrderError::ChainUnreadable { .. } => true,
			_ => false,
		}
	}
}
