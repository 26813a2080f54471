//! Edges, contents, escrow and the pallet's account: the bookkeeping that
//! calls and the genesis build share.

use crate::pallet::*;
use crate::types::{Balance, ContentInfo, EdgeInfo};
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Mutate, MutateHold},
		tokens::{Precision, Preservation},
	},
};
use pod_primitives::{ContentId, PublicKey};
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The pallet's account: holds escrow and the backing of credits.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Checks an edge key's proof that its holder registers it for `who`.
	pub(crate) fn check_edge_proof(
		who: &T::AccountId,
		edge_key: &PublicKey,
		proof: &pod_primitives::Signature,
	) -> DispatchResult {
		let msg = pod_primitives::edge_registration_bytes(&Self::genesis_hash(), edge_key, who);
		let ok = sp_io::crypto::sr25519_verify(
			&sp_core::sr25519::Signature::from_raw(*proof),
			&msg,
			&sp_core::sr25519::Public::from_raw(*edge_key),
		);
		ensure!(ok, Error::<T>::BadEdgeProof);
		Ok(())
	}

	pub(crate) fn do_register_edge(
		who: &T::AccountId,
		edge_key: PublicKey,
		region: Vec<u8>,
		capacity: u64,
	) -> DispatchResult {
		ensure!(!Edges::<T>::contains_key(edge_key), Error::<T>::EdgeAlreadyRegistered);
		let region: BoundedVec<u8, T::MaxRegionLen> =
			region.try_into().map_err(|_| Error::<T>::RegionTooLong)?;
		ensure!(capacity > 0, Error::<T>::ZeroCapacity);
		let bond = T::EdgeBond::get();
		T::Currency::hold(&HoldReason::EdgeBond.into(), who, bond)?;
		Edges::<T>::insert(
			edge_key,
			EdgeInfo {
				owner: who.clone(),
				region,
				capacity,
				bond,
				since: Self::current_window(),
				leaving: None,
			},
		);
		Self::deposit_event(Event::EdgeRegistered {
			edge: edge_key,
			owner: who.clone(),
			capacity,
			bond,
		});
		Ok(())
	}

	pub(crate) fn do_register_content(
		who: &T::AccountId,
		id: ContentId,
		size: u64,
		price_per_gib: Balance,
		origin: Vec<u8>,
	) -> DispatchResult {
		ensure!(!Contents::<T>::contains_key(id), Error::<T>::ContentAlreadyRegistered);
		ensure!(size > 0, Error::<T>::ZeroSize);
		ensure!(!price_per_gib.is_zero(), Error::<T>::ZeroPrice);
		let origin: BoundedVec<u8, T::MaxOriginLen> =
			origin.try_into().map_err(|_| Error::<T>::OriginTooLong)?;
		let deposit = T::ContentDeposit::get();
		T::Currency::hold(&HoldReason::ContentDeposit.into(), who, deposit)?;
		Contents::<T>::insert(
			id,
			ContentInfo {
				owner: who.clone(),
				size,
				price_per_gib,
				origin,
				retired_from: None,
				budget: None,
				open: false,
				deposit,
			},
		);
		Self::deposit_event(Event::ContentRegistered {
			id,
			owner: who.clone(),
			size,
			price_per_gib,
		});
		Ok(())
	}

	/// Removes a retired content whose last payable window can no longer
	/// settle and releases its deposit to its owner.
	pub(crate) fn do_reap_content(id: ContentId) -> DispatchResult {
		let c = Contents::<T>::get(id).ok_or(Error::<T>::UnknownContent)?;
		let from = c.retired_from.ok_or(Error::<T>::ContentNotRetired)?;
		// Window `from - 1` is the last one paid; it settles while it is
		// at most `MaxWindowAge` windows old.
		let last_paid = from.saturating_sub(1);
		ensure!(
			Self::current_window().saturating_sub(last_paid) > T::MaxWindowAge::get(),
			Error::<T>::ContentStillSettling
		);
		let released = T::Currency::release(
			&HoldReason::ContentDeposit.into(),
			&c.owner,
			c.deposit,
			Precision::BestEffort,
		)?;
		Contents::<T>::remove(id);
		Self::deposit_event(Event::ContentReaped { id, owner: c.owner, released });
		Ok(())
	}

	pub(crate) fn do_deposit(who: &T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let escrow = Escrow::<T>::get(who).checked_add(amount).ok_or(Error::<T>::Overflow)?;
		T::Currency::transfer(who, &Self::account_id(), amount, Preservation::Preserve)?;
		Escrow::<T>::insert(who, escrow);
		Self::deposit_event(Event::Deposited { who: who.clone(), amount });
		Ok(())
	}

	/// Whether a redemption is past `RedemptionExpiry`: its owner's to
	/// reclaim, no longer the operator's to complete.
	pub(crate) fn redemption_expired(r: &crate::types::Redemption<T>) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		now >= r.requested_at.saturating_add(T::RedemptionExpiry::get())
	}

	/// A customer's escrow.
	pub fn escrow_of(who: &T::AccountId) -> Balance {
		Escrow::<T>::get(who)
	}

	/// Credits of an account.
	pub fn credits_of(who: &T::AccountId) -> Balance {
		Credits::<T>::get(who)
	}
}
