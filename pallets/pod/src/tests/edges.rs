//! Edges and reporters: registration, bonds, unbonding, the reporter set.

use super::*;

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
