//! Credits: redemption and completion; the genesis account.

use super::*;

#[test]
fn redeem_burns_and_operator_completes() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10 * GIB)])));
		vest_all();
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

/// A redemption the operator does not complete within `RedemptionExpiry`
/// goes back to its owner as credits, and can no longer be completed.
#[test]
fn an_expired_redemption_returns_to_its_owner() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 10 * GIB)])));
		vest_all();
		let credits = Credits::<Test>::get(EDGE_OWNER);
		assert_ok!(Pod::redeem(RuntimeOrigin::signed(EDGE_OWNER), 4_000_000));
		let reclaim = |who, id| Pod::reclaim_redemption(RuntimeOrigin::signed(who), id);
		assert_noop!(reclaim(EDGE_OWNER, 0), Error::<Test>::RedemptionNotExpired);
		let expires = System::block_number() + crate::config_preludes::TEST_REDEMPTION_EXPIRY;
		System::set_block_number(expires - 1);
		assert_noop!(reclaim(EDGE_OWNER, 0), Error::<Test>::RedemptionNotExpired);
		System::set_block_number(expires);
		assert_noop!(reclaim(OTHER, 0), Error::<Test>::NotRedemptionOwner);
		assert_noop!(reclaim(EDGE_OWNER, 1), Error::<Test>::UnknownRedemption);
		assert_noop!(
			Pod::complete_redemption(RuntimeOrigin::root(), 0),
			Error::<Test>::RedemptionExpired
		);
		assert_ok!(reclaim(EDGE_OWNER, 0));
		System::assert_last_event(
			Event::RedemptionReclaimed { id: 0, who: EDGE_OWNER, amount: 4_000_000 }.into(),
		);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), credits);
		assert!(Redemptions::<Test>::get(0).is_none());
		assert_books_balance();
	});
}
