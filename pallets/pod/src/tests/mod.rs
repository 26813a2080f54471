//! Tests of the pallet on the mock runtime, by topic; the helpers they share
//! are here.

mod attestations;
mod batch;
mod contents;
mod credits;
mod edges;
mod escrow;
mod history;
mod limits;
mod minimum;
mod parts;
mod props;
mod reporters;

use crate::{
	mock::*, AccruedFees, Credits, Edges, Error, Escrow, Event, PendingWithdrawals, Redemptions,
	Settled, TotalCredits, TotalUnvested, Unvested, Usage,
};
use codec::{Decode, Encode};
use frame_support::weights::Weight;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionSource},
	traits::fungible::InspectHold,
	BoundedVec,
};
use pod_primitives::{
	keys, settlement, Attestation, AttestationPayload, DomainTag, Entry, SettlementState,
	WindowIndex,
};
#[allow(deprecated)]
use sp_runtime::traits::ValidateUnsigned;
use sp_runtime::{DispatchError, TokenError};

pub(crate) const CAPACITY: u64 = 1_000_000_000; // bytes/s → 60 GB per 60 s window
pub(crate) const GIB: u64 = 1 << 30;
pub(crate) const CONTENT_A: [u8; 32] = [0xA; 32];
pub(crate) const CONTENT_B: [u8; 32] = [0xB; 32];
pub(crate) const PRICE: u128 = 1_000_000; // per GiB

pub(crate) fn hold_of(who: u64) -> u128 {
	Balances::balance_on_hold(&RuntimeHoldReason::Pod(crate::HoldReason::EdgeBond), &who)
}

/// Edge `seed`'s proof that it registers itself for `owner` on this chain.
pub(crate) fn edge_proof(seed: u8, owner: u64) -> pod_primitives::Signature {
	let genesis = Pod::genesis_hash();
	keys::sign(&pair(seed), DomainTag::EdgeRegistration, &genesis, &(public(seed), owner))
}

pub(crate) fn register_edge(seed: u8) {
	assert_ok!(Pod::register_edge(
		RuntimeOrigin::signed(EDGE_OWNER),
		public(seed),
		b"eu-west".to_vec(),
		CAPACITY,
		edge_proof(seed, EDGE_OWNER),
	));
}

pub(crate) fn register_content(id: [u8; 32], price: u128) {
	assert_ok!(register_content_by(CUSTOMER, id, 10 * GIB, price));
}

/// `register_content` of `id` by `who`, with a test origin.
pub(crate) fn register_content_by(
	who: u64,
	id: [u8; 32],
	size: u64,
	price: u128,
) -> sp_runtime::DispatchResult {
	let origin = b"https://origin.example/a".to_vec();
	Pod::register_content(RuntimeOrigin::signed(who), id, size, price, origin)
}

/// An edge, two contents and 1e9 of escrow; block in window 2.
pub(crate) fn setup() {
	register_edge(EDGE);
	register_content(CONTENT_A, PRICE);
	register_content(CONTENT_B, PRICE * 3);
	assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 500_000_000));
	go_to_window(2);
}

pub(crate) fn go_to_window(w: WindowIndex) {
	System::set_block_number((w * WINDOW) as u64 + 1);
}

pub(crate) fn payload(
	edge: u8,
	window: WindowIndex,
	entries: &[(ContentId, u64)],
) -> AttestationPayload {
	AttestationPayload {
		edge: public(edge),
		window,
		part: 0,
		entries: BoundedVec::try_from(
			entries.iter().map(|(c, b)| Entry { content: *c, bytes: *b }).collect::<Vec<_>>(),
		)
		.unwrap(),
		receipts_root: [7; 32],
		receipt_count: entries.len() as u32,
	}
}

type ContentId = [u8; 32];

/// Signs with schnorrkel directly (what the edge and reporter do off chain).
pub(crate) fn sign_with(
	p: AttestationPayload,
	edge_seed: u8,
	reporter_seed: u8,
	tag: DomainTag,
	genesis: [u8; 32],
) -> Attestation {
	Attestation {
		edge_signature: keys::sign(&pair(edge_seed), tag, &genesis, &p),
		reporter: public(reporter_seed),
		reporter_signature: keys::sign(&pair(reporter_seed), tag, &genesis, &p),
		payload: p,
	}
}

pub(crate) fn att(edge: u8, window: WindowIndex, entries: &[(ContentId, u64)]) -> Attestation {
	sign_with(
		payload(edge, window, entries),
		edge,
		REPORTER,
		DomainTag::Attestation,
		Pod::genesis_hash(),
	)
}

pub(crate) fn submit(a: Attestation) -> sp_runtime::DispatchResult {
	Pod::submit_attestation(RuntimeOrigin::none(), Box::new(a))
}

pub(crate) fn validate(a: &Attestation) -> sp_runtime::transaction_validity::TransactionValidity {
	Pod::validate_unsigned(
		TransactionSource::External,
		&crate::Call::submit_attestation { attestation: Box::new(a.clone()) },
	)
}

pub(crate) fn pallet_balance() -> u128 {
	Balances::free_balance(Pod::account_id())
}

pub(crate) fn pending_redemptions() -> u128 {
	Redemptions::<Test>::iter_values().map(|r| r.amount).sum()
}

/// The pallet account holds ED + all escrow + the backing of all credits
/// + what pending settlements hold + fees not yet paid out.
pub(crate) fn assert_books_balance() {
	let escrow: u128 = Escrow::<Test>::iter_values().sum();
	assert_eq!(
		pallet_balance(),
		ExistentialDeposit::get()
			+ escrow + TotalCredits::<Test>::get()
			+ pending_redemptions()
			+ TotalUnvested::<Test>::get()
			+ AccruedFees::<Test>::get()
	);
	assert_eq!(Credits::<Test>::iter_values().sum::<u128>(), TotalCredits::<Test>::get());
	let pending: u128 = crate::Pending::<Test>::iter_values().map(|p| p.credits + p.fee).sum();
	assert_eq!(pending, TotalUnvested::<Test>::get());
	let unvested: u128 = crate::Pending::<Test>::iter_values().map(|p| p.credits).sum();
	assert_eq!(Unvested::<Test>::iter_values().sum::<u128>(), unvested);
}

/// The settlement of `(edge, window)` (part 0) co-signed by the test reporter.
pub(crate) fn settled(edge: u8, window: WindowIndex) -> Option<pod_primitives::SettlementRecord> {
	Settled::<Test>::get((window, public(edge), public(REPORTER), 0))
}

/// Moves past every pending settlement's vesting block and lets `on_idle`
/// vest (or void) them all.
pub(crate) fn vest_all() {
	let now = System::block_number() + VESTING_DELAY;
	System::set_block_number(now);
	Pod::process_pending(now, Weight::MAX);
}

// ---------------------------------------------------------------- edges
