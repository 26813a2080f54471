//! The pallet's stored types: edges, reporters, contents, pending
//! settlements, redemptions.

use crate::pallet::Config;
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use pod_primitives::WindowIndex;
use scale_info::TypeInfo;

/// The native balance type. Credits and escrow use the same `u128` unit.
pub type Balance = u128;

/// An edge as registered on chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct EdgeInfo<T: Config> {
	/// The account that registered the edge, holds its bond and earns its credits.
	pub owner: T::AccountId,
	/// Free-form region code, e.g. `eu-west`.
	pub region: BoundedVec<u8, T::MaxRegionLen>,
	/// Declared serving capacity in bytes per second; caps what one window may claim.
	pub capacity: u64,
	/// Native funds on hold as the bond.
	pub bond: Balance,
	/// The window in which the edge registered: it cannot be paid for earlier ones.
	pub since: WindowIndex,
	/// Set by `unregister_edge`: first window the edge no longer serves, and
	/// the block from which the bond can be withdrawn.
	pub leaving: Option<(WindowIndex, BlockNumberFor<T>)>,
}

/// A registered content.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct ContentInfo<T: Config> {
	/// The customer who pays for its delivery.
	pub owner: T::AccountId,
	/// Size in bytes.
	pub size: u64,
	/// Price in native units per GiB delivered.
	pub price_per_gib: Balance,
	/// The customer's origin URL the edges fill from.
	pub origin: BoundedVec<u8, T::MaxOriginLen>,
	/// Set by `remove_content`: deliveries in this window or later are not paid.
	pub retired_from: Option<WindowIndex>,
	/// Most escrow its deliveries may charge in one window (`None`: no cap).
	pub budget: Option<Balance>,
	/// Whether any viewer may get tickets for it without the customer's
	/// grant. Only a content with a `budget` can be open.
	pub open: bool,
	/// What its owner has on hold for its record (`ContentDeposit` when it
	/// registered), released when it is reaped.
	pub deposit: Balance,
}

/// A request to pay out redeemed credits off chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct Redemption<T: Config> {
	/// Whose credits were burned.
	pub who: T::AccountId,
	/// How many.
	pub amount: Balance,
	/// When.
	pub requested_at: BlockNumberFor<T>,
}

/// A content registered at genesis: id, owner, size, price per GiB, origin.
pub type GenesisContent<T> = (
	pod_primitives::ContentId,
	<T as frame_system::Config>::AccountId,
	u64,
	Balance,
	alloc::vec::Vec<u8>,
);

/// A member of the reporter set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ReporterInfo {
	/// Most escrow that attestations this reporter co-signs may charge in one
	/// window, across every edge and customer: what a stolen reporter key can
	/// take before Root notices is bounded by it.
	pub cap_per_window: Balance,
}

/// Why part of a delivery was not paid.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	codec::DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Limit {
	/// The customer's escrow ran out.
	Escrow,
	/// The customer's own per-window spending limit (`set_spend_limit`).
	SpendLimit,
	/// The content's per-window budget (`set_content_policy`).
	ContentBudget,
	/// The co-signing reporter's per-window cap (`add_reporter`, `set_reporter_cap`).
	ReporterCap,
	/// The share of that cap one customer's contents may take in a window
	/// (`MaxCustomerShare`), so that no customer exhausts a reporter's cap
	/// for the others.
	CustomerShare,
}

/// What one entry of a pending settlement took, so that voiding it gives
/// every part back: the customer's escrow and usage, the content's budget,
/// the edge's capacity and the reporter's cap.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct Charge<T: Config> {
	/// The customer charged.
	pub customer: T::AccountId,
	/// The content delivered.
	pub content: pod_primitives::ContentId,
	/// Bytes delivered.
	pub bytes: u64,
	/// What it charged (credits plus fee).
	pub charge: Balance,
	/// Whether the charge counts against the content's budget
	/// (`ContentSpend`): the content had one when it settled.
	pub budgeted: bool,
}

/// A settlement whose charge the pallet holds until its credits vest.
///
/// Settling takes the escrow at once (so it cannot be withdrawn from under
/// the delivery) but mints the credits and pays the operator's fee only
/// `VestingDelay` blocks later. Until then Root can revoke the co-signing
/// reporter, and the settlement is then voided: every customer gets back
/// what it was charged.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct PendingSettlement<T: Config> {
	/// The edge paid.
	pub edge: pod_primitives::PublicKey,
	/// The window it served.
	pub window: WindowIndex,
	/// The part of the window it settled.
	pub part: pod_primitives::PartIndex,
	/// The co-signing reporter.
	pub reporter: pod_primitives::PublicKey,
	/// The edge's owner, who receives the credits.
	pub owner: T::AccountId,
	/// Credits to mint.
	pub credits: Balance,
	/// The operator's fee.
	pub fee: Balance,
	/// The window in which the chain settled it: what it took of the
	/// reporter's cap is counted there (`ReporterSpend`, `CustomerSpend`).
	pub settled_in: WindowIndex,
	/// Bytes settled, counted against the edge's capacity (`WindowBytes`).
	pub bytes: u64,
	/// What each entry charged (`credits + fee` in total).
	pub charges: BoundedVec<Charge<T>, pod_primitives::MaxEntries>,
	/// The block from which it vests.
	pub vests_at: BlockNumberFor<T>,
}

/// How far `on_idle` has deleted old windows' records: the window being
/// pruned and which of its maps (in [`PRUNED_MAPS`] order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct PruneState {
	/// The oldest window whose records may remain.
	pub window: WindowIndex,
	/// Index into [`PRUNED_MAPS`] of the map being cleared.
	pub map: u8,
}

/// The per-window maps `on_idle` prunes, in order.
pub const PRUNED_MAPS: [&str; 6] =
	["Settled", "WindowBytes", "Usage", "ContentSpend", "ReporterSpend", "CustomerSpend"];
