//! The minimum charge: an attestation that would pay less than `MinCharge`
//! after every limit (an empty escrow, a spent limit, a few bytes) is
//! refused by the pool and skipped in a block, so block space goes only to
//! deliveries someone pays for.

use super::*;

fn below_minimum() -> sp_runtime::transaction_validity::TransactionValidityError {
	InvalidTransaction::Custom(Error::<Test>::ChargeBelowMinimum.index()).into()
}

fn batch_call(atts: Vec<Attestation>) -> crate::Call<Test> {
	crate::Call::submit_attestations { batch: BoundedVec::try_from(atts).unwrap() }
}

/// A customer (`OTHER`) with a content and no escrow at all.
fn content_without_escrow() {
	assert_ok!(register_content_by(OTHER, CONTENT_B, GIB, PRICE));
}

#[test]
fn an_attestation_nobody_pays_is_refused_by_the_pool_and_by_dispatch() {
	new_test_ext().execute_with(|| {
		MinCharge::set(1);
		register_edge(EDGE);
		register_content(CONTENT_A, PRICE);
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 500_000_000));
		content_without_escrow();
		go_to_window(2);
		let unpaid = att(EDGE, 1, &[(CONTENT_B, GIB)]);
		assert_eq!(validate(&unpaid), Err(below_minimum()));
		assert_noop!(submit(unpaid.clone()), Error::<Test>::ChargeBelowMinimum);
		// Nothing of the refused attestation stays: not settled, no usage,
		// no bytes against the edge's capacity, no event.
		assert!(settled(EDGE, 1).is_none());
		assert_eq!(crate::WindowBytes::<Test>::get(1, public(EDGE)), 0);
		assert!(!Usage::<Test>::contains_key(1, OTHER));
		// One entry that pays is enough: the other is recorded unpaid.
		let mixed = att(EDGE, 1, &[(CONTENT_A, GIB), (CONTENT_B, GIB)]);
		assert!(validate(&mixed).is_ok());
		assert_ok!(submit(mixed));
		assert_eq!(settled(EDGE, 1).unwrap().unpaid, PRICE);
		assert_books_balance();
	});
}

#[test]
fn the_minimum_counts_after_every_limit() {
	new_test_ext().execute_with(|| {
		setup();
		MinCharge::set(PRICE);
		// Half a GiB charges half the minimum.
		assert_eq!(validate(&att(EDGE, 1, &[(CONTENT_A, GIB / 2)])), Err(below_minimum()));
		// A whole GiB charges exactly the minimum…
		assert!(validate(&att(EDGE, 1, &[(CONTENT_A, GIB)])).is_ok());
		// …unless the customer's spending limit leaves less than that (a
		// lowered limit applies from the next window).
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(PRICE / 2)));
		go_to_window(4);
		assert_eq!(validate(&att(EDGE, 3, &[(CONTENT_A, GIB)])), Err(below_minimum()));
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), None));
		assert!(validate(&att(EDGE, 3, &[(CONTENT_A, GIB)])).is_ok(), "a raise applies at once");
		// The same for the content's budget and the reporter's cap.
		let budget = Some(PRICE - 1);
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			budget,
			false
		));
		go_to_window(6);
		assert_eq!(validate(&att(EDGE, 5, &[(CONTENT_A, GIB)])), Err(below_minimum()));
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			None,
			false
		));
		assert_ok!(Pod::set_reporter_cap(RuntimeOrigin::root(), public(REPORTER), PRICE - 1));
		assert_eq!(validate(&att(EDGE, 5, &[(CONTENT_A, GIB)])), Err(below_minimum()));
		assert_ok!(Pod::set_reporter_cap(RuntimeOrigin::root(), public(REPORTER), PRICE));
		assert_ok!(submit(att(EDGE, 5, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 5).unwrap().charged, PRICE);
	});
}

/// The pool settles a batch's attestations in order in a layer it throws
/// away: an attestation is checked against what the earlier ones took, so a
/// batch whose later attestations the escrow cannot pay is refused whole,
/// while a block settles what the escrow covers and skips the rest.
#[test]
fn a_batch_is_checked_against_what_its_earlier_attestations_take() {
	new_test_ext().execute_with(|| {
		MinCharge::set(1);
		register_edge(EDGE);
		register_edge(EDGE2);
		register_content(CONTENT_A, PRICE);
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), PRICE));
		go_to_window(2);
		let first = att(EDGE, 1, &[(CONTENT_A, GIB)]);
		let second = att(EDGE2, 1, &[(CONTENT_A, GIB)]);
		// Each alone would be paid in full.
		assert!(validate(&first).is_ok() && validate(&second).is_ok());
		let call = batch_call(vec![first.clone(), second.clone()]);
		let events = System::events().len();
		assert_eq!(
			Pod::validate_unsigned(TransactionSource::External, &call),
			Err(below_minimum())
		);
		// The pool's trial left nothing behind.
		assert_eq!(Escrow::<Test>::get(CUSTOMER), PRICE);
		assert!(settled(EDGE, 1).is_none() && System::events().len() == events);
		assert_ok!(Pod::submit_attestations(
			RuntimeOrigin::none(),
			BoundedVec::try_from(vec![first, second]).unwrap()
		));
		assert_eq!(settled(EDGE, 1).unwrap().charged, PRICE);
		assert!(settled(EDGE2, 1).is_none());
		System::assert_has_event(
			Event::AttestationRejected {
				edge: public(EDGE2),
				window: 1,
				reporter: public(REPORTER),
				error: Error::<Test>::ChargeBelowMinimum.into(),
			}
			.into(),
		);
		assert_books_balance();
	});
}
