//! The pallet's stored types: edges, contents, redemptions.

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
