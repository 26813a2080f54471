//! The label the services count refusals, reductions and results by.

use prometheus_client::encoding::EncodeLabelSet;

/// A `reason` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
	/// The reason: a refusal code, a reduction reason, an audit result.
	pub reason: String,
}

impl ReasonLabel {
	/// The label for `reason`.
	pub fn new(reason: impl Into<String>) -> Self {
		ReasonLabel { reason: reason.into() }
	}
}
