//! `PodApi`: read-only queries for customers, edges and operators.

use alloc::vec::Vec;
use pod_primitives::{PartIndex, PublicKey, SettlementRecord, UsageRecord, WindowIndex};

sp_api::decl_runtime_apis! {
	/// Balances, windows, settlement status, usage and earnings.
	pub trait PodApi<AccountId> where AccountId: codec::Codec {
		/// Reward credits of an account.
		fn credits(who: AccountId) -> u128;
		/// Sum of all credits.
		fn total_credits() -> u128;
		/// A customer's escrow.
		fn escrow(who: AccountId) -> u128;
		/// The window the best block belongs to.
		fn current_window() -> WindowIndex;
		/// Blocks per window.
		fn window_length() -> u32;
		/// What settling part `part` of `(edge, window)` with `reporter`
		/// paid, or `None` if it is not settled.
		fn settlement(
			edge: PublicKey,
			window: WindowIndex,
			reporter: PublicKey,
			part: PartIndex,
		) -> Option<SettlementRecord>;
		/// Every settlement of `(edge, window)`: by reporter and part.
		fn settlements(
			edge: PublicKey,
			window: WindowIndex,
		) -> Vec<(PublicKey, PartIndex, SettlementRecord)>;
		/// A customer's delivered bytes and charges in one window.
		fn usage(customer: AccountId, window: WindowIndex) -> UsageRecord;
		/// Credits an edge earned in one window with every reporter (vested
		/// or not; 0 if not settled).
		fn edge_earnings(edge: PublicKey, window: WindowIndex) -> u128;
		/// Credits an account will receive when its pending settlements vest.
		fn unvested(who: AccountId) -> u128;
		/// The genesis hash every PoD signature is bound to.
		fn genesis_hash() -> [u8; 32];
	}
}
