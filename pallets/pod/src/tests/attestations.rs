//! Single attestations: the exact split, every rejection, windows, the pool's view.

use super::*;

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
		// Nothing is minted or paid before the vesting delay.
		assert_eq!(Balances::free_balance(OPERATOR), op0);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 0);
		assert_eq!(Unvested::<Test>::get(EDGE_OWNER), credits);
		let rec = settled(EDGE, 1).unwrap();
		assert_eq!(
			(rec.bytes, rec.charged, rec.fee, rec.credits, rec.unpaid, rec.state),
			(bytes_a + bytes_b, charged, fee, credits, 0, SettlementState::Vesting)
		);
		let vests_at = System::block_number() + VESTING_DELAY;
		assert_eq!(Usage::<Test>::get(1, CUSTOMER).bytes, bytes_a + bytes_b);
		assert_eq!(Usage::<Test>::get(1, CUSTOMER).charged, charged);
		System::assert_has_event(
			Event::AttestationAccepted {
				edge: public(EDGE),
				window: 1,
				part: 0,
				owner: EDGE_OWNER,
				reporter: public(REPORTER),
				bytes: bytes_a + bytes_b,
				charged,
				fee,
				credits,
				unpaid: 0,
				vests_at,
			}
			.into(),
		);
		assert_books_balance();
		// One block early: still pending.
		Pod::process_pending(vests_at - 1, Weight::MAX);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 0);
		vest_all();
		assert_eq!(Balances::free_balance(OPERATOR), op0 + fee);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), credits);
		assert_eq!(TotalCredits::<Test>::get(), credits);
		assert_eq!(Unvested::<Test>::get(EDGE_OWNER), 0);
		assert_eq!(settled(EDGE, 1).unwrap().state, SettlementState::Vested);
		assert_books_balance();
	});
}

/// Each rejection of `docs/design.md` §7, in dispatch and in the pool, minting nothing.
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
		a.edge_signature = keys::sign(&pair(EDGE2), DomainTag::Attestation, &genesis, &a.payload);
		check(a, Error::<Test>::BadEdgeSignature);
		// Forged reporter signature.
		let mut a = att(EDGE, 1, &ok_entries);
		a.reporter_signature =
			keys::sign(&pair(ROGUE), DomainTag::Attestation, &genesis, &a.payload);
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

/// Retired in window 2: windows 1 and 2 (what was served before and during
/// the window it was retired in) are paid; from window 3 on its entries are
/// skipped and the rest of the attestation settles.
#[test]
fn retired_content_is_paid_up_to_the_window_it_was_retired_in() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		assert_ok!(Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_A));
		System::assert_last_event(Event::ContentRemoved { id: CONTENT_A, from_window: 3 }.into());
		go_to_window(4);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10)])));
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, 10)])));
		assert_eq!(settled(EDGE, 2).unwrap().bytes, 10);
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, 10), (CONTENT_B, 20)])));
		assert_eq!(settled(EDGE, 3).unwrap().bytes, 20);
		System::assert_has_event(
			Event::EntrySkipped {
				edge: public(EDGE),
				window: 3,
				content: CONTENT_A,
				error: Error::<Test>::ContentRetired.into(),
			}
			.into(),
		);
		assert_books_balance();
	});
}

/// A content nobody registered, slipped into an honest edge's window (a
/// stranger fetched a byte of a junk content from it), voids nothing: the
/// entry is skipped with an event, the rest is paid in full.
#[test]
fn an_unknown_content_is_skipped_and_the_rest_settles() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(3);
		let junk = [0xC; 32];
		let escrow = Escrow::<Test>::get(CUSTOMER);
		assert_ok!(submit(att(EDGE, 1, &[(junk, 1), (CONTENT_A, GIB)])));
		let rec = settled(EDGE, 1).unwrap();
		assert_eq!((rec.bytes, rec.charged), (GIB, PRICE));
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow - PRICE);
		System::assert_has_event(
			Event::EntrySkipped {
				edge: public(EDGE),
				window: 1,
				content: junk,
				error: Error::<Test>::UnknownContent.into(),
			}
			.into(),
		);
		// Only junk: the window is settled, with nothing paid, and cannot be
		// submitted again.
		assert_ok!(submit(att(EDGE, 2, &[(junk, 5)])));
		assert_eq!(settled(EDGE, 2).unwrap().bytes, 0);
		assert_noop!(submit(att(EDGE, 2, &[(junk, 5)])), Error::<Test>::AlreadySettled);
		assert_books_balance();
	});
}

/// An operator account that a fee cannot open (the fee is below the
/// existential deposit, the account reaped or never funded) fails no
/// settlement and no batch: the fees accrue and go out once they can.
#[test]
fn a_fee_the_operator_account_cannot_take_fails_nothing() {
	new_test_ext().execute_with(|| {
		setup();
		register_edge(EDGE2);
		let empty = 77;
		assert_ok!(Pod::set_operator(RuntimeOrigin::root(), empty));
		ExistentialDeposit::set(100_000);
		// Each window's fee (50,000) alone cannot open the account.
		let batch = vec![att(EDGE, 1, &[(CONTENT_A, GIB)])];
		assert_ok!(Pod::submit_attestations(RuntimeOrigin::none(), batch.try_into().unwrap()));
		assert!(settled(EDGE, 1).is_some());
		vest_all();
		assert_eq!((AccruedFees::<Test>::get(), Balances::free_balance(empty)), (50_000, 0));
		// Two more fees make it possible: all three go out in one transfer.
		let batch = vec![att(EDGE, 2, &[(CONTENT_A, GIB)]), att(EDGE2, 2, &[(CONTENT_A, GIB)])];
		assert_ok!(Pod::submit_attestations(RuntimeOrigin::none(), batch.try_into().unwrap()));
		assert!(settled(EDGE, 2).is_some() && settled(EDGE2, 2).is_some());
		vest_all();
		assert_eq!((AccruedFees::<Test>::get(), Balances::free_balance(empty)), (0, 150_000));
		ExistentialDeposit::set(1);
		assert_books_balance();
	});
}

/// Without an operator, fees accrue in the pallet account (nothing fails)
/// and are paid once there is one.
#[test]
fn fees_accrue_until_there_is_an_operator() {
	new_test_ext().execute_with(|| {
		setup();
		crate::Operator::<Test>::kill();
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		vest_all();
		assert_eq!(AccruedFees::<Test>::get(), 50_000);
		assert_books_balance();
		assert_noop!(
			Pod::set_operator(RuntimeOrigin::signed(OTHER), OTHER),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::set_operator(RuntimeOrigin::root(), OTHER));
		System::assert_last_event(Event::OperatorSet { operator: OTHER }.into());
		vest_all();
		assert_eq!(Balances::free_balance(OTHER), INITIAL + 50_000);
		assert_eq!(AccruedFees::<Test>::get(), 0);
		System::assert_has_event(Event::FeesPaid { operator: OTHER, amount: 50_000 }.into());
		assert_books_balance();
	});
}

#[test]
fn pool_tags_and_longevity() {
	new_test_ext().execute_with(|| {
		setup(); // window 2
		let a = att(EDGE, 1, &[(CONTENT_A, 10)]);
		let v = validate(&a).unwrap();
		assert_eq!(
			v.provides,
			vec![("PodAttestation", (public(EDGE), 1u32, public(REPORTER), 0u16)).encode()]
		);
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
	raw.extend(0u16.encode());
	raw.extend(entries.encode());
	raw.extend([0u8; 32].encode());
	raw.extend(0u32.encode());
	assert!(AttestationPayload::decode(&mut &raw[..]).is_err());
	// …while 64 decode fine.
	let entries: Vec<Entry> = entries[..64].to_vec();
	let mut raw = public(EDGE).encode();
	raw.extend(1u32.encode());
	raw.extend(0u16.encode());
	raw.extend(entries.encode());
	raw.extend([0u8; 32].encode());
	raw.extend(0u32.encode());
	assert!(AttestationPayload::decode(&mut &raw[..]).is_ok());
}
