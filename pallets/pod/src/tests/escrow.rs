//! Contents and escrow: registration, retirement, deposits, delayed withdrawals, escrow caps.

use super::*;

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
		// Retired from the next window: what is served in this one is still paid.
		System::assert_last_event(Event::ContentRemoved { id: CONTENT_A, from_window: 5 }.into());
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

#[test]
fn escrow_caps_payment_and_exhausted_escrow_settles_unpaid() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		register_content(CONTENT_A, PRICE);
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(CUSTOMER), 1_000_000));
		go_to_window(3);
		// 2 GiB would cost 2e6; only 1e6 is in escrow.
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 2 * GIB)])));
		let rec = settled(EDGE, 1).unwrap();
		assert_eq!(
			(rec.charged, rec.fee, rec.credits, rec.unpaid),
			(1_000_000, 50_000, 950_000, 1_000_000)
		);
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 0);
		assert_eq!(Usage::<Test>::get(1, CUSTOMER).unpaid, 1_000_000);
		// Nothing left: the next window settles with nothing paid, recorded as
		// unpaid (in the usage and an event), so it is never resubmitted.
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])));
		let rec = settled(EDGE, 2).unwrap();
		assert_eq!((rec.charged, rec.unpaid, rec.state), (0, PRICE, SettlementState::Vested));
		assert_eq!(Usage::<Test>::get(2, CUSTOMER).unpaid, PRICE);
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE),
				window: 2,
				content: CONTENT_A,
				limit: crate::Limit::Escrow,
				unpaid: PRICE,
			}
			.into(),
		);
		assert_noop!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])), Error::<Test>::AlreadySettled);
		assert_books_balance();
	});
}

/// A price of zero would settle deliveries that charge nothing: refused.
#[test]
fn a_content_priced_at_zero_is_refused() {
	new_test_ext().execute_with(|| {
		let origin = || RuntimeOrigin::signed(CUSTOMER);
		let url = || b"https://origin.example/a".to_vec();
		assert_noop!(
			Pod::register_content(origin(), CONTENT_A, GIB, 0, url()),
			Error::<Test>::ZeroPrice
		);
	});
}
