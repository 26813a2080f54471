//! What customers limit: their spend per window, a content's budget and
//! openness, the key that signs their viewer grants.

use super::*;
use crate::{ContentSpend, GrantKeys, Limit, SpendLimits};

#[test]
fn a_spend_limit_caps_each_window_and_the_rest_is_recorded_unpaid() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		go_to_window(4);
		let escrow0 = Escrow::<Test>::get(CUSTOMER);
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), Some(PRICE * 3 / 2)));
		System::assert_last_event(
			Event::SpendLimitSet { who: CUSTOMER, limit: Some(PRICE * 3 / 2) }.into(),
		);
		// Two edges each deliver 1 GiB of A in window 1: the first is paid in
		// full, the second only up to the limit.
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_ok!(submit(att(EDGE2, 1, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE2, 1).unwrap().charged, PRICE / 2);
		assert_eq!(settled(EDGE2, 1).unwrap().unpaid, PRICE / 2);
		let usage = Usage::<Test>::get(1, CUSTOMER);
		assert_eq!((usage.bytes, usage.charged, usage.unpaid), (2 * GIB, PRICE * 3 / 2, PRICE / 2));
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE2),
				window: 1,
				content: CONTENT_A,
				limit: Limit::SpendLimit,
				unpaid: PRICE / 2,
			}
			.into(),
		);
		// Escrow above the limit is untouched.
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - PRICE * 3 / 2);
		// Another window has its own allowance.
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 2).unwrap().charged, PRICE);
		// Lifting the limit.
		assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(CUSTOMER), None));
		assert!(SpendLimits::<Test>::get(CUSTOMER).is_none());
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, 2 * GIB)])));
		assert_eq!(settled(EDGE, 3).unwrap().charged, 2 * PRICE);
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
		go_to_window(3);
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			Some(PRICE),
			false
		));
		System::assert_last_event(
			Event::ContentPolicySet { id: CONTENT_A, budget: Some(PRICE), open: false }.into(),
		);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, 3 * GIB), (CONTENT_B, GIB)])));
		let rec = settled(EDGE, 1).unwrap();
		// A: 1 GiB's worth of 3; B (no budget): 3 × PRICE in full.
		assert_eq!((rec.charged, rec.unpaid), (PRICE + 3 * PRICE, 2 * PRICE));
		assert_eq!(ContentSpend::<Test>::get(1, CONTENT_A), PRICE);
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE),
				window: 1,
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
