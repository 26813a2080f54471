//! Where a fault came from and whether trying again can help (the idea of
//! pingora's `ErrorSource` and `RetryType`). Every error type of the
//! off-chain crates implements [`Fault`], so a caller decides on retries and
//! blame without matching on variants it does not know.

/// The side a fault came from, seen from the party that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
	/// The party we called (an origin, a peer edge, the reporter, the chain).
	Upstream,
	/// The party that called us (a bad request, a forged signature).
	Downstream,
	/// Ourselves (disk, database, configuration, a bug).
	Internal,
}

impl Side {
	/// `upstream`, `downstream` or `internal`: the `x-pod-fault` header value.
	pub const fn as_str(self) -> &'static str {
		match self {
			Side::Upstream => "upstream",
			Side::Downstream => "downstream",
			Side::Internal => "internal",
		}
	}
}

/// An error that knows its [`Side`] and whether a retry can help.
pub trait Fault: std::error::Error {
	/// Where the fault came from.
	fn side(&self) -> Side;
	/// Whether the same request may succeed later, unchanged.
	fn retryable(&self) -> bool;
}
