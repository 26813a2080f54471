//! The attestation engine: every acceptance rule of an attestation (shared
//! by the pool and dispatch), batch signature verification, payment, and the
//! weight of a batch.

use crate::pallet::*;
use crate::types::{Balance, Charge, ContentInfo, EdgeInfo, Limit};
use crate::weights::WeightInfo;
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use pod_primitives::{
	settlement, signing_bytes, Attestation, DomainTag, PublicKey, SettlementRecord,
	SettlementState, UsageRecord, WindowIndex,
};
use sp_runtime::traits::{UniqueSaturatedInto, Zero};

impl<T: Config> Pallet<T> {
	/// The attestations an unsigned call carries: at least one, no
	/// `(edge, window, reporter, part)` twice. Anything but an attestation call is refused.
	pub(crate) fn attestations_in(
		call: &Call<T>,
	) -> Result<&[Attestation], TransactionValidityError> {
		let atts: &[Attestation] = match call {
			Call::submit_attestation { attestation } => core::slice::from_ref(&**attestation),
			Call::submit_attestations { batch } => batch.as_slice(),
			_ => return Err(InvalidTransaction::Call.into()),
		};
		if atts.is_empty() {
			return Err(InvalidTransaction::Custom(Error::<T>::EmptyBatch.index()).into());
		}
		let mut seen = alloc::collections::BTreeSet::new();
		for att in atts {
			let p = &att.payload;
			if !seen.insert((p.edge, p.window, att.reporter, p.part)) {
				return Err(InvalidTransaction::Custom(Error::<T>::AlreadySettled.index()).into());
			}
		}
		Ok(atts)
	}
}

impl<T: Config> Error<T> {
	pub(crate) fn index(&self) -> u8 {
		// The error's position in the enum, as encoded in `DispatchError::Module`.
		self.encode()[0]
	}

	/// The pool's view of a failed check.
	pub(crate) fn into_invalid(self) -> TransactionValidityError {
		match self {
			Error::<T>::AlreadySettled => InvalidTransaction::Stale.into(),
			Error::<T>::WindowTooOld => InvalidTransaction::Stale.into(),
			Error::<T>::WindowNotClosed => InvalidTransaction::Future.into(),
			Error::<T>::BadEdgeSignature | Error::<T>::BadReporterSignature => {
				InvalidTransaction::BadProof.into()
			}
			other => InvalidTransaction::Custom(other.index()).into(),
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The window the current block belongs to.
	pub fn current_window() -> WindowIndex {
		let n: u32 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		n / T::WindowLength::get().max(1)
	}

	/// The chain's genesis hash, bound into every signed message.
	pub fn genesis_hash() -> [u8; 32] {
		let h = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let mut out = [0u8; 32];
		let bytes = h.as_ref();
		let n = bytes.len().min(32);
		out[..n].copy_from_slice(&bytes[..n]);
		out
	}

	/// Most bytes an edge of `capacity` bytes/s can deliver in one window.
	pub fn window_cap(capacity: u64) -> u64 {
		let window_ms = (T::WindowLength::get() as u64).saturating_mul(T::MillisecsPerBlock::get());
		capacity.saturating_mul(window_ms) / 1000
	}

	/// Every acceptance rule of `docs/design.md` that depends on neither escrow
	/// nor signatures. Shared by the pool (`validate_unsigned`) and dispatch.
	pub fn check_state(att: &Attestation) -> Result<EdgeInfo<T>, Error<T>> {
		let p = &att.payload;
		ensure!(Reporters::<T>::contains_key(att.reporter), Error::<T>::UnknownReporter);
		let edge = Edges::<T>::get(p.edge).ok_or(Error::<T>::UnknownEdge)?;
		ensure!(edge.bond >= T::EdgeBond::get(), Error::<T>::EdgeNotBonded);
		ensure!(p.window >= edge.since, Error::<T>::WindowBeforeRegistration);
		if let Some((from, _)) = edge.leaving {
			ensure!(p.window < from, Error::<T>::EdgeNotBonded);
		}
		let now = Self::current_window();
		ensure!(p.window < now, Error::<T>::WindowNotClosed);
		ensure!(now - p.window <= T::MaxWindowAge::get(), Error::<T>::WindowTooOld);
		ensure!(p.part < pod_primitives::MAX_PARTS, Error::<T>::PartOutOfRange);
		ensure!(
			!Settled::<T>::contains_key((p.window, p.edge, att.reporter, p.part)),
			Error::<T>::AlreadySettled
		);
		ensure!(!p.entries.is_empty(), Error::<T>::NoEntries);
		let mut total: u64 = 0;
		for (i, e) in p.entries.iter().enumerate() {
			ensure!(e.bytes > 0, Error::<T>::ZeroBytesEntry);
			ensure!(
				p.entries[..i].iter().all(|o| o.content != e.content),
				Error::<T>::DuplicateEntry
			);
			total = total.checked_add(e.bytes).ok_or(Error::<T>::BytesOverCap)?;
		}
		// The capacity caps the window across every reporter and part.
		let settled = WindowBytes::<T>::get(p.window, p.edge);
		let total = total.checked_add(settled).ok_or(Error::<T>::BytesOverCap)?;
		ensure!(total <= Self::window_cap(edge.capacity), Error::<T>::BytesOverCap);
		Ok(edge)
	}

	/// Whether every attestation of a call would settle now, in order, each
	/// seeing what the earlier ones took: [`Self::check_state`] and the
	/// payment itself (escrow, every limit, `MinCharge`), run in a storage
	/// layer that is rolled back. The pool's check, so that an attestation
	/// nobody would pay for never takes block space.
	pub(crate) fn would_settle(atts: &[Attestation]) -> Result<(), TransactionValidityError> {
		let outcome = frame_support::storage::transactional::with_transaction_opaque_err(|| {
			let settled = atts.iter().try_for_each(|att| {
				let edge = Self::check_state(att).map_err(Error::<T>::into_invalid)?;
				Self::pay(att, edge).map_err(payment_refusal)
			});
			frame_support::storage::TransactionOutcome::Rollback(settled)
		});
		outcome.map_err(|()| InvalidTransaction::ExhaustsResources)?
	}

	/// [`Self::check_state`] and both signatures; the error names the
	/// signature that failed. The rules for a single attestation.
	pub fn check(att: &Attestation) -> Result<EdgeInfo<T>, Error<T>> {
		let edge = Self::check_state(att)?;
		if !Self::signatures_verify(core::slice::from_ref(att)) {
			// Only a forged or corrupted attestation gets here: one more
			// check names the signature that failed.
			let p = &att.payload;
			let msg = signing_bytes(DomainTag::Attestation, &Self::genesis_hash(), p);
			return Err(if verify(&p.edge, &att.edge_signature, &msg) {
				Error::<T>::BadReporterSignature
			} else {
				Error::<T>::BadEdgeSignature
			});
		}
		Ok(edge)
	}

	/// Whether both signatures of every attestation verify, checked in one
	/// batch verification by the `pod-crypto` host function (about half the
	/// cost per signature of checking a full batch one by one, and nothing
	/// on a node that has already verified the same batch).
	pub fn signatures_verify(atts: &[Attestation]) -> bool {
		let (messages, signatures) =
			pod_primitives::attestation_signatures(atts, &Self::genesis_hash());
		pod_crypto::verify_batch(&messages, &signatures)
	}

	/// The content an entry pays for, or why the entry cannot be paid: the
	/// content is unknown, or was retired before the entry's window.
	fn payable_content(
		e: &pod_primitives::Entry,
		window: WindowIndex,
	) -> Result<crate::types::ContentInfo<T>, Error<T>> {
		let c = Contents::<T>::get(e.content).ok_or(Error::<T>::UnknownContent)?;
		match c.retired_from {
			Some(from) if window >= from => Err(Error::<T>::ContentRetired),
			_ => Ok(c),
		}
	}

	/// Pays one checked attestation: takes the escrow, records the usage
	/// and the settlement, and queues the credits and the fee to vest after
	/// `VestingDelay`. An entry that cannot be paid (unknown or retired
	/// content) is skipped with an `EntrySkipped` event and the rest settles,
	/// so nobody can void an honest edge's window by getting one bad entry
	/// into it; what a limit leaves unpaid is recorded (`LimitReached`). An
	/// attestation that would charge less than `MinCharge` in all fails
	/// (`ChargeBelowMinimum`).
	/// Callers run it in a storage layer (a dispatch or
	/// `with_storage_layer`), so an error leaves no trace.
	pub(crate) fn pay(att: &Attestation, edge: EdgeInfo<T>) -> DispatchResult {
		let p = &att.payload;
		let cap = Reporters::<T>::get(att.reporter).ok_or(Error::<T>::UnknownReporter)?;
		let mut rec = SettlementRecord { reporter: att.reporter, ..Default::default() };
		let mut charges: Vec<Charge<T>> = Vec::new();
		for e in p.entries.iter() {
			let content = match Self::payable_content(e, p.window) {
				Ok(c) => c,
				Err(error) => {
					let (edge, window, content) = (p.edge, p.window, e.content);
					let error = error.into();
					Self::deposit_event(Event::EntrySkipped { edge, window, content, error });
					continue;
				}
			};
			let (split, budgeted) = Self::charge_entry(att, e, &content, cap.cap_per_window);
			rec.bytes = rec.bytes.saturating_add(e.bytes);
			rec.charged = rec.charged.checked_add(split.charge).ok_or(Error::<T>::Overflow)?;
			rec.fee = rec.fee.checked_add(split.fee).ok_or(Error::<T>::Overflow)?;
			rec.credits = rec.credits.checked_add(split.credits).ok_or(Error::<T>::Overflow)?;
			rec.unpaid = rec.unpaid.saturating_add(split.unpaid);
			charges.push(Charge {
				customer: content.owner,
				content: e.content,
				bytes: e.bytes,
				charge: split.charge,
				budgeted,
			});
		}
		ensure!(rec.charged >= T::MinCharge::get(), Error::<T>::ChargeBelowMinimum);
		let vests_at = Self::queue_vesting(att, &edge.owner, &rec, charges)?;
		if rec.charged.is_zero() {
			rec.state = SettlementState::Vested;
		}
		Settled::<T>::insert((p.window, p.edge, att.reporter, p.part), rec);
		WindowBytes::<T>::mutate(p.window, p.edge, |b| *b = b.saturating_add(rec.bytes));
		Self::deposit_event(Event::AttestationAccepted {
			edge: p.edge,
			window: p.window,
			part: p.part,
			owner: edge.owner,
			reporter: att.reporter,
			bytes: rec.bytes,
			charged: rec.charged,
			fee: rec.fee,
			credits: rec.credits,
			unpaid: rec.unpaid,
			vests_at,
		});
		Ok(())
	}

	/// What one entry may charge, and whether it counts against the
	/// content's budget: its price, capped by the customer's escrow,
	/// its spending limit for the window, the content's budget, the
	/// reporter's cap and the customer's share of it. Takes the charge from
	/// escrow and counts it against every limit; an unpaid rest is recorded
	/// in the usage and an event. The customer's limit and the content's
	/// budget are per window delivered; the reporter's cap is per window in
	/// which the chain settles, so that attesting old windows does not
	/// multiply it.
	fn charge_entry(
		att: &Attestation,
		e: &pod_primitives::Entry,
		content: &ContentInfo<T>,
		reporter_cap: Balance,
	) -> (settlement::Split, bool) {
		let (w, owner) = (att.payload.window, &content.owner);
		let now = Self::current_window();
		let escrow = Escrow::<T>::get(owner);
		let spend_limit =
			Self::limit_at(SpendLimits::<T>::get(owner), LimitsBefore::<T>::get(owner), w);
		let budget = Self::limit_at(content.budget, BudgetsBefore::<T>::get(e.content), w);
		let usage = Usage::<T>::get(w, owner);
		let content_spent = ContentSpend::<T>::get(w, e.content);
		let reporter_spent = ReporterSpend::<T>::get(now, att.reporter);
		let share_key = (att.reporter, owner.clone());
		let share_spent = CustomerSpend::<T>::get(now, &share_key);
		let share = T::MaxCustomerShare::get().mul_floor(reporter_cap);
		let room = [
			(escrow, Limit::Escrow),
			(
				spend_limit.map_or(Balance::MAX, |l| l.saturating_sub(usage.charged)),
				Limit::SpendLimit,
			),
			(
				budget.map_or(Balance::MAX, |b| b.saturating_sub(content_spent)),
				Limit::ContentBudget,
			),
			(reporter_cap.saturating_sub(reporter_spent), Limit::ReporterCap),
			(share.saturating_sub(share_spent), Limit::CustomerShare),
		];
		// The tightest limit; on a tie the first named (escrow before limits).
		let (available, limit) =
			room.into_iter().min_by_key(|(left, _)| *left).expect("five limits; qed");
		let split = settlement::settle(
			e.bytes,
			content.price_per_gib,
			available,
			settlement::OPERATOR_FEE_PPB,
		);
		Escrow::<T>::insert(owner, escrow - split.charge);
		Usage::<T>::insert(
			w,
			owner,
			UsageRecord {
				bytes: usage.bytes.saturating_add(e.bytes),
				charged: usage.charged.saturating_add(split.charge),
				unpaid: usage.unpaid.saturating_add(split.unpaid),
			},
		);
		if budget.is_some() {
			ContentSpend::<T>::insert(w, e.content, content_spent.saturating_add(split.charge));
		}
		ReporterSpend::<T>::insert(now, att.reporter, reporter_spent.saturating_add(split.charge));
		CustomerSpend::<T>::insert(now, share_key, share_spent.saturating_add(split.charge));
		if !split.unpaid.is_zero() {
			let (edge, window, content, unpaid) = (att.payload.edge, w, e.content, split.unpaid);
			Self::deposit_event(Event::LimitReached { edge, window, content, limit, unpaid });
		}
		(split, budget.is_some())
	}

	/// The weight of a batch: the measured cost of `n` single-entry
	/// attestations for one content, plus, at the worst-case cost of an
	/// entry (its content, its customer's escrow and usage, each different),
	/// every further entry of each attestation and every further content
	/// among the first entries.
	pub fn batch_weight(batch: &[Attestation]) -> Weight {
		let one = T::WeightInfo::submit_attestation(1);
		let per_entry = T::WeightInfo::submit_attestation(2).saturating_sub(one);
		let mut firsts = alloc::collections::BTreeSet::new();
		let mut further: u64 = 0;
		for a in batch {
			let entries = &a.payload.entries;
			if let Some(first) = entries.first() {
				firsts.insert(first.content);
			}
			further = further.saturating_add(entries.len().saturating_sub(1) as u64);
		}
		let extra = further.saturating_add(firsts.len().saturating_sub(1) as u64);
		let entries = further.saturating_add(batch.len() as u64);
		T::WeightInfo::submit_attestations(batch.len() as u32)
			.saturating_add(per_entry.saturating_mul(extra))
			.saturating_add(Self::unmeasured_weight(entries))
	}

	/// The weight of a single attestation of `entries` entries.
	pub fn attestation_weight(entries: usize) -> Weight {
		T::WeightInfo::submit_attestation(entries as u32)
			.saturating_add(Self::unmeasured_weight(entries as u64))
	}

	/// Each entry's read and write of its customer's share of the
	/// reporter's cap (`CustomerSpend`) and reads of its customer's and
	/// content's remembered limits (`LimitsBefore`, `BudgetsBefore`), which
	/// the weights in `weights.rs` do not measure yet.
	fn unmeasured_weight(entries: u64) -> Weight {
		T::DbWeight::get().reads_writes(3 * entries, entries)
	}
}

/// The pool's view of a payment that failed: the pallet error's index
/// (`ChargeBelowMinimum`, `Overflow`), anything else as `Payment`.
fn payment_refusal(e: DispatchError) -> TransactionValidityError {
	match e {
		DispatchError::Module(m) => InvalidTransaction::Custom(m.error[0]).into(),
		_ => InvalidTransaction::Payment.into(),
	}
}

fn verify(public: &PublicKey, sig: &[u8; 64], msg: &[u8]) -> bool {
	sp_io::crypto::sr25519_verify(
		&sp_core::sr25519::Signature::from_raw(*sig),
		msg,
		&sp_core::sr25519::Public::from_raw(*public),
	)
}
