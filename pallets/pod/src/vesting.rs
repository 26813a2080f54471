//! Vesting: a settlement takes the customers' escrow at once, but mints the
//! edge owner's credits and accrues the operator's fee only `VestingDelay`
//! blocks later. Until then Root can revoke the co-signing reporter
//! (`revoke_reporter`), and the settlement is then voided instead: every
//! customer gets its charge back. Together with each reporter's per-window
//! cap this bounds what one reporter key can mint, and makes a stolen key's
//! mint recoverable (`docs/design.md` §8).
//!
//! Settlements queue in `Pending` in the order they settled; since the delay
//! is constant, that is also the order in which they come due, so `on_idle`
//! only ever looks at the head of the queue.

use crate::pallet::*;
use crate::types::{Balance, PendingSettlement};
use crate::weights::WeightInfo;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, tokens::Preservation},
};
use frame_system::pallet_prelude::*;
use pod_primitives::{Attestation, SettlementRecord, SettlementState};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Queues a settlement's credits and fee to vest after `VestingDelay`
	/// (nothing is queued when it charged nothing) and returns when it vests.
	pub(crate) fn queue_vesting(
		att: &Attestation,
		owner: &T::AccountId,
		rec: &SettlementRecord,
		charges: Vec<(T::AccountId, Balance)>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let vests_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::VestingDelay::get());
		if rec.charged.is_zero() {
			return Ok(vests_at);
		}
		let charges = charges.try_into().map_err(|_| Error::<T>::Overflow)?;
		let pending = PendingSettlement::<T> {
			edge: att.payload.edge,
			window: att.payload.window,
			part: att.payload.part,
			reporter: att.reporter,
			owner: owner.clone(),
			credits: rec.credits,
			fee: rec.fee,
			charges,
			vests_at,
		};
		let (head, tail) = PendingRange::<T>::get();
		Pending::<T>::insert(tail, pending);
		PendingRange::<T>::put((head, tail.checked_add(1).ok_or(Error::<T>::Overflow)?));
		Unvested::<T>::try_mutate(owner, |u| -> DispatchResult {
			*u = u.checked_add(rec.credits).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		TotalUnvested::<T>::try_mutate(|t| -> DispatchResult {
			*t = t.checked_add(rec.charged).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		Ok(vests_at)
	}

	/// Vests or voids the settlements due at `now`, oldest first, as far as
	/// `limit` allows (each at its worst-case weight), then pays the accrued
	/// fees. Returns the weight used.
	pub fn process_pending(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let per_item = Self::pending_item_weight();
		let fees = T::WeightInfo::pay_fees();
		let mut used = T::DbWeight::get().reads(1);
		if used.saturating_add(per_item).saturating_add(fees).any_gt(limit) {
			return used;
		}
		let (mut head, tail) = PendingRange::<T>::get();
		let start = head;
		while head < tail && used.saturating_add(per_item).saturating_add(fees).all_lte(limit) {
			used = used.saturating_add(per_item);
			if !Self::process_item(head, now) {
				break;
			}
			head += 1;
		}
		if head != start {
			PendingRange::<T>::put((head, tail));
		}
		used.saturating_add(Self::pay_fees())
	}

	/// Vests or voids queued settlement `index` if it is due at `now`;
	/// whether it was (or was already gone).
	pub(crate) fn process_item(index: u64, now: BlockNumberFor<T>) -> bool {
		match Pending::<T>::get(index) {
			Some(p) if p.vests_at > now => false,
			Some(p) => {
				Pending::<T>::remove(index);
				if Revoked::<T>::contains_key(p.reporter) {
					Self::void(p);
				} else {
					Self::vest(p);
				}
				true
			}
			None => true,
		}
	}

	/// The worst case of vesting or voiding one queued settlement.
	fn pending_item_weight() -> Weight {
		T::WeightInfo::vest_settlement()
			.max(T::WeightInfo::void_settlement(pod_primitives::MAX_ENTRIES))
	}

	/// Mints a due settlement's credits and accrues its fee.
	fn vest(p: PendingSettlement<T>) {
		Credits::<T>::mutate(&p.owner, |c| *c = c.saturating_add(p.credits));
		TotalCredits::<T>::mutate(|t| *t = t.saturating_add(p.credits));
		Unvested::<T>::mutate(&p.owner, |u| *u = u.saturating_sub(p.credits));
		TotalUnvested::<T>::mutate(|t| *t = t.saturating_sub(p.credits.saturating_add(p.fee)));
		AccruedFees::<T>::mutate(|f| *f = f.saturating_add(p.fee));
		Self::mark(&p, SettlementState::Vested);
		Self::deposit_event(Event::SettlementVested {
			edge: p.edge,
			window: p.window,
			part: p.part,
			reporter: p.reporter,
			owner: p.owner,
			credits: p.credits,
			fee: p.fee,
		});
	}

	/// Gives a due settlement of a revoked reporter back to its customers.
	fn void(p: PendingSettlement<T>) {
		let mut refunded: Balance = Zero::zero();
		for (who, charge) in p.charges.iter() {
			Escrow::<T>::mutate(who, |e| *e = e.saturating_add(*charge));
			// A window whose records were pruned gets none back.
			Usage::<T>::mutate_exists(p.window, who, |u| {
				if let Some(u) = u {
					u.charged = u.charged.saturating_sub(*charge);
				}
			});
			refunded = refunded.saturating_add(*charge);
		}
		Unvested::<T>::mutate(&p.owner, |u| *u = u.saturating_sub(p.credits));
		TotalUnvested::<T>::mutate(|t| *t = t.saturating_sub(refunded));
		Self::mark(&p, SettlementState::Voided);
		Self::deposit_event(Event::SettlementVoided {
			edge: p.edge,
			window: p.window,
			part: p.part,
			reporter: p.reporter,
			refunded,
		});
	}

	fn mark(p: &PendingSettlement<T>, state: SettlementState) {
		Settled::<T>::mutate((p.window, p.edge, p.reporter, p.part), |r| {
			if let Some(r) = r {
				r.state = state;
			}
		});
	}

	/// Transfers the accrued fees to the operator. Without an operator, or
	/// while the transfer cannot be made (a fee below the existential deposit
	/// for an empty operator account), they keep accruing; nothing fails.
	pub(crate) fn pay_fees() -> Weight {
		let fees = AccruedFees::<T>::get();
		if fees.is_zero() {
			return T::DbWeight::get().reads(1);
		}
		let Some(operator) = Operator::<T>::get() else { return T::DbWeight::get().reads(2) };
		if T::Currency::transfer(&Self::account_id(), &operator, fees, Preservation::Preserve)
			.is_ok()
		{
			AccruedFees::<T>::kill();
			Self::deposit_event(Event::FeesPaid { operator, amount: fees });
		}
		T::WeightInfo::pay_fees()
	}
}
