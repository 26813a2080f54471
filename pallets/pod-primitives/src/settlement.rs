//! The one settlement formula: what a delivery costs the customer, what the
//! operator takes and what the edge is credited. Integer arithmetic only;
//! every rounding favours the customer (the remainder stays in escrow).

/// Bytes per GiB: prices are quoted per GiB delivered.
pub const GIB: u128 = 1 << 30;
/// Parts per billion, the unit of the fee rate.
pub const BILLION: u128 = 1_000_000_000;
/// The operator's share of every charge: 5%.
pub const OPERATOR_FEE_PPB: u32 = 50_000_000;

/// The result of pricing one entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
	/// Taken from the customer's escrow: always `fee + credits`.
	pub charge: u128,
	/// Paid to the operator in the native currency.
	pub fee: u128,
	/// Minted to the edge as reward credits.
	pub credits: u128,
	/// What the bytes were worth beyond the escrow available (not paid).
	pub unpaid: u128,
}

/// `floor(a · b / c)` without overflow for `b, c ≤ u64::MAX`-ish operands;
/// saturates at `u128::MAX` when the true result does not fit.
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> u128 {
	debug_assert!(c != 0);
	let (q, r) = (a / c, a % c);
	// a·b/c = q·b + r·b/c, and r < c keeps r·b from overflowing for c ≤ 2^64.
	q.saturating_mul(b).saturating_add(r.saturating_mul(b) / c)
}

/// The full price of `bytes` at `price_per_gib`, rounded down.
pub fn price(bytes: u64, price_per_gib: u128) -> u128 {
	mul_div_floor(bytes as u128, price_per_gib, GIB)
}

/// Prices `bytes` of a content at `price_per_gib`, capped by the `escrow`
/// available, and splits the charge into the operator's fee (rounded down)
/// and the edge's credits (the rest).
pub fn settle(bytes: u64, price_per_gib: u128, escrow: u128, fee_ppb: u32) -> Split {
	let full = price(bytes, price_per_gib);
	let charge = full.min(escrow);
	let fee = mul_div_floor(charge, fee_ppb as u128, BILLION);
	Split { charge, fee, credits: charge - fee, unpaid: full - charge }
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn one_gib_at_one_hundred() {
		let s = settle(1 << 30, 100, u128::MAX, OPERATOR_FEE_PPB);
		assert_eq!(s, Split { charge: 100, fee: 5, credits: 95, unpaid: 0 });
	}

	#[test]
	fn rounding_favours_customer() {
		// Half a byte's worth is not charged.
		assert_eq!(price(1, GIB / 2), 0);
		// 19 units: fee floor(0.95) = 0, credits 19.
		let s = settle(19 << 30, 1, u128::MAX, OPERATOR_FEE_PPB);
		assert_eq!((s.charge, s.fee, s.credits), (19, 0, 19));
	}

	#[test]
	fn escrow_caps_the_charge() {
		let s = settle(10 << 30, 1_000, 2_500, OPERATOR_FEE_PPB);
		assert_eq!(s, Split { charge: 2_500, fee: 125, credits: 2_375, unpaid: 7_500 });
	}

	proptest! {
		#[test]
		fn books_balance(bytes: u64, price_per_gib in 0u128..=u64::MAX as u128, escrow: u128, fee in 0u32..=1_000_000_000) {
			let s = settle(bytes, price_per_gib, escrow, fee);
			prop_assert_eq!(s.charge, s.fee + s.credits);
			prop_assert!(s.charge <= escrow);
			prop_assert_eq!(s.charge + s.unpaid, price(bytes, price_per_gib));
			// Exact floor against wide arithmetic done another way.
			let exact = (bytes as u128) * price_per_gib / GIB;
			let wide = (bytes as u128).checked_mul(price_per_gib);
			if wide.is_some() { prop_assert_eq!(price(bytes, price_per_gib), exact); }
		}

		#[test]
		fn mul_div_matches_when_no_overflow(a in 0u128..=u64::MAX as u128, b in 0u128..=u64::MAX as u128, c in 1u128..=u64::MAX as u128) {
			prop_assert_eq!(mul_div_floor(a, b, c), a * b / c);
		}
	}
}
