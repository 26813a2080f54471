//! Customers' limits over time: a spending limit or a content's budget
//! that is raised applies at once, one that is lowered only from the next
//! window. Reporters issue a window's tickets against the limits they read
//! during it (`crates/reporter/src/funds.rs`); a lowering that applied at
//! once would leave deliveries under those tickets unpaid — delivery for
//! free. The limit a lowering replaced is remembered (`LimitsBefore`,
//! `BudgetsBefore`) with the window from which it no longer applies.

use crate::pallet::*;
use crate::types::Balance;
use pod_primitives::WindowIndex;

/// A remembered limit: the window from which it no longer applies, and the
/// limit (`None`: none).
pub type Before = (WindowIndex, Option<Balance>);

/// The more generous of two limits (`None`: no limit).
fn looser(a: Option<Balance>, b: Option<Balance>) -> Option<Balance> {
	Some(a?.max(b?))
}

/// Whether limit `a` allows at least what `b` allows.
fn at_least(a: Option<Balance>, b: Option<Balance>) -> bool {
	match (a, b) {
		(None, _) => true,
		(Some(_), None) => false,
		(Some(x), Some(y)) => x >= y,
	}
}

impl<T: Config> Pallet<T> {
	/// The limit that applies to deliveries of `window`: the one `set`, or
	/// for a window before the last lowering took effect, the more generous
	/// of it and the one it replaced.
	pub fn limit_at(
		set: Option<Balance>,
		before: Option<Before>,
		window: WindowIndex,
	) -> Option<Balance> {
		match before {
			Some((from, old)) if window < from => looser(old, set),
			_ => set,
		}
	}

	/// What to remember when a limit set to `old` (with `before`
	/// remembered) becomes `new`: nothing if `new` allows at least what the
	/// current window's tickets may have been issued under; else that,
	/// until the next window.
	pub(crate) fn remembered(
		old: Option<Balance>,
		before: Option<Before>,
		new: Option<Balance>,
	) -> Option<Before> {
		let now = Self::current_window();
		let in_force = Self::limit_at(old, before, now);
		(!at_least(new, in_force)).then(|| (now.saturating_add(1), in_force))
	}
}
