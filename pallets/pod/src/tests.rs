//! Unit and property tests of the pallet on the mock runtime.

use crate::{
	mock::*, Credits, Edges, Error, Escrow, Event, PendingWithdrawals, Redemptions, Settled,
	TotalCredits, Usage,
};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionSource},
	traits::fungible::InspectHold,
	BoundedVec,
};
use pod_primitives::{
	settlement, sign, Attestation, AttestationPayload, DomainTag, Entry, WindowIndex,
};
#[allow(deprecated)]
use sp_runtime::traits::ValidateUnsigned;
use sp_runtime::{DispatchError, TokenError};

const CAPACITY: u64 = 1_000_000_000; // bytes/s → 60 GB per 60 s window
const GIB: u64 = 1 << 30;
const CONTENT_A: [u8; 32] = [0xA; 32];
const CONTENT_B: [u8; 32] = [0xB; 32];
const PRICE: u128 = 1_000_000; // per GiB

fn hold_of(who: u64) -> u128 {
	Balances::balance_on_hold(&RuntimeHoldReason::Pod(crate::HoldReason::EdgeBond), &who)
}

fn register_edge(seed: u8) {
	assert_ok!(Pod::register_edge(
		RuntimeOrigin::signed(EDGE_OWNER),
		public(seed),
		b"eu-west".to_vec(),
		CAPACITY
	));
}

fn register_content(id: [u8; 32], price: u128) {
	assert_ok!(Pod::register_content(
		RuntimeOrigin::signed(CUSTOMER),
		id,
		10 * GIB,
		price,
		b"https://origin.example/a".to_vec()
	));
}

/// An edge, two contents and 1e9 of escrow; block in window 2.
fn setup() {
	register_edge(EDGE);
	register_content(CONTENT_A, PRICE);
	register_content(CONTENT_B, PRICE * 3);
	assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 500_000_000));
	go_to_window(2);
}

fn go_to_window(w: WindowIndex) {
	System::set_block_number((w * WINDOW) as u64 + 1);
}

fn payload(edge: u8, window: WindowIndex, entries: &[(ContentId, u64)]) -> AttestationPayload {
	AttestationPayload {
		edge: public(edge),
		window,
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
fn sign_with(
	p: AttestationPayload,
	edge_seed: u8,
	reporter_seed: u8,
	tag: DomainTag,
	genesis: [u8; 32],
) -> Attestation {
	Attestation {
		edge_signature: sign::sign(&pair(edge_seed), tag, &genesis, &p),
		reporter: public(reporter_seed),
		reporter_signature: sign::sign(&pair(reporter_seed), tag, &genesis, &p),
		payload: p,
	}
}

fn att(edge: u8, window: WindowIndex, entries: &[(ContentId, u64)]) -> Attestation {
	sign_with(
		payload(edge, window, entries),
		edge,
		REPORTER,
		DomainTag::Attestation,
		Pod::genesis_hash(),
	)
}

fn submit(a: Attestation) -> sp_runtime::DispatchResult {
	Pod::submit_attestation(RuntimeOrigin::none(), Box::new(a))
}

fn validate(a: &Attestation) -> sp_runtime::transaction_validity::TransactionValidity {
	Pod::validate_unsigned(
		TransactionSource::External,
		&crate::Call::submit_attestation { attestation: Box::new(a.clone()) },
	)
}

fn pallet_balance() -> u128 {
	Balances::free_balance(Pod::account_id())
}

fn pending_redemptions() -> u128 {
	Redemptions::<Test>::iter_values().map(|r| r.amount).sum()
}

/// The pallet account holds ED + all escrow + the backing of all credits.
fn assert_books_balance() {
	let escrow: u128 = Escrow::<Test>::iter_values().sum();
	assert_eq!(
		pallet_balance(),
		ExistentialDeposit::get() + escrow + TotalCredits::<Test>::get() + pending_redemptions()
	);
	assert_eq!(Credits::<Test>::iter_values().sum::<u128>(), TotalCredits::<Test>::get());
}

// ---------------------------------------------------------------- edges

#[test]
fn register_edge_holds_bond() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		assert_eq!(hold_of(EDGE_OWNER), BOND);
		let e = Edges::<Test>::get(public(EDGE)).unwrap();
		assert_eq!((e.owner, e.capacity, e.bond, e.leaving), (EDGE_OWNER, CAPACITY, BOND, None));
		System::assert_last_event(
			Event::EdgeRegistered {
				edge: public(EDGE),
				owner: EDGE_OWNER,
				capacity: CAPACITY,
				bond: BOND,
			}
			.into(),
		);
	});
}

#[test]
fn register_edge_errors() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::signed(OTHER), public(EDGE), vec![], 1),
			Error::<Test>::EdgeAlreadyRegistered
		);
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::signed(OTHER), public(EDGE2), vec![b'x'; 17], 1),
			Error::<Test>::RegionTooLong
		);
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::signed(OTHER), public(EDGE2), vec![], 0),
			Error::<Test>::ZeroCapacity
		);
		// An account that cannot afford the bond.
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::signed(77), public(EDGE2), vec![], 1),
			TokenError::FundsUnavailable
		);
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::none(), public(EDGE2), vec![], 1),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn unregister_then_withdraw_bond() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		go_to_window(3);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::EdgeNotLeaving
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(OTHER), public(EDGE)),
			Error::<Test>::NotEdgeOwner
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE2)),
			Error::<Test>::UnknownEdge
		);
		assert_ok!(Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)));
		let now = System::block_number();
		System::assert_last_event(
			Event::EdgeUnbonding { edge: public(EDGE), last_window: 2, unlock_at: now + UNBONDING }
				.into(),
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::EdgeAlreadyLeaving
		);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::StillUnbonding
		);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(OTHER), public(EDGE)),
			Error::<Test>::NotEdgeOwner
		);
		System::set_block_number(now + UNBONDING);
		assert_ok!(Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)));
		assert_eq!(hold_of(EDGE_OWNER), 0);
		assert!(Edges::<Test>::get(public(EDGE)).is_none());
		System::assert_last_event(Event::EdgeRemoved { edge: public(EDGE), released: BOND }.into());
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::UnknownEdge
		);
	});
}

// ---------------------------------------------------------------- reporters

#[test]
fn reporters_are_managed_by_root() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pod::add_reporter(RuntimeOrigin::signed(OPERATOR), public(ROGUE)),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE)));
		System::assert_last_event(Event::ReporterAdded { reporter: public(ROGUE) }.into());
		assert_noop!(
			Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE)),
			Error::<Test>::ReporterAlreadyAdded
		);
		assert_noop!(
			Pod::remove_reporter(RuntimeOrigin::signed(OPERATOR), public(ROGUE)),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::remove_reporter(RuntimeOrigin::root(), public(ROGUE)));
		System::assert_last_event(Event::ReporterRemoved { reporter: public(ROGUE) }.into());
		assert_noop!(
			Pod::remove_reporter(RuntimeOrigin::root(), public(ROGUE)),
			Error::<Test>::UnknownReporter
		);
	});
}

// ---------------------------------------------------------------- contents and escrow

#[test]
fn content_lifecycle() {
	new_test_ext().execute_with(|| {
		register_content(CONTENT_A, PRICE);
		System::assert_last_event(
			Event::ContentRegistered {
				id: CONTENT_A,
				owner: CUSTOMER,
				size: 10 * GIB,
				price_per_gib: PRICE,
			}
			.into(),
		);
		assert_noop!(
			Pod::register_content(RuntimeOrigin::signed(OTHER), CONTENT_A, 1, 1, vec![]),
			Error::<Test>::ContentAlreadyRegistered
		);
		assert_noop!(
			Pod::register_content(RuntimeOrigin::signed(OTHER), CONTENT_B, 0, 1, vec![]),
			Error::<Test>::ZeroSize
		);
		assert_noop!(
			Pod::register_content(RuntimeOrigin::signed(OTHER), CONTENT_B, 1, 1, vec![b'u'; 65]),
			Error::<Test>::OriginTooLong
		);
		assert_noop!(
			Pod::remove_content(RuntimeOrigin::signed(OTHER), CONTENT_A),
			Error::<Test>::NotContentOwner
		);
		assert_noop!(
			Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_B),
			Error::<Test>::UnknownContent
		);
		go_to_window(4);
		assert_ok!(Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_A));
		System::assert_last_event(Event::ContentRemoved { id: CONTENT_A, from_window: 4 }.into());
		assert_noop!(
			Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_A),
			Error::<Test>::ContentRetired
		);
	});
}

#[test]
fn deposit_and_delayed_withdrawal() {
	new_test_ext().execute_with(|| {
		assert_noop!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Pod::deposit(RuntimeOrigin::signed(CUSTOMER), INITIAL * 2),
			TokenError::FundsUnavailable
		);
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 1_000));
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 1_000);
		assert_eq!(Balances::free_balance(CUSTOMER), INITIAL - 1_000);
		assert_books_balance();

		assert_noop!(Pod::withdraw(RuntimeOrigin::signed(CUSTOMER), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Pod::withdraw(RuntimeOrigin::signed(CUSTOMER), 1_001),
			Error::<Test>::InsufficientEscrow
		);
		assert_noop!(
			Pod::claim_withdrawal(RuntimeOrigin::signed(CUSTOMER)),
			Error::<Test>::NoPendingWithdrawal
		);
		assert_ok!(Pod::withdraw(RuntimeOrigin::signed(CUSTOMER), 600));
		// Requests add up and may not exceed the escrow.
		assert_noop!(
			Pod::withdraw(RuntimeOrigin::signed(CUSTOMER), 401),
			Error::<Test>::InsufficientEscrow
		);
		assert_ok!(Pod::withdraw(RuntimeOrigin::signed(CUSTOMER), 400));
		let unlock = System::block_number() + WITHDRAW_DELAY;
		assert_eq!(PendingWithdrawals::<Test>::get(CUSTOMER), Some((1_000, unlock)));
		// Still in escrow (and still chargeable) until claimed.
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 1_000);
		assert_noop!(
			Pod::claim_withdrawal(RuntimeOrigin::signed(CUSTOMER)),
			Error::<Test>::WithdrawalLocked
		);
		System::set_block_number(unlock);
		assert_ok!(Pod::claim_withdrawal(RuntimeOrigin::signed(CUSTOMER)));
		System::assert_last_event(Event::Withdrawn { who: CUSTOMER, amount: 1_000 }.into());
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 0);
		assert_eq!(Balances::free_balance(CUSTOMER), INITIAL);
		assert_books_balance();
	});
}

// ---------------------------------------------------------------- attestations

#[test]
fn attestation_pays_exactly_95_5() {
	new_test_ext().execute_with(|| {
		setup();
		let bytes_a = 3 * GIB + 12_345;
		let bytes_b = GIB / 2;
		let a = att(EDGE, 1, &[(CONTENT_A, bytes_a), (CONTENT_B, bytes_b)]);
		assert!(validate(&a).is_ok());
		let escrow0 = Escrow::<Test>::get(CUSTOMER);
		let op0 = Balances::free_balance(OPERATOR);
		assert_ok!(submit(a));

		let sa = settlement::settle(bytes_a, PRICE, escrow0, settlement::OPERATOR_FEE_PPB);
		let sb = settlement::settle(
			bytes_b,
			PRICE * 3,
			escrow0 - sa.charge,
			settlement::OPERATOR_FEE_PPB,
		);
		// Hand-computed: 3 GiB + 12345 B at 1e6/GiB = 3_000_011 (floor), fee 150_000.
		assert_eq!((sa.charge, sa.fee, sa.credits), (3_000_011, 150_000, 2_850_011));
		assert_eq!((sb.charge, sb.fee, sb.credits), (1_500_000, 75_000, 1_425_000));
		let (charged, fee, credits) =
			(sa.charge + sb.charge, sa.fee + sb.fee, sa.credits + sb.credits);
		assert_eq!(charged, fee + credits);
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - charged);
		assert_eq!(Balances::free_balance(OPERATOR), op0 + fee);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), credits);
		assert_eq!(TotalCredits::<Test>::get(), credits);
		let rec = Settled::<Test>::get(public(EDGE), 1).unwrap();
		assert_eq!(
			(rec.bytes, rec.charged, rec.fee, rec.credits, rec.unpaid),
			(bytes_a + bytes_b, charged, fee, credits, 0)
		);
		assert_eq!(Usage::<Test>::get(CUSTOMER, 1).bytes, bytes_a + bytes_b);
		assert_eq!(Usage::<Test>::get(CUSTOMER, 1).charged, charged);
		System::assert_has_event(
			Event::AttestationAccepted {
				edge: public(EDGE),
				window: 1,
				owner: EDGE_OWNER,
				reporter: public(REPORTER),
				bytes: bytes_a + bytes_b,
				charged,
				fee,
				credits,
				unpaid: 0,
			}
			.into(),
		);
		assert_books_balance();
	});
}

#[test]
fn escrow_caps_payment_and_exhausted_escrow_is_rejected() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		register_content(CONTENT_A, PRICE);
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 1_000_000));
		go_to_window(3);
		// 2 GiB would cost 2e6; only 1e6 is in escrow.
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 2 * GIB)])));
		let rec = Settled::<Test>::get(public(EDGE), 1).unwrap();
		assert_eq!(
			(rec.charged, rec.fee, rec.credits, rec.unpaid),
			(1_000_000, 50_000, 950_000, 1_000_000)
		);
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 0);
		// Nothing left: the next window cannot be paid and is not marked settled,
		// so the edge can retry once the customer tops up.
		assert_noop!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])), Error::<Test>::EscrowExhausted);
		assert!(Settled::<Test>::get(public(EDGE), 2).is_none());
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 5_000_000));
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])));
		assert_books_balance();
	});
}

#[test]
fn free_content_settles_with_zero_charge() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		register_content(CONTENT_A, 0);
		go_to_window(2);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_eq!(Settled::<Test>::get(public(EDGE), 1).unwrap().charged, 0);
	});
}

/// Each rejection of DESIGN.md §7, in dispatch and in the pool, minting nothing.
#[test]
fn attestation_rejections() {
	new_test_ext().execute_with(|| {
		setup();
		register_edge(EDGE2);
		let ok_entries = [(CONTENT_A, 1_000u64)];
		let genesis = Pod::genesis_hash();

		let check = |a: Attestation, e: Error<Test>| {
			let name = format!("{e:?}");
			assert_noop!(submit(a.clone()), e);
			assert!(validate(&a).is_err(), "pool accepted an attestation failing with {name}");
		};

		// Forged edge signature: another key signed as the edge.
		let mut a = att(EDGE, 1, &ok_entries);
		a.edge_signature = sign::sign(&pair(EDGE2), DomainTag::Attestation, &genesis, &a.payload);
		check(a, Error::<Test>::BadEdgeSignature);
		// Forged reporter signature.
		let mut a = att(EDGE, 1, &ok_entries);
		a.reporter_signature =
			sign::sign(&pair(ROGUE), DomainTag::Attestation, &genesis, &a.payload);
		check(a, Error::<Test>::BadReporterSignature);
		// Signatures over a different payload (tampered bytes after signing).
		let mut a = att(EDGE, 1, &ok_entries);
		a.payload.entries[0].bytes += 1;
		check(a, Error::<Test>::BadEdgeSignature);
		// Unknown reporter, correctly signed by itself.
		let a =
			sign_with(payload(EDGE, 1, &ok_entries), EDGE, ROGUE, DomainTag::Attestation, genesis);
		check(a, Error::<Test>::UnknownReporter);
		// Unregistered edge.
		check(att(3, 1, &ok_entries), Error::<Test>::UnknownEdge);
		// Wrong chain (genesis) and wrong message kind (domain tag).
		let a = sign_with(
			payload(EDGE, 1, &ok_entries),
			EDGE,
			REPORTER,
			DomainTag::Attestation,
			[1; 32],
		);
		check(a, Error::<Test>::BadEdgeSignature);
		let a = sign_with(payload(EDGE, 1, &ok_entries), EDGE, REPORTER, DomainTag::Claim, genesis);
		check(a, Error::<Test>::BadEdgeSignature);
		// Window not closed (the current one) and one in the future.
		check(att(EDGE, 2, &ok_entries), Error::<Test>::WindowNotClosed);
		check(att(EDGE, 9, &ok_entries), Error::<Test>::WindowNotClosed);
		// Bytes over the edge's capacity for one window (1 GB/s × 60 s).
		let cap = Pod::window_cap(CAPACITY);
		assert_eq!(cap, 60_000_000_000);
		check(att(EDGE, 1, &[(CONTENT_A, cap), (CONTENT_B, 1)]), Error::<Test>::BytesOverCap);
		check(att(EDGE, 1, &[(CONTENT_A, u64::MAX), (CONTENT_B, 2)]), Error::<Test>::BytesOverCap);
		// Unknown content.
		check(att(EDGE, 1, &[([0xC; 32], 10)]), Error::<Test>::UnknownContent);
		// Empty entries, zero bytes, duplicates.
		check(att(EDGE, 1, &[]), Error::<Test>::NoEntries);
		check(att(EDGE, 1, &[(CONTENT_A, 0)]), Error::<Test>::ZeroBytesEntry);
		check(att(EDGE, 1, &[(CONTENT_A, 5), (CONTENT_A, 5)]), Error::<Test>::DuplicateEntry);
		// Signed origin is refused: attestations are unsigned.
		assert_noop!(
			Pod::submit_attestation(
				RuntimeOrigin::signed(EDGE_OWNER),
				Box::new(att(EDGE, 1, &ok_entries))
			),
			DispatchError::BadOrigin
		);

		assert_eq!(TotalCredits::<Test>::get(), 0);
		// Replay: the same attestation twice.
		let a = att(EDGE, 1, &ok_entries);
		assert_ok!(submit(a.clone()));
		assert_eq!(validate(&a), Err(InvalidTransaction::Stale.into()));
		assert_noop!(submit(a), Error::<Test>::AlreadySettled);
		// A different payload for the same (edge, window) is a replay too.
		check(att(EDGE, 1, &[(CONTENT_B, 7)]), Error::<Test>::AlreadySettled);

		// Too old: see `window_too_old_is_rejected`.
		assert_books_balance();
	});
}

#[test]
fn window_too_old_is_rejected() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(1 + MAX_AGE);
		// Age exactly MAX_AGE is fine…
		assert!(validate(&att(EDGE, 1, &[(CONTENT_A, 10)])).is_ok());
		go_to_window(2 + MAX_AGE);
		// …one more is too old.
		let a = att(EDGE, 1, &[(CONTENT_A, 10)]);
		assert_eq!(validate(&a), Err(InvalidTransaction::Stale.into()));
		assert_noop!(submit(a), Error::<Test>::WindowTooOld);
	});
}

#[test]
fn leaving_edge_settles_only_windows_before_it_left() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		assert_ok!(Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)));
		go_to_window(4);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10)])));
		assert_noop!(submit(att(EDGE, 2, &[(CONTENT_A, 10)])), Error::<Test>::EdgeNotBonded);
		assert_noop!(submit(att(EDGE, 3, &[(CONTENT_A, 10)])), Error::<Test>::EdgeNotBonded);
	});
}

#[test]
fn edge_is_paid_only_from_the_window_it_registered_in() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		go_to_window(5);
		register_edge(EDGE2);
		assert_eq!(Edges::<Test>::get(public(EDGE2)).unwrap().since, 5);
		go_to_window(6);
		let early = att(EDGE2, 4, &[(CONTENT_A, 10)]);
		assert!(matches!(
			validate(&early),
			Err(sp_runtime::transaction_validity::TransactionValidityError::Invalid(
				InvalidTransaction::Custom(_)
			))
		));
		assert_noop!(submit(early), Error::<Test>::WindowBeforeRegistration);
		assert_ok!(submit(att(EDGE2, 5, &[(CONTENT_A, 10)])));
	});
}

#[test]
fn retired_content_is_paid_only_before_retirement() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		assert_ok!(Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_A));
		go_to_window(3);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10)])));
		assert_noop!(submit(att(EDGE, 2, &[(CONTENT_A, 10)])), Error::<Test>::ContentRetired);
	});
}

#[test]
fn no_operator_means_no_settlement() {
	new_test_ext().execute_with(|| {
		setup();
		crate::Operator::<Test>::kill();
		assert_noop!(submit(att(EDGE, 1, &[(CONTENT_A, 10)])), Error::<Test>::NoOperator);
		assert_noop!(
			Pod::submit_attestations(
				RuntimeOrigin::none(),
				BoundedVec::try_from(vec![att(EDGE, 1, &[(CONTENT_A, 10)])]).unwrap()
			),
			Error::<Test>::NoOperator
		);
		assert_ok!(Pod::set_operator(RuntimeOrigin::root(), OTHER));
		System::assert_last_event(Event::OperatorSet { operator: OTHER }.into());
		assert_noop!(
			Pod::set_operator(RuntimeOrigin::signed(OTHER), OTHER),
			DispatchError::BadOrigin
		);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_eq!(Balances::free_balance(OTHER), INITIAL + 50_000);
	});
}

#[test]
fn pool_tags_and_longevity() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		let a = att(EDGE, 1, &[(CONTENT_A, 10)]);
		let v = validate(&a).unwrap();
		assert_eq!(v.provides, vec![("PodAttestation", (public(EDGE), 1u32)).encode()]);
		assert!(v.requires.is_empty());
		// Window 1 seen from window 2 has MAX_AGE windows left, plus this one.
		assert_eq!(v.longevity, (MAX_AGE as u64) * WINDOW as u64);
		let other = Pod::validate_unsigned(
			TransactionSource::External,
			&crate::Call::set_operator { operator: 1 },
		);
		assert_eq!(other, Err(InvalidTransaction::Call.into()));
	});
}

#[test]
fn oversized_entries_do_not_decode() {
	// 65 entries: one over MAX_ENTRIES. The extrinsic cannot even be decoded.
	let entries: Vec<Entry> = (0..=pod_primitives::MAX_ENTRIES)
		.map(|i| Entry { content: [i as u8; 32], bytes: 1 })
		.collect();
	let mut raw = public(EDGE).encode();
	raw.extend(1u32.encode());
	raw.extend(entries.encode());
	raw.extend([0u8; 32].encode());
	raw.extend(0u32.encode());
	assert!(AttestationPayload::decode(&mut &raw[..]).is_err());
	// …while 64 decode fine.
	let entries: Vec<Entry> = entries[..64].to_vec();
	let mut raw = public(EDGE).encode();
	raw.extend(1u32.encode());
	raw.extend(entries.encode());
	raw.extend([0u8; 32].encode());
	raw.extend(0u32.encode());
	assert!(AttestationPayload::decode(&mut &raw[..]).is_ok());
}

#[test]
fn batch_settles_valid_and_skips_invalid() {
	new_test_ext().execute_with(|| {
		setup();
		register_edge(EDGE2);
		go_to_window(3);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10)])));
		let batch = vec![
			att(EDGE, 1, &[(CONTENT_A, 10)]), // already settled
			att(EDGE, 2, &[(CONTENT_A, GIB)]),
			att(EDGE2, 2, &[(CONTENT_B, GIB)]),
		];
		// The pool refuses a batch containing anything invalid…
		let call = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(batch.clone()).unwrap(),
		};
		assert!(Pod::validate_unsigned(TransactionSource::External, &call).is_err());
		// …and provides one tag per (edge, window) for a valid one.
		let good = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(batch[1..].to_vec()).unwrap(),
		};
		let v = Pod::validate_unsigned(TransactionSource::External, &good).unwrap();
		assert_eq!(v.provides.len(), 2);
		// A batch naming one (edge, window) twice is refused by the pool.
		let dup = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(vec![batch[1].clone(), batch[1].clone()]).unwrap(),
		};
		assert!(Pod::validate_unsigned(TransactionSource::External, &dup).is_err());

		// In a block, the stale one is skipped with an event and the rest settle.
		let operator_before = Balances::free_balance(OPERATOR);
		assert_ok!(Pod::submit_attestations(
			RuntimeOrigin::none(),
			BoundedVec::try_from(batch).unwrap()
		));
		assert!(System::events().iter().any(|r| r.event
			== Event::AttestationRejected {
				edge: public(EDGE),
				window: 1,
				error: Error::<Test>::AlreadySettled.into()
			}
			.into()));
		assert!(Settled::<Test>::get(public(EDGE), 2).is_some());
		assert!(Settled::<Test>::get(public(EDGE2), 2).is_some());
		assert_eq!(TotalCredits::<Test>::get(), Credits::<Test>::get(EDGE_OWNER),);
		// The batch paid the operator both fees, in one transfer.
		let fees: u128 =
			[EDGE, EDGE2].iter().map(|e| Settled::<Test>::get(public(*e), 2).unwrap().fee).sum();
		assert!(fees > 0);
		assert_eq!(Balances::free_balance(OPERATOR) - operator_before, fees);
		assert_noop!(
			Pod::submit_attestations(RuntimeOrigin::none(), BoundedVec::default()),
			Error::<Test>::EmptyBatch
		);
		let empty = crate::Call::submit_attestations { batch: BoundedVec::default() };
		assert!(Pod::validate_unsigned(TransactionSource::External, &empty).is_err());
		assert_books_balance();
	});
}

/// A batch's signatures are verified together: one forged signature makes the
/// pool refuse the batch, and in a block (a faulty author) none of it settles.
#[test]
fn batch_with_a_forged_signature_settles_nothing() {
	new_test_ext().execute_with(|| {
		setup();
		register_edge(EDGE2);
		go_to_window(3);
		let genesis = Pod::genesis_hash();
		let good = att(EDGE, 2, &[(CONTENT_A, GIB)]);
		let mut forged = att(EDGE2, 2, &[(CONTENT_B, GIB)]);
		forged.reporter_signature =
			sign::sign(&pair(ROGUE), DomainTag::Attestation, &genesis, &forged.payload);
		let batch = BoundedVec::try_from(vec![good.clone(), forged]).unwrap();
		let call = crate::Call::submit_attestations { batch: batch.clone() };
		assert_eq!(
			Pod::validate_unsigned(TransactionSource::External, &call),
			Err(InvalidTransaction::BadProof.into())
		);
		assert_noop!(
			Pod::submit_attestations(RuntimeOrigin::none(), batch),
			Error::<Test>::BadBatchSignature
		);
		// The honest half, on its own, is accepted and settles.
		let alone = BoundedVec::try_from(vec![good]).unwrap();
		let call = crate::Call::submit_attestations { batch: alone.clone() };
		assert!(Pod::validate_unsigned(TransactionSource::External, &call).is_ok());
		assert_ok!(Pod::submit_attestations(RuntimeOrigin::none(), alone));
		assert!(Settled::<Test>::get(public(EDGE), 2).is_some());
		assert!(Settled::<Test>::get(public(EDGE2), 2).is_none());
		assert_books_balance();
	});
}

/// In a block, `pre_dispatch` repeats only the storage-free checks: dispatch
/// verifies the signatures (once, weighed) and refuses or skips the rest.
#[test]
fn pre_dispatch_leaves_signatures_to_dispatch() {
	new_test_ext().execute_with(|| {
		setup();
		let genesis = Pod::genesis_hash();
		let mut forged = att(EDGE, 1, &[(CONTENT_A, 1_000)]);
		forged.edge_signature =
			sign::sign(&pair(EDGE2), DomainTag::Attestation, &genesis, &forged.payload);
		let call = crate::Call::submit_attestation { attestation: Box::new(forged.clone()) };
		assert!(validate(&forged).is_err());
		assert_eq!(Pod::pre_dispatch(&call), Ok(()));
		assert_noop!(submit(forged.clone()), Error::<Test>::BadEdgeSignature);

		let good = att(EDGE, 1, &[(CONTENT_A, 1_000)]);
		let dup = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(vec![good.clone(), good]).unwrap(),
		};
		assert_eq!(
			Pod::pre_dispatch(&dup),
			Err(InvalidTransaction::Custom(Error::<Test>::AlreadySettled.index()).into())
		);
		let empty = crate::Call::submit_attestations { batch: BoundedVec::default() };
		assert_eq!(
			Pod::pre_dispatch(&empty),
			Err(InvalidTransaction::Custom(Error::<Test>::EmptyBatch.index()).into())
		);
		let other = crate::Call::set_operator { operator: 1 };
		assert_eq!(Pod::pre_dispatch(&other), Err(InvalidTransaction::Call.into()));
	});
}

/// A batch weighs `n` single-entry attestations for one content, plus the
/// worst-case entry cost for each further entry and each further content.
#[test]
fn batch_weight_counts_entries_and_contents() {
	use crate::weights::WeightInfo;
	new_test_ext().execute_with(|| {
		setup();
		let one = <() as WeightInfo>::submit_attestation(1);
		let per_entry = <() as WeightInfo>::submit_attestation(2) - one;
		assert!(per_entry.ref_time() > 0 && per_entry.proof_size() > 0);
		let base = <() as WeightInfo>::submit_attestations(2);
		let same = [att(EDGE, 1, &[(CONTENT_A, 1)]), att(EDGE2, 1, &[(CONTENT_A, 1)])];
		assert_eq!(Pod::batch_weight(&same), base);
		let two = [att(EDGE, 1, &[(CONTENT_A, 1)]), att(EDGE2, 1, &[(CONTENT_B, 1)])];
		assert_eq!(Pod::batch_weight(&two), base + per_entry);
		let wide = [
			att(EDGE, 1, &[(CONTENT_A, 1), (CONTENT_B, 1), ([0xC; 32], 1)]),
			att(EDGE2, 1, &[(CONTENT_A, 1)]),
		];
		assert_eq!(Pod::batch_weight(&wide), base + per_entry * 2);
		// The call's declared weight is this one.
		let call = crate::Call::<Test>::submit_attestations {
			batch: BoundedVec::try_from(wide.to_vec()).unwrap(),
		};
		assert_eq!(call.get_dispatch_info().call_weight, base + per_entry * 2);
	});
}

// ---------------------------------------------------------------- credits

#[test]
fn redeem_burns_and_operator_completes() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10 * GIB)])));
		let credits = Credits::<Test>::get(EDGE_OWNER);
		assert_eq!(credits, 9_500_000);
		assert_noop!(Pod::redeem(RuntimeOrigin::signed(EDGE_OWNER), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Pod::redeem(RuntimeOrigin::signed(EDGE_OWNER), credits + 1),
			Error::<Test>::InsufficientCredits
		);
		assert_noop!(
			Pod::redeem(RuntimeOrigin::signed(OTHER), 1),
			Error::<Test>::InsufficientCredits
		);
		assert_ok!(Pod::redeem(RuntimeOrigin::signed(EDGE_OWNER), 4_000_000));
		System::assert_last_event(
			Event::Redeemed { id: 0, who: EDGE_OWNER, amount: 4_000_000 }.into(),
		);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 5_500_000);
		assert_eq!(TotalCredits::<Test>::get(), 5_500_000);
		assert_books_balance();

		assert_noop!(
			Pod::complete_redemption(RuntimeOrigin::signed(OPERATOR), 0),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Pod::complete_redemption(RuntimeOrigin::root(), 1),
			Error::<Test>::UnknownRedemption
		);
		let op0 = Balances::free_balance(OPERATOR);
		assert_ok!(Pod::complete_redemption(RuntimeOrigin::root(), 0));
		assert_eq!(Balances::free_balance(OPERATOR), op0 + 4_000_000);
		assert!(Redemptions::<Test>::get(0).is_none());
		assert_books_balance();
		crate::Operator::<Test>::kill();
		assert_ok!(Pod::redeem(RuntimeOrigin::signed(EDGE_OWNER), 1));
		assert_noop!(Pod::complete_redemption(RuntimeOrigin::root(), 1), Error::<Test>::NoOperator);
	});
}

#[test]
fn genesis_sets_up_the_pallet_account() {
	new_test_ext().execute_with(|| {
		assert_eq!(pallet_balance(), ExistentialDeposit::get());
		assert_eq!(crate::Operator::<Test>::get(), Some(OPERATOR));
		assert!(crate::Reporters::<Test>::contains_key(public(REPORTER)));
		assert_books_balance();
	});
}

// ---------------------------------------------------------------- properties

mod props {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	#[derive(Clone, Debug)]
	enum Op {
		Deposit(u64, u128),
		Withdraw(u64, u128),
		Claim(u64),
		Attest { edge: u8, window_back: u32, entries: Vec<(u8, u64)> },
		Redeem(u64, u128),
		Complete(u64),
		Advance(u64),
		TransferAttempt,
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = prop_oneof![Just(CUSTOMER), Just(OTHER)];
		prop_oneof![
			(who.clone(), 0u128..5_000_000).prop_map(|(w, a)| Op::Deposit(w, a)),
			(who.clone(), 0u128..5_000_000).prop_map(|(w, a)| Op::Withdraw(w, a)),
			who.clone().prop_map(Op::Claim),
			(
				prop_oneof![Just(EDGE), Just(EDGE2)],
				0u32..5,
				proptest::collection::vec((0u8..3, 0u64..(3 * GIB)), 0..4)
			)
				.prop_map(|(edge, window_back, entries)| Op::Attest {
					edge,
					window_back,
					entries
				}),
			(prop_oneof![Just(EDGE_OWNER), Just(OTHER)], 0u128..3_000_000)
				.prop_map(|(w, a)| Op::Redeem(w, a)),
			(0u64..4).prop_map(Op::Complete),
			(1u64..25).prop_map(Op::Advance),
			Just(Op::TransferAttempt),
		]
	}

	const CONTENTS: [([u8; 32], u64, u128); 3] =
		[([0xA; 32], CUSTOMER, 1_000_000), ([0xB; 32], CUSTOMER, 333_333), ([0xC; 32], OTHER, 7)];

	proptest! {
		#![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

		/// Whatever happens, the books balance, native issuance is conserved,
		/// and credits change only by settlement (mint) or redemption (burn).
		#[test]
		fn books_always_balance(ops in proptest::collection::vec(op(), 1..40)) {
			new_test_ext().execute_with(|| {
				register_edge(EDGE);
				assert_ok!(Pod::register_edge(RuntimeOrigin::signed(OTHER), public(EDGE2), vec![], CAPACITY));
				for (id, owner, price) in CONTENTS {
					assert_ok!(Pod::register_content(RuntimeOrigin::signed(owner), id, GIB, price, vec![]));
				}
				let issuance = Balances::total_issuance();
				for op in ops {
					let mut expected: BTreeMap<u64, u128> = Credits::<Test>::iter().collect();
					match op {
						Op::Deposit(w, a) => { let _ = Pod::deposit(RuntimeOrigin::signed(w), a); },
						Op::Withdraw(w, a) => { let _ = Pod::withdraw(RuntimeOrigin::signed(w), a); },
						Op::Claim(w) => { let _ = Pod::claim_withdrawal(RuntimeOrigin::signed(w)); },
						Op::Attest { edge, window_back, entries } => {
							let w = Pod::current_window().saturating_sub(window_back);
							let entries: Vec<_> = entries.iter().map(|(c, b)| (CONTENTS[*c as usize].0, *b)).collect();
							let owner = Edges::<Test>::get(public(edge)).unwrap().owner;
							if submit(att(edge, w, &entries)).is_ok() {
								let rec = Settled::<Test>::get(public(edge), w).unwrap();
								prop_assert_eq!(rec.charged, rec.fee + rec.credits);
								*expected.entry(owner).or_default() += rec.credits;
							}
						},
						Op::Redeem(w, a) => {
							if Pod::redeem(RuntimeOrigin::signed(w), a).is_ok() {
								*expected.entry(w).or_default() -= a;
							}
						},
						Op::Complete(id) => { let _ = Pod::complete_redemption(RuntimeOrigin::root(), id); },
						Op::Advance(n) => System::set_block_number(System::block_number() + n),
						// There is no call that moves credits; a native transfer must not touch them.
						Op::TransferAttempt => {
							let _ = Balances::transfer_allow_death(RuntimeOrigin::signed(EDGE_OWNER), OTHER, 1);
						},
					}
					let after: BTreeMap<u64, u128> = Credits::<Test>::iter().filter(|(_, v)| *v > 0).collect();
					expected.retain(|_, v| *v > 0);
					prop_assert_eq!(&after, &expected);
					assert_books_balance();
					prop_assert_eq!(Balances::total_issuance(), issuance);
				}
				Ok(())
			})?;
		}
	}
}
