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
use crate::types::{Balance, Charge, PendingSettlement};
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
		charges: Vec<Charge<T>>,
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
			settled_in: Self::current_window(),
			bytes: rec.bytes,
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
	/// `limit` allows, then pays the accrued fees. Each item is charged what
	/// it costs (vesting, or voiding its number of entries), read before it
	/// is processed: the worst case of every item would let a block vest
	/// only a few dozen. Returns the weight used.
	pub fn process_pending(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let fees = T::WeightInfo::pay_fees();
		// Reading the head item and whether its reporter was revoked.
		let peek = T::DbWeight::get().reads(2);
		let mut used = T::DbWeight::get().reads(1);
		let (mut head, tail) = PendingRange::<T>::get();
		let start = head;
		while head < tail && used.saturating_add(peek).saturating_add(fees).all_lte(limit) {
			used = used.saturating_add(peek);
			let item = Self::due(head, now);
			let cost = match &item {
				Due::NotYet => break,
				Due::Gone => Weight::zero(),
				Due::Vest(_) => T::WeightInfo::vest_settlement(),
				Due::Void(p) => Self::void_weight(p.charges.len() as u32),
			};
			if used.saturating_add(cost).saturating_add(fees).any_gt(limit) {
				break;
			}
			used = used.saturating_add(cost);
			Self::finish(head, item);
			head += 1;
		}
		if head != start {
			PendingRange::<T>::put((head, tail));
		}
		used.saturating_add(Self::pay_fees())
	}

	/// Vests or voids queued settlement `index` if it is due at `now`;
	/// whether it was (or was already gone). One item of `on_idle`'s work,
	/// as the benchmarks measure it.
	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn process_item(index: u64, now: BlockNumberFor<T>) -> bool {
		let item = Self::due(index, now);
		let done = !matches!(item, Due::NotYet);
		Self::finish(index, item);
		done
	}

	/// What is to be done with queued settlement `index` at `now`.
	fn due(index: u64, now: BlockNumberFor<T>) -> Due<T> {
		match Pending::<T>::get(index) {
			None => Due::Gone,
			Some(p) if p.vests_at > now => Due::NotYet,
			Some(p) if Revoked::<T>::contains_key(p.reporter) => Due::Void(p),
			Some(p) => Due::Vest(p),
		}
	}

	/// Does what [`Self::due`] found to do with item `index`.
	fn finish(index: u64, item: Due<T>) {
		match item {
			Due::Vest(p) => {
				Pending::<T>::remove(index);
				Self::vest(p);
			}
			Due::Void(p) => {
				Pending::<T>::remove(index);
				Self::void(p);
			}
			Due::Gone | Due::NotYet => {}
		}
	}

	/// Voiding a settlement of `entries` entries: the benchmarked weight,
	/// plus the records a void now also gives back (each entry's content
	/// budget and customer share, the reporter's cap and the edge's window
	/// bytes), which the weights in `weights.rs` do not measure yet.
	fn void_weight(entries: u32) -> Weight {
		let given_back = 2 * u64::from(entries) + 2;
		T::WeightInfo::void_settlement(entries)
			.saturating_add(T::DbWeight::get().reads_writes(given_back, given_back))
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

	/// Gives a due settlement of a revoked reporter back: every customer's
	/// charge to its escrow, and everything the settlement counted against
	/// a limit (usage, the content's budget, the edge's capacity, the
	/// reporter's cap and its customers' shares), so that what the stolen
	/// key took leaves no honest delivery of those windows unpaid. A window
	/// whose records were pruned gets none back (they bound nothing then).
	fn void(p: PendingSettlement<T>) {
		let mut refunded: Balance = Zero::zero();
		for c in p.charges.iter() {
			Escrow::<T>::mutate(&c.customer, |e| *e = e.saturating_add(c.charge));
			Usage::<T>::mutate_exists(p.window, &c.customer, |u| {
				if let Some(u) = u {
					u.charged = u.charged.saturating_sub(c.charge);
					u.bytes = u.bytes.saturating_sub(c.bytes);
				}
			});
			if c.budgeted {
				ContentSpend::<T>::mutate_exists(p.window, c.content, |s| give_back(s, c.charge));
			}
			let share_key = (p.reporter, c.customer.clone());
			CustomerSpend::<T>::mutate_exists(p.settled_in, share_key, |s| give_back(s, c.charge));
			refunded = refunded.saturating_add(c.charge);
		}
		ReporterSpend::<T>::mutate_exists(p.settled_in, p.reporter, |s| give_back(s, refunded));
		WindowBytes::<T>::mutate_exists(p.window, p.edge, |b| {
			if let Some(b) = b {
				*b = b.saturating_sub(p.bytes);
			}
		});
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

/// Takes `amount` off a stored spend, if the record still exists.
fn give_back(spent: &mut Option<Balance>, amount: Balance) {
	if let Some(s) = spent {
		*s = s.saturating_sub(amount);
	}
}

/// What `on_idle` is to do with the head of the queue.
enum Due<T: Config> {
	/// Nothing there (already processed).
	Gone,
	/// Not due yet: neither is anything after it.
	NotYet,
	/// Mint its credits and accrue its fee.
	Vest(PendingSettlement<T>),
	/// Its reporter was revoked: give it back.
	Void(PendingSettlement<T>),
}
