//! Batches: partial settlement, forged signatures, pre-dispatch, weights.

use super::*;

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
				reporter: public(REPORTER),
				error: Error::<Test>::AlreadySettled.into()
			}
			.into()));
		assert!(settled(EDGE, 2).is_some());
		assert!(settled(EDGE2, 2).is_some());
		vest_all();
		assert_eq!(TotalCredits::<Test>::get(), Credits::<Test>::get(EDGE_OWNER),);
		// The batch paid the operator both fees, in one transfer.
		let fees: u128 = [EDGE, EDGE2].iter().map(|e| settled(*e, 2).unwrap().fee).sum();
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
			keys::sign(&pair(ROGUE), DomainTag::Attestation, &genesis, &forged.payload);
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
		assert!(settled(EDGE, 2).is_some());
		assert!(settled(EDGE2, 2).is_none());
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
			keys::sign(&pair(EDGE2), DomainTag::Attestation, &genesis, &forged.payload);
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

/// The pool checks a batch's signatures before it settles the batch in a
/// throw-away layer: a forged batch is refused for its signatures without
/// the node paying for the up to 128 × 64 entries' payment (here a payment
/// that would also fail: refused as `BadProof`, not for its charge).
#[test]
fn a_forged_batch_is_refused_before_its_payment_is_tried() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(3);
		MinCharge::set(u128::MAX);
		let mut forged = att(EDGE, 2, &[(CONTENT_A, GIB)]);
		forged.edge_signature[0] ^= 1;
		let call =
			crate::Call::submit_attestations { batch: BoundedVec::try_from(vec![forged]).unwrap() };
		assert_eq!(
			Pod::validate_unsigned(TransactionSource::External, &call),
			Err(InvalidTransaction::BadProof.into())
		);
	});
}

/// What a forged batch of 128 attestations of 64 entries each costs the
/// pool: the batch signature check it now stops at, beside the payment it
/// used to run first (printed; run with `--ignored --nocapture`).
#[test]
#[ignore]
fn forged_batch_cost() {
	new_test_ext().execute_with(|| {
		setup();
		let contents: Vec<[u8; 32]> = (0..64u8).map(|i| [0xC0 ^ i; 32]).collect();
		for c in &contents {
			assert_ok!(register_content_by(CUSTOMER, *c, 10 * GIB, PRICE));
		}
		go_to_window(3);
		let entries: Vec<_> = contents.iter().map(|c| (*c, 1 << 20)).collect();
		let genesis = Pod::genesis_hash();
		let batch: Vec<Attestation> = (0..128u16)
			.map(|part| {
				let mut p = payload(EDGE, 2, &entries);
				p.part = part;
				sign_with(p, EDGE, REPORTER, DomainTag::Attestation, genesis)
			})
			.collect();
		let mut forged = batch.clone();
		forged[127].edge_signature[0] ^= 1;
		let time = |f: &dyn Fn()| {
			let t = std::time::Instant::now();
			for _ in 0..5 {
				f();
			}
			t.elapsed().as_secs_f64() / 5.0 * 1e3
		};
		let sigs = time(&|| assert!(!Pod::signatures_verify(&forged)));
		let pay = time(&|| assert!(Pod::would_settle(&batch).is_ok()));
		let call = crate::Call::submit_attestations { batch: BoundedVec::try_from(forged.clone()).unwrap() };
		let pool = time(&|| {
			let v = Pod::validate_unsigned(TransactionSource::External, &call);
			assert_eq!(v, Err(InvalidTransaction::BadProof.into()));
		});
		println!(
			"forged batch of 128 × 64 entries: the pool refuses it in {pool:.1} ms (signatures {sigs:.1} ms); \
			 settling it in a throw-away layer, what it ran first before, {pay:.1} ms ({:.0}× the signatures)",
			pay / sigs
		);
	});
}
