//! What customers limit: their spend per window, a content's budget and
//! openness, the key that signs their viewer grants.

use super::*;
use crate::{ContentSpend, GrantKeys, Limit, SpendLimits};

#[test]
fn a_spend_limit_caps_each_window_and_the_rest_is_recorded_unpaid() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		let escrow0 = Escrow::<Test>::get(CUSTOMER);
		// Set in window 2, the limit applies from window 3.
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(PRICE * 3 / 2)));
		go_to_window(6);
		System::assert_last_event(
			Event::SpendLimitSet { who: CUSTOMER, limit: Some(PRICE * 3 / 2) }.into(),
		);
		// Two edges each deliver 1 GiB of A in window 3: the first is paid in
		// full, the second only up to the limit.
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, GIB)])));
		assert_ok!(submit(att(EDGE2, 3, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE2, 3).unwrap().charged, PRICE / 2);
		assert_eq!(settled(EDGE2, 3).unwrap().unpaid, PRICE / 2);
		let usage = Usage::<Test>::get(3, CUSTOMER);
		assert_eq!((usage.bytes, usage.charged, usage.unpaid), (2 * GIB, PRICE * 3 / 2, PRICE / 2));
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE2),
				window: 3,
				content: CONTENT_A,
				limit: Limit::SpendLimit,
				unpaid: PRICE / 2,
			}
			.into(),
		);
		// Escrow above the limit is untouched.
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - PRICE * 3 / 2);
		// Another window has its own allowance.
		assert_ok!(submit(att(EDGE, 4, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 4).unwrap().charged, PRICE);
		// Lifting the limit.
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), None));
		assert!(SpendLimits::<Test>::get(CUSTOMER).is_none());
		assert_ok!(submit(att(EDGE, 5, &[(CONTENT_A, 2 * GIB)])));
		assert_eq!(settled(EDGE, 5).unwrap().charged, 2 * PRICE);
		assert_noop!(
			Pod::set_spend_limit(RuntimeOrigin::none(), Some(1)),
			DispatchError::BadOrigin
		);
		assert_books_balance();
	});
}

#[test]
fn a_content_budget_caps_that_content_only() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			Some(PRICE),
			false
		));
		System::assert_last_event(
			Event::ContentPolicySet { id: CONTENT_A, budget: Some(PRICE), open: false }.into(),
		);
		// Set in window 2, the budget applies from window 3.
		go_to_window(4);
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, 3 * GIB), (CONTENT_B, GIB)])));
		let rec = settled(EDGE, 3).unwrap();
		// A: 1 GiB's worth of 3; B (no budget): 3 × PRICE in full.
		assert_eq!((rec.charged, rec.unpaid), (PRICE + 3 * PRICE, 2 * PRICE));
		assert_eq!(ContentSpend::<Test>::get(3, CONTENT_A), PRICE);
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE),
				window: 3,
				content: CONTENT_A,
				limit: Limit::ContentBudget,
				unpaid: 2 * PRICE,
			}
			.into(),
		);
		assert_books_balance();
	});
}

#[test]
fn content_policy_errors() {
	new_test_ext().execute_with(|| {
		setup();
		let set = |who, id, budget, open| {
			Pod::set_content_policy(RuntimeOrigin::signed(who), id, budget, open)
		};
		// Open to anyone only with a budget.
		assert_noop!(set(CUSTOMER, CONTENT_A, None, true), Error::<Test>::OpenWithoutBudget);
		assert_noop!(set(OTHER, CONTENT_A, Some(1), true), Error::<Test>::NotContentOwner);
		assert_noop!(set(CUSTOMER, [0xEE; 32], Some(1), true), Error::<Test>::UnknownContent);
		assert_ok!(set(CUSTOMER, CONTENT_A, Some(1), true));
		let c = crate::Contents::<Test>::get(CONTENT_A).unwrap();
		assert_eq!((c.budget, c.open), (Some(1), true));
	});
}

#[test]
fn the_grant_key_is_the_customers_to_name() {
	new_test_ext().execute_with(|| {
		assert_ok!(Pod::set_grant_key(RuntimeOrigin::signed(CUSTOMER), Some([5; 32])));
		System::assert_last_event(Event::GrantKeySet { who: CUSTOMER, key: Some([5; 32]) }.into());
		assert_eq!(GrantKeys::<Test>::get(CUSTOMER), Some([5; 32]));
		assert_eq!(GrantKeys::<Test>::get(OTHER), None);
		assert_ok!(Pod::set_grant_key(RuntimeOrigin::signed(CUSTOMER), None));
		assert_eq!(GrantKeys::<Test>::get(CUSTOMER), None);
		assert_noop!(
			Pod::set_grant_key(RuntimeOrigin::root(), Some([5; 32])),
			DispatchError::BadOrigin
		);
	});
}

/// A lowered limit or budget applies from the next window: the deliveries
/// of the current one, under tickets a reporter issued against the old
/// terms, are paid in full (before, a customer could set its limit to zero
/// just before its edges settled and be delivered to for free). A raise
/// applies at once, and the most generous terms of a window are the ones
/// it keeps.
#[test]
fn a_lowered_limit_or_budget_applies_from_the_next_window() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		go_to_window(3);
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(0)));
		let set_budget =
			|b| Pod::set_content_policy(RuntimeOrigin::signed(CUSTOMER), CONTENT_A, b, false);
		assert_ok!(set_budget(Some(0)));
		assert_eq!(crate::LimitsBefore::<Test>::get(CUSTOMER), Some((4, None)));
		assert_eq!(crate::BudgetsBefore::<Test>::get(CONTENT_A), Some((4, None)));
		go_to_window(5);
		// Window 3, delivered under the old terms, is paid in full; window 4
		// under the new ones, not at all.
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 3).unwrap().charged, PRICE);
		assert_ok!(submit(att(EDGE, 4, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 4).unwrap().unpaid, PRICE);
		// In window 5: raised to 2 GiB's worth at once, then lowered to one:
		// window 5's deliveries keep the 2 GiB the window had.
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(2 * PRICE)));
		assert_eq!(crate::LimitsBefore::<Test>::get(CUSTOMER), None, "a raise is not remembered");
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(PRICE)));
		assert_ok!(set_budget(None));
		go_to_window(7);
		assert_ok!(submit(att(EDGE, 5, &[(CONTENT_A, 2 * GIB)])));
		assert_eq!(settled(EDGE, 5).unwrap().charged, 2 * PRICE);
		assert_ok!(submit(att(EDGE2, 6, &[(CONTENT_A, 2 * GIB)])));
		assert_eq!(settled(EDGE2, 6).unwrap().charged, PRICE);
		assert_books_balance();
	});
}
