//! Contents' deposits: held when a content registers, released when the
//! retired content is reaped after its last payable window aged out.

use super::*;
use crate::config_preludes::TEST_CONTENT_DEPOSIT;

fn deposit_held(who: u64) -> u128 {
	Balances::balance_on_hold(&RuntimeHoldReason::Pod(crate::HoldReason::ContentDeposit), &who)
}

#[test]
fn a_content_holds_its_deposit_until_it_is_reaped() {
	new_test_ext().execute_with(|| {
		setup();
		assert_eq!(deposit_held(CUSTOMER), 2 * TEST_CONTENT_DEPOSIT, "two contents");
		assert_eq!(crate::Contents::<Test>::get(CONTENT_A).unwrap().deposit, TEST_CONTENT_DEPOSIT);
		let reap = |id| Pod::reap_content(RuntimeOrigin::signed(OTHER), id);
		assert_noop!(reap([9; 32]), Error::<Test>::UnknownContent);
		assert_noop!(reap(CONTENT_A), Error::<Test>::ContentNotRetired);
		// Retired in window 2: deliveries of window 2 are still paid, and
		// settle until window 2 + MAX_AGE.
		assert_ok!(Pod::remove_content(RuntimeOrigin::signed(CUSTOMER), CONTENT_A));
		go_to_window(2 + MAX_AGE);
		assert_noop!(reap(CONTENT_A), Error::<Test>::ContentStillSettling);
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])));
		go_to_window(3 + MAX_AGE);
		// Anyone may reap; the deposit goes back to the owner.
		assert_ok!(reap(CONTENT_A));
		System::assert_last_event(
			Event::ContentReaped { id: CONTENT_A, owner: CUSTOMER, released: TEST_CONTENT_DEPOSIT }
				.into(),
		);
		assert!(crate::Contents::<Test>::get(CONTENT_A).is_none());
		assert_eq!(deposit_held(CUSTOMER), TEST_CONTENT_DEPOSIT);
		assert_noop!(reap(CONTENT_A), Error::<Test>::UnknownContent);
		assert_books_balance();
	});
}

#[test]
fn a_customer_who_cannot_cover_the_deposit_registers_nothing() {
	new_test_ext().execute_with(|| {
		let poor = 77;
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), poor, TEST_CONTENT_DEPOSIT));
		// The whole balance cannot go on hold: the account must stay alive.
		assert!(register_content_by(poor, CONTENT_A, GIB, PRICE).is_err());
		assert!(crate::Contents::<Test>::get(CONTENT_A).is_none());
		assert_eq!(deposit_held(poor), 0);
	});
}
